"""The static files storage of production (DEBUG off): whitenoise's hashed and compressed files,
with our own JavaScript and CSS minified first.

Members load the site on cheap phones over slow networks, and the offline worker keeps what
they open: comments and indentation (about a third of `static/js` and a fifth of `site.css`)
are kept in the sources for the next engineer and left out of what is served. `collectstatic`
minifies each `.js` and `.css` it collected (rjsmin and rcssmin: whitespace and comments only,
names untouched, so an error's stack still reads) before the manifest hashes and whitenoise
compresses them. Files already minified (`.min.js`, `.min.css`) are left as they are. With
DEBUG on, the sources are served as they are.
"""

from django.core.files.base import ContentFile
from rcssmin import cssmin
from rjsmin import jsmin
from whitenoise.storage import CompressedManifestStaticFilesStorage

MINIFIERS = {".js": jsmin, ".css": cssmin}


def minifier(name: str):
    if ".min." in name.rsplit("/", 1)[-1]:
        return None
    return next((minify for suffix, minify in MINIFIERS.items() if name.endswith(suffix)), None)


class MinifiedStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def post_process(self, paths, dry_run=False, **options):
        if not dry_run:
            paths = dict(paths)
            for name, (storage, path) in list(paths.items()):
                minify = minifier(name)
                if minify is None:
                    continue
                with storage.open(path) as source:
                    text = source.read().decode("utf-8")
                # The collected copy becomes the minified one, and the manifest hashes that.
                self.delete(name)
                self._save(name, ContentFile(minify(text).encode("utf-8")))
                paths[name] = (self, name)
        yield from super().post_process(paths, dry_run, **options)

"""Production's static files (core.staticfiles): our JavaScript and CSS are collected minified,
hashed from the minified text and compressed; the sources keep their comments."""

import gzip
import json

from django.core.management import call_command
from django.test import override_settings

from core.staticfiles import minifier

PRODUCTION = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "core.staticfiles.MinifiedStaticFilesStorage"},
}


def test_collectstatic_serves_our_scripts_and_styles_minified_and_hashed(tmp_path, settings):
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=PRODUCTION):
        call_command("collectstatic", "--noinput", verbosity=0)
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    for name in ("js/forum.js", "js/site.js", "css/site.css"):
        source = (settings.BASE_DIR / "static" / name).read_text(encoding="utf-8")
        served = (tmp_path / manifest[name]).read_text(encoding="utf-8")
        assert "/*" in source or "//" in source  # the sources carry their comments
        assert len(served) < 0.9 * len(source), name
        assert "\n  " not in served  # no indentation left
        assert gzip.decompress((tmp_path / (manifest[name] + ".gz")).read_bytes()).decode() == served
    # The forum's script still holds its code: names are kept, only whitespace and comments go.
    forum = (tmp_path / manifest["js/forum.js"]).read_text(encoding="utf-8")
    assert "data-reply-form" in forum and "ChiBoOutbox" in forum


def test_only_our_unminified_scripts_and_styles_are_minified():
    assert minifier("js/forum.js") is not None
    assert minifier("css/site.css") is not None
    assert minifier("admin/js/vendor/jquery/jquery.min.js") is None
    assert minifier("img/favicon.svg") is None
    assert minifier("js/forum.json") is None

"""The release digest that ends the cache's key prefix (settings.CACHES, core.cache).

Cached values include pickled model instances and rendered HTML: new code must never read
what old code wrote, even on a Redis that keeps its contents across a deploy. The digest
covers what those values are made from: the project's code, templates, translations,
static files and pinned requirements (not tests, docs or data), and SECRET_KEY (a site
given a new key starts with an empty cache). It is computed once, when the settings load (some 20 ms), and
is the same on every machine that runs the same release, so processes of one release
share the cache and a new release starts with an empty one.
"""

import hashlib
import os
from pathlib import Path

SUFFIXES = (".py", ".html", ".txt", ".mo", ".js", ".css")
SKIP_DIRS = {"__pycache__", "tests", "e2e", "bench", "testdata", "docs", "staticfiles", "media", "node_modules"}


def release_digest(base_dir: Path, secret_key: str) -> str:
    digest = hashlib.blake2b(digest_size=5)
    digest.update(hashlib.sha256(secret_key.encode()).digest())
    for root, dirs, files in os.walk(base_dir):
        dirs[:] = sorted(name for name in dirs if not name.startswith(".") and name not in SKIP_DIRS)
        for name in sorted(files):
            if name.endswith(SUFFIXES):
                path = Path(root, name)
                digest.update(str(path.relative_to(base_dir)).encode() + b"\0")
                digest.update(path.read_bytes())
                digest.update(b"\0")
    return digest.hexdigest()

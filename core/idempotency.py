"""One submission, stored once: the idempotency key every form that creates something carries.

A form gets a fresh random key in a hidden field each time it is rendered
(`{% idempotency_field %}`, or `new_key()`; a page served again from the page cache gets
fresh ones, `renew_keys`).
Whatever sends that form again (a double tap, a network retry, forum.js falling back to an
ordinary POST after a failed fetch) sends the same key with the same fields.

`posted_key(request)` turns what was posted into the value a service stores on the row it
creates, beside a unique constraint on (author, key): the key bound to every other field
posted with it. So five identical POSTs store one row, and a repeat finds that row and answers
as the first did; a form sent again with other text (the back button, an edit) is a new
submission and is never answered with the old one. Without a valid key the value is "" and
nothing is deduplicated (a script, an old page). The row and its constraint live in the
feature app, so the guarantee holds across processes and restarts; nothing here is cached.
"""

import hashlib
import json
import re
import secrets

from django.http import HttpRequest

FIELD = "idempotency_key"
_VALID = re.compile(r"[A-Za-z0-9_-]{16,64}")
# Never part of what a submission is: the CSRF token changes with the cookie, the key is the
# key, and a pledge page's autosave counter moves with every save.
_NOT_BOUND = frozenset({"csrfmiddlewaretoken", FIELD, "client_token", "client_seq", "autosave"})
KEY_LENGTH = 40  # what posted_key returns: the stored column's width


def new_key() -> str:
    """A fresh key for one rendering of a form (24 URL-safe characters)."""
    return secrets.token_urlsafe(18)


# The hidden field as `{% idempotency_field %}` and the topic page write it. What a member
# types is escaped (its quotes become &quot;), so no text on a page can look like this.
_RENDERED_FIELD = re.compile(f'name="{FIELD}" value="[A-Za-z0-9_-]*"')


def renew_keys(html: str) -> str:
    """The page with each form's key replaced by a fresh one: a page served again from the
    page cache (core.middleware.PageCacheMiddleware) never repeats a key."""
    return _RENDERED_FIELD.sub(lambda _match: f'name="{FIELD}" value="{new_key()}"', html)


def posted_key(request: HttpRequest) -> str:
    """The stored form of the posted key, bound to the other fields; "" without a valid key."""
    key = request.POST.get(FIELD, "")
    if not _VALID.fullmatch(key):
        return ""
    fields = sorted((name, request.POST.getlist(name)) for name in request.POST if name not in _NOT_BOUND)
    payload = json.dumps([key, fields], ensure_ascii=False).encode("utf-8", "surrogatepass")
    return hashlib.sha256(payload).hexdigest()[:KEY_LENGTH]


def secret_key(request: HttpRequest) -> str:
    """The stored form of the posted key bound to nothing else posted: for a secret ballot,
    whose stored key must not let anyone tell which choice was sent. "" without a valid key."""
    key = request.POST.get(FIELD, "")
    if not _VALID.fullmatch(key):
        return ""
    return hashlib.sha256(b"secret:" + key.encode("ascii")).hexdigest()[:KEY_LENGTH]


def socket_key(raw: str) -> str:
    """The stored form of a key sent over a socket (a vote): bound to nothing else, like
    `secret_key`. "" when it is not a valid key."""
    if not _VALID.fullmatch(raw or ""):
        return ""
    return hashlib.sha256(b"secret:" + raw.encode("ascii")).hexdigest()[:KEY_LENGTH]

from django.test import RequestFactory

from core.idempotency import KEY_LENGTH, new_key, posted_key


def _posted(**data) -> str:
    return posted_key(RequestFactory().post("/", data))


def test_a_key_is_bound_to_what_was_sent_with_it():
    key = new_key()
    stored = _posted(idempotency_key=key, body="Ý kiến", quote="")
    assert len(stored) == KEY_LENGTH
    # Sent again, with a rotated CSRF token and a pledge page's newer autosave counter: the same.
    assert _posted(idempotency_key=key, body="Ý kiến", quote="", csrfmiddlewaretoken="x", client_seq="9") == stored
    # Other text, another field, another key: another submission.
    assert _posted(idempotency_key=key, body="Ý kiến khác", quote="") != stored
    assert _posted(idempotency_key=key, body="Ý kiến", quote="3") != stored
    assert _posted(idempotency_key=new_key(), body="Ý kiến", quote="") != stored


def test_no_valid_key_means_no_deduplication():
    for key in ("", "short", "x" * 65, "<script>alert(1)</script>aaaaaaaa", "k\x00" * 10, "²" * 20):
        assert _posted(idempotency_key=key, body="a") == ""
    assert _posted(body="a") == ""


def test_each_rendering_gets_a_new_key():
    keys = {new_key() for _ in range(100)}
    assert len(keys) == 100 and all(_posted(idempotency_key=k) for k in keys)

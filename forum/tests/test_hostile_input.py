"""Hostile text through the real post pipeline: the XSS payload list and the naughty strings.

The lists are in testdata/ with their licences (xss.LICENSE, blns.LICENSE)."""

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.markup import markdown_to_html, normalize
from forum import services
from forum.models import Post

pytestmark = pytest.mark.django_db

TESTDATA = Path(__file__).resolve().parents[2] / "testdata"
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "background", "poster", "srcset", "data"}


class _Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag in {"script", "iframe", "object", "embed", "svg", "math", "style", "img", "form", "base", "meta"}:
            self.problems.append(f"tag {tag}")
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.problems.append(f"handler {name}")
            if name.lower() in URL_ATTRIBUTES or name.lower() == "style":
                squashed = "".join(ch for ch in (value or "") if ch > " ").lower()
                if squashed.startswith(("javascript:", "data:", "vbscript:")) or name.lower() == "style":
                    self.problems.append(f"{name}={value!r}")

    handle_startendtag = handle_starttag


def problems(html: str) -> list[str]:
    audit = _Audit()
    audit.feed(html)
    audit.close()
    return audit.problems


def test_it_audits_what_it_should():
    # The checker itself must catch what it is there to catch.
    assert problems('<p onclick="x()">a</p>') and problems("<script>1</script>")
    assert problems('<a href=" jav&#x09;ascript:alert(1)">x</a>') and problems('<a href="data:text/html,x">x</a>')
    assert not problems('<p><a href="https://example.org" rel="nofollow noopener">x</a></p>')


def _payloads() -> list[str]:
    lines = (TESTDATA / "xss-payload-list.txt").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip()]


def test_it_renders_no_payload_of_the_xss_list_into_script_capable_html():
    # Each payload alone through the renderer the post service calls (fast: no database).
    payloads = _payloads()
    assert len(payloads) > 6000
    failures = [(p, html, problems(html)) for p in payloads if problems(html := markdown_to_html(p))]
    assert failures == []


def test_it_stores_no_script_capable_html_through_the_post_service(personas, general):
    # Every payload through post_create too, twenty to a post so that it stays quick on
    # PostgreSQL; the stored HTML and the event's HTML are what pages and sockets show.
    payloads = _payloads()
    failures = []
    for start in range(0, len(payloads), 20):
        post = services.post_create(
            actor=personas["member_a"], topic=general, body="\n\n".join(payloads[start : start + 20])
        )
        if problems(post.body_html) or problems(services.post_event(post)["html"]):
            failures.append((start, post.body_html))
    assert failures == []
    assert Post.objects.filter(topic=general).count() == 1 + (len(payloads) + 19) // 20


def test_it_round_trips_the_naughty_strings_without_a_500(client_as, personas, general, settings):
    settings.FORUM_POST_RATE = (100_000, 60)
    strings = json.loads((TESTDATA / "blns.json").read_text(encoding="utf-8"))
    client = client_as(personas["member_a"])
    url = reverse("forum:topic", args=[general.pk])
    accepted = 0
    for text in strings:
        response = client.post(url, {"body": text}, HTTP_X_REQUESTED_WITH="fetch")
        assert response.status_code in (200, 400), (text, response.status_code)
        if response.status_code == 200:
            post = Post.objects.get(pk=response.json()["id"])
            expected = normalize(text).strip()
            assert post.body_source == expected, text
            assert problems(post.body_html) == [], text
            accepted += 1
        else:
            with pytest.raises(ValidationError):
                services.post_create(actor=personas["member_a"], topic=general, body=text)
    assert accepted > 400
    for page in range(1, accepted // 30 + 2):
        assert client.get(url, {"page": page}).status_code == 200
    assert client.get(reverse("forum:search"), {"q": strings[100]}).status_code == 200

"""X-Forwarded-For counts only when a proxy named in TRUSTED_PROXIES sent it
(core.middleware.ClientAddressMiddleware): rate limits per address cannot be reset by
writing a new address into the header."""

import ipaddress

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from core.middleware import ClientAddressMiddleware

PROXY = "10.0.0.5"
LIMITED = "Too many failed login attempts"


@pytest.fixture(autouse=True)
def _one_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network(PROXY), ipaddress.ip_network("10.1.0.0/16")]
    settings.LANGUAGE_CODE = "en"


def _fail_logins(client, count: int, peer: str, forwarded=lambda n: None) -> None:
    for n in range(count):
        extra = {"REMOTE_ADDR": peer}
        if forwarded(n):
            extra["HTTP_X_FORWARDED_FOR"] = forwarded(n)
        # A different account each time: only the per-address limit can apply.
        response = client.post(reverse("account_login"), {"login": f"nobody{n}", "password": "x"}, **extra)
        assert LIMITED not in response.content.decode()


def _login_member(client, personas, peer: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": peer, "HTTP_ACCEPT_LANGUAGE": "en"}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(reverse("account_login"), {"login": "member_a", "password": "pw-member_a"}, **extra)


@pytest.mark.django_db
def test_a_rotated_forwarded_for_from_an_untrusted_peer_does_not_reset_the_login_limit(client, personas):
    _fail_logins(client, 10, "203.0.113.7", forwarded=lambda n: f"198.51.100.{n}")
    response = _login_member(client, personas, "203.0.113.7", forwarded="198.51.100.99")
    assert response.status_code == 200 and LIMITED in response.content.decode()


@pytest.mark.django_db
def test_a_trusted_proxys_forwarded_for_is_honoured(client, personas):
    # Ten clients behind the proxy fail once each; an eleventh logs in: each is counted alone.
    _fail_logins(client, 10, PROXY, forwarded=lambda n: f"198.51.100.{n}")
    response = _login_member(client, personas, PROXY, forwarded="198.51.100.99")
    assert response.status_code == 302


@pytest.mark.django_db
def test_the_proxy_itself_is_limited_when_it_forwards_no_address(client, personas):
    _fail_logins(client, 10, PROXY)
    assert LIMITED in _login_member(client, personas, PROXY).content.decode()


def _seen(peer: str, **headers) -> dict:
    seen = {}

    def view(request):
        seen.update(request.META)
        return HttpResponse()

    ClientAddressMiddleware(view)(RequestFactory().get("/", REMOTE_ADDR=peer, **headers))
    return seen


def test_it_reads_the_chain_from_the_right_past_trusted_proxies_only():
    # The client may prepend anything; the address the first trusted proxy saw is the client.
    meta = _seen(PROXY, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.8, 10.1.2.3")
    assert meta["REMOTE_ADDR"] == "198.51.100.8" and meta["PEER_ADDR"] == PROXY
    assert _seen(PROXY, HTTP_X_FORWARDED_FOR="not an address")["REMOTE_ADDR"] == PROXY


def test_it_drops_forwarded_headers_from_an_untrusted_peer():
    meta = _seen("203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.8", HTTP_X_FORWARDED_PROTO="https")
    assert meta["REMOTE_ADDR"] == "203.0.113.7"
    assert "HTTP_X_FORWARDED_FOR" not in meta and "HTTP_X_FORWARDED_PROTO" not in meta
    assert _seen(PROXY, HTTP_X_FORWARDED_PROTO="https")["HTTP_X_FORWARDED_PROTO"] == "https"


@pytest.mark.django_db
def test_a_rotated_forwarded_for_does_not_reset_the_certificate_lookup_limit(client, monkeypatch):
    monkeypatch.setattr("courses.views.VERIFY_LIMIT", 3)
    statuses = [
        client.get("/certificates/verify/nope/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        for n in range(4)
    ]
    assert [r.status_code for r in statuses] == [404, 404, 404, 429]

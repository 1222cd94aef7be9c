"""/healthz: 200 when the database and a channel-layer round trip work, 503 naming what failed."""

import socket

import pytest
from django.db import OperationalError

import core.views


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db
def test_it_answers_200_when_everything_works(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "channel_layer": "ok"}}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_it_answers_503_naming_the_channel_layer_when_redis_is_unreachable(client, settings):
    # Nothing listens on this port: a channel layer pointed at it cannot do a round trip.
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{free_port()}/0"]},
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["channel_layer"].startswith("error")


@pytest.mark.django_db
def test_it_answers_503_when_no_channel_layer_is_configured(client, settings):
    settings.CHANNEL_LAYERS = {}
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["channel_layer"].startswith("error")


class _DownConnection:
    def cursor(self):
        raise OperationalError("could not connect to server")


@pytest.mark.django_db
def test_it_answers_503_naming_the_database_when_it_fails(client, monkeypatch):
    monkeypatch.setattr(core.views, "connection", _DownConnection())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "checks": {"database": "error: OperationalError", "channel_layer": "ok"},
    }


@pytest.mark.django_db
def test_it_tells_only_the_status_to_a_remote_visitor(client):
    response = client.get("/healthz", REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_it_tells_only_the_status_through_a_proxy_on_this_machine(client):
    # nginx on the same host: the peer is loopback, but the request came from outside.
    response = client.get("/healthz", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_it_answers_a_plain_503_to_a_remote_visitor_when_something_fails(client, settings):
    settings.CHANNEL_LAYERS = {}
    response = client.get("/healthz", REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 503 and response.json() == {"status": "error"}


@pytest.mark.django_db
@pytest.mark.parametrize("staff", [True, False])
def test_it_shows_the_detail_to_staff_anywhere_and_to_no_other_user(client, personas, staff):
    user = personas["member_a"]
    user.is_staff = staff
    user.save()
    client.force_login(user)
    body = client.get("/healthz", REMOTE_ADDR="203.0.113.7").json()
    assert ("checks" in body) is staff

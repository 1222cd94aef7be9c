"""core.middleware.OutboxOwnerMiddleware: a reply kept offline under one account and sent
later with another account's session (a shared phone, a session that expired without a
logout) is refused before any view runs; it is never stored under the other's name."""

import pytest
from django.test import Client

from forum import services
from forum.models import Post


@pytest.fixture
def topic(personas, org):
    return services.topic_create(actor=personas["member_a"], cell=org["cell_a"], title="Máy dùng chung", body="Mở đầu")


def _send(user, topic, owner, text):
    client = Client()
    client.force_login(user)
    return client.post(
        f"/forum/topics/{topic.pk}/",
        {"body": text},
        headers={"X-Requested-With": "fetch", "X-Chibo-User": str(owner.pk)},
    )


@pytest.mark.django_db
def test_an_item_typed_under_another_account_is_refused_and_not_stored(personas, topic):
    response = _send(personas["secretary_a"], topic, personas["member_a"], "Gõ bởi người khác")
    assert response.status_code == 409
    assert response.json() == {"ok": False, "owner": False}
    assert not Post.objects.filter(body_source="Gõ bởi người khác").exists()


@pytest.mark.django_db
def test_an_item_sent_under_its_own_account_goes_through(personas, topic):
    response = _send(personas["member_a"], topic, personas["member_a"], "Gõ bởi chính mình")
    assert response.status_code == 200 and response.json()["ok"]
    assert Post.objects.get(body_source="Gõ bởi chính mình").author == personas["member_a"]

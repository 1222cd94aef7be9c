"""A certificate vouches for the name on the member's record, not a name they chose."""

import pytest
from django.urls import reverse

from courses import services
from courses.models import Certificate
from courses.tests.conftest import complete

pytestmark = pytest.mark.django_db

NOT_VOUCHED = "Giấy chứng nhận không xác nhận họ tên này"


def _verify(client, certificate) -> str:
    response = client.get(reverse("certificate_verify", args=[certificate.code]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_name_the_member_chose_never_reaches_a_certificate(client_as, personas, module):
    member = personas["member_a"]
    response = client_as(member).post(
        reverse("accounts:profile"), {"full_name": "Tên Tự Chọn", "email": member.email, "language": "vi"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    complete(member, module)
    certificate = Certificate.objects.get(user=member)
    assert certificate.holder_name == "Nguyễn Văn Ấn"
    page = _verify(client_as(None), certificate)
    assert "Nguyễn Văn Ấn" in page and "Tên Tự Chọn" not in page and NOT_VOUCHED not in page


def test_a_certificate_issued_after_a_rename_carries_the_official_name(client_as, personas, module):
    member = personas["member_a"]
    membership = member.memberships.get(ended_on__isnull=True)
    renamed = client_as(personas["secretary_a"]).post(
        reverse("cells:membership", args=[membership.pk]), {"action": "name", "full_name": "Nguyễn Văn Ân"}
    )
    assert renamed.status_code == 302
    member.refresh_from_db()
    complete(member, module)
    certificate = Certificate.objects.get(user=member)
    assert certificate.holder_name == "Nguyễn Văn Ân"
    page = _verify(client_as(None), certificate)
    assert "Nguyễn Văn Ân" in page and NOT_VOUCHED not in page


def test_an_older_certificate_with_another_name_no_longer_vouches_for_it(client_as, personas, module):
    # Issued before names were kept by the cell, under a name the member had typed.
    member = personas["member_a"]
    complete(member, module)
    Certificate.objects.filter(user=member).update(holder_name="Tên Tự Chọn")
    old = Certificate.objects.get(user=member)
    page = _verify(client_as(None), old)
    assert "Tên Tự Chọn" in page and NOT_VOUCHED in page
    assert "Nguyễn Văn Ấn" not in page  # the public page does not reveal the name on record
    # The officer reissues: the new certificate carries the name on record; the old one is replaced.
    new = services.certificate_reissue(certificate=old, actor=personas["officer"], reason="Sai họ tên")
    assert new.holder_name == "Nguyễn Văn Ấn"
    assert NOT_VOUCHED not in _verify(client_as(None), new)
    assert NOT_VOUCHED not in _verify(client_as(None), Certificate.objects.get(pk=old.pk))

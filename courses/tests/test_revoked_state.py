"""A revoked or replaced certificate must never look valid to its holder."""

import io
import re
import unicodedata

from django.urls import reverse
from pypdf import PdfReader

from courses import pdf, services
from courses.models import Certificate
from courses.tests.conftest import build_module, complete
from notifications.models import Notification


def _text(data: bytes) -> str:
    return unicodedata.normalize("NFC", PdfReader(io.BytesIO(data)).pages[0].extract_text())


def _issued(personas, org):
    module = build_module(org["committee"])
    complete(personas["member_a"], module)
    return module, Certificate.objects.get(user=personas["member_a"])


def test_it_marks_the_pdf_of_revoked_and_replaced_certificates(personas, org):
    _module, certificate = _issued(personas, org)
    assert "ĐÃ THU HỒI" not in _text(pdf.certificate_pdf(certificate))
    new = services.certificate_reissue(certificate=certificate, actor=personas["officer"])
    certificate.refresh_from_db()
    text = _text(pdf.certificate_pdf(certificate))
    assert "ĐÃ ĐƯỢC THAY THẾ" in text
    assert "ĐÃ THU HỒI" not in _text(pdf.certificate_pdf(new))
    services.certificate_revoke(certificate=new, actor=personas["officer"], reason="Cấp nhầm")
    new.refresh_from_db()
    assert "ĐÃ THU HỒI" in _text(pdf.certificate_pdf(new))


def test_it_shows_the_revoked_state_instead_of_a_download(client_as, personas, org):
    module, certificate = _issued(personas, org)
    services.certificate_revoke(certificate=certificate, actor=personas["officer"], reason="Cấp nhầm người")
    client = client_as(personas["member_a"])
    download = reverse("courses:certificate_pdf", args=[certificate.pk])
    for url in (reverse("courses:list"), reverse("courses:module", args=[module.pk])):
        page = client.get(url).content.decode()
        assert "Đã thu hồi" in page, url
        assert download not in page, url
    page = client.get(reverse("courses:certificates")).content.decode()
    assert "Đã thu hồi" in page
    assert not re.search(r'class="button primary" href="' + re.escape(download), page)


def test_it_shows_the_replaced_state_with_the_new_certificate(client_as, personas, org):
    _module, certificate = _issued(personas, org)
    new = services.certificate_reissue(certificate=certificate, actor=personas["officer"])
    page = client_as(personas["member_a"]).get(reverse("courses:certificates")).content.decode()
    old_download = reverse("courses:certificate_pdf", args=[certificate.pk])
    assert "Đã được thay thế" in page
    assert not re.search(r'class="button primary" href="' + re.escape(old_download), page)
    assert reverse("courses:certificate_pdf", args=[new.pk]) in page


def test_it_notifies_the_holder_of_revocation_and_reissue(personas, org, django_capture_on_commit_callbacks):
    _module, certificate = _issued(personas, org)
    holder = personas["member_a"]
    before = Notification.objects.filter(user=holder).count()
    with django_capture_on_commit_callbacks(execute=True):
        new = services.certificate_reissue(certificate=certificate, actor=personas["officer"])
    assert Notification.objects.filter(user=holder).count() == before + 1
    with django_capture_on_commit_callbacks(execute=True):
        services.certificate_revoke(certificate=new, actor=personas["officer"], reason="Cấp nhầm")
    notes = list(Notification.objects.filter(user=holder).order_by("-id")[:2])
    assert len(notes) == 2 and Notification.objects.filter(user=holder).count() == before + 2
    assert "Cấp nhầm" in notes[0].message


def test_it_asks_for_confirmation_before_revoking(client_as, personas, org):
    _module, certificate = _issued(personas, org)
    client = client_as(personas["officer"])
    page = client.get(reverse("courses:certificate", args=[certificate.pk])).content.decode()
    assert 'id="id_reason"' not in page
    assert 'id="id_revoke-reason"' in page and 'id="id_reissue-reason"' in page
    assert 'class="button danger"' in page
    url = reverse("courses:certificate_revoke", args=[certificate.pk])
    response = client.post(url, {"revoke-reason": "Cấp nhầm người"})
    assert response.status_code == 400
    assert "Cấp nhầm người</textarea>" in response.content.decode()  # the reason typed is kept
    assert response.context["revoke_form"].errors["confirm"]
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.VALID
    client.post(url, {"revoke-reason": "Cấp nhầm người", "revoke-confirm": "on"})
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.REVOKED

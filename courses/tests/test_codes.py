"""Verification codes: short, readable, typed in any case; old codes keep verifying; odd input
never reaches the database or fails with a 500."""

import io
import unicodedata

import pytest
from django.urls import reverse
from pypdf import PdfReader

from courses import codes
from courses.models import Certificate
from courses.pdf import certificate_pdf
from courses.tests.conftest import build_module, complete

FORM = "/certificates/verify/"
OLD_CODE = "aB3_x-Yz09QwErTyUiOpAsDfGhJkLzXc"  # 32 characters as issued before (token_urlsafe(24))


@pytest.fixture
def certificate(personas, org):
    module = build_module(org["committee"])
    complete(personas["member_a"], module)
    return Certificate.objects.get(user=personas["member_a"])


def test_new_codes_are_16_readable_characters_shown_in_groups(certificate):
    code = certificate.code
    assert len(code) == 16 and set(code) <= set(codes.ALPHABET)
    assert not set(code) & set("ILOU")
    shown = certificate.code_display
    assert shown == "-".join([code[0:4], code[4:8], code[8:12], code[12:16]])
    assert len({codes.new_code() for _ in range(200)}) == 200


def test_the_pdf_prints_the_grouped_code_and_a_short_link(certificate):
    text = unicodedata.normalize("NFC", PdfReader(io.BytesIO(certificate_pdf(certificate))).pages[0].extract_text())
    assert certificate.code_display in text
    assert f"/certificates/verify/{certificate.code}/" in text


def _variants(code: str) -> list[str]:
    grouped = codes.display(code)
    return [
        code,
        code.lower(),
        grouped,
        grouped.lower(),
        " ".join(grouped.split("-")),
        f"  {grouped}  ",
        "-".join(code[i : i + 2] for i in range(0, 16, 2)),
    ]


def test_any_case_and_separators_find_the_certificate_by_link_and_by_form(client_as, certificate):
    client = client_as(None)
    for typed in _variants(certificate.code):
        response = client.get(FORM, {"code": typed})
        assert response.status_code == 200, typed
        assert certificate.serial in response.content.decode()
        assert client.get(reverse("certificate_verify", args=[typed.strip()])).status_code == 200, typed


def test_look_alike_letters_read_as_digits(client_as, certificate):
    Certificate.objects.filter(pk=certificate.pk).update(code="10ABCDEFGHJKMN01")
    client = client_as(None)
    for typed in ("IOAB-CDEF-GHJK-MNOI", "lo ab cd ef gh jk mn oL", "1Oabcdefghjkmn0l"):
        response = client.get(FORM, {"code": typed})
        assert response.status_code == 200, typed
        assert certificate.serial in response.content.decode()


def test_old_32_character_codes_keep_verifying_exactly(client_as, certificate):
    Certificate.objects.filter(pk=certificate.pk).update(code=OLD_CODE)
    client = client_as(None)
    assert client.get(reverse("certificate_verify", args=[OLD_CODE])).status_code == 200
    response = client.get(FORM, {"code": f" {OLD_CODE} "})
    assert response.status_code == 200 and certificate.serial in response.content.decode()
    # Old codes are case-sensitive: another case is another code.
    assert client.get(reverse("certificate_verify", args=[OLD_CODE.swapcase()])).status_code == 404


def test_the_form_page_has_a_code_field_and_works_without_script(client_as, db):
    response = client_as(None).get(FORM)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'method="get"' in body and 'name="code"' in body
    assert "Mã xác minh" in body  # the label, in Vietnamese
    assert response["X-Robots-Tag"].startswith("noindex")


def test_an_unknown_code_says_so_and_offers_the_form_again(client_as, certificate):
    typed = "7K3M-Q9TD-X2HV-RB5W" if certificate.code != "7K3MQ9TDX2HVRB5W" else "7K3M-Q9TD-X2HV-RB5X"
    response = client_as(None).get(FORM, {"code": typed})
    body = response.content.decode()
    assert response.status_code == 404
    assert "Không tìm thấy giấy chứng nhận" in body
    assert f'value="{typed}"' in body  # what was typed is kept


@pytest.mark.parametrize(
    "typed",
    ["", "   ", "abc", "\x00", "7K3M\x00Q9TD", "7K3M-Q9TD-X2HV-RB5W-7K3M", "ĐĐĐĐ-ĐĐĐĐ-ĐĐĐĐ-ĐĐĐĐ", "U" * 16, "x" * 500],
)
def test_odd_input_gets_a_clear_message_never_a_500(client_as, certificate, typed):
    response = client_as(None).get(FORM, {"code": typed})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'class="errorlist' in body
    assert "mã xác minh" in body.lower()


@pytest.mark.parametrize("typed", ["%00", "7K3M%00Q9TD", "a%00" * 20, "%C4%90" * 16, "x" * 300])
def test_odd_links_answer_404_never_a_500(client_as, certificate, typed):
    response = client_as(None).get(f"/certificates/verify/{typed}/")
    assert response.status_code == 404


def test_the_form_counts_against_the_same_per_ip_limit(client_as, certificate):
    client = client_as(None)
    statuses = [client.get(FORM, {"code": certificate.code}).status_code for _ in range(31)]
    assert statuses.count(200) == 30 and statuses[-1] == 429
    assert client.get(reverse("certificate_verify", args=[certificate.code])).status_code == 429


def test_a_refused_look_up_says_how_many_seconds_are_left(client_as, certificate, monkeypatch):
    from types import SimpleNamespace

    from core import ratelimit

    now = [1_800_000_000.0]
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: now[0]))
    client = client_as(None)
    assert [client.get(FORM, {"code": certificate.code}).status_code for _ in range(30)] == [200] * 30
    now[0] += 20
    refused = client.get(FORM, {"code": certificate.code})
    assert refused.status_code == 429 and refused["Retry-After"] == "40"  # the window's rest, not a minute


def test_my_certificates_links_to_the_form(client_as, personas, certificate):
    body = client_as(personas["member_a"]).get(reverse("courses:certificates")).content.decode()
    assert f'href="{FORM}"' in body

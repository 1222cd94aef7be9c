import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from cells.models import OrgUnit


@pytest.mark.parametrize("code", ["", "QT", "QT2020", "ABCDEFGHIJ12"])
def test_it_accepts_short_capital_codes(org, code):
    unit = org["committee"]
    unit.code = code
    unit.full_clean()  # raises ValidationError if refused
    unit.save()
    unit.refresh_from_db()
    assert unit.code == code


@pytest.mark.parametrize("code", ["qt", "Q T", "QT/..", "QT-1", "ĐB", "../x"])
def test_it_refuses_other_codes_with_a_vietnamese_message(org, code):
    unit = org["committee"]
    unit.code = code
    with translation.override("vi"), pytest.raises(ValidationError) as exc:
        unit.full_clean()
    message = exc.value.message_dict["code"][0]
    assert "Use at most 12 capital letters" not in message and "chữ in hoa" in message


def test_it_refuses_a_code_longer_than_twelve(org):
    unit = OrgUnit(name="x", kind=OrgUnit.Kind.CELL, code="ABCDEFGHIJKLM", path="ZZZZ", depth=1)
    with pytest.raises(ValidationError):
        unit.full_clean()

"""core.reminders (the one reminder throttle) and core.errors (the one refusal type)."""

import datetime

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from core import reminders
from core.errors import ServiceError, user_message


def test_a_round_may_go_when_none_was_sent():
    assert reminders.next_at(None) is None
    reminders.check(None)


def test_a_round_within_the_hour_is_refused_with_when_the_next_may_go():
    last = timezone.now() - datetime.timedelta(minutes=20)
    assert reminders.next_at(last) == last + reminders.REMIND_EVERY
    with translation.override("vi"), pytest.raises(reminders.RemindTooSoon) as refused:
        reminders.check(last)
    assert refused.value.next_at == last + reminders.REMIND_EVERY
    expected = timezone.localtime(last + reminders.REMIND_EVERY).strftime("%H:%M")
    assert user_message(refused.value) == f"Nhắc nhở đã được gửi trong vòng một giờ qua; có thể gửi lại sau {expected}."


def test_a_round_an_hour_later_may_go():
    last = timezone.now() - reminders.REMIND_EVERY
    assert reminders.next_at(last) is None
    reminders.check(last)


def test_a_refusal_is_a_validation_error_that_forms_show():
    class Form(forms.Form):
        name = forms.CharField()

        def clean_name(self):
            raise ServiceError("Không được.", {"name": "Sai."}, code="no")

    form = Form({"name": "x"})
    assert not form.is_valid()
    assert form.errors["name"] == ["Không được."]
    refusal = ServiceError("Không được.", {"name": "Sai."})
    assert isinstance(refusal, ValidationError)
    assert refusal.message == "Không được." and refusal.errors == {"name": "Sai."}
    assert user_message(refusal) == "Không được."

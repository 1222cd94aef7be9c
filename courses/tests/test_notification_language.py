from django.utils import translation

from conftest import make_member
from courses import services
from courses.models import Certificate
from courses.tests.conftest import build_module, complete
from notifications.models import Notification


def test_it_reminds_each_member_in_their_own_language(personas, org):
    module = build_module(org["committee"], title="Chuyên đề 2020")
    secretary = personas["secretary_a"]
    secretary.language = "en"
    secretary.save(update_fields=["language"])
    vi_member = make_member("late_vi", org["cell_a"], language="vi")
    en_member = make_member("late_en", org["cell_a"], language="en")
    with translation.override("en"):  # the sender's language
        services.reminders_send(actor=secretary, cell=org["cell_a"], module=module)
    vi_note = Notification.objects.get(user=vi_member, kind="courses.reminder")
    en_note = Notification.objects.get(user=en_member, kind="courses.reminder")
    assert vi_note.message.startswith("Nhắc nhở: đề nghị đồng chí hoàn thành chuyên đề học tập")
    assert en_note.message.startswith("Reminder: please finish the study module")


def test_it_tells_of_revocation_in_the_holder_language(personas, org, django_capture_on_commit_callbacks):
    module = build_module(org["committee"])
    with django_capture_on_commit_callbacks(execute=True):
        complete(personas["member_a"], module)
    certificate = Certificate.objects.get(user=personas["member_a"])
    issued = Notification.objects.get(user=personas["member_a"], kind="courses.certificate")
    assert "của đồng chí đã được cấp" in issued.message
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        services.certificate_revoke(certificate=certificate, actor=personas["officer"], reason="Sai tên")
    revoked = Notification.objects.filter(user=personas["member_a"], kind="courses.certificate").latest("pk")
    assert revoked.message.startswith("Giấy chứng nhận số") and "Sai tên" in revoked.message

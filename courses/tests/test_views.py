import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import make_member
from courses import services
from courses.models import Attempt, Certificate, Choice, ModuleProgress
from courses.tests.conftest import build_module, complete, right_answers, wrong_answers


@pytest.fixture
def setup(personas, org):
    module = build_module(org["committee"])  # audience: cells A and B, not C
    lesson = module.lessons.first()
    document = services.document_add(
        lesson=lesson, title="Tài liệu", file=SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n")
    )
    complete(personas["member_a"], module)
    attempt = Attempt.objects.get(user=personas["member_a"])
    certificate = Certificate.objects.get(user=personas["member_a"])
    member_c = make_member("member_c", org["cell_c"], full_name="Hồ Thị Cúc")
    return {
        "module": module,
        "lesson": lesson,
        "document": document,
        "attempt": attempt,
        "certificate": certificate,
        "member_c": member_c,
    }


def _remind_data(setup) -> dict:
    """The report's one-click reminder for the module (the old progress page's button)."""
    return {"item": f"module:{setup['module'].pk}", "year": setup["module"].year}


def test_it_lists_modules_with_state(client_as, personas, setup):
    response = client_as(personas["member_a"]).get(reverse("courses:list"))
    assert response.status_code == 200
    assert setup["module"].title in response.content.decode()
    assert "state-completed" in response.content.decode()
    response = client_as(personas["member_b"]).get(reverse("courses:list"))
    assert "state-not_started" in response.content.decode()


def test_it_hides_modules_from_cells_outside_the_audience(client_as, personas, setup):
    module = setup["module"]
    client = client_as(setup["member_c"])
    assert module.title not in client.get(reverse("courses:list")).content.decode()
    for url in (
        reverse("courses:module", args=[module.pk]),
        reverse("courses:lesson", args=[setup["lesson"].pk]),
        reverse("courses:document", args=[setup["document"].pk]),
    ):
        assert client.get(url).status_code == 404
    assert client.post(reverse("courses:quiz_start", args=[module.pk])).status_code == 404
    assert client.post(reverse("courses:lesson_read", args=[setup["lesson"].pk])).status_code == 404


def test_it_hides_unpublished_modules_from_members(client_as, personas, org):
    module = build_module(org["committee"], publish_from=None)
    assert client_as(personas["member_a"]).get(reverse("courses:module", args=[module.pk])).status_code == 404
    assert client_as(personas["officer"]).get(reverse("courses:module", args=[module.pk])).status_code == 200


def test_it_serves_documents_as_downloads_to_the_audience_only(client_as, personas, setup):
    url = reverse("courses:document", args=[setup["document"].pk])
    response = client_as(personas["member_b"]).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    for persona in ("outsider",):
        assert client_as(personas[persona]).get(url).status_code == 404
    assert client_as(setup["member_c"]).get(url).status_code == 404
    assert client_as(None).get(url).status_code == 302  # to the login page


def test_it_refuses_others_attempts_and_certificates(client_as, personas, setup):
    attempt_url = reverse("courses:attempt", args=[setup["attempt"].pk])
    certificate = setup["certificate"]
    for persona in ("member_b", "outsider", "secretary_a", "officer"):
        client = client_as(personas[persona])
        assert client.get(attempt_url).status_code == 404, persona
        assert client.post(attempt_url, {}).status_code == 404, persona
    for persona in ("member_b", "outsider"):
        client = client_as(personas[persona])
        assert client.get(reverse("courses:certificate", args=[certificate.pk])).status_code == 404
        assert client.get(reverse("courses:certificate_pdf", args=[certificate.pk])).status_code == 404
    client = client_as(setup["member_c"])
    assert client.get(reverse("courses:certificate_pdf", args=[certificate.pk])).status_code == 404
    # The cell's secretary and the officer over it may see it (the secretary's ZIP holds it).
    assert (
        client_as(personas["secretary_a"]).get(reverse("courses:certificate_pdf", args=[certificate.pk])).status_code
        == 200
    )


def test_it_refuses_revocation_to_all_but_officers_over_the_issuer(client_as, personas, setup):
    certificate = setup["certificate"]
    url = reverse("courses:certificate_revoke", args=[certificate.pk])
    assert client_as(personas["member_a"]).post(url, {"reason": "x"}).status_code == 403
    assert client_as(personas["secretary_a"]).post(url, {"reason": "x"}).status_code == 403
    assert client_as(personas["member_b"]).post(url, {"reason": "x"}).status_code == 404
    reissue = reverse("courses:certificate_reissue", args=[certificate.pk])
    assert client_as(personas["member_a"]).post(reissue).status_code == 403
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.VALID
    response = client_as(personas["officer"]).post(url, {"revoke-reason": "Cấp nhầm người", "revoke-confirm": "on"})
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.REVOKED


def test_it_runs_a_quiz_through_the_form(client_as, personas, setup):
    module = setup["module"]
    client = client_as(personas["member_b"])
    response = client.post(reverse("courses:quiz_start", args=[module.pk]))
    attempt = Attempt.objects.get(user=personas["member_b"])
    assert response.url == reverse("courses:attempt", args=[attempt.pk])
    page = client.get(response.url).content.decode()
    for qid in attempt.question_ids:
        assert f'name="q{qid}"' in page
    again = client.post(reverse("courses:quiz_start", args=[module.pk]))
    assert again.url == response.url  # reload: same attempt, same questions
    data = {f"q{qid}": ids for qid, ids in wrong_answers(attempt).items()}
    client.post(response.url, data)
    attempt.refresh_from_db()
    assert attempt.is_graded and attempt.passed is False
    review = client.get(response.url).content.decode()
    assert "Vì." not in review  # the key waits until passed or out of attempts
    assert "Sai" in review  # but which answers were wrong is shown
    data = {f"q{qid}": ids for qid, ids in right_answers(attempt).items()}
    client.post(response.url, data)  # a resubmission of the graded attempt
    attempt.refresh_from_db()
    assert attempt.passed is False
    assert ModuleProgress.objects.get(user=personas["member_b"]).attempts == 1


def test_it_refuses_tampered_form_values(client_as, personas, setup):
    module = setup["module"]
    client = client_as(personas["member_b"])
    client.post(reverse("courses:quiz_start", args=[module.pk]))
    attempt = Attempt.objects.get(user=personas["member_b"])
    url = reverse("courses:attempt", args=[attempt.pk])
    data = {f"q{qid}": ids for qid, ids in right_answers(attempt).items()}
    first, second = attempt.question_ids[:2]
    data[f"q{first}"] = [Choice.objects.filter(question_id=second).first().pk]
    client.post(url, data)
    attempt.refresh_from_db()
    assert not attempt.is_graded
    assert client.post(url, {f"q{first}": "abc"}).status_code == 400
    attempt.refresh_from_db()
    assert not attempt.is_graded


def test_it_reads_lessons_and_shows_progress(client_as, personas, setup):
    client = client_as(personas["member_b"])
    lesson = setup["lesson"]
    assert client.get(reverse("courses:lesson", args=[lesson.pk])).status_code == 200
    client.post(reverse("courses:lesson_read", args=[lesson.pk]))
    assert ModuleProgress.objects.get(user=personas["member_b"]).lessons_read == 1
    # The officer may look at lessons but is not a learner.
    assert client_as(personas["officer"]).post(reverse("courses:lesson_read", args=[lesson.pk])).status_code == 403


def test_it_verifies_publicly_with_noindex(client_as, setup):
    certificate = setup["certificate"]
    client = client_as(None)
    response = client.get(reverse("certificate_verify", args=[certificate.code]))
    body = response.content.decode()
    assert response.status_code == 200
    assert response["X-Robots-Tag"].startswith("noindex")
    assert '<meta name="robots" content="noindex' in body
    assert certificate.holder_name in body and certificate.serial in body and "status-valid" in body
    response = client.get(reverse("certificate_verify", args=["khong-co-ma-nay"]))
    assert response.status_code == 404
    assert response["X-Robots-Tag"].startswith("noindex")


def test_it_shows_revoked_and_replaced_on_verification(client_as, personas, setup):
    certificate = setup["certificate"]
    services.certificate_revoke(certificate=certificate, actor=personas["officer"], reason="Sai thông tin")
    body = client_as(None).get(reverse("certificate_verify", args=[certificate.code])).content.decode()
    assert "status-revoked" in body and "Sai thông tin" in body
    other = build_module(certificate.module.audience, title="Chuyên đề khác")
    complete(personas["member_b"], other)
    old = Certificate.objects.get(user=personas["member_b"])
    new = services.certificate_reissue(certificate=old, actor=personas["officer"])
    body = client_as(None).get(reverse("certificate_verify", args=[old.code])).content.decode()
    assert "status-replaced" in body
    assert reverse("certificate_verify", args=[new.code]) in body


def test_it_rate_limits_verification_per_ip(client_as, setup):
    client = client_as(None)
    url = reverse("certificate_verify", args=[setup["certificate"].code])
    statuses = [client.get(url).status_code for _ in range(35)]
    assert statuses[0] == 200
    assert statuses[-1] == 429
    assert statuses.count(200) == 30
    other_ip = client.get(url, REMOTE_ADDR="10.0.0.9")
    assert other_ip.status_code == 200


def test_the_old_cell_progress_pages_redirect_to_the_report_and_refuse_as_before(client_as, personas, setup, org):
    """Study progress is in the cell's report now: the old addresses redirect there (for good),
    after the report's own check, so a refused persona learns nothing from a redirect."""
    cell = org["cell_a"].pk
    targets = {"cell_progress": reverse("reports:unit", args=[cell])}
    targets["cell_progress_csv"] = reverse("reports:unit_csv", args=[cell])
    for name, target in targets.items():
        url = reverse(f"courses:{name}", args=[cell])
        for persona in ("member_b", "outsider"):
            assert client_as(personas[persona]).get(url).status_code == 404, persona
        assert client_as(setup["member_c"]).get(url).status_code == 404
        assert client_as(personas["member_a"]).get(url).status_code == 403  # their own cell, not its report
        for persona in ("secretary_a", "officer"):
            response = client_as(personas[persona]).get(url + "?year=2020")
            assert response.status_code == 301 and response["Location"] == target + "?year=2020", persona
    assert client_as(personas["member_b"]).get(reverse("courses:cell_certificates_zip", args=[cell])).status_code == 404
    other = reverse("courses:cell_progress", args=[org["cell_b"].pk])
    assert client_as(personas["secretary_a"]).get(other).status_code == 404  # not the secretary's cell


def test_it_zips_the_cells_certificates(client_as, personas, setup, org):
    import io
    import zipfile

    response = client_as(personas["secretary_a"]).get(reverse("courses:cell_certificates_zip", args=[org["cell_a"].pk]))
    assert response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert names == [f"Nguyen-Van-An_{setup['certificate'].serial}.pdf"]


def test_it_sends_reminders_from_the_cell_table(client_as, personas, setup, org):
    from notifications.models import Notification

    late = make_member("late_a", org["cell_a"], full_name="Phạm Văn Chậm")
    remind = reverse("reports:remind", args=[org["cell_a"].pk])
    assert client_as(personas["secretary_a"]).post(remind, _remind_data(setup)).status_code == 302
    assert Notification.objects.filter(kind="courses.reminder", user=late).count() == 1
    # Never the leader who sends it, never a member who has completed the module.
    assert not Notification.objects.filter(kind="courses.reminder", user=personas["secretary_a"]).exists()
    assert not Notification.objects.filter(kind="courses.reminder", user=personas["member_a"]).exists()


def test_it_sends_course_reminders_at_most_once_an_hour(client_as, personas, setup, org):
    import datetime

    from django.utils import timezone

    from courses.models import CourseReminder
    from notifications.models import Notification

    late = make_member("late_a", org["cell_a"], full_name="Phạm Văn Chậm")
    remind = reverse("reports:remind", args=[org["cell_a"].pk])
    client = client_as(personas["secretary_a"])
    client.post(remind, _remind_data(setup))
    response = client.post(remind, _remind_data(setup), follow=True)
    assert Notification.objects.filter(kind="courses.reminder", user=late).count() == 1
    # The refusal says when they can be sent again.
    refusal = [str(m) for m in response.context["messages"]]
    next_at = timezone.localtime(CourseReminder.objects.get().created_at + datetime.timedelta(hours=1))
    assert next_at.strftime("%H:%M") in refusal[-1]
    assert refusal[-1] in response.content.decode()
    # An hour later they may be sent again.
    CourseReminder.objects.update(created_at=timezone.now() - datetime.timedelta(hours=1, seconds=1))
    client.post(remind, _remind_data(setup))
    assert Notification.objects.filter(kind="courses.reminder", user=late).count() == 2
    assert CourseReminder.objects.filter(cell=org["cell_a"], module=setup["module"]).count() == 2


@pytest.mark.parametrize("persona", ["member_a", "member_b", "outsider", "other_officer", "other_secretary"])
def test_it_refuses_cell_remind_to_those_who_do_not_lead_the_cell(client_as, personas, setup, org, persona):
    import datetime

    from cells.models import CommitteeRole
    from conftest import make_user
    from notifications.models import Notification

    make_member("late_a", org["cell_a"])
    if persona == "other_officer":
        user = make_user("other_officer")
        CommitteeRole.objects.create(user=user, unit=org["other_committee"], started_on=datetime.date(2020, 1, 1))
    elif persona == "other_secretary":
        user = make_member("other_secretary", org["cell_b"], role="secretary")
    else:
        user = personas[persona]
    remind = reverse("reports:remind", args=[org["cell_a"].pk])
    assert client_as(user).post(remind, _remind_data(setup)).status_code in (403, 404)
    assert not Notification.objects.filter(kind="courses.reminder").exists()


def test_it_refuses_cell_remind_to_anonymous_visitors(client_as, setup, org):
    from notifications.models import Notification

    remind = reverse("reports:remind", args=[org["cell_a"].pk])
    response = client_as(None).post(remind, _remind_data(setup))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Notification.objects.filter(kind="courses.reminder").exists()


def test_it_checks_the_reminder_permission_in_the_service(personas, setup, org):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.reminders_send(actor=personas["member_a"], cell=org["cell_a"], module=setup["module"])


def test_the_old_committee_progress_pages_redirect_to_the_report(client_as, personas, setup, org):
    unit = org["committee"].pk
    for name, target in (("committee_progress", "reports:unit"), ("committee_progress_csv", "reports:unit_csv")):
        url = reverse(f"courses:{name}", args=[unit])
        for persona in ("member_a", "secretary_a", "member_b", "outsider"):
            assert client_as(personas[persona]).get(url).status_code in (403, 404), persona
        response = client_as(personas["officer"]).get(url)
        assert response.status_code == 301 and response["Location"] == reverse(target, args=[unit])
        province = reverse(f"courses:{name}", args=[org["province"].pk])
        assert client_as(personas["officer"]).get(province).status_code == 404  # above the officer's node


def test_it_lists_the_members_certificates(client_as, personas, setup):
    body = client_as(personas["member_a"]).get(reverse("courses:certificates")).content.decode()
    assert setup["certificate"].serial in body
    body = client_as(personas["member_b"]).get(reverse("courses:certificates")).content.decode()
    assert setup["certificate"].serial not in body


def test_the_old_progress_index_redirects_to_the_reports(client_as, personas, setup, org):
    for persona in ("secretary_a", "officer"):
        response = client_as(personas[persona]).get(reverse("courses:progress"))
        assert response.status_code == 301 and response["Location"] == reverse("reports:start")
    for persona in ("member_a", "outsider"):
        assert client_as(personas[persona]).get(reverse("courses:progress")).status_code == 404


def test_reports_and_new_module_links_follow_the_named_predicates(client_as, personas, setup, django_user_model):
    """The module list and the menu link to the reports for whoever the old progress page
    opened for (courses.permissions.can_open_progress), a site admin included; the old page
    sends them there and stays 404 for the others. "New study module" only to someone who can
    reach the admin."""
    progress = reverse("courses:progress")
    reports = reverse("reports:start")
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "x")
    for name, user, expected in [
        ("member_a", personas["member_a"], False),
        ("secretary_a", personas["secretary_a"], True),
        ("officer", personas["officer"], True),
        ("admin", admin, True),
    ]:
        body = client_as(user).get(reverse("courses:list")).content.decode()
        assert (f'href="{reports}"' in body) == expected, name
        assert f'href="{progress}"' not in body, name
        assert client_as(user).get(progress).status_code == (301 if expected else 404), name
    add = reverse("admin:courses_module_add")
    assert add not in client_as(personas["officer"]).get(reverse("courses:list")).content.decode()
    assert add in client_as(admin).get(reverse("courses:list")).content.decode()
    assert reverse("courses:list") not in client_as(personas["outsider"]).get(reverse("home")).content.decode()
    assert f'href="{reports}"' in client_as(admin).get(reverse("home")).content.decode()  # the menu


def test_it_shows_unfinished_modules_on_the_home_page(client_as, personas, setup):
    body = client_as(personas["member_b"]).get(reverse("home")).content.decode()
    assert setup["module"].title in body
    body = client_as(personas["member_a"]).get(reverse("home")).content.decode()
    assert "courses/_home_section" not in body and setup["module"].title not in body


def test_it_hides_the_review_when_the_module_does_not_show_answers(client_as, personas, org):
    module = build_module(org["committee"], show_answers=False)
    client = client_as(personas["member_b"])
    client.post(reverse("courses:quiz_start", args=[module.pk]))
    attempt = Attempt.objects.get(user=personas["member_b"], module=module)
    url = reverse("courses:attempt", args=[attempt.pk])
    client.post(url, {f"q{qid}": ids for qid, ids in wrong_answers(attempt).items()})
    body = client.get(url).content.decode()
    assert "quiz-result" in body
    assert "Vì." not in body and "choices-review" not in body


def test_it_emails_reminders_after_commit(
    client_as, personas, setup, org, django_capture_on_commit_callbacks, mailoutbox
):
    late = make_member("late_a", org["cell_a"])
    remind = reverse("reports:remind", args=[org["cell_a"].pk])
    with django_capture_on_commit_callbacks(execute=True):
        client_as(personas["secretary_a"]).post(remind, _remind_data(setup))
    assert [message.to for message in mailoutbox] == [[late.email]]


def test_it_cleans_lesson_markdown_once_when_saved(org):
    from courses.models import Lesson

    module = build_module(org["committee"], lessons=0, publish_from=None)
    lesson = services.lesson_save(
        lesson=Lesson(module=module, title="X", body="**Đậm** <script>alert(1)</script> [a](javascript:alert(1))")
    )
    assert "<strong>Đậm</strong>" in lesson.body_html
    assert "<script" not in lesson.body_html and "&lt;script&gt;" in lesson.body_html
    assert 'href="javascript' not in lesson.body_html


def test_it_keeps_the_choice_order_of_an_attempt_on_reload(client_as, personas, setup):
    client = client_as(personas["member_b"])
    url = client.post(reverse("courses:quiz_start", args=[setup["module"].pk])).url
    first, again = client.get(url).content.decode(), client.get(url).content.decode()
    pattern = r'name="q\d+" value="(\d+)"'
    assert re.findall(pattern, first) == re.findall(pattern, again)
    assert len(re.findall(pattern, first)) == 12


def test_it_marks_overdue_modules(client_as, personas, org):
    import datetime

    build_module(org["committee"], due_on=datetime.date(2020, 12, 31))
    body = client_as(personas["member_a"]).get(reverse("courses:list")).content.decode()
    assert "tag overdue" in body

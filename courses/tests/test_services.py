import random

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from conftest import make_member
from courses import codes, services
from courses.models import Attempt, Certificate, CertificateEvent, Choice, ModuleProgress, Question
from courses.tests.conftest import build_module, complete, right_answers, wrong_answers


def test_it_grades_single_and_multiple_choice(personas, module):
    user = personas["member_a"]
    attempt = services.attempt_start(user=user, module=module)
    answers = right_answers(attempt)
    multiple = Question.objects.get(module=module, kind=Question.Kind.MULTIPLE)
    # Only one of the two right answers of the multiple-choice question: that question is wrong.
    answers[multiple.pk] = answers[multiple.pk][:1]
    graded, now = services.attempt_submit(user=user, attempt=attempt, answers=answers)
    assert now is True
    assert graded.correct == 3
    assert graded.score == 75
    assert graded.passed is True  # pass mark 75


def test_it_fails_below_the_pass_mark_and_records_best_score(personas, module):
    user = personas["member_a"]
    first = services.attempt_start(user=user, module=module)
    services.attempt_submit(user=user, attempt=first, answers=wrong_answers(first))
    first.refresh_from_db()
    assert first.score == 0 and first.passed is False
    second = services.attempt_start(user=user, module=module)
    assert second.pk != first.pk and second.number == 2
    services.attempt_submit(user=user, attempt=second, answers=right_answers(second))
    progress = ModuleProgress.objects.get(user=user, module=module)
    assert progress.attempts == 2
    assert progress.best_score == 100
    assert progress.passed_at is not None


def test_it_keeps_the_same_draw_for_an_open_attempt(personas, org):
    module = build_module(org["committee"], questions=10, per_attempt=4)
    user = personas["member_a"]
    attempt = services.attempt_start(user=user, module=module, rng=random.Random(1))
    again = services.attempt_start(user=user, module=module, rng=random.Random(2))
    assert again.pk == attempt.pk
    assert again.question_ids == attempt.question_ids
    assert len(attempt.question_ids) == 4 and len(set(attempt.question_ids)) == 4


def test_it_draws_at_random_between_attempts(personas, org):
    module = build_module(org["committee"], questions=12, per_attempt=3, pass_mark=100)
    user = personas["member_a"]
    draws = set()
    for _ in range(6):
        attempt = services.attempt_start(user=user, module=module)
        draws.add(tuple(sorted(attempt.question_ids)))
        services.attempt_submit(user=user, attempt=attempt, answers=wrong_answers(attempt))
    assert len(draws) > 1


def test_it_enforces_the_attempts_limit(personas, org):
    module = build_module(org["committee"], attempts_allowed=2)
    user = personas["member_a"]
    for _ in range(2):
        attempt = services.attempt_start(user=user, module=module)
        services.attempt_submit(user=user, attempt=attempt, answers=wrong_answers(attempt))
    with pytest.raises(services.QuizRefused):
        services.attempt_start(user=user, module=module)
    assert Attempt.objects.filter(user=user, module=module).count() == 2


def test_it_refuses_a_new_attempt_after_passing(personas, module):
    user = personas["member_a"]
    complete(user, module)
    with pytest.raises(services.QuizRefused):
        services.attempt_start(user=user, module=module)


def test_it_counts_a_double_submit_once(personas, module):
    user = personas["member_a"]
    attempt = services.attempt_start(user=user, module=module)
    stale = Attempt.objects.get(pk=attempt.pk)  # the second click's copy, loaded before grading
    services.attempt_submit(user=user, attempt=attempt, answers=wrong_answers(attempt))
    graded, now = services.attempt_submit(user=user, attempt=stale, answers=right_answers(stale))
    assert now is False
    assert graded.score == 0  # the first submission stands
    assert ModuleProgress.objects.get(user=user, module=module).attempts == 1


def test_it_refuses_a_choice_from_another_question(personas, module):
    user = personas["member_a"]
    attempt = services.attempt_start(user=user, module=module)
    answers = right_answers(attempt)
    first, second = attempt.question_ids[:2]
    answers[first] = [Choice.objects.filter(question_id=second).first().pk]
    with pytest.raises(services.AnswerRefused):
        services.attempt_submit(user=user, attempt=attempt, answers=answers)
    attempt.refresh_from_db()
    assert attempt.submitted_at is None


def test_it_refuses_a_question_not_drawn_and_two_answers_to_a_single(personas, org):
    module = build_module(org["committee"], questions=6, per_attempt=3)
    user = personas["member_a"]
    attempt = services.attempt_start(user=user, module=module)
    other = Question.objects.filter(module=module).exclude(pk__in=attempt.question_ids).first()
    answers = right_answers(attempt)
    answers[other.pk] = [other.choices.first().pk]
    with pytest.raises(services.AnswerRefused):
        services.attempt_submit(user=user, attempt=attempt, answers=answers)
    single = Question.objects.filter(pk__in=attempt.question_ids, kind=Question.Kind.SINGLE).first()
    answers = right_answers(attempt)
    answers[single.pk] = list(single.choices.values_list("pk", flat=True))
    with pytest.raises(services.AnswerRefused):
        services.attempt_submit(user=user, attempt=attempt, answers=answers)


def test_it_refuses_someone_elses_attempt(personas, module):
    attempt = services.attempt_start(user=personas["member_a"], module=module)
    with pytest.raises(services.AnswerRefused):
        services.attempt_submit(user=personas["secretary_a"], attempt=attempt, answers=right_answers(attempt))


def test_it_locks_questions_once_attempted(personas, module):
    question = Question.objects.filter(module=module).first()
    question.text = "Sửa trước khi có lượt làm bài"
    services.question_save(question=question)
    services.attempt_start(user=personas["member_a"], module=module)
    question.text = "Sửa sau"
    with pytest.raises(services.QuestionsLocked):
        services.question_save(question=question)
    copy = services.module_copy(module=module)
    assert copy.questions.count() == module.questions.count()
    assert (
        Choice.objects.filter(question__module=copy).count() == Choice.objects.filter(question__module=module).count()
    )
    services.question_save(question=copy.questions.first())  # the new version is free to change


def test_it_issues_one_certificate_on_completion(personas, module):
    user = personas["member_a"]
    services.lesson_mark_read(user=user, lesson=module.lessons.first())
    attempt = services.attempt_start(user=user, module=module)
    services.attempt_submit(user=user, attempt=attempt, answers=right_answers(attempt))
    assert not Certificate.objects.filter(user=user).exists()  # a lesson is still unread
    services.lesson_mark_read(user=user, lesson=module.lessons.last())
    services.lesson_mark_read(user=user, lesson=module.lessons.last())
    certificate = Certificate.objects.get(user=user, module=module)
    assert certificate.holder_name == "Nguyễn Văn Ấn"
    assert certificate.module_title == module.title
    assert certificate.directive == "Chỉ thị 05-CT/TW"
    assert certificate.issuer_name == "Đảng ủy Khối"
    assert certificate.serial == f"TN-2020-{certificate.pk:06d}"
    assert codes.is_new_style(certificate.code)  # 16 Crockford base32 characters, 80 random bits
    assert certificate.cell == personas["member_a"].memberships.get().cell
    assert services.certificate_issue(user=user, module=module).pk == certificate.pk
    assert CertificateEvent.objects.filter(certificate=certificate, action="issued").count() == 1


def test_it_issues_no_certificate_when_the_module_has_none(personas, org):
    module = build_module(org["committee"], certificate_enabled=False)
    complete(personas["member_a"], module)
    assert ModuleProgress.objects.get(user=personas["member_a"]).completed_at is not None
    assert not Certificate.objects.exists()


def test_it_refuses_a_second_current_certificate_in_the_database(personas, module):
    user = personas["member_a"]
    complete(user, module)
    with pytest.raises(IntegrityError), transaction.atomic():
        services.certificates._create_certificate(
            user=user, module=module, cell=user.memberships.get().cell, holder_name="X"
        )


def test_it_returns_the_winner_when_a_racing_issue_loses(personas, module, monkeypatch):
    user = personas["member_a"]
    complete(user, module)
    winner = Certificate.objects.get(user=user)
    calls = []
    real = services.certificates._current_certificate

    def blind_first_look(u, m):
        # The losing request checked before the winner committed: its first look sees nothing.
        calls.append(1)
        return None if len(calls) == 1 else real(u, m)

    monkeypatch.setattr(services.certificates, "_current_certificate", blind_first_look)
    loser = services.certificate_issue(user=user, module=module)
    assert loser.pk == winner.pk
    assert Certificate.objects.filter(user=user, module=module).count() == 1


def test_it_revokes_with_a_reason_and_keeps_the_row(personas, module):
    user = personas["member_a"]
    complete(user, module)
    certificate = Certificate.objects.get(user=user)
    with pytest.raises(ValidationError):
        services.certificate_revoke(certificate=certificate, actor=personas["officer"], reason="  ")
    services.certificate_revoke(certificate=certificate, actor=personas["officer"], reason="Cấp nhầm")
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.REVOKED
    assert certificate.revoked_reason == "Cấp nhầm" and certificate.revoked_at is not None
    assert CertificateEvent.objects.filter(
        certificate=certificate, action="revoked", actor=personas["officer"]
    ).exists()
    with pytest.raises(ValidationError):
        services.certificate_revoke(certificate=certificate, actor=personas["officer"], reason="Lần nữa")


def test_it_reissues_after_a_name_correction(personas, module):
    user = personas["member_a"]
    complete(user, module)
    old = Certificate.objects.get(user=user)
    user.full_name = "Nguyễn Văn Ân"
    user.save()
    new = services.certificate_reissue(certificate=old, actor=personas["officer"])
    old.refresh_from_db()
    assert old.status == Certificate.Status.REPLACED and not old.is_current
    assert old.replaced_by == new
    assert old.holder_name == "Nguyễn Văn Ấn"  # the old snapshot is kept
    assert new.holder_name == "Nguyễn Văn Ân" and new.is_current and new.serial != old.serial
    assert services.certificate_issue(user=user, module=module).pk == new.pk
    with pytest.raises(ValidationError):
        services.certificate_reissue(certificate=old, actor=personas["officer"])


def test_it_validates_documents_by_content(module):
    lesson = module.lessons.first()
    fake = SimpleUploadedFile("tai-lieu.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError):
        services.document_add(lesson=lesson, title="Giả", file=fake)
    real = SimpleUploadedFile("renamed.bin", b"%PDF-1.4\n%%EOF\n", content_type="application/octet-stream")
    document = services.document_add(lesson=lesson, title="Thật", file=real)
    assert document.file.name.endswith(".pdf") and "renamed" not in document.file.name


def test_it_refuses_documents_over_20_mb(module):
    from courses.validators import validate_pdf

    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (20 * 1024 * 1024), content_type="application/pdf")
    with pytest.raises(ValidationError):
        validate_pdf(big)


def test_it_refuses_video_links_outside_the_allow_list():
    from courses.validators import validate_video_url

    validate_video_url("https://www.youtube.com/watch?v=abc")
    for bad in ("https://evil.example/watch", "http://www.youtube.com/watch?v=abc", "javascript:alert(1)"):
        with pytest.raises(ValidationError):
            validate_video_url(bad)


def test_it_reminds_only_those_not_finished(personas, module):
    from notifications.models import Notification

    complete(personas["member_a"], module)
    cell = personas["member_a"].memberships.get().cell
    late = make_member("late_a", cell)
    count = services.reminders_send(actor=personas["secretary_a"], cell=cell, module=module)
    assert count == 1
    assert Notification.objects.filter(user=late, kind="courses.reminder").exists()
    # Never the sender, never a member who has finished.
    assert not Notification.objects.filter(user=personas["secretary_a"], kind="courses.reminder").exists()
    assert not Notification.objects.filter(user=personas["member_a"], kind="courses.reminder").exists()


def test_it_names_the_issuing_committee_when_it_is_above_the_audience(personas, org):
    module = build_module(org["cell_a"], issuer=org["province"])
    complete(personas["member_a"], module)
    certificate = Certificate.objects.get(user=personas["member_a"])
    assert certificate.issuer_name == "Tỉnh ủy Thử nghiệm"
    assert certificate.serial.startswith("TN-2020-")


def test_it_refuses_an_audience_outside_the_issuers_subtree(org):
    from courses.models import Module

    module = Module(year=2020, directive="X", title="Y", audience=org["cell_c"], issuer=org["committee"], pass_mark=80)
    with pytest.raises(ValidationError):
        module.full_clean()

"""Every write of the courses app: authoring, reading, quizzes, certificates.

By sub-domain: authoring.py, study.py (lessons and quizzes), certificates.py, reminders.py,
tallies.py (the reports' counters);
this package re-exports their public functions."""

from courses.services.authoring import (
    QuestionsLocked,
    document_add,
    lesson_save,
    module_check_publishable,
    module_copy,
    module_has_attempts,
    module_publish_errors,
    module_save,
    question_check_unlocked,
    question_choice_errors,
    question_save,
    questions_locked_message,
)
from courses.services.certificates import (
    certificate_issue,
    certificate_reissue,
    certificate_revoke,
    certificate_signer_save,
    new_verification_code,
    signer_for,
)
from courses.services.reminders import reminders_next_at, reminders_send
from courses.services.study import (
    AnswerRefused,
    QuizRefused,
    attempt_answers_save,
    attempt_start,
    attempt_submit,
    lesson_mark_read,
)
from courses.services.tallies import tally_member_joined, tally_member_left, tally_rebuild

__all__ = [
    "AnswerRefused",
    "QuestionsLocked",
    "QuizRefused",
    "attempt_answers_save",
    "attempt_start",
    "attempt_submit",
    "certificate_issue",
    "certificate_reissue",
    "certificate_revoke",
    "certificate_signer_save",
    "document_add",
    "lesson_mark_read",
    "lesson_save",
    "module_check_publishable",
    "module_copy",
    "module_has_attempts",
    "module_publish_errors",
    "module_save",
    "new_verification_code",
    "question_check_unlocked",
    "question_choice_errors",
    "question_save",
    "questions_locked_message",
    "reminders_next_at",
    "reminders_send",
    "signer_for",
    "tally_member_joined",
    "tally_member_left",
    "tally_rebuild",
]

import pytest
from django.urls import reverse

from courses import services
from courses.models import Module, Question
from courses.tests.conftest import build_module


def assert_sent_to_admin_index(response):
    """Refused by the admin's queryset: a redirect to the admin index, not to the login page
    (which a logged-out client would also get) and not the page itself."""
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_it_sends_anonymous_visitors_to_the_admin_login(client_as, module):
    response = client_as(None).get(reverse("admin:courses_module_change", args=[module.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    with pytest.raises(AssertionError):
        assert_sent_to_admin_index(response)


@pytest.fixture
def staff_officer(personas):
    officer = personas["officer"]
    officer.is_staff = True
    officer.save()
    return officer


def test_it_lists_only_modules_in_the_officers_subtree(client_as, staff_officer, org):
    mine = build_module(org["committee"], title="Của Đảng ủy Khối")
    other = build_module(org["other_committee"], title="Của xã Khác")
    client = client_as(staff_officer)
    body = client.get(reverse("admin:courses_module_changelist")).content.decode()
    assert mine.title in body and other.title not in body
    assert client.get(reverse("admin:courses_module_change", args=[mine.pk])).status_code == 200
    # Outside the subtree the admin says "does not exist" and sends the officer to its index.
    assert_sent_to_admin_index(client.get(reverse("admin:courses_module_change", args=[other.pk])))
    question = other.questions.first()
    assert_sent_to_admin_index(client.get(reverse("admin:courses_question_change", args=[question.pk])))


def test_it_offers_only_the_officers_units_as_audience(client_as, staff_officer, org):
    body = client_as(staff_officer).get(reverse("admin:courses_module_add")).content.decode()
    assert "Chi bộ A" in body and "Đảng ủy Khối" in body
    assert "Đảng ủy xã Khác" not in body and "Tỉnh ủy Thử nghiệm" not in body


def test_it_renders_markdown_once_when_saved_in_the_admin(client_as, staff_officer, org):
    data = {
        "year": 2021,
        "directive": "Chỉ thị 05-CT/TW",
        "title": "Chuyên đề mới",
        "summary": "**Đậm** <script>alert(1)</script>",
        "audience": org["committee"].pk,
        "publish_from_0": "",
        "publish_from_1": "",
        "publish_until_0": "",
        "publish_until_1": "",
        "due_on": "",
        "pass_mark": 80,
        "attempts_allowed": 0,
        "questions_per_attempt": 10,
        "show_answers": "on",
        "certificate_enabled": "on",
        "lessons-TOTAL_FORMS": 0,
        "lessons-INITIAL_FORMS": 0,
        "questions-TOTAL_FORMS": 0,
        "questions-INITIAL_FORMS": 0,
    }
    response = client_as(staff_officer).post(reverse("admin:courses_module_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    module = Module.objects.get(title="Chuyên đề mới")
    assert "<strong>Đậm</strong>" in module.summary_html and "<script>" not in module.summary_html
    assert module.created_by == staff_officer


def test_it_refuses_members_and_secretaries(client_as, personas, module):
    for persona in ("member_a", "secretary_a", "outsider"):
        user = personas[persona]
        user.is_staff = True  # even with staff status, no role means no authoring
        user.save()
        response = client_as(user).get(reverse("admin:courses_module_change", args=[module.pk]))
        assert response.status_code == 403, persona
        assert client_as(user).get(reverse("admin:courses_module_changelist")).status_code == 403


def test_it_locks_questions_in_the_admin_once_attempted(client_as, staff_officer, personas, module):
    question = module.questions.first()
    client = client_as(staff_officer)
    url = reverse("admin:courses_question_change", args=[question.pk])
    services.attempt_start(user=personas["member_a"], module=module)
    page = client.get(url).content.decode()
    assert "cannot be changed" in page or "không thể sửa" in page
    response = client.post(
        url, {"module": module.pk, "position": 1, "kind": "single", "text": "Đã sửa", "explanation": ""}
    )
    assert response.status_code == 403
    question.refresh_from_db()
    assert question.text != "Đã sửa"
    add = client.post(
        reverse("admin:courses_question_add"),
        {
            "module": module.pk,
            "position": 9,
            "kind": "single",
            "text": "Câu thêm",
            "explanation": "",
            "choices-TOTAL_FORMS": 0,
            "choices-INITIAL_FORMS": 0,
        },
    )
    assert add.status_code == 200  # the form comes back with the refusal
    assert not Question.objects.filter(text="Câu thêm").exists()


def test_it_accepts_only_real_pdfs_as_lesson_documents(client_as, staff_officer, module):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from courses.models import LessonDocument

    lesson = module.lessons.first()
    url = reverse("admin:courses_lesson_change", args=[lesson.pk])

    def post(upload):
        return client_as(staff_officer).post(
            url,
            {
                "module": module.pk,
                "position": lesson.position,
                "title": lesson.title,
                "body": lesson.body,
                "video_url": "",
                "documents-TOTAL_FORMS": 1,
                "documents-INITIAL_FORMS": 0,
                "documents-0-title": "Tài liệu",
                "documents-0-file": upload,
            },
        )

    response = post(SimpleUploadedFile("chi-thi.pdf", b"<html>not a pdf</html>", content_type="application/pdf"))
    assert response.status_code == 200 and not LessonDocument.objects.exists()
    response = post(SimpleUploadedFile("scan.bin", b"%PDF-1.7\n%%EOF\n", content_type="application/octet-stream"))
    assert response.status_code == 302
    assert LessonDocument.objects.get().file.name.endswith(".pdf")


def test_it_leaves_a_module_to_the_committee_that_issues_it(client_as, staff_officer, org):
    # Issued by the province for the officer's committee: the province's officers author it.
    module = build_module(org["committee"], issuer=org["province"], title="Của Tỉnh ủy")
    client = client_as(staff_officer)
    assert module.title not in client.get(reverse("admin:courses_module_changelist")).content.decode()
    assert_sent_to_admin_index(client.get(reverse("admin:courses_module_change", args=[module.pk])))


def test_the_admin_filter_is_the_authoring_rule(personas, org, django_user_model):
    """courses.permissions.modules_authored_q (the admin's querysets) selects exactly the
    modules can_author_module allows, for modules and for lessons, persona by persona."""
    from courses import permissions
    from courses.models import Lesson, Module
    from courses.tests.conftest import build_module

    modules = [
        build_module(org["committee"]),
        build_module(org["cell_a"]),
        build_module(org["other_committee"]),
        build_module(org["cell_a"], issuer=org["province"]),
    ]
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "x")
    for user in [*(p for p in personas.values() if p is not None), admin]:
        allowed = {m.pk for m in modules if permissions.can_author_module(user, m)}
        q = permissions.modules_authored_q(user)
        found = Module.objects.all() if q is None else Module.objects.filter(q)
        assert set(found.values_list("pk", flat=True)) == allowed, user.username
        q = permissions.modules_authored_q(user, via="module__")
        lessons = Lesson.objects.all() if q is None else Lesson.objects.filter(q)
        assert set(lessons.values_list("module_id", flat=True)) == allowed, user.username

import re

from django.urls import reverse

from courses.models import Lesson, Module
from courses.tests.conftest import build_module


def test_it_numbers_lessons_once(client_as, personas, org):
    module = build_module(org["committee"])  # titles "Bài 1", "Bài 2": numbered by the author
    page = client_as(personas["member_a"]).get(reverse("courses:module", args=[module.pk])).content.decode()
    assert "<ol" not in page.split('class="lesson-list')[0][-40:]
    assert re.search(r'<ul class="lesson-list', page)
    plain = build_module(org["committee"], title="Không đánh số")
    Lesson.objects.filter(module=plain).update(title="Tư tưởng Hồ Chí Minh")
    page = client_as(personas["member_a"]).get(reverse("courses:module", args=[plain.pk])).content.decode()
    assert re.search(r'<ol class="lesson-list', page)


def test_it_does_not_repeat_a_year_the_title_already_has(client_as, personas, org):
    module = build_module(org["committee"], title="Chuyên đề năm 2020")
    assert str(module) == "Chuyên đề năm 2020"
    assert str(Module(title="Chuyên đề", year=2021)) == "Chuyên đề (2021)"
    page = client_as(personas["secretary_a"]).get(reverse("reports:unit", args=[org["cell_a"].pk]) + "?year=2020")
    body = page.content.decode()
    assert "Chuyên đề năm 2020" in body and "2020 (2020)" not in body


def test_it_cuts_the_reminder_label_between_words(client_as, personas, org):
    title = "Tăng cường khối đại đoàn kết toàn dân tộc, xây dựng Đảng và hệ thống chính trị trong sạch"
    build_module(org["committee"], title=title)
    body = client_as(personas["secretary_a"]).get(reverse("reports:unit", args=[org["cell_a"].pk]) + "?year=2020")
    labels = re.findall(r'<button type="submit"[^>]*>([^<]*)</button>', body.content.decode())
    label = next(text for text in labels if "Tăng cường" in text)
    words = set(re.findall(r"\w+", title))
    shown = re.findall(r"\w+", label.split(":", 1)[1])
    assert shown and all(word in words for word in shown), label


def test_it_says_lesson_1_of_4_as_bai_1_4(client_as, personas, org):
    module = build_module(org["committee"])
    page = client_as(personas["member_a"]).get(reverse("courses:lesson", args=[module.lessons.first().pk]))
    body = page.content.decode()
    main = body[body.index("<main") : body.index("</main>")]  # the lesson, not the shell's own texts
    assert "Bài 1/2" in main and "trên" not in main

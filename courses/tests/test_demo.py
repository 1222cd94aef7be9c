import io

from cells import demo as cells_demo
from courses import demo
from courses.models import Certificate, Lesson, Module, ModuleProgress, Question


def test_it_seeds_the_2020_module_once(db):
    out = io.StringIO()
    cells_demo.seed(out)
    demo.seed(out)
    demo.seed(out)
    module = Module.objects.get()
    assert module.title == demo.TITLE and module.directive == "Chỉ thị 05-CT/TW" and module.year == 2020
    assert module.audience.name == "Tỉnh ủy Quảng Trị"
    assert Lesson.objects.count() in (3, 4)
    assert Question.objects.count() >= 12
    assert Certificate.objects.count() >= 3
    assert ModuleProgress.objects.filter(completed_at__isnull=True, lessons_read__gt=0).exists()
    assert not ModuleProgress.objects.filter(user__username="dangvien").exists()
    assert Certificate.objects.filter(serial__startswith="QT-2020-").count() == Certificate.objects.count()

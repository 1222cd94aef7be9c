import io

import pytest

from cells import demo as cells_demo
from forum import demo
from forum.models import Minutes, Theme, Topic

pytestmark = pytest.mark.django_db


def test_it_seeds_the_2020_themes_and_sessions_once():
    out = io.StringIO()
    cells_demo.seed(out)
    demo.seed(out)
    counts = (Theme.objects.count(), Topic.objects.count(), Minutes.objects.count())
    demo.seed(out)
    assert (Theme.objects.count(), Topic.objects.count(), Minutes.objects.count()) == counts
    assert Theme.objects.filter(year=2020, committee__code="QT").count() == 3
    assert Topic.objects.filter(state=Topic.State.CONCLUDED).exists()
    shared = Topic.objects.get(cell__name="Chi bộ Văn phòng Tỉnh ủy", state=Topic.State.OPEN, kind="session")
    authors = set(shared.posts.values_list("author__username", flat=True))
    assert {"bithu", "dangvien"} <= authors
    not_started = Topic.objects.filter(cell__name="Chi bộ Trường THCS Triệu Phong").count()
    assert not_started == 0

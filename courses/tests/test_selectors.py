import pytest
from django.urls import reverse

from cells.permissions import roles_of
from conftest import make_member
from courses import selectors
from courses.tests.conftest import build_module, complete


def _grow(org, members: int, modules: int) -> None:
    built = [build_module(org["committee"], title=f"Chuyên đề {i}", lessons=1, questions=1) for i in range(modules)]
    for i in range(members):
        user = make_member(f"m{members}_{i}", org["cell_a"], full_name=f"Đảng viên {i}")
        if i % 2:
            complete(user, built[i % modules])


@pytest.mark.parametrize("members,modules", [(3, 1), (12, 4)])
def test_it_keeps_cell_progress_flat(personas, org, members, modules, django_assert_max_num_queries, client_as):
    _grow(org, members, modules)
    with django_assert_max_num_queries(5):
        found_modules, rows = selectors.cell_progress(org["cell_a"])
    assert len(found_modules) == modules and len(rows) == members + 2
    assert sum(c.completed for row in rows for c in row.cells) == members // 2


@pytest.mark.parametrize("modules", [1, 6])
def test_it_keeps_the_member_list_flat(personas, org, modules, django_assert_max_num_queries, client_as):
    for i in range(modules):
        build_module(org["committee"], title=f"Chuyên đề {i}", lessons=2, questions=1)
    roles = roles_of(personas["member_a"])
    with django_assert_max_num_queries(3):
        rows = selectors.member_modules(personas["member_a"], roles)
    assert len(rows) == modules
    client = client_as(personas["member_a"])
    with django_assert_max_num_queries(12):
        assert client.get(reverse("courses:list")).status_code == 200


def test_it_only_shows_modules_whose_audience_holds_the_cell(personas, org):
    build_module(org["other_committee"], title="Chỉ cho xã Khác")
    build_module(org["province"], title="Cho cả tỉnh")
    titles = {
        row.module.title for row in selectors.member_modules(personas["member_a"], roles_of(personas["member_a"]))
    }
    assert titles == {"Cho cả tỉnh"}
    officer_titles = {m.title for m in selectors.modules_visible(roles_of(personas["officer"]))}
    assert officer_titles == {"Cho cả tỉnh"}  # above the officer's committee, not beside it


def test_it_tracks_only_modules_whose_publication_has_begun(personas, org):
    build_module(org["committee"], title="Đã công bố")
    build_module(org["committee"], title="Bản nháp", publish_from=None)
    modules, _rows = selectors.cell_progress(org["cell_a"])
    assert [m.title for m in modules] == ["Đã công bố"]

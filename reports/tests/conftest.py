import datetime

import pytest

from courses.tests.conftest import build_module


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(personas, org):
    """The committee's 2020 theme (session open in cell A, member_a has posted), a module for
    the committee (member_a completed it), a pledge form (member_a submitted)."""
    from courses.tests.conftest import complete
    from forum import services as forum_services
    from pledges import services as pledge_services
    from pledges.tests.conftest import fill

    theme = forum_services.theme_create(
        actor=personas["officer"],
        committee=org["committee"],
        year=2020,
        title="Tăng cường khối đại đoàn kết toàn dân tộc",
        description="",
        order=1,
        window_start=datetime.date(2020, 3, 1),
        window_end=datetime.date(2020, 6, 30),
    )
    session = forum_services.session_open(
        actor=personas["secretary_a"], cell=org["cell_a"], theme=theme, opening="Bài đề dẫn BÍ-MẬT-ĐỀ-DẪN"
    )
    forum_services.post_create(actor=personas["member_a"], topic=session, body="Ý kiến BÍ-MẬT-THẢO-LUẬN")
    module = build_module(org["committee"])
    complete(personas["member_a"], module)
    template = pledge_services.template_create(
        actor=personas["officer"],
        unit=org["committee"],
        year=2020,
        title="Bản cam kết năm 2020",
        due_on=datetime.date(2020, 3, 31),
        has_year_end_review=False,
        sections=[{"title": "Tư tưởng chính trị", "required": True, "min_length": 0}],
    )
    pledge = pledge_services.pledge_start(member=personas["member_a"], template=template, cell=org["cell_a"])
    pledge = pledge_services.pledge_save_draft(
        pledge=pledge, actor=personas["member_a"], answers=fill(pledge, ["Kiên định"]), expected_version=pledge.version
    )
    pledge = pledge_services.pledge_submit(pledge=pledge, actor=personas["member_a"], expected_version=pledge.version)
    return {"theme": theme, "session": session, "module": module, "template": template, "pledge": pledge}

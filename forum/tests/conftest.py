import datetime

import pytest

from forum import services


@pytest.fixture
def events(monkeypatch):
    """Every event published after commit, as (group, event) pairs."""
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr("core.events.send_now", lambda group, event: sent.append((group, event)))
    return sent


@pytest.fixture
def theme(personas, org):
    return services.theme_create(
        actor=personas["officer"],
        committee=org["committee"],
        year=2020,
        title="Tăng cường khối đại đoàn kết toàn dân tộc",
        description="Chủ đề năm 2020",
        order=1,
        window_start=datetime.date(2020, 3, 1),
        window_end=datetime.date(2020, 6, 30),
    )


@pytest.fixture
def session(personas, org, theme):
    return services.session_open(
        actor=personas["secretary_a"], cell=org["cell_a"], theme=theme, opening="Bài đề dẫn về **đại đoàn kết**."
    )


@pytest.fixture
def general(personas, org):
    return services.topic_create(
        actor=personas["member_a"], cell=org["cell_a"], title="Sinh hoạt tháng Ba", body="Ý kiến đầu tiên."
    )

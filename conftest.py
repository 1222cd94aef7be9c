"""Shared test setup: the personas every permission test is tried as.

member_a, secretary_a: cell A; member_b: cell B; officer: committee officer over the
committee above A and B; outsider: an account with no cell and no role; anonymous: no login.
"""

import datetime
import os
import shutil

import pytest
from django.conf import settings


def pytest_configure(config) -> None:
    # Manifest storage needs collectstatic; tests render templates without it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The test process is server and command at once: no epoch file (core.cache), except
    # in the tests of that file, which point it at a temporary path.
    settings.CACHE_EPOCH_FILE = None


def browser_available() -> bool:
    return os.path.exists(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")) or bool(shutil.which("chromium"))


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    # Each async test runs on an event loop of its own, and a channel layer instance keeps
    # loop-bound state (channels-redis's receive lock, its connections): one left locked by
    # a consumer cancelled at the end of a test broke later tests ("bound to a different
    # event loop"). Every test gets new layer instances.
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate-limit counters and presence live in the cache; each test starts clean.
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def org(db):
    """Province > committee > cells A and B; a second committee > cell C."""
    from cells.models import OrgUnit

    committee_kind, cell_kind = OrgUnit.Kind.COMMITTEE, OrgUnit.Kind.CELL
    province = OrgUnit.objects.add_root({"name": "Tỉnh ủy Thử nghiệm", "kind": committee_kind, "code": "TN"})
    committee = OrgUnit.objects.add_child(province, {"name": "Đảng ủy Khối", "kind": committee_kind})
    other_committee = OrgUnit.objects.add_child(province, {"name": "Đảng ủy xã Khác", "kind": committee_kind})
    cell_a = OrgUnit.objects.add_child(committee, {"name": "Chi bộ A", "kind": cell_kind})
    cell_b = OrgUnit.objects.add_child(committee, {"name": "Chi bộ B", "kind": cell_kind})
    cell_c = OrgUnit.objects.add_child(other_committee, {"name": "Chi bộ C", "kind": cell_kind})
    for unit in (province, committee, other_committee, cell_a, cell_b, cell_c):
        unit.refresh_from_db()
    return {
        "province": province,
        "committee": committee,
        "other_committee": other_committee,
        "cell_a": cell_a,
        "cell_b": cell_b,
        "cell_c": cell_c,
    }


def make_user(username: str, full_name: str = "", **extra):
    from accounts.models import User

    user = User(username=username, full_name=full_name or username, email=f"{username}@example.org", **extra)
    user.set_password("pw-" + username)
    user.save()
    return user


def make_member(username: str, cell, role: str = "member", full_name: str = "", **extra):
    from cells import tally
    from cells.models import Membership, MemberTally

    user = make_user(username, full_name, **extra)
    Membership.objects.create(user=user, cell=cell, role=role, started_on=datetime.date(2020, 1, 1))
    # What membership_add counts for a new member (no audit row: tests count those).
    tally.bump(MemberTally, cell, [({}, {"members": 1})])
    return user


@pytest.fixture
def personas(org):
    from cells.models import CommitteeRole

    officer = make_user("officer", "Cán Bộ Tuyên Giáo")
    CommitteeRole.objects.create(user=officer, unit=org["committee"], started_on=datetime.date(2020, 1, 1))
    return {
        "member_a": make_member("member_a", org["cell_a"], full_name="Nguyễn Văn Ấn"),
        "secretary_a": make_member("secretary_a", org["cell_a"], role="secretary", full_name="Lê Thị Bích"),
        "member_b": make_member("member_b", org["cell_b"], full_name="Trần Đức Cường"),
        "officer": officer,
        "outsider": make_user("outsider", "Người Ngoài"),
        "anonymous": None,
    }


@pytest.fixture
def client_as(client):
    """client_as(user) -> a test client logged in as user (or anonymous for None)."""

    def login(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return login


def error_summary(html: str) -> str:
    """The error summary of a refused form's page (core.templatetags.error_summary), checked
    to be the page's one summary, an alert that takes the focus, at the top of the page's
    content: before its first form and text box."""
    start = html.index('id="error-summary"')
    main = html.index('<main id="main"')
    for tag in ("<form", "<textarea"):
        assert tag not in html[main:start], f"{tag} before the error summary"
    summary = html[html.rindex("<div", 0, start) : html.index("</div>", start)]
    assert 'role="alert"' in summary and 'tabindex="-1"' in summary and "autofocus" in summary, summary
    assert html.count('id="error-summary"') == 1
    return summary


def summary_links(html: str) -> list[str]:
    """The field ids the error summary links to, in its order; each must be on the page, below
    the summary (which is at the top, where a reloaded page opens)."""
    import re

    ids = re.findall(r'href="#([^"]+)"', error_summary(html))
    start = html.index('id="error-summary"')
    for field_id in ids:
        assert html.index(f'id="{field_id}"') > start, field_id
    return ids

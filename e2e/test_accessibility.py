"""Issue 13's measure: axe-core (vendored in e2e/vendor/axe-core, tests only) finds no serious
or critical violation on the main pages, as each persona, at 360 px: home, forum list, a
topic, a lesson, a quiz, the pledge form, reports and the profile."""

import re
from pathlib import Path

import pytest

from e2e.conftest import login

pytestmark = pytest.mark.browser
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
RUN_AXE = """() => axe.run(document, { resultTypes: ["violations"] }).then(r => r.violations
  .filter(v => v.impact === "serious" || v.impact === "critical")
  .map(v => ({ id: v.id, impact: v.impact, help: v.help,
               nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " :: " + n.failureSummary) })))"""


def main_pages(page, *, start_quiz: bool) -> dict[str, str]:
    """The persona's own main pages, found as they would: through the menu and buttons."""
    pages = {"home": "/", "forum": "/forum/", "reports": "/reports/", "profile": "/accounts/profile/"}
    page.goto("/forum/")
    topics = [
        href
        for href in page.locator("main a[href^='/forum/topics/']").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        if re.fullmatch(r"/forum/topics/\d+/", href)
    ]
    if topics:
        pages["topic"] = topics[0]
    page.goto("/courses/1/")
    lesson = page.locator("main a[href^='/courses/lessons/']").first
    if lesson.count():
        pages["lesson"] = lesson.get_attribute("href")
    start = page.locator("form[action$='/quiz/'] button[type=submit]")
    if start_quiz and start.count():  # starts an attempt: only as the member made for it
        start.first.click()
        page.wait_for_load_state()
        if "/attempts/" in page.url:
            pages["quiz"] = page.url
    page.goto("/pledges/")
    mine = page.locator("main a.button.primary")
    if mine.count():
        mine.first.click()
        page.wait_for_url(re.compile(r"/pledges/\d+/$"))
        pages["pledge"] = page.url
    return pages


MEMBER = "a11y"  # a member of dangvien's cell made for this test: the quiz attempt it starts
# is its own, so the other browser tests (which follow dangvien from "Take the quiz") find the
# demo as seeded; its membership ends afterwards, so cell counts stay too.

ADD_MEMBER = f"""
from accounts.models import User
from cells import services
from cells.models import Membership
cell = Membership.objects.get(user__username="dangvien", ended_on__isnull=True).cell
user = User.objects.create_user("{MEMBER}", password="chibo-demo", full_name="Kiểm Thử Truy Cập")
services.membership_add(actor=None, user=user, cell=cell)
"""
END_MEMBER = f"""
from cells import services
from cells.models import Membership
services.membership_end(
    actor=None, membership=Membership.objects.get(user__username="{MEMBER}", ended_on__isnull=True), reason="test"
)
"""


@pytest.fixture(scope="module")
def a11y_member(e2e_server):
    e2e_server.manage("shell", "-c", ADD_MEMBER)
    yield MEMBER
    e2e_server.manage("shell", "-c", END_MEMBER)


@pytest.mark.parametrize("username", ["dangvien", MEMBER, "bithu", "canbo"])
def test_no_serious_or_critical_violation_at_360_px(browser, live_server_url, username, a11y_member):
    context = browser.new_context(
        base_url=live_server_url, locale="vi-VN", viewport={"width": 360, "height": 740}, bypass_csp=True
    )
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        login(page, username)
        found = {}
        pages = main_pages(page, start_quiz=username == MEMBER)
        for name, url in pages.items():
            page.goto(url)
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate(RUN_AXE)
            if violations:
                found[f"{name} {url}"] = violations
        assert {"home", "forum", "profile", "reports", "lesson"} <= set(pages), pages
        if username != "canbo":  # a cell's members have its topics (an officer may have none listed)
            assert "topic" in pages, pages
        if username == "dangvien":  # a member has a pledge of their own ...
            assert "pledge" in pages, pages
        if username == MEMBER:  # ... and a quiz (this one starts it)
            assert "quiz" in pages, pages
        assert not found, found
    finally:
        context.close()

"""Crawl of the whole site as every persona, shared by the tests that must hold on every
view (core/tests/test_naughty_input.py, test_private_cache.py).

The demo data (`seed_demo`, plus the few states it lacks) is crawled as each persona,
starting from every URL pattern that takes no arguments: each link (and redirect) found is
followed, a few paths per URL name, and each form (action, fields, the values the page gave
them) is kept. A URL pattern outside the admin that no persona reaches with a 2xx/3xx (or
as a form's target) fails the crawl unless UNREACHED says why, so a new view is covered
without editing the tests, or explained.
"""

import io
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, URLResolver, get_resolver, resolve, reverse

# URL patterns no persona reaches with a 2xx/3xx in the demo data, and why.
UNREACHED = {
    "account_signup": "sign-up is closed (the adapter refuses it)",
    "account_confirm_email": "e-mail verification is off; the key is fuzzed all the same",
    "account_email_verification_sent": "e-mail verification is off",
    "account_confirm_login_code": "log-in by code is off",
    "account_request_reauthentication_code": "log-in by code is off",
    "account_confirm_reauthentication_code": "log-in by code is off",
    "account_inactive": "no inactive account logs in",
    "account_set_password": "every demo account has a password (it redirects to change)",
    "account_reset_password_from_key_done": "reached only after a reset",
    "courses:signer_image": "the demo signer has no scans (courses/tests/test_signer.py tries who sees them)",
    # The old tracking pages: nothing links to them any more; each redirects for good to the
    # matching report after the report's own check (cells/report_links.py, tried as each
    # persona in courses/tests/test_views.py, pledges/tests/test_views_*.py).
    "courses:cell_progress": "an old address, redirected to the cell's report",
    "courses:cell_progress_csv": "an old address, redirected to the cell's report CSV",
    "courses:committee_progress": "an old address, redirected to the committee's report",
    "courses:committee_progress_csv": "an old address, redirected to the committee's report CSV",
    "pledges:tracking": "an old address, redirected to the cell's report",
    "pledges:committee": "an old address, redirected to the committee's report",
    "pledges:committee_csv": "an old address, redirected to the committee's report CSV",
}
# Forms not posted: the crawl must stay logged in.
NOT_POSTED = {"account_logout"}
# The admin is crawled as the officer (staff, limited to their subtree by our ModelAdmins);
# the superuser would see the same pages unlimited: Django's own code, twice the time.
ADMIN_SKIPPED_BY = {"admin"}
SKIP_PREFIXES = ("/static/", "/media/")
CRAWL_PER_NAME = 4  # distinct paths per URL name and persona crawled (for their links and forms)
FUZZ_PER_NAME = 1  # ... of which this many are listed in `pages` (answered 200)


def url_names(resolver=None, namespace: str = "") -> list[tuple[str, bool]]:
    """(name, takes arguments) for every named URL pattern."""
    found = []
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            found += url_names(entry, f"{namespace}{entry.namespace}:" if entry.namespace else namespace)
        elif entry.name:
            found.append((namespace + entry.name, bool(entry.pattern.regex.groups)))
    return found


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if a.get("data-mention-url"):  # the reply box's member list, fetched by mention.js
            self.links.append(a["data-mention-url"])
        elif tag == "form":
            self._form = {"action": a.get("action") or "", "method": (a.get("method") or "get").lower(), "fields": {}}
            self.forms.append(self._form)
        elif self._form is not None and tag == "button" and a.get("formaction"):
            # A button that sends the same form elsewhere (the quiz's "Save answers"): one more
            # form, sharing the fields (those after the button included).
            self.forms.append({**self._form, "action": a["formaction"]})
        elif self._form is not None and tag in ("input", "textarea", "button") and a.get("name"):
            kind = (a.get("type") or ("textarea" if tag == "textarea" else "text")).lower()
            if kind in ("checkbox", "radio") and a["name"] in self._form["fields"]:
                return
            self._form["fields"][a["name"]] = (kind, a.get("value") or "")
        elif self._form is not None and tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form["fields"][a["name"]] = ("select", "")
        elif self._form is not None and tag == "option" and self._select:
            kind, value = self._form["fields"][self._select]
            if not value and a.get("value"):
                self._form["fields"][self._select] = (kind, a["value"])

    def handle_endtag(self, tag) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


class Probe:
    """Requests as one persona; records every 5xx with what was sent."""

    def __init__(self, name: str, user, failures: list) -> None:
        self.name = name
        self.client = Client(raise_request_exception=False)
        if user is not None:
            self.client.force_login(user)
        self.failures = failures
        self.seen: list[tuple[str, str, object]] = []  # (method, path, response) of the crawl

    def send(self, method: str, path: str, data=None, **extra):
        response = getattr(self.client, method)(path, data, **extra)
        if response.status_code >= 500:
            error = getattr(response, "exc_info", None)
            self.failures.append((self.name, method, path, data, repr(error[1]) if error else response.status_code))
        return response


def _local(href: str, base: str) -> str | None:
    parts = urlsplit(href)
    site = urlsplit(settings.SITE_URL).netloc
    if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", "testserver", site):
        return None
    path = parts.path or base
    if not path.startswith("/") or path.startswith(SKIP_PREFIXES):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


def view_name(path: str) -> str | None:
    try:
        return resolve(urlsplit(path).path).view_name
    except Resolver404:
        return None


def _crawl(probe: Probe, starts: list[str], reached: dict, forms: dict, pages: dict, follow: bool = True) -> None:
    queue = list(starts)
    seen_per_name: dict[str, set[str]] = {}
    while queue:
        path = queue.pop(0)
        name = view_name(path)
        if name is None:
            continue
        paths = seen_per_name.setdefault(name, set())
        bare = urlsplit(path).path
        limit = 1 if name.startswith("admin:") else CRAWL_PER_NAME
        if bare in paths or len(paths) >= limit:
            continue
        if name.startswith("admin:") and (
            probe.name in ADMIN_SKIPPED_BY or not name.endswith(("_changelist", "_change", ":index", "app_list"))
        ):
            continue
        paths.add(bare)
        response = probe.send("get", path)
        probe.seen.append(("get", path, response))
        if response.status_code < 400:
            reached.setdefault(name, set()).add(probe.name)
        if response.status_code == 200 and len(paths) <= FUZZ_PER_NAME:  # refused: no parameter is read
            pages.setdefault(probe.name, []).append(path)
        if response.status_code in (301, 302) and (local := _local(response["Location"], bare)) is not None:
            queue.append(local)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        page = _Page()
        page.feed(response.content.decode("utf-8", "replace"))
        for href in page.links if follow else ():
            if (local := _local(href, bare)) is not None:
                queue.append(local)
        for form in page.forms:
            action = _local(form["action"], bare) if form["action"] else bare
            target = view_name(action or "")
            if action is None or target is None or target.startswith("admin:") or target in NOT_POSTED:
                continue
            if form["method"] == "get":  # a search box: its fields become the URL's parameters
                fields = {name: value for name, (_, value) in form["fields"].items()}
                queue.append(urlsplit(action).path + "?" + urlencode(fields))
                continue
            key = (probe.name, target, tuple(sorted(form["fields"])))
            reached.setdefault(target, set()).add(probe.name)
            forms.setdefault(key, (action, form["fields"]))


def build_world() -> dict:
    from accounts.models import User
    from pledges.models import Pledge

    call_command("seed_demo", stdout=io.StringIO())
    User.objects.create_user("outsider", "outsider@example.org", "pw-outsider", full_name="Người Ngoài")
    users = {u.username: u for u in User.objects.filter(username__in=["admin", "canbo", "bithu", "dangvien"])}
    users["dangvien2"] = User.objects.get(username="dangvien2")
    users["outsider"] = User.objects.get(username="outsider")
    _states_the_demo_lacks(users["dangvien"], users["bithu"])
    return {
        "anonymous": None,
        "member": users["dangvien"],
        "member_other_cell": users["dangvien2"],
        "secretary": users["bithu"],
        "officer": users["canbo"],
        "admin": users["admin"],
        "outsider": users["outsider"],
        # Beyond where a short crawl gets: a pledge in each state in the secretary's cell.
        "extra_starts": [
            reverse("pledges:detail", args=[pk])
            for pk in {
                p.status: p.pk for p in Pledge.objects.filter(cell__memberships__user=users["bithu"]).order_by("-pk")
            }.values()
        ],
    }


def _states_the_demo_lacks(member, secretary) -> None:
    """An edited post, an open flag, a quiz attempt, a pending invitation, an open vote and a pledge
    handed in again after a return, so that their pages are crawled too."""
    from cells.permissions import roles_of
    from courses import selectors as course_selectors
    from courses import services as course_services
    from forum import services as forum_services
    from forum.models import Post

    post = Post.objects.filter(author=member, hidden_at__isnull=True, topic__state="open").order_by("-pk").first()
    forum_services.post_edit(actor=member, post=post, body=post.body_source + " (sửa)")
    other = Post.objects.filter(topic__cell=post.topic.cell, hidden_at__isnull=True).exclude(author=member).first()
    forum_services.flag_create(actor=member, post=other, reason="Thử")
    invited = member.__class__.objects.get(username="demo101")  # invited, never logged in
    invited.set_unusable_password()
    invited.save()
    row = next(r for r in course_selectors.member_modules(member, roles_of(member)) if r.certificate is None)
    course_services.attempt_start(user=member, module=row.module)
    # An open vote in an open meeting, so that voting and closing are crawled.
    forum_services.motion_open(actor=secretary, topic=post.topic, text="Biểu quyết thử")
    # A pledge returned and handed in again, so that "what changed since the return" is crawled.
    from pledges import services as pledge_services
    from pledges.models import Pledge

    pledge = Pledge.objects.filter(cell=post.topic.cell, status=Pledge.Status.SUBMITTED).first()
    pledge = pledge_services.pledge_return(pledge=pledge, actor=secretary, comment="Bổ sung")
    pledge_services.pledge_submit(pledge=pledge, actor=pledge.member, expected_version=pledge.version)


def _reset_key_path(user) -> str:
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    return reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)},
    )


@dataclass
class Crawl:
    probes: dict  # persona -> Probe (logged in as that persona)
    reached: dict  # URL name -> personas that reached it
    forms: dict  # (persona, URL name, field names) -> (action, {field: (type, value)})
    pages: dict  # persona -> paths answered 200, FUZZ_PER_NAME per URL name


def crawl_site(world: dict, failures: list) -> Crawl:
    """Crawl as every persona of `world` (build_world()); 5xx answers go to `failures`."""
    names = url_names()
    starts = []
    for name, takes_args in names:
        if not takes_args:
            starts.append(reverse(name))
    starts.append(_reset_key_path(world["member"]))
    probes = {persona: Probe(persona, user, failures) for persona, user in world.items() if persona != "extra_starts"}
    reached: dict[str, set[str]] = {}
    forms: dict = {}
    pages: dict[str, list[str]] = {}
    for probe in probes.values():
        _crawl(probe, starts, reached, forms, pages)
        _crawl(probe, world["extra_starts"], reached, forms, {}, follow=False)
        cache.clear()  # rate-limit counters: each persona starts fresh

    unreached = sorted(
        name for name, _ in names if not name.startswith("admin:") and name not in reached and name not in UNREACHED
    )
    assert unreached == [], f"{unreached}: URL patterns no persona reached: reach them or say why in UNREACHED"

    return Crawl(probes, reached, forms, pages)

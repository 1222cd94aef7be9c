"""The pledges' views, by actor: the member (member.py), one pledge's page and PDF (page.py),
the secretary's review (review.py), tracking and counts (oversight.py), template authoring by
officers (authoring.py), and the text parked by a browser whose session expired (stash.py)."""

from pledges.views.authoring import template_edit, templates
from pledges.views.member import detail, mine, save, self_review, start
from pledges.views.oversight import approved_zip, committee, committee_csv, tracking
from pledges.views.page import pdf
from pledges.views.review import changes, compare, decide, queue, rate, reopen
from pledges.views.stash import STASH, STASH_LIMIT, STASH_MAX_CHARS, STASH_MAX_ITEMS, STASH_WINDOW

__all__ = [
    "STASH",
    "STASH_LIMIT",
    "STASH_MAX_CHARS",
    "STASH_MAX_ITEMS",
    "STASH_WINDOW",
    "approved_zip",
    "changes",
    "committee",
    "committee_csv",
    "compare",
    "decide",
    "detail",
    "mine",
    "pdf",
    "queue",
    "rate",
    "reopen",
    "save",
    "self_review",
    "start",
    "template_edit",
    "templates",
    "tracking",
]

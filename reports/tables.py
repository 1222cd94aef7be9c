"""The committee's table as HTML, one page of direct children at a time.

A committee with hundreds of direct children shows them PAGE_SIZE at a time; the totals row
is always the whole node's. Nothing is cached: the figures are read from the counters kept at
write time (`selectors.committee_report`, one query per figure group), and one page renders
at most PAGE_SIZE rows.
"""

from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from reports import selectors

PAGE_SIZE = 50


@dataclass
class Page:
    number: int
    count: int  # pages in all
    children: int  # direct children in all
    first: int  # 1-based index of the first row shown
    last: int

    @property
    def has_other_pages(self) -> bool:
        return self.count > 1

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.count else None


def parse_page(raw: str) -> int | None:
    """The page typed, if it is plain ASCII digits and at least 1; None otherwise."""
    raw = (raw or "").strip()
    if not raw:
        return 1
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6) or int(raw) < 1:
        return None
    return int(raw)


def page_of(children: int, number: int) -> Page:
    """The page `number`, or the last one when it is past the end."""
    count = max(1, -(-children // PAGE_SIZE))
    number = min(max(1, number), count)
    first = (number - 1) * PAGE_SIZE
    return Page(number, count, children, first + 1 if children else 0, min(children, first + PAGE_SIZE))


def committee_table_html(unit, year: int, number: int) -> tuple[SafeString, Page]:
    """Page `number` of the committee's table (the last page when it is past the end)."""
    report = selectors.committee_report(unit, year)
    page = page_of(len(report.rows), number)
    rows = report.rows[page.first - 1 : page.last] if report.rows else []
    context = {"report": report, "rows": rows, "year": year, "page": page, "unit": unit}
    return mark_safe(render_to_string("reports/_committee_table.html", context)), page

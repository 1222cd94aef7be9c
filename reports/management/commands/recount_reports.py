"""Rebuild the counters the committee reports read (cells.tally) from the raw rows.

The services keep the counters in the transaction of each change; run this after restoring a
database, after loading rows around the services (a bulk import), or to repair. Safe to run at
any time: it replaces every counter row in one transaction.
"""

import time

from django.core.management.base import BaseCommand

from core.cache import bump
from reports.services import recount_all


class Command(BaseCommand):
    help = "Recount the reports' counters (members, sessions, meetings, completions, pledges) from the raw rows."

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        rows = recount_all()
        bump("org")
        self.stdout.write(f"recount_reports: {rows} counter rows in {time.monotonic() - started:.1f} s.")

"""Reports at province scale: server time (median, in-process), bytes gzipped and queries of
the province's committee report, of a district committee's, of a 50-member cell's overview
and of the officer's home page, after `seed_demo` + `seed_scale` at each size, on SQLite.

Run: .venv/bin/python bench/reports_bench.py [CELLS ...]   (default: 1000 5000; 20 members
per cell; about two minutes per 5,000 cells to seed). With DATABASE_URL set to a throwaway
PostgreSQL database it measures there instead (the database is flushed first!).
"median" is the page as a reader gets it again (the page cache, core.middleware, serves a
reader's unchanged page from memory); "new reader" is a reader's first view in a new session
(nothing of theirs stored; the figures read from the counters the services keep, cells.tally,
and the cells per child cached until the tree changes: a unit's move, cells.services.unit_move,
replaces them with the `org` generation); "cold" is with every cache emptied. Then two more lines:
- "per-cell sum": the other design measured on the same data: the province's figures summed
  from the cells' own counter rows by path prefix (GROUP BY, grows with the cells below);
- "write": what the counters add to a write: a member joining then leaving a cell (both bump
  the rows of the cell and of every committee above it).
Goal from issue 10: province page <= 100 ms and <= 60 KB gzipped; 50-member cell <= 50 ms.
"""

import gzip
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import prepared_env  # noqa: E402

RUNS = 15


def measure() -> None:
    """In the seeded database named by the environment: print one line per page."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from cells.models import Membership, OrgUnit

    province = OrgUnit.objects.get(code="QT", depth=1)
    district = OrgUnit.objects.filter(depth=2, name__startswith="Đảng ủy khu vực").order_by("path").first()
    big_cell = (
        OrgUnit.objects.filter(kind="cell", memberships__ended_on__isnull=True)
        .annotate(n=django.db.models.Count("memberships"))
        .filter(n__gte=50)
        .first()
    )
    secretary = Membership.objects.filter(cell=big_cell, role="secretary", ended_on__isnull=True).first().user
    canbo = User.objects.get(username="canbo")
    pages = [
        ("province report", canbo, f"/reports/units/{province.pk}/?year=2020"),
        ("district report", canbo, f"/reports/units/{district.pk}/?year=2020"),
        ("50-member cell", secretary, f"/reports/units/{big_cell.pk}/?year=2020"),
        ("officer home", canbo, "/"),
        ("province CSV", canbo, f"/reports/units/{province.pk}/export.csv?year=2020"),
        ("province XLSX", canbo, f"/reports/units/{province.pk}/export.xlsx?year=2020"),
        ("cell XLSX", secretary, f"/reports/units/{big_cell.pk}/export.xlsx?year=2020"),
    ]

    def body(response) -> bytes:
        """The whole body: a streamed export does its work as it is read."""
        return b"".join(response.streaming_content) if response.streaming else response.content

    cells = OrgUnit.objects.filter(kind="cell").count()
    members = Membership.objects.filter(ended_on__isnull=True).count()
    print(f"  {cells} cells, {members} members, {connection.vendor}")
    for label, user, url in pages:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        client.get(url)  # warm: templates, the user's session and roles
        times, cpu = [], []
        for _ in range(RUNS):
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            content = body(response)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        readers = []
        for _ in range(RUNS):  # a new session each time: nothing of this reader's is stored yet
            client.force_login(user)
            start = time.perf_counter()
            body(client.get(url))
            readers.append((time.perf_counter() - start) * 1000)
        cold = []
        for _ in range(5):  # every cache emptied: the figures recounted, the table re-rendered
            cache.clear()
            client.force_login(user)
            start = time.perf_counter()
            body(client.get(url))
            cold.append((time.perf_counter() - start) * 1000)
        cache.clear()
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            body(client.get(url))
        size = len(gzip.compress(content))
        print(
            f"  {label:16} median {statistics.median(times):6.1f} ms  p90 {sorted(times)[int(RUNS * 0.9)]:6.1f} ms"
            f"  cpu {statistics.median(cpu):6.1f} ms"
            f"  new reader {statistics.median(readers):6.1f} ms"
            f"  cold {statistics.median(cold):6.1f} ms"
            f"  {len(content) / 1024:6.1f} KB, {size / 1024:5.1f} KB gzipped  {len(queries)} queries (cold)"
        )


def _server_times(selectors, province, per_cell_sum) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # The server's own execution time of the same queries (EXPLAIN ANALYZE), which a
    # loaded machine's scheduling delays distort less than the client's wall time.
    for label, fn in (
        ("counters read", lambda: selectors.committee_report(province, 2020)),
        ("per-cell sum", per_cell_sum),
    ):
        with CaptureQueriesContext(connection) as captured:
            fn()
        runs = []
        for _ in range(5):
            total = 0.0
            with connection.cursor() as cursor:
                for query in captured.captured_queries:
                    cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query["sql"])
                    plan = cursor.fetchone()[0][0]
                    total += plan["Planning Time"] + plan["Execution Time"]
            runs.append(total)
        print(f"  {label:16} server {statistics.median(runs):6.1f} ms  ({len(captured)} queries, EXPLAIN ANALYZE)")


def measure_alternatives() -> None:
    from django.db import connection, transaction
    from django.db.models import Sum
    from django.db.models.functions import Substr

    from accounts.models import User
    from cells import services
    from cells.models import MemberTally, OrgUnit
    from courses.models import ModuleTally
    from forum.models import MeetingTally, SessionTally
    from pledges.models import PledgeTally

    province = OrgUnit.objects.get(code="QT", depth=1)
    length = len(province.path) + OrgUnit.steplen

    def per_cell_sum() -> None:
        for model, keys, sums in (
            (MemberTally, [], ["members"]),
            (SessionTally, ["theme_id"], ["held", "open"]),
            (MeetingTally, ["year"], ["held"]),
            (ModuleTally, ["module_id"], ["completed"]),
            (PledgeTally, ["year"], ["submitted", "approved", "rated"]),
        ):
            list(
                model.objects.filter(unit__kind="cell", unit__path__startswith=province.path)
                .annotate(child=Substr("unit__path", 1, length))
                .order_by()
                .values("child", *keys)
                .annotate(**{name: Sum(name) for name in sums})
            )

    from reports import selectors

    def timed(fn, runs: int = 9) -> str:
        wall, cpu = [], []
        for _ in range(runs):
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            wall.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        return f"median {statistics.median(wall):6.1f} ms  cpu {statistics.median(cpu):6.1f} ms"

    read = timed(lambda: selectors.committee_report(province, 2020))
    print(f"  {'counters read':16} {read}  (the province's figures, no render)")
    print(f"  {'per-cell sum':16} {timed(per_cell_sum)}  (5 figure groups by path prefix)")
    if connection.vendor == "postgresql":
        try:
            _server_times(selectors, province, per_cell_sum)
        except Exception as exc:  # a figure lost, not the run
            print(f"  server times failed: {exc!r}")
    cell = OrgUnit.objects.filter(kind="cell", depth__gte=3).order_by("-path").first()
    user = User.objects.create(username="bench-writer", full_name="Người Đo")
    times = []
    for _ in range(10):
        start = time.perf_counter()
        with transaction.atomic():
            membership = services.membership_add(actor=None, user=user, cell=cell)
            services.membership_end(actor=None, membership=membership, reason="Đo")
        times.append((time.perf_counter() - start) * 1000)
    print(f"  {'write':16} median {statistics.median(times):6.1f} ms  (a member added and ended, depth {cell.depth})")


def main(sizes: list[int]) -> None:
    for cells in sizes:
        tmp = tempfile.mkdtemp(prefix="chibo-reports-bench-")
        extra = {"SQLITE_PATH": f"{tmp}/db.sqlite3", "ALLOWED_HOSTS": "127.0.0.1,testserver"}
        if os.environ.get("DATABASE_URL"):
            extra["DATABASE_URL"] = os.environ["DATABASE_URL"]
        env = prepared_env(extra)

        def manage(*args: str, env=env) -> None:
            subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)

        if extra.get("DATABASE_URL"):
            manage("flush", "--noinput")
        manage("migrate", "-v0")
        manage("collectstatic", "--noinput", "-v0")
        subprocess.run([sys.executable, "manage.py", "seed_demo"], cwd=ROOT, env=env, check=True, capture_output=True)
        start = time.monotonic()
        manage("seed_scale", "--cells", str(cells - 1), "--members-per-cell", "20")
        manage("seed_scale", "--cells", "1", "--members-per-cell", "50", "--committees", "1")
        print(f"=== {cells} cells (seeded in {time.monotonic() - start:.0f} s)", flush=True)
        try:
            subprocess.run([sys.executable, __file__, "--measure"], cwd=ROOT, env=env, check=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["--measure"]:
        measure()
        measure_alternatives()
    else:
        main([int(a) for a in sys.argv[1:]] or [1000, 5000])

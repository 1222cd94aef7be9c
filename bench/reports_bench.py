"""Reports at province scale: server time (median, in-process), bytes gzipped and queries of
the province's committee report, of a district committee's, of a 50-member cell's overview
and of the officer's home page, after `seed_demo` + `seed_scale` at each size, on SQLite.

Run: .venv/bin/python bench/reports_bench.py [CELLS ...]   (default: 1000 5000; 20 members
per cell; about two minutes per 5,000 cells to seed). With DATABASE_URL set to a throwaway
PostgreSQL database it measures there instead (the database is flushed first!).
"median" is the page as most requests get it (a committee's figures are recounted at most
every five minutes); "cold" is with every cache emptied (the recount and the render).
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
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            response = client.get(url)
            content = body(response)
            times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
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
            f"  cold {statistics.median(cold):6.1f} ms"
            f"  {len(content) / 1024:6.1f} KB, {size / 1024:5.1f} KB gzipped  {len(queries)} queries (cold)"
        )


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
    else:
        main([int(a) for a in sys.argv[1:]] or [1000, 5000])

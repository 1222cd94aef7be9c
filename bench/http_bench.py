"""Foundation pages over one uvicorn process (the embedded default), as a ratio to a trivial
Django view served by the same server in the same run.

Run: .venv/bin/python bench/http_bench.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import django_eval, load, server, session_cookie


def main() -> None:
    with server() as srv:
        port = srv["port"]
        member = session_cookie(srv["env"], "dangvien")
        secretary = session_cookie(srv["env"], "bithu")
        officer = session_cookie(srv["env"], "canbo")
        cell = django_eval(
            srv["env"], "from cells.models import Membership", "Membership.objects.get(user__username='bithu').cell_id"
        )
        load(port, "/robots.txt", seconds=1)  # warm up
        trivial = load(port, "/robots.txt", seconds=5)
        rows = [("trivial view /robots.txt", trivial)]
        for label, path, cookie in [
            ("home, member", "/", member),
            ("home, secretary", "/", secretary),
            ("cell member list, secretary", f"/cells/units/{cell}/", secretary),
            ("organisation tree, officer", "/cells/tree/", officer),
            ("notifications, member", "/notifications/", member),
        ]:
            load(port, path, cookie=cookie, seconds=1)
            rows.append((label, load(port, path, cookie=cookie, seconds=5)))
    print(f"{'page':34} {'req/s':>8} {'ratio':>6} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}")
    for label, r in rows:
        ratio = r["rps"] / trivial["rps"] if trivial["rps"] else 0
        print(f"{label:34} {r['rps']:8.0f} {ratio:6.2f} {r['p50_ms']:7.1f} {r['p99_ms']:7.1f} {r['errors']:6d}")


if __name__ == "__main__":
    main()

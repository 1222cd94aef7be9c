"""HTTP through the WSGI thread pool (HTTP_THREADS, asgi.py) next to WebSockets in one process.

On the embedded default the channel layer is in memory and belongs to the server's event
loop: a live event a page's thread sends must run on that loop, or the socket's reader is not
woken. Here one uvicorn process on SQLite, without Redis: an HTTP action reaches the member's
socket on the same process, at once, and the pages answer from the reused threads.
"""

import contextlib
import os
import subprocess
import sys

import pytest

from e2e.conftest import ROOT, SERVER_ENV_DROP, free_port, stop, uvicorn_command, wait_for_health
from e2e.test_scaleout import Browserless, open_socket, receive

pytestmark = pytest.mark.multiprocess


@pytest.fixture(scope="module")
def threaded_server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("threaded")
    env = {key: value for key, value in os.environ.items() if key not in SERVER_ENV_DROP}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="1",
        SQLITE_PATH=str(workdir / "db.sqlite3"),
        HTTP_THREADS="4",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    for args in (["migrate", "--noinput", "-v0"], ["seed_demo"]):
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    log = workdir / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(uvicorn_command(port), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_health(f"http://127.0.0.1:{port}", process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


def test_an_http_action_reaches_a_socket_of_the_same_process_at_once(threaded_server):
    member = Browserless(threaded_server)
    member.login("dangvien")  # POST through the thread pool: CSRF, session, redirect
    with contextlib.ExitStack() as stack:
        socket, unread = open_socket(stack, threaded_server, member.session)
        assert unread >= 1  # the demo's welcome notification
        member.post("/notifications/read-all/", {}, form_page="/notifications/")
        assert receive(socket, timeout=3) == {"version": 1, "type": "notification.read", "unread": 0}

"""The embedded default (SQLite, LocMem cache, no Redis): a change made by a management
command in another process reaches the running server on its next request.

The server caches the logged-in user for minutes in its own memory; a command's bumps land
in the command's memory only. The command replaces the epoch file next to the database
(core.cache), and the server, which looks at it once per request, forgets its generations.
"""

import os
import subprocess
import sys

import pytest

from e2e.conftest import DEMO_PASSWORD, ROOT, SERVER_ENV_DROP, free_port, stop, uvicorn_command, wait_for_health
from e2e.test_scaleout import Browserless

pytestmark = pytest.mark.multiprocess

SETUP = f"""
from accounts.models import User
for name in ("chi", "ba"):
    user = User(username=name, full_name=name, email=name + "@example.org")
    user.set_password({DEMO_PASSWORD!r})
    user.save()
"""
# What `manage.py changepassword chi` does (set_password, save), without its prompt.
CHANGE_PASSWORD = """
from accounts.models import User
user = User.objects.get(username="chi")
user.set_password("a-new-password-9")
user.save()
"""
DEACTIVATE = 'from accounts.models import User; User.objects.filter(username="ba").update(is_active=False)'


@pytest.fixture
def sqlite_server(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in SERVER_ENV_DROP}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="1",
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        MEDIA_ROOT=str(tmp_path / "media"),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )

    def manage(*args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)

    manage("migrate", "--noinput", "-v0")
    manage("shell", "-c", SETUP)
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(uvicorn_command(port), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_health(f"http://127.0.0.1:{port}", process, log)
        yield f"http://127.0.0.1:{port}", manage
    finally:
        stop(process)


def landed_on(client: Browserless, path: str) -> str:
    with client.opener.open(client.base_url + path, timeout=10) as response:
        return response.geturl()


def test_a_command_in_another_process_is_seen_on_the_next_request(sqlite_server):
    url, manage = sqlite_server
    chi, ba = Browserless(url), Browserless(url)
    chi.login("chi")
    ba.login("ba")
    for client in (chi, ba):  # each user is now cached in the server's memory
        assert "/accounts/login/" not in landed_on(client, "/accounts/profile/")
        assert "/accounts/login/" not in landed_on(client, "/accounts/profile/")

    manage("shell", "-c", CHANGE_PASSWORD)
    manage("shell", "-c", DEACTIVATE)

    # A changed password ends the other sessions; a deactivated account is logged out.
    assert "/accounts/login/" in landed_on(chi, "/accounts/profile/")
    assert "/accounts/login/" in landed_on(ba, "/accounts/profile/")

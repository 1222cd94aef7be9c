"""The production layout on this machine: N uvicorn processes on PostgreSQL + Redis behind nginx.

    make deploy-local N=3            # or: .venv/bin/python deploy/local.py --processes 3

Needs DATABASE_URL and REDIS_URL (the Makefile gives defaults), Debian's nginx installed (it is
run as a child of this script, not as a service: its configuration, pid file, logs and
temporary files live in a temporary directory; nothing under /etc is read or written but
/etc/nginx/mime.types). Migrates, loads the demo data, collects static files, starts the
processes on 127.0.0.1 ports after --port, renders deploy/nginx-site.conf.template for them
and serves the site at http://127.0.0.1:PORT/ until Ctrl-C, then stops everything.
e2e/test_nginx.py starts the same layout through `layout()`.
"""

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "deploy"))

from render_nginx import render  # noqa: E402

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
MIME_TYPES = "/etc/nginx/mime.types"
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

MAIN_CONF = """\
{user}worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    include {mime};
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
{site}
}}
"""


def answers(url: str) -> bool:
    try:
        with _opener.open(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        if answers(url):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@dataclass
class Layout:
    url: str
    env: dict[str, str]
    workdir: Path
    ports: list[int]
    apps: list[subprocess.Popen] = field(default_factory=list)
    nginx: subprocess.Popen | None = None

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True, capture_output=True, text=True
        )


def app_command(port: int) -> list[str]:
    # --no-proxy-headers: Django decides whom to believe (TRUSTED_PROXIES, set to nginx's
    # address below; core.middleware.ClientAddressMiddleware), as in the systemd unit.
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-proxy-headers",
        "--no-access-log",
        "--timeout-graceful-shutdown",
        "3",
    ]


def start_app(layout: Layout, index: int) -> subprocess.Popen:
    """Start (or restart) application process `index` on its port."""
    port = layout.ports[index]
    log = layout.workdir / f"app-{port}.log"
    with log.open("a") as out:
        process = subprocess.Popen(app_command(port), cwd=ROOT, env=layout.env, stdout=out, stderr=subprocess.STDOUT)
    if index < len(layout.apps):
        layout.apps[index] = process
    else:
        layout.apps.append(process)
    wait_until_up(f"http://127.0.0.1:{port}/healthz", process, log)
    return process


@contextlib.contextmanager
def layout(
    *,
    processes: int,
    env: dict[str, str],
    port: int,
    seed: bool = True,
    workdir: Path | None = None,
    app_ports: list[int] | None = None,
):
    """Migrate (and seed), collect static files, start `processes` apps (on the ports after
    `port`, or on `app_ports`) and nginx on `port`; stop them all after."""
    if not NGINX:
        raise RuntimeError("nginx is not installed (apt-get install nginx)")
    if not (env.get("DATABASE_URL") and env.get("REDIS_URL")):
        raise RuntimeError("the production layout needs DATABASE_URL (PostgreSQL) and REDIS_URL (Redis)")
    workdir = Path(workdir or tempfile.mkdtemp(prefix="chibo-deploy-"))
    ports = list(app_ports or [port + 1 + i for i in range(processes)])
    env = {"TRUSTED_PROXIES": "127.0.0.1,::1", **env}  # nginx, on this machine
    site = Layout(url=f"http://127.0.0.1:{port}", env=env, workdir=workdir, ports=ports)
    for args in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        site.manage(*args)
    if seed:
        site.manage("seed_demo")
    conf = workdir / "nginx.conf"
    text = render(ports=ports, static_root=str(ROOT / "staticfiles"), listen=f"127.0.0.1:{port}")
    # Started as root, nginx would run its workers as www-data, who may not read a checkout in
    # a private folder (a clone under mktemp -d is 0700): here they run as whoever started it.
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf.write_text(MAIN_CONF.format(user=user, tmp=workdir, mime=MIME_TYPES, site=text))
    try:
        for index in range(processes):
            start_app(site, index)
        nginx_log = workdir / "nginx.out"
        with nginx_log.open("w") as out:
            command = [NGINX, "-p", str(workdir), "-e", str(workdir / "nginx-error.log"), "-c", str(conf)]
            site.nginx = subprocess.Popen(
                [*command, "-g", "daemon off;"],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_until_up(site.url + "/healthz", site.nginx, nginx_log)
        yield site
    finally:
        if site.nginx:
            stop(site.nginx)
        for process in site.apps:
            process.terminate()
        for process in site.apps:
            stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--port", type=int, default=8080, help="nginx listens here; apps on the ports after it")
    parser.add_argument("--no-seed", action="store_true", help="do not load the demo data")
    args = parser.parse_args()
    env = dict(os.environ)
    site_url = f"http://127.0.0.1:{args.port}"
    env.setdefault("SITE_URL", site_url)
    env.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    with layout(processes=args.processes, env=env, port=args.port, seed=not args.no_seed) as site:
        print(f"\n  Chi bộ số behind nginx at {site.url}/  ({args.processes} processes on ports {site.ports})")
        print(f"  logs in {site.workdir}; Ctrl-C stops everything.\n", flush=True)
        try:
            while not stopping and site.nginx.poll() is None and all(p.poll() is None for p in site.apps):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
    print("  stopped.")


if __name__ == "__main__":
    main()

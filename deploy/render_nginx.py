"""Render deploy/nginx-site.conf.template into an nginx site file.

    python deploy/render_nginx.py --ports 8001,8002,8003 --static /srv/chibo/staticfiles \\
        --server-name chibo.example.org --tls /etc/letsencrypt/live/chibo.example.org

prints the site for Debian's nginx (/etc/nginx/sites-available/chibo): HTTPS on 443 with the
certificate in --tls (fullchain.pem, privkey.pem), port 80 redirecting to it. Without --tls it
listens on plain HTTP at --listen (what `make deploy-local` does, on 127.0.0.1).
"""

import argparse
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "nginx-site.conf.template"


def render(*, ports: list[int], static_root: str, server_name: str = "_", listen: str = "80", tls: str = "") -> str:
    upstream = "\n".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;" for port in ports)
    if tls:
        listen_lines = (
            "    listen 443 ssl http2;\n    listen [::]:443 ssl http2;\n"
            f"    ssl_certificate {tls}/fullchain.pem;\n    ssl_certificate_key {tls}/privkey.pem;"
        )  # HSTS comes from Django (SECURE_HSTS_SECONDS), not repeated here
        redirect = (
            "server {\n    listen 80;\n    listen [::]:80;\n"
            f"    server_name {server_name};\n    return 301 https://$host$request_uri;\n}}\n"
        )
    else:
        listen_lines, redirect = f"    listen {listen};", ""
    text = TEMPLATE.read_text()
    for field, value in {
        "UPSTREAM_SERVERS": upstream,
        "LISTEN": listen_lines,
        "HTTP_REDIRECT": redirect,
        "SERVER_NAME": server_name,
        "STATIC_ROOT": static_root.rstrip("/"),
    }.items():
        text = text.replace("{{" + field + "}}", value)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ports", required=True, help="comma-separated ports of the uvicorn processes")
    parser.add_argument("--static", required=True, help="STATIC_ROOT (collectstatic's output)")
    parser.add_argument("--server-name", default="_")
    parser.add_argument("--tls", default="", help="directory holding fullchain.pem and privkey.pem")
    parser.add_argument("--listen", default="80", help="without --tls: the address nginx listens on")
    args = parser.parse_args()
    ports = [int(p) for p in args.ports.split(",") if p.strip()]
    print(render(ports=ports, static_root=args.static, server_name=args.server_name, listen=args.listen, tls=args.tls))


if __name__ == "__main__":
    main()

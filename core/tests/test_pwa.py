"""The app manifest, the service worker and the offline page (core/pwa.py)."""

import json

import pytest
from django.conf import settings
from PIL import Image

from core.pwa import KEEP, SHELL_FILES

pytestmark = pytest.mark.django_db


def test_every_page_links_the_manifest(client, client_as, personas):
    for page in ("/accounts/login/", "/offline/"):
        assert b'<link rel="manifest" href="/manifest.webmanifest">' in client.get(page).content
    member = client_as(personas["member_a"])
    assert b'<link rel="manifest" href="/manifest.webmanifest">' in member.get("/").content


def test_the_manifest_names_the_app_in_vietnamese_with_its_icons(client):
    response = client.get("/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert data["name"] == "Chi bộ số" and data["lang"] == "vi"
    assert data["description"] == "Nền tảng số cho sinh hoạt chi bộ"
    assert data["start_url"] == "/" and data["display"] == "standalone"
    assert data["theme_color"] == "#b71c1c"
    sizes = {(icon["sizes"], icon["purpose"]) for icon in data["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in data["icons"]:
        name = icon["src"].removeprefix(settings.STATIC_URL)
        with Image.open(settings.BASE_DIR / "static" / name) as image:
            assert f"{image.width}x{image.height}" == icon["sizes"] and image.format == "PNG"


def test_the_service_worker_is_served_from_the_root_never_cached(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    script = response.content.decode()
    assert "__CONFIG__" not in script
    # Its caches carry the release: a new release drops the old shell.
    assert settings.CACHE_RELEASE in script
    assert '"/offline/"' in script and '"/accounts/logout/"' in script


def test_the_worker_and_the_page_script_stay_small(client):
    # The budget: the worker and its page script add at most 10 KB (site.js was 2.9 KB).
    worker = len(client.get("/sw.js").content)
    site_js = (settings.BASE_DIR / "static" / "js" / "site.js").stat().st_size
    assert worker + site_js - 2868 <= 10 * 1024, (worker, site_js)


def test_the_offline_page_is_vietnamese_and_names_nobody(client_as, personas):
    member = client_as(personas["member_a"])
    response = member.get("/offline/")
    text = response.content.decode()
    assert "Đồng chí đang ngoại tuyến" in text
    assert personas["member_a"].full_name not in text and "csrfmiddlewaretoken" not in text


def test_a_members_pages_are_private_and_the_shell_files_exist(client_as, personas):
    member = client_as(personas["member_a"])
    control = {part.strip() for part in member.get("/courses/")["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= control
    for name in SHELL_FILES:
        assert (settings.BASE_DIR / "static" / name).exists(), name
    assert r"^/courses/lessons/\d+/$" in KEEP

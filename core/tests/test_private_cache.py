"""`Cache-Control: private, no-store` on everything a shared cache or the browser's history
must never keep (core.middleware.PrivateCacheMiddleware), tried on every URL pattern the
site crawl reaches (core/tests/site_crawl.py) as every persona."""

import pytest
from django.test import Client

from core.tests.site_crawl import build_world, crawl_site, view_name

DOWNLOADS = ("application/pdf", "text/csv", "application/zip")


def _private(response) -> bool:
    directives = {d.strip().split("=")[0] for d in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives


@pytest.mark.django_db
@pytest.mark.timeout(300)  # the site crawl: about 8 s of CPU; more on a busy machine
def test_every_private_page_and_download_is_marked_private_no_store():
    failures: list = []
    site = crawl_site(build_world(), failures)
    wrong = set()
    names = set()
    for persona, probe in site.probes.items():
        for _, path, response in probe.seen:
            names.add(view_name(path.split("?")[0]))
            download = response.get("Content-Type", "").split(";")[0] in DOWNLOADS or response.has_header(
                "Content-Disposition"
            )
            has_token = not response.streaming and b"csrfmiddlewaretoken" in response.content
            if (persona != "anonymous" or download or has_token) and not _private(response):
                wrong.add((persona, view_name(path.split("?")[0]), response.status_code))
    assert sorted(wrong) == []
    assert {"forum:minutes", "courses:certificate_pdf", "pledges:approved_zip", "reports:unit_csv"} <= names


@pytest.mark.django_db
def test_public_pages_and_static_files_keep_their_own_headers(client, personas):
    robots = client.get("/robots.txt")
    assert not _private(robots)
    verify = client.get("/certificates/verify/unknown-code/")
    assert verify.status_code == 404 and "no-cache" in verify["Cache-Control"]  # never_cache, as before
    static = Client().get("/static/css/site.css")
    if static.status_code == 200:  # served by WhiteNoise before any view
        assert not _private(static)

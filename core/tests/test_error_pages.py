import pytest
from django.test import Client


@pytest.mark.django_db
def test_it_explains_a_stale_form_in_vietnamese_instead_of_djangos_page():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"login": "x", "password": "y"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "Trang đã cũ" in body
    assert "CSRF" not in body


@pytest.mark.django_db
def test_it_serves_a_favicon_at_the_conventional_address(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith(".svg")

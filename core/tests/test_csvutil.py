import csv
import io

import pytest

from core.csvutil import csv_response, safe_cell


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x","y")'])
def test_it_neutralises_cells_a_spreadsheet_reads_as_formulas(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Nguyễn Văn Ấn", "", "a=b", 3, -3, None, 1.5])
def test_it_leaves_other_values_alone(value):
    assert safe_cell(value) == value


def test_it_writes_utf8_with_bom_and_a_proper_attachment_header():
    response = csv_response("tiến độ.csv", ["Tên", "=x"], [["=cmd|' /C calc'!A0", 2]])
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [["Tên", "'=x"], ["'=cmd|' /C calc'!A0", "2"]]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"tien-do.csv\"; filename*=utf-8''ti%E1%BA%BFn%20%C4%91%E1%BB%99.csv"
    )

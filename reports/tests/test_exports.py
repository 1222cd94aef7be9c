"""The CSV (streamed) and XLSX exports of both tables, as every persona that must be refused."""

import csv
import io
import re

import openpyxl
import pytest
from django.urls import reverse

from conftest import make_member
from core import csvutil

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _url(name: str, unit) -> str:
    return reverse(f"reports:{name}", args=[unit.pk]) + "?year=2020"


def _workbook(response) -> openpyxl.Workbook:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == XLSX
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def _rows(ws) -> list[list]:
    return [[cell.value for cell in row] for row in ws.iter_rows()]


def test_cell_xlsx_one_sheet_per_group_with_frozen_header(client_as, personas, org, world):
    make_member("hostile", org["cell_a"], full_name='=HYPERLINK("http://x")')
    response = client_as(personas["secretary_a"]).get(_url("unit_xlsx", org["cell_a"]))
    assert 'filename="bao-cao-Chi-bo-A-2020.xlsx"' in response["Content-Disposition"]
    book = _workbook(response)
    assert book.sheetnames == ["Chủ đề", "Chuyên đề học tập", "Cam kết"]
    for ws in book.worksheets:
        assert ws.freeze_panes == "B2"
        assert [c.value for c in ws[1]][:3] == ["Đảng viên", "Chức vụ", "Sinh hoạt"]
        assert ws["A1"].font.b
        assert 12 <= ws.column_dimensions["A"].width <= 50  # as wide as the longest name
    themes = _rows(book["Chủ đề"])
    assert themes[0][3] == f"Chủ đề: {world['theme'].title}"  # Vietnamese intact
    by_name = {row[0]: row for row in themes[1:]}
    assert by_name["Nguyễn Văn Ấn"][3] == "Đã tham gia"
    assert '\'=HYPERLINK("http://x")' in by_name  # text, never a formula
    assert all(cell.data_type != "f" for row in book["Chủ đề"].iter_rows() for cell in row)
    modules = _rows(book["Chuyên đề học tập"])
    title = world["module"].title
    assert modules[0][3:] == [
        f"{title}: số bài đã học",
        f"{title}: tổng số bài",
        f"{title}: đạt",
        f"{title}: số lần làm bài",
        f"{title}: điểm cao nhất (%)",
        f"{title}: giấy chứng nhận",
    ]
    member_a = next(row for row in modules if row[0] == "Nguyễn Văn Ấn")
    assert member_a[3:6] == [2, 2, "Có"] and member_a[6] == 1 and member_a[8]  # read, total, passed, tried once, serial
    pledges = _rows(book["Cam kết"])
    assert pledges[0][3:] == ["Bản cam kết", "Xếp loại", "Quá hạn"]
    assert next(row for row in pledges if row[0] == "Nguyễn Văn Ấn")[3] == "Đã nộp"


def test_committee_xlsx_rows_per_child_and_total(client_as, personas, org, world):
    book = _workbook(client_as(personas["officer"]).get(_url("unit_xlsx", org["committee"])))
    assert book.sheetnames == ["Chủ đề", "Chuyên đề học tập", "Cam kết"]
    themes = _rows(book["Chủ đề"])
    assert themes[0][:3] == ["Tổ chức đảng", "Chi bộ", "Đảng viên"]
    assert [row[0] for row in themes[1:]] == ["Chi bộ A", "Chi bộ B", "Tổng cộng"]
    assert themes[1][1:6] == [1, 2, 0, 1, 1]  # cells, members; held, reached, past the deadline
    assert _rows(book["Chuyên đề học tập"])[1][3:5] == [1, 2]
    pledges = _rows(book["Cam kết"])
    assert pledges[0][3:8] == [
        "Bản cam kết quá hạn chưa nộp",
        "Bản cam kết đã bắt đầu",
        "Bản cam kết đã nộp",
        "Bản cam kết đã phê duyệt",
        "Bản cam kết đã xếp loại",
    ]
    # Overdue (the form was due 31/03/2020): A's secretary and B's member; started and submitted: member_a.
    assert pledges[3][0] == "Tổng cộng" and pledges[3][3:6] == [2, 1, 1]


def test_csv_streams_and_matches_the_groups_side_by_side(client_as, personas, org, world, monkeypatch):
    monkeypatch.setattr(csvutil, "CHUNK_ROWS", 1)
    for i in range(3):
        make_member(f"extra{i}", org["cell_a"], full_name=f"Thành viên {i}")
    response = client_as(personas["secretary_a"]).get(_url("unit_csv", org["cell_a"]))
    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    chunks = list(response.streaming_content)
    assert len(chunks) == 1 + 5  # the header, then one chunk per row
    assert chunks[0].startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    book = _workbook(client_as(personas["secretary_a"]).get(_url("unit_xlsx", org["cell_a"])))
    sheets = [_rows(ws) for ws in book.worksheets]
    # The CSV is the three sheets side by side: same rows, same cells.
    for n, row in enumerate(rows):
        expected = sheets[0][n][:3] + [v for sheet in sheets for v in sheet[n][3:]]
        assert row == ["" if v is None else str(v) for v in expected]
    assert not any(re.fullmatch(r"\d+/\d+", value) for row in rows for value in row)  # Excel would read a date


@pytest.mark.parametrize("name", ["unit_csv", "unit_xlsx"])
def test_exports_refused_as_the_personas_who_must_be_refused(client_as, personas, org, world, name):
    cell, committee = _url(name, org["cell_a"]), _url(name, org["committee"])
    assert client_as(personas["member_a"]).get(cell).status_code == 403  # their own cell, not a leader
    for who in ("member_b", "outsider"):
        assert client_as(personas[who]).get(cell).status_code == 404, who
    for who in ("member_a", "secretary_a", "outsider"):
        assert client_as(personas[who]).get(committee).status_code in (403, 404), who
    assert "/accounts/login/" in client_as(None).get(cell)["Location"]
    unknown = reverse(f"reports:{name}", args=[999999])
    assert client_as(personas["officer"]).get(unknown).status_code == 404

"""XLSX downloads: one sheet per group of columns, built with openpyxl in write-only mode.

Each sheet has its header in bold, frozen above the rows, columns as wide as their header
or longest value (within bounds), and every text cell passed through `core.csvutil.safe_cell`
like the CSV, so a name such as "=HYPERLINK(...)" stays text. Write-only mode keeps one row at
a time in memory; the file is written to a spooled temporary file, then sent in chunks.
"""

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass

from django.http import FileResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from core.csvutil import safe_cell
from core.filenames import content_disposition

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIN_WIDTH, MAX_WIDTH = 8, 50
_BAD_TITLE = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


@dataclass
class Sheet:
    title: str
    header: list
    rows: list[list]  # a list: the widths are measured before the rows are written


def sheet_title(text: str) -> str:
    """A valid sheet name: at most 31 characters, none of []:*?/\\."""
    return (str(text).translate(_BAD_TITLE).strip() or "Sheet")[:31]


def _width(value) -> int:
    text = "" if value is None else str(value)
    return max((len(line) for line in text.splitlines()), default=0)


def _widths(sheet: Sheet) -> list[int]:
    out = [_width(v) for v in sheet.header]
    for row in sheet.rows:
        for i, value in enumerate(row):
            if i < len(out):
                out[i] = max(out[i], _width(value))
    return [min(MAX_WIDTH, max(MIN_WIDTH, w + 2)) for w in out]


def workbook_bytes_file(sheets: Iterable[Sheet]):
    """The workbook written to a temporary file, rewound: pass it to a FileResponse."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for sheet in sheets:
        ws = book.create_sheet(sheet_title(sheet.title))
        for i, width in enumerate(_widths(sheet), start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "B2"  # the header row and the name column stay in view
        header = []
        for value in sheet.header:
            cell = WriteOnlyCell(ws, value=safe_cell(value))
            cell.font, cell.alignment = bold, wrap
            header.append(cell)
        ws.append(header)
        for row in sheet.rows:
            ws.append([safe_cell(value) for value in row])
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (FileResponse closes it)
    book.save(out)
    out.seek(0)
    return out


def xlsx_response(filename: str, sheets: Iterable[Sheet]) -> FileResponse:
    response = FileResponse(workbook_bytes_file(sheets), content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition(filename)
    return response

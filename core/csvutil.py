"""CSV downloads that open safely in Excel and LibreOffice.

`csv_response` writes UTF-8 with a byte-order mark (Excel reads Vietnamese names right only
with it) and passes every cell through `safe_cell`, so text a member typed (a name such as
"=HYPERLINK(...)") is shown as text and never runs as a spreadsheet formula.
"""

import csv
import io
from collections.abc import Iterable

from django.http import HttpResponse

from core.filenames import content_disposition

# A cell starting with one of these is read as a formula (or DDE) by spreadsheet programs.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Prefix "'" to a string a spreadsheet would read as a formula; other values unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(filename: str, header: Iterable, rows: Iterable[Iterable]) -> HttpResponse:
    """An attachment with the header row and rows, every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(value) for value in header])
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    response = HttpResponse(("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition(filename)
    return response

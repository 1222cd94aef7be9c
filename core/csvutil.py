"""CSV downloads that open safely in Excel and LibreOffice.

`csv_response` writes UTF-8 with a byte-order mark (Excel reads Vietnamese names right only
with it) and passes every cell through `safe_cell`, so text a member typed (a name such as
"=HYPERLINK(...)") is shown as text and never runs as a spreadsheet formula.
"""

import csv
import io
from collections.abc import Iterable, Iterator

from django.http import HttpResponse, StreamingHttpResponse

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


class _Echo:
    """A file-like object whose write returns what it was given (csv.writer into a generator)."""

    def write(self, value: str) -> str:
        return value


CHUNK_ROWS = 200


def csv_stream_chunks(header: Iterable, rows: Iterable[Iterable]) -> Iterator[bytes]:
    """The BOM and header first, then the rows in chunks, every cell made safe."""
    writer = csv.writer(_Echo())
    yield ("\ufeff" + writer.writerow([safe_cell(value) for value in header])).encode("utf-8")
    chunk: list[str] = []
    for row in rows:
        chunk.append(writer.writerow([safe_cell(value) for value in row]))
        if len(chunk) >= CHUNK_ROWS:
            yield "".join(chunk).encode("utf-8")
            chunk = []
    if chunk:
        yield "".join(chunk).encode("utf-8")


def csv_streaming_response(filename: str, header: Iterable, rows: Iterable[Iterable]) -> StreamingHttpResponse:
    """As `csv_response`, sent as it is written: the first bytes leave before the last row is
    read, so a large table neither waits for nor holds the whole file."""
    response = StreamingHttpResponse(csv_stream_chunks(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition(filename)
    return response

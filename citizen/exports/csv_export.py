"""results.csv and answers.csv, written row by row as they are read.

UTF-8 without a byte-order mark, comma-separated, a header row, RFC 4180 quoting, `\\r\\n` line ends
(Python's csv module): pandas, R, LibreOffice and Excel's "From Text/CSV" read them as they are.
Empty cells mean "no value"; booleans are `true`/`false`; structured values are JSON.
Text cells that a spreadsheet would run as a formula (starting with = + - @, tab or carriage return) get a
leading apostrophe; numbers, and text that is exactly a plain number, are written as they are
(citizen.spreadsheet).
"""
import csv
import io

from citizen.exports.rows import Answers, Results, as_text
from citizen.spreadsheet import safe_row

FLUSH_BYTES = 256 * 1024  # hand the web server a chunk about this big


def stream(header, rows):
    """CSV byte chunks of a header and rows (cells made spreadsheet-safe), flushed about every FLUSH_BYTES."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    yield buf.getvalue().encode()  # the first bytes go out before any data row is read
    buf.seek(0)
    buf.truncate()
    for row in rows:
        writer.writerow(safe_row(row))
        if buf.tell() >= FLUSH_BYTES:
            yield buf.getvalue().encode()
            buf.seek(0)
            buf.truncate()
    if buf.tell():
        yield buf.getvalue().encode()


def results_csv(campaign):
    """results.csv as an iterator of byte chunks: one row per task."""
    results = Results(campaign)
    names = [c.name for c in results.columns]
    rows = ([as_text(values.get(n)) for n in names] for values, _geometry, _marks, _crs in results.rows())
    return stream(names, rows)


def answers_csv(campaign, version):
    """answers.csv as an iterator of byte chunks: every answer up to the version's last answer."""
    answers = Answers(campaign, version.last_answer_id)
    return stream([c.name for c in answers.columns], answers.rows())

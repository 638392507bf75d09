"""CSV cells a spreadsheet may open without running anything typed by a stranger (CSV/formula injection).

Excel, LibreOffice and Google Sheets treat a cell that starts with `=`, `+`, `-` or `@` as a formula
(`=HYPERLINK(...)`, `@SUM(...)|cmd`), and some strip a leading tab or carriage return first. Every CSV
citizen writes (results.csv, answers.csv, the audit log) passes its cells through `safe_cell`:

- numbers (int, float) stay numbers: they are written by Python, never parsed as formulas;
- a text cell that is exactly a plain decimal number (`-12.5`, `+3`, `1e-3`) stays as it is: a spreadsheet
  reads it as that number, and no formula can be written in that shape;
- any other text cell that starts with one of `= + - @ \\t \\r` gets a leading apostrophe (`'=HYPERLINK(...)`),
  which spreadsheets show as text and which a script reading the file can strip.
"""
import math

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_CHARS = frozenset("0123456789.eE+-")
_NUMBER_MAX = 40  # a longer "number" is not one we wrote


def _plain_number(text):
    if len(text) > _NUMBER_MAX or not set(text) <= _NUMBER_CHARS:
        return False
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def safe_cell(value):
    """`value` as it may go into a CSV cell: text that a spreadsheet would run as a formula is prefixed
    with an apostrophe; anything that is not text is returned unchanged."""
    if isinstance(value, str) and value[:1] in FORMULA_START and not _plain_number(value):
        return "'" + value
    return value


def safe_row(row):
    return [safe_cell(v) for v in row]

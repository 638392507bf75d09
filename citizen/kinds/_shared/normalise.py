"""Values typed by volunteers, made comparable: text, numbers and money, dates.

Every function takes what a person typed and returns the canonical value, or raises ValueError
with a plain message. Canonical values are what answers store and what agreement compares:
text keeps its spelling (comparison uses text_key), numbers are JSON numbers, dates ISO 8601.
"""
import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

# Limits of what a volunteer may type, checked before anything else looks at the value (and before any
# lock is taken: citizen.kinds.Kind.check_limits). A transcribed text keeps MAX_TEXT characters
# once runs of spaces are collapsed; as sent it may hold at most MAX_TEXT_SENT (a pasted text with double
# spaces and line breaks). A number, an amount of money or a date is at most MAX_TYPED characters as sent:
# the longest real one ("USD 999,999,999,999,999.99-" or "Wednesday 31 December 2025") is about 30.
MAX_TEXT = 500
MAX_TEXT_SENT = 2 * MAX_TEXT
MAX_TYPED = 64
MAX_NUMBER = 10 ** 15  # numbers and amounts are below this in size (a JSON number too)

_SPACES = re.compile(r"\s+")
# Currency signs and codes people copy with amounts; they are not part of the number. Stripped by plain
# string tests at both ends (no regular expression: "1", 15,000 spaces and "1" once cost tens of seconds).
_SIGNS = "$€£¥₹₽₩₦₱₴₪"
_CURRENCY_BEFORE = ("us$", "r$", "fr.", "kr.", "fr", "kr")
_CURRENCY_AFTER = ("kr.", "fr.", "kr", "fr", ",-", ".-")
_GROUP = "'’\u00a0\u202f\u2009 _"  # apostrophes (Swiss), spaces of every width, underscore
_GROUPS = re.compile("[" + re.escape(_GROUP) + "]+")
_BY_THREE = {mark: re.compile(r"\d{1,3}(?:" + re.escape(mark) + r"\d{3})+") for mark in ".,"}
MONTHS = {name: i for i, names in enumerate([
    ("january", "jan", "enero", "ene", "janvier", "janv", "januar", "janeiro", "gennaio", "gen"),
    ("february", "feb", "febrero", "février", "fevrier", "févr", "fevr", "februar", "fevereiro", "fev", "febbraio"),
    ("march", "mar", "marzo", "mars", "märz", "marz", "março", "marco"),
    ("april", "apr", "abril", "abr", "avril", "avr", "aprile"),
    ("may", "mayo", "mai", "maio", "maggio", "mag"),
    ("june", "jun", "junio", "juin", "juni", "junho", "giugno", "giu"),
    ("july", "jul", "julio", "juillet", "juil", "juli", "julho", "luglio", "lug"),
    ("august", "aug", "agosto", "ago", "août", "aout", "agosto"),
    ("september", "sep", "sept", "septiembre", "septembre", "setembro", "set", "settembre"),
    ("october", "oct", "octubre", "octobre", "oktober", "okt", "outubro", "out", "ottobre", "ott"),
    ("november", "nov", "noviembre", "novembre", "novembro"),
    ("december", "dec", "diciembre", "dic", "décembre", "decembre", "déc", "dezember", "dez", "dezembro", "dicembre"),
], start=1) for name in names}


def text_key(value):
    """What two spellings of a text must share to be the same answer: case, accents' composition
    and runs of whitespace do not count."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", value)).strip().casefold()


def clean_text(raw, max_length=MAX_TEXT):
    if not isinstance(raw, str):
        raise ValueError(_("write it as text."))
    if len(raw) > max(MAX_TEXT_SENT, 2 * max_length):
        raise ValueError(_("keep it under %(n)d characters.", n=max_length))
    value = _SPACES.sub(" ", raw).strip()
    if not value:
        raise ValueError(_("this is empty."))
    if len(value) > max_length:
        raise ValueError(_("keep it under %(n)d characters.", n=max_length))
    return value


def clean_number(raw, decimal_mark="auto", money=False):
    """1234.5 from "1.234,50", "1,234.50", "1 234,5", "€ 1.234,50", "(12.00)" (negative), 1234.5.

    decimal_mark "auto": when both "." and "," appear the last one is the decimal mark; a single
    mark followed by exactly three digits groups thousands ("1,234" and "1.234" are 1234); any other
    single mark is the decimal mark ("12,5" is 12.5). "." or "," force the decimal mark."""
    if isinstance(raw, bool):
        raise ValueError(_("write a number."))
    if isinstance(raw, (int, float)):
        value = Decimal(str(raw))
    elif isinstance(raw, str):
        if len(raw) > MAX_TYPED:
            raise ValueError(_("write a number of at most %(n)d characters.", n=MAX_TYPED))
        value = _parse_number(raw, decimal_mark, money)
    else:
        raise ValueError(_("write a number."))
    if not value.is_finite() or abs(value) >= MAX_NUMBER:
        raise ValueError(_("write a number."))
    value = value.quantize(Decimal("0.01")) if money else value.normalize()
    return int(value) if value == value.to_integral_value() else float(value)


def _parse_number(raw, decimal_mark, money):
    text = unicodedata.normalize("NFKC", raw).strip()
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    if money:
        for _i in range(2):
            text = _strip_currency(text)
    if text.startswith(("-", "−")):
        negative, text = not negative, text[1:].strip()
    elif text.endswith("-"):  # "12.50-" in some ledgers
        negative, text = not negative, text[:-1].strip()
    if text.startswith("+"):
        text = text[1:].strip()
    segments = _GROUPS.split(text)
    if len(segments) > 1 and not (re.fullmatch(r"\d{1,3}", segments[0]) and all(
            re.fullmatch(r"\d{3}", seg) for seg in segments[1:-1]) and re.fullmatch(r"\d{3}(?:[.,]\d*)?", segments[-1])):
        raise ValueError(_("the thousands are not grouped by three: check the number."))
    text = "".join(segments)
    if not re.fullmatch(r"\d[\d.,]*|[.,]\d+", text):
        raise ValueError(_("write a number, like 1234.50 or 1.234,50."))
    mark = decimal_mark if decimal_mark in (".", ",") else _guess_mark(text)
    group = "," if mark == "." else "."
    if mark and text.count(mark) > 1:
        raise ValueError(_("write a number, like 1234.50 or 1.234,50."))
    whole, _sep, fraction = text.partition(mark) if mark else (text, "", "")
    if group in fraction:
        raise ValueError(_("write a number, like 1234.50 or 1.234,50."))
    if group in whole and not _BY_THREE[group].fullmatch(whole):
        raise ValueError(_("the thousands are not grouped by three: check the number."))
    try:
        value = Decimal(whole.replace(group, "") + "." + fraction if fraction else whole.replace(group, "") or "0")
    except InvalidOperation:
        raise ValueError(_("write a number, like 1234.50 or 1.234,50.")) from None
    return -value if negative else value


def _strip_currency(text):
    """text without one currency sign or code at its start and one at its end ("€ 12", "12 EUR",
    "R$ 12", "12 kr.", "12,-"), then without the spaces around what is left."""
    head = text[:3]
    if len(head) == 3 and head.isascii() and head.isalpha():
        text = text[3:]
    elif text[:1] and text[0] in _SIGNS:
        text = text[1:]
    else:
        text = text[len(next((p for p in _CURRENCY_BEFORE if head.lower().startswith(p)), "")):]
    text = text.strip()
    tail = text[-3:]
    if len(tail) == 3 and tail.isascii() and tail.isalpha():
        text = text[:-3]
    elif text[-1:] and text[-1] in _SIGNS:
        text = text[:-1]
    else:
        text = text[:len(text) - len(next((p for p in _CURRENCY_AFTER if tail.lower().endswith(p)), ""))]
    return text.strip()


def _guess_mark(text):
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        return "." if text.rfind(".") > text.rfind(",") else ","
    if not dots and not commas:
        return None
    mark = "." if dots else ","
    if text.count(mark) > 1:
        return "," if mark == "." else "."  # "1.234.567": grouping marks, so the other is decimal
    whole, fraction = text.split(mark)
    if len(fraction) == 3 and 0 < len(whole) <= 3 and whole != "0":
        return "," if mark == "." else "."  # "1,234": thousands
    return mark


def clean_date(raw, order="dmy"):
    """An ISO 8601 date (YYYY-MM-DD) from "2024-03-05", "5.3.2024", "05/03/24", "5 March 2024",
    "March 5, 2024", "5-Mar-2024", "20240305". Numeric dates are read day first (order "dmy") or
    month first ("mdy") unless only one reading is possible (a day above 12)."""
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError(_("write a date."))
    if len(raw) > MAX_TYPED:
        raise ValueError(_("write a date of at most %(n)d characters.", n=MAX_TYPED))
    text = unicodedata.normalize("NFKC", raw).strip().casefold()
    text = re.sub(r"(\d)(st|nd|rd|th|er|º|°)\b", r"\1", text)
    text = re.sub(r"\b(de|del|of|the)\b", " ", text)
    parts = [p for p in re.split(r"[\s/.,\-]+", text) if p]
    try:
        if len(parts) == 1 and re.fullmatch(r"\d{8}", parts[0]):
            p = parts[0]
            return _iso(int(p[:4]), int(p[4:6]), int(p[6:]))
        if len(parts) != 3:
            raise ValueError
        words = [p for p in parts if not p.isdigit()]
        if words:
            if len(words) != 1 or words[0].rstrip(".") not in MONTHS:
                raise ValueError
            month = MONTHS[words[0].rstrip(".")]
            a, b = [int(p) for p in parts if p.isdigit()]
            year, day = (a, b) if a > 31 or len(str(a)) == 4 else (b, a)
            return _iso(_year(year), month, day)
        a, b, c = parts
        if len(a) == 4:
            return _iso(int(a), int(b), int(c))
        first, second, year = int(a), int(b), _year(int(c))
        day, month = (first, second) if order != "mdy" else (second, first)
        if month > 12 and day <= 12:
            day, month = month, day
        return _iso(year, month, day)
    except ValueError:
        raise ValueError(_("write a date, like 2024-03-05 or 5 March 2024.")) from None


def _year(y):
    if y < 100:
        return 2000 + y if y < 70 else 1900 + y
    return y


def _iso(year, month, day):
    if not 1000 <= year <= 2999:
        raise ValueError
    return date(year, month, day).isoformat()


def edit_distance(a, b, limit=None):
    """Levenshtein distance between a and b; past `limit` it stops early and returns limit + 1.

    With a limit only the diagonal band of width 2 * limit + 1 is computed (Ukkonen): a path through
    the table that leaves the band costs more than `limit` edits, so cells outside it never decide an
    answer within the limit. The work is O(len * limit), not O(len * len), and a common start and end
    are skipped first (transcriptions that differ in their last characters cost next to nothing).
    Without a limit the distance is computed in full (O(len * len)): callers on untrusted text pass one."""
    if a == b:
        return 0
    if limit is not None and abs(len(a) - len(b)) > limit:
        return limit + 1
    start = 0
    while start < len(a) and start < len(b) and a[start] == b[start]:
        start += 1
    end = 0
    while end < len(a) - start and end < len(b) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    a, b = a[start:len(a) - end], b[start:len(b) - end]
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a) if limit is None or len(a) <= limit else limit + 1
    if limit is None:
        return _full_distance(a, b)
    return _banded_distance(a, b, limit)


def _full_distance(a, b):
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _banded_distance(a, b, limit):
    """Row i of the table holds only columns max(0, i - limit) .. min(len(b), i + limit); cells outside
    the band count as limit + 1 (more than the limit: their true value is at least |i - j|)."""
    over = limit + 1
    n, m = len(a), len(b)
    previous = {j: j for j in range(0, min(m, limit) + 1)}
    for i in range(1, n + 1):
        low, high = max(0, i - limit), min(m, i + limit)
        current = {}
        ca = a[i - 1]
        for j in range(low, high + 1):
            if j == 0:
                value = i
            else:
                value = min(previous.get(j, over) + 1, current.get(j - 1, over) + 1,
                            previous.get(j - 1, over) + (ca != b[j - 1]))
            current[j] = value if value < over else over
        if min(current.values()) > limit:
            return over
        previous = current
    result = previous.get(m, over)
    return result if result <= limit else over


def typo_allowance(key):
    """How many typos two texts may differ by and still agree: none for very short texts (a code,
    an initial), 1 up to 12 characters, 2 beyond."""
    n = len(key)
    if n <= 3:
        return 0
    return 1 if n <= 12 else 2

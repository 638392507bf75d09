"""Whole numbers from strangers: ids and counts are `integer` columns (int4 on PostgreSQL), so a number outside
[0, 2**31 - 1] can name or store nothing. Checked here, once, before the database sees it: in URL paths (the
app-wide `int` converter) and in query or form arguments (int_arg)."""
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter, ValidationError

from citizen.errors import CitizenError

MAX_INT = 2**31 - 1
_MAX_DIGITS = len(str(MAX_INT))


class BoundedIntConverter(IntegerConverter):
    """`<int:x>` with a default upper bound of MAX_INT, ASCII digits only: a larger or odder number is a 404
    (no such page), never a query that overflows the column. Routes may still narrow it (min=, max=)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_INT, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value):
        digits = value[1:] if value.startswith("-") else value
        if not (digits.isascii() and digits.isdigit()) or len(digits.lstrip("0")) > _MAX_DIGITS:
            raise ValidationError()
        return super().to_python(value)


def parse_int(raw, low=0, high=MAX_INT):
    """The whole number `raw` (a string of ASCII digits, or an int) in [low, high], else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if low <= raw <= high else None
    if not isinstance(raw, str):
        return None
    raw = raw.strip()
    digits = raw[1:] if raw.startswith("-") else raw
    if not (digits.isascii() and digits.isdigit()) or len(digits.lstrip("0")) > _MAX_DIGITS + 1:
        return None
    value = int(raw)
    return value if low <= value <= high else None


class BadNumber(CitizenError):
    status = 400
    code = "bad_request"


def int_arg(args, name, default=None, low=0, high=MAX_INT):
    """A whole-number query or form argument in [low, high]: missing or empty gives `default`; anything else
    (letters, 2**31, -1 when low is 0) is a 400 that names the argument, before any query runs."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    value = parse_int(raw, low, high)
    if value is None:
        message = _("%(name)s must be a whole number from %(low)d to %(high)d.", name=name, low=low, high=high)
        raise BadNumber(message, details=[{"field": name, "message": message}])
    return value

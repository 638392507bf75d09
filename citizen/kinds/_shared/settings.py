"""Checks of a kind's settings shared by several kinds (transcription, field)."""


def whole_number(raw, low, high, default, message):
    """A whole number from `low` to `high` typed by the organiser (a form gives text), `default` when left empty;
    ValueError(message) otherwise."""
    if raw in (None, ""):
        return default
    try:
        value = int(str(raw).strip()) if not isinstance(raw, bool) else None
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ValueError(message)
    return value

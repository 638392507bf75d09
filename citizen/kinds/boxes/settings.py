"""The organiser's settings of a boxes campaign: the classes to box and the attributes of each box.

    {"question": "...", "classes": [{"value", "name", "colour", "key", "help", "example"}],
     "attributes": [{"name", "label", "values": [{"value", "label"}]}], "iou": 0.5}

The campaign form writes one class per line, "name | #colour | key | help | example", and one attribute per line,
"label: first value, second value, ..." (the first value is what a new box starts with). A class's example is one of
the campaign's own images (a field guide image's address, /media/campaigns/...): no picture from elsewhere, which
would tell another site who opens the work page.
"""
import re

from flask_babel import gettext as _

MAX_CLASSES, MAX_ATTRIBUTES, MAX_VALUES = 20, 5, 10
MAX_NAME, MAX_HELP, MAX_QUESTION = 60, 300, 300
# Keys the work page keeps for itself: s (skip, every kind), n (new box), u (undo), Delete, arrows.
RESERVED_KEYS = frozenset("snu")
PALETTE = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324", "#800000",
           "#469990")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_KEY = re.compile(r"^[a-z0-9]$")
_VALUE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_EXAMPLE = re.compile(r"^/media/campaigns/[0-9]{1,10}/[A-Za-z0-9._-]{1,200}\.(jpg|jpeg|png|webp)$")


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")[:40] or "x"


def _clean_class(raw, i, keys, values):
    if isinstance(raw, str):
        parts = [p.strip() for p in raw.split("|")]
        raw = dict(zip(("name", "colour", "key", "help", "example"), parts))
    if not isinstance(raw, dict) or not str(raw.get("name") or "").strip():
        raise ValueError(_("Each class needs a name."))
    name = str(raw["name"]).strip()[:MAX_NAME]
    value = str(raw.get("value") or slug(name))
    if not _VALUE.match(value):
        raise ValueError(_("Class %(name)s: its value may hold lower-case letters, digits, - or _.", name=name))
    if value in values:
        raise ValueError(_("The class %(name)s is given twice.", name=name))
    colour = str(raw.get("colour") or "").strip() or PALETTE[i % len(PALETTE)]
    if not _COLOUR.match(colour):
        raise ValueError(_("Class %(name)s: give its colour as #rrggbb (for example #e6194b).", name=name))
    key = str(raw.get("key") or "").strip().lower() or (str(i + 1) if i < 9 else "")
    if key and (not _KEY.match(key) or key in RESERVED_KEYS):
        raise ValueError(_("Class %(name)s: its key must be one letter or digit other than s, n and u.", name=name))
    if key and key in keys:
        raise ValueError(_("The key %(key)s is given to two classes.", key=key))
    example = str(raw.get("example") or "").strip()
    if example and (not _EXAMPLE.match(example) or ".." in example):
        raise ValueError(_("Class %(name)s: its example must be one of the campaign's images: upload it as a field "
                           "guide image and give the address shown under it (/media/campaigns/...).", name=name))
    values.add(value)
    if key:
        keys.add(key)
    out = {"value": value, "name": name, "colour": colour.lower(), "key": key,
           "help": str(raw.get("help") or "").strip()[:MAX_HELP]}
    if example:
        out["example"] = example
    return out


def clean_classes(raw):
    if isinstance(raw, str):
        raw = [line for line in raw.splitlines() if line.strip()]
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_CLASSES:
        raise ValueError(_("Give between 1 and %(max)d classes to box.", max=MAX_CLASSES))
    keys, values = set(), set()
    return [_clean_class(item, i, keys, values) for i, item in enumerate(raw)]


def _clean_attribute(raw, names):
    if isinstance(raw, str):
        label, sep, rest = raw.partition(":")
        if not sep:
            raise ValueError(_("Write each attribute as \"name: first value, second value\"."))
        raw = {"label": label, "values": [v for v in rest.split(",") if v.strip()]}
    if not isinstance(raw, dict) or not str(raw.get("label") or raw.get("name") or "").strip():
        raise ValueError(_("Each attribute needs a name."))
    label = str(raw.get("label") or raw.get("name")).strip()[:MAX_NAME]
    name = str(raw.get("name") or slug(label))
    if not _VALUE.match(name) or name in names:
        raise ValueError(_("The attribute %(name)s is given twice or has an unusable name.", name=label))
    names.add(name)
    values, seen = [], set()
    items = raw.get("values")
    if not isinstance(items, list) or not 2 <= len(items) <= MAX_VALUES:
        raise ValueError(_("Attribute %(name)s: give between 2 and %(max)d values.", name=label, max=MAX_VALUES))
    for item in items:
        if isinstance(item, str):
            item = {"label": item.strip()}
        if not isinstance(item, dict) or not str(item.get("label") or "").strip():
            raise ValueError(_("Attribute %(name)s: each value needs a label.", name=label))
        text = str(item["label"]).strip()[:MAX_NAME]
        value = str(item.get("value") or slug(text))
        if not _VALUE.match(value) or value in seen:
            raise ValueError(_("Attribute %(name)s: the value %(value)s is given twice or has an unusable name.",
                               name=label, value=text))
        seen.add(value)
        values.append({"value": value, "label": text})
    return {"name": name, "label": label, "values": values}


def clean_attributes(raw):
    if isinstance(raw, str):
        raw = [line for line in raw.splitlines() if line.strip()]
    raw = raw or []
    if not isinstance(raw, list) or len(raw) > MAX_ATTRIBUTES:
        raise ValueError(_("Give at most %(max)d attributes.", max=MAX_ATTRIBUTES))
    names = set()
    return [_clean_attribute(item, names) for item in raw]


def clean_iou(raw):
    if raw in (None, ""):
        return 0.5
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = -1.0
    if not 0.3 <= value <= 0.9:
        raise ValueError(_("The overlap two boxes need to count as one object: a number from 0.3 to 0.9."))
    return round(value, 3)


def clean(raw):
    """The normalised settings, or a list of {"field", "message"} errors (raised by the kind)."""
    raw = raw or {}
    out, errors = {}, []
    for field, fn in (("classes", clean_classes), ("attributes", clean_attributes), ("iou", clean_iou)):
        try:
            out[field] = fn(raw.get(field))
        except ValueError as exc:
            errors.append({"field": field, "message": str(exc)})
    out["question"] = str(raw.get("question") or "").strip()[:MAX_QUESTION]
    return out, errors

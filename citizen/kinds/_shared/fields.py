"""The form of a transcription campaign: its fields, as the organiser writes them, and the
checks an answer must pass.

Organisers write one field per line, parts separated by "|":

    name | Label | type | options | help text

type is text, number, money, date or "choice: A, B, C"; options are "optional" (volunteers may
tick "not on this page"), "region=x0,y0,x1,y1" (where the field usually is, as fractions of the
page from its top-left corner) and, for text, "typos" or "exact": whether two answers that differ by a
typo agree (the default: yes, except for names and identifiers, where "Mendes" and "Mendez" are two
people: `typos`). A JSON list of objects with the same keys is accepted too (`typos`: true or false).
"""
import json
import re

from flask_babel import gettext as _

from citizen.kinds._shared import normalise

TYPES = ("text", "number", "money", "date", "choice")
MAX_FIELDS = 30
MAX_NAME = 40  # characters of a field's name
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Names and identifiers, where one letter makes another person or record: no typo tolerance unless asked for.
_EXACT = re.compile(r"(^|[^a-z])(name|names|surname|firstname|lastname|nombre|apellidos?|nom|prenom|prénom|id|ids|"
                    r"identifier|identity|code|ref|reference|number|num|no|nr|iban|phone|tel|email|plate|passport|"
                    r"dni|nif|nie|cif|siret|siren)([^a-z]|$)", re.IGNORECASE)


def default_typos(name, label, kind):
    """Whether a field forgives typos when the organiser did not say: text fields do, except names and identifiers
    (the field's name or label says so: "surname", "Invoice number", "id_card")."""
    return kind == "text" and not _EXACT.search(name.replace("_", " ")) and not _EXACT.search(label)


def typos(field):
    """Whether two answers to this field that differ by a typo agree (normalise.typo_allowance): the organiser's
    choice, or default_typos for fields stored before there was one. Only text fields ever do."""
    if field.get("type") != "text":
        return False
    chosen = field.get("typos")
    return chosen if isinstance(chosen, bool) else default_typos(field.get("name", ""), field.get("label", ""), "text")
EXAMPLE = ("vendor | Vendor | text | optional region=0,0,0.6,0.2 | The company that issued the invoice\n"
           "total | Total amount | money | region=0.5,0.7,1,1 | Including tax\n"
           "date | Invoice date | date | |\n"
           "category | Category | choice: Travel, Meals, Office | optional |")


def parse_fields(raw):
    """Field definitions from the organiser's text (or a list); raises ValueError naming the line."""
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):
            try:
                raw = json.loads(text)
            except ValueError as exc:
                raise ValueError(_("The fields are not valid JSON (%(error)s).", error=exc.msg)) from None
        else:
            raw = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
            return _checked([_from_line(n, line) for n, line in raw])
    if not isinstance(raw, list):
        raise ValueError(_("Describe the fields volunteers fill in, one per line."))
    return _checked([_from_dict(n, item) for n, item in enumerate(raw, start=1)])


def _from_line(n, line):
    parts = [p.strip() for p in line.split("|")]
    if len(parts) < 3:
        raise ValueError(_("Line %(n)d: write at least name | Label | type.", n=n))
    name, label, kind = parts[:3]
    options = parts[3] if len(parts) > 3 else ""
    item = {"name": name, "label": label, "type": kind, "help": " | ".join(parts[4:])}
    if kind.lower().startswith("choice"):
        item["type"], _sep, choices = kind.partition(":")
        item["choices"] = [c.strip() for c in re.split(r"[,/;]", choices) if c.strip()]
    for word in options.split():
        if word.lower() in ("optional", "missing", "may-be-missing"):
            item["optional"] = True
        elif word.lower().startswith("region="):
            item["region"] = word.split("=", 1)[1].split(",")
        elif word.lower() in ("typos", "exact"):
            item["typos"] = word.lower() == "typos"
        else:
            raise ValueError(_("Line %(n)d: unknown option %(word)r (use optional, region=x0,y0,x1,y1, typos or "
                               "exact).", n=n, word=word))
    return _from_dict(n, item)


def _from_dict(n, item):
    if not isinstance(item, dict):
        raise ValueError(_("Field %(n)d: describe it with name, label and type.", n=n))
    name = str(item.get("name") or "").strip()
    if not _NAME.match(name):
        raise ValueError(_("Line %(n)d: the name %(name)r must start with a letter and use only a-z, 0-9 "
                           "and _ (it becomes a column of the results).", n=n, name=name))
    label = str(item.get("label") or "").strip()[:120] or name
    kind = str(item.get("type") or "text").strip().lower()
    if kind not in TYPES:
        raise ValueError(_("Line %(n)d: type %(type)r is not one of %(types)s.", n=n, type=kind,
                           types=", ".join(TYPES)))
    field = {"name": name, "label": label, "type": kind, "help": str(item.get("help") or "").strip()[:500],
             "optional": bool(item.get("optional")), "region": None}
    if kind == "choice":
        choices = [str(c).strip()[:80] for c in item.get("choices") or [] if str(c).strip()]
        if not 2 <= len(choices) <= 30 or len({c.casefold() for c in choices}) != len(choices):
            raise ValueError(_("Line %(n)d: a choice needs 2 to 30 different choices, like "
                               "choice: Travel, Meals, Office.", n=n))
        field["choices"] = choices
    if item.get("region") not in (None, "", []):
        field["region"] = _region(n, item["region"])
    chosen = item.get("typos")
    if chosen is not None and not isinstance(chosen, bool):
        raise ValueError(_("Line %(n)d: typos is true or false.", n=n))
    if chosen and kind != "text":
        raise ValueError(_("Line %(n)d: only text fields can forgive typos.", n=n))
    field["typos"] = chosen if chosen is not None else default_typos(name, label, kind)
    return field


def _region(n, raw):
    try:
        box = [float(v) for v in raw]
    except (TypeError, ValueError):
        box = []
    if len(box) != 4 or not all(0 <= v <= 1 for v in box) or box[0] >= box[2] or box[1] >= box[3]:
        raise ValueError(_("Line %(n)d: a region is x0,y0,x1,y1 as fractions of the page (0 to 1) from "
                           "its top-left corner, like region=0.5,0.7,1,1.", n=n))
    return [round(v, 4) for v in box]


def _checked(fields):
    if not fields:
        raise ValueError(_("Describe at least one field volunteers fill in."))
    if len(fields) > MAX_FIELDS:
        raise ValueError(_("At most %(max)d fields per page.", max=MAX_FIELDS))
    seen = set()
    for f in fields:
        if f["name"] in seen:
            raise ValueError(_("The field name %(name)r is used twice.", name=f["name"]))
        seen.add(f["name"])
    return fields


def as_text(fields):
    """The organiser's text for stored field definitions (the settings form shows it again)."""
    if isinstance(fields, str):
        return fields
    lines = []
    for f in fields or []:
        kind = f["type"] + (": " + ", ".join(f["choices"]) if f["type"] == "choice" else "")
        tolerance = typos(f)
        options = " ".join((["optional"] if f.get("optional") else [])
                           + (["region=" + ",".join(f"{v:g}" for v in f["region"])] if f.get("region") else [])
                           + ([("typos" if tolerance else "exact")]
                              if f["type"] == "text" and tolerance != default_typos(f["name"], f["label"], "text")
                              else []))
        lines.append(" | ".join([f["name"], f["label"], kind, options, f.get("help", "")]).rstrip(" |"))
    return "\n".join(lines)


def clean_values(value, fields, decimal_mark="auto", date_order="dmy"):
    """Check an answer {"fields": {name: typed value or None}} against the form.

    Returns ({name: canonical value or None}, {name: what was typed, where it differs}) or raises
    ValueError with [{"field", "message"}] in args[0]: every problem, each naming its field."""
    if not isinstance(value, dict) or not isinstance(value.get("fields"), dict):
        raise ValueError([{"field": "fields", "message": _(
            'Send {"fields": {"<name>": "<value>" or null}}, one entry per field of the form.')}])
    given = value["fields"]
    errors = [{"field": str(k)[:60], "message": _("%(name)s is not a field of this form.", name=str(k)[:60])}
              for k in given if k not in {f["name"] for f in fields}]
    out, typed = {}, {}
    for f in fields:
        name, raw = f["name"], given.get(f["name"], "")
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if f["optional"] and raw is None:
                out[name] = None
            else:
                errors.append({"field": name, "message": _("%(label)s: fill it in%(or_tick)s.", label=f["label"],
                               or_tick=_(', or tick "not on this page"') if f["optional"] else "")})
            continue
        try:
            out[name] = _clean(f, raw, decimal_mark, date_order)
        except ValueError as exc:
            errors.append({"field": name, "message": f"{f['label']}: {exc}"})
            continue
        if f["type"] in ("number", "money", "date") and isinstance(raw, str) and raw.strip() != str(out[name]):
            typed[name] = raw.strip()[:100]
    if errors:
        raise ValueError(errors)
    return out, typed


def _clean(field, raw, decimal_mark, date_order):
    kind = field["type"]
    if kind == "text":
        return normalise.clean_text(raw)
    if kind in ("number", "money"):
        return normalise.clean_number(raw, decimal_mark, money=kind == "money")
    if kind == "date":
        return normalise.clean_date(raw, date_order)
    if isinstance(raw, str):
        for choice in field["choices"]:
            if normalise.text_key(choice) == normalise.text_key(raw):
                return choice
    raise ValueError(_("choose one of: %(choices)s.", choices=", ".join(field["choices"])))

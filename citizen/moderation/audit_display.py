"""The audit log as people read it: each entry's before and after as a list of readable differences
("Status: published → closed") instead of raw JSON, and what moderators may read of it.

Moderators read their organisation's entries; what only organisers see elsewhere (the alert settings' webhook
address, which may carry a secret, and the alert e-mail addresses) is hidden from them here too."""
from flask_babel import lazy_gettext as _l

ORGANISERS_ONLY = frozenset({"webhook_url", "emails"})
MAX_TEXT = 200     # characters of one value shown
MAX_ITEMS = 20     # list items shown
MAX_DEPTH = 3      # nested objects are flattened this deep ("override.answer")

ACTIONS = {
    "confirm": _l("confirmed"), "dismiss": _l("dismissed"), "accept": _l("accepted the result"),
    "override": _l("set the result"), "hide": _l("hid"), "rerate": _l("changed the content rating"),
    "suspend": _l("suspended"), "lift": _l("lifted a suspension"), "alert_settings": _l("changed the alert settings"),
    "delete_tasks": _l("deleted tasks"), "replace_tasks": _l("replaced the tasks"), "close": _l("closed"),
    "reopen": _l("reopened"), "invite": _l("invited"), "withdraw_invitation": _l("withdrew an invitation"),
    "join": _l("joined"), "change_role": _l("changed a role"), "remove_member": _l("removed from the team"),
    "mark_gold": _l("made a known-answer task"), "unmark_gold": _l("made an ordinary task again"),
}


def action_label(action):
    return ACTIONS.get(action) or str(action).replace("_", " ")


def target_label(row):
    """What an entry is about, in words: a member by name, else its type and id."""
    for side in (row.after, row.before):
        if isinstance(side, dict) and side.get("member"):
            return _text(side["member"])
    return f"{row.target_type} {row.target_id}"


def _label(path):
    return " › ".join(part.replace("_", " ").capitalize() for part in path.split("."))


def _text(value):
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    if isinstance(value, list):
        shown = ", ".join(_text(v) for v in value[:MAX_ITEMS])
        return shown + (f" (+{len(value) - MAX_ITEMS})" if len(value) > MAX_ITEMS else "") if value else "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in list(value.items())[:MAX_ITEMS]) or "—"
    text = str(value)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"


def _flatten(value, prefix="", depth=0, out=None):
    out = {} if out is None else out
    if isinstance(value, dict) and depth < MAX_DEPTH and value:
        for key, v in value.items():
            _flatten(v, f"{prefix}.{key}" if prefix else str(key), depth + 1, out)
    elif prefix:
        out[prefix] = None if value in ([], "", {}) else value  # an empty list is "nothing" (roles after removal)
    elif value is not None:
        out["value"] = value
    return out


def _redact(flat, organiser):
    if organiser:
        return flat
    return {k: (str(_l("hidden: organisers only")) if k.split(".")[-1] in ORGANISERS_ONLY and v not in (None, "")
                else v) for k, v in flat.items()}


def differences(before, after, organiser=True):
    """[{"field", "before", "after", "change"}] of an entry: what changed ("changed"), appeared ("added") or went
    ("removed"); fields that stayed the same are left out unless nothing changed at all."""
    old, new = _redact(_flatten(before), organiser), _redact(_flatten(after), organiser)
    rows = []
    for key in list(dict.fromkeys([*old, *new])):
        a, b = old.get(key), new.get(key)
        if key in old and key in new and a == b:
            continue
        change = "added" if key not in old or a is None else "removed" if key not in new or b is None else "changed"
        rows.append({"field": _label(key), "before": _text(a) if key in old else "—",
                     "after": _text(b) if key in new else "—", "change": change})
    if not rows and (old or new):  # the same before and after: say what it was
        rows = [{"field": _label(k), "before": _text(v), "after": _text(v), "change": "same"} for k, v in new.items()]
    return rows


def redacted(value, organiser):
    """An entry's before or after for the CSV: as stored for organisers, secrets hidden for moderators."""
    if organiser or not isinstance(value, dict):
        return value
    return {k: (redacted(v, organiser) if isinstance(v, dict) else
                str(_l("hidden: organisers only")) if k in ORGANISERS_ONLY and v not in (None, "") else v)
            for k, v in value.items()}

"""Import columns a feature claims from every kind's rows, registered by the feature's `init_app` (called by
create_app): the kinds' row reader (Kind.tasks_from_rows) takes them out of a row before the kind cleans it, and
keeps what the feature parses of them in the payload under the feature's key. Kinds import no feature.

`register(app, key, columns, parse)`: `parse(fields)` (the claimed columns the row has) gives the value kept in
payload[key], or raises ValueError with a message about the row. The key starts with "_": the server's own, never
sent to volunteers (Kind.task_json). Wellbeing claims `sensitivity` and `categories` (a task's own rating).
"""
from flask import current_app

EXTENSION = "citizen.kinds.columns"


def register(app, key, columns, parse):
    """Called by a feature's init_app."""
    if not key.startswith("_"):
        raise ValueError(f"payload key {key} of claimed columns must start with _ (never sent to volunteers)")
    claims = app.extensions.setdefault(EXTENSION, {})
    taken = {c for k, (cols, _parse) in claims.items() if k != key for c in cols}
    if taken & set(columns):
        raise ValueError(f"import columns {', '.join(sorted(taken & set(columns)))} are claimed already")
    claims[key] = (tuple(columns), parse)


def take(row):
    """Remove the claimed columns from a row (a dict the caller owns): {payload key: {column: value}} of those
    present."""
    out = {}
    for key, (columns, _parse) in current_app.extensions.get(EXTENSION, {}).items():
        fields = {c: row.pop(c) for c in columns if c in row}
        if fields:
            out[key] = fields
    return out


def parse(taken, payload):
    """Parse what `take` took into the payload (ValueError from a feature's parser passes through)."""
    claims = current_app.extensions.get(EXTENSION, {})
    for key, fields in taken.items():
        payload[key] = claims[key][1](fields)

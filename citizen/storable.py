"""What the database can store. PostgreSQL refuses NUL characters in text and jsonb, and jsonb refuses NaN and
the infinities (which Python's json module reads and writes): input carrying them is refused with a 422 where it
comes in, instead of failing in the database with a 500. SQLite takes all of it, so only this check keeps the
two databases answering alike."""
import math


def unstorable(value):
    """Where `value` (JSON-like: dicts, lists, strings, numbers) holds something the database refuses, as a
    path like "settings.options[1]" ("" for the value itself), or None when it can all be stored."""
    stack = [(value, "")]
    while stack:  # no recursion: a body nested as deep as the JSON parser allows is walked all the same
        item, where = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return where
        elif isinstance(item, float):
            if not math.isfinite(item):
                return where
        elif isinstance(item, dict):
            for key, child in item.items():
                path = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and "\x00" in key:
                    return path.replace("\x00", "\\0")
                stack.append((child, path))
        elif isinstance(item, (list, tuple)):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(item))
    return None

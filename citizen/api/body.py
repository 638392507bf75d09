"""The JSON object of an API request, read strictly: one place for every JSON body of the API."""
import json

from flask import request
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from citizen.errors import InvalidInput
from citizen.storable import unstorable


# Shape limits of any JSON body (its size is limited before it is read: citizen.body_limits). The longest
# list an operation takes is the answer import's 10,000 answers (it says so itself, within this limit); no
# object has more than a few dozen keys.
MAX_ITEMS = 20_000  # items of one list
MAX_KEYS = 1_000  # keys of one object
MAX_DEPTH = 32  # lists and objects inside one another


class NonFinite(ValueError):
    """NaN, Infinity or -Infinity: Python's json reads them, JSON has no such thing, jsonb refuses them."""


def _refuse_constant(name):
    raise NonFinite(name)


def json_object():
    """The request's body as a dict, or InvalidInput (422): not JSON, not an object, nested deeper than the
    parser goes, or holding what the database cannot store (NUL characters, NaN, Infinity)."""
    body = None
    if request.is_json:
        try:
            body = json.loads(_body_bytes(), parse_constant=_refuse_constant)
        except NonFinite:
            raise InvalidInput(_("Numbers must be finite: NaN and Infinity are not JSON.")) from None
        except RecursionError:
            raise InvalidInput(_("The JSON is nested too deeply.")) from None
        except ValueError:  # not JSON, or not UTF-8
            body = None
    if not isinstance(body, dict):
        raise InvalidInput(_("Send a JSON object in the request body (Content-Type: application/json)."))
    problem = _too_large(body)
    if problem:
        raise InvalidInput(problem, details=[{"field": "body", "message": problem}])
    where = unstorable(body)
    if where is not None:
        message = _("Text may not contain NUL characters, and numbers must be finite.")
        raise InvalidInput(message, details=[{"field": where or "body", "message": message}])
    return body


def _body_bytes():
    """The request's body, read up to its route's limit (request.max_content_length: citizen.body_limits) and
    no further: past it, with or without a Content-Length (a chunked body), a 413."""
    cached = getattr(request, "_cached_data", None)
    if cached is not None:
        return cached
    limit, stream = request.max_content_length, request.stream
    chunks, size = [], 0
    while True:
        chunk = stream.read(64 * 1024)  # Werkzeug's stream raises the 413 itself when it knows the limit
        if not chunk:
            break
        size += len(chunk)
        if limit is not None and size > limit:
            raise RequestEntityTooLarge()
        chunks.append(chunk)
    request._cached_data = data = b"".join(chunks)  # as request.get_data(cache=True) keeps it
    return data


def _too_large(body):
    """What in a parsed body is past MAX_ITEMS, MAX_KEYS or MAX_DEPTH, in words; None when nothing is."""
    stack = [(body, 1)]
    while stack:  # no recursion
        item, depth = stack.pop()
        if isinstance(item, (dict, list)) and depth > MAX_DEPTH:
            return _("The JSON is nested too deeply: at most %(n)d levels.", n=MAX_DEPTH)
        if isinstance(item, dict):
            if len(item) > MAX_KEYS:
                return _("An object in the body has %(count)d keys: at most %(n)d.", count=len(item), n=MAX_KEYS)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            if len(item) > MAX_ITEMS:
                return _("A list in the body has %(count)d items: at most %(n)d.", count=len(item), n=MAX_ITEMS)
            stack.extend((child, depth + 1) for child in item)
    return None

"""The JSON object of an API request, read strictly: one place for every JSON body of the API."""
import json

from flask import request
from flask_babel import gettext as _

from citizen.errors import InvalidInput
from citizen.storable import unstorable


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
            body = json.loads(request.get_data(cache=True), parse_constant=_refuse_constant)
        except NonFinite:
            raise InvalidInput(_("Numbers must be finite: NaN and Infinity are not JSON.")) from None
        except RecursionError:
            raise InvalidInput(_("The JSON is nested too deeply.")) from None
        except ValueError:  # not JSON, or not UTF-8
            body = None
    if not isinstance(body, dict):
        raise InvalidInput(_("Send a JSON object in the request body (Content-Type: application/json)."))
    where = unstorable(body)
    if where is not None:
        message = _("Text may not contain NUL characters, and numbers must be finite.")
        raise InvalidInput(message, details=[{"field": where or "body", "message": message}])
    return body

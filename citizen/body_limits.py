"""How large a request body may be, per route: the JSON API and HTML forms small, the organiser's bulk
imports larger, file uploads largest. Each limit is a setting (citizen.config):

    API_MAX_BODY     1 MB    every JSON request of /api/ (an answer, a flag, a campaign...)
    FORM_MAX_BODY    1 MB    HTML form posts that carry no file
    IMPORT_MAX_BODY  32 MB   the organiser's task import (a JSON or CSV body) and answer import
    MAX_CONTENT_LENGTH 256 MB  file uploads (a ZIP of drone photos, PDFs: UPLOADS below), and the ceiling
                               of every other limit

A feature or kind whose route takes a body of its own size registers it (`register`): the field kind's photo
uploads (a whole phone photo, or one chunk of it).

The limit applies to what is read, with or without a Content-Length: Werkzeug refuses a declared length
above it before reading, and stops a chunked body (no Content-Length) as soon as it passes it. Either way
the answer is a 413 that names the limit (citizen.handlers).
"""
from flask import Request, current_app

MB = 1024 * 1024
# Endpoints whose bodies may be a bulk import: a JSON or CSV body gets IMPORT_MAX_BODY, a file upload
# (multipart/form-data) MAX_CONTENT_LENGTH.
IMPORTS = {"api.import_tasks", "api.import_answers", "predictions_api.import_predictions", "predictions.upload"}
UPLOADS = {"api.import_tasks", "organise.manage"}


EXTENSION = "citizen.body_limits"


def register(app, endpoint, limit):
    """Requests to `endpoint` may send up to `limit` bytes (under MAX_CONTENT_LENGTH): called by its init_app."""
    app.extensions.setdefault(EXTENSION, {})[endpoint] = int(limit)


def body_limit(endpoint, mimetype, path):
    """The most bytes a request to `endpoint` with a body of `mimetype` may send: never more than
    MAX_CONTENT_LENGTH, the ceiling of every request."""
    config = current_app.config
    ceiling = config["MAX_CONTENT_LENGTH"]
    own = current_app.extensions.get(EXTENSION, {}).get(endpoint)
    if own is not None:
        return min(own, ceiling) if ceiling else own
    if endpoint in UPLOADS and mimetype == "multipart/form-data":
        return ceiling
    if endpoint in IMPORTS:
        limit = config["IMPORT_MAX_BODY"]
    elif path.startswith("/api/"):
        limit = config["API_MAX_BODY"]
    else:
        limit = config["FORM_MAX_BODY"]
    return min(limit, ceiling) if ceiling else limit


def in_words(size):
    """A size as people say it: "1 MB", "32 MB", "500 KB"."""
    if size >= MB:
        return f"{size / MB:.3g} MB"
    if size >= 1024:
        return f"{size / 1024:.3g} KB"
    return f"{size} bytes"


class LimitedRequest(Request):
    """A request whose body limit depends on its route (body_limit) unless a view sets one itself."""

    @property
    def max_content_length(self):
        if self._max_content_length is not None:
            return self._max_content_length
        if not current_app:
            return super().max_content_length
        endpoint = self.url_rule.endpoint if self.url_rule is not None else None
        return body_limit(endpoint, self.mimetype, self.path)

    @max_content_length.setter
    def max_content_length(self, value):
        self._max_content_length = value

"""Errors mapped once: JSON bodies under /api/, designed HTML pages elsewhere; never a stack trace."""
import sqlite3

from flask import g, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from citizen.body_limits import in_words
from citizen.errors import AlreadyAnswered, CitizenError
from citizen.extensions import db, login

HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 413: "too_large", 429: "rate_limited", 500: "server_error",
              503: "unavailable"}


def _wants_json():
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _respond(status, code, message, details=None):
    if _wants_json():
        body = {"code": code, "message": message}
        if details:
            body["details"] = details
        return body, status
    return render_template("error.html", status=status, message=message, details=details or []), status


def _too_large_message():
    """The 413's message, naming the limit that was passed: the body's (citizen.body_limits), or one field's of
    a form whose body was within it (Werkzeug's MAX_FORM_MEMORY_SIZE)."""
    limit, sent = request.max_content_length, request.content_length
    if limit and sent is not None and sent <= limit and request.max_form_memory_size:
        return _("One field of this form is too large: at most %(size)s.",
                 size=in_words(request.max_form_memory_size))
    if limit:
        return _("That is too large to send here: at most %(size)s.", size=in_words(limit))
    return _("That file is too large.")


def register(app):
    @app.errorhandler(CitizenError)
    def citizen_error(exc):
        db.session.rollback()
        response = make_response(_respond(exc.status, exc.code, exc.message, exc.details))
        if getattr(exc, "retry_after", None):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(IntegrityError)
    def integrity_error(exc):
        # The database's constraints are the last line: a race the services did not see.
        db.session.rollback()
        return citizen_error(AlreadyAnswered(_("That was already stored (a duplicate).")))

    @app.errorhandler(DBAPIError)
    def database_error(exc):
        # A lost or refused connection (database restarting, failover) is temporary: 503 tells clients to
        # retry (a submission repeated with its Idempotency-Key is stored once); the pool reconnects by itself.
        if not (exc.connection_invalidated or isinstance(exc, OperationalError)):
            return server_error(exc)
        return unavailable(exc.orig)

    @app.errorhandler(sqlite3.OperationalError)
    def sqlite_busy(exc):
        # SQLite's "database is locked" (busy_timeout ran out behind another writer) can come straight from the
        # driver, unwrapped: the BEGIN IMMEDIATE of extensions.tune_sqlite is sent past SQLAlchemy. Temporary too.
        text = str(exc).lower()
        if "locked" not in text and "busy" not in text:
            return server_error(exc)
        return unavailable(exc)

    def unavailable(reason):
        app.logger.warning("Database unavailable: %s", reason)
        db.session.rollback()
        message = _("The service is briefly unavailable. Please try again in a moment.")
        response = make_response(({"code": "unavailable", "message": message}, 503) if _wants_json()
                                 else (render_template("unavailable.html", message=message), 503))
        response.headers["Retry-After"] = "1"
        return response

    @app.errorhandler(RecursionError)
    def too_deep(exc):
        # json.loads of a body nested thousands deep: the sender's mistake (or attack), not ours.
        db.session.rollback()
        return _respond(400, "bad_request", _("What was sent is nested too deeply to read."))

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return _respond(400, "csrf", _("This form has expired. Go back, reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(exc):
        messages = {
            404: _("We could not find that page."),
            405: _("That action is not possible here."),
            413: _too_large_message(),
            429: _("Too many requests. Please wait a little and try again."),
        }
        code = exc.code or 500
        return _respond(code, HTTP_CODES.get(code, "error"), messages.get(code, exc.description))

    @app.errorhandler(Exception)
    def server_error(exc):
        app.logger.exception("Unhandled error")
        db.session.rollback()
        return _respond(500, "server_error", _("Something went wrong on our side. It has been logged; please try again."))

    @login.user_loader
    def load_user(user_id):
        from citizen.accounts.services import user_for_session
        return user_for_session(user_id)

    @app.before_request
    def forget_previous_caller():
        # g lives on the app context, which can outlive one request (a test, or a script driving the
        # test client, keeps one open): who is calling is decided afresh for every request.
        g.pop("caller", None)
        g.pop("_login_user", None)

    login.login_view = "accounts.login"
    login.login_message = None

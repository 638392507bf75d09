"""Domain errors with stable codes, mapped once to JSON bodies (API) and HTML pages (site)."""
from flask_babel import lazy_gettext as _l


class CitizenError(Exception):
    """Base of every domain error: `code` is stable for clients, `message` is for people."""

    status = 400
    code = "bad_request"
    default_message = _l("The request could not be understood.")

    def __init__(self, message=None, details=None, code=None):
        super().__init__(str(message or self.default_message))
        self.message = str(message or self.default_message)
        self.details = details or []
        if code:
            self.code = code

    def to_json(self):
        body = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class InvalidInput(CitizenError):
    status = 422
    code = "invalid"
    default_message = _l("Some of what was sent is not valid.")


class NotFound(CitizenError):
    status = 404
    code = "not_found"
    default_message = _l("We could not find that.")


class Unauthorized(CitizenError):
    status = 401
    code = "unauthorized"
    default_message = _l("Please sign in, or send a valid token.")


class Forbidden(CitizenError):
    status = 403
    code = "forbidden"
    default_message = _l("You are not allowed to do that.")


class NotAssigned(Forbidden):
    code = "not_assigned"
    default_message = _l("This task was not handed to you, so it cannot take your answer.")


class MethodNotAllowed(CitizenError):
    status = 405
    code = "method_not_allowed"
    default_message = _l("This address does not take that kind of request.")


class Conflict(CitizenError):
    status = 409
    code = "conflict"
    default_message = _l("That conflicts with what is already stored.")


class AlreadyAnswered(Conflict):
    code = "already_answered"
    default_message = _l("You have already answered this task.")


class TaskComplete(Conflict):
    code = "task_complete"
    default_message = _l("This task already has all the answers it needs. Thank you!")


class NotOpen(Conflict):
    code = "campaign_not_open"
    default_message = _l("This campaign is not taking answers.")


class Capped(CitizenError):
    status = 429
    code = "capped"
    default_message = _l("You have given this campaign as many answers as one person may: thank you! "
                         "Other campaigns would love your help.")


class Refused(Capped):
    """next-task refuses a contributor whose answers could not count (skip-limited: code "skip_limit"; at or below
    chance on known-answer tasks, or suspended: code "capped"), before any lease is taken."""


class RateLimited(CitizenError):
    status = 429
    code = "rate_limited"
    default_message = _l("Too many requests. Please wait a little and try again.")

    def __init__(self, message=None, details=None, code=None, retry_after=None):
        super().__init__(message, details, code)
        self.retry_after = retry_after  # seconds, sent as the Retry-After header

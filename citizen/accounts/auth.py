"""Who is calling: a bearer token, or (for the site's own pages and the API) the signed session cookie: a user, a
guest kept in the session (GUEST_SESSION_KEY), or nobody. Every feature's views ask here."""
from flask import after_this_request, current_app, g, request, session
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from citizen.accounts import events
from citizen.accounts import services as accounts
from citizen.errors import Forbidden, Unauthorized
from citizen.accounts.signatures import signatures
from citizen.extensions import csrf, db, limiter
from citizen.network import remote_network, wider_network_key
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

GUEST_SESSION_KEY = "guest_id"
EVENT_SESSION_KEY = "event_code"  # a campaign's event code, from a link ?event=CODE (see accounts.events)


def _bearer():
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def caller(create_guest=False):
    """(user or None, contributor id or None). Cookie callers must pass the CSRF check on writes.
    With create_guest, a visitor without any identity becomes a guest kept in the session cookie (on a
    POST, PUT, PATCH or DELETE that passed the CSRF check; never on a GET)."""
    if "caller" in g:
        return g.caller
    token = _bearer()
    if token:
        g.caller = accounts.resolve_bearer(token, request_signatures())
        token_id = db.session.info.pop("api_token_used", None)
        if token_id is not None:
            after_this_request(lambda response: _keep_token_use(response, token_id))
        return g.caller
    # csrf.protect() ignores WTF_CSRF_ENABLED, so honour it here; and only a cookie that carries an
    # identity, or a request that would make one, needs the check (otherwise the answer is 401, not a
    # confusing "form expired").
    safe = request.method in ("GET", "HEAD", "OPTIONS")
    if (not safe and current_app.config["WTF_CSRF_ENABLED"]
            and (create_guest or current_user.is_authenticated or session.get(GUEST_SESSION_KEY) is not None)):
        csrf.protect()
    if current_user.is_authenticated:
        g.caller = (current_user, accounts.contributor_for_user(current_user, request_signatures()).id)
    else:
        guest = session.get(GUEST_SESSION_KEY)
        if guest is not None and not (isinstance(guest, int) and accounts.guest_is_current(guest)):
            session.pop(GUEST_SESSION_KEY, None)  # its person registered or signed in: it is theirs now
            guest = None
        # Never on a GET: a page of another site can make a browser send one (an <img>), cookie and all.
        if guest is None and create_guest and not safe:
            spend_guest_allowance()
            contributor, _token = accounts.create_guest(*request_signatures())
            session[GUEST_SESSION_KEY] = guest = contributor.id
            session.permanent = True
            after_this_request(_forget_guest_on_error)
        g.caller = (None, guest)
    return g.caller


def spend_guest_allowance(event_code=None):
    """Count one new guest: against the event code named here or kept in the session (from a campaign link
    ?event=CODE) while it is valid and not full; else against this address (GUEST_RATE_LIMIT, IPv4 address or IPv6
    /64) and its block (GUEST_NETWORK_RATE_LIMIT, IPv4 /24 or IPv6 /48). POST /guests and a first visit without a cookie share the count, so a script cannot mint guests by
    dropping its cookies. Refused: RateLimited with Retry-After."""
    if events.spend_code(event_code or session.get(EVENT_SESSION_KEY)):
        return
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    events.spend_address(limiter.limiter, current_app.config["GUEST_RATE_LIMIT"], remote_network())
    # and against its wider block (/24, /48): addresses are cheap inside one
    events.spend_address(limiter.limiter, current_app.config["GUEST_NETWORK_RATE_LIMIT"],
                         "net:" + wider_network_key(get_remote_address()))


def _keep_token_use(response, token_id):
    """An API token's last use (kept to the hour), stored once the request is over, whatever its outcome, in a
    transaction of its own (what the view meant to keep it committed already)."""
    try:
        db.session.rollback()
        accounts.note_token_use(token_id)
        db.session.commit()
    except SQLAlchemyError:  # the database is away: the last use is not worth an error
        db.session.rollback()
    return response


def _forget_guest_on_error(response):
    """A request that fails rolls back the guest it made: the cookie must not keep that id (SQLite hands it out
    again, to the next visitor, who would then share one identity with this one)."""
    if response.status_code >= 400:
        session.pop(GUEST_SESSION_KEY, None)
    return response


def request_signatures():
    """(device, network) signatures of this request (keyed hashes; see accounts.signatures)."""
    return signatures(current_app.config["SECRET_KEY"], request.remote_addr)


def contributor_id(create_guest=False):
    cid = caller(create_guest)[1]
    if cid is None:
        raise Unauthorized()
    return cid


def organiser():
    user, contributor = caller()
    if user is None and contributor is not None:  # a valid guest identity: known, but not allowed
        raise Forbidden(_("Guests cannot organise campaigns: send an organiser's API token."))
    if user is None:
        raise Unauthorized(_("Send an organiser's API token (Authorization: Bearer ctz_...)."))
    if not (user.is_admin or user.organisation_ids):
        raise Forbidden(_("This account does not organise campaigns."))
    return user

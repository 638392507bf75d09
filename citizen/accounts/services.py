"""Account services: users, organisations, guest contributors and bearer tokens."""
import hashlib
import hmac
import secrets
from datetime import timedelta
from functools import lru_cache

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import bindparam, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from citizen.accounts.models import ApiToken, Contributor, Membership, Organisation, User, new_session_token, utcnow
from citizen.errors import InvalidInput, NotFound, Unauthorized
from citizen.extensions import db
from citizen.numbers import parse_int
from flask_babel import gettext as _

GUEST_PREFIX, USER_PREFIX = "g.", "ctz_"
MAX_EMAIL, MAX_NAME, MIN_PASSWORD, MAX_PASSWORD = 254, 120, 8, 1024
# API tokens: lifetime in days chosen at creation (default, most), and how stale "last used" may get.
TOKEN_DAYS, TOKEN_MAX_DAYS, TOKEN_LABEL_MAX = 90, 365, 120
TOKEN_USE_RESOLUTION = timedelta(hours=1)


def _guest_signer():
    signers = current_app.extensions.setdefault("citizen.guest_signer", {})
    key = current_app.config["SECRET_KEY"]
    if key not in signers:  # building one derives its key: do it once per secret, not per request
        signers[key] = URLSafeSerializer(key, salt="citizen-guest")
    return signers[key]


def create_guest(device_sig=None, network_sig=None):
    """A new anonymous contributor; returns (contributor, bearer token). The signatures (keyed
    hashes, see citizen.accounts.signatures) link accounts made from one device."""
    contributor = Contributor(device_sig=device_sig, network_sig=network_sig)
    db.session.add(contributor)
    db.session.flush()
    return contributor, GUEST_PREFIX + _guest_signer().dumps(contributor.id)


def guest_id_from_token(token):
    return _verified(_guest_signer(), token[len(GUEST_PREFIX):])


def guest_is_current(contributor_id):
    """Whether a guest id (from a guest token or cookie) still names a guest: once its person registered or
    signed in, the guest's history is the account's, and the old cookie or token must not act as that account."""
    # On every guest request: a prebuilt Core statement on the session's connection (about a tenth of the ORM
    # path's cost), the same transaction as the rest of the request.
    return db.session.connection().execute(_STILL_A_GUEST, {"cid": contributor_id}).first() is not None


_GUEST = Contributor.__table__
_STILL_A_GUEST = select(_GUEST.c.id).where(_GUEST.c.id == bindparam("cid"), _GUEST.c.user_id.is_(None),
                                           _GUEST.c.external_ref.is_(None))


@lru_cache(maxsize=20_000)
def _verified(signer, payload):
    """Guests present the same token on every request; verify each one once."""
    try:
        value = signer.loads(payload)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(user, label="", days=TOKEN_DAYS):
    """Returns the token once; only its hash is stored. It expires after `days` (1 to TOKEN_MAX_DAYS)."""
    label = str(label or "").strip()
    errors = []
    if len(label) > TOKEN_LABEL_MAX or "\x00" in label:
        errors.append({"field": "label", "message": _("Use at most %(n)d characters for the name.", n=TOKEN_LABEL_MAX)})
    days = parse_int(days, 1, TOKEN_MAX_DAYS)
    if days is None:
        errors.append({"field": "days", "message": _("A token lasts from 1 to %(n)d days.", n=TOKEN_MAX_DAYS)})
    if errors:
        raise InvalidInput(errors[0]["message"], details=errors)
    token = USER_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=_hash(token), label=label,
                            expires_at=utcnow() + timedelta(days=days)))
    db.session.flush()
    return token


def api_tokens(user):
    """The user's tokens, newest first (never their secret: only its hash is kept)."""
    return db.session.execute(select(ApiToken).where(ApiToken.user_id == user.id)
                              .order_by(ApiToken.id.desc())).scalars().all()


def revoke_api_token(token_id, user=None):
    """Revoke one token (of `user` when given: someone else's is not found). Revoking twice is harmless."""
    row = db.session.get(ApiToken, token_id) if parse_int(token_id) is not None else None
    if row is None or (user is not None and row.user_id != user.id):
        raise NotFound(_("There is no such token."))
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.flush()
    return row


def token_state(row, now=None):
    now = now or utcnow()
    return "revoked" if row.revoked_at else "expired" if row.expires_at <= now else "active"


def user_for_api_token(token):
    """The user behind a valid API token; Unauthorized (saying why) for an unknown, expired or revoked one.
    The token's last use is kept to the hour: db.session.info["api_token_used"] names a token whose last use
    the caller should store (note_token_use), once the request is over."""
    if len(token) > 100:
        return None
    row = db.session.execute(select(ApiToken).where(ApiToken.token_hash == _hash(token))).scalar_one_or_none()
    if row is None:
        return None
    now = utcnow()
    if row.revoked_at is not None:
        raise Unauthorized(_("This API token was revoked. Make a new one on your account page."), code="token_revoked")
    if row.expires_at <= now:
        raise Unauthorized(_("This API token expired on %(date)s. Make a new one on your account page.",
                             date=row.expires_at.strftime("%Y-%m-%d")), code="token_expired")
    if row.last_used_at is None or now - row.last_used_at >= TOKEN_USE_RESOLUTION:
        db.session.info["api_token_used"] = row.id
    return row.user


def note_token_use(token_id):
    db.session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow()))
    db.session.flush()


def resolve_bearer(token, signatures=None):
    """(user or None, contributor id) for a bearer token, or Unauthorized. `signatures` (device, network) of the
    request are kept on an account's contributor (see contributor_for_user)."""
    if token.startswith(GUEST_PREFIX):
        cid = guest_id_from_token(token)
        if cid is not None:
            if not guest_is_current(cid):
                raise Unauthorized(_("This guest token now belongs to an account: sign in, or ask for a new "
                                     "guest token (POST /api/v1/guests)."), code="token_revoked")
            return None, cid
    elif token.startswith(USER_PREFIX):
        user = user_for_api_token(token)
        if user is not None:
            return user, contributor_for_user(user, signatures).id
    raise Unauthorized(_("This token is not valid. Ask for a new one (POST /api/v1/guests)."))


def contributor_for_user(user, signatures=None):
    """The contributor a signed-in user answers as. With the request's (device, network) signatures, they are
    kept on it as a guest's are: accounts made in a row from one address are one device for the caps, the
    independent-flagger count and the tally, like guests (registering costs no more than a new guest)."""
    contributor = db.session.execute(select(Contributor).where(Contributor.user_id == user.id)).scalar_one_or_none()
    device, network = signatures or (None, None)
    if contributor is None:
        contributor = Contributor(user_id=user.id, device_sig=device, network_sig=network)
        db.session.add(contributor)
        db.session.flush()
    elif device and (contributor.device_sig, contributor.network_sig) != (device, network):
        contributor.device_sig, contributor.network_sig = device, network
        db.session.flush()  # before the hot path's Core statements read it
    return contributor


ADOPTERS = "citizen.accounts.adopters"


def adopt_guest(user, guest_id):
    """Give a guest's history to the user who just registered or signed in.

    A user without a contributor takes the guest's over whole. A user who already has one keeps
    theirs; the guest's answers stay under the guest (the one-answer-per-task rule forbids merging
    two answers to the same task, and re-labelling some would make the history inconsistent)."""
    if guest_id is None:
        return
    guest = db.session.get(Contributor, guest_id)
    if guest is None or guest.user_id is not None or guest.external_ref is not None:
        return
    has_own = db.session.execute(select(Contributor.id).where(Contributor.user_id == user.id)).scalar()
    if not has_own:
        db.session.execute(update(Contributor).where(Contributor.id == guest.id).values(user_id=user.id))
        return
    for carry in current_app.extensions.get(ADOPTERS, ()):  # what features carry over (citizen.training)
        carry(guest.id, has_own)


def on_adopt(app, carry):
    """Called by a feature's init_app: `carry(guest_id, contributor_id)` runs when a user who has a history of their
    own registers or signs in from a guest's session (the guest's answers stay the guest's)."""
    app.extensions.setdefault(ADOPTERS, []).append(carry)


def _looks_like_email(email):
    """name@domain.tld: one @, something before it, a dot inside the domain, no space; at most MAX_EMAIL
    characters. Plain string tests (the regular expression it replaces backtracked on "a@" and many dots)."""
    if len(email) > MAX_EMAIL or email.count("@") != 1 or any(c.isspace() for c in email):
        return False
    local, domain = email.split("@")
    return bool(local) and "." in domain[1:-1]


def _check_new_account(email, name, password):
    email = (email or "").strip().lower()
    errors = []
    if not _looks_like_email(email):
        errors.append({"field": "email", "message": _("Enter a valid e-mail address.")})
    if not (name or "").strip():
        errors.append({"field": "name", "message": _("Tell us what to call you.")})
    elif len(name.strip()) > MAX_NAME:
        errors.append({"field": "name", "message": _("Use at most %(n)d characters for your name.", n=MAX_NAME)})
    errors.extend(password_problems(password))
    if errors:
        raise InvalidInput(errors[0]["message"], details=errors)
    return email


def password_problems(password, field="password"):
    if len(password or "") < MIN_PASSWORD:
        return [{"field": field, "message": _("Use at least 8 characters for the password.")}]
    if len(password) > MAX_PASSWORD:
        return [{"field": field, "message": _("Use at most %(n)d characters for the password.", n=MAX_PASSWORD)}]
    return []


def register_user(email, name, password):
    """A new account (administrators, the CLI, tests): says so when the e-mail is taken. The public form uses
    sign_up, which does not."""
    email = _check_new_account(email, name, password)
    if db.session.execute(select(User.id).where(User.email == email)).first():
        raise InvalidInput(_("An account with this e-mail already exists."),
                           details=[{"field": "email", "message": _("An account with this e-mail already exists.")}])
    user = User(email=email, name=name.strip(), password_hash=generate_password_hash(password))
    db.session.add(user)
    db.session.flush()
    return user


def sign_up(email, name, password):
    """The public registration: the new user, or None when the e-mail already has an account. The caller answers
    both the same way (nobody learns which addresses have accounts); the password is hashed either way, so the
    two take the same time. Nothing of an existing account changes."""
    email = _check_new_account(email, name, password)
    password_hash = generate_password_hash(password)
    if db.session.execute(select(User.id).where(User.email == email)).first():
        return None
    user = User(email=email, name=name.strip(), password_hash=password_hash)
    db.session.add(user)
    db.session.flush()
    return user


@lru_cache(maxsize=1)
def _dummy_hash():
    """A hash of a random password made like real ones: an unknown e-mail costs the same check as a known one."""
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(email, password):
    """The user with this e-mail and password, else None. The password is checked against a hash in every case
    (a dummy one for an unknown e-mail), so the answer takes the same time whether the e-mail has an account."""
    email, password = (email or "").strip().lower(), password or ""
    user = None
    if len(email) <= MAX_EMAIL:
        user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    ok = check_password_hash(user.password_hash if user else _dummy_hash(), password[:MAX_PASSWORD])
    return user if user is not None and ok and len(password) <= MAX_PASSWORD else None


def user_for_session(user_id):
    """Flask-Login's user loader: the id in a session or remember-me cookie is "<user id>:<session token>"
    (User.get_id); a cookie issued before the user's last sign-out or password change names nobody."""
    uid, sep, token = str(user_id or "")[:200].partition(":")
    uid = parse_int(uid, 1)
    if uid is None or not sep or not token:
        return None
    user = db.session.get(User, uid)
    if user is None or not hmac.compare_digest(user.session_token.encode(), token.encode()):
        return None
    return user


def end_sessions(user):
    """Sign the user out everywhere: every session and remember-me cookie issued so far stops working."""
    user.session_token = new_session_token()
    db.session.flush()


def change_password(user, current, new):
    """Set a new password after checking the current one; ends every other session (the caller signs the
    current one in again with the new session token)."""
    if not check_password_hash(user.password_hash, (current or "")[:MAX_PASSWORD]):
        message = _("That is not your current password.")
        raise InvalidInput(message, details=[{"field": "current", "message": message}])
    problems = password_problems(new, "new")
    if problems:
        raise InvalidInput(problems[0]["message"], details=problems)
    user.password_hash = generate_password_hash(new)
    end_sessions(user)


def set_password(user, new):
    """An administrator sets a password (flask users set-password): every session of the user ends."""
    problems = password_problems(new)
    if problems:
        raise InvalidInput(problems[0]["message"], details=problems)
    user.password_hash = generate_password_hash(new)
    end_sessions(user)


def get_or_create_organisation(slug, name):
    org = db.session.execute(select(Organisation).where(Organisation.slug == slug)).scalar_one_or_none()
    if org is None:
        org = Organisation(slug=slug, name=name)
        db.session.add(org)
        db.session.flush()
    return org


def grant(user, organisation, role):
    if role not in ("organiser", "moderator"):
        raise InvalidInput(_("Unknown role %(role)r: use organiser or moderator.", role=role))
    if role not in user.role_in(organisation.id):
        db.session.add(Membership(user_id=user.id, organisation_id=organisation.id, role=role))
        db.session.flush()
        db.session.refresh(user)


def external_contributors(organisation_id, refs):
    """Contributors for answers collected elsewhere, one per (organisation, reference); created as needed."""
    refs = sorted(set(refs))
    found = dict(db.session.execute(
        select(Contributor.external_ref, Contributor.id)
        .where(Contributor.organisation_id == organisation_id, Contributor.external_ref.in_(refs))).all())
    for ref in refs:
        if ref not in found:
            c = Contributor(organisation_id=organisation_id, external_ref=ref)
            db.session.add(c)
            db.session.flush()
            found[ref] = c.id
    return found

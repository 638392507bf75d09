"""Account services: users, organisations, guest contributors and bearer tokens."""
import hashlib
import secrets
from functools import lru_cache

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from citizen.accounts.models import ApiToken, Contributor, Membership, Organisation, User
from citizen.errors import InvalidInput, Unauthorized
from citizen.extensions import db
from flask_babel import gettext as _

GUEST_PREFIX, USER_PREFIX = "g.", "ctz_"
MAX_EMAIL = 254  # characters of an e-mail address (RFC 5321)


def _guest_signer():
    signers = current_app.extensions.setdefault("citizen.guest_signer", {})
    key = current_app.config["SECRET_KEY"]
    if key not in signers:  # building one derives its key: do it once per secret, not per request
        signers[key] = URLSafeSerializer(key, salt="citizen-guest")
    return signers[key]


def create_guest(device_sig=None, network_sig=None):
    """A new anonymous contributor; returns (contributor, bearer token). The signatures (keyed
    hashes, see citizen.quality.signatures) link accounts made from one device."""
    contributor = Contributor(device_sig=device_sig, network_sig=network_sig)
    db.session.add(contributor)
    db.session.flush()
    return contributor, GUEST_PREFIX + _guest_signer().dumps(contributor.id)


def guest_id_from_token(token):
    return _verified(_guest_signer(), token[len(GUEST_PREFIX):])


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


def create_api_token(user, label=""):
    """Returns the token once; only its hash is stored."""
    token = USER_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=_hash(token), label=label))
    db.session.flush()
    return token


def user_for_api_token(token):
    row = db.session.execute(select(ApiToken).where(ApiToken.token_hash == _hash(token))).scalar_one_or_none()
    return row.user if row else None


def resolve_bearer(token):
    """(user or None, contributor id) for a bearer token, or Unauthorized."""
    if token.startswith(GUEST_PREFIX):
        cid = guest_id_from_token(token)
        if cid is not None:
            return None, cid
    elif token.startswith(USER_PREFIX):
        user = user_for_api_token(token)
        if user is not None:
            return user, contributor_for_user(user).id
    raise Unauthorized(_("This token is not valid. Ask for a new one (POST /api/v1/guests)."))


def contributor_for_user(user):
    contributor = db.session.execute(select(Contributor).where(Contributor.user_id == user.id)).scalar_one_or_none()
    if contributor is None:
        contributor = Contributor(user_id=user.id)
        db.session.add(contributor)
        db.session.flush()
    return contributor


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
    has_own = db.session.execute(select(Contributor.id).where(Contributor.user_id == user.id)).first()
    if not has_own:
        db.session.execute(update(Contributor).where(Contributor.id == guest.id).values(user_id=user.id))


def _looks_like_email(email):
    """name@domain.tld: one @, something before it, a dot inside the domain, no space; at most MAX_EMAIL
    characters. Plain string tests (the regular expression it replaces backtracked on "a@" and many dots)."""
    if len(email) > MAX_EMAIL or email.count("@") != 1 or any(c.isspace() for c in email):
        return False
    local, domain = email.split("@")
    return bool(local) and "." in domain[1:-1]


def register_user(email, name, password):
    email = (email or "").strip().lower()
    errors = []
    if not _looks_like_email(email):
        errors.append({"field": "email", "message": _("Enter a valid e-mail address.")})
    if not (name or "").strip():
        errors.append({"field": "name", "message": _("Tell us what to call you.")})
    if len(password or "") < 8:
        errors.append({"field": "password", "message": _("Use at least 8 characters for the password.")})
    if not errors and db.session.execute(select(User.id).where(User.email == email)).first():
        errors.append({"field": "email", "message": _("An account with this e-mail already exists. Sign in instead.")})
    if errors:
        raise InvalidInput(errors[0]["message"], details=errors)
    user = User(email=email, name=name.strip()[:120], password_hash=generate_password_hash(password))
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email, password):
    user = db.session.execute(select(User).where(User.email == (email or "").strip().lower())).scalar_one_or_none()
    if user is None or not check_password_hash(user.password_hash, password or ""):
        return None
    return user


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

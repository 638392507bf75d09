"""Who may moderate an organisation's items, and the audit log every moderator's action writes to. Both the
moderator's actions (citizen.moderation.services) and suspensions (citizen.moderation.suspensions) act through
these, so neither imports the other's module for them."""
import hashlib
import hmac

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from citizen.accounts.models import Organisation, utcnow
from citizen.errors import Forbidden, NotFound
from citizen.extensions import db
from citizen.moderation.models import AuditLog

MAX_REASON = 1000


def organisations(user):
    """The organisations whose queue this user works (moderator or organiser; an admin sees all)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    if user.is_admin:
        return db.session.execute(select(Organisation).order_by(Organisation.name)).scalars().all()
    seen = {}
    for m in user.memberships:
        if m.role in ("moderator", "organiser"):
            seen.setdefault(m.organisation_id, m.organisation)
    return sorted(seen.values(), key=lambda o: o.name)


def can_moderate(user, organisation_id):
    return bool(user is not None and getattr(user, "is_authenticated", False) and (
        user.is_admin or user.role_in(organisation_id) & {"moderator", "organiser"}))


def require_moderator(user, organisation_id):
    if not can_moderate(user, organisation_id):
        raise Forbidden(_("Only this organisation's moderators and organisers can do that."))


def require_organiser(user, organisation_id):
    if not (user is not None and getattr(user, "is_authenticated", False) and user.can_organise(organisation_id)):
        raise Forbidden(_("Only this organisation's organisers can see its audit log."))


def organisation_for(user, slug=None):
    """The organisation a page is about: the one named (if this user moderates it), else their first."""
    orgs = organisations(user)
    if not orgs:
        raise Forbidden(_("Only moderators and organisers can see the moderation queue."))
    if slug:
        for org in orgs:
            if org.slug == slug:
                return org
        raise Forbidden(_("You do not moderate this organisation."))
    return orgs[0]


def moderator_tag(user, organisation_id):
    """How a moderator is named on a result (exports show it): a stable pseudonym, never an account id."""
    key = current_app.config["SECRET_KEY"].encode()
    return "m-" + hmac.new(key, f"moderator:{organisation_id}:{user.id}".encode(), hashlib.sha256).hexdigest()[:8]


def audit(user, organisation_id, action, target_type, target_id, reason="", before=None, after=None,
          campaign_id=None):
    row = AuditLog(organisation_id=organisation_id, campaign_id=campaign_id, user_id=user.id,
                   user_name=(user.name or "")[:120], action=action, target_type=target_type,
                   target_id=str(target_id)[:80], reason=(reason or "")[:MAX_REASON], before=before, after=after,
                   created_at=utcnow())
    db.session.add(row)
    return row


def moderated(user, model, ident, missing):
    """The row `ident` of `model` (anything with an organisation_id), if `user` moderates its organisation."""
    row = db.session.get(model, ident)
    if row is None:
        raise NotFound(missing)
    require_moderator(user, row.organisation_id)
    return row

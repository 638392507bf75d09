"""Team changes: invite by one-time code, accept, change a role, remove. Each checks that the actor organises the
organisation, changes state, writes one audit entry and flushes; the request commits.

An organisation always keeps an organiser: a change that would leave none is refused, with the organisation's
row locked (PostgreSQL) so that two organisers removing each other at once cannot both succeed."""
import hashlib
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from citizen.accounts import audit
from citizen.accounts.models import ROLES, Membership, Organisation, User, utcnow
from citizen.errors import Conflict, Forbidden, InvalidInput, NotFound
from citizen.extensions import db
from citizen.team.models import Invitation

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud or typed from a slide
CODE_LENGTH = 16                              # 31**16, about 2**79: not guessed before it expires
INVITE_DAYS = 7
MAX_PENDING = 50                              # open invitations per organisation


def new_code():
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def clean_code(text):
    """A code as typed (any case, spaces or dashes between groups) -> its canonical form, or None."""
    code = "".join(str(text or "")[:64].split()).replace("-", "").upper()
    return code if len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code) else None


def show_code(code):
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def _hash(code):
    return hashlib.sha256(code.encode()).hexdigest()


def role_label(role):
    return {"organiser": _("organiser"), "moderator": _("moderator")}.get(role, role)


# --- who may manage which team ---------------------------------------------------------------------------

def organisations(user):
    """The organisations whose team this user manages (their organiser; an admin manages all)."""
    if user.is_admin:
        return db.session.execute(select(Organisation).order_by(Organisation.name)).scalars().all()
    orgs = {m.organisation_id: m.organisation for m in user.memberships if m.role == "organiser"}
    return sorted(orgs.values(), key=lambda o: o.name)


def managed_organisation(user, slug=None):
    orgs = organisations(user)
    if not orgs:
        raise Forbidden(_("Only organisers can manage a team."))
    if slug:
        for org in orgs:
            if org.slug == slug:
                return org
        raise Forbidden(_("You are not an organiser of this organisation."))
    return orgs[0]


# --- the team ----------------------------------------------------------------------------------------------

def members(org):
    """[(user, sorted roles)] of the organisation, by name."""
    rows = db.session.execute(select(User, Membership.role).join(Membership, Membership.user_id == User.id)
                              .where(Membership.organisation_id == org.id).order_by(User.name, User.id)).all()
    out = {}
    for user, role in rows:
        out.setdefault(user.id, (user, set()))[1].add(role)
    return [(user, sorted(roles)) for user, roles in out.values()]


def pending(org):
    now = utcnow()
    return db.session.execute(select(Invitation).where(
        Invitation.organisation_id == org.id, Invitation.used_at.is_(None), Invitation.revoked_at.is_(None),
        Invitation.expires_at > now).order_by(Invitation.id.desc())).scalars().all()


def _role(role):
    if role not in ROLES:
        raise InvalidInput(_("Choose a role: organiser or moderator."), details=[
            {"field": "role", "message": _("Choose a role: organiser or moderator.")}])
    return role


def _email(email):
    email = str(email or "").strip().lower()
    if email and (len(email) > 254 or email.count("@") != 1 or email.startswith("@") or email.endswith("@")
                  or any(ch.isspace() or ch in "<>,;\"" for ch in email)):
        raise InvalidInput(_("That does not look like an e-mail address."), details=[
            {"field": "email", "message": _("That does not look like an e-mail address.")}])
    return email


def invite(actor, org, role, email=""):
    """A new invitation; returns (invitation, code). The code is not stored: show or send it now."""
    role, email = _role(role), _email(email)
    if len(pending(org)) >= MAX_PENDING:
        raise Conflict(_("This organisation has %(n)d open invitations: withdraw some first.", n=MAX_PENDING))
    code = new_code()
    inv = Invitation(organisation_id=org.id, role=role, code_hash=_hash(code), email=email, created_by_id=actor.id,
                     created_at=utcnow(), expires_at=utcnow() + timedelta(days=INVITE_DAYS))
    db.session.add(inv)
    db.session.flush()
    audit.record(actor, org.id, "invite", "invitation", inv.id,
                 after={"role": role, "by_email": bool(email),
                        "expires_at": inv.expires_at.isoformat(timespec="minutes")})
    return inv, code


def withdraw(actor, org, invitation_id):
    inv = db.session.get(Invitation, invitation_id)
    if inv is None or inv.organisation_id != org.id:
        raise NotFound(_("There is no such invitation."))
    if inv.used_at is None and inv.revoked_at is None:
        inv.revoked_at = utcnow()
        audit.record(actor, org.id, "withdraw_invitation", "invitation", inv.id, before={"role": inv.role})
        db.session.flush()
    return inv


def invitation(code):
    """The open invitation of a code (not used, withdrawn or expired), or None: one answer for all of these."""
    code = clean_code(code)
    if code is None:
        return None
    inv = db.session.execute(select(Invitation).where(Invitation.code_hash == _hash(code))).scalar_one_or_none()
    if inv is None or inv.used_at or inv.revoked_at or inv.expires_at <= utcnow():
        return None
    return inv


def accept(user, code):
    """Join the invitation's organisation with its role. The code works once: the update that spends it is the
    check, so two people sending it at once cannot both join."""
    inv = invitation(code)
    if inv is None:
        raise NotFound(_("This invitation code does not work: it may be mistyped, used, withdrawn or expired. "
                         "Ask the organiser for a new one."))
    if inv.role in user.role_in(inv.organisation_id):
        raise Conflict(_("You are already %(role)s of %(org)s.", role=role_label(inv.role), org=inv.organisation.name))
    now = utcnow()
    spent = db.session.execute(update(Invitation).where(
        Invitation.id == inv.id, Invitation.used_at.is_(None), Invitation.revoked_at.is_(None),
        Invitation.expires_at > now).values(used_at=now, used_by_id=user.id)).rowcount
    if spent != 1:
        raise NotFound(_("This invitation code does not work: it may be mistyped, used, withdrawn or expired. "
                         "Ask the organiser for a new one."))
    before = sorted(user.role_in(inv.organisation_id))
    db.session.add(Membership(user_id=user.id, organisation_id=inv.organisation_id, role=inv.role))
    db.session.flush()
    db.session.expire(user, ["memberships"])
    audit.record(user, inv.organisation_id, "join", "member", user.id,
                 before={"member": user.name, "roles": before},
                 after={"member": user.name, "roles": sorted(set(before) | {inv.role}), "invitation": inv.id})
    return inv


def _lock(org):
    db.session.execute(select(Organisation.id).where(Organisation.id == org.id).with_for_update())


def _member(org, member_id):
    user = db.session.get(User, member_id)
    roles = sorted(user.role_in(org.id)) if user is not None else []
    if not roles:
        raise NotFound(_("That person is not in this team."))
    return user, roles


def _keeps_an_organiser(org):
    n = db.session.execute(select(func.count()).select_from(Membership).where(
        Membership.organisation_id == org.id, Membership.role == "organiser")).scalar_one()
    if not n:
        raise Conflict(_("An organisation needs an organiser: make someone else organiser first."))


def _set_roles(user, org, roles):
    db.session.execute(delete(Membership).where(Membership.user_id == user.id, Membership.organisation_id == org.id))
    for role in roles:
        db.session.add(Membership(user_id=user.id, organisation_id=org.id, role=role))
    db.session.flush()
    db.session.expire(user, ["memberships"])


def change_role(actor, org, member_id, role):
    """Give a member exactly this role in the organisation."""
    role = _role(role)
    _lock(org)
    user, before = _member(org, member_id)
    if before == [role]:
        return user
    _set_roles(user, org, [role])
    _keeps_an_organiser(org)
    audit.record(actor, org.id, "change_role", "member", user.id, before={"member": user.name, "roles": before},
                 after={"member": user.name, "roles": [role]})
    return user


def remove(actor, org, member_id):
    """Take a member out of the organisation (their account stays)."""
    _lock(org)
    user, before = _member(org, member_id)
    _set_roles(user, org, [])
    _keeps_an_organiser(org)
    audit.record(actor, org.id, "remove_member", "member", user.id, before={"member": user.name, "roles": before},
                 after={"member": user.name, "roles": []})
    return user

"""How people are named in a discussion. Staff (the organisation's organisers and moderators) by their account
name and a handle others @mention them by; volunteers by the display name they chose on their profile, else by a
handle of their own in the campaign's discussion. Never an e-mail address or an account id, and never the
pseudonym the open data files use (a post must not tie a name to a row of the published answers)."""
import hashlib
import hmac
import re
import unicodedata

from flask import current_app
from sqlalchemy import select

from citizen.accounts.models import Membership, User
from citizen.engagement.models import VolunteerProfile
from citizen.extensions import db

STAFF_ROLES = ("organiser", "moderator")
MAX_HANDLE = 30
_NOT_HANDLE = re.compile(r"[^a-z0-9]+")


def handle(name, user_id):
    """The @handle of a staff member: their name in plain letters ("Ana María Pérez" -> "ana-maria-perez"), or
    staff-<n> for a name without any (written in another script)."""
    plain = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    return _NOT_HANDLE.sub("-", plain).strip("-")[:MAX_HANDLE].strip("-") or f"staff-{user_id}"


def staff_role(user, organisation_id):
    """organiser or moderator when the account is staff of the organisation (an admin counts as organiser)."""
    roles = user.role_in(organisation_id)
    if "organiser" in roles or user.is_admin:
        return "organiser"
    return "moderator" if "moderator" in roles else ""


def volunteer_handle(campaign_id, contributor_id):
    key = current_app.config["SECRET_KEY"].encode()
    return "volunteer-" + hmac.new(key, f"talk:{campaign_id}:{contributor_id}".encode(),
                                   hashlib.sha256).hexdigest()[:6]


def author(user, contributor_id, campaign_id, role):
    """The name a post is signed with, fixed when it is written."""
    if role:
        return f"{(user.name or '').strip()[:50]} (@{handle(user.name, user.id)})"
    profile = db.session.get(VolunteerProfile, contributor_id)
    if profile is not None and profile.display_name:
        return profile.display_name[:80]
    return volunteer_handle(campaign_id, contributor_id)


def staff_of(organisation_id):
    """{user id: handle} of the organisation's organisers and moderators."""
    rows = db.session.execute(select(User.id, User.name).join(Membership, Membership.user_id == User.id).where(
        Membership.organisation_id == organisation_id, Membership.role.in_(STAFF_ROLES))).all()
    return {uid: handle(name, uid) for uid, name in rows}

"""Accounts: people who sign in (User), the organisations they work for, and Contributors,
the identity answers are stored under (a guest, a signed-in user, or an imported reference)."""
import secrets
from datetime import datetime, timezone

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from citizen.extensions import db

ROLES = ("organiser", "moderator")


def utcnow():
    return datetime.now(timezone.utc).replace(tzinfo=None)


def new_session_token():
    return secrets.token_urlsafe(24)


class Organisation(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(256))
    is_admin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Part of the id every session and remember-me cookie carries (get_id): a new one (sign out, sign out
    # everywhere, a new password) makes every cookie issued before it name nobody.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    memberships: Mapped[list["Membership"]] = relationship(back_populates="user", lazy="selectin")

    def get_id(self):
        return f"{self.id}:{self.session_token}"

    def role_in(self, organisation_id):
        return {m.role for m in self.memberships if m.organisation_id == organisation_id}

    def can_organise(self, organisation_id):
        return self.is_admin or "organiser" in self.role_in(organisation_id)

    @property
    def organisation_ids(self):
        return sorted({m.organisation_id for m in self.memberships if m.role == "organiser"})


class Membership(db.Model):
    __table_args__ = (UniqueConstraint("user_id", "organisation_id", "role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(lazy="joined")


class Contributor(db.Model):
    """Whoever answers. A guest has no user; registering links the guest to the new user so
    their history stays theirs. Imported answers name an external reference per organisation."""

    __table_args__ = (UniqueConstraint("organisation_id", "external_ref"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), unique=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    external_ref: Mapped[str | None] = mapped_column(String(120))
    # Keyed hashes (never the raw values) of the device (user agent, languages, network) and of the
    # network alone, seen when the guest was created: accounts sharing them are linked (anti-skew).
    device_sig: Mapped[str | None] = mapped_column(String(32), index=True)
    network_sig: Mapped[str | None] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(db.Model):
    """A revocable bearer token for a signed-in user (organisers' scripts). Only its hash is kept.
    It works until expires_at, or until revoked (the row stays, so a script is told why it was refused)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]  # to the hour: kept without a write on every request
    revoked_at: Mapped[datetime | None]
    user: Mapped[User] = relationship(lazy="joined")


class EventCode(db.Model):
    """A campaign's event code (a mapathon, a class): guests made with it, until it expires and up to max_guests,
    are counted against the code instead of their address's limit (many people behind one Wi-Fi or carrier NAT)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    max_guests: Mapped[int]
    guests_made: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

"""Accounts: people who sign in (User), the organisations they work for, and Contributors,
the identity answers are stored under (a guest, a signed-in user, or an imported reference)."""
from datetime import datetime, timezone

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from citizen.extensions import db

ROLES = ("organiser", "moderator")


def utcnow():
    return datetime.now(timezone.utc).replace(tzinfo=None)


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
    memberships: Mapped[list["Membership"]] = relationship(back_populates="user", lazy="selectin")

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
    """A revocable bearer token for a signed-in user (organisers' scripts). Only its hash is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user: Mapped[User] = relationship(lazy="joined")

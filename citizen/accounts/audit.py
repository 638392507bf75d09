"""The audit log: who did what, when, on what, why, with the state before and after, per organisation.

It lives here, in the lowest feature layer, so that every layer that changes an organisation's data writes it
the same way: moderators' actions (citizen.moderation), organisers' changes to tasks and campaigns
(citizen.campaigns.organise) and to their team (citizen.accounts.team). Readers: citizen.moderation.pages."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from citizen.accounts.models import utcnow
from citizen.extensions import NullableJSON, db

MAX_REASON = 1000


class AuditLog(db.Model):
    """One action of a moderator or organiser: who, when, what, on what, why, and the state before and after."""

    __table_args__ = (Index("ix_audit_log_org", "organisation_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    user_name: Mapped[str] = mapped_column(String(120), default="")  # kept when the account is deleted
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(20))   # escalation, task, contributor, report, campaign, member
    target_id: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(String(1000), default="")
    before: Mapped[dict | list | None] = mapped_column(NullableJSON, nullable=True)
    after: Mapped[dict | list | None] = mapped_column(NullableJSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def record(user, organisation_id, action, target_type, target_id, reason="", before=None, after=None,
           campaign_id=None):
    """Add one entry (the caller commits with the change it describes)."""
    row = AuditLog(organisation_id=organisation_id, campaign_id=campaign_id, user_id=user.id if user else None,
                   user_name=((user.name if user else "") or "")[:120], action=action, target_type=target_type,
                   target_id=str(target_id)[:80], reason=(reason or "")[:MAX_REASON], before=before, after=after,
                   created_at=utcnow())
    db.session.add(row)
    return row

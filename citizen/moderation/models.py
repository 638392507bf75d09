"""What moderation stores: escalations, volunteers' reports, suspensions, the organisation's
alert settings (webhook, e-mail) and the log of every delivery attempt."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from citizen.accounts.models import utcnow
from citizen.extensions import NullableJSON, db

OPEN, CONFIRMED, DISMISSED, RESOLVED = "open", "confirmed", "dismissed", "resolved"
REPORT_REASONS = ("abusive", "personal_data")


class Escalation(db.Model):
    """The first critical answer on a task (a person spotted): at the top of its organisation's queue until a
    moderator confirms or dismisses it. Inserted in the answer's own transaction (citizen.moderation.hot)."""

    __table_args__ = (Index("ix_escalation_queue", "organisation_id", "status", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("answer.id", ondelete="SET NULL"))
    contributor_id: Mapped[int | None] = mapped_column(ForeignKey("contributor.id", ondelete="SET NULL"))
    label: Mapped[str] = mapped_column(String(40))  # the critical answer, e.g. "person"
    status: Mapped[str] = mapped_column(String(12), default=OPEN)
    reason: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    # Where rescuers should go ({"lat", "lon", "source"}, the kind's place), stored when a moderator confirms:
    # the response team's live page reads it, never recomputes it.
    place: Mapped[dict | None] = mapped_column(NullableJSON, nullable=True)


class ContentReport(db.Model):
    """A volunteer reports an item as abusive or showing personal data (graphic content is a wellbeing flag)."""

    __table_args__ = (UniqueConstraint("task_id", "contributor_id", "reason"),
                      Index("ix_content_report_open", "campaign_id", "status"))
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    contributor_id: Mapped[int] = mapped_column(ForeignKey("contributor.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(12), default=OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None]


class Suspension(db.Model):
    """A contributor whose answers do not count, in one campaign or (campaign_id NULL) in every campaign of the
    organisation. Active while lifted_at is NULL; new answers from them are stored with weight 0."""

    __table_args__ = (Index("ix_suspension_active", "organisation_id", "lifted_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    contributor_id: Mapped[int] = mapped_column(ForeignKey("contributor.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(1000), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    lifted_at: Mapped[datetime | None]


class QueueDismissal(db.Model):
    """A queue item a moderator looked at and left as it is (a flagged contributor who is fine, a disagreement
    that needs nothing): it stays out of the queue."""

    __table_args__ = (UniqueConstraint("organisation_id", "item_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    item_key: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertSettings(db.Model):
    """Where an organisation hears of escalations: a webhook (POST JSON signed with HMAC-SHA256 of the body
    with `webhook_secret`), e-mail addresses (when the server has MAIL_SERVER) and the response team's live page
    (a secret link, `live_token`; `live_seen_at` is when an open live page last checked in). `test_at` is when
    the last test alert was sent: a channel works when its answer to the latest test was a success."""

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True)
    webhook_url: Mapped[str] = mapped_column(String(500), default="")
    webhook_secret: Mapped[str] = mapped_column(String(200), default="")
    emails: Mapped[str] = mapped_column(String(1000), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    live_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    live_seen_at: Mapped[datetime | None]
    test_at: Mapped[datetime | None]


class DeliveryAttempt(db.Model):
    """Every attempt to notify an organisation (each webhook try, each e-mail), kept as the delivery log."""

    __table_args__ = (Index("ix_delivery_attempt_org", "organisation_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalation.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(10))      # webhook, email or live (an open live page showed it)
    event: Mapped[str] = mapped_column(String(40))        # escalation.created, escalation.confirmed or test
    target: Mapped[str] = mapped_column(String(1000))     # the URL, the addresses, or the live page's viewer
    attempt: Mapped[int] = mapped_column(default=1)
    status_code: Mapped[int | None]
    ok: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str] = mapped_column(String(500), default="")
    duration_ms: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

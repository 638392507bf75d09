"""Campaign, Task, Assignment (a task handed to a contributor), Answer, Participation
(one contributor's state in one campaign) and stored idempotent responses.

Counters live on rows (Task.answer_count, Campaign.tasks_done, Participation.answer_count) so the
hot path never counts rows; every counter is changed by an atomic UPDATE in the same transaction
as the row it counts."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from citizen.accounts.models import Organisation, utcnow
from citizen.extensions import JSONType, NullableJSON, db

DRAFT, PUBLISHED, CLOSED = "draft", "published", "closed"
LEASED, ANSWERED, SKIPPED, EXPIRED = "leased", "answered", "skipped", "expired"
# Ids and counts are `integer` columns (int4 on PostgreSQL): input beyond this can name or store nothing.
MAX_INT = 2**31 - 1
# Task.rand of a task a moderator hid (citizen.moderation): below every cursor of the scheduling order, so never
# picked; every reader that lists tasks leaves such a task out (Task.rand > HIDDEN_RAND).
HIDDEN_RAND = -2.0
# Task.rand of a training task (citizen.training: tutorial and qualification): below HIDDEN_RAND, so never picked
# by the scheduler, and left out by every reader that leaves hidden tasks out (results, exports, maps, counts).
TRAINING_RAND = -3.0
# Participation.training: the tutorial is done (the qualification, if any, comes next); trained (qualified).
TUTORIAL_DONE, TRAINED = 1, 2


class Campaign(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    description_md: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    tutorial_md: Mapped[str] = mapped_column(Text, default="")
    tutorial_html: Mapped[str] = mapped_column(Text, default="")
    settings: Mapped[dict] = mapped_column(JSONType, default=dict)
    # The page texts in other languages, {lang: {title, summary, description_md/html, tutorial_md/html}}
    # (citizen.campaigns.texts): apart from settings, which the volunteer loop reads on every answer.
    texts: Mapped[dict | None] = mapped_column(NullableJSON)
    redundancy: Mapped[int] = mapped_column(default=3)
    licence: Mapped[str] = mapped_column(String(40), default="CC-BY-4.0")
    status: Mapped[str] = mapped_column(String(20), default=DRAFT, index=True)
    tasks_total: Mapped[int] = mapped_column(default=0)
    tasks_done: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    organisation: Mapped[Organisation] = relationship()

    @property
    def is_published(self):
        return self.status == PUBLISHED

    @property
    def progress(self):
        return round(self.tasks_done / self.tasks_total, 4) if self.tasks_total else 0.0


class Task(db.Model):
    """One unit of work. `available` is true while answers plus live leases are below `redundancy`;
    the scheduler reads only available tasks, in the order of `rand` (a random key per task)."""

    __table_args__ = (
        Index("ix_task_schedule", "campaign_id", "available", "rand"),
        # Gold tasks are picked on their own (they stay out of the ordinary pool: available is false).
        Index("ix_task_gold", "campaign_id", "rand", sqlite_where=text("gold IS NOT NULL"),
              postgresql_where=text("gold IS NOT NULL")),
        UniqueConstraint("campaign_id", "external_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    external_id: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict] = mapped_column(JSONType)
    rand: Mapped[float]
    redundancy: Mapped[int]
    answer_count: Mapped[int] = mapped_column(default=0)
    lease_count: Mapped[int] = mapped_column(default=0)
    available: Mapped[bool] = mapped_column(default=True)
    consensus: Mapped[dict] = mapped_column(JSONType, default=dict)
    # The task's result as the kind computes it from `consensus`, stored whenever an answer is folded in
    # (citizen.campaigns.tally) or a moderator changes it: readers never compute it. None before any answer.
    result: Mapped[dict | None] = mapped_column(NullableJSON, nullable=True)
    # A gold task has a known answer (given in the import, or promoted from a verified result).
    gold: Mapped[dict | list | str | int | float | bool | None] = mapped_column(NullableJSON, nullable=True)
    # The task's content rating as bits (citizen.wellbeing.bits): the pick leaves out what a contributor
    # must not be shown. 0 for tasks nobody rated, which is every task of most campaigns.
    content_bits: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def complete(self):
        return self.answer_count >= self.redundancy


class Assignment(db.Model):
    """A task handed to a contributor: proof for the submit check, a lease that holds a slot,
    and memory of skips (a skipped task is not handed to the same person again)."""

    __table_args__ = (
        Index("ix_assignment_live", "state", "expires_at"),
        Index("ix_assignment_contributor_campaign", "contributor_id", "campaign_id", "state"),
    )
    contributor_id: Mapped[int] = mapped_column(ForeignKey("contributor.id", ondelete="CASCADE"), primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(10), default=LEASED)
    leased_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class Answer(db.Model):
    __table_args__ = (
        UniqueConstraint("task_id", "contributor_id"),
        Index("ix_answer_contributor", "contributor_id", "campaign_id"),
        Index("ix_answer_campaign", "campaign_id", "id"),
        # Answers kept without weight for a reason (held for a moderator, before the qualification): few, listed
        # by the moderators' queue.
        Index("ix_answer_reason", "campaign_id", "reason", sqlite_where=text("reason IS NOT NULL"),
              postgresql_where=text("reason IS NOT NULL")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    contributor_id: Mapped[int] = mapped_column(ForeignKey("contributor.id", ondelete="CASCADE"))
    value: Mapped[dict | list | str | int | float | bool] = mapped_column(JSONType)
    duration_ms: Mapped[int | None]
    source: Mapped[str] = mapped_column(String(10), default="web")
    # 0 when the answer came faster than the campaign's minimum time: kept, but it carries no weight.
    weight: Mapped[float] = mapped_column(default=1.0, server_default="1")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A blurred item (citizen.wellbeing): whether the volunteer revealed it before answering, as the server saw
    # (the original is only sent by the reveal). NULL when nothing was held back (most answers, imports).
    revealed: Mapped[bool | None]
    # Why an answer carries no weight when the reason is one the volunteer should know of: "held" (the kind holds it
    # for a moderator: a field visit from too far away), "not_qualified" (given
    # before passing the campaign's qualification, citizen.training). NULL otherwise.
    reason: Mapped[str | None] = mapped_column(String(20))
    # Whether the volunteer was shown a model's prediction as a starting point (citizen.predictions); NULL when the
    # campaign has no predictions shown.
    prediction_shown: Mapped[bool | None]


class Participation(db.Model):
    """One contributor in one campaign: their count, live leases, and the scheduler's cursor."""

    contributor_id: Mapped[int] = mapped_column(ForeignKey("contributor.id", ondelete="CASCADE"), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True)
    answer_count: Mapped[int] = mapped_column(default=0)
    skip_count: Mapped[int] = mapped_column(default=0)
    leases: Mapped[int] = mapped_column(default=0)
    cursor: Mapped[float] = mapped_column(default=0.0)
    fast_count: Mapped[int] = mapped_column(default=0, server_default="0")    # answers faster than the minimum time
    gold_total: Mapped[int] = mapped_column(default=0, server_default="0")    # gold tasks answered
    gold_correct: Mapped[int] = mapped_column(default=0, server_default="0")
    # Training (citizen.training): 0 not started or in the tutorial, 1 tutorial done, 2 trained (qualified when the
    # campaign asks for it). `retrains`: how often their gold record sent them back to training.
    training: Mapped[int] = mapped_column(default=0, server_default="0")
    retrains: Mapped[int] = mapped_column(default=0, server_default="0")
    first_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotentResponse(db.Model):
    """The first response to a request with an Idempotency-Key, returned again on retries."""

    __table_args__ = (UniqueConstraint("contributor_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contributor_id: Mapped[int] = mapped_column(ForeignKey("contributor.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int]
    body: Mapped[dict] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SignatureTally(db.Model):
    """Answers per device signature per campaign: linked accounts share one cap."""

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True)
    signature: Mapped[str] = mapped_column(String(32), primary_key=True)
    answer_count: Mapped[int] = mapped_column(default=0)

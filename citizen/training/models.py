"""Training items and the answers given to them.

A training item is a task of the campaign taken out of its work (Task.rand = TRAINING_RAND: never scheduled, left
out of results, exports and counts), with its known answer in Task.gold and, here, its stage (tutorial or
qualification), its place in the sequence and the explanation shown after an answer. Answers to training items
are kept here, never in Answer: they never reach a consensus, a result or an export."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from citizen.accounts.models import utcnow
from citizen.extensions import JSONType, db

TUTORIAL, QUALIFICATION = "tutorial", "qualification"
STAGES = (TUTORIAL, QUALIFICATION)


class TrainingItem(db.Model):
    __table_args__ = (Index("ix_training_item_campaign", "campaign_id", "stage", "position"),)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(16))
    position: Mapped[int]
    explanation: Mapped[str] = mapped_column(Text, default="")


class TrainingAnswer(db.Model):
    """One answer to a training item. `attempt` numbers a contributor's runs through the qualification (1, 2, ...;
    0 in the tutorial): a run is passed or failed once every qualification item of it is answered."""

    __table_args__ = (Index("ix_training_answer_contributor", "campaign_id", "contributor_id", "stage", "attempt"),
                      Index("ix_training_answer_task", "task_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"))
    contributor_id: Mapped[int] = mapped_column(ForeignKey("contributor.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(16))
    attempt: Mapped[int] = mapped_column(default=0)
    value: Mapped[dict | list | str | int | float | bool] = mapped_column(JSONType)
    correct: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QualificationRun(db.Model):
    """A finished run through the qualification: its score and whether it passed (the organisers' pass rates)."""

    __table_args__ = (Index("ix_qualification_run", "campaign_id", "contributor_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    contributor_id: Mapped[int] = mapped_column(ForeignKey("contributor.id", ondelete="CASCADE"))
    attempt: Mapped[int]
    correct: Mapped[int]
    total: Mapped[int]
    passed: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

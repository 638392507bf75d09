"""What wellbeing stores: re-ratings and review state per task, flags, preferences, and views of sensitive items.

A task's rating comes, first found first: its ContentRating.level (a moderator or enough flags re-rated it),
its import row (Task.payload["_rating"]), the campaign's declared rating. Task.content_bits mirrors the result
for the scheduler (see citizen.wellbeing.bits).
"""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from citizen.accounts.models import utcnow
from citizen.extensions import JSONType, db

# An Assignment state: the task was turned away for this contributor (their consent settings, or the item is
# under review at a level they did not consent to). The scheduler's pick then passes it by; the rows are
# deleted when the contributor's preferences or the task's rating change, so it is reconsidered.
WITHHELD = "withheld"


class ContentRating(db.Model):
    """Per task: a re-rating (level NULL: none, the import or campaign rating applies), the review state
    (flags suggest more than the rating), and blurred copies of its images by original URL (never sent)."""

    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    level: Mapped[int | None] = mapped_column(SmallInteger)
    categories: Mapped[list] = mapped_column(JSONType, default=list)
    custom_label: Mapped[str | None] = mapped_column(String(120))
    source: Mapped[str | None] = mapped_column(String(12))            # "moderator" or "flags"
    rated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    rated_at: Mapped[datetime | None]
    review_level: Mapped[int | None] = mapped_column(SmallInteger)    # under review at this level
    flags_after: Mapped[datetime | None]  # a moderator decided then: only later flags count
    blurred: Mapped[dict] = mapped_column(JSONType, default=dict)     # original URL -> blurred copy's URL


class ContentFlag(db.Model):
    """A volunteer says an item is more upsetting than rated: one flag per contributor per task."""

    __table_args__ = (UniqueConstraint("task_id", "contributor_id"),
                      Index("ix_content_flag_campaign", "campaign_id", "created_at"),
                      Index("ix_content_flag_contributor", "contributor_id", "created_at"))  # the flag allowance
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    contributor_id: Mapped[int] = mapped_column(ForeignKey("contributor.id", ondelete="CASCADE"))
    level: Mapped[int] = mapped_column(SmallInteger)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContentPreference(db.Model):
    """One contributor's consent (guests too): a choice per category and the extreme opt-in.
    No row means the library's defaults (graphic blurred with a reveal, extreme withheld)."""

    contributor_id: Mapped[int] = mapped_column(ForeignKey("contributor.id", ondelete="CASCADE"), primary_key=True)
    choices: Mapped[dict] = mapped_column(JSONType, default=dict)
    extreme_opt_in: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContentView(db.Model):
    """A contributor saw a sensitive item (revealed a blurred one, or was shown one with a warning): the
    exposure budget's input. One per contributor and task, whatever happens again."""

    __table_args__ = (UniqueConstraint("contributor_id", "task_id"),
                      Index("ix_content_view_recent", "contributor_id", "viewed_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    contributor_id: Mapped[int] = mapped_column(ForeignKey("contributor.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"))
    level: Mapped[int] = mapped_column(SmallInteger)
    revealed: Mapped[bool] = mapped_column(default=False)
    viewed_at: Mapped[datetime] = mapped_column(default=utcnow)

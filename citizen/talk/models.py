"""What talk stores: posts (in a campaign's thread, or in one task's), volunteers' reports of posts, and the
notifications a post leaves for people (a mention, a reply from the campaign's staff).

A post keeps its Markdown as written and the HTML it was rendered to, sanitised, once at write time: a thread
is read far more often than written, and a reader never pays for rendering."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from citizen.accounts.models import utcnow
from citizen.extensions import db

MENTION, REPLY = "mention", "reply"


class TalkPost(db.Model):
    """One post. task_id NULL: the campaign's own thread. Hidden by a moderator: kept (the audit log names it),
    shown to nobody but the campaign's staff."""

    __table_args__ = (Index("ix_talk_post_thread", "campaign_id", "task_id", "id"),
                      Index("ix_talk_post_author", "user_id", "created_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    contributor_id: Mapped[int | None] = mapped_column(ForeignKey("contributor.id", ondelete="SET NULL"))
    author: Mapped[str] = mapped_column(String(80), default="")  # as shown when written (display name or handle)
    staff_role: Mapped[str] = mapped_column(String(20), default="")  # organiser or moderator, when staff wrote it
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    needs_expert: Mapped[bool] = mapped_column(default=False, server_default="0")
    reports: Mapped[int] = mapped_column(default=0, server_default="0")
    hidden_at: Mapped[datetime | None]
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TalkReport(db.Model):
    """A signed-in person says a post is abusive, spam or shows personal data: once per post."""

    __table_args__ = (UniqueConstraint("post_id", "user_id"), Index("ix_talk_report_user", "user_id", "created_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("talk_post.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]


class TalkNotification(db.Model):
    """Something for one account to read on its profile: it was mentioned, or staff answered in a thread it
    wrote in."""

    __table_args__ = (Index("ix_talk_notification_user", "user_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("talk_post.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(10))  # mention or reply
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

"""What engagement stores: a volunteer's profile preferences (keyed by contributor, so guests have one
too) and the updates organisers post on a campaign.

Two indexes on other features' tables are declared here because only engagement's queries need them:
answers by campaign and time (charts: answers per day and per hour) and participations by campaign
(volunteers, active now, recognition)."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from citizen.accounts.models import utcnow
from citizen.campaigns.models import Answer, Participation
from citizen.extensions import db


class VolunteerProfile(db.Model):
    """A contributor's choices: private by default, no e-mail, not listed, until they say otherwise."""

    contributor_id: Mapped[int] = mapped_column(ForeignKey("contributor.id", ondelete="CASCADE"), primary_key=True)
    # The address of the public profile (/volunteers/<public_id>): random, never the contributor id.
    public_id: Mapped[str] = mapped_column(String(24), unique=True)
    display_name: Mapped[str] = mapped_column(String(60), default="")
    public: Mapped[bool] = mapped_column(default=False, server_default="0")
    notify_updates: Mapped[bool] = mapped_column(default=False, server_default="0")
    show_in_recognition: Mapped[bool] = mapped_column(default=False, server_default="0")
    # Updates up to this id were shown (or posted before the volunteer asked to be told): notices are newer ones.
    seen_update_id: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CampaignUpdate(db.Model):
    """News from the organisers: progress, what the results did, a change of plan."""

    __table_args__ = (Index("ix_campaign_update_campaign", "campaign_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    body_md: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    emailed: Mapped[int] = mapped_column(default=0, server_default="0")  # e-mails sent about it


Index("ix_answer_campaign_created", Answer.campaign_id, Answer.created_at)
Index("ix_participation_campaign", Participation.campaign_id)

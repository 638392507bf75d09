"""What the field kind stores beside tasks and answers: the sites' index for "nearby", volunteers' photos and their
resumable uploads, and sites proposed by volunteers."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from citizen.accounts.models import utcnow
from citizen.extensions import NullableJSON, db


class FieldSite(db.Model):
    """Where a site's task is, in columns an index can range over: the nearby query reads a box of it."""

    __table_args__ = (Index("ix_field_site_place", "campaign_id", "lat", "lon"),)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    lat: Mapped[float]
    lon: Mapped[float]
    name: Mapped[str] = mapped_column(String(200), default="")


class FieldUpload(db.Model):
    """A photo on its way up, in chunks (a phone on a weak connection resumes where it stopped). The chunks are in
    the file store under `parts/`; once complete the photo is checked, re-encoded and kept (FieldPhoto)."""

    __table_args__ = (UniqueConstraint("contributor_id", "upload_id"),
                      Index("ix_field_upload_age", "created_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    contributor_id: Mapped[int] = mapped_column(ForeignKey("contributor.id", ondelete="CASCADE"))
    upload_id: Mapped[str] = mapped_column(String(64))     # the client's own id (a UUID), to resume after a reload
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"))
    total: Mapped[int]
    received: Mapped[int] = mapped_column(default=0)
    parts: Mapped[int] = mapped_column(default=0)
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("field_photo.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FieldPhoto(db.Model):
    """A volunteer's photo of a site: stored re-encoded (no EXIF but its position), seen only by the campaign's
    staff, blurred until they choose to look (a photo from the street can be graphic)."""

    __table_args__ = (Index("ix_field_photo_task", "task_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"))
    contributor_id: Mapped[int | None] = mapped_column(ForeignKey("contributor.id", ondelete="SET NULL"))
    key: Mapped[str] = mapped_column(String(200), unique=True)         # the photo in the file store
    blurred_key: Mapped[str] = mapped_column(String(200))
    width: Mapped[int]
    height: Mapped[int]
    size: Mapped[int]
    exif_lat: Mapped[float | None]
    exif_lon: Mapped[float | None]
    exif_taken: Mapped[str | None] = mapped_column(String(20))
    removed: Mapped[bool] = mapped_column(default=False)               # taken down by staff (abuse, a face)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FieldProposal(db.Model):
    """A site a volunteer found that is not on the map. It becomes a site (a task) when `confirmations` other
    volunteers confirm it, or when the campaign's staff accept it."""

    __table_args__ = (Index("ix_field_proposal_place", "campaign_id", "status", "lat", "lon"),
                      UniqueConstraint("contributor_id", "key"))
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    contributor_id: Mapped[int | None] = mapped_column(ForeignKey("contributor.id", ondelete="SET NULL"))
    key: Mapped[str] = mapped_column(String(200))  # the request's Idempotency-Key: a retry makes no second proposal
    name: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float]
    lon: Mapped[float]
    accuracy: Mapped[float]
    value: Mapped[dict | None] = mapped_column(NullableJSON, nullable=True)  # the proposer's visit (photos, form)
    status: Mapped[str] = mapped_column(String(12), default="proposed")    # proposed, accepted, rejected
    confirmations: Mapped[int] = mapped_column(default=0)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FieldConfirmation(db.Model):
    """One volunteer saying a proposed site is there (one per volunteer and proposal)."""

    __table_args__ = (UniqueConstraint("proposal_id", "contributor_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("field_proposal.id", ondelete="CASCADE"))
    contributor_id: Mapped[int] = mapped_column(ForeignKey("contributor.id", ondelete="CASCADE"))
    exists: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

"""A long piece of work done off the request (rendering PDF pages, building an export), with
progress people can watch."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from citizen.accounts.models import utcnow
from citizen.extensions import JSONType, db

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"


class Job(db.Model):
    __table_args__ = (Index("ix_job_lane_status", "lane", "status"),)  # the next job of a lane, a lane's blockers
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))  # the registered handler, e.g. "transcription.render"
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    params: Mapped[dict] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=PENDING, index=True)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # One run is one attempt: a handler that raises jobs.services.Retry is run again, as attempt + 1, once
    # due_at has passed. Jobs sharing a lane (e.g. one organisation's webhook deliveries) run one at a time.
    attempt: Mapped[int] = mapped_column(default=1, server_default="1")
    due_at: Mapped[datetime | None]
    lane: Mapped[str | None] = mapped_column(String(80))
    finished_at: Mapped[datetime | None]
    # The queue (citizen.jobs.queue): this row is the outbox. sent_at: when a message for it was last handed to the
    # queue (a sweeper sends it again if it is still pending long after). A worker claims the row before running it
    # (claimed_by: host:pid/token) and holds it while lease_until lies ahead (a heartbeat moves it on); a row whose
    # lease ran out (its worker was killed) may be claimed by another worker. runs counts claims.
    sent_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None]
    runs: Mapped[int] = mapped_column(default=0, server_default="0")

    def as_json(self):
        return {"id": self.id, "name": self.name, "status": self.status, "done": self.done, "total": self.total,
                "message": self.message, "result": self.result,
                "percent": round(100 * self.done / self.total) if self.total else (100 if self.status == DONE else 0)}

"""A model's predictions for a campaign's tasks: the predicted answer in the kind's own answer schema, its confidence
and the model's version. The routing model's row of each task also says whether the task is in the audit sample
(shown to volunteers without the prediction, to estimate the model's accuracy without bias) and whether it was left
to the model alone (confident enough, under "skip when confident")."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from citizen.accounts.models import utcnow
from citizen.extensions import JSONType, db


class Prediction(db.Model):
    __table_args__ = (UniqueConstraint("task_id", "model"), Index("ix_prediction_campaign", "campaign_id", "model"))
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"))
    model: Mapped[str] = mapped_column(String(100))
    answer: Mapped[dict | list | str | int | float | bool] = mapped_column(JSONType)
    confidence: Mapped[float]
    audit: Mapped[bool] = mapped_column(default=False)
    skipped: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

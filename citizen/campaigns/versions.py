"""The version of a campaign's data: what every open data file, the ETags and the campaign's builds
(citizen.campaigns.builds) are made from. A change that no answer count says (a moderator's override, a
suspension) is marked by builds.note_change."""
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import current_app
from sqlalchemy import func, select

from citizen.campaigns.models import Answer
from citizen.extensions import db

FORMAT = 2          # bump when a file's layout changes (citizen.exports): ETags and cached files then change too


@dataclass(frozen=True)
class Version:
    answers: int
    last_answer_id: int
    tasks: int
    modified: datetime      # UTC, aware: the last answer (or the campaign's publication)
    tag: str                # changes whenever any file would change
    built: str = ""         # the data version of the batch consensus build the files show (citizen.campaigns.builds)

    def etag(self, name):
        return f"{self.tag}-{self.built[:8]}-{name}" if self.built else f"{self.tag}-{name}"


def data_version(campaign):
    """The version of a campaign's data: its answer count and last answer id (two index look-ups),
    its task count, and everything in the campaign row the files show (settings, licence, title).
    A change that touches none of these (a moderator's override on a task) must call note_change."""
    n, last = db.session.execute(select(func.count(Answer.id), func.max(Answer.id))
                                 .where(Answer.campaign_id == campaign.id)).one()
    last_at = db.session.execute(select(Answer.created_at).where(Answer.id == last)).scalar() if last else None
    changed = (campaign.settings or {}).get("data_changed_at")  # note_change
    changed = datetime.fromisoformat(changed) if changed else None
    modified = max(t for t in (last_at, changed, campaign.published_at, campaign.created_at) if t is not None)
    secret = hashlib.sha256(current_app.config["SECRET_KEY"].encode()).hexdigest()[:8]  # pseudonyms depend on it
    basis = [FORMAT, campaign.id, campaign.created_at, n, last or 0, campaign.tasks_total, campaign.redundancy,
             campaign.status, campaign.licence, campaign.title, campaign.summary, campaign.settings, secret]
    tag = hashlib.sha256(json.dumps(basis, sort_keys=True, default=str).encode()).hexdigest()[:24]
    return Version(n, last or 0, campaign.tasks_total, modified.replace(tzinfo=timezone.utc), tag)

"""What the volunteer loop asks of moderation, kept cheap enough for the hot path.

- `suspended(conn, campaign_id)`: the contributors whose answers do not count in a campaign. A set per
  campaign cached in the process and read again at most every MODERATION_SUSPENSION_REFRESH seconds (one
  small query over the active suspensions); between refreshes the check is a dict lookup. The process that
  suspends someone forgets its cache at once; other processes follow within the refresh interval.
- `escalate(...)`: the first critical answer on a task, as one INSERT in the answer's own transaction (so the
  task is at the top of the queue the moment the answer is acknowledged), and the notification job, which runs
  once that transaction commits.
"""
import math
import time

from flask import current_app
from sqlalchemy import DateTime, Integer, String, bindparam, text

SUSPENDED = text(
    "SELECT c.id, s.contributor_id FROM suspension s JOIN campaign c ON c.organisation_id = s.organisation_id "
    "AND (s.campaign_id IS NULL OR s.campaign_id = c.id) WHERE s.lifted_at IS NULL")

# INSERT ... SELECT (the organisation comes from the campaign row) that does nothing when the task already has
# an escalation: only the first critical answer escalates. RETURNING says whether this one did.
ESCALATE = text(
    "INSERT INTO escalation (task_id, campaign_id, organisation_id, answer_id, contributor_id, label, status, "
    "reason, created_at) SELECT :tid, c.id, c.organisation_id, :aid, :cid, :label, 'open', '', :now "
    "FROM campaign c WHERE c.id = :camp ON CONFLICT DO NOTHING RETURNING id").bindparams(
    bindparam("tid", type_=Integer), bindparam("camp", type_=Integer), bindparam("aid", type_=Integer),
    bindparam("cid", type_=Integer), bindparam("label", type_=String), bindparam("now", type_=DateTime))

NOTIFY_JOB = "moderation.notify"
_NEVER = -math.inf


def _cache():
    return current_app.extensions.setdefault("citizen.suspensions", {"at": _NEVER, "by_campaign": {}})


def suspended(conn, campaign_id):
    """The contributor ids suspended in this campaign (often an empty tuple)."""
    cache = _cache()
    now = time.monotonic()
    if now - cache["at"] > current_app.config.get("MODERATION_SUSPENSION_REFRESH", 2.0):
        by_campaign = {}
        for camp, cid in conn.execute(SUSPENDED):
            by_campaign.setdefault(camp, set()).add(cid)
        cache["by_campaign"], cache["at"] = by_campaign, now
    return cache["by_campaign"].get(campaign_id, ())


def forget_suspensions():
    """After a suspension or a lift: read them again on the next answer."""
    _cache()["at"] = _NEVER


def escalate(conn, task_id, campaign_id, answer_id, contributor_id, label, now):
    """Record the first critical answer on a task; returns the new escalation's id, or None when the task had
    one already. The organisation is notified by a job that starts when the answer's transaction commits."""
    new_id = conn.execute(ESCALATE, {"tid": task_id, "camp": campaign_id, "aid": answer_id, "cid": contributor_id,
                                     "label": str(label)[:40], "now": now}).scalar()
    if new_id is not None:
        notify(new_id, campaign_id, "escalation.created")
    return new_id


def notify(escalation_id, campaign_id, event):
    """Start the notification job (webhook and e-mail) for an escalation once the transaction commits."""
    from citizen.jobs import services as jobs
    from sqlalchemy import select

    from citizen.campaigns.models import Campaign
    from citizen.extensions import db
    from citizen.urls import public_url
    # Links in the event come from PUBLIC_URL, never from the Host header of the volunteer who answered. The job
    # runs on its organisation's lane: one organisation's dead webhook never delays another's deliveries.
    org_id = db.session.execute(select(Campaign.organisation_id).where(Campaign.id == campaign_id)).scalar()
    jobs.start_after_commit(NOTIFY_JOB, campaign_id, {"escalation_id": escalation_id, "event": event,
                                                      "base_url": public_url()}, lane=f"notify:org:{org_id}")

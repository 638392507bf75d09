"""What an escalation carries to experts: where (a mark on a map cell, the photo's GPS position, or the cell's
centre), the image, the critical answer, and the links; the same facts go into the webhook's JSON."""
from datetime import timezone

from sqlalchemy import select

from citizen.accounts.models import Organisation, utcnow
from citizen.kinds import get_kind
from citizen.campaigns.models import Answer, Campaign, Task
from citizen.extensions import db


def location(kind, payload, value=None):
    """Where rescuers should look for an escalated task: the kind's place (Kind.place), or None."""
    return kind.place(payload, value)


def iso(moment):
    return moment.replace(tzinfo=timezone.utc).isoformat().replace("+00:00", "Z") if moment else None


def details(escalation):
    """Task, campaign, the critical answer's value and the place of an escalation."""
    task = db.session.get(Task, escalation.task_id)
    campaign = db.session.get(Campaign, escalation.campaign_id)
    value = db.session.execute(select(Answer.value).where(Answer.id == escalation.answer_id)).scalar() \
        if escalation.answer_id else None
    return task, campaign, value, location(get_kind(campaign.kind), task.payload, value)


def event_json(escalation, event, base_url=""):
    """The JSON body of a notification about `escalation` (webhook; the e-mail says the same in words)."""
    task, campaign, _value, place = details(escalation)
    org = db.session.get(Organisation, escalation.organisation_id)
    base = (base_url or "").rstrip("/")
    kind = get_kind(campaign.kind)
    media = kind.media_urls(kind.task_json(task.payload, campaign.settings))
    image = media[0] if media else None
    return {
        "event": event, "delivery": f"{escalation.id}-{event}", "sent_at": iso(utcnow()),
        "organisation": org.slug,
        "escalation": {
            "id": escalation.id, "status": escalation.status, "answer": escalation.label,
            "created_at": iso(escalation.created_at), "decided_at": iso(escalation.decided_at),
            "reason": escalation.reason or "",
            "campaign": {"slug": campaign.slug, "title": campaign.title},
            "task": {"id": task.id, "external_id": task.external_id},
            "location": place,
            "image_url": (base + image if image and image.startswith("/") else image) or None,
            "url": f"{base}/moderation/escalations/{escalation.id}",
        },
    }

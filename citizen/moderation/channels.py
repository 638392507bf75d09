"""Where alerts go, and whether they get there: the organisation's channels (webhook, e-mail, the response team's
live page), test alerts, the rule that a campaign with escalation rules is published only with a working
channel, and what a confirmed escalation reached.

A channel *works* when its answer to the latest test alert was a success, given after the channel last changed:
the webhook answered 2xx, the mail server took the e-mail, an open live page showed the test. The delivery log
(DeliveryAttempt) is the record of each: live pages add a row ("live", the viewer) when they show an alert.
"""
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from citizen.accounts.models import Organisation, utcnow
from citizen.errors import Conflict
from citizen.extensions import db
from citizen.jobs import services as jobs
from citizen.kinds import get_kind
from citizen.moderation.models import AlertSettings, DeliveryAttempt, Escalation
from citizen.moderation.webhooks import TEST_JOB

LIVE_OPEN_SECONDS = 60  # a live page that checked in within this long is "open now"


def settings_of(organisation_id, create=False):
    row = db.session.get(AlertSettings, organisation_id)
    if row is None and create:
        row = AlertSettings(organisation_id=organisation_id, updated_at=utcnow())
        db.session.add(row)
        db.session.flush()
    return row


def new_live_link(organisation_id):
    """A new secret link for the live page (the old one stops working at once). Returns the token."""
    row = settings_of(organisation_id, create=True)
    row.live_token = secrets.token_urlsafe(24)
    row.live_seen_at = None
    row.updated_at = utcnow()
    db.session.flush()
    return row.live_token


def remove_live_link(organisation_id):
    row = settings_of(organisation_id)
    if row is not None and row.live_token:
        row.live_token, row.live_seen_at, row.updated_at = None, None, utcnow()
        db.session.flush()


def send_test(organisation, base_url=""):
    """A test alert on every channel that is set: the webhook and e-mail by a job once the request commits, the
    live page when it next checks in (it shows the test and says so). Returns the moment of the test."""
    row = settings_of(organisation.id, create=True)
    row.test_at = utcnow()
    db.session.flush()
    if row.webhook_url or row.emails or _mail_configured():
        jobs.start_after_commit(TEST_JOB, None, {"organisation_id": organisation.id, "base_url": base_url},
                                lane=f"notify:org:{organisation.id}")
    return row.test_at


def _mail_configured():
    from flask import current_app
    return bool(current_app.config.get("MAIL_SERVER"))


def _live_open(row, now=None):
    return bool(row and row.live_token and row.live_seen_at
                and (now or utcnow()) - row.live_seen_at <= timedelta(seconds=LIVE_OPEN_SECONDS))


def status(organisation_id):
    """Each channel that is set: {"channel", "target", "test": latest test attempt or None, "works": bool,
    "open": live pages open now (live only)}. An empty list: alerts reach nobody."""
    row = settings_of(organisation_id)
    if row is None:
        return []
    set_up = []
    if row.webhook_url:
        set_up.append(("webhook", row.webhook_url))
    if _mail_configured():
        set_up.append(("email", row.emails or _("the organisers")))
    if row.live_token:
        set_up.append(("live", _("the response team’s live page")))
    tests = {}
    if row.test_at:
        for attempt in db.session.execute(select(DeliveryAttempt).where(
                DeliveryAttempt.organisation_id == organisation_id, DeliveryAttempt.event == "test",
                DeliveryAttempt.escalation_id.is_(None), DeliveryAttempt.created_at >= row.test_at)
                .order_by(DeliveryAttempt.id)).scalars():
            if attempt.channel not in tests or attempt.ok:  # the live page: any viewer who saw it
                tests[attempt.channel] = attempt
    out = []
    for channel, target in set_up:
        test = tests.get(channel)
        out.append({"channel": channel, "target": target, "test": test,
                    "works": bool(test and test.ok and row.test_at >= row.updated_at),
                    "open": _live_open(row) if channel == "live" else None})
    return out


def works(organisation_id):
    return any(c["works"] for c in status(organisation_id))


def check_publish(campaign):
    """Refuse to publish a campaign whose answers escalate when no channel of its organisation works."""
    if not get_kind(campaign.kind).critical(campaign.settings or {}):
        return
    if not works(campaign.organisation_id):
        raise Conflict(_("This campaign alerts the response team when a volunteer spots something, but no alert "
                         "channel of the organisation works yet: set a webhook, e-mail or the live page in Alert "
                         "settings, send a test alert, and publish once it has arrived."), code="no_alert_channel")


def reached(escalation_id, organisation_id, event="escalation.confirmed"):
    """Where one event of an escalation went, for the moderator who confirmed it: per channel that is set,
    {"channel", "target", "state": "delivered" | "failed" | "waiting", "status_code", "at", "seen_by"}.
    An empty list: it reached nobody."""
    row = settings_of(organisation_id)
    attempts = db.session.execute(select(DeliveryAttempt).where(
        DeliveryAttempt.escalation_id == escalation_id, DeliveryAttempt.event == event)
        .order_by(DeliveryAttempt.id)).scalars().all()
    last = {}
    for a in attempts:
        if a.channel != "live":
            last[a.channel] = a
    out = []
    if row is not None and row.webhook_url:
        a = last.get("webhook")
        out.append({"channel": "webhook", "target": row.webhook_url, "state": _state(a),
                    "status_code": a.status_code if a else None, "at": a.created_at if a else None,
                    "attempt": a.attempt if a else 0})
    if "email" in last or _mail_configured():
        a = last.get("email")
        out.append({"channel": "email", "target": a.target if a else (row.emails if row else ""),
                    "state": _state(a), "status_code": None, "at": a.created_at if a else None})
    if row is not None and row.live_token:
        seen = db.session.execute(select(func.count(func.distinct(DeliveryAttempt.target))).where(
            DeliveryAttempt.escalation_id == escalation_id, DeliveryAttempt.channel == "live")).scalar()
        out.append({"channel": "live", "target": _("the response team’s live page"),
                    "state": "delivered" if seen else "waiting", "seen_by": seen, "open": _live_open(row)})
    return out


def _state(attempt):
    if attempt is None:
        return "waiting"
    return "delivered" if attempt.ok else "failed"


def summary(reach):
    """One line for the moderator: "Sent to: webhook X (delivered 200 at 10:02:03), live page (seen by 2)"."""
    if not reach:
        return _("It reached nobody: the organisation has no alert channel. Set one in Alert settings.")
    parts = []
    for r in reach:
        if r["channel"] == "live":
            parts.append(_("live page (seen by %(n)s)", n=r["seen_by"]))
            continue
        name = _("webhook %(url)s", url=r["target"]) if r["channel"] == "webhook" else _("e-mail %(to)s", to=r["target"])
        if r["state"] == "waiting":
            parts.append(_("%(name)s (sending…)", name=name))
        elif r["state"] == "delivered":
            code = f" {r['status_code']}" if r.get("status_code") else ""
            parts.append(_("%(name)s (delivered%(code)s at %(at)s UTC)", name=name, code=code,
                           at=r["at"].strftime("%H:%M:%S")))
        else:
            parts.append(_("%(name)s (failed at %(at)s UTC)", name=name, at=r["at"].strftime("%H:%M:%S")))
    return _("Sent to: %(channels)s", channels=", ".join(parts))


def organisation_by_token(token):
    if not isinstance(token, str) or not 20 <= len(token) <= 64:
        return None, None
    row = db.session.execute(select(AlertSettings).where(AlertSettings.live_token == token)).scalar()
    if row is None:
        return None, None
    return db.session.get(Organisation, row.organisation_id), row


def confirmed_since(organisation_id, limit):
    """The newest confirmed escalations of an organisation, as stored (nothing recomputed)."""
    from citizen.campaigns.models import Campaign
    rows = db.session.execute(select(Escalation.id, Escalation.label, Escalation.place, Escalation.decided_at,
                                     Escalation.task_id, Campaign.title)
                              .join(Campaign, Campaign.id == Escalation.campaign_id)
                              .where(Escalation.organisation_id == organisation_id, Escalation.status == "confirmed")
                              .order_by(Escalation.id.desc()).limit(limit)).all()
    return [{"id": r.id, "label": r.label, "place": r.place, "task_id": r.task_id, "campaign": r.title,
             "confirmed_at": r.decided_at.isoformat(timespec="seconds") + "Z" if r.decided_at else None}
            for r in rows]

"""The response team's live page: an alert channel that needs no mail server and no receiver of our own.

Whoever holds the organisation's secret link (/alerts/<token>) sees confirmed finds as they are confirmed, with a
sound and a browser notification once they have pressed "enable alerts". The page polls a small JSON feed:

- `feed(token)`: the newest confirmed escalations as stored (their place was stored at confirmation) and the
  moment of the latest test alert; built at most once per LIVE_FEED_CACHE_SECONDS per organisation and served
  from the process's cache in between, so a page polled by many people costs one small query per interval.
- `seen(token, data)`: the page says what it showed (at most MAX_SEEN escalations, and the test), under a random
  viewer id it keeps in the browser; each becomes one "live" row of the delivery log (once per viewer and
  escalation, up to MAX_VIEWERS viewers), so the moderator who confirmed a find sees how many people it reached.
  Its check-in also marks the page as open (at most every CHECK_IN_SECONDS a write).
"""
import re
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from citizen.accounts.models import utcnow
from citizen.errors import InvalidInput, NotFound
from citizen.extensions import db
from citizen.moderation import channels
from citizen.moderation.models import DeliveryAttempt, Escalation
from citizen.numbers import parse_int

FEED_SIZE = 20
MAX_SEEN = 20
MAX_VIEWERS = 50  # live receipts kept per escalation
CHECK_IN_SECONDS = 20
_VIEWER = re.compile(r"[0-9a-f]{16,32}")


def _cache():
    return current_app.extensions.setdefault("citizen.live_feed", {})


def organisation(token):
    """The organisation whose live page this token opens, or None."""
    return channels.organisation_by_token(token)[0]


def _organisation(token):
    org, row = channels.organisation_by_token(token)
    if org is None:
        raise NotFound(_not_found())
    return org, row


def _not_found():
    from flask_babel import gettext as _
    return _("This alert link does not work (it may have been replaced): ask your organisers for the new one.")


def feed(token):
    """{"items": [...newest first], "test_at": iso or None, "poll": seconds} for the page behind `token`."""
    org, row = _organisation(token)
    cache, now = _cache(), time.monotonic()
    hit = cache.get(org.id)
    if hit is None or now - hit[0] > current_app.config.get("LIVE_FEED_CACHE_SECONDS", 2.0):
        body = {"items": channels.confirmed_since(org.id, FEED_SIZE),
                "test_at": row.test_at.isoformat(timespec="seconds") + "Z" if row.test_at else None,
                "poll": current_app.config.get("LIVE_POLL_SECONDS", 5)}
        hit = cache[org.id] = (now, body)
    return hit[1]


def forget(organisation_id):
    """A confirmation, a test or a new link: the next poll reads the database again."""
    _cache().pop(organisation_id, None)


def seen(token, data):
    """Record what a live page showed: {"viewer": hex, "ids": [escalation ids], "test": true when it showed the
    latest test}. Returns {"recorded": n}."""
    org, row = _organisation(token)
    viewer = data.get("viewer")
    if not isinstance(viewer, str) or not _VIEWER.fullmatch(viewer):
        raise InvalidInput("viewer: 16 to 32 hexadecimal digits", details=[{"field": "viewer", "message": "hex"}])
    raw = data.get("ids") or []
    if not isinstance(raw, list) or len(raw) > MAX_SEEN:
        raise InvalidInput(f"ids: a list of at most {MAX_SEEN} ids", details=[{"field": "ids", "message": "list"}])
    ids = {i for i in (parse_int(str(v)) if isinstance(v, int) else None for v in raw) if i is not None}
    target = f"live page viewer {viewer[:8]}"
    now = utcnow()
    recorded = 0
    if ids:
        known = set(db.session.execute(select(Escalation.id).where(
            Escalation.id.in_(ids), Escalation.organisation_id == org.id, Escalation.status == "confirmed")).scalars())
        seen_by = dict(db.session.execute(select(DeliveryAttempt.escalation_id, func.count()).where(
            DeliveryAttempt.escalation_id.in_(known), DeliveryAttempt.channel == "live")
            .group_by(DeliveryAttempt.escalation_id)).all()) if known else {}
        done = set(db.session.execute(select(DeliveryAttempt.escalation_id).where(
            DeliveryAttempt.escalation_id.in_(known), DeliveryAttempt.channel == "live",
            DeliveryAttempt.target == target)).scalars()) if known else set()
        # A leaked link cannot fill the delivery log: past MAX_VIEWERS viewers of one find, "seen by" stops.
        for esc_id in sorted(i for i in known - done if seen_by.get(i, 0) < MAX_VIEWERS):
            db.session.add(DeliveryAttempt(organisation_id=org.id, escalation_id=esc_id, channel="live",
                                           event="escalation.confirmed", target=target, ok=True, created_at=now))
            recorded += 1
    if data.get("test") is True and row.test_at and not db.session.execute(select(DeliveryAttempt.id).where(
            DeliveryAttempt.organisation_id == org.id, DeliveryAttempt.escalation_id.is_(None),
            DeliveryAttempt.channel == "live", DeliveryAttempt.event == "test", DeliveryAttempt.target == target,
            DeliveryAttempt.created_at >= row.test_at)).first():
        db.session.add(DeliveryAttempt(organisation_id=org.id, channel="live", event="test", target=target,
                                       ok=True, created_at=now))
        recorded += 1
    if row.live_seen_at is None or now - row.live_seen_at > timedelta(seconds=CHECK_IN_SECONDS) or recorded:
        row.live_seen_at = now
    db.session.flush()
    return {"recorded": recorded}

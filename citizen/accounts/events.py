"""Event codes and the address limit on new guests.

New guests are limited per network address (GUEST_RATE_LIMIT, counted in the limiter's storage, so every worker
shares it: Redis in production). The address is an IPv4 address, or an IPv6 /64 (one subscriber's network: the
rest of an IPv6 address is free to rotate). A school, a mapathon on one Wi-Fi or phones behind carrier NAT share
one address: for them an organiser makes an event code for a campaign (an expiry and a maximum number of guests);
guests made with it count against the code instead of the address."""
import math
import re
import secrets
import time
from datetime import timedelta

from flask_babel import gettext as _
from limits import parse_many
from sqlalchemy import select, update

from citizen.accounts.models import EventCode, utcnow
from citizen.errors import InvalidInput, NotFound, RateLimited
from citizen.extensions import db
from citizen.network import address_key  # noqa: F401  (what the limit counts)
from citizen.numbers import parse_int

CODE_LENGTH = 10
MAX_GUESTS, MAX_HOURS, DEFAULT_GUESTS, DEFAULT_HOURS = 5000, 24 * 14, 300, 8
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed from a slide
_CODE = re.compile(r"^[A-Za-z0-9]{4,16}$")


def clean_code(raw):
    """The code as stored (upper case), or None for anything that cannot be one (checked before any query)."""
    if not isinstance(raw, str) or not _CODE.match(raw):
        return None
    return raw.upper()


def spend_code(code):
    """Count one new guest against an event code: True while it is valid and below its maximum. One atomic
    UPDATE, so concurrent guests cannot overshoot the maximum."""
    code = clean_code(code)
    if code is None:
        return False
    result = db.session.execute(
        update(EventCode).where(EventCode.code == code, EventCode.expires_at > utcnow(),
                                EventCode.guests_made < EventCode.max_guests)
        .values(guests_made=EventCode.guests_made + 1).execution_options(synchronize_session=False))
    return result.rowcount == 1


def spend_address(limiter, limits_text, key):
    """Count one new guest against the limits of this network (network.address_key), or RateLimited saying when
    to try again."""
    for item in parse_many(limits_text):
        if not limiter.hit(item, "guests", key):
            reset = limiter.get_window_stats(item, "guests", key).reset_time
            seconds = max(1, math.ceil(reset - time.time()))
            minutes = max(1, math.ceil(seconds / 60))
            raise RateLimited(_("Too many new volunteers from this network right now. Please try again in about "
                                "%(minutes)d minutes. Organising a class or a mapathon? The campaign's organisers "
                                "can make an event code on the campaign's page, and everyone who opens its link "
                                "can join at once.", minutes=minutes), retry_after=seconds)


def create_code(campaign, user, max_guests=DEFAULT_GUESTS, hours=DEFAULT_HOURS):
    errors = []
    max_guests = parse_int(max_guests, 1, MAX_GUESTS)
    if max_guests is None:
        errors.append({"field": "max_guests", "message": _("Allow from 1 to %(n)d volunteers.", n=MAX_GUESTS)})
    hours = parse_int(hours, 1, MAX_HOURS)
    if hours is None:
        errors.append({"field": "hours", "message": _("A code lasts from 1 to %(n)d hours.", n=MAX_HOURS)})
    if errors:
        raise InvalidInput(errors[0]["message"], details=errors)
    row = EventCode(campaign_id=campaign.id, code="".join(secrets.choice(_ALPHABET) for _i in range(CODE_LENGTH)),
                    max_guests=max_guests, expires_at=utcnow() + timedelta(hours=hours),
                    created_by_id=user.id if user else None)
    db.session.add(row)
    db.session.flush()
    return row


def codes(campaign):
    return db.session.execute(select(EventCode).where(EventCode.campaign_id == campaign.id)
                              .order_by(EventCode.id.desc()).limit(50)).scalars().all()


def end_code(campaign, code_id):
    row = db.session.get(EventCode, code_id) if parse_int(code_id) is not None else None
    if row is None or row.campaign_id != campaign.id:
        raise NotFound(_("There is no such event code."))
    now = utcnow()
    if row.expires_at > now:
        row.expires_at = now
        db.session.flush()
    return row

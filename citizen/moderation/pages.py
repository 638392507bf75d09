"""What each moderation page shows, built from the services (the views only render it)."""
import csv
import io
import json
import math
import re

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from citizen import outbound
from citizen.accounts.models import Organisation, User, utcnow
from citizen.kinds import get_kind
from citizen.campaigns.models import Campaign, Participation
from citizen.extensions import db
from citizen.moderation import access, audit_display, channels, display, escalations, live, queue, services
from citizen.numbers import int_arg, parse_int
from citizen.accounts.audit import AuditLog
from citizen.moderation.models import AlertSettings, DeliveryAttempt, Suspension
from citizen.accounts.signatures import pseudonym
from citizen.spreadsheet import safe_cell
from citizen.urls import public_url

PAGE_SIZE = 20
# Lazy: translated when the page renders, in the moderator's language (not once at import, in English).
KEYS = [("j", _l("next")), ("k", _l("previous")), ("c", _l("confirm")), ("d", _l("dismiss")), ("a", _l("accept")),
        ("o", _l("override")), ("e", _l("adjust")), ("h", _l("hide")), ("r", _l("re-rate")), ("s", _l("suspend"))]


def back_to(url, message):
    flash(message)
    return redirect(url)


def org_slug(organisation_id):
    return db.session.get(Organisation, organisation_id).slug


def _int(value):
    return parse_int(value)  # None for anything that is not an id (letters, -1, 2**31)


def queue_page(user, args):
    org = access.organisation_for(user, args.get("org"))
    campaigns = queue.campaigns_of(org.id)
    campaign_id = _int(args.get("campaign"))
    campaign_id = campaign_id if campaign_id in campaigns else None
    reason = args.get("reason") if args.get("reason") in dict(queue.REASONS) else None
    items, counts = queue.open_items(user, org.id, campaign_id, reason)
    pages = max(1, math.ceil(len(items) / PAGE_SIZE))
    page = min(max(_int(args.get("page")) or 1, 1), pages)
    shown = display.hydrate(items[(page - 1) * PAGE_SIZE:page * PAGE_SIZE], user)
    editors = [get_kind(k) for k in dict.fromkeys(i["editor"]["kind"] for i in shown if i.get("editor"))]
    last = max([i["escalation_id"] for i in items if i["reason"] == "escalation"] or [0])
    return {"org": org, "orgs": access.organisations(user), "campaigns": list(campaigns.values()),
            "campaign_id": campaign_id, "reason": reason, "reasons": queue.REASONS, "counts": counts,
            "total": len(items), "items": shown, "page": page, "pages": pages, "keys": KEYS,
            "last_escalation": last, "poll_seconds": current_app.config.get("MODERATION_POLL_SECONDS", 3),
            "is_organiser": user.can_organise(org.id), "editors": editors}


def new_escalations(user, args):
    """Open escalations newer than args["after"] in the queue's filters, hydrated; and the newest id."""
    org = access.organisation_for(user, args.get("org"))
    if args.get("reason") not in (None, "", "escalation"):
        return [], int_arg(args, "after", 0)
    after = int_arg(args, "after", 0)
    campaigns = queue.campaigns_of(org.id, _int(args.get("campaign")))
    items = queue.escalations(org.id, campaigns, after=after)
    mine = queue.own_task_ids(queue.my_contributor_id(user), list(campaigns))
    last = max([i["escalation_id"] for i in items] or [after])
    return display.hydrate([i for i in items if i["task_id"] not in mine], user), last


def _dms(value, positive, negative):
    sign = positive if value >= 0 else negative
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = (value - degrees - minutes / 60) * 3600
    return f"{degrees}°{minutes:02d}′{seconds:04.1f}″{sign}"


def escalation_page(user, escalation_id):
    esc = services.get_escalation(user, escalation_id)
    task, campaign, _value, place = escalations.details(esc)
    item = {"key": f"escalation:{esc.id}", "reason": "escalation", "campaign_id": campaign.id, "task_id": task.id,
            "escalation_id": esc.id, "label": esc.label, "created_at": esc.created_at,
            "contributor_ids": [esc.contributor_id] if esc.contributor_id else []}
    display.hydrate([item], user)
    if place:
        place = {**place, "dms": f"{_dms(place['lat'], 'N', 'S')} {_dms(place['lon'], 'E', 'W')}"}
    decided_by = db.session.get(User, esc.decided_by_id) if esc.decided_by_id else None
    tiles = (campaign.settings or {}).get("tiles_after") or ""
    reach = channels.reached(esc.id, esc.organisation_id) if esc.status == "confirmed" else None
    return {"reached": reach, "reached_summary": channels.summary(reach) if reach is not None else "",
            "esc": esc, "item": item, "campaign": campaign, "task": task, "place": place,
            "decided_by": decided_by.name if decided_by else None, "tiles": tiles,
            "attribution": (campaign.settings or {}).get("attribution", ""),
            "kind": get_kind(campaign.kind), "org": db.session.get(Organisation, esc.organisation_id)}


def suspensions_page(user, args):
    org = access.organisation_for(user, args.get("org"))
    rows = db.session.execute(select(Suspension, Campaign.title).outerjoin(Campaign, Campaign.id == Suspension.campaign_id)
                              .where(Suspension.organisation_id == org.id)
                              .order_by(Suspension.lifted_at.is_not(None), Suspension.id.desc()).limit(200)).all()
    out = []
    for s, title in rows:
        if s.campaign_id:
            names = [pseudonym(s.campaign_id, s.contributor_id)]
        else:  # organisation-wide: as they appear in the campaigns they answered
            camps = db.session.execute(select(Participation.campaign_id).where(
                Participation.contributor_id == s.contributor_id).limit(3)).scalars()
            names = [pseudonym(c, s.contributor_id) for c in camps]
        out.append({"s": s, "campaign": title, "names": names})
    return {"org": org, "orgs": access.organisations(user), "rows": out}


def settings_page(user, slug, form=None):
    org = access.organisation_for(user, slug)
    access.require_organiser(user, org.id)
    row = db.session.get(AlertSettings, org.id)
    errors = {}
    if form is not None:
        url, secret = form.get("webhook_url", "").strip(), form.get("webhook_secret", "").strip()
        emails = ", ".join(a.strip() for a in re.split(r"[,;\s]+", form.get("emails", "")) if a.strip())
        if url:
            try:  # spelling, port, user name, and every address the host resolves to (citizen.outbound)
                outbound.check_url(url)
            except outbound.Refused as refused:
                errors["webhook_url"] = refused.reason
        if url and not (secret or (row and row.webhook_secret)):
            errors["webhook_secret"] = _("Give a secret: the receiver checks each delivery's signature with it.")
        if any("@" not in a for a in emails.split(", ") if a):
            errors["emails"] = _("Give e-mail addresses separated by commas.")
        if not errors:
            if row is None:
                row = AlertSettings(organisation_id=org.id)
                db.session.add(row)
            row.webhook_url, row.emails, row.updated_at = url, emails, utcnow()
            if secret:
                row.webhook_secret = secret
            access.audit(user, org.id, "alert_settings", "organisation", org.slug, "", None,
                           {"webhook_url": url, "emails": emails, "secret_changed": bool(secret)})
            db.session.flush()
            return {"org": org, "saved": True}
    log = db.session.execute(select(DeliveryAttempt).where(DeliveryAttempt.organisation_id == org.id)
                             .order_by(DeliveryAttempt.id.desc()).limit(50)).scalars().all()
    live_url = url_for("live.page", token=row.live_token, _external=False) if row and row.live_token else None
    return {"org": org, "orgs": access.organisations(user), "row": row, "errors": errors, "form": form or {},
            "log": log, "mail": bool(current_app.config.get("MAIL_SERVER")), "channels": channels.status(org.id),
            "live_url": (public_url() or request.host_url.rstrip("/")) + live_url if live_url else None}


def organiser_org(user, slug):
    org = access.organisation_for(user, slug)
    access.require_organiser(user, org.id)
    return org


def live_link(user, slug, remove=False):
    """A new secret link for the response team's live page (the old one stops working), or none."""
    org = organiser_org(user, slug)
    if remove:
        channels.remove_live_link(org.id)
    else:
        channels.new_live_link(org.id)
    live.forget(org.id)
    access.audit(user, org.id, "alert_live_link", "organisation", org.slug, "", None, {"live_page": not remove})
    db.session.flush()
    return org


def send_test(user, slug):
    """A test alert on every channel that is set; the settings page shows each answer."""
    org = organiser_org(user, slug)
    if not channels.status(org.id):
        return org, False
    channels.send_test(org, public_url())
    live.forget(org.id)
    access.audit(user, org.id, "alert_test", "organisation", org.slug, "", None,
                   {"channels": [c["channel"] for c in channels.status(org.id)]})
    db.session.flush()
    return org, True


def reached(user, escalation_id):
    """Where a confirmed escalation went, for its escalation page (and its poll)."""
    esc = services.get_escalation(user, escalation_id)
    if esc.status != "confirmed":
        return esc, []
    return esc, channels.reached(esc.id, esc.organisation_id)


def reached_json(user, escalation_id):
    esc, reach = reached(user, escalation_id)
    return {"status": esc.status, "summary": channels.summary(reach) if esc.status == "confirmed" else "",
            "channels": [{**r, "at": escalations.iso(r.get("at"))} for r in reach]}


def audit_page(user, args):
    """The organisation's audit log, newest first, 100 entries a page, each with its readable differences:
    moderators and organisers of the organisation (moderators without what only organisers may see)."""
    org = access.organisation_for(user, args.get("org"))
    organiser = user.can_organise(org.id)
    before = int_arg(args, "before")
    query = select(AuditLog).where(AuditLog.organisation_id == org.id)
    if before:
        query = query.where(AuditLog.id < before)
    rows = db.session.execute(query.order_by(AuditLog.id.desc()).limit(100)).scalars().all()
    titles = dict(db.session.execute(select(Campaign.id, Campaign.slug).where(Campaign.organisation_id == org.id)).all())
    entries = [{"row": r, "action": audit_display.action_label(r.action), "on": audit_display.target_label(r),
                "changes": audit_display.differences(r.before, r.after, organiser)} for r in rows]
    return {"org": org, "orgs": access.organisations(user), "entries": entries, "titles": titles,
            "older": rows[-1].id if len(rows) == 100 else None}


AUDIT_COLUMNS = ["id", "created_at", "user_id", "user_name", "action", "target_type", "target_id", "campaign",
                 "reason", "before", "after"]


def _cell(value):
    """A CSV cell that a spreadsheet shows as text (never runs a formula typed into a reason)."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return safe_cell(str(value))


def audit_csv(user, slug):
    """(organisation, CSV text chunks) of the organisation's whole audit log, oldest first."""
    org = access.organisation_for(user, slug)
    organiser = user.can_organise(org.id)
    slugs = dict(db.session.execute(select(Campaign.id, Campaign.slug).where(Campaign.organisation_id == org.id)).all())
    rows = db.session.execute(select(AuditLog).where(AuditLog.organisation_id == org.id)
                              .order_by(AuditLog.id)).scalars().all()
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(AUDIT_COLUMNS)
    for r in rows:
        writer.writerow([_cell(v) for v in (r.id, r.created_at.isoformat(timespec="seconds") + "Z", r.user_id,
                                            r.user_name, r.action, r.target_type, r.target_id,
                                            slugs.get(r.campaign_id, ""), r.reason,
                                            audit_display.redacted(r.before, organiser),
                                            audit_display.redacted(r.after, organiser))])
    return org, [buf.getvalue()]

"""Sites volunteers propose ("there is a trash site here that is not on the map"), and the staff's panel.

A proposal is where its volunteer stands, with a name. It becomes a site (a task every volunteer can visit) once
`confirmations` other volunteers, standing within the campaign's radius of it, say it is there, or once the
campaign's staff accept it; as many saying it is not there reject it. A proposal within the radius of a site or of
another proposal is refused: it is the same place, to be visited or confirmed instead.
"""
import random

from flask_babel import gettext as _
from sqlalchemy import desc, insert, select, update

from citizen import clock
from citizen.campaigns.models import MAX_INT, Answer, Campaign, Task
from citizen.errors import Conflict, Forbidden, InvalidInput, NotFound
from citizen.extensions import db
from citizen.kinds.field import haversine_m, held_label, places
from citizen.kinds.field.models import FieldConfirmation, FieldPhoto, FieldProposal, FieldSite
from citizen.kinds.field.sites import _box, index_campaign

MAX_OPEN = 20  # proposals one volunteer may have waiting in a campaign


def _position(raw):
    if not isinstance(raw, dict):
        raise InvalidInput(_('Send the position where you are: {"lat", "lon", "accuracy"}.'))
    try:
        lat, lon = float(raw.get("lat")), float(raw.get("lon"))
        accuracy = float(raw.get("accuracy") or 0)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput(_('Send the position where you are: {"lat", "lon", "accuracy"}.')) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180 and 0 <= accuracy <= 100000):
        raise InvalidInput(_('Send the position where you are: {"lat", "lon", "accuracy"}.'))
    return lat, lon, accuracy


def _nearest(model, campaign, lat, lon, radius, *where):
    south, north, west, east = _box(lat, lon, radius / 111195 + 0.0001)
    rows = db.session.execute(select(model).where(
        model.campaign_id == campaign.id, model.lat.between(south, north), model.lon.between(west, east), *where)
        .limit(200)).scalars().all()
    found = sorted(((haversine_m(lat, lon, r.lat, r.lon), r) for r in rows), key=lambda pair: pair[0])
    return found[0] if found and found[0][0] <= radius else (None, None)


def propose(campaign, contributor_id, body, key):
    """(status, body) of a new proposal: 201, or 200 with the same proposal for a retry of one request."""
    settings = campaign.settings or {}
    if not settings.get("proposals"):
        raise Forbidden(_("This campaign does not take proposals of new sites."))
    if key:
        done = db.session.execute(select(FieldProposal).where(
            FieldProposal.contributor_id == contributor_id, FieldProposal.key == key)).scalar_one_or_none()
        if done is not None:
            return 200, _json(done)
    raw = body.get("name")
    name = places.collapse(raw)[:places.MAX_NAME] if isinstance(raw, str) and "\x00" not in raw else ""
    if not name:
        raise InvalidInput(_("Give the site a name, so that others can find it."),
                           details=[{"field": "name", "message": _("Give the site a name.")}])
    lat, lon, accuracy = _position((body.get("value") or {}).get("position"))
    limit = settings.get("accuracy_limit_m", 100)
    if accuracy > limit:
        raise InvalidInput(_("Your position is not precise enough (±%(a)d m): wait for a better fix outdoors.",
                             a=round(accuracy)))
    radius = settings.get("radius_m", 50)
    distance, site = _nearest(FieldSite, campaign, lat, lon, radius)
    if site is not None:
        raise Conflict(_("There is already a site %(m)d m from here: %(name)s. Report on it instead.",
                         m=round(distance), name=site.name), code="site_nearby")
    distance, other = _nearest(FieldProposal, campaign, lat, lon, radius, FieldProposal.status == "proposed")
    if other is not None:
        raise Conflict(_("Someone proposed a site %(m)d m from here: %(name)s. Confirm it instead.",
                         m=round(distance), name=other.name), code="proposal_nearby")
    waiting = db.session.execute(select(db.func.count()).select_from(FieldProposal).where(
        FieldProposal.campaign_id == campaign.id, FieldProposal.contributor_id == contributor_id,
        FieldProposal.status == "proposed")).scalar()
    if waiting >= MAX_OPEN:
        raise Conflict(_("You have %(n)d proposals waiting: let others confirm them first.", n=waiting),
                       code="too_many_proposals")
    proposal = FieldProposal(campaign_id=campaign.id, contributor_id=contributor_id, key=key or f"auto-{random.getrandbits(64):x}", name=name, lat=lat, lon=lon, accuracy=accuracy,
                             status="proposed", confirmations=0, created_at=clock.now())
    db.session.add(proposal)
    db.session.flush()
    return 201, _json(proposal)


def _json(p):
    return {"proposal": p.id, "status": p.status, "name": p.name, "lat": p.lat, "lon": p.lon,
            "confirmations": p.confirmations, "task_id": p.task_id}


def confirm(campaign, proposal_id, contributor_id, exists, position=None):
    """A volunteer says whether a proposed site is there. Returns the proposal as it stands."""
    if not 1 <= proposal_id <= MAX_INT:
        raise NotFound(_("There is no such proposal."))
    proposal = db.session.execute(select(FieldProposal).where(
        FieldProposal.id == proposal_id, FieldProposal.campaign_id == campaign.id).with_for_update()
    ).scalar_one_or_none()
    if proposal is None:
        raise NotFound(_("There is no such proposal."))
    if proposal.contributor_id == contributor_id:
        raise Forbidden(_("Someone else must confirm the site you proposed."))
    if proposal.status != "proposed":
        return _json(proposal)
    lat, lon, accuracy = _position(position)
    settings = campaign.settings or {}
    reach = settings.get("radius_m", 50) + min(accuracy, settings.get("accuracy_limit_m", 100))
    if haversine_m(lat, lon, proposal.lat, proposal.lon) > reach:
        raise InvalidInput(_("Go to the place to confirm it: you seem to be %(m)d m away.",
                             m=round(haversine_m(lat, lon, proposal.lat, proposal.lon))))
    if db.session.execute(select(FieldConfirmation.id).where(
            FieldConfirmation.proposal_id == proposal.id,
            FieldConfirmation.contributor_id == contributor_id)).first():
        return _json(proposal)
    db.session.add(FieldConfirmation(proposal_id=proposal.id, contributor_id=contributor_id, exists=exists,
                                     created_at=clock.now()))
    needed = int((campaign.settings or {}).get("confirmations") or 2)
    if exists:
        proposal.confirmations += 1
        if proposal.confirmations >= needed:
            promote(campaign, proposal)
    else:
        db.session.flush()  # this "no" counted once, with the others
        denied = db.session.execute(select(db.func.count()).select_from(FieldConfirmation).where(
            FieldConfirmation.proposal_id == proposal.id, FieldConfirmation.exists == False)).scalar()  # noqa: E712
        if denied >= needed:
            proposal.status = "rejected"
    db.session.flush()
    return _json(proposal)


def promote(campaign, proposal):
    """The proposal becomes a site: a task every volunteer may visit, indexed for nearby."""
    campaign = db.session.get(Campaign, campaign.id)
    payload = {"name": proposal.name, "lat": proposal.lat, "lon": proposal.lon, "proposed": True}
    task_id = db.session.execute(insert(Task).values(
        campaign_id=campaign.id, external_id=f"proposal-{proposal.id}", payload=payload, rand=random.random(),
        redundancy=campaign.redundancy, answer_count=0, lease_count=0, available=True, gold=None, consensus={},
        created_at=clock.now()).returning(Task.id)).scalar_one()
    db.session.execute(update(Campaign).where(Campaign.id == campaign.id).values(
        tasks_total=Campaign.tasks_total + 1))
    proposal.status, proposal.task_id = "accepted", task_id
    index_campaign(campaign.id)


def decide(campaign, proposal_id, decision):
    """Staff accept (it becomes a site) or reject a proposal."""
    if decision not in ("accept", "reject"):
        raise InvalidInput(_("Choose accept or reject."))
    proposal = db.session.execute(select(FieldProposal).where(
        FieldProposal.id == proposal_id, FieldProposal.campaign_id == campaign.id).with_for_update()
    ).scalar_one_or_none()
    if proposal is None:
        raise NotFound(_("There is no such proposal."))
    if proposal.status == "proposed":
        if decision == "accept":
            promote(campaign, proposal)
        else:
            proposal.status = "rejected"
    db.session.flush()
    return _json(proposal)


PANEL_VISITS = 30


def panel(campaign):
    """What the manage panel shows: proposals waiting, and the latest visits with their photos and checks."""
    waiting = db.session.execute(select(FieldProposal).where(
        FieldProposal.campaign_id == campaign.id, FieldProposal.status == "proposed")
        .order_by(FieldProposal.id).limit(50)).scalars().all()
    rows = db.session.execute(select(Answer.id, Answer.value, Answer.weight, Answer.reason, Answer.created_at,
                                     Task.id.label("task_id"), Task.payload)
                              .join(Task, Task.id == Answer.task_id)
                              .where(Answer.campaign_id == campaign.id).order_by(desc(Answer.id))
                              .limit(PANEL_VISITS)).all()
    keys = {p["k"] for r in rows if isinstance(r.value, dict) for p in r.value.get("photos") or []}
    removed = set(db.session.execute(select(FieldPhoto.key).where(
        FieldPhoto.key.in_(keys), FieldPhoto.removed == True)).scalars()) if keys else set()  # noqa: E712
    visits = []
    for r in rows:
        value = r.value if isinstance(r.value, dict) else {}
        held = [] if value.get("accepted") else list(value.get("held") or [])
        visits.append({"id": r.id, "task_id": r.task_id, "site": (r.payload or {}).get("name"),
                       "at": value.get("at"), "distance_m": value.get("distance_m"),
                       "accuracy": (value.get("position") or {}).get("accuracy"), "fields": value.get("fields") or {},
                       "held": [held_label(h) for h in held], "counted": r.weight > 0 and not held,
                       "photos": [p["k"] for p in value.get("photos") or [] if p["k"] not in removed]})
    return {"proposals": waiting, "visits": visits}

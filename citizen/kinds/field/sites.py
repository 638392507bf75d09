"""The sites of field campaigns on the map: the index "nearby" reads, filled after every import.

Nearby is a box around the volunteer (an index range on (campaign, lat) filtered by lon) sized to hold at least the
sites asked for and at most BOX_ROWS: widened where sites are sparse, narrowed where they are dense, and between two
sizes that held too few and too many, halfway (geometrically) between them, so it never swings from one to the
other. Then, as a corner of the box is farther than its sides, the box is widened once more to the circle through
the limit-th nearest site if that lies beyond the box's inner circle: the answer is exact. At most MAX_STEPS queries
of at most BOX_ROWS rows (the last at most 4 x BOX_ROWS), whatever the campaign's size or the volunteer's place.
"""
import math

from sqlalchemy import and_, func, insert, select

from citizen.campaigns.models import ANSWERED, HIDDEN_RAND, PUBLISHED, Assignment, Campaign, Task
from citizen.errors import NotFound, NotOpen
from citizen.extensions import db
from citizen.kinds.field import bearing_deg, haversine_m
from citizen.kinds.field.models import FieldConfirmation, FieldProposal, FieldSite
from flask_babel import gettext as _

FIRST_BOX_DEG = 0.002   # about 220 m north and south
MAX_BOX_DEG = 0.5       # about 55 km: farther than anyone walks to a site
MIN_BOX_DEG = 0.0002    # about 22 m
METRES_PER_DEG = 111195  # of latitude
BOX_ROWS = 500
MAX_STEPS = 10
MAX_LIMIT = 100
MAX_IN_BOX = 500
CHUNK = 5000


def published(slug, kind_id="field"):
    campaign = db.session.execute(select(Campaign).where(Campaign.slug == slug)).scalar_one_or_none()
    if campaign is None or campaign.kind != kind_id:
        raise NotFound(_("There is no campaign at this address."))
    if campaign.status != PUBLISHED:
        raise NotOpen()
    return campaign


def index_campaign(campaign_id):
    """Index the campaign's sites that are not indexed yet (after an import), and store the area they cover in the
    campaign's settings ("extent": its center and bounds, where the volunteers' map opens)."""
    known = select(FieldSite.task_id).where(FieldSite.campaign_id == campaign_id)
    rows = db.session.execute(select(Task.id, Task.payload).where(
        Task.campaign_id == campaign_id, Task.id.not_in(known))).all()
    values = [{"task_id": tid, "campaign_id": campaign_id, "lat": float(p["lat"]), "lon": float(p["lon"]),
               "name": str(p.get("name") or "")[:200]} for tid, p in rows if "lat" in p]
    for i in range(0, len(values), CHUNK):
        db.session.execute(insert(FieldSite), values[i:i + CHUNK])
    update_extent(campaign_id)


def update_extent(campaign_id):
    low_lat, low_lon, high_lat, high_lon = db.session.execute(select(
        func.min(FieldSite.lat), func.min(FieldSite.lon), func.max(FieldSite.lat), func.max(FieldSite.lon)).where(
        FieldSite.campaign_id == campaign_id)).one()
    campaign = db.session.get(Campaign, campaign_id)
    if low_lat is None or campaign is None:
        return
    extent = {"center": [round((low_lat + high_lat) / 2, 6), round((low_lon + high_lon) / 2, 6)],
              "bounds": [round(low_lon, 6), round(low_lat, 6), round(high_lon, 6), round(high_lat, 6)]}
    campaign.settings = {**(campaign.settings or {}), "extent": extent}
    db.session.flush()  # the import refreshes its campaign next


def _open_sites(campaign_id, south, north, west, east, limit):
    return db.session.execute(
        select(FieldSite.task_id, FieldSite.lat, FieldSite.lon, FieldSite.name, Task.answer_count, Task.redundancy)
        .join(Task, Task.id == FieldSite.task_id)
        .where(FieldSite.campaign_id == campaign_id, FieldSite.lat.between(south, north),
               FieldSite.lon.between(west, east), Task.rand > HIDDEN_RAND,
               Task.answer_count < Task.redundancy)
        .limit(limit)).all()


def _box(lat, lon, half):
    wide = half / max(0.05, math.cos(math.radians(lat)))
    return lat - half, lat + half, lon - wide, lon + wide


def _mine(contributor_id, task_ids):
    if contributor_id is None or not task_ids:
        return set()
    return set(db.session.execute(select(Assignment.task_id).where(
        Assignment.contributor_id == contributor_id, Assignment.task_id.in_(task_ids),
        Assignment.state == ANSWERED)).scalars())


def _rows_around(campaign_id, lat, lon, limit):
    """[(metres, row)] of the open sites in a box around (lat, lon) holding the `limit` nearest (all there are within
    MAX_BOX_DEG when fewer), nearest first (see the module's note)."""
    half, few, many, rows = FIRST_BOX_DEG, None, None, []
    for _step in range(MAX_STEPS):
        rows = _open_sites(campaign_id, *_box(lat, lon, half), BOX_ROWS + 1)
        if len(rows) > BOX_ROWS and half > MIN_BOX_DEG:
            many = half
            half = max(MIN_BOX_DEG, math.sqrt(few * half) if few else half / 3)
        elif len(rows) < limit and half < MAX_BOX_DEG:
            few = half
            half = min(MAX_BOX_DEG, math.sqrt(many * half) if many else half * 3)
        else:
            break
    near = sorted(((haversine_m(lat, lon, r.lat, r.lon), r) for r in rows[:BOX_ROWS]), key=lambda pair: pair[0])
    if len(near) >= limit and near[limit - 1][0] > half * METRES_PER_DEG:
        wider = _open_sites(campaign_id, *_box(lat, lon, near[limit - 1][0] / METRES_PER_DEG), 4 * BOX_ROWS + 1)
        if len(wider) <= 4 * BOX_ROWS:
            near = sorted(((haversine_m(lat, lon, r.lat, r.lon), r) for r in wider), key=lambda pair: pair[0])
    return near


def nearby(campaign, lat, lon, limit, contributor_id=None):
    """The open sites nearest to (lat, lon), nearest first: {"sites": [...], "more": whether more are farther,
    "proposals": sites volunteers proposed within PROPOSALS_WITHIN_M, to confirm on the spot}."""
    near = _rows_around(campaign.id, lat, lon, limit)
    mine = _mine(contributor_id, [r.task_id for _d, r in near[:limit]])
    return {"sites": [_site(r, mine, distance=d, bearing=bearing_deg(lat, lon, r.lat, r.lon))
                      for d, r in near[:limit]],
            "more": len(near) > limit, "proposals": _proposals(campaign, lat, lon, contributor_id)}


PROPOSALS_WITHIN_M = 2000
MAX_PROPOSALS = 10


def _proposals(campaign, lat, lon, contributor_id):
    if not (campaign.settings or {}).get("proposals"):
        return []
    south, north, west, east = _box(lat, lon, PROPOSALS_WITHIN_M / METRES_PER_DEG)
    rows = db.session.execute(select(FieldProposal).where(
        FieldProposal.campaign_id == campaign.id, FieldProposal.status == "proposed",
        FieldProposal.lat.between(south, north), FieldProposal.lon.between(west, east)).limit(200)).scalars().all()
    near = sorted(((haversine_m(lat, lon, p.lat, p.lon), p) for p in rows), key=lambda pair: pair[0])
    near = near[:MAX_PROPOSALS]
    said = set(db.session.execute(select(FieldConfirmation.proposal_id).where(
        FieldConfirmation.contributor_id == contributor_id,
        FieldConfirmation.proposal_id.in_([p.id for _d, p in near])
    )).scalars()) if contributor_id is not None and near else set()
    return [{"id": p.id, "name": p.name, "lat": p.lat, "lon": p.lon, "distance_m": round(d),
             "bearing_deg": round(bearing_deg(lat, lon, p.lat, p.lon)), "confirmations": p.confirmations,
             "mine": p.contributor_id == contributor_id and contributor_id is not None, "answered": p.id in said}
            for d, p in near]


def in_box(campaign, west, south, east, north, contributor_id=None):
    """The open sites inside a box (a volunteer saving an area for offline use), at most MAX_IN_BOX."""
    rows = _open_sites(campaign.id, south, north, west, east, MAX_IN_BOX + 1)
    mine = _mine(contributor_id, [r.task_id for r in rows[:MAX_IN_BOX]])
    return {"sites": [_site(r, mine) for r in rows[:MAX_IN_BOX]], "more": len(rows) > MAX_IN_BOX}


def _site(row, mine, distance=None, bearing=None):
    out = {"id": row.task_id, "name": row.name, "lat": row.lat, "lon": row.lon, "visits": row.answer_count,
           "wanted": row.redundancy, "mine": row.task_id in mine}
    if distance is not None:
        out.update(distance_m=round(distance), bearing_deg=round(bearing))
    return out

"""Maps and summaries that show organisers and volunteers what a campaign is made of: the grid
before it is created, progress per task, and the consensus marks."""
from sqlalchemy import select

from citizen import maps
from citizen.campaigns import tally
from citizen.kinds import get_kind
from citizen.campaigns.models import HIDDEN_RAND, Task
from citizen.extensions import db

MAP_LIMIT = 5000  # features drawn on one map; beyond this the page would be too heavy for a phone
PLACES_LIMIT = 1000  # places of a campaign's tasks its organiser's map can jump to


def _tiles(campaign):
    return get_kind(campaign.kind).basemap(campaign.settings)


def _collection(features):
    return {"type": "FeatureCollection", "features": features}


def import_preview(campaign, rows, token, filename, thumbnails=None):
    """What the organiser is about to create: the count, for map kinds the cells on a map, and thumbnails of the
    first images (`thumbnails`: {media URL a row names: thumbnail number}, citizen.campaigns.uploads)."""
    kind = get_kind(campaign.kind)
    geometry = kind.map_geometry if kind.spatial else None
    out = {"count": len(rows), "token": token, "filename": filename, "map": None,
           "image": rows[0][2].get("preview_image") if rows else None,  # a document's first page, rendered
           "thumbnails": _thumbnails(rows, thumbnails or {})}
    if geometry:
        features = [{"type": "Feature", "geometry": geometry(p), "properties": {"state": "open", "label": ref or ""}}
                    for _line, ref, p in rows[:MAP_LIMIT] if geometry(p)]
        if features:
            out["map"] = maps.embed(maps.progress_map(_collection(features), *_tiles(campaign)))
    return out


def _thumbnails(rows, numbers):
    """[{"n", "name"}] of the rows whose payload names a kept image, in row order."""
    out = []
    for line, ref, payload in rows:
        if len(out) == len(numbers):
            break
        for value in payload.values():
            if isinstance(value, str) and value in numbers:
                out.append({"n": numbers[value], "name": str(payload.get("name") or ref or line)[:80]})
                break
    return out


def _state(t):
    if t.answer_count >= t.redundancy:
        return "done"
    return "in_progress" if t.answer_count or t.lease_count else "open"


def overview_map(campaign, release=False):
    """Tasks of a map campaign coloured by progress (None for kinds without a place on a map). With `release`
    (a build job) the read transaction ends before the map is drawn."""
    kind = get_kind(campaign.kind)
    if not kind.spatial:
        return None
    rows = db.session.execute(select(Task.external_id, Task.payload, Task.answer_count, Task.lease_count,
                                     Task.redundancy).where(Task.campaign_id == campaign.id,
                                                            Task.rand > HIDDEN_RAND)  # a hidden task: gone
                              .order_by(Task.id).limit(MAP_LIMIT)).all()
    if release:
        db.session.commit()
    features = [{"type": "Feature", "geometry": kind.map_geometry(r.payload),
                 "properties": {"state": _state(r), "label": r.external_id or ""}}
                for r in rows if kind.map_geometry(r.payload)]
    if not features:
        return None
    return maps.embed(maps.progress_map(_collection(features), *_tiles(campaign)))


def results_map(campaign, release=False):
    """Consensus marks with their support: map cells' marks where they are; a photo's marks as one
    point at the photo's position (with the strongest support among them)."""
    kind = get_kind(campaign.kind)
    if not kind.spatial:
        return None
    rows = db.session.execute(select(Task.id, Task.payload, Task.consensus, Task.result).where(
        Task.campaign_id == campaign.id, Task.answer_count > 0, Task.rand > HIDDEN_RAND)
        .order_by(Task.id).limit(MAP_LIMIT)).all()
    if release:
        db.session.commit()
    features = []
    for r in rows:
        found = (kind.result_marks(tally.stored(r.result)) or {}).get("features") or []  # stored as answers came
        if not found:
            continue
        if (r.consensus or {}).get("crs") != "pixel":
            for f in found:
                features.append({**f, "properties": {**f["properties"], "task_id": r.id}})
        elif kind.map_geometry(r.payload):  # a photo placed by its GPS position
            best = max(found, key=lambda f: f["properties"]["support"])["properties"]
            features.append({"type": "Feature", "geometry": kind.map_geometry(r.payload),
                             "properties": {**best, "task_id": r.id, "marks": len(found)}})
    if not features:
        return None
    return maps.embed(maps.results_map(_collection(features), *_tiles(campaign)))


def task_places(campaign, limit=PLACES_LIMIT):
    """[{"name", "lon", "lat"}] of the first `limit` tasks that have a place (the kind's `place`: a photo's
    position, a map cell's centre), named as the organiser knows them (the photo's file, the cell, the id):
    what the draw-an-area map's "Go to" finds besides coordinates, countries and capitals."""
    kind = get_kind(campaign.kind)
    if not kind.spatial:
        return []
    rows = db.session.execute(select(Task.external_id, Task.payload).where(Task.campaign_id == campaign.id)
                              .order_by(Task.id).limit(limit)).all()
    out = []
    for external_id, payload in rows:
        where = kind.place(payload or {})
        name = (payload or {}).get("name") or (payload or {}).get("cell") or external_id
        if where and name:
            out.append({"name": str(name)[:80], "lon": float(where["lon"]), "lat": float(where["lat"])})
    return out


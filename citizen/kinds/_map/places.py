"""Places the organiser's draw-an-area map can jump to from the campaign's own data: its tasks with a position
(map cells by their cell name, photos by their file name). No outside geocoder: with the vendored country
outlines and capitals (static/vendor/natural-earth) and typed coordinates, that is all the map searches."""
from sqlalchemy import select

from citizen.campaigns.models import Task
from citizen.extensions import db

MAX_PLACES = 1000


def campaign_places(campaign, limit=MAX_PLACES):
    """[{"name", "lon", "lat"}] of the campaign's first `limit` tasks that have a position."""
    rows = db.session.execute(select(Task.external_id, Task.payload).where(Task.campaign_id == campaign.id)
                              .order_by(Task.id).limit(limit)).all()
    out = []
    for external_id, payload in rows:
        payload = payload or {}
        if payload.get("center"):
            lon, lat = payload["center"][:2]
        elif payload.get("lat") is not None and payload.get("lon") is not None:
            lon, lat = payload["lon"], payload["lat"]
        else:
            continue
        name = payload.get("name") or payload.get("cell") or external_id
        if name:
            out.append({"name": str(name)[:80], "lon": float(lon), "lat": float(lat)})
    return out


def manage_context(campaign):
    """What the map kinds' manage page reads as `extra`: the places of the draw-an-area map."""
    return {"places": campaign_places(campaign)}

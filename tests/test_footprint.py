"""A pin on a drone photo becomes a place on the ground when the photo's footprint is known (issue 19): the kind
converts pixels to degrees by the projective map of the image onto its footprint, and the escalation carries
that place (and the photo's GPS position beside it)."""
import json

import pytest
from sqlalchemy import select

from citizen.campaigns import services as campaigns
from citizen.errors import InvalidInput
from citizen.extensions import db
from citizen.kinds import get_kind
from citizen.kinds._map.footprint import FootprintError, clean_footprint, pixel_to_lonlat
from citizen.moderation.models import Escalation
from tests.helpers import alert_channel, answer_next, signed_in
from tests.test_moderation import act

# A 2000 x 1000 photo seen straight down, north up: 0.002 degrees of longitude by 0.001 of latitude.
RECT = [[7.0, 46.001], [7.002, 46.001], [7.002, 46.0], [7.0, 46.0]]
# A tilted camera: the far (top) edge of the photo covers more ground than the near one.
TRAPEZOID = [[7.0, 46.002], [7.004, 46.002], [7.003, 46.0], [7.001, 46.0]]


def close(a, b, tol=1e-7):
    return all(abs(x - y) <= tol for x, y in zip(a, b))


def test_pixels_of_a_photo_seen_straight_down():
    assert pixel_to_lonlat(RECT, 2000, 1000, 0, 0) == [7.0, 46.001]          # top-left corner
    assert close(pixel_to_lonlat(RECT, 2000, 1000, 2000, 1000), [7.002, 46.0])  # bottom-right
    assert close(pixel_to_lonlat(RECT, 2000, 1000, 1000, 500), [7.001, 46.0005])  # the centre
    assert close(pixel_to_lonlat(RECT, 2000, 1000, 500, 250), [7.0005, 46.00075])  # a quarter in each way
    assert pixel_to_lonlat(RECT, 2000, 1000, 2001, 10) is None  # outside the photo


def test_pixels_of_a_tilted_photo_follow_the_perspective():
    for pixel, corner in zip([(0, 0), (800, 0), (800, 600), (0, 600)], TRAPEZOID):
        assert close(pixel_to_lonlat(TRAPEZOID, 800, 600, *pixel), corner)
    # The photo's centre lies where the footprint's diagonals cross (a projective map keeps straight lines and
    # their crossings): TL + 2/3 (BR - TL) = (7.002, 46.000667); not the corners' mean (7.002, 46.001).
    assert close(pixel_to_lonlat(TRAPEZOID, 800, 600, 400, 300), [7.002, 46.0006667])
    # Halfway down the left edge is not halfway on the ground: the near half of the photo covers less.
    lon, lat = pixel_to_lonlat(TRAPEZOID, 800, 600, 0, 300)
    assert 46.0 < lat < 46.001 and close([lon], [7.0 + 0.001 * (46.002 - lat) / 0.002], 1e-6)


def test_a_footprint_must_be_four_corners_in_order():
    assert clean_footprint(json.dumps(RECT)) == RECT  # as a CSV cell
    for bad in (RECT[:3], [[7, 46]] * 4, [[7.0, 46.001], [7.002, 46.0], [7.002, 46.001], [7.0, 46.0]],
                [[7, 46], [8, 46], [8, 45], [7, 45]], [[7, "46"]] * 4, [[7, float("nan")]] * 4, "[[1,2]", "x" * 500,
                [[True, 46], [7.002, 46.001], [7.002, 46.0], [7.0, 46.0]]):
        with pytest.raises(FootprintError):
            clean_footprint(bad)


def test_the_kind_keeps_a_footprint_and_places_the_pin_with_it(app):
    kind = get_kind("search")
    payload = kind.clean_task({"image_url": "/media/p.jpg", "width": 2000, "height": 1000, "lat": 46.0004,
                               "lon": 7.0012, "footprint": RECT}, {})
    assert payload["footprint"] == RECT
    pin = {"answer": "person", "crs": "pixel", "marks": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [500, 250]}}]}}
    place = kind.place(payload, pin)
    assert place["source"] == "photo_mark" and close([place["lon"], place["lat"]], [7.0005, 46.00075])
    assert place["photo"] == {"lat": 46.0004, "lon": 7.0012}
    # Without a footprint (or without a pin) the photo's GPS position stays the place.
    no_footprint = {k: v for k, v in payload.items() if k != "footprint"}
    assert kind.place(no_footprint, pin) == {"lat": 46.0004, "lon": 7.0012, "source": "photo"}
    assert kind.place(payload, {"answer": "person", "crs": "pixel", "marks": None})["source"] == "photo"
    with pytest.raises(ValueError, match="four"):
        kind.clean_task({"image_url": "/media/p.jpg", "width": 2000, "height": 1000, "footprint": [[7, 46]]}, {})


def test_an_escalation_carries_the_place_the_volunteer_pinned(app, client, guest, org, organiser, make_user):
    c = campaigns.create_campaign(org.id, organiser, {"title": "Find the hiker", "kind": "search",
                                                      "redundancy": 3, "settings": {}})
    rows = [{"external_id": "p0", "image_url": "/media/p0.jpg", "width": 2000, "height": 1000, "lat": 46.0004,
             "lon": 7.0012, "footprint": RECT}]
    campaigns.import_tasks(c, "photos.json", json.dumps(rows))
    with pytest.raises(InvalidInput):
        campaigns.import_tasks(c, "photos.json", json.dumps([{**rows[0], "external_id": "p1",
                                                              "footprint": RECT[::-1][:3]}]))
    alert_channel(org)
    campaigns.publish(c)
    db.session.commit()
    pin = {"answer": "person", "marks": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [1500, 750]}}]}}
    answer_next(client, c.slug, pin, guest(), duration_ms=5000)
    esc = db.session.execute(select(Escalation)).scalar_one()
    make_user("mod@example.org", "moderator", name="Mo")
    mod = signed_in(app, "mod@example.org")
    page = mod.get(f"/moderation/escalations/{esc.id}").get_data(as_text=True)
    assert "46.000250, 7.001500" in page and "placed by the photo’s footprint" in page
    assert "46.000400, 7.001200" in page  # the drone's GPS position, beside it
    assert act(mod, f"escalation:{esc.id}", "confirm", reason="Seen").status_code == 200
    db.session.expire_all()
    stored = db.session.get(Escalation, esc.id).place
    assert stored["source"] == "photo_mark" and close([stored["lon"], stored["lat"]], [7.0015, 46.00025])

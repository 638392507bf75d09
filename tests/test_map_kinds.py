"""The map kinds end to end on the Flask test client: areas split into cells, photos placed by
EXIF, marks validated and stored as GeoJSON, spatial consensus in the results, organiser preview."""
import io
import json
import os
import zipfile

import pytest
from PIL import Image
from sqlalchemy import select

from citizen.campaigns import services as campaigns
from citizen.ingest import photos
from citizen.campaigns.models import Answer, Task
from citizen.extensions import db
from tests.helpers import API, next_task, sign_in, submit

# A 4 km x 3 km rectangle near the equator (1 km is about 0.009 degrees).
AREA = {"type": "Polygon", "coordinates": [[[10.0, 0.0], [10.036, 0.0], [10.036, 0.027], [10.0, 0.027], [10.0, 0.0]]]}
TILES = {"tiles_after": "/tiles/demo/forest-after/{z}/{x}/{y}.png",
         "tiles_before": "/tiles/demo/forest-before/{z}/{x}/{y}.png", "cell_km": 1}


@pytest.fixture
def map_campaign(app, org, organiser):
    def factory(kind="deforestation", source=("area.geojson", json.dumps(AREA).encode()), redundancy=3, **settings):
        c = campaigns.create_campaign(org.id, organiser, {
            "title": f"Test {kind}", "kind": kind, "redundancy": redundancy, "settings": {**TILES, **settings}})
        campaigns.import_tasks(c, *source)
        campaigns.publish(c)
        db.session.commit()
        return c
    return factory


def photo_zip(n=2, gps=True):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(n):
            img = io.BytesIO()
            Image.new("RGB", (400, 300), (120, 120 + i * 20, 90)).save(img, "JPEG")
            data = photos.with_gps(img.getvalue(), 36.2 + i / 1000, 36.16) if gps else img.getvalue()
            zf.writestr(f"photo-{i}.jpg", data)
    return "photos.zip", buf.getvalue()


def square(cx, cy, d):
    return {"type": "Polygon", "coordinates": [[[cx - d, cy - d], [cx + d, cy - d], [cx + d, cy + d],
                                                [cx - d, cy + d], [cx - d, cy - d]]]}


def fc(*geoms):
    return {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": g}
                                                      for g in geoms]}


def test_area_becomes_grid_cells_trimmed_to_it(map_campaign):
    c = map_campaign()
    assert c.tasks_total == 12  # 4 x 3 cells of 1 km
    payloads = db.session.execute(select(Task.payload).where(Task.campaign_id == c.id)).scalars().all()
    assert {p["cell"] for p in payloads} and all(p["geometry"]["type"] in ("Polygon", "MultiPolygon") for p in payloads)


def test_map_task_json_and_a_polygon_answer_are_stored_as_geojson(client, guest, map_campaign):
    c = map_campaign()
    h = guest()
    task = next_task(client, c.slug, h)
    assert task["kind"] == "deforestation" and task["mode"] == "map"
    assert task["options"] == ["cleared", "not_cleared", "unsure", "bad_imagery"]
    assert task["tiles"]["before"].startswith("/tiles/demo/")
    west, south, east, north = task["bbox"]
    patch = square((west + east) / 2, (south + north) / 2, (east - west) / 10)
    r = submit(client, task["id"], {"answer": "cleared", "marks": fc(patch)}, h)
    assert r.status_code == 201, r.get_data(as_text=True)
    stored = db.session.execute(select(Answer.value).where(Answer.task_id == task["id"])).scalar_one()
    assert stored["answer"] == "cleared" and stored["crs"] == "lonlat"
    assert stored["marks"]["features"][0]["geometry"]["type"] == "Polygon"


@pytest.mark.parametrize("value, field", [
    ({"answer": "cleared", "marks": fc({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]})},
     "marks"),
    ({"answer": "burnt"}, "answer"),
    ({"answer": "cleared", "marks": fc({"type": "LineString", "coordinates": [[10.0, 0.0], [10.001, 0.001]]})}, "marks"),
    (["cleared"], "value"),
])
def test_bad_answers_are_refused_with_a_message_and_store_nothing(client, guest, map_campaign, value, field):
    c = map_campaign()
    h = guest()
    task = next_task(client, c.slug, h)
    r = submit(client, task["id"], value, h)
    assert r.status_code == 422
    body = r.get_json()
    assert body["code"] == "invalid" and body["message"]
    assert any(d.get("field") == field for d in body.get("details") or [{"field": "value"}])
    assert db.session.execute(select(Answer.id).where(Answer.task_id == task["id"])).first() is None


def test_self_intersecting_polygon_inside_the_cell_is_refused(client, guest, map_campaign):
    c = map_campaign()
    h = guest()
    task = next_task(client, c.slug, h)
    w, s, e, n = task["bbox"]
    bow = {"type": "Polygon", "coordinates": [[[w, s], [e, n], [e, s], [w, n], [w, s]]]}
    r = submit(client, task["id"], {"answer": "cleared", "marks": fc(bow)}, h)
    assert r.status_code == 422 and "cross" in r.get_json()["message"].lower()


def test_three_volunteers_marking_the_same_spot_give_one_consensus_point(client, guest, map_campaign):
    c = map_campaign(redundancy=3)
    # The volunteers below skip their way to one tile of a large grid: past the skip budget (tests/test_controls16.py).
    c.settings = {**c.settings, "quality": {**(c.settings.get("quality") or {}), "skip_free": 100_000}}
    db.session.commit()
    heads = [guest() for _ in range(3)]
    first = next_task(client, c.slug, heads[0])
    w, s, e, n = first["bbox"]
    x, y = (w + e) / 2, (s + n) / 2
    for i, h in enumerate(heads):
        task = first if i == 0 else None
        while task is None or task["id"] != first["id"]:
            task = next_task(client, c.slug, h)
            if task["id"] != first["id"]:
                client.post(f"{API}/tasks/{task['id']}/skip", headers=h)
        point = {"type": "Point", "coordinates": [x + i * 0.00002, y]}
        assert submit(client, first["id"], {"answer": "cleared", "marks": fc(point)}, h).status_code == 201
    r = client.get(f"{API}/campaigns/{c.slug}/results")
    row = next(t for t in r.get_json()["results"] if t["task_id"] == first["id"])
    assert row["answer"] == "cleared"
    assert [f["properties"]["support"] for f in row["features"]["features"]] == [3]


def test_photos_zip_places_photos_by_exif_and_takes_pixel_marks(app, client, guest, map_campaign):
    c = map_campaign(kind="damage", source=photo_zip(2))
    assert c.tasks_total == 2
    h = guest()
    task = next_task(client, c.slug, h)
    assert task["mode"] == "photo" and task["width"] == 400 and task["height"] == 300
    assert abs(task["lat"] - 36.2) < 0.01 and abs(task["lon"] - 36.16) < 1e-6
    path = os.path.join(app.config["MEDIA_FOLDER"], task["image_url"][len("/media/"):])
    assert os.path.exists(path) and "gps" not in Image.open(path).getexif().get_ifd(0x8825)
    out = submit(client, task["id"], {"answer": "major", "marks": fc({"type": "Point", "coordinates": [500, 10]})}, h)
    assert out.status_code == 422 and "outside" in out.get_json()["message"]
    ok = submit(client, task["id"], {"answer": "major", "marks": fc({"type": "Point", "coordinates": [120, 80]},
                                                                     {"type": "Point", "coordinates": [300, 200]})}, h)
    assert ok.status_code == 201
    stored = db.session.execute(select(Answer.value).where(Answer.task_id == task["id"])).scalar_one()
    assert stored["crs"] == "pixel" and len(stored["marks"]["features"]) == 2


def test_a_drone_card_zip_imports_its_photos_and_names_what_it_left_out(app, map_campaign, org, organiser):
    """Thumbs.db, a flight log, .SRT subtitles, a video over 25 MB and one broken JPEG beside two photos: the photos
    are imported, each other file is named with its reason (as the PDF import does)."""
    c = campaigns.create_campaign(org.id, organiser, {"title": "Photos", "kind": "damage", "settings": {}})
    name, data = photo_zip(2)
    buf = io.BytesIO(data)
    with zipfile.ZipFile(buf, "a") as zf:
        zf.writestr("DCIM/Thumbs.db", os.urandom(2000))
        zf.writestr("DCIM/flight.log", "log " * 100)
        zf.writestr("DCIM/DJI_0003.SRT", "1\n00:00:00,000 --> 00:00:01,000\nGPS 35.1 139.2\n")
        zf.writestr("DCIM/DJI_0004.MP4", os.urandom(26_000_000))
        broken = io.BytesIO()
        Image.new("RGB", (400, 300), (90, 90, 90)).save(broken, "JPEG")
        zf.writestr("DCIM/DJI_0005.JPG", broken.getvalue()[:300])  # cut short, as a card pulled out too early
    warnings = []
    assert campaigns.import_tasks(c, name, buf.getvalue(), warnings=warnings) == 2
    left_out = {w["message"].split(":")[0]: w["message"] for w in warnings}
    assert set(left_out) == {"DCIM/Thumbs.db", "DCIM/flight.log", "DCIM/DJI_0003.SRT", "DCIM/DJI_0004.MP4",
                             "DCIM/DJI_0005.JPG"}
    assert "larger than 25 MB" in left_out["DCIM/DJI_0004.MP4"] and "not a photo" in left_out["DCIM/Thumbs.db"]
    db.session.commit()
    folder = os.path.join(app.config["MEDIA_FOLDER"], "campaigns", str(c.id))
    assert len(os.listdir(folder)) == 2


def test_a_zip_with_no_photo_imports_nothing_and_leaves_no_files(app, map_campaign, org, organiser):
    c = campaigns.create_campaign(org.id, organiser, {"title": "Photos", "kind": "damage", "settings": {}})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("notes.txt", "not a photo")
    with pytest.raises(Exception) as exc:
        campaigns.import_tasks(c, "card.zip", buf.getvalue())
    assert "notes.txt" in str(getattr(exc.value, "details", "")) + str(exc.value)
    db.session.rollback()
    folder = os.path.join(app.config["MEDIA_FOLDER"], "campaigns", str(c.id))
    assert not os.path.isdir(folder) or not os.listdir(folder)


def test_organiser_previews_the_grid_before_creating_it(app, client, organiser, org):
    c = campaigns.create_campaign(org.id, organiser, {"title": "Forest", "kind": "deforestation", "settings": TILES})
    db.session.commit()
    sign_in(client, organiser.email)
    page = client.get(f"/organise/{c.slug}/")
    assert page.status_code == 200
    r = client.post(f"/organise/{c.slug}/", data={"action": "preview", "area": json.dumps(AREA)})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "12 tasks will be created" in html and "leaflet" in html.lower()
    db.session.expire_all()
    assert db.session.get(type(c), c.id).tasks_total == 0  # nothing created by the preview
    token = html.split('name="stash" value="')[1].split('"')[0]
    r = client.post(f"/organise/{c.slug}/", data={"action": "import", "stash": token})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(c), c.id).tasks_total == 12


def test_unreadable_area_gets_a_clear_message(client, organiser, org):
    c = campaigns.create_campaign(org.id, organiser, {"title": "Forest", "kind": "deforestation", "settings": TILES})
    db.session.commit()
    sign_in(client, organiser.email)
    r = client.post(f"/organise/{c.slug}/", data={"action": "preview", "area": '{"type": "Point", "coordinates": [1, 2]}'})
    assert r.status_code == 422 and "polygon" in r.get_data(as_text=True).lower()


def test_settings_refuse_a_tile_address_without_placeholders(org, organiser):
    from citizen.errors import InvalidInput
    with pytest.raises(InvalidInput) as exc:
        campaigns.create_campaign(org.id, organiser, {"title": "F", "kind": "deforestation",
                                                      "settings": {"tiles_after": "https://example.org/tile.png"}})
    assert exc.value.details[0]["field"] == "tiles_after"


def test_demo_tiles_are_served(client):
    r = client.get("/tiles/demo/forest-after/14/5357/7740.png")
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/png"
    assert client.get("/tiles/demo/nope/1/0/0.png").status_code == 404


def test_demo_tiles_exist_only_with_the_demo(make_app):
    without = make_app(DEMO=False).test_client()
    assert without.get("/tiles/demo/forest-after/14/5357/7740.png").status_code == 404


def test_a_bare_option_is_a_grade_with_nothing_marked(client, guest, map_campaign):
    c = map_campaign()
    h = guest()
    task = next_task(client, c.slug, h)
    assert submit(client, task["id"], task["options"][1], h).status_code == 201
    stored = db.session.execute(select(Answer.value).where(Answer.task_id == task["id"])).scalar_one()
    assert stored["answer"] == "not_cleared" and stored["marks"]["features"] == []


def test_the_kinds_own_question_reaches_each_volunteer_in_their_language(client, map_campaign, guest):
    """The default question is stored as "the default", not as English words (also for campaigns saved with the
    English words before); an organiser's own question is shown as written."""
    c = map_campaign()
    assert c.settings["question"] == ""
    headers = guest()
    spanish = client.get(f"/api/v1/campaigns/{c.slug}/tasks/next", headers={**headers, "Accept-Language": "es"})
    assert spanish.get_json()["question"] == "¿Se taló bosque en esta celda entre las dos fechas?"
    c.settings = {**c.settings, "question": "Has forest been cleared in this cell between the two dates?"}
    db.session.commit()
    other = guest()
    r = client.get(f"/api/v1/campaigns/{c.slug}/tasks/next", headers={**other, "Accept-Language": "fr"})
    assert r.get_json()["question"] == "De la forêt a-t-elle été coupée dans cette cellule entre les deux dates ?"
    own = map_campaign(question="¿Ves humo en esta celda?")
    r = client.get(f"/api/v1/campaigns/{own.slug}/tasks/next", headers={**guest(), "Accept-Language": "fr"})
    assert own.settings["question"] == "¿Ves humo en esta celda?" and r.get_json()["question"] == "¿Ves humo en esta celda?"


def test_organiser_downloads_an_area_too_large_for_one_campaign_in_parts(app, client, organiser, org):
    c = campaigns.create_campaign(org.id, organiser, {"title": "Forest", "kind": "deforestation",
                                                      "settings": {**TILES, "cell_km": 0.1}})
    db.session.commit()
    sign_in(client, organiser.email)
    big = {"type": "Polygon", "coordinates": [[[10, 0], [13, 0], [13, 2], [10, 2], [10, 0]]]}  # 330 x 220 km
    refused = client.post(f"/organise/{c.slug}/", data={"action": "preview", "area": json.dumps(big)})
    page = refused.get_data(as_text=True)
    assert "split the area into" in page and "Download the area in parts" in page
    c.settings = {**c.settings, "cell_km": 1}
    db.session.commit()
    r = client.post(f"/organise/{c.slug}/area-parts", data={"area": json.dumps(big)})
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    assert r.headers["Content-Disposition"] == f'attachment; filename="{c.slug}-area-parts.geojson"'
    parts = r.get_json()["features"]
    assert len(parts) == 2 and [p["properties"] for p in parts] == [{"part": 1, "of": 2}, {"part": 2, "of": 2}]
    for part in parts:  # each imports as it is (72,600 cells of 1 km in all; the limit is 50,000)
        preview = client.post(f"/organise/{c.slug}/", data={"action": "preview", "area": json.dumps(part)})
        assert "tasks will be created" in preview.get_data(as_text=True)
    bad = client.post(f"/organise/{c.slug}/area-parts", data={"area": "{}"})
    assert bad.status_code == 302  # back to the manage page, with the reason
    assert client.get(f"/organise/{c.slug}/").status_code == 200


def test_a_models_geojson_becomes_predictions_with_grades_and_marks(client, guest, map_campaign, organiser_token):
    """GeoJSON for the map kinds (issue 22): features name their cell, grade, confidence and model; a task's features
    make one prediction whose geometries are its marks; bad features are listed and nothing is stored."""
    from citizen.predictions.models import Prediction
    from tests.helpers import bearer
    c = map_campaign(redundancy=1)
    cells = db.session.execute(select(Task.id, Task.payload).where(Task.campaign_id == c.id)
                               .order_by(Task.id)).all()
    (t1, p1), (t2, p2) = cells[0], cells[1]
    w, s, e, n = p1["bbox"]
    point = {"type": "Point", "coordinates": [(w + e) / 2, (s + n) / 2]}
    doc = {"type": "FeatureCollection", "model": "alerts-7", "features": [
        {"type": "Feature", "geometry": point, "properties": {"cell": p1["cell"], "answer": "cleared", "confidence": 0.9}},
        {"type": "Feature", "geometry": square((w + e) / 2, (s + n) / 2, (e - w) / 10),
         "properties": {"cell": p1["cell"], "answer": "cleared", "confidence": 0.7}},
        {"type": "Feature", "geometry": None, "properties": {"task_id": t2, "answer": "not_cleared", "confidence": 0.6}}]}
    bad = {**doc, "features": [{"type": "Feature", "geometry": None, "properties": {"cell": "nowhere", "answer": "cleared",
                                                                                    "confidence": 0.5}}]}
    url = f"{API}/campaigns/{c.slug}/predictions"
    r = client.post(url, headers=bearer(organiser_token), json=bad)
    assert r.status_code == 422 and "cell" in r.get_json()["details"][0]["message"]
    r = client.post(url, headers=bearer(organiser_token), json=doc)
    assert r.status_code == 201 and r.get_json()["imported"] == 2, r.get_json()
    got = {p.task_id: p for p in db.session.execute(select(Prediction)).scalars()}
    assert got[t1].confidence == 0.7 and got[t1].answer["answer"] == "cleared"
    assert [f["geometry"]["type"] for f in got[t1].answer["marks"]["features"]] == ["Point", "Polygon"]
    assert got[t2].answer["answer"] == "not_cleared" and got[t2].answer["marks"]["features"] == []
    # The volunteers' grade is what is compared.
    client.put(f"{API}/campaigns/{c.slug}/predictions/routing", headers=bearer(organiser_token),
               json={"audit": 1.0, "strategy": "uncertainty"})
    h = guest()
    task = next_task(client, c.slug, h)
    while task["id"] != t2:
        client.post(f"{API}/tasks/{task['id']}/skip", headers=h)
        task = next_task(client, c.slug, h)
    assert submit(client, t2, {"answer": "cleared", "marks": None}, h).status_code == 201
    [m] = client.get(f"{API}/campaigns/{c.slug}/predictions/outcomes", headers=bearer(organiser_token)
                     ).get_json()["models"]
    assert m["audit_verified"] == 1 and m["accuracy"] == 0.0
    assert m["confusion"] == [{"model": "not_cleared", "crowd": "cleared", "n": 1}]

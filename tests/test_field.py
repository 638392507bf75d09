"""The field kind on the Flask test client: sites imported (CSV, GeoJSON, GeoPackage), nearby sites in order, photos
uploaded whole or in resumable chunks (re-encoded, only their position kept), visits counted near the site and
held when far (a moderator's acceptance makes them count), visits too close in time as one check, proposals."""
import io
import json
import uuid

import pytest
from PIL import Image
from sqlalchemy import select

from citizen.campaigns import refold
from citizen.campaigns import services as campaigns
from citizen.campaigns.models import Answer, Task
from citizen.extensions import db
from citizen.ingest import photos as pictures
from citizen.kinds.field import haversine_m, photo_token
from citizen.kinds.field import photos as field_photos
from citizen.kinds.field.models import FieldPhoto, FieldProposal, FieldSite, FieldUpload
from tests.helpers import API, count

SITES = "name,lat,lon\nMarket bin,36.2000,36.1600\nSchool bin,36.2010,36.1650\nRiver dump,36.1960,36.1540\n"
FIELDS = "state | State | choice: clean, overflowing | | What do you see?\nbags | Bags | number | optional |"


@pytest.fixture
def field_campaign(app, org, organiser):
    def factory(source=("sites.csv", SITES.encode()), redundancy=3, **settings):
        c = campaigns.create_campaign(org.id, organiser, {
            "title": "Trash sites", "kind": "field", "redundancy": redundancy,
            "settings": {"fields": FIELDS, "radius_m": 50, "accuracy_limit_m": 100, "photos_min": 1,
                         "photos_max": 2, **settings}})
        campaigns.import_tasks(c, *source)
        campaigns.publish(c)
        db.session.commit()
        return c
    return factory


def jpeg(lat=None, lon=None, taken=None, size=(640, 480)):
    out = io.BytesIO()
    Image.new("RGB", size, (90, 140, 60)).save(out, "JPEG")
    data = out.getvalue()
    return pictures.with_gps(data, lat, lon, taken) if lat is not None else data


def site(c, name):
    return db.session.execute(select(Task).where(Task.campaign_id == c.id, Task.payload["name"].as_string() == name)
                              ).scalar_one()


def upload(client, who, task_id, data):
    r = client.post(f"{API}/tasks/{task_id}/photos", headers=who,
                    data={"photo": (io.BytesIO(data), "photo.jpg")}, content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    return r.get_json()["photo"]


def visit(client, who, task_id, lat, lon, accuracy=8, photos=(), key=None, **fields):
    value = {"position": {"lat": lat, "lon": lon, "accuracy": accuracy}, "photos": list(photos),
             "fields": {"state": "overflowing", "bags": None, **fields}}
    return client.post(f"{API}/tasks/{task_id}/answers", json={"value": value},
                       headers={**who, "Idempotency-Key": key or str(uuid.uuid4())})


def test_sites_come_from_csv_geojson_and_geopackage(field_campaign):
    c = field_campaign()
    assert c.tasks_total == 3 and count(FieldSite, FieldSite.campaign_id == c.id) == 3
    assert c.settings["extent"]["bounds"] == [36.154, 36.196, 36.165, 36.201]
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Shelter", "id": "s1"},
         "geometry": {"type": "Point", "coordinates": [36.16, 36.2]}},
        {"type": "Feature", "properties": {"name": "Car park"}, "geometry": {"type": "Polygon", "coordinates": [[
            [36.161, 36.201], [36.162, 36.201], [36.162, 36.202], [36.161, 36.202], [36.161, 36.201]]]}}]}
    g = field_campaign(("sites.geojson", json.dumps(doc).encode()))
    payloads = {t.external_id: t.payload for t in db.session.execute(
        select(Task).where(Task.campaign_id == g.id)).scalars()}
    assert payloads["s1"] == {"name": "Shelter", "lat": 36.2, "lon": 36.16}
    park = next(p for ref, p in payloads.items() if ref != "s1")
    assert park["geometry"]["type"] == "Polygon" and 36.161 < park["lon"] < 36.162 and 36.201 < park["lat"] < 36.202
    import geopandas
    from shapely.geometry import Point
    frame = geopandas.GeoDataFrame({"name": ["A", "B"]}, geometry=[Point(36.16, 36.2), Point(36.17, 36.21)],
                                   crs="EPSG:4326")
    buf = io.BytesIO()
    frame.to_file(buf, driver="GPKG")
    assert field_campaign(("sites.gpkg", buf.getvalue())).tasks_total == 2


def test_bad_rows_are_all_listed(client, org, organiser):
    c = campaigns.create_campaign(org.id, organiser, {"title": "T", "kind": "field", "settings": {}})
    from citizen.errors import InvalidInput
    with pytest.raises(InvalidInput) as exc:
        campaigns.import_tasks(c, "sites.csv", b"name,lat,lon\nA,95,36\nB,36,abc\nC,36.2,36.1\n")
    assert [d["line"] for d in exc.value.details] == [2, 3]


def test_nearby_sites_nearest_first_with_distance_and_bearing(client, guest, field_campaign):
    c = field_campaign()
    r = client.get(f"{API}/campaigns/{c.slug}/nearby?lat=36.2001&lon=36.1601&limit=2")
    assert r.status_code == 200
    found = r.get_json()
    assert [s["name"] for s in found["sites"]] == ["Market bin", "School bin"] and found["more"] is True
    first = found["sites"][0]
    assert first["distance_m"] == round(haversine_m(36.2001, 36.1601, 36.2, 36.16))
    assert 180 < first["bearing_deg"] < 270  # south-west of the volunteer
    assert client.get(f"{API}/campaigns/{c.slug}/nearby?lat=91&lon=0").status_code == 422
    assert client.get(f"{API}/campaigns/{c.slug}/nearby?lat=1&lon=0&limit=1000").status_code == 422
    box = client.get(f"{API}/campaigns/{c.slug}/sites?bbox=36.15,36.19,36.17,36.205").get_json()
    assert len(box["sites"]) == 3
    assert client.get(f"{API}/campaigns/{c.slug}/sites?bbox=0,0,40,40").status_code == 422


def test_nearby_is_exact_around_the_box_corners(app, field_campaign):
    """Many sites: the nearest ones are found whatever box the query starts with."""
    import random
    rnd = random.Random(3)
    rows = "name,lat,lon\n" + "".join(f"s{i},{36.2 + rnd.uniform(-0.05, 0.05):.6f},{36.16 + rnd.uniform(-0.05, 0.05):.6f}\n"
                                      for i in range(3000))
    rows += "".join(f"d{i},{36.21 + rnd.gauss(0, 0.0005):.6f},{36.17 + rnd.gauss(0, 0.0005):.6f}\n"
                    for i in range(1500))  # a dense cluster: more sites in 100 m than a box may hold
    c = field_campaign(("sites.csv", rows.encode()))
    from citizen.kinds.field import sites
    # inside, in the cluster, at the edge, 5 km outside (where a box holding too few and one holding too many are
    # one step apart) and far away
    for lat, lon in ((36.2, 36.16), (36.21, 36.17), (36.24, 36.2), (36.295, 36.16), (36.2, 36.27), (36.3, 36.3)):
        got = [s["id"] for s in sites.nearby(c, lat, lon, 25)["sites"]]
        every = sorted(db.session.execute(select(FieldSite).where(FieldSite.campaign_id == c.id)).scalars(),
                       key=lambda s: haversine_m(lat, lon, s.lat, s.lon))
        assert got == [s.task_id for s in every[:25]]


def test_a_visit_near_the_site_counts_and_keeps_only_the_photo_position(client, guest, field_campaign):
    c = field_campaign()
    who, task = guest(), site(c, "Market bin")
    token = upload(client, who, task.id, jpeg(36.20002, 36.16001, "2026:12:07 10:00:00"))
    r = visit(client, who, task.id, 36.20003, 36.16002, photos=[token])
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body.get("counted", True) is True and "held" not in body
    answer = db.session.execute(select(Answer).where(Answer.task_id == task.id)).scalar_one()
    assert answer.weight == 1.0 and answer.reason is None
    assert answer.value["distance_m"] < 5 and answer.value["photos"][0]["la"] == pytest.approx(36.20002)
    photo = db.session.execute(select(FieldPhoto)).scalar_one()
    stored = field_photos._store().get(photo.key)
    info = pictures.read_photo(stored)
    assert info["lat"] == pytest.approx(36.20002, abs=1e-5) and info["taken"] is None  # position kept, time gone
    with Image.open(io.BytesIO(stored)) as img:
        assert set(img.getexif()) <= {0x8825}  # nothing but the GPS block
    assert db.session.get(Task, task.id).result["visits"] == 1


def test_a_visit_from_far_away_is_held_until_a_moderator_accepts_it(client, guest, field_campaign):
    c = field_campaign(redundancy=2)
    task = site(c, "Market bin")
    who = guest()
    token = upload(client, who, task.id, jpeg())
    r = visit(client, who, task.id, 36.21, 36.16, accuracy=10, photos=[token])  # about 1.1 km north
    body = r.get_json()
    assert r.status_code == 201 and body["counted"] is False and body["held"] == ["too_far"]
    answer = db.session.execute(select(Answer).where(Answer.task_id == task.id)).scalar_one()
    assert answer.weight == 0 and answer.reason == "held"
    state = db.session.get(Task, task.id).consensus
    assert state["history"][0]["held"] == ["too_far"] and "latest" not in state
    # imprecise: an accuracy beyond the campaign's limit never stretches the radius
    other = guest()
    token = upload(client, other, task.id, jpeg())
    assert visit(client, other, task.id, 36.202, 36.16, accuracy=5000, photos=[token]).get_json()["held"] == [
        "imprecise", "too_far"]
    # a moderator accepts the first: it counts, through the same rebuild as every other change of a tally
    from citizen.kinds.field import FieldKind
    answer.value = FieldKind().accept_held(answer.value)
    answer.reason = None
    db.session.flush()
    refold.rebuild([task.id])
    db.session.commit()
    assert db.session.get(Answer, answer.id).weight == 1.0
    assert db.session.get(Task, task.id).consensus["latest"]["fields"]["state"] == "overflowing"


def test_photos_taken_elsewhere_or_long_before_are_held(client, guest, field_campaign):
    c = field_campaign()
    task = site(c, "Market bin")
    who = guest()
    elsewhere = upload(client, who, task.id, jpeg(36.3, 36.3))
    assert visit(client, who, task.id, 36.2, 36.16, photos=[elsewhere]).get_json()["held"] == ["photo_elsewhere"]
    who = guest()
    old = upload(client, who, task.id, jpeg(36.2, 36.16, "2019:01:01 10:00:00"))
    assert visit(client, who, task.id, 36.2, 36.16, photos=[old]).get_json()["held"] == ["old_photo"]


def test_photo_tokens_are_the_servers_and_for_this_site(client, guest, field_campaign):
    c = field_campaign()
    market, school = site(c, "Market bin"), site(c, "School bin")
    who = guest()
    token = upload(client, who, school.id, jpeg())
    r = visit(client, who, market.id, 36.2, 36.16, photos=[token])
    assert r.status_code == 422 and "photo" in r.get_json()["message"].lower()
    forged = photo_token("field/1/x.jpg", market.payload)[:-4] + "abcd"
    assert visit(client, who, market.id, 36.2, 36.16, photos=[forged]).status_code == 422
    assert visit(client, who, market.id, 36.2, 36.16, photos=[]).status_code == 422  # one photo at least
    assert count(Answer) == 0


def test_a_photo_resumes_in_chunks_and_is_kept_once(client, guest, field_campaign):
    c = field_campaign()
    task, who = site(c, "Market bin"), guest()
    import os as _os
    out = io.BytesIO()
    Image.frombytes("RGB", (400, 300), _os.urandom(400 * 300 * 3)).save(out, "JPEG", quality=95)
    data = pictures.with_gps(out.getvalue(), 36.2, 36.16)
    assert len(data) > 2 * 64 * 1024  # two chunks of at least 64 KiB
    url = f"{API}/tasks/{task.id}/photos/{uuid.uuid4()}"
    assert client.get(url, headers=who).get_json() == {"received": 0, "photo": None}
    half = len(data) // 2

    def put(first, chunk):
        return client.put(url, data=chunk, headers={**who, "Content-Type": "application/octet-stream",
                                                    "Content-Range": f"bytes {first}-{first + len(chunk) - 1}/{len(data)}"})
    assert put(0, data[:half]).get_json() == {"received": half}
    wrong = put(0, data[half:])  # a chunk that does not start where the upload stands
    assert wrong.status_code == 409 and wrong.get_json()["received"] == half
    assert client.get(url, headers=who).get_json()["received"] == half  # after a reload: go on from here
    done = put(half, data[half:])
    assert done.status_code == 201 and done.get_json()["photo"]
    again = put(half, data[half:])  # the last chunk sent again (its reply was lost): the same photo
    assert again.status_code == 200 and again.get_json()["photo"] == done.get_json()["photo"]
    assert count(FieldPhoto) == 1 and count(FieldUpload) == 1
    assert not list(field_photos._store().list("field-parts/"))
    assert visit(client, who, task.id, 36.2, 36.16, photos=[done.get_json()["photo"]]).status_code == 201


def test_uploads_refuse_what_is_not_a_photo_and_bad_ranges(client, guest, field_campaign):
    c = field_campaign()
    task, who = site(c, "Market bin"), guest()
    r = client.post(f"{API}/tasks/{task.id}/photos", headers=who, data={"photo": (io.BytesIO(b"<svg/>"), "x.svg")},
                    content_type="multipart/form-data")
    assert r.status_code == 422
    url = f"{API}/tasks/{task.id}/photos/{uuid.uuid4()}"
    for header in ("bytes 0-9/5", "bytes 0-1/100000000", "items 0-1/2", None):
        r = client.put(url, data=b"0123456789", headers={**who, **({"Content-Range": header} if header else {})})
        assert r.status_code == 422, header
    assert client.put(f"{API}/tasks/{task.id}/photos/bad id!", data=b"x", headers={
        **who, "Content-Range": "bytes 0-0/1"}).status_code in (404, 422)
    assert count(FieldPhoto) == 0


def test_visits_closer_in_time_than_the_gap_are_one_check(client, guest, field_campaign):
    c = field_campaign(min_gap_minutes=30, photos_min=0)
    task = site(c, "Market bin")
    for _ in range(2):
        assert visit(client, guest(), task.id, 36.2, 36.16).status_code == 201
    state = db.session.get(Task, task.id).consensus
    assert [v["counted"] for v in state["history"]] == [True, False]
    assert state["fields"]["state"]["v:overflowing"]["w"] == 1.0


def test_the_page_config_and_exports_never_carry_volunteers_positions(client, guest, field_campaign):
    c = field_campaign(photos_min=0)
    task = site(c, "Market bin")
    assert visit(client, guest(), task.id, 36.20001, 36.16001).status_code == 201
    from citizen.kinds import get_kind
    kind = get_kind("field")
    cols = kind.export_row(c.settings, task.payload, db.session.get(Task, task.id).result)
    assert cols["lat"] == 36.2 and cols["visits"] == 1 and "36.20001" not in json.dumps(cols)
    config = kind.page_config(c.settings)
    assert config["radius_m"] == 50 and config["center"] and config["photos"] == {"min": 0, "max": 2}


def test_proposals_become_sites_once_confirmed_on_the_spot(client, guest, field_campaign):
    c = field_campaign(proposals=True, confirmations=2)
    url = f"{API}/campaigns/{c.slug}/proposals"
    here = {"lat": 36.205, "lon": 36.17, "accuracy": 10}
    proposer = guest()
    r = client.post(url, json={"name": "New dump", "value": {"position": here}},
                    headers={**proposer, "Idempotency-Key": "p1"})
    assert r.status_code == 201
    pid = r.get_json()["proposal"]
    again = client.post(url, json={"name": "New dump", "value": {"position": here}},
                        headers={**proposer, "Idempotency-Key": "p1"})
    assert again.status_code == 200 and again.get_json()["proposal"] == pid
    near = client.post(url, json={"name": "Same", "value": {"position": {**here, "lat": 36.2051}}},
                       headers={**guest(), "Idempotency-Key": "p2"})
    assert near.status_code == 409 and near.get_json()["code"] == "proposal_nearby"
    listed = client.get(f"{API}/campaigns/{c.slug}/nearby?lat=36.2052&lon=36.17", headers=proposer).get_json()
    assert [(p["id"], p["mine"], p["answered"]) for p in listed["proposals"]] == [(pid, True, False)]
    confirm = f"{url}/{pid}/confirm"
    assert client.post(confirm, json={"exists": True, "position": here}, headers=proposer).status_code == 403
    far = client.post(confirm, json={"exists": True, "position": {**here, "lat": 36.3}}, headers=guest())
    assert far.status_code == 422
    for _ in range(2):
        out = client.post(confirm, json={"exists": True, "position": here}, headers=guest()).get_json()
    assert out["status"] == "accepted" and out["task_id"]
    assert db.session.get(Task, out["task_id"]).payload["name"] == "New dump"
    found = client.get(f"{API}/campaigns/{c.slug}/nearby?lat=36.205&lon=36.17&limit=1").get_json()
    assert found["sites"][0]["id"] == out["task_id"]
    assert count(FieldProposal, FieldProposal.status == "accepted") == 1


def test_proposals_are_off_unless_the_organiser_allows_them(client, guest, field_campaign):
    c = field_campaign()
    r = client.post(f"{API}/campaigns/{c.slug}/proposals", headers=guest(),
                    json={"name": "X", "value": {"position": {"lat": 36.3, "lon": 36.3, "accuracy": 5}}})
    assert r.status_code == 403


def test_moderators_see_held_visits_with_their_photos_and_count_them(app, client, guest, field_campaign, make_user):
    """A held visit is in the moderators' queue with its blurred photos; "Count it" makes it count (audited)."""
    from citizen.accounts.audit import AuditLog
    from tests.helpers import sign_in
    c = field_campaign(redundancy=2)
    task, who = site(c, "Market bin"), guest()
    token = upload(client, who, task.id, jpeg(36.21, 36.16))
    assert visit(client, who, task.id, 36.21, 36.16, photos=[token]).get_json()["held"] == ["too_far", "photo_elsewhere"]
    answer = db.session.execute(select(Answer)).scalar_one()
    moderator = make_user("mod@example.org", "moderator", name="Mo")
    staff = app.test_client()
    sign_in(staff, moderator.email)
    page = staff.get("/moderation/").get_data(as_text=True)
    assert f'data-key="held:{answer.id}"' in page and "too far from the site" in page
    photo = db.session.execute(select(FieldPhoto)).scalar_one()
    blurred = staff.get(f"/organise/{c.slug}/field/photos/{photo.key}")
    original = staff.get(f"/organise/{c.slug}/field/photos/{photo.key}?show=1")
    assert blurred.status_code == original.status_code == 200 and blurred.data != original.data
    assert blurred.headers["Cache-Control"] == "private, no-store"
    assert client.get(f"/organise/{c.slug}/field/photos/{photo.key}", headers=who).status_code in (302, 401, 403, 404)
    r = staff.post("/moderation/act", json={"item": f"held:{answer.id}", "action": "accept", "reason": "GPS drift"})
    assert r.status_code == 200, r.get_json()
    db.session.expire_all()
    answer = db.session.get(Answer, answer.id)
    assert answer.weight == 1.0 and answer.reason is None and answer.value["accepted"] is True
    assert db.session.get(Task, task.id).consensus["latest"]["fields"]["state"] == "overflowing"
    assert db.session.execute(select(AuditLog).where(AuditLog.action == "count_held")).scalar_one()
    # the slot it was held in goes back: one of the site's two visits given, and counted in the progress as such
    assert db.session.get(Task, task.id).redundancy == 2
    second = guest()
    r = visit(client, second, task.id, 36.2, 36.16, photos=[upload(client, second, task.id, jpeg())])
    assert r.status_code == 201 and r.get_json()["task_complete"] is True
    from citizen.campaigns.models import Campaign
    db.session.expire_all()
    assert db.session.get(Campaign, c.id).tasks_done == 1
    assert f'held:{answer.id}' not in staff.get("/moderation/").get_data(as_text=True)


def test_staff_take_a_photo_down(app, client, guest, field_campaign, organiser):
    from tests.helpers import sign_in
    c = field_campaign()
    task, who = site(c, "Market bin"), guest()
    upload(client, who, task.id, jpeg())
    photo = db.session.execute(select(FieldPhoto)).scalar_one()
    staff = app.test_client()
    sign_in(staff, organiser.email)
    assert staff.post(f"/organise/{c.slug}/field/photos/{photo.key}/remove", json={}).status_code == 200
    assert staff.get(f"/organise/{c.slug}/field/photos/{photo.key}").status_code == 404
    assert field_photos._store().get(photo.key) is None


def test_the_manage_panel_lists_proposals_and_visits_with_blurred_photos(app, client, guest, field_campaign, organiser):
    from tests.helpers import sign_in
    c = field_campaign(proposals=True)
    task, who = site(c, "Market bin"), guest()
    token = upload(client, who, task.id, jpeg())
    assert visit(client, who, task.id, 36.21, 36.16, photos=[token]).status_code == 201
    client.post(f"{API}/campaigns/{c.slug}/proposals", json={"name": "Corner heap", "value": {
        "position": {"lat": 36.3, "lon": 36.3, "accuracy": 5}}}, headers={**guest(), "Idempotency-Key": "k"})
    staff = app.test_client()
    sign_in(staff, organiser.email)
    page = staff.get(f"/organise/{c.slug}/").get_data(as_text=True)
    photo = db.session.execute(select(FieldPhoto)).scalar_one()
    assert "Corner heap" in page and "Market bin" in page and "waiting for a check: too far from the site" in page
    assert f"/field/photos/{photo.key}?show=1" in page and f'src="/organise/{c.slug}/field/photos/{photo.key}"' in page
    proposal = db.session.execute(select(FieldProposal)).scalar_one()
    r = staff.post(f"/organise/{c.slug}/field/proposals/{proposal.id}", data={"decision": "accept"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(FieldProposal, proposal.id).status == "accepted"
    assert count(FieldSite, FieldSite.campaign_id == c.id) == 4


def test_open_data_give_the_sites_position_never_the_volunteers(client, guest, field_campaign):
    """results and answers publish the site's place and the answers; no device position, photo, pseudonym or
    voter weight (a volunteer's visits in time order would be their track)."""
    import csv
    c = field_campaign()
    task, who = site(c, "Market bin"), guest()
    token = upload(client, who, task.id, jpeg(36.20011, 36.16011))
    assert visit(client, who, task.id, 36.20013, 36.16013, photos=[token]).status_code == 201
    db.session.commit()
    texts = {}
    for name in ("results.csv", "answers.csv", "results.geojson"):
        r = client.get(f"/data/{c.slug}/{name}")
        assert r.status_code == 200, name
        texts[name] = r.get_data(as_text=True)
    every = "".join(texts.values())
    assert "36.2001" not in every and "36.1601" not in every and "field/" not in every
    rows = list(csv.DictReader(io.StringIO(texts["answers.csv"])))
    assert rows[0]["contributor"] == "" and rows[0]["voter_weight"] == ""
    assert json.loads(rows[0]["value"]) == {"fields": {"state": "overflowing", "bags": None}}
    results = {r["name"]: r for r in csv.DictReader(io.StringIO(texts["results.csv"]))}
    assert results["Market bin"]["lat"] == "36.2" and results["Market bin"]["visits"] == "1"


def test_a_photo_named_by_two_accounts_counts_once(client, guest, field_campaign):
    c = field_campaign()
    task, first, second = site(c, "Market bin"), guest(), guest()
    token = upload(client, first, task.id, jpeg(36.2, 36.16))
    assert visit(client, first, task.id, 36.2, 36.16, photos=[token]).status_code == 201
    assert visit(client, second, task.id, 36.2, 36.16, photos=[token]).status_code == 201  # shared with a friend
    history = db.session.get(Task, task.id).consensus["history"]
    assert [v["counted"] for v in history] == [True, False] and history[1]["reused_photo"] is True


def test_unfinished_uploads_are_given_up_after_days(client, guest, field_campaign):
    from datetime import timedelta
    from citizen import clock
    c = field_campaign()
    task, who = site(c, "Market bin"), guest()
    url = f"{API}/tasks/{task.id}/photos/{uuid.uuid4()}"
    r = client.put(url, data=b"x" * 65536, headers={**who, "Content-Range": "bytes 0-65535/200000"})
    assert r.get_json() == {"received": 65536}
    assert list(field_photos._store().list("field-parts/"))
    assert field_photos.sweep(clock.now() + timedelta(days=4)) == 1
    db.session.commit()
    assert not list(field_photos._store().list("field-parts/")) and count(FieldUpload) == 0


def test_a_phone_sized_photo_goes_up_whole_as_multipart(client, guest, field_campaign):
    """A photo of several MB in one multipart request (the API's 1 MB limit is for JSON bodies), and nothing beyond
    the photo limit."""
    import os as _os
    c = field_campaign()
    task, who = site(c, "Market bin"), guest()
    out = io.BytesIO()
    Image.frombytes("RGB", (1600, 1200), _os.urandom(1600 * 1200 * 3)).save(out, "JPEG", quality=95)
    assert len(out.getvalue()) > 2_000_000
    assert upload(client, who, task.id, out.getvalue())
    big = b"\xff\xd8" + b"0" * (16_000_000)
    r = client.post(f"{API}/tasks/{task.id}/photos", headers=who, data={"photo": (io.BytesIO(big), "big.jpg")},
                    content_type="multipart/form-data")
    assert r.status_code == 413


def test_far_away_visits_never_crowd_out_the_real_ones(client, guest, field_campaign):
    """Held visits take no slot of the counted ones, and a site keeps at most a few of them."""
    c = field_campaign(redundancy=2, photos_min=0)
    task = site(c, "Market bin")
    from citizen.campaigns.scheduler import MAX_HELD
    for _ in range(MAX_HELD):
        assert visit(client, guest(), task.id, 10, 10).get_json()["held"] == ["too_far"]
    refused = visit(client, guest(), task.id, 10, 10)
    assert refused.status_code == 409 and refused.get_json()["code"] == "too_many_held"
    for _ in range(2):  # the two real visits still find room
        r = visit(client, guest(), task.id, 36.2, 36.16)
        assert r.status_code == 201 and r.get_json().get("counted", True)
    assert db.session.get(Task, task.id).result["visits"] == MAX_HELD + 2


def test_a_broken_photo_is_not_decoded_again_for_one_byte(client, guest, field_campaign):
    c = field_campaign()
    task, who = site(c, "Market bin"), guest()
    data = b"\xff\xd8\xff" + bytes(70_000)  # a JPEG's first bytes, then nothing
    url = f"{API}/tasks/{task.id}/photos/{uuid.uuid4()}"
    headers = {**who, "Content-Type": "application/octet-stream"}
    r = client.put(url, data=data, headers={**headers, "Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"})
    assert r.status_code == 422
    assert client.get(url, headers=who).get_json() == {"received": 0, "photo": None}  # start again from nothing
    r = client.put(url, data=data[:1], headers={**headers, "Content-Range": f"bytes 0-0/{len(data)}"})
    assert r.status_code == 422  # not the last chunk, and too small: refused before any decoding
    assert not list(field_photos._store().list("field-parts/"))


def test_one_no_does_not_reject_a_proposal_that_needs_two(client, guest, field_campaign):
    c = field_campaign(proposals=True, confirmations=2)
    here = {"lat": 36.205, "lon": 36.17, "accuracy": 10}
    pid = client.post(f"{API}/campaigns/{c.slug}/proposals", json={"name": "Heap", "value": {"position": here}},
                      headers={**guest(), "Idempotency-Key": "a"}).get_json()["proposal"]
    out = client.post(f"{API}/campaigns/{c.slug}/proposals/{pid}/confirm", json={"exists": False, "position": here},
                      headers=guest()).get_json()
    assert out["status"] == "proposed"
    bad = client.post(f"{API}/campaigns/{c.slug}/proposals", headers={**guest(), "Idempotency-Key": "b"},
                      json={"name": ["x"], "value": {"position": {"lat": 10 ** 400, "lon": 1}}})
    assert bad.status_code == 422


def test_counting_a_held_visit_can_complete_its_site(app, client, guest, field_campaign, make_user):
    from citizen.campaigns.models import Campaign
    from tests.helpers import sign_in
    c = field_campaign(redundancy=1, photos_min=0)
    task = site(c, "Market bin")
    assert visit(client, guest(), task.id, 10, 10).get_json()["held"] == ["too_far"]
    answer = db.session.execute(select(Answer)).scalar_one()
    staff = app.test_client()
    sign_in(staff, make_user("mod@example.org", "moderator").email)
    assert staff.post("/moderation/act", json={"item": f"held:{answer.id}", "action": "accept"}).status_code == 200
    db.session.expire_all()
    done = db.session.get(Task, task.id)
    assert (done.redundancy, done.answer_count, done.available) == (1, 1, False)
    assert db.session.get(Campaign, c.id).tasks_done == 1

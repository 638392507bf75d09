"""Open data exports, read back with the tools journalists use: the csv module and pandas for the
CSV files, geopandas for GeoJSON and the GeoPackage, json and frictionless for datapackage.json.
Nothing personal in any file; drafts hidden; conditional GETs; streamed responses; the GeoPackage
built off the request with progress."""
import csv
import io
import json
import re

import pandas as pd
import pytest
from PIL import Image
from sqlalchemy import select, update

from citizen.accounts.models import Contributor
from citizen.campaigns import builds
from citizen.campaigns import results as campaign_results
from citizen.campaigns import services as campaigns
from citizen.campaigns.models import CLOSED, Answer, Task
from citizen.exports import geo, rows
from citizen.extensions import db
from citizen.jobs import services as jobs
from tests.helpers import API, answer_next, next_task, sign_in, submit
from tests.test_map_kinds import AREA, TILES, fc, photo_zip

FILES = ("results.csv", "results.geojson", "results.gpkg", "answers.csv", "datapackage.json", "README.md")
EMAIL = re.compile(rb"[\w.+-]+@[\w-]+\.[\w.]+")
IP = re.compile(rb"\b(?:\d{1,3}\.){3}\d{1,3}\b")
PSEUDONYM = re.compile(r"^v-[0-9a-f]{10}$")


@pytest.fixture
def app(make_app, tmp_path):
    """The app with its GeoPackage cache in this test's folder (not the instance folder)."""
    app = make_app(EXPORTS_FOLDER=str(tmp_path / "exports"))
    with app.app_context():
        yield app
        db.session.remove()


def download(client, slug, name, **kw):
    r = client.get(f"/data/{slug}/{name}", **kw)
    r.streamed = r.is_streamed  # reading the body makes it a list
    r.get_data()  # a streamed body is read to its end (the generator's context closes cleanly)
    assert r.status_code == 200, (name, r.status_code, r.get_data(as_text=True)[:300])
    return r


@pytest.fixture
def answered(client, make_campaign):
    """A published question campaign of 5 tasks; three guests (from three networks, so with device
    signatures) answered every task, and two answers were imported under an organiser's reference
    that is an e-mail address."""
    c = make_campaign(tasks=5, redundancy=4)
    for i in range(3):
        env = {"REMOTE_ADDR": f"198.51.{i}.7", "HTTP_USER_AGENT": "Journalist test browser"}
        r = client.post(f"{API}/guests", environ_base=env)
        h = {"Authorization": "Bearer " + r.get_json()["token"]}
        for _ in range(5):
            answer_next(client, c.slug, ["yes", "yes", "no"][i], (h, env), duration_ms=4000)
    campaign_results.import_answers(c, [{"external_id": "t0", "contributor": "alice@example.org", "value": "yes"},
                                        {"external_id": "t1", "contributor": "alice@example.org", "value": "no"}])
    db.session.commit()
    return c


# --- the data pages ---------------------------------------------------------------------------------
def test_data_page_lists_published_campaigns_with_licence_counts_and_files(client, make_campaign, answered):
    draft = make_campaign(tasks=2, publish=False, title="Secret draft")
    page = client.get("/data/").get_data(as_text=True)
    assert answered.title in page and "Secret draft" not in page
    assert "CC-BY-4.0" in page and "Last update" in page
    for name in FILES:
        assert f"/data/{answered.slug}/{name}" in page
    assert draft.slug not in page
    r = client.get(f"/data/{answered.slug}/")
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "Methodology" in body and "Dawid-Skene" in body
    assert "Creative Commons Attribution 4.0" in body and "<table>" in body


def test_unpublished_campaign_data_is_only_for_its_organisers(client, make_campaign, organiser):
    draft = make_campaign(tasks=2, publish=False, title="Secret draft")
    for path in [f"/data/{draft.slug}/"] + [f"/data/{draft.slug}/{name}" for name in FILES]:
        assert client.get(path).status_code == 404, path
    sign_in(client, organiser.email)
    assert "Secret draft" in client.get("/data/").get_data(as_text=True)
    for name in FILES:
        r = download(client, draft.slug, name)
        assert "private" in r.headers["Cache-Control"]


def test_closed_campaign_stays_public_and_publishes_its_gold_flags(client, make_campaign, answered):
    r = list(csv.DictReader(io.StringIO(download(client, answered.slug, "results.csv").get_data(as_text=True))))
    assert {row["gold"] for row in r} == {""}  # not while it runs: it would reveal the checks
    db.session.execute(update(Task).where(Task.campaign_id == answered.id, Task.external_id == "t4").values(gold="yes"))
    campaigns.close(answered)
    db.session.commit()
    assert answered.slug in client.get("/data/").get_data(as_text=True)
    r = list(csv.DictReader(io.StringIO(download(client, answered.slug, "results.csv").get_data(as_text=True))))
    assert {row["external_id"]: row["gold"] for row in r}["t4"] == "true"
    assert {row["gold"] for row in r} == {"true", "false"}


# --- CSV ----------------------------------------------------------------------------------------------
def test_results_csv_is_streamed_and_reads_with_csv_and_pandas(client, answered):
    r = download(client, answered.slug, "results.csv")
    assert r.streamed
    assert r.headers["Content-Type"].startswith("text/csv")
    assert r.headers["Content-Disposition"] == f'attachment; filename="{answered.slug}-results.csv"'
    text = r.get_data(as_text=True)
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(table) == 5 and [t["external_id"] for t in table] == ["t0", "t1", "t2", "t3", "t4"]
    first = table[0]
    assert first["answer"] == "yes" and first["answers"] == "4" and first["method"] == "dawid-skene"
    assert float(first["agreement"]) == 0.75 and 0 < float(first["confidence"]) <= 1
    assert first["text"] == "Task number 0" and first["override"] == ""
    df = pd.read_csv(io.StringIO(text))
    assert len(df) == 5 and df["answers"].tolist() == [4, 4, 3, 3, 3]
    assert df["decided"].dtype == bool and df["complete"].tolist() == [True, True, False, False, False]


def test_override_column_reads_the_moderators_decision(client, answered):
    task = db.session.execute(select(Task).where(Task.campaign_id == answered.id, Task.external_id == "t2")).scalar_one()
    # as citizen.moderation stores it: the moderator's pseudonym and reason stay out of the files
    task.consensus = {**task.consensus, "override": {"answer": "no", "by": "m-1234abcd", "reason": "Seen on site",
                                                     "at": "2026-01-01T00:00:00Z", "action": "override"}}
    builds.note_change(answered)
    db.session.commit()
    table = list(csv.DictReader(io.StringIO(download(client, answered.slug, "results.csv").get_data(as_text=True))))
    assert {t["external_id"]: t["override"] for t in table} == {"t0": "", "t1": "", "t2": "no", "t3": "", "t4": ""}
    t2 = next(t for t in table if t["external_id"] == "t2")
    assert t2["answer"] == "no" and t2["crowd_answer"] == "yes" and t2["method"] == "moderator" and t2["decided"] == "true"
    assert "Seen on site" not in download(client, answered.slug, "results.geojson").get_data(as_text=True)


def test_answers_csv_has_every_answer_under_pseudonyms(client, answered):
    r = download(client, answered.slug, "answers.csv")
    assert r.streamed and r.headers["Content-Disposition"].endswith(f'{answered.slug}-answers.csv"')
    table = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert len(table) == 17
    assert list(table[0]) == [c.name for c in rows.ANSWER_COLUMNS]
    assert all(PSEUDONYM.match(t["contributor"]) for t in table)
    assert len({t["contributor"] for t in table}) == 4
    web = [t for t in table if t["source"] == "api"]
    # the duration that counted: the server's time since the lease, never more than the 4000 ms declared
    assert all(0 < int(t["duration_ms"]) <= 4000 for t in web) and {t["counted"] for t in web} == {"true"}
    assert all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", t["created_at"]) for t in table)
    imported = [t for t in table if t["source"] == "import"]
    assert [t["value"] for t in imported] == ["yes", "no"] and imported[0]["duration_ms"] == ""
    assert all(t["voter_weight"] != "" for t in table)  # every contributor has a Dawid-Skene weight
    df = pd.read_csv(io.StringIO(r.get_data(as_text=True)))
    assert len(df) == 17 and df["task_id"].dtype.kind == "i"


def test_no_personal_data_in_any_file(client, answered, make_user):
    user = make_user("volunteer@example.org", name="Vera Volunteer")
    token = client.post("/account/login", data={"email": user.email, "password": "password123"})
    assert token.status_code in (302, 303)
    client.get(f"/campaigns/{answered.slug}/work")
    contributors = db.session.execute(select(Contributor)).scalars().all()
    signatures = {c.device_sig for c in contributors if c.device_sig} | {c.network_sig for c in contributors if c.network_sig}
    assert signatures  # the guests have device signatures: they must not leak
    client.post("/account/logout")
    for name in FILES:
        body = download(client, answered.slug, name).get_data()
        assert not EMAIL.search(body), name
        if name != "results.gpkg":
            assert not IP.search(body), name
        for sig in signatures:
            assert sig.encode() not in body, name
        assert b"Vera" not in body and b"alice" not in body
    table = list(csv.DictReader(io.StringIO(download(client, answered.slug, "answers.csv").get_data(as_text=True))))
    ids = {str(c.id) for c in contributors}
    assert not ids & {t["contributor"] for t in table}


def test_pseudonyms_are_stable_in_a_campaign_and_differ_across_campaigns(client, make_campaign, guest):
    one, two = make_campaign(tasks=3, title="One"), make_campaign(tasks=3, title="Two")
    h = guest()
    for c in (one, two):
        for _ in range(3):
            answer_next(client, c.slug, "yes", h, duration_ms=4000)
    names = {}
    for c in (one, two):
        table = list(csv.DictReader(io.StringIO(download(client, c.slug, "answers.csv").get_data(as_text=True))))
        assert len(table) == 3 and len({t["contributor"] for t in table}) == 1
        names[c.slug] = table[0]["contributor"]
        again = list(csv.DictReader(io.StringIO(download(client, c.slug, "answers.csv").get_data(as_text=True))))
        assert again[0]["contributor"] == names[c.slug]
    assert names[one.slug] != names[two.slug]


def test_conditional_get_answers_304_until_the_data_changes(client, answered, guest):
    for name in FILES:
        first = download(client, answered.slug, name)
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        assert "no-cache" in first.headers["Cache-Control"] and "public" in first.headers["Cache-Control"]
        again = client.get(f"/data/{answered.slug}/{name}", headers={"If-None-Match": etag})
        assert again.status_code == 304 and not again.get_data(), name
        since = client.get(f"/data/{answered.slug}/{name}", headers={"If-Modified-Since": modified})
        assert since.status_code == 304, name
    before = download(client, answered.slug, "answers.csv").headers["ETag"]
    answer_next(client, answered.slug, "no", guest(), duration_ms=4000)
    after = client.get(f"/data/{answered.slug}/answers.csv", headers={"If-None-Match": before})
    assert after.status_code == 200 and after.headers["ETag"] != before
    assert len(list(csv.DictReader(io.StringIO(after.get_data(as_text=True))))) == 18


def test_a_campaign_with_thousands_of_answers_exports_in_batches(client, make_campaign, monkeypatch):
    monkeypatch.setattr(rows, "BATCH", 700)  # several batches, and a last one that is not full
    c = make_campaign(tasks=600, redundancy=5)
    items = [{"task_id": t.id, "contributor": f"sheet-{k}", "value": ["yes", "no", "unsure"][(t.id + k * (k % 2)) % 3],
              "duration_ms": 3000 + k} for t in db.session.execute(select(Task).where(Task.campaign_id == c.id)).scalars()
             for k in range(5)]
    campaign_results.import_answers(c, items)
    db.session.commit()
    r = download(client, c.slug, "answers.csv")
    chunks = list(r.response)
    assert len(chunks) > 1  # sent as it is read, not built whole
    answers = pd.read_csv(io.BytesIO(b"".join(chunks)))
    assert len(answers) == 3000 and answers["answer_id"].is_unique and answers["answer_id"].is_monotonic_increasing
    assert answers["contributor"].nunique() == 5 and set(answers["answer"]) == {"yes", "no", "unsure"}
    results = pd.read_csv(io.BytesIO(download(client, c.slug, "results.csv").get_data()))
    assert len(results) == 600 and results["task_id"].is_unique and (results["answers"] == 5).all()
    assert set(answers["task_id"]) == set(results["task_id"])


# --- GeoJSON and GeoPackage -----------------------------------------------------------------------
@pytest.fixture
def forest(client, guest, org, organiser):
    """A published deforestation campaign of 12 cells; three volunteers graded every cell and two of
    them put a point on the same clearing in the first cell they got."""
    import geopandas  # noqa: F401  (skips nothing: geopandas is a runtime dependency)
    c = campaigns.create_campaign(org.id, organiser, {"title": "Forest", "kind": "deforestation", "redundancy": 3,
                                                      "settings": TILES})
    campaigns.import_tasks(c, "area.geojson", json.dumps(AREA).encode())
    campaigns.publish(c)
    db.session.commit()
    for i in range(3):
        h = guest()
        for n in range(12):
            task = next_task(client, c.slug, h)
            cx, cy = task["bbox"][0] + 0.004, task["bbox"][1] + 0.004
            marks = fc({"type": "Point", "coordinates": [cx, cy]}) if task["cell"] == "r1c1" and i < 2 else fc()
            value = {"answer": "cleared" if marks["features"] else "not_cleared", "marks": marks}
            r = submit(client, task["id"], value, h)
            assert r.status_code == 201, r.get_data(as_text=True)
    return c


def test_results_geojson_reads_with_geopandas(client, forest):
    import geopandas as gpd
    r = download(client, forest.slug, "results.geojson")
    assert r.streamed and r.headers["Content-Type"] == "application/geo+json"
    doc = json.loads(r.get_data())
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 12
    marked = [f for f in doc["features"] if f["properties"]["consensus_marks"]]
    assert len(marked) == 1 and marked[0]["properties"]["cell"] == "r1c1"
    mark = marked[0]["properties"]["marks"]["features"][0]
    assert mark["geometry"]["type"] == "Point" and mark["properties"]["support"] == 2
    assert marked[0]["properties"]["marks_crs"] == "lonlat"
    frame = gpd.read_file(io.BytesIO(r.get_data()))
    assert len(frame) == 12 and set(frame.geom_type) <= {"Polygon", "MultiPolygon"}
    assert frame.crs.to_epsg() == 4326 and {"answer", "confidence", "agreement", "latitude"} <= set(frame.columns)
    assert frame.total_bounds[0] >= 9.99 and frame.total_bounds[2] <= 10.04


def test_results_gpkg_has_one_layer_per_geometry_type(client, forest, tmp_path, monkeypatch):
    import geopandas as gpd
    import pyogrio

    from citizen.exports import geo
    monkeypatch.setattr(geo, "CHUNK", 5)  # written in chunks: 5 + 5 + 2 cells
    r = download(client, forest.slug, "results.gpkg")
    assert r.headers["Content-Type"] == "application/geopackage+sqlite3"
    assert r.headers["Content-Disposition"].startswith("attachment") and r.get_data()[:16] == b"SQLite format 3\x00"
    path = tmp_path / "results.gpkg"
    path.write_bytes(r.get_data())
    layers = dict(pyogrio.list_layers(path))
    assert layers == {"tasks_polygons": "MultiPolygon", "marks_points": "Point"}
    cells = gpd.read_file(path, layer="tasks_polygons")
    assert len(cells) == 12 and cells.crs.to_epsg() == 4326 and cells["answers"].tolist() == [3] * 12
    marks = gpd.read_file(path, layer="marks_points")
    assert len(marks) == 1 and marks["support"].tolist() == [2]
    assert marks["task_id"].iloc[0] in cells["task_id"].tolist()


def test_question_campaign_geopackage_is_an_attribute_table(client, answered, tmp_path):
    import pyogrio
    path = tmp_path / "q.gpkg"
    path.write_bytes(download(client, answered.slug, "results.gpkg").get_data())
    assert [list(x) for x in pyogrio.list_layers(path)] == [["tasks", None]]
    table = pyogrio.read_dataframe(path, layer="tasks")
    assert len(table) == 5 and set(table["external_id"]) == {"t0", "t1", "t2", "t3", "t4"}
    doc = json.loads(download(client, answered.slug, "results.geojson").get_data())
    assert len(doc["features"]) == 5 and all(f["geometry"] is None for f in doc["features"])


def test_geopackage_is_built_off_the_request_with_progress_then_cached(app, client, make_campaign, answered,
                                                                          monkeypatch):
    app.config.update(JOBS_SYNC=False, EXPORTS_GPKG_SYNC_TASKS=0)

    def queued():  # GeoPackage builds sent to the memory queue (the campaign's quality build is sent beside them)
        return sorted({job_id for job_id, _eta in jobs.sent() if jobs.get(job_id).name == geo.GPKG_JOB})
    r = client.get(f"/data/{answered.slug}/results.gpkg")
    assert r.status_code == 202 and r.headers["Retry-After"]
    body = r.get_json()
    assert body["status"] == "building" and body["percent"] == 0 and body["status_url"].endswith("/status")
    assert client.get(f"/data/{answered.slug}/results.gpkg").status_code == 202 and len(queued()) == 1  # one build
    page = client.get(f"/data/{answered.slug}/").get_data(as_text=True)
    assert 'id="gpkg-progress"' in page
    assert client.get(body["status_url"]).get_json()["state"] == "building"
    jobs._run(queued()[0])
    db.session.expire_all()
    assert client.get(body["status_url"]).get_json()["state"] == "ready"
    first = download(client, answered.slug, "results.gpkg")
    assert first.get_data()[:15] == b"SQLite format 3"
    again = client.get(f"/data/{answered.slug}/results.gpkg", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and len(queued()) == 1
    assert "Ready" in client.get(f"/data/{answered.slug}/").get_data(as_text=True)


def test_photo_campaign_publishes_positions_and_images_without_exif(client, guest, org, organiser, app):
    import geopandas as gpd
    import pyogrio
    c = campaigns.create_campaign(org.id, organiser, {"title": "Quake", "kind": "damage", "redundancy": 1,
                                                      "settings": {}})
    campaigns.import_tasks(c, *photo_zip(2))
    campaigns.publish(c)
    db.session.commit()
    h = guest()
    task = next_task(client, c.slug, h)
    w, hgt = task["width"], task["height"]
    square = {"type": "Polygon", "coordinates": [[[10, 10], [60, 10], [60, 60], [10, 60], [10, 10]]]}
    assert submit(client, task["id"], {"answer": "major", "marks": fc(square)}, h).status_code == 201
    assert w and hgt
    table = list(csv.DictReader(io.StringIO(download(client, c.slug, "results.csv").get_data(as_text=True))))
    assert len(table) == 2 and all(t["image_url"].startswith("/media/") for t in table)
    for t in table:
        image = client.get(t["image_url"])
        assert image.status_code == 200
        with Image.open(io.BytesIO(image.get_data())) as img:
            assert not img.getexif() and "exif" not in img.info
    doc = json.loads(download(client, c.slug, "results.geojson").get_data())
    assert {f["geometry"]["type"] for f in doc["features"]} == {"Point"}
    assert {f["properties"]["marks_crs"] for f in doc["features"]} == {"pixel"}
    frame = gpd.read_file(io.BytesIO(json.dumps(doc).encode()))
    assert abs(frame.geometry.y.iloc[0] - 36.2) < 0.01
    gpkg = download(client, c.slug, "results.gpkg").get_data()
    path = app.config["EXPORTS_FOLDER"] + "/photos.gpkg"
    with open(path, "wb") as fh:
        fh.write(gpkg)
    assert dict(pyogrio.list_layers(path)) == {"tasks_points": "Point"}  # pixel marks are not map features


# --- datapackage.json and README.md ---------------------------------------------------------------
def test_datapackage_describes_every_file_and_validates(client, forest, tmp_path):
    r = download(client, forest.slug, "datapackage.json")
    assert r.headers["Content-Type"].startswith("application/json")
    dp = r.get_json()
    assert dp["licenses"][0]["name"] == "CC-BY-4.0" and dp["licenses"][0]["path"].startswith("https://")
    assert {res["path"] for res in dp["resources"]} == set(FILES) - {"datapackage.json"}
    for res in dp["resources"]:
        assert res["format"] and res["mediatype"] and res["name"]
    results = next(res for res in dp["resources"] if res["name"] == "results")
    types = {f["name"]: f["type"] for f in results["schema"]["fields"]}
    assert types["task_id"] == "integer" and types["confidence"] == "number" and types["decided"] == "boolean"
    assert types["longitude"] == "number" and types["cell"] == "string"
    header = download(client, forest.slug, "results.csv").get_data(as_text=True).splitlines()[0].split(",")
    assert header == [f["name"] for f in results["schema"]["fields"]]
    for name in FILES:
        (tmp_path / name).write_bytes(download(client, forest.slug, name).get_data())
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


def test_readme_is_generated_from_the_campaigns_settings(client, answered):
    r = download(client, answered.slug, "README.md")
    assert r.headers["Content-Type"].startswith("text/markdown")
    text = r.get_data(as_text=True)
    assert text.startswith(f"# {answered.title}")
    for phrase in ("asks for **4** answers", "less than 1.5 s", "Caps", "Dawid-Skene", "Groups of accounts count as one",
                   "Influence report", "largest share", "Exported: ", "CC-BY-4.0", "`voter_weight`", "pseudonym"):
        assert phrase in text, phrase


# --- the command line -------------------------------------------------------------------------------
def test_exports_build_command_writes_every_file(app, forest, tmp_path):
    import geopandas as gpd
    out = tmp_path / "out"
    result = app.test_cli_runner().invoke(args=["exports", "build", forest.slug, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "GeoPackage" in result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    assert len(gpd.read_file(out / "results.gpkg", layer="tasks_polygons")) == 12
    assert len(pd.read_csv(out / "answers.csv")) == 36
    bad = app.test_cli_runner().invoke(args=["exports", "build", "no-such-campaign"])
    assert bad.exit_code != 0 and "No campaign" in bad.output


def test_transcription_results_have_a_column_per_field_and_validate(client, guest, org, organiser, tmp_path):
    from tests.test_transcription import FIELDS, answer as tx_answer, make_pdf
    c = campaigns.create_campaign(org.id, organiser, {"title": "Expenses", "kind": "transcription", "redundancy": 3,
                                                      "settings": {"fields": FIELDS, "agree": 2, "max_answers": 5}})
    campaigns.import_tasks(c, "one.pdf", make_pdf(1))
    campaigns.publish(c)
    db.session.commit()
    for name in ("Amina Diallo", "Amina Diallo", "Société Générale"):
        h = guest()
        t = next_task(client, c.slug, h)
        assert submit(client, t["id"], tx_answer(name=name, when=None), h).status_code == 201
    table = list(csv.DictReader(io.StringIO(download(client, c.slug, "results.csv").get_data(as_text=True))))
    row = table[0]
    assert row["name"] == "Amina Diallo" and row["name_status"] == "verified" and row["amount"] == "1234.5"
    assert row["method"] == "agreement" and row["decided"] == "true" and row["status"] == "verified"
    assert json.loads(row["answer"])["name"] == "Amina Diallo"
    answers = list(csv.DictReader(io.StringIO(download(client, c.slug, "answers.csv").get_data(as_text=True))))
    assert len(answers) == 3 and {a["answer"] for a in answers} == {""} and {a["voter_weight"] for a in answers} == {""}
    assert "Société Générale" in answers[2]["value"]  # readable, not \\u-escaped
    assert json.loads(answers[2]["value"])["fields"]["name"] == "Société Générale"
    dp = download(client, c.slug, "datapackage.json").get_json()
    types = {f["name"]: f["type"] for f in dp["resources"][0]["schema"]["fields"]}
    assert types["amount"] == "number" and types["name_agreement"] == "number" and types["needs_review"] == "boolean"
    for name in FILES:
        (tmp_path / name).write_bytes(download(client, c.slug, name).get_data())
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]

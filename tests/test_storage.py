"""One storage interface, two backends (citizen.storage): the local folder and an S3-compatible object store, the
latter against moto's S3 server on loopback (tests/s3.py).

Each flow runs on both: a photo an organiser uploads reaches a volunteer, a PDF becomes pages (on the request and
in the render job), a GeoPackage is built and downloaded, a graphic original is never public. With S3 nothing is
written to the local media, exports or upload folders: no caller assumes a path on disk."""
import io
import os
import urllib.error
import urllib.request
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from citizen import storage
from citizen.campaigns import services as campaigns
from citizen.campaigns.models import Task
from citizen.extensions import db
from citizen.campaigns import builds
from citizen.storage.media import campaign_store
from tests.pdf_samples import make_pdf
from tests.s3 import bucket_keys, s3_config, s3_server  # noqa: F401  (fixtures)
from tests.helpers import new_guest as guest_headers
from tests.test_media_safety import GRAPHIC_INJURY, photos_zip, sealed, signed_in
from tests.test_transcription import FIELDS

API = "/api/v1"


@pytest.fixture(params=["local", "s3"])
def backend(request):
    """{} for the local folders, or the configuration of a fresh bucket of the S3 server."""
    if request.param == "local":
        return {}
    return request.getfixturevalue("s3_config")


@pytest.fixture
def app(make_app, backend, tmp_path):
    app = make_app(UPLOADS_FOLDER=str(tmp_path / "uploads"), **{k: v for k, v in backend.items() if k.isupper()})
    with app.app_context():
        yield app
        db.session.remove()


def local_files(app):
    """Every file under the local folders the local backend would use."""
    out = []
    for root in (app.config["MEDIA_FOLDER"], app.config["EXPORTS_FOLDER"], app.config["UPLOADS_FOLDER"]):
        for folder, _dirs, names in os.walk(root):
            out += [os.path.join(folder, n) for n in names]
    return out


def assert_stored_where_configured(app, backend, *prefixes):
    """With S3: the bucket holds files under each prefix and the local folders hold nothing."""
    if backend:
        keys = bucket_keys(backend)
        for prefix in prefixes:
            assert any(k.startswith("site/" + prefix) for k in keys), (prefix, keys)
        assert local_files(app) == []
    else:
        assert local_files(app)


def fetch(url):
    """GET a URL outside the app (a presigned URL of the S3 server): (status, headers, body)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


# --- the interface ---------------------------------------------------------------------------------

@pytest.mark.parametrize("area", storage.AREAS)
def test_every_area_keeps_reads_lists_and_deletes_files(app, area):
    store = storage.area(area)
    assert store.get("1/a.bin") is None and store.open("1/a.bin") is None and store.stat("1/a.bin") is None
    assert not store.exists("1/a.bin") and store.read_head("1/a.bin", 4) is None
    store.put("1/a.bin", b"first")
    store.put("1/a.bin", b"second version")  # replaced whole
    store.put("1/b.bin", b"b")
    store.put("2/c.bin", b"c")
    assert store.get("1/a.bin") == b"second version" and store.read_head("1/a.bin", 6) == b"second"
    with store.open("1/a.bin") as fh:
        assert fh.read() == b"second version"
    found = store.stat("1/a.bin")
    assert found.size == len(b"second version") and found.tag and found.modified.tzinfo is not None
    assert [k for k, _st in store.list("1/")] == ["1/a.bin", "1/b.bin"]
    assert [k for k, _st in store.list("1/a")] == ["1/a.bin"]
    assert [k for k, _st in store.list("")] == ["1/a.bin", "1/b.bin", "2/c.bin"]
    store.delete("1/a.bin")
    store.delete("1/a.bin")  # deleting what is gone is no error
    assert not store.exists("1/a.bin") and [k for k, _st in store.list("1/")] == ["1/b.bin"]
    for bad in ("", "/1/a.bin", "1//a.bin", "1/../2/c.bin", "./1/b.bin", "1\\b.bin", "1/b.bin\x00"):
        assert not storage.valid_key(bad)
        with pytest.raises(ValueError):
            store.put(bad, b"x")


def test_a_preview_never_confirmed_is_forgotten_by_the_workers_chore(app, backend):
    from datetime import datetime, timedelta, timezone

    from citizen.campaigns import uploads
    from citizen.jobs import worker
    token = uploads.stash(7, "area.geojson", b"{}")
    now = datetime.now(timezone.utc)
    assert uploads.forget_stale(app, now=now + timedelta(hours=23)) == 0
    assert uploads.take(7, token) == ("area.geojson", b"{}")
    assert uploads.forget_stale(app, now=now + timedelta(hours=25)) == 1
    assert uploads.take(7, token) is None and storage.uploads_store().list("") == []
    assert worker._chores["forget-stale-uploads"] == (uploads.forget_stale, 3600.0)  # registered by create_app


def test_a_chore_runs_once_per_period_and_a_failing_one_stops_nothing(app):
    from citizen.jobs import worker
    runs = []

    def broken(_app):
        raise RuntimeError("store away")

    worker.register_chore("test-count", lambda a: runs.append(a), every_seconds=60)
    worker.register_chore("test-broken", broken, every_seconds=60)
    try:
        last = {}
        worker.run_chores(app, last, 1000.0)
        worker.run_chores(app, last, 1030.0)  # within the period: not again
        worker.run_chores(app, last, 1061.0)
        assert runs == [app, app]
        with pytest.raises(ValueError):
            worker.register_chore("test-count", broken, every_seconds=60)
    finally:
        worker._chores.pop("test-count", None)
        worker._chores.pop("test-broken", None)


def test_the_local_backend_serves_paths_and_s3_presigned_urls(app, backend):
    store = storage.media_store()
    store.put("demo/x.pdf", b"%PDF-1.4 not really", content_type="application/pdf")
    if not backend:
        assert store.local and store.local_path("demo/x.pdf").startswith(app.config["MEDIA_FOLDER"])
        assert store.url_for("demo/x.pdf", 60) is None
        return
    assert store.local_path("demo/x.pdf") is None
    url = store.url_for("demo/x.pdf", 60, content_type="application/pdf", download_name="x.pdf")
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["60"]
    status, headers, body = fetch(url)
    assert status == 200 and body == b"%PDF-1.4 not really"
    assert headers["Content-Type"] == "application/pdf" and 'filename="x.pdf"' in headers["Content-Disposition"]
    # Not public: the object without a signature is refused.
    assert fetch(f"{backend['STORAGE_ENDPOINT']}/{backend['bucket']}/site/media/demo/x.pdf")[0] == 403


def test_a_store_named_wrongly_is_refused(make_app):
    app = make_app(STORAGE_URL="ftp://somewhere/else")
    with app.app_context(), pytest.raises(ValueError, match="s3://bucket/prefix"):
        storage.media_store()


# --- photos: uploaded by the organiser (preview, then confirm), fetched by a volunteer ---------------

def test_uploaded_photos_reach_a_volunteer_through_the_preview_stash(app, client, org, organiser, backend):
    c = campaigns.create_campaign(org.id, organiser, {"title": "Roofs", "kind": "damage", "settings": {},
                                                      "redundancy": 1})
    db.session.commit()
    staff = signed_in(app, organiser.email)
    r = staff.post(f"/organise/{c.slug}/", data={"action": "preview", "file": (io.BytesIO(photos_zip(3)), "p.zip")})
    assert r.status_code == 200
    token = r.get_data(as_text=True).split('name="stash" value="')[1].split('"')[0]
    assert [k for k, _st in storage.uploads_store().list(f"{c.id}/")] == [f"{c.id}/{token}__p.zip"]
    r = staff.post(f"/organise/{c.slug}/", data={"action": "import", "stash": token}, follow_redirects=True)
    assert "3 tasks imported." in r.get_data(as_text=True)
    assert storage.uploads_store().list(f"{c.id}/") == []  # taken once confirmed
    campaigns.publish(c)
    db.session.commit()
    h = guest_headers(client)
    task = client.get(f"{API}/campaigns/{c.slug}/tasks/next", headers=h).get_json()
    r = client.get(task["image_url"], headers=h)
    assert r.status_code == 200 and r.mimetype == "image/jpeg" and r.get_data()[:3] == b"\xff\xd8\xff"
    sealed(r)
    assert r.headers["Content-Length"] == str(len(r.get_data())) and r.headers["ETag"]
    again = client.get(task["image_url"], headers={**h, "If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and not again.get_data()
    assert client.get(task["image_url"][:-4] + ".png").status_code == 404
    assert_stored_where_configured(app, backend, f"media/campaigns/{c.id}/")


def test_a_failed_import_takes_its_stored_files_back(app, org, organiser, backend):
    c = campaigns.create_campaign(org.id, organiser, {"title": "Roofs", "kind": "damage", "settings": {}})
    store = campaign_store(c.id)
    url = store.save("a.png", make_pdf(1))
    key = url[len("/media/"):]
    assert storage.media_store().exists(key)
    store.discard()
    assert not storage.media_store().exists(key) and storage.media_store().list(f"campaigns/{c.id}/") == []


# --- PDFs: pages rendered on the request and in the job ----------------------------------------------

def test_pdf_pages_are_rendered_into_the_store_and_served(app, client, org, organiser, guest, backend, monkeypatch):
    monkeypatch.setitem(app.config, "PDF_RENDER_SYNC_PAGES", 2)  # 3 pages: rendered by the job (JOBS_SYNC)
    for name, pages in (("short.pdf", 2), ("long.pdf", 3)):
        c = campaigns.create_campaign(org.id, organiser, {"title": name, "kind": "transcription", "redundancy": 2,
                                                          "settings": {"fields": FIELDS}})
        assert campaigns.import_tasks(c, name, make_pdf(pages)) == pages
        campaigns.publish(c)
        db.session.commit()
        tasks = db.session.execute(select(Task).where(Task.campaign_id == c.id).order_by(Task.id)).scalars().all()
        assert all(t.available and not t.payload["pending"] for t in tasks)
        assert [t.payload["pages"][0]["page"] for t in tasks] == list(range(1, pages + 1))
        task = client.get(f"{API}/campaigns/{c.slug}/tasks/next", headers=guest()).get_json()
        r = client.get(task["pages"][0]["image_url"])
        assert r.status_code == 200 and r.mimetype == "image/jpeg"
        sealed(r)
        pdf = client.get(tasks[0].payload["pdf_url"])
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.get_data().startswith(b"%PDF-")
        assert pdf.headers["Content-Disposition"].startswith("attachment")
        keys = [k for k, _st in storage.media_store().list(f"campaigns/{c.id}/")]
        assert sum(k.endswith(".jpg") for k in keys) == pages and sum(k.endswith(".pdf") for k in keys) == 1
    assert_stored_where_configured(app, backend, "media/campaigns/")


# --- built files: quality builds and the GeoPackage ----------------------------------------------------

def _answer(client, c, guest, n):
    for _ in range(n):
        h = guest()
        task = client.get(f"{API}/campaigns/{c.slug}/tasks/next", headers=h).get_json()
        r = client.post(f"{API}/tasks/{task['id']}/answers", json={"value": "yes"},
                        headers={**h, "Idempotency-Key": str(uuid.uuid4())})
        assert r.status_code in (200, 201), r.get_data(as_text=True)


def _answered(make_campaign, client, guest, tasks=2):
    c = make_campaign(tasks=tasks, redundancy=1)
    _answer(client, c, guest, 2)
    return c


def test_a_geopackage_is_built_into_the_store_and_downloaded(app, client, make_campaign, guest, backend):
    c = _answered(make_campaign, client, guest)
    r = client.get(f"/data/{c.slug}/results.gpkg")
    if backend:  # a short-lived presigned URL of the object store, never cached
        assert r.status_code == 302 and "no-store" in r.headers["Cache-Control"]
        assert parse_qs(urlsplit(r.location).query)["X-Amz-Expires"] == ["300"]
        status, headers, body = fetch(r.location)
        assert status == 200 and headers["Content-Type"] == "application/geopackage+sqlite3"
        assert f'filename="{c.slug}-results.gpkg"' in headers["Content-Disposition"]
        app.config["STORAGE_EXPORTS_REDIRECT"] = 0  # streamed through the app instead
        r = client.get(f"/data/{c.slug}/results.gpkg")
    body = r.get_data()
    assert r.status_code == 200 and body.startswith(b"SQLite format 3\x00")
    assert r.headers["Content-Disposition"] == f'attachment; filename="{c.slug}-results.gpkg"'
    assert client.get(f"/data/{c.slug}/results.gpkg",
                      headers={"If-None-Match": r.headers["ETag"]}).status_code == 304
    if backend:
        assert r.headers["Content-Length"] == str(len(body)) == str(storage.exports_store().stat(
            [k for k, _st in storage.exports_store().list(f"{c.id}/results-")][0]).size)
    assert builds.latest(c.id)["answers"] == 2  # the quality build is in the same store
    assert storage.exports_store().exists(builds.key(c.id))
    assert_stored_where_configured(app, backend, f"exports/{c.id}/results-", f"exports/{c.id}/quality.json")


def test_a_newer_geopackage_replaces_the_older_one(app, client, make_campaign, guest, backend):
    from citizen.exports import geo
    c = _answered(make_campaign, client, guest, tasks=3)
    first = geo.build_current(c)
    assert geo.build_current(c) == first  # built once per data version
    _answer(client, c, guest, 1)
    db.session.expire_all()
    second = geo.build_current(c)
    assert first != second and [k for k, _st in storage.exports_store().list(f"{c.id}/results-")] == [second]
    assert geo.last_built(c.id)[0] == second and second.endswith(f"results-{geo.file_tag(second)}.gpkg")


# --- a graphic campaign: the original never public ------------------------------------------------------

def test_a_graphic_original_is_never_public_and_served_only_after_the_consent_check(app, client, org, organiser,
                                                                                     backend):
    c = campaigns.create_campaign(org.id, organiser, {"title": "Drone", "kind": "damage", "settings": {},
                                                      "wellbeing": GRAPHIC_INJURY})
    campaigns.import_tasks(c, "photos.zip", photos_zip(2))
    campaigns.publish(c)
    db.session.commit()
    originals = [p["image_url"] for p in db.session.execute(select(Task.payload).where(Task.campaign_id == c.id))
                 .scalars()]
    if backend:  # with redirects on: the checks come first, and only then a URL valid 60 s
        app.config["STORAGE_MEDIA_REDIRECT"] = 60
    for url in originals:
        assert client.get(url).status_code == 404
    h = guest_headers(client)
    task = client.get(f"{API}/campaigns/{c.slug}/tasks/next", headers=h).get_json()
    blurred = client.get(task["image_url"], headers=h)
    assert task["blurred"] and task["image_url"] not in originals and blurred.status_code in (200, 302)
    db.session.expire_all()
    original = db.session.get(Task, task["id"]).payload["image_url"]
    assert client.get(original, headers=h).status_code == 404  # not revealed yet
    assert client.post(task["reveal_url"], headers=h).get_json()["image_url"] == original
    r = client.get(original, headers=h)
    if backend:
        assert r.status_code == 302 and "no-store" in r.headers["Cache-Control"]
        assert parse_qs(urlsplit(r.location).query)["X-Amz-Expires"] == ["60"]
        status, headers, body = fetch(r.location)
        assert status == 200 and headers["Content-Type"] == "image/jpeg" and body[:3] == b"\xff\xd8\xff"
        # The object itself is not public-read: without a signature the store refuses it.
        key = original[len("/media/"):]
        assert fetch(f"{backend['STORAGE_ENDPOINT']}/{backend['bucket']}/site/media/{key}")[0] == 403
        app.config["STORAGE_MEDIA_REDIRECT"] = 0
        r = client.get(original, headers=h)
    assert r.status_code == 200 and r.mimetype == "image/jpeg"
    sealed(r)
    assert client.get(original, headers=guest_headers(client)).status_code == 404
    assert client.get(original).status_code == 404
    assert signed_in(app, organiser.email).get(original).status_code == 200
    assert_stored_where_configured(app, backend, f"media/campaigns/{c.id}/")
    assert sum(k.endswith("-blurred.jpg") for k, _st in storage.media_store().list(f"campaigns/{c.id}/")) == 2

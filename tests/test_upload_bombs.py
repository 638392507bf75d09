"""Hostile uploads through the real HTTP paths an organiser uses (issue 10): the manage page's
preview and import (HTML form) and the API's task import, for every kind of file the app takes:
photos and ZIPs of photos (damage), PDFs and ZIPs of PDFs (transcription), areas of interest
(GeoJSON, GeoPackage, zipped Shapefile), CSV/JSON task lists, and the API's answer import.

Each hostile upload must get a clear 4xx (422 for a file that cannot be used, 413 over
MAX_CONTENT_LENGTH) with a message that names the problem, and leave nothing behind: no task,
no job, no file in the media folder, no preview kept in the upload stash, and nothing written
outside the media folder (ZIP path traversal). Limits are set small in the app's config so the
files stay small and the tests fast.
"""
import html
import io
import json
import os
import re
import struct
import tempfile
import uuid
import zipfile
import zlib

import pytest
from PIL import Image
from sqlalchemy import func, select

from citizen.accounts import services as accounts
from citizen.campaigns import services as campaigns
from citizen.ingest import areas, photos
from citizen.campaigns.models import Answer, Campaign, Task
from citizen.extensions import db
from citizen.jobs.models import Job
from tests.helpers import sign_in
from tests.pdf_samples import encrypted_pdf, make_pdf, zip_of

API = "/api/v1"
LIMITS = {"MAX_CONTENT_LENGTH": 3_000_000, "IMPORT_MAX_ROWS": 6, "PDF_MAX_BYTES": 200_000, "PDF_MAX_FILES": 20,
          "PDF_MAX_PAGES": 10, "PDF_MAX_IMPORT_PAGES": 9, "PDF_RENDER_SYNC_PAGES": 40}
QUESTION = {"question": "Is there a red roof?", "options": [{"value": "yes", "label": "Yes"},
                                                            {"value": "no", "label": "No"}]}
TILES = {"tiles_after": "/tiles/demo/forest-after/{z}/{x}/{y}.png", "cell_km": 1}
FIELDS = "name | Name | text |  |\namount | Amount | money | |"
SETTINGS = {"question": QUESTION, "damage": {}, "deforestation": TILES, "transcription": {"fields": FIELDS}}
# A 4 km x 3 km rectangle near the equator: 12 cells of 1 km.
AREA = {"type": "Polygon", "coordinates": [[[10.0, 0.0], [10.036, 0.0], [10.036, 0.027], [10.0, 0.027], [10.0, 0.0]]]}


# --- the app, an organiser signed in, a campaign per kind ------------------------------------------

@pytest.fixture
def app(make_app, tmp_path):
    """The app with small upload limits, and its instance folder (where previews are stashed) in tmp."""
    app = make_app(**LIMITS)
    app.instance_path = str(tmp_path / "instance")
    os.makedirs(app.instance_path)
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def site(app, organiser):
    client = app.test_client()
    return sign_in(client, organiser.email)


@pytest.fixture
def api(app, organiser):
    token = accounts.create_api_token(organiser)
    db.session.commit()
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


@pytest.fixture
def campaign(app, org, organiser):
    made = {}

    def factory(kind):
        if kind not in made:
            made[kind] = campaigns.create_campaign(org.id, organiser, {
                "title": f"Hostile {kind}", "kind": kind, "settings": SETTINGS[kind]})
            db.session.commit()
        return made[kind]
    return factory


@pytest.fixture
def marker():
    """A unique name for files a traversal would write, searched for everywhere afterwards."""
    return "evil" + uuid.uuid4().hex[:12]


# --- what is stored ------------------------------------------------------------------------------

def files_under(root):
    out = set()
    for folder, _dirs, names in os.walk(root):
        out.update(os.path.relpath(os.path.join(folder, n), root) for n in names)
    return out


def stored(app):
    """Everything an upload could leave behind."""
    db.session.expire_all()
    count = lambda model: db.session.execute(select(func.count()).select_from(model)).scalar_one()  # noqa: E731
    return {"media": files_under(app.config["MEDIA_FOLDER"]),
            "stash": files_under(os.path.join(app.instance_path, "uploads")),
            "tasks": count(Task), "jobs": count(Job), "answers": count(Answer),
            "tasks_total": db.session.execute(select(func.coalesce(func.sum(Campaign.tasks_total), 0))).scalar_one()}


def assert_nothing_escaped(app, marker):
    """No file named after `marker` anywhere a ZIP's "../" or absolute path could have put it."""
    tmp = os.path.dirname(os.path.dirname(app.config["MEDIA_FOLDER"]))  # pytest's folder of this session
    for root in (tmp, app.instance_path):
        for folder, dirs, names in os.walk(root):
            assert not [n for n in names + dirs if marker in n], folder
    for folder in (tempfile.gettempdir(), os.getcwd(), "/", os.path.expanduser("~")):
        assert not [n for n in os.listdir(folder) if marker in n], folder


# --- sending a file ------------------------------------------------------------------------------

def message_of(r):
    if r.mimetype == "application/json":
        return json.dumps(r.get_json(), ensure_ascii=False)
    return html.unescape(r.get_data(as_text=True))


def send_form(client, slug, name, data, action):
    return client.post(f"/organise/{slug}/", data={"action": action, "file": (io.BytesIO(data), name)})


def send_api(client, slug, name, data):
    return client.post(f"{API}/campaigns/{slug}/tasks", data={"file": (io.BytesIO(data), name)})


def refused_everywhere(app, site, api, slug, name, data, expected, status=422):
    """The upload is refused by the form's preview, the form's import and the API, each time with
    `status`, a message containing every `expected` text, and nothing stored."""
    before = stored(app)
    answers = {"preview": send_form(site, slug, name, data, "preview"),
               "import": send_form(site, slug, name, data, "import"),
               "api": send_api(api, slug, name, data)}
    for via, r in answers.items():
        text = message_of(r)
        assert r.status_code == status, (via, r.status_code, text[:2000])
        for words in ([expected] if isinstance(expected, str) else expected):
            assert words in text, (via, words, text[-3000:])
        assert "Traceback" not in text and "Something went wrong" not in text
    assert "Nothing was imported" in message_of(answers["import"]) or status != 422
    assert answers["api"].get_json()["code"] == ("invalid" if status == 422 else "too_large")
    assert stored(app) == before
    return answers


# --- files ---------------------------------------------------------------------------------------

def jpeg(width=64, height=48, color=(40, 120, 60)):
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "JPEG")
    return buf.getvalue()


def image(fmt, width=32, height=24):
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 10, 10)).save(buf, fmt)
    return buf.getvalue()


def _chunk(tag, body):
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))


def png_declaring(width, height):
    """A PNG a few hundred bytes long that declares width x height RGB pixels (the rows it holds
    are a few zeros: a decoder that trusted the header would allocate width*height*3 bytes)."""
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(b"\0" * 4096, 9)) + _chunk(b"IEND", b""))


def jpeg_declaring(width, height):
    """A small JPEG whose frame header (SOF0) is forged to declare width x height pixels."""
    data = bytearray(jpeg())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def png_with_bad_crc():
    data = bytearray(image("PNG"))
    idat = data.index(b"IDAT")
    data[idat + 6] ^= 0xFF  # inside the compressed pixels; the chunk's CRC no longer matches
    return bytes(data)


def zip_with_link(name, target, extra=()):
    """A ZIP holding a symbolic link `name` -> `target` (as Info-ZIP stores one with -y)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in extra:
            zf.writestr(member, data)
        info = zipfile.ZipInfo(name)
        info.create_system = 3
        info.external_attr = 0o120777 << 16
        zf.writestr(info, target)
    return buf.getvalue()


def encrypted_member_zip(name, data):
    """A ZIP whose member is flagged as encrypted (traditional PKWARE encryption)."""
    out = bytearray(zip_of([(name, data)]))
    out[6] |= 1  # general purpose flag of the local header
    out[out.rfind(b"PK\x01\x02") + 8] |= 1  # ...and of the central directory
    return bytes(out)


def damaged_deflate_zip(name, data, extra=()):
    """A ZIP whose member's compressed bytes are damaged (CRC and sizes still as declared)."""
    out = bytearray(zip_of(list(extra) + [(name, data)]))
    info = zipfile.ZipFile(io.BytesIO(bytes(out))).getinfo(name)
    start = info.header_offset + 30 + len(name.encode())
    for i in range(start + 2, start + 30):
        out[i] ^= 0xFF
    return bytes(out)


def forged_offset_zip(name, data):
    """A ZIP whose end record points its central directory 2 GB away."""
    out = bytearray(zip_of([(name, data)]))
    end = out.rfind(b"PK\x05\x06")
    out[end + 16:end + 20] = (2 ** 31).to_bytes(4, "little")
    return bytes(out)


def declaring_sizes(data, size):
    """The same ZIP with every member's uncompressed size forged to `size` in the central directory."""
    out = bytearray(data)
    at = out.find(b"PK\x01\x02")
    while at != -1:
        out[at + 24:at + 28] = size.to_bytes(4, "little")
        at = out.find(b"PK\x01\x02", at + 4)
    return bytes(out)


def pdf_with_a_missing_page():
    """Opens and counts 2 pages; the second cannot be loaded (its object does not exist)."""
    return make_pdf(2).replace(b"/Kids [3 0 R\n5 0 R]", b"/Kids [3 0 R\n99 0 R]")


def shapefile_zip(members):
    return zip_of(members)


# --- images ---------------------------------------------------------------------------------------

PHOTO_CASES = {
    # decompression bombs: declared pixels, tiny on disk
    "png 30000x30000": ("bomb.png", lambda: png_declaring(30_000, 30_000), "too many pixels"),
    "png 10000x10000 (warning range)": ("big.png", lambda: png_declaring(10_000, 10_000), "too many pixels"),
    "jpeg 65000x65000": ("bomb.jpg", lambda: jpeg_declaring(65_000, 65_000), "too many pixels"),
    # wrong extension
    "pdf named .jpg": ("scan.jpg", lambda: make_pdf(1), "scan.jpg: not a photo"),
    "text named .jpg": ("photo.jpg", lambda: b"just some text, not a photo", "photo.jpg: not a photo"),
    "html named .png": ("x.png", lambda: b"<html><script>alert(1)</script></html>", "not a photo"),
    "gif named .jpg": ("anim.jpg", lambda: image("GIF"), "a GIF picture: upload JPEG, PNG or WebP"),
    "bmp named .png": ("pic.png", lambda: image("BMP"), "a BMP picture"),
    # truncated or corrupt
    "truncated jpeg": ("cut.jpg", lambda: jpeg(400, 300)[:600], "cut.jpg: not a photo (JPEG, PNG or WebP) that can be opened"),
    "png with a bad CRC": ("crc.png", png_with_bad_crc, "not a photo (JPEG, PNG or WebP) that can be opened"),
    "empty file": ("empty.jpg", lambda: b"", "not a photo"),
}


@pytest.mark.parametrize("case", PHOTO_CASES, ids=list(PHOTO_CASES))
def test_hostile_photo_is_refused_and_nothing_stored(app, site, api, campaign, case):
    name, data, expected = PHOTO_CASES[case]
    refused_everywhere(app, site, api, campaign("damage").slug, name, data(), expected)


@pytest.mark.parametrize("case", PHOTO_CASES, ids=list(PHOTO_CASES))
def test_hostile_photo_in_a_zip_is_left_out_and_named(app, site, api, campaign, case):
    """A ZIP as a drone's card gives it: the hostile file is left out and named with its reason (in the form's
    preview and the API's warnings), the good photo beside it is imported, and only its clean copy is stored."""
    name, data, expected = PHOTO_CASES[case]
    c = campaign("damage")
    upload = zip_of([("good.jpg", jpeg()), (f"flight/{name}", data())])
    reason = expected.split(": ", 1)[-1]
    before = stored(app)
    preview = message_of(send_form(site, c.slug, "drone.zip", upload, "preview"))
    assert "These files will be left out; the others will be imported:" in preview and reason in preview
    r = send_api(api, c.slug, "drone.zip", upload)
    assert r.status_code == 201, message_of(r)
    body = r.get_json()
    assert body["imported"] == 1 and len(body["warnings"]) == 1 and reason in body["warnings"][0]["message"]
    after = stored(app)
    assert after["tasks"] == before["tasks"] + 1 and len(after["media"]) == len(before["media"]) + 1
    assert [t.payload["name"] for t in db.session.execute(select(Task).where(Task.campaign_id == c.id)).scalars()] \
        == ["good.jpg"]


@pytest.mark.parametrize("case", PHOTO_CASES, ids=list(PHOTO_CASES))
def test_a_zip_with_no_usable_photo_is_refused_and_nothing_stored(app, site, api, campaign, case):
    name, data, expected = PHOTO_CASES[case]
    refused_everywhere(app, site, api, campaign("damage").slug, "drone.zip", zip_of([(f"flight/{name}", data())]),
                       ["Nothing was imported", expected.split(": ", 1)[-1]])


def test_image_named_as_a_pdf_is_not_a_pdf(app, site, api, campaign):
    refused_everywhere(app, site, api, campaign("transcription").slug, "scan.pdf", image("PNG"),
                       "scan.pdf: not a PDF file")


def test_image_named_as_a_pdf_for_a_photo_campaign(app, site, api, campaign):
    refused_everywhere(app, site, api, campaign("damage").slug, "photo.pdf", image("PNG"), "not UTF-8 text")


def test_photo_with_a_damaged_exif_block_is_imported_without_its_position(app, api, campaign):
    """Pillow decodes the pixels but cannot parse the EXIF: the photo is usable, its position is not
    (this used to be a 500)."""
    data = photos.with_gps(jpeg(), 12.3, 45.6)
    at = data.index(b"Exif\x00\x00") + 6
    data = data[:at] + b"MM\x00\xd1" + data[at + 4:]  # not a TIFF header any more
    r = send_api(api, campaign("damage").slug, "odd.jpg", data)
    assert r.status_code == 201, r.get_json()
    task = db.session.execute(select(Task)).scalar_one()
    assert "lat" not in task.payload and task.payload["width"] == 64
    [copy] = files_under(app.config["MEDIA_FOLDER"])
    with open(os.path.join(app.config["MEDIA_FOLDER"], copy), "rb") as fh:
        assert not Image.open(fh).getexif()  # the clean copy carries no EXIF at all


# --- ZIPs of photos ------------------------------------------------------------------------------

def photo_zip_cases(marker):
    good = ("good.jpg", jpeg())
    return {
        "dot-dot path": (zip_of([good, (f"../../{marker}.jpg", jpeg())]), ["unsafe path", f"../../{marker}.jpg"]),
        "absolute path": (zip_of([good, (f"/tmp/{marker}.jpg", jpeg())]), "unsafe path"),
        "windows drive": (zip_of([good, (f"C:\\{marker}.jpg", jpeg())]), "unsafe path"),
        "backslash dot-dot": (zip_of([good, (f"..\\..\\{marker}.jpg", jpeg())]), "unsafe path"),
        "symlink": (zip_with_link(f"{marker}.jpg", "../../../../etc/passwd", [good]), "a link to another file"),
        "member compressed 1000-fold": (zip_of([good, ("zeros.jpg", b"\0" * 20_000_000)]),
                                        "compressed suspiciously well"),
        "member over 25 MB": (zip_of([good, ("huge.jpg", b"\0" * 26_000_000)]), "larger than 25 MB"),
        "many 1 MB members of zeros": (zip_of([good] + [(f"z{i}.jpg", b"\0" * 1_000_000) for i in range(15)]),
                                       "expands more than 100-fold once unzipped"),
        "2001 members": (zip_of([(f"p{i}.jpg", b"x") for i in range(2001)]), "holds 2001 files: upload at most 2000"),
        "declared 2.5 GB in all": (declaring_sizes(zip_of([(f"p{i}.jpg", b"x") for i in range(100)]), 25_000_000),
                                   "larger than 2,000 MB once unzipped"),
        "nested zip": (zip_of([good, ("inner.zip", zip_of([("a.jpg", jpeg())]))]), "inner.zip: not a photo"),
        "nested zip named .jpg": (zip_of([good, ("inner.jpg", zip_of([("a.jpg", jpeg())]))]), "inner.jpg: not a photo"),
        "encrypted member": (encrypted_member_zip("secret.jpg", jpeg()), "cannot be unzipped (damaged or encrypted)"),
        "damaged deflate stream": (damaged_deflate_zip("bad.jpg", jpeg(400, 300), [good]), "cannot be unzipped"),
        "forged central directory offset": (forged_offset_zip("a.jpg", jpeg()), "a.jpg: cannot be unzipped"),
        "not a zip at all": (b"PK\x03\x04 this is not a zip", "not a valid zip file"),
        "too many photos for one import": (zip_of([(f"p{i}.jpg", jpeg()) for i in range(7)]),
                                           "The file has 7 tasks; at most 6 can be imported at once"),
    }


CASE_IDS = list(photo_zip_cases("x"))


# A member that is not a photo, or is hostile (an unsafe path, a link, a bomb, too large, damaged), is left out and
# named while the good photo beside it is imported, as the PDF import does; an archive that is hostile as a
# whole (broken, too many files, too large or too compressed in all) or holds no usable photo imports nothing.
LEFT_OUT = {"dot-dot path", "absolute path", "windows drive", "backslash dot-dot", "symlink",
            "member compressed 1000-fold", "member over 25 MB", "nested zip", "nested zip named .jpg",
            "damaged deflate stream"}


@pytest.mark.parametrize("case", CASE_IDS)
def test_hostile_photo_zip_is_refused_or_its_member_left_out(app, site, api, campaign, marker, case):
    data, expected = photo_zip_cases(marker)[case]
    c = campaign("damage")
    if case not in LEFT_OUT:
        refused_everywhere(app, site, api, c.slug, "drone.zip", data, expected)
    else:
        before = stored(app)
        r = send_api(api, c.slug, "drone.zip", data)
        assert r.status_code == 201, message_of(r)
        warned = json.dumps(r.get_json()["warnings"], ensure_ascii=False)
        for words in ([expected] if isinstance(expected, str) else expected):
            assert words in warned, (words, warned)
        assert r.get_json()["imported"] == 1 and stored(app)["tasks"] == before["tasks"] + 1
        assert len(stored(app)["media"]) == len(before["media"]) + 1  # the good photo's clean copy alone
    assert_nothing_escaped(app, marker)


def test_single_photo_over_25_mb(app, site, api, campaign, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 40_000_000)
    data = jpeg() + b"\0" * 25_000_000
    refused_everywhere(app, site, api, campaign("damage").slug, "big.jpg", data, "big.jpg is larger than 25 MB")


# --- PDFs ----------------------------------------------------------------------------------------

PDF_CASES = {
    "truncated": ("report.pdf", lambda: make_pdf(2)[:300], "report.pdf: the PDF is damaged"),
    "garbage after the header": ("zeros.pdf", lambda: b"%PDF-1.7\n" + b"\0" * 500, "the PDF is damaged"),
    "a page that cannot be loaded": ("holes.pdf", pdf_with_a_missing_page, "the PDF is damaged and cannot be read (page 2)"),
    "encrypted": ("locked.pdf", encrypted_pdf, "locked.pdf: the PDF is protected by a password"),
    "text named .pdf": ("notes.pdf", lambda: b"hello, I am a text file", "notes.pdf: not a PDF file"),
    "jpeg named .pdf": ("photo.pdf", jpeg, "not a PDF file"),
    "over PDF_MAX_BYTES": ("big.pdf", lambda: make_pdf(1) + b"%" + b"x" * 250_000, "big.pdf: larger than 0.2 MB"),
    "over PDF_MAX_PAGES": ("long.pdf", lambda: make_pdf(11), "the PDF has 11 pages: at most 10 per document"),
    "more pages than IMPORT_MAX_ROWS": ("seven.pdf", lambda: make_pdf(7),
                                        "The file has 7 tasks; at most 6 can be imported at once"),
}


@pytest.mark.parametrize("case", PDF_CASES, ids=list(PDF_CASES))
def test_hostile_pdf_is_refused_and_nothing_stored(app, site, api, campaign, case):
    """"More pages than IMPORT_MAX_ROWS" is rendered on the request before the row limit refuses it:
    the PDF and its page images are taken back."""
    name, data, expected = PDF_CASES[case]
    refused_everywhere(app, site, api, campaign("transcription").slug, name, data(), expected)


def pdf_zip_cases(marker):
    return {
        "dot-dot path": (zip_of([(f"../../{marker}.pdf", make_pdf(1))]), f"../../{marker}.pdf: unsafe path"),
        "absolute path": (zip_of([(f"/tmp/{marker}.pdf", make_pdf(1))]), "unsafe path"),
        "symlink": (zip_with_link(f"{marker}.pdf", "/etc/passwd"), "a link to another file"),
        # PDF_MAX_BYTES x PDF_MAX_FILES / 10 is the most a ZIP of PDFs may hold unzipped: 0.4 MB here
        "member of 20 MB of zeros": (zip_of([("bomb.pdf", b"%PDF-1.4\n" + b"\0" * 20_000_000)]),
                                     "batch.zip is larger than 0.4 MB once unzipped"),
        "member over PDF_MAX_BYTES": (zip_of([("big.pdf", make_pdf(1) + b"%" + b"x" * 250_000)], zipfile.ZIP_STORED),
                                      "big.pdf: larger than 0.2 MB"),
        "member declaring more than PDF_MAX_BYTES": (zip_of([("big.pdf", make_pdf(1) + b"%" + b" " * 250_000)]),
                                                     "larger than 0.2 MB"),
        "21 members": (zip_of([(f"{i}.pdf", make_pdf(1)) for i in range(21)]), "holds 21 files: upload at most 20"),
        "nested zip": (zip_of([("inner.zip", zip_of([("a.pdf", make_pdf(1))]))]), "inner.zip: not a PDF"),
        "encrypted member": (encrypted_member_zip("secret.pdf", make_pdf(1)), "cannot be unzipped"),
        "damaged deflate stream": (damaged_deflate_zip("bad.pdf", make_pdf(3)), "cannot be unzipped"),
        "forged central directory offset": (forged_offset_zip("a.pdf", make_pdf(1)), "a.pdf: cannot be unzipped"),
        "more pages in all than PDF_MAX_IMPORT_PAGES": (zip_of([("ten.pdf", make_pdf(10))]),
                                                        "ten.pdf: left out: one import takes at most 9 pages in all"),
    }


@pytest.mark.parametrize("case", list(pdf_zip_cases("x")))
def test_zip_of_only_hostile_pdfs_is_refused_and_nothing_stored(app, site, api, campaign, marker, case):
    data, expected = pdf_zip_cases(marker)[case]
    refused_everywhere(app, site, api, campaign("transcription").slug, "batch.zip", data, expected)
    assert_nothing_escaped(app, marker)


def test_mixed_zip_imports_the_good_pdf_and_reports_every_bad_one(app, site, api, campaign, marker, monkeypatch):
    """Transcription is designed to import the usable PDFs of a ZIP and list the others: each bad
    file is named with its problem, and nothing of it is stored."""
    monkeypatch.setitem(app.config, "PDF_MAX_BYTES", 3_000_000)  # so that a 2 MB member is judged by its ratio
    good = make_pdf(2, text="The good one")
    bad = [("locked.pdf", encrypted_pdf(), "the PDF is protected by a password"),
           ("broken.pdf", make_pdf(2)[:300], "the PDF is damaged"),
           ("holes.pdf", pdf_with_a_missing_page(), "the PDF is damaged and cannot be read (page 2)"),
           ("notes.pdf", b"plain text", "not a PDF file"),
           ("image.pdf", jpeg(), "not a PDF file"),
           (f"../../{marker}.pdf", make_pdf(1), "unsafe path"),
           (f"/{marker}-abs.pdf", make_pdf(1), "unsafe path"),
           ("bomb.pdf", b"%PDF-1.4\n" + b"\0" * 2_000_000, "compressed suspiciously well: not a PDF"),
           ("huge.pdf", make_pdf(1) + b"%" + b" " * 3_100_000, "larger than 3 MB"),
           ("long.pdf", make_pdf(11), "the PDF has 11 pages: at most 10 per document"),
           ("inner.zip", zip_of([("x.pdf", make_pdf(1))]), "not a PDF")]
    upload = zip_with_link(f"{marker}-link.pdf", "/etc/passwd", [("good.pdf", good)] + [(n, d) for n, d, _m in bad])
    c = campaign("transcription")

    def check(messages, stored_now, before):
        for name, _data, message in bad + [(f"{marker}-link.pdf", b"", "a link to another file")]:
            assert f"{name}: {message}" in messages, (name, messages[-3000:])
        tasks = db.session.execute(select(Task).where(Task.campaign_id == c.id)).scalars().all()
        assert {t.payload["document"] for t in tasks} == {"good.pdf"} and len(tasks) == 2
        new = stored_now["media"] - before["media"]
        pdf_files = [n for n in new if n.endswith(".pdf")]
        # stored under a name the server chose (never the uploader's), shown by the tasks
        assert len(pdf_files) == 1 and re.fullmatch(r"campaigns/\d+/[0-9a-f]{32}\.pdf", pdf_files[0]), new
        assert {t.payload["pdf_url"] for t in tasks} == {"/media/" + pdf_files[0]}
        with open(os.path.join(app.config["MEDIA_FOLDER"], pdf_files[0]), "rb") as fh:
            assert fh.read() == good
        assert len([n for n in new if n.endswith(".jpg")]) == 2  # its two rendered pages, nothing else
        assert stored_now["jobs"] == before["jobs"]  # two pages are rendered on the request
        assert_nothing_escaped(app, marker)

    # The preview lists the same warnings, stores no task and no file, keeps the upload for the import.
    before = stored(app)
    r = send_form(site, c.slug, "batch.zip", upload, "preview")
    page = message_of(r)
    assert r.status_code == 200 and "2 tasks will be created" in page
    for name, _data, message in bad:
        assert f"{name}: {message}" in page
    after = stored(app)
    assert after["media"] == before["media"] and after["tasks"] == before["tasks"]
    assert len(after["stash"] - before["stash"]) == 1

    before = stored(app)
    r = send_api(api, c.slug, "batch.zip", upload)
    assert r.status_code == 201 and r.get_json()["imported"] == 2
    check(json.dumps(r.get_json(), ensure_ascii=False), stored(app), before)

    # The form's import says the same in its flash messages (a second campaign: ids must be new).
    c = campaigns.create_campaign(c.organisation_id, None, {"title": "Again", "kind": "transcription",
                                                           "settings": SETTINGS["transcription"]})
    db.session.commit()
    before = stored(app)
    r = site.post(f"/organise/{c.slug}/", data={"action": "import", "file": (io.BytesIO(upload), "batch.zip")},
                  follow_redirects=True)
    assert r.status_code == 200 and "2 tasks imported." in message_of(r)
    check(message_of(r), stored(app), before)


# --- areas of interest ---------------------------------------------------------------------------

def area_cases(marker):
    shp = [("area.shp", b"\0" * 100), ("area.shx", b"\0" * 100), ("area.dbf", b"\0" * 10)]
    big = {"type": "Polygon", "coordinates": [[[0, 0], [3, 0], [3, 3], [0, 3], [0, 0]]]}
    return {
        "truncated geojson": ("area.geojson", b'{"type": "Feature", "geometry": {"type": "Poly',
                              "area.geojson: it is not a valid GeoJSON"),
        "geojson nested 100000 deep": ("area.geojson", b'{"type": "Polygon", "coordinates": ' + b"[" * 100_000
                                       + b"]" * 100_000 + b"}", "not a valid GeoJSON"),
        "geojson of a point": ("area.geojson", json.dumps({"type": "Point", "coordinates": [1, 2]}).encode(),
                               "has no polygon"),
        "png named .geojson": ("area.geojson", image("PNG"), "not a valid GeoJSON"),
        "empty geojson": ("area.geojson", b"", "not a valid GeoJSON"),
        "area too large for its cells": ("area.geojson", json.dumps(big).encode(),
                                         "more than the limit of 50,000: choose cells of at least 1.5 km"),
        "grid over IMPORT_MAX_ROWS": ("area.geojson", json.dumps(AREA).encode(), "The file has 12 tasks; at most 6"),
        "random bytes named .gpkg": ("area.gpkg", os.urandom(4096), "area.gpkg: it is not a valid"),
        "text named .gpkg": ("area.gpkg", b"SQLite format 3\0 but not really", "not a valid"),
        "not a zip": ("area.zip", b"PK\x03\x04 nope", "area.zip: it is not a valid zip file"),
        "shapefile dot-dot path": ("area.zip", shapefile_zip([(f"../../{marker}.shp", b"\0" * 100)] + shp[1:]),
                                   ["unsafe path", f"../../{marker}.shp"]),
        "shapefile absolute path": ("area.zip", shapefile_zip(shp + [(f"/tmp/{marker}.dbf", b"\0")]), "unsafe path"),
        "shapefile symlink": ("area.zip", zip_with_link(f"{marker}.prj", "/etc/passwd", shp), "unsafe path"),
        "shapefile damaged deflate stream": ("area.zip", damaged_deflate_zip("area.dbf", b"\0" * 5000, shp[:2]),
                                             "not a valid zip file"),
        "shapefile encrypted member": ("area.zip", encrypted_member_zip("area.shp", b"\0" * 100), "not a valid zip"),
        "shapefile forged offset": ("area.zip", forged_offset_zip("area.shp", b"\0" * 100), "not a valid zip file"),
        "shapefile of 501 parts": ("area.zip", shapefile_zip([(f"l{i}.dbf", b"") for i in range(501)]),
                                   "holds 501 Shapefile parts: at most 500"),
        "shapefile part over the unzipped limit": ("area.zip", shapefile_zip(shp + [("area.cpg", b"\0" * 3_000_000)]),
                                                   "area.zip is too large once unzipped"),
        "zip without a shapefile": ("area.zip", zip_of([("readme.txt", b"hi"), ("inner.zip", zip_of(shp))]),
                                    "holds no Shapefile"),
        "shapefile of garbage": ("area.zip", shapefile_zip(shp), "it is not a valid GeoJSON, GeoPackage or Shapefile"),
    }


@pytest.mark.parametrize("case", list(area_cases("x")))
def test_hostile_area_is_refused_and_nothing_stored(app, site, api, campaign, marker, monkeypatch, case):
    monkeypatch.setattr(areas, "_MAX_UNZIPPED", 2_000_000)
    name, data, expected = area_cases(marker)[case]
    refused_everywhere(app, site, api, campaign("deforestation").slug, name, data, expected)
    assert_nothing_escaped(app, marker)


def test_shapefile_zip_sent_to_a_photo_campaign_is_read_as_an_area(app, site, api, campaign, marker):
    """A damage campaign takes photos or an area: a zip holding a .shp goes to the area reader,
    which refuses its unsafe paths just the same."""
    data = zip_of([(f"../{marker}/area.shp", b"\0" * 100), ("area.dbf", b"\0")])
    refused_everywhere(app, site, api, campaign("damage").slug, "area.zip", data, "unsafe path")
    assert_nothing_escaped(app, marker)


def test_hostile_drawn_area_is_refused(app, site, campaign):
    slug = campaign("deforestation").slug
    before = stored(app)
    for area, expected in [("{not json", "not a valid GeoJSON"),
                           ('{"type": "Point", "coordinates": [1, 2]}', "has no polygon"),
                           ("[" * 50_000 + "]" * 50_000, "not a valid GeoJSON")]:
        for action in ("preview", "import"):
            r = site.post(f"/organise/{slug}/", data={"action": action, "area": area})
            assert r.status_code == 422 and expected in message_of(r), (area[:40], action, r.status_code)
    assert stored(app) == before


# --- CSV and JSON task lists ---------------------------------------------------------------------

TABLE_CASES = {
    "csv over IMPORT_MAX_ROWS": ("tasks.csv", "text\n" + "".join(f"Task {i}\n" for i in range(7)),
                                 "The file has 7 tasks; at most 6 can be imported at once"),
    "json over IMPORT_MAX_ROWS": ("tasks.json", json.dumps([{"text": f"T{i}"} for i in range(500)]),
                                  "The file has 500 tasks; at most 6"),
    "binary named .csv": ("tasks.csv", bytes(range(256)) * 4, "The file is not UTF-8 text"),
    "png named .csv": ("tasks.csv", image("PNG"), "not UTF-8 text"),
    "latin-1 csv": ("tasks.csv", "text\ncafé\n".encode("latin-1"), "not UTF-8 text"),
    "csv field over 128 KB": ("tasks.csv", "text\n" + "x" * 200_000 + "\n", "cannot be read as CSV"),
    "json nested 100000 deep": ("tasks.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "json number of 5000 digits": ("tasks.json", '[{"text": ' + "1" * 5000 + "}]", "a number with too many digits"),
    "truncated json": ("tasks.json", '[{"text": "a"}, {"te', "this is not valid JSON"),
    "json that is not a list": ("tasks.json", '{"text": "a"}', 'JSON must be a list of tasks'),
    "empty csv": ("tasks.csv", "", "the file is empty; the first line must name the columns"),
    "csv of a header only": ("tasks.csv", "text\n", "The file has no tasks in it"),
}


@pytest.mark.parametrize("case", TABLE_CASES, ids=list(TABLE_CASES))
def test_hostile_task_list_is_refused_and_nothing_stored(app, site, api, campaign, case):
    name, text, expected = TABLE_CASES[case]
    data = text.encode() if isinstance(text, str) else text
    refused_everywhere(app, site, api, campaign("question").slug, name, data, expected)


def test_hostile_raw_json_body_on_the_api(app, api, campaign):
    """The API also takes the task list as the request body itself."""
    slug = campaign("question").slug
    before = stored(app)
    for body, expected in [("[" * 100_000 + "]" * 100_000, "nested too deeply"),
                           (json.dumps([{"text": "t"}] * 7), "at most 6"),
                           (b"\xff\xfe\x00garbage", "not UTF-8 text")]:
        r = api.post(f"{API}/campaigns/{slug}/tasks", data=body, content_type="application/json")
        assert r.status_code == 422 and expected in message_of(r), (r.status_code, message_of(r)[:300])
    assert stored(app) == before


# --- answers imported --------------------------------------------------------------------------

def test_hostile_answer_imports_are_refused(app, api, campaign):
    c = campaign("question")
    campaigns.import_tasks(c, "tasks.json", json.dumps([{"external_id": "a", "text": "A"}]))
    db.session.commit()
    before = stored(app)
    url = f"{API}/campaigns/{c.slug}/answers/import"
    many = [{"external_id": "a", "contributor": f"p{i}", "value": "yes"} for i in range(10_001)]
    for body, status, expected in [
            ({"answers": many}, 422, "At most 10000 answers per request"),
            ({"answers": [{"external_id": "a", "contributor": "x" * 5000, "value": "y" * 100_000}]}, 422,
             "Choose one of"),
            ({"answers": "not a list"}, 422, "at least one answer")]:
        r = api.post(url, json=body)
        assert r.status_code == status and expected in message_of(r), (r.status_code, message_of(r)[:300])
    r = api.post(url, data=b"{" + b" " * 3_100_000 + b"}", content_type="application/json")
    assert r.status_code == 413 and r.get_json()["code"] == "too_large"
    assert stored(app) == before


# --- over MAX_CONTENT_LENGTH ---------------------------------------------------------------------

@pytest.mark.parametrize("kind, name", [("damage", "drone.zip"), ("transcription", "big.pdf"),
                                        ("deforestation", "area.gpkg"), ("question", "tasks.csv")])
def test_request_over_max_content_length_is_413(app, site, api, campaign, kind, name):
    data = os.urandom(3_200_000)  # MAX_CONTENT_LENGTH is 3 MB here
    answers = refused_everywhere(app, site, api, campaign(kind).slug, name, data, "too large", 413)
    assert answers["preview"].mimetype == "text/html"
    r = api.post(f"{API}/campaigns/{campaign(kind).slug}/tasks", data=data, content_type="application/json")
    assert r.status_code == 413 and r.get_json()["code"] == "too_large"


# --- the preview stash ---------------------------------------------------------------------------

def test_stash_tokens_cannot_reach_other_files(app, site, campaign, tmp_path):
    slug = campaign("question").slug
    secret = os.path.join(app.instance_path, "uploads", "secret.csv")
    os.makedirs(os.path.dirname(secret))
    with open(secret, "w") as fh:
        fh.write("text\nStolen\n")
    before = stored(app)
    for token in ("../secret.csv", "../../../../etc/passwd", "0" * 32, "../" + "0" * 29, "%2e%2e%2fsecret.csv"):
        r = site.post(f"/organise/{slug}/", data={"action": "import", "stash": token})
        assert r.status_code == 422 and "That preview has expired" in message_of(r), token
    assert stored(app) == before and os.path.exists(secret)


def test_a_refused_import_of_a_previewed_upload_keeps_nothing(app, site, campaign, monkeypatch):
    """A preview is kept for the import; when the import is then refused (the limit was lowered in
    between), the kept upload is used up and no task or file is stored."""
    slug = campaign("damage").slug
    before = stored(app)
    r = send_form(site, slug, "drone.zip", zip_of([("a.jpg", jpeg()), ("b.jpg", jpeg())]), "preview")
    assert r.status_code == 200 and "2 tasks will be created" in message_of(r)
    token = message_of(r).split('name="stash" value="')[1].split('"')[0]
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 1)
    r = site.post(f"/organise/{slug}/", data={"action": "import", "stash": token})
    assert r.status_code == 422 and "at most 1 can be imported" in message_of(r)
    assert stored(app) == before


def test_answer_import_nested_too_deeply_is_a_4xx(app, api, campaign):
    before = stored(app)
    r = api.post(f"{API}/campaigns/{campaign('question').slug}/answers/import", data="[" * 100_000 + "]" * 100_000,
                 content_type="application/json")
    assert r.status_code in (400, 422) and ("JSON" in message_of(r) or "nested too deeply" in message_of(r)), (r.status_code, message_of(r)[:300])
    assert stored(app) == before


# --- polyglots: a file that is a PDF or an image and also a page or a script (issue 15) -------------

SCRIPT = b"<html><body><script>document.title='pwned';fetch('/organise/')</script></body></html>"


def pdf_html_after_eof():
    """A valid one-page PDF followed by an HTML page: served as text/html, the script would run."""
    return make_pdf(1) + b"\n" + SCRIPT


def pdf_html_in_a_comment():
    """A valid PDF whose second line is a PDF comment holding an HTML page (PDFium repairs the offsets)."""
    return make_pdf(1).replace(b"\n", b"\n%" + SCRIPT + b"\n", 1)


def pdf_js():
    """A PDF carrying a script after its end, to be named .js."""
    return make_pdf(1) + b"\n;alert(document.domain);//"


def js_then_pdf():
    """A script whose comment hides a PDF (`%PDF-` within the first KB, not at its start)."""
    return b"/*" + make_pdf(1) + b"*/alert(document.domain);"


def gif_js():
    """GIF89a/*...*/=1;alert(1); -- a GIF Pillow opens (width 10799) that is also valid JavaScript."""
    buf = io.BytesIO()
    Image.new("P", (1, 1)).save(buf, "GIF")
    data = buf.getvalue()
    return b"GIF89a" + b"/*" + data[8:] + b"*/=1;alert(document.domain);"


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.domain)"><script>alert(1)</script></svg>'


def media_files(app):
    return {n for n in files_under(app.config["MEDIA_FOLDER"])}


@pytest.mark.parametrize("name,make", [("invoice.html", pdf_html_after_eof), ("invoice.htm", pdf_html_in_a_comment),
                                       ("payload.js", pdf_js), ("page.svg", pdf_html_after_eof)])
def test_pdf_polyglot_is_stored_as_a_pdf_under_a_name_of_the_servers_choosing(app, site, api, campaign, name, make):
    c = campaign("transcription")
    before = media_files(app)
    r = send_api(api, c.slug, name, make())
    assert r.status_code == 201, r.get_data(as_text=True)
    new = media_files(app) - before
    assert new and all(re.fullmatch(r"campaigns/\d+/[0-9a-f]{32}\.(pdf|jpg)", n) for n in new), new
    assert not [n for n in new if os.path.splitext(n)[0].endswith(tuple(name.rsplit(".", 1)))]
    task = db.session.execute(select(Task).where(Task.campaign_id == c.id)).scalars().first()
    pdf_url = task.payload["pdf_url"]
    assert pdf_url.endswith(".pdf") and name.rsplit(".", 1)[0] not in pdf_url
    anyone = app.test_client()
    served = anyone.get(pdf_url)
    assert served.status_code == 200 and served.mimetype == "application/pdf"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert "default-src 'none'" in served.headers["Content-Security-Policy"]
    assert served.headers["Content-Disposition"].startswith("attachment")  # a browser would render it
    page = anyone.get(task.payload["pages"][0]["image_url"])
    assert page.status_code == 200 and page.mimetype == "image/jpeg"
    assert page.headers["Content-Disposition"].startswith("inline") and "sandbox" in page.headers["Content-Security-Policy"]


@pytest.mark.parametrize("name", ["run.js", "doc.pdf", "doc.html"])
def test_script_hiding_a_pdf_is_not_a_pdf(app, site, api, campaign, name):
    refused_everywhere(app, site, api, campaign("transcription").slug, name, js_then_pdf(), "not a PDF file")


POLYGLOT_PHOTOS = {
    "gif/js named .jpg": ("anim.jpg", gif_js, "a GIF picture"),
    "gif/js named .png": ("anim.png", gif_js, "a GIF picture"),
    "svg named .jpg": ("vector.jpg", lambda: SVG, "not a photo"),
    "svg named .png": ("vector.png", lambda: SVG, "not a photo"),
    "pdf/html named .jpg": ("scan.jpg", pdf_html_after_eof, "not a photo"),
}


@pytest.mark.parametrize("case", POLYGLOT_PHOTOS, ids=list(POLYGLOT_PHOTOS))
def test_polyglot_photo_is_refused_and_nothing_stored(app, site, api, campaign, case):
    name, data, expected = POLYGLOT_PHOTOS[case]
    refused_everywhere(app, site, api, campaign("damage").slug, name, data(), expected)
    c = campaign("damage")
    before = stored(app)
    r = send_api(api, c.slug, "drone.zip", zip_of([("good.jpg", jpeg()), (f"flight/{name}", data())]))
    assert r.status_code == 201 and r.get_json()["imported"] == 1, message_of(r)  # in a ZIP: left out, named
    assert expected in json.dumps(r.get_json()["warnings"]) and f"flight/{name}" in json.dumps(r.get_json()["warnings"])
    assert len(stored(app)["media"]) == len(before["media"]) + 1  # the good photo's clean copy alone


@pytest.mark.parametrize("name,make", [("anim.gif", gif_js), ("run.js", gif_js), ("vector.svg", lambda: SVG),
                                       ("page.html", lambda: SCRIPT)])
def test_files_the_photo_kinds_do_not_take_are_refused(app, site, api, campaign, name, make):
    before = stored(app)
    for kind in ("damage", "transcription"):
        r = send_api(api, campaign(kind).slug, name, make())
        assert r.status_code == 422, (kind, name, r.get_data(as_text=True))
    assert stored(app) == before


def test_media_store_refuses_what_is_not_an_image_or_a_pdf(app, tmp_path):
    from citizen.storage import LocalStorage
    from citizen.storage.media import MediaRefused, MediaStore
    store = MediaStore(LocalStorage(str(tmp_path / "m")), "x", "/media/x")
    for data in (gif_js(), SVG, SCRIPT, js_then_pdf(), b"", b"%PDF-1.4 not really", png_with_bad_crc()[:40]):
        with pytest.raises(MediaRefused):
            store.save("evil.html", data)
    assert not os.path.exists(tmp_path / "m")
    url = store.save("evil.html", pdf_html_after_eof())
    assert re.fullmatch(r"/media/x/[0-9a-f]{32}\.pdf", url)
    assert re.fullmatch(r"/media/x/[0-9a-f]{32}-blurred\.jpg", store.save("x.js", jpeg(), label="blurred"))
    assert re.fullmatch(r"/media/x/[0-9a-f]{32}\.png", store.save("x.svg", image("PNG"), label="../../etc"))

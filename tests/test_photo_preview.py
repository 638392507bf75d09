"""The organiser's import preview of a photo ZIP shows thumbnails (issue 19): small JPEGs of the first
PREVIEW_IMAGES photos only, made from the preview's own re-encoded copies, kept through the storage interface
beside the stashed upload, served to the campaign's organisers only, and removed once the import is confirmed."""
import io
import re
import zipfile

from PIL import Image

from citizen import storage
from citizen.accounts import services as accounts
from citizen.campaigns import services as campaigns
from citizen.campaigns.models import Task
from citizen.extensions import db
from tests.helpers import count, html, sign_in, signed_in

THUMB = re.compile(r'<img src="(/organise/[^"]+/preview/([0-9a-f]{32})/(\d+)\.jpg)" alt="([^"]*)"')


def _zip(n):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(n):
            img = io.BytesIO()
            Image.new("RGB", (1200, 900), (10 * i, 120, 90)).save(img, "JPEG")
            zf.writestr(f"drone-{i:02d}.jpg", img.getvalue())
        zf.writestr("Thumbs.db", b"not a photo")
    return buf.getvalue()


def _preview(client, c, data):
    return client.post(f"/organise/{c.slug}/", data={"action": "preview", "file": (io.BytesIO(data), "flight.zip")},
                       content_type="multipart/form-data")


def test_photo_preview_shows_at_most_n_thumbnails_served_to_organisers_only(app, client, org, organiser, make_user):
    c = campaigns.create_campaign(org.id, organiser, {"title": "Flood photos", "kind": "damage", "settings": {}})
    db.session.commit()
    sign_in(client, organiser.email)
    page = html(_preview(client, c, _zip(campaigns.PREVIEW_IMAGES + 3)))
    thumbs = THUMB.findall(page)
    assert len(thumbs) == campaigns.PREVIEW_IMAGES and "15 tasks will be created." in page
    assert [t[3] for t in thumbs[:2]] == ["drone-00.jpg", "drone-01.jpg"]
    url, token = thumbs[0][0], thumbs[0][1]
    r = client.get(url)
    assert r.status_code == 200 and r.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(r.data)) as img:
        assert max(img.size) <= 160
    kept = storage.uploads_store().list(f"{c.id}/thumbs-{token}/")
    assert len(kept) == campaigns.PREVIEW_IMAGES
    assert storage.media_store().list(f"campaigns/{c.id}/") == []  # a preview stores no media
    # Nobody else sees them: another organisation's organiser, a moderator, anyone anonymous; nor a made-up token.
    other = accounts.get_or_create_organisation("other", "Other")
    accounts.grant(make_user("boss@example.org"), other, "organiser")
    make_user("mod@example.org", "moderator")
    db.session.commit()
    assert signed_in(app, "boss@example.org").get(url).status_code == 404  # a draft of A is not there for B
    assert signed_in(app, "mod@example.org").get(url).status_code == 403
    assert app.test_client().get(url).status_code == 302
    assert client.get(url.replace(token, "f" * 32)).status_code == 404
    assert client.get(url.replace("/0.jpg", f"/{campaigns.PREVIEW_IMAGES}.jpg")).status_code == 404
    # Confirming the import takes the stash and its thumbnails away.
    r = client.post(f"/organise/{c.slug}/", data={"action": "import", "stash": token})
    assert r.status_code == 302 and count(Task, Task.campaign_id == c.id) == 15
    assert storage.uploads_store().list(f"{c.id}/{token}__") == []
    assert storage.uploads_store().list(f"{c.id}/thumbs-{token}/") == []
    assert client.get(url).status_code == 404


def test_a_preview_without_photos_has_no_thumbnails(client, organiser, make_campaign):
    c = make_campaign(tasks=0, publish=False)
    sign_in(client, organiser.email)
    r = client.post(f"/organise/{c.slug}/", data={"action": "preview",
                                                  "file": (io.BytesIO(b'[{"text": "a"}]'), "tasks.json")},
                    content_type="multipart/form-data")
    page = html(r)
    assert "1 task will be created." in page and not THUMB.search(page) and "preview-thumbs" not in page

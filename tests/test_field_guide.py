"""The field guide's example images (issue 20): the organiser uploads them on the manage page (re-encoded, no
metadata, stored with the campaign's media), writes them into the guide as Markdown images, and volunteers see them
in "What am I looking at?". An image from anywhere else is dropped; a file that is not a photo changes nothing."""
import io
import re

from PIL import Image

from citizen.campaigns import services as campaigns
from citizen.extensions import db
from tests.helpers import html, signed_in


def photo(colour="red"):
    buf = io.BytesIO()
    img = Image.new("RGB", (2400, 1200), colour)
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make: metadata the copy must not keep
    img.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def test_an_organiser_adds_example_images_to_the_field_guide_and_volunteers_see_them(app, client, make_campaign,
                                                                                       organiser):
    c = make_campaign(tasks=1)
    staff = signed_in(app, "organiser@example.org")
    r = staff.post(f"/organise/{c.slug}/guide-images", data={"image": (io.BytesIO(photo()), "red-roof.jpg")},
                   content_type="multipart/form-data")
    assert r.status_code == 302
    page = html(staff.get(f"/organise/{c.slug}/"))
    url = re.search(r"<code>!\[red-roof.jpg\]\((/media/campaigns/\d+/[0-9a-f]+\.jpg)\)</code>", page).group(1)
    stored = client.get(url)
    assert stored.status_code == 200 and b"SecretCam" not in stored.data
    assert Image.open(io.BytesIO(stored.data)).size == (1600, 800)  # at most 1600 px
    edited = staff.post(f"/organise/{c.slug}/edit", data={
        "title": c.title, "summary": c.summary, "kind": "question", "redundancy": 3, "licence": "CC-BY-4.0",
        "question": "Is there a red roof?", "options": "Yes\nNo\nNot sure",
        "tutorial": f"## Red roofs\n\n![A red roof seen from above]({url})\n\n"
                    "![tracker](https://evil.example/pixel.gif) Tiles, not sheds."})
    assert edited.status_code == 302, html(edited)[-1500:]
    work = html(client.get(f"/campaigns/{c.slug}/work"))
    assert f'<img alt="A red roof seen from above" src="{url}"' in work or \
        f'<img src="{url}" alt="A red roof seen from above"' in work
    assert "evil.example" not in work and "Tiles, not sheds." in work


def test_a_file_that_is_not_a_photo_is_refused_and_changes_nothing(app, make_campaign, organiser):
    c = make_campaign(tasks=1)
    staff = signed_in(app, "organiser@example.org")
    r = staff.post(f"/organise/{c.slug}/guide-images", data={"image": (io.BytesIO(b"<svg onload=alert(1)>"), "x.svg")},
                   content_type="multipart/form-data", follow_redirects=True)
    assert r.status_code == 200 and "not a photo (JPEG, PNG or WebP) that can be opened" in html(r)
    db.session.expire_all()
    assert not campaigns.get_campaign(c.slug, None).settings.get("guide_images")
    other = signed_in(app, "organiser@example.org")
    assert other.post(f"/organise/{c.slug}/guide-images", data={}).status_code == 302  # nothing chosen: a message


def test_a_decompression_bomb_is_refused_before_it_is_decoded(app, make_campaign, organiser):
    """A PNG of a few KB that would decode to 40,000 x 40,000 pixels: refused by the import's own check."""
    c = make_campaign(tasks=1)
    buf = io.BytesIO()
    Image.new("1", (40_000, 40_000)).save(buf, "PNG")
    assert len(buf.getvalue()) < 1_000_000
    r = signed_in(app, "organiser@example.org").post(
        f"/organise/{c.slug}/guide-images", data={"image": (io.BytesIO(buf.getvalue()), "bomb.png")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "too many pixels" in html(r)
    db.session.expire_all()
    assert not campaigns.get_campaign(c.slug, None).settings.get("guide_images")

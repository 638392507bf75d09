"""Opening a polyglot's /media/ URL in real Chromium runs nothing (issue 15): a PDF that is also an HTML page,
a GIF that is also a script, an SVG with a script, an HTML page named .jpg, and an HTML/PDF polyglot an older
version stored under its uploader's `.html` name."""
import os

import pytest

from tests.browser.pages import WorkPage
from tests.pdf_samples import make_pdf
from tests.test_upload_bombs import SCRIPT, SVG, gif_js, pdf_html_after_eof

pytestmark = pytest.mark.browser

# The attack of the issue: an HTML page whose script comes from this origin (the page CSP allows 'self').
PAYLOAD = b"document.title='pwned';fetch('/organise/?pwned=1');"
PAGE = make_pdf(1) + b"\n<html><body><script src='/media/old/payload.js'></script></body></html>"
FILES = {
    "campaigns/1/0a1b2c3d4e5f-invoice.html": PAGE,  # stored by an older version under the uploader's name
    "old/payload.js": PAYLOAD,
    "old/page.jpg": SCRIPT,
    "old/vector.svg": SVG,
    "old/vector.png": SVG,
    "old/anim.gif": gif_js(),
}


def test_opening_polyglot_media_urls_runs_no_script(page, tmp_path):
    for name, data in {**FILES, "old/invoice.pdf": pdf_html_after_eof()}.items():
        path = tmp_path / "media" / name
        os.makedirs(path.parent, exist_ok=True)
        path.write_bytes(data)
    requests, dialogs = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for name in FILES:
        response = page.goto(f"/media/{name}")
        page.wait_for_timeout(200)  # a script the file pulled in has had time to run
        assert page.title() != "pwned", name
        assert not [u for u in requests if "pwned" in u], (name, requests)
        assert response.status in (200, 404), name
        content_type = response.headers.get("content-type", "")
        if response.status == 200:
            assert content_type.startswith("image/gif"), (name, content_type)
            assert response.headers["x-content-type-options"] == "nosniff"
            assert "sandbox" in response.headers["content-security-policy"]
        assert page.title() != "pwned", name
    # The PDF that is also a page: a download, never a page of this site.
    with page.expect_download() as download:
        try:
            page.goto("/media/old/invoice.pdf")
        except Exception as exc:  # Chromium aborts the navigation when a download starts
            assert "Download is starting" in str(exc) or "ERR_ABORTED" in str(exc), exc
    assert download.value.suggested_filename == "invoice.pdf"
    page.wait_for_timeout(300)  # anything a script would have started has had time to start
    assert not dialogs, dialogs
    assert not [u for u in requests if "/organise/" in u or "pwned" in u], requests
    assert page.title() != "pwned"


def test_a_graphic_original_loads_for_the_volunteer_who_revealed_it_and_no_one_else(page, app, make_campaign):
    """The original of a sensitive picture stored by citizen (campaigns/<id>/) is withheld from the public and
    served to the volunteer (a guest cookie) once they revealed it."""
    import io
    import json

    from PIL import Image
    from playwright.sync_api import expect

    from citizen.campaigns import services as campaigns
    from citizen.storage.media import campaign_store
    from citizen.extensions import db

    c = make_campaign(tasks=0, publish=False, title="Find people who need help",
                      wellbeing={"level": "graphic", "categories": ["injury"]})
    store = campaign_store(c.id)
    rows = []
    for i in range(2):
        buf = io.BytesIO()
        Image.new("RGB", (320, 240), (120 + 40 * i, 40, 40)).save(buf, "PNG")
        rows.append({"external_id": f"p{i}", "image_url": store.save("ignored.png", buf.getvalue()), "alt": "x"})
    campaigns.import_tasks(c, "tasks.json", json.dumps(rows))
    campaigns.publish(c)
    db.session.commit()
    slug, originals = c.slug, [r["image_url"] for r in rows]
    db.session.close()
    anyone = app.test_client()
    assert all(anyone.get(url).status_code == 404 for url in originals)

    page.goto(f"/campaigns/{slug}")
    page.get_by_role("link", name="Start").click()
    page.get_by_role("button", name="Show the image").click()
    image = WorkPage(page).image
    expect(image).to_have_attribute("src", re_any(originals))
    loaded = page.wait_for_function("() => { const i = document.querySelector('#q-image');"
                                    " return i.complete && i.naturalWidth; }").json_value()
    assert loaded == 320  # the original, served to the volunteer who revealed it
    shown = image.get_attribute("src")
    assert anyone.get(shown).status_code == 404  # still no one else's


def re_any(urls):
    import re
    return re.compile("(" + "|".join(re.escape(u) for u in urls) + ")$")

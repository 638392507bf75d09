"""Zoom and pan on the question kind's images (issue 19), in real Chromium: the + key and the button zoom in,
dragging pans, "Whole image" comes back, and the next task starts with its whole image; on a 390 px phone the
tools sit inside the picture and nothing scrolls sideways."""
import io
import json
import os

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from citizen.campaigns import services as campaigns
from citizen.extensions import db
from citizen.storage.media import campaign_store
from tests.browser.conftest import PHONE
from tests.browser.pages import WorkPage, box_of

pytestmark = pytest.mark.browser


@pytest.fixture
def photo_question(make_campaign):
    c = make_campaign(tasks=0, publish=False, title="Roofs after the storm")
    store = campaign_store(c.id)
    rows = []
    for i in range(3):
        img = Image.new("RGB", (800, 600), (90 + 50 * i, 120, 160))
        ImageDraw.Draw(img).rectangle([300, 200, 500, 400], outline="white", width=6)
        buf = io.BytesIO()
        img.save(buf, "PNG")
        rows.append({"external_id": f"roof-{i}", "image_url": store.save("roof.png", buf.getvalue()),
                     "alt": f"Roof {i}"})
    campaigns.import_tasks(c, "tasks.json", json.dumps(rows))
    campaigns.publish(c)
    db.session.commit()
    slug = c.slug
    db.session.close()
    return slug


def test_a_volunteer_zooms_pans_and_the_next_image_starts_whole(page, photo_question, output_path):
    page.set_viewport_size({"width": 1280, "height": 800})
    work = WorkPage(page).open(photo_question)
    first = work.next_image()
    assert work.image_scale() == pytest.approx(1)
    expect(work.whole_image).to_be_hidden()
    page.keyboard.press("+")
    work.zoom_in.click()
    page.wait_for_function("() => new DOMMatrix(getComputedStyle(document.querySelector('#q-image')).transform).a > 1.9")
    expect(work.whole_image).to_be_visible()
    before = page.evaluate("() => new DOMMatrix(getComputedStyle(document.querySelector('#q-image')).transform).e")
    box = box_of(work.image)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 120, box["y"] + box["height"] / 2, steps=6)
    page.mouse.up()
    after = page.evaluate("() => new DOMMatrix(getComputedStyle(document.querySelector('#q-image')).transform).e")
    assert after != before  # dragged: the view moved
    work.whole_image.click()
    page.wait_for_function("() => new DOMMatrix(getComputedStyle(document.querySelector('#q-image')).transform).a < 1.01")
    page.keyboard.press("+")
    page.keyboard.press("1")  # answering still works with the image zoomed, and the next one starts whole
    work.expect_done(1)
    work.next_image(first)
    page.wait_for_function("() => new DOMMatrix(getComputedStyle(document.querySelector('#q-image')).transform).a < 1.01")
    expect(work.whole_image).to_be_hidden()


SCALE = "() => new DOMMatrix(getComputedStyle(document.querySelector('#q-image')).transform).a"


def test_at_the_whole_image_the_page_keeps_its_wheel_and_finger(page, photo_question):
    page.set_viewport_size({"width": 1280, "height": 500})  # short: the page has more below the image
    work = WorkPage(page).open(photo_question)
    work.next_image()
    assert page.evaluate("getComputedStyle(document.querySelector('#q-zoom')).touchAction") == "pan-y"
    box = box_of(work.image)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, 300)  # down, at the whole image: the page scrolls, the image stays whole
    page.wait_for_function("() => window.scrollY > 0")
    assert page.evaluate(SCALE) == pytest.approx(1)
    page.evaluate("window.scrollTo(0, 0)")
    box = box_of(work.image)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -300)  # up zooms in; from then on the image has the wheel and the finger
    page.wait_for_function(SCALE + " > 1.01")
    assert page.evaluate("getComputedStyle(document.querySelector('#q-zoom')).touchAction") == "none"
    scale = page.evaluate(SCALE)
    page.mouse.wheel(0, 100)
    page.wait_for_function(SCALE + f" < {scale}")


def test_zoom_tools_fit_a_phone(phone, photo_question, output_path):
    work = WorkPage(phone).open(photo_question)
    work.next_image()
    work.zoom_in.click()
    expect(work.whole_image).to_be_visible()
    frame, tools = box_of(phone.locator("#q-zoom")), box_of(phone.locator(".q-zoom-tools"))
    assert tools["x"] >= frame["x"] and tools["x"] + tools["width"] <= frame["x"] + frame["width"] + 1
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    os.makedirs(output_path, exist_ok=True)
    phone.screenshot(path=os.path.join(output_path, "question-zoom-phone.png"))
    assert PHONE["width"] == 390

"""The map kinds in real Chromium: a guest outlines a clearing on a forest cell (desktop), another pins
damaged buildings on a drone photo (phone). Screenshots of both work pages, at both sizes, are kept with
pytest-playwright's artefacts: test-results/<test>/ (or --output DIR).
"""
import io
import json
import os
import zipfile

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from citizen.demo import imagery as demo_imagery
from citizen.campaigns import services as campaigns
from citizen.ingest import photos
from citizen.campaigns.models import Answer, Task
from citizen.extensions import db
from tests.browser.conftest import PHONE
from tests.browser.pages import WorkPage, box_of, settle

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
SIZES = {"desktop": DESKTOP, "phone": PHONE}
TILES = "/tiles/demo/{}/{{z}}/{{x}}/{{y}}.png"
DEGREE_KM = 111.3
GUIDANCE = ("- **Cleared**, **Major**: a clear change since the image before, or part of a roof or a wall gone.\n"
            "- **Not sure**: say so; that helps too.")


def forest_area(km=0.9):
    """A rectangle of 2 x `km` by `km` around a clearing of the demo forest: two tasks with 1 km cells."""
    ring = demo_imagery.CLEARINGS[0]["coordinates"][0]
    lon = (min(p[0] for p in ring) + max(p[0] for p in ring)) / 2
    lat = (min(p[1] for p in ring) + max(p[1] for p in ring)) / 2
    dx, dy = km / DEGREE_KM, km / DEGREE_KM / 2
    return {"type": "Polygon", "coordinates": [[[lon - dx, lat - dy], [lon + dx, lat - dy], [lon + dx, lat + dy],
                                                [lon - dx, lat + dy], [lon - dx, lat - dy]]]}


def drone_photos(damages=("major", "minor")):
    """A ZIP of demo drone photos with a GPS position in the town, as a drone team would upload it."""
    ring = demo_imagery.TOWN_AREA["coordinates"][0]
    lon, lat = sum(p[0] for p in ring[:-1]) / (len(ring) - 1), sum(p[1] for p in ring[:-1]) / (len(ring) - 1)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i, damage in enumerate(damages):
            jpeg, _boxes = demo_imagery.drone_photo(i, damage)
            zf.writestr(f"drone-{i}.jpg", photos.with_gps(jpeg, lat + i / 5000, lon))
    return "drone.zip", buf.getvalue()


@pytest.fixture
def map_campaign(app, org, organiser):
    """map_campaign(kind) -> slug of a published campaign of two tasks over the demo imagery. The
    test's session is closed afterwards: on SQLite an open one would hold the write lock."""
    def factory(kind):
        layer = "forest" if kind == "deforestation" else "town"
        c = campaigns.create_campaign(org.id, organiser, {
            "title": f"Browser {kind}", "kind": kind, "redundancy": 3, "settings": {
                "tiles_before": TILES.format(f"{layer}-before"), "tiles_after": TILES.format(f"{layer}-after"),
                "attribution": "Demo imagery drawn by citizen", "cell_km": 1, "guidance": GUIDANCE}})
        if kind == "deforestation":
            campaigns.import_tasks(c, "area.geojson", json.dumps(forest_area()).encode())
        else:
            campaigns.import_tasks(c, *drone_photos())
        campaigns.publish(c)
        db.session.commit()
        assert c.tasks_total == 2, c.tasks_total
        slug = c.slug
        db.session.close()
        return slug
    return factory


def watch(page):
    """Uncaught exceptions and console errors (a tile or a stylesheet that failed to load) of `page`.
    Chromium asks for /favicon.ico at times; the site has none (yet), which is no error of this page."""
    errors = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico")
            and errors.append(f"console: {msg.text} {msg.location}"))
    return errors


def open_work(page, slug, size):
    page.set_viewport_size(SIZES[size])
    errors = watch(page)
    WorkPage(page).open(slug)
    page.wait_for_function(WorkPage.MAP_IMAGERY_READY)  # imagery drawn (a loaded tile or the photo), answers offered
    return errors


def shoot(page, output_path, name):
    """A screenshot of the viewport once every tile and icon has arrived and faded in."""
    settle(page)
    page.wait_for_function(WorkPage.MAP_TILES_LOADED)
    page.wait_for_timeout(300)
    os.makedirs(output_path, exist_ok=True)
    path = os.path.join(output_path, f"{name}.png")
    page.screenshot(path=path)
    print("screenshot:", path)


def answered(page):
    """Wait for the answer to be counted and the next task to be shown, clean; return the stored
    answer's value and the payload of its task. (Generous time: the server may be busy drawing tiles.)"""
    work = WorkPage(page)
    work.wait_done_or_error(1, timeout=20_000)
    assert work.done_count.text_content() == "1", work.message.text_content()
    page.wait_for_function(WorkPage.MAP_IMAGERY_READY)
    expect(work.marks).to_have_text("")
    expect(work.drawn).to_have_count(0)
    db.session.expire_all()
    value, payload = db.session.execute(select(Answer.value, Task.payload).join(Task)).one()
    db.session.close()
    return value, payload


def test_guest_outlines_a_clearing_on_a_forest_cell(page, map_campaign, output_path):
    slug = map_campaign("deforestation")
    errors = open_work(page, slug, "desktop")
    work = WorkPage(page)
    cell = work.map.locator("path[stroke-dasharray]")
    expect(cell).to_have_count(1)
    cell_box = box_of(cell)
    assert cell_box["width"] > 200 and cell_box["height"] > 200, cell_box

    expect(work.modes).to_be_visible()
    for mode in ("before", "swipe", "after"):
        expect(work.mode(mode)).to_be_visible()
    expect(work.mode("swipe")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".leaflet-sbs-range")).to_have_count(1)
    work.mode("before").click()
    expect(work.mode("before")).to_have_attribute("aria-pressed", "true")
    expect(work.mode("swipe")).to_have_attribute("aria-pressed", "false")
    expect(page.locator(".leaflet-sbs-range")).to_have_count(0)
    page.keyboard.press("w")  # back to the swipe, where the volunteer draws across the divider
    expect(work.mode("swipe")).to_have_attribute("aria-pressed", "true")

    work.draw_polygon(cell_box, [(0.3, 0.3), (0.7, 0.35), (0.65, 0.7), (0.35, 0.65)])
    expect(work.shapes).to_have_count(1)
    expect(work.marks).to_have_text("1 mark drawn.")
    shoot(page, output_path, "work-forest-marked-desktop")
    work.map_answer("cleared").click()

    value, task = answered(page)
    assert value["answer"] == "cleared" and value["crs"] == "lonlat", value
    [mark] = value["marks"]["features"]
    assert mark["geometry"]["type"] == "Polygon"
    ring = mark["geometry"]["coordinates"][0]
    assert len(ring) == 5 and ring[0] == ring[-1], ring
    west, south, east, north = task["bbox"]
    mx, my = (east - west) * 0.1, (north - south) * 0.1
    for lon, lat in ring:  # drawn between 30 % and 70 % of the cell: well inside it
        assert west + mx < lon < east - mx and south + my < lat < north - my, (lon, lat, task["bbox"])
    assert not errors, errors


def test_guest_pins_damage_on_a_drone_photo_by_phone(phone, map_campaign, output_path):
    slug = map_campaign("damage")
    errors = open_work(phone, slug, "phone")
    work = WorkPage(phone)
    expect(work.modes).to_be_hidden()  # no before/after for a photo
    photo = box_of(work.map_photo)
    map_box = box_of(work.map)
    # The photo fills the map across (fitBounds) and is drawn within it.
    assert photo["x"] >= map_box["x"] - 1 and photo["x"] + photo["width"] <= map_box["x"] + map_box["width"] + 1
    assert photo["width"] >= map_box["width"] * 0.9 or photo["height"] >= map_box["height"] * 0.9, (photo, map_box)

    clicks = [work.place_pin(photo, 0.25, 0.4), work.place_pin(photo, 0.7, 0.75)]
    expect(work.pins).to_have_count(2)
    expect(work.marks).to_have_text("2 marks drawn.")
    shoot(phone, output_path, "work-damage-marked-phone")
    phone.keyboard.press("3")

    value, task = answered(phone)
    width, height = task["width"], task["height"]
    assert value["answer"] == "major" and value["crs"] == "pixel", value
    points = [f["geometry"] for f in value["marks"]["features"]]
    assert [p["type"] for p in points] == ["Point", "Point"], points
    scale = width / photo["width"]
    for (cx, cy), point in zip(clicks, points):
        x, y = point["coordinates"]
        assert 0 <= x <= width and 0 <= y <= height, (x, y, width, height)
        expected = ((cx - photo["x"]) * scale, (cy - photo["y"]) * scale)
        # The pin's point is where it was tapped, in photo pixels from the top-left, y down (2 % slack).
        assert abs(x - expected[0]) < width * 0.02 and abs(y - expected[1]) < height * 0.02, (x, y, expected)
    (x1, y1), (x2, y2) = (p["coordinates"] for p in points)
    assert abs(x1 - x2) > 20 and abs(y1 - y2) > 20, points
    assert not errors, errors


def test_a_keyboard_user_pins_moves_outlines_and_deletes_marks(page, map_campaign, output_path):
    """No mouse: Tab to the map, arrows move it under the cross in its middle, P pins, M moves the nearest pin,
    V adds corners and F finishes an outline, Delete removes the last mark, a number answers."""
    slug = map_campaign("damage")
    errors = open_work(page, slug, "desktop")
    work = WorkPage(page)
    status = page.locator("#m-keys-status")

    def press(*keys):
        for key in keys:
            page.keyboard.press(key)
            if key.startswith("Arrow") or key == "+":  # Leaflet ignores arrows while it still moves: as a person
                page.wait_for_timeout(350)

    work.map.focus()
    press("+")  # Leaflet's own keys: zoomed in, the arrows move the photo both ways
    page.keyboard.press("p")
    expect(work.pins).to_have_count(1)
    expect(status).to_have_text("Pin put in the middle of the map.")
    press(*["ArrowRight"] * 3, "p", "ArrowDown", "ArrowDown", "m")
    expect(work.pins).to_have_count(2)
    expect(status).to_have_text("Pin moved to the middle of the map.")
    page.keyboard.press("v")
    page.keyboard.press("f")
    expect(status).to_have_text("An outline needs at least 3 corners.")
    press("ArrowLeft", "ArrowLeft", "v", "ArrowUp", "ArrowUp", "v", "f")
    expect(status).to_have_text("Outline finished.")
    expect(work.marks).to_have_text("3 marks drawn.")
    shoot(page, output_path, "work-damage-keyboard-desktop")
    page.keyboard.press("Delete")  # the outline goes; the two pins stay
    expect(work.marks).to_have_text("2 marks drawn.")
    press("v", "ArrowRight", "v", "ArrowDown", "v", "f")
    expect(work.marks).to_have_text("3 marks drawn.")
    page.keyboard.press("3")
    value, _task = answered(page)
    kinds = sorted(f["geometry"]["type"] for f in value["marks"]["features"])
    assert value["answer"] == "major" and kinds == ["Point", "Point", "Polygon"], value
    (p1, p2) = [f["geometry"]["coordinates"] for f in value["marks"]["features"] if f["geometry"]["type"] == "Point"]
    assert p1 != p2  # the second pin was moved, not stacked on the first
    [ring] = next(f["geometry"]["coordinates"] for f in value["marks"]["features"] if f["geometry"]["type"] == "Polygon")
    assert len({tuple(c) for c in ring}) == 3, ring  # three corners where the cross was
    assert not errors, errors


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("kind", ["deforestation", "damage"])
def test_map_work_page_layout(page, map_campaign, output_path, kind, size):
    """Imagery, tools and answers on screen together, no sideways scrolling; screenshots for review."""
    slug = map_campaign(kind)
    errors = open_work(page, slug, size)
    viewport = SIZES[size]
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    work = WorkPage(page)
    map_box = box_of(work.map)
    assert map_box["height"] >= 250, map_box
    toolbar = box_of(page.locator(".leaflet-draw-toolbar-top").first)
    buttons = work.map_answer_buttons
    expect(buttons).to_have_count(4)
    for box in [toolbar, map_box] + [box_of(buttons.nth(i)) for i in range(4)]:
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], box
    first = box_of(buttons.first)  # as the page opens, without scrolling
    assert first["y"] >= 0 and first["y"] + first["height"] <= viewport["height"], f"below the fold: {first}"
    assert first["height"] >= 44, first
    assert toolbar["y"] >= 0 and toolbar["y"] + toolbar["height"] <= viewport["height"], toolbar
    guidance = box_of(page.locator("details.guidance"))  # closed, it leaves the height to the map
    assert guidance["height"] <= 64, guidance
    shoot(page, output_path, f"work-{kind}-{size}")
    assert not errors, errors



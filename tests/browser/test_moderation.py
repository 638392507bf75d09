"""Moderation in real Chromium: a volunteer pins a person on a drone photo; a moderator signed in elsewhere sees
the escalation appear at the top of the queue without reloading, confirms it from the keyboard; the organisation's
webhook receiver (a local server) got signed deliveries and the audit log shows the action. Screenshots of the
queue at desktop and phone size are kept with pytest-playwright's artefacts (test-results/<test>/)."""
import json
import os

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from citizen.extensions import db
from citizen.moderation import webhooks
from citizen.demo.hiker import missing_hiker_campaign
from citizen.moderation.models import AlertSettings, AuditLog, Escalation
from tests.browser.conftest import PHONE, guard_network, serve
from tests.browser.test_map_kinds import box_of, place_pin
from tests.test_moderation import Receiver

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 800}
PHOTO_READY = """() => !!document.querySelector('#m-options button.answer:not([disabled])') &&
  [...document.querySelectorAll('#m-map img.leaflet-image-layer')].some(img => img.complete && img.naturalWidth > 0)"""


@pytest.fixture
def live_server(make_app):
    # WEBHOOK_ALLOW_PRIVATE: the receiver listens on 127.0.0.1 (tests only; production refuses it)
    with serve(make_app(WTF_CSRF_ENABLED=True, MODERATION_POLL_SECONDS=1, MODERATION_WEBHOOK_BACKOFF=0.01,
                        WEBHOOK_ALLOW_PRIVATE=True)) as url:
        yield url


@pytest.fixture
def hook():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def hiker(org, organiser, make_user, hook):
    """The search-and-rescue campaign (three photos), a moderator, and the organisation's webhook."""
    make_user("mod@example.org", "moderator", name="Mo Moderator")
    campaign = missing_hiker_campaign(org, organiser, bounds=(-62.25, -9.93, -62.15, -9.87), n_photos=3)
    db.session.add(AlertSettings(organisation_id=org.id, webhook_url=hook.url, webhook_secret="rescue-secret"))
    db.session.commit()
    slug = campaign.slug
    db.session.close()  # an open session would hold SQLite's write lock
    return slug


@pytest.fixture
def moderator_page(new_context, live_server, hiker):
    """A second browser (its own cookies): the moderator, signed in, on the queue."""
    ctx = new_context(base_url=live_server)
    ctx.set_default_timeout(10_000)
    outside = guard_network(ctx)
    errors = []
    ctx.on("weberror", lambda e: errors.append(str(e.error)))
    page = ctx.new_page()
    page.set_viewport_size(DESKTOP)
    page.goto("/account/login")
    page.get_by_label("E-mail").fill("mod@example.org")
    page.get_by_label("Password").fill("password123")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    yield page
    assert not outside, f"the moderator's page requested something outside 127.0.0.1: {outside}"
    assert not errors, f"JavaScript errors: {errors}"


def shoot(page, output_path, name):
    os.makedirs(output_path, exist_ok=True)
    path = os.path.join(output_path, f"{name}.png")
    page.screenshot(path=path, full_page=False)
    print("screenshot:", path)


def test_a_person_spotted_reaches_the_moderator_at_once_and_is_confirmed_from_the_keyboard(
        page, moderator_page, hiker, hook, output_path):
    mod = moderator_page
    mod.goto("/moderation/")
    expect(mod.get_by_role("heading", name="Nothing to review here.")).to_be_visible()
    mod.evaluate("window.notReloaded = true")

    page.goto(f"/campaigns/{hiker}/work")
    page.wait_for_function(PHOTO_READY)
    place_pin(page, box_of(page.locator("#m-map img.leaflet-image-layer")), 0.5, 0.5)
    expect(page.locator("#m-marks")).to_have_text("1 mark drawn.")
    page.keyboard.press("1")  # "Yes, a person"
    expect(page.locator("#done-count")).to_have_text("1")

    item = mod.locator(".mod-item").first
    expect(item).to_have_attribute("data-reason", "escalation", timeout=15_000)
    assert mod.evaluate("window.notReloaded") is True  # it came by polling, not by a reload
    expect(item).to_contain_text("A volunteer answered “person”")
    expect(item.locator("img.leaflet-image-layer")).to_have_count(1)     # the photo, in pixel coordinates
    expect(item.locator("path.leaflet-interactive")).to_have_count(1)    # the volunteer's pin, drawn over it
    expect(item.get_by_role("button", name="Confirm C")).to_be_visible()
    expect(mod.locator("#count-escalation")).to_have_text("1")
    expect(mod.locator("#count-all")).to_have_text("1")
    shoot(mod, output_path, "moderation-escalation-desktop")

    mod.keyboard.press("c")
    expect(mod.locator(".mod-item")).to_have_count(0)
    expect(mod.locator("#mod-status")).to_have_text("Done: confirm.")

    db.session.expire_all()
    esc = db.session.execute(select(Escalation)).scalar_one()
    audit = db.session.execute(select(AuditLog)).scalar_one()
    db.session.close()
    assert esc.status == "confirmed"
    assert (audit.action, audit.target_id, audit.user_name) == ("confirm", str(esc.id), "Mo Moderator")
    events = [json.loads(body)["event"] for _headers, body in hook.requests]
    assert events == ["escalation.created", "escalation.confirmed"]
    for headers, body in hook.requests:
        assert webhooks.verify("rescue-secret", body, headers["X-Citizen-Signature"])

    mod.goto(f"/moderation/escalations/{esc.id}")  # the experts' view: photo, place on a map
    expect(mod.locator("#esc-location-map .leaflet-tile-loaded").first).to_be_visible()
    expect(mod.locator("#esc-view path.leaflet-interactive")).to_have_count(1)
    shoot(mod, output_path, "moderation-experts-view-desktop")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_queue_layout_fits_the_screen(moderator_page, hiker, client, output_path, size):
    """Three escalations in the queue (from the API), at 1280 x 800 and 390 x 844: no sideways scrolling, the
    first item's photo and action buttons on screen."""
    viewport = DESKTOP if size == "desktop" else PHONE
    mod = moderator_page
    mod.set_viewport_size(viewport)
    mark = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [500, 380]}}]}
    token = client.post("/api/v1/guests").get_json()["token"]
    for _ in range(3):
        task = client.get(f"/api/v1/campaigns/{hiker}/tasks/next", headers={"Authorization": f"Bearer {token}"}).get_json()
        r = client.post(f"/api/v1/tasks/{task['id']}/answers", headers={"Authorization": f"Bearer {token}"},
                        json={"value": {"answer": "person", "marks": mark}, "duration_ms": 4000})
        assert r.status_code == 201
    db.session.close()
    mod.goto("/moderation/")
    expect(mod.locator(".mod-item")).to_have_count(3)
    first = mod.locator(".mod-item").first
    expect(first.locator("img.leaflet-image-layer")).to_have_count(1)
    mod.wait_for_function("() => [...document.querySelectorAll('.mod-item img.leaflet-image-layer')]"
                          ".slice(0, 1).every(img => img.complete && img.naturalWidth > 0)")
    assert mod.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    for name in ("Confirm C", "Dismiss D", "Hide H", "Suspend S"):
        box = box_of(first.get_by_role("button", name=name))
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (name, box)
        assert box["height"] >= 36, (name, box)
    mod.keyboard.press("j")
    expect(mod.locator(".mod-item.current")).to_have_attribute("data-key", mod.locator(".mod-item").nth(1)
                                                               .get_attribute("data-key"))
    mod.keyboard.press("k")
    mod.keyboard.press("h")  # hide needs a reason: the item's form opens on the reason
    expect(first.locator("input[name=reason]")).to_be_focused()
    mod.keyboard.press("Escape")
    expect(first.locator(".mod-more")).to_be_hidden()
    mod.evaluate("window.scrollTo(0, 0)")
    shoot(mod, output_path, f"moderation-queue-{size}")

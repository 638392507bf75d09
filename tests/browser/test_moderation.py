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
from citizen.accounts.audit import AuditLog
from citizen.moderation.models import AlertSettings, Escalation
from tests.browser.conftest import PHONE, guard_network, serve
from tests.browser.pages import ModerationQueue, SignIn, WorkPage, box_of
from tests.helpers import answer_next, new_guest
from tests.test_moderation import Receiver

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 800}


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
    row = db.session.get(AlertSettings, org.id)  # the demo made the live page link
    row.webhook_url, row.webhook_secret = hook.url, "rescue-secret"
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
    SignIn(page).sign_in("mod@example.org")
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
    queue = ModerationQueue(mod).open()
    expect(queue.empty).to_be_visible()
    mod.evaluate("window.notReloaded = true")

    work = WorkPage(page).open(hiker)
    page.wait_for_function(WorkPage.MAP_PHOTO_READY)
    work.place_pin(box_of(work.map_photo), 0.5, 0.5)
    expect(work.marks).to_have_text("1 mark drawn.")
    page.keyboard.press("1")  # "Yes, a person"
    work.expect_done(1)

    item = queue.items.first
    expect(item).to_have_attribute("data-reason", "escalation", timeout=15_000)
    assert mod.evaluate("window.notReloaded") is True  # it came by polling, not by a reload
    expect(item).to_contain_text("A volunteer answered “person”")
    expect(queue.photo(item)).to_have_count(1)  # the photo, in pixel coordinates
    expect(queue.marks(item)).to_have_count(1)  # the volunteer's pin, drawn over it
    expect(item.get_by_role("button", name="Confirm C")).to_be_visible()
    expect(queue.count("escalation")).to_have_text("1")
    expect(queue.count("all")).to_have_text("1")
    shoot(mod, output_path, "moderation-escalation-desktop")

    mod.keyboard.press("c")
    expect(queue.items).to_have_count(0)
    expect(queue.status).to_contain_text("Done: confirm. Sent to: webhook ")  # and where else it went
    expect(queue.status.get_by_role("link", name="Escalation page: where the alert went")).to_be_visible()

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
    volunteer = new_guest(client)
    for _ in range(3):
        answer_next(client, hiker, {"answer": "person", "marks": mark}, volunteer, duration_ms=4000)
    db.session.close()
    queue = ModerationQueue(mod).open()
    expect(queue.items).to_have_count(3)
    first = queue.items.first
    expect(queue.photo(first)).to_have_count(1)
    mod.wait_for_function("() => [...document.querySelectorAll('.mod-item img.leaflet-image-layer')]"
                          ".slice(0, 1).every(img => img.complete && img.naturalWidth > 0)")
    assert mod.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    for name in ("Confirm C", "Dismiss D", "Hide H", "Suspend S"):
        box = box_of(first.get_by_role("button", name=name))
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (name, box)
        assert box["height"] >= 36, (name, box)
    mod.keyboard.press("j")
    expect(queue.current).to_have_attribute("data-key", queue.items.nth(1).get_attribute("data-key"))
    mod.keyboard.press("k")
    mod.keyboard.press("h")  # hide needs a reason: the item's form opens on the reason
    expect(first.locator("input[name=reason]")).to_be_focused()
    mod.keyboard.press("Escape")
    expect(first.locator(".mod-more")).to_be_hidden()
    mod.evaluate("window.scrollTo(0, 0)")
    shoot(mod, output_path, f"moderation-queue-{size}")

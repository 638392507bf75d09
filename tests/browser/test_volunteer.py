"""A guest volunteer, in real Chromium: from the home page to "All done here!"."""
import json
import os
import re
import time

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from citizen.campaigns import services as campaigns
from citizen.accounts.models import utcnow
from citizen.campaigns.models import LEASED, Answer, Assignment, Task
from citizen.extensions import db
from tests.browser.pages import WorkPage

pytestmark = pytest.mark.browser


@pytest.fixture
def photos(app):
    """Three photos written under the media folder; returns their task rows."""
    folder = os.path.join(app.config["MEDIA_FOLDER"], "photos")
    os.makedirs(folder, exist_ok=True)
    rows = []
    for i, colour in enumerate(["#b03a2e", "#5d6d7e", "#7d9c5b"]):
        Image.new("RGB", (640, 480), colour).save(os.path.join(folder, f"{i}.png"))
        rows.append({"external_id": f"photo-{i}", "image_url": f"/media/photos/{i}.png", "alt": f"Photo {i}"})
    return rows


def publish(make_campaign, rows):
    """A published question campaign of these tasks; returns (slug, title). The test's own
    database session is closed afterwards: on SQLite an open one would hold the write lock."""
    c = make_campaign(tasks=0, publish=False, title="Spot the red roofs")
    campaigns.import_tasks(c, "tasks.json", json.dumps(rows))
    campaigns.publish(c)
    db.session.commit()
    slug, title = c.slug, c.title
    db.session.close()
    return slug, title


@pytest.fixture
def campaign(make_campaign, photos):
    """Five tasks: three photos and two texts."""
    notes = [{"external_id": f"note-{i}", "text": f"Field note {i}: two houses with red roofs."} for i in range(2)]
    return publish(make_campaign, photos + notes)


@pytest.fixture
def captioned_photos(make_campaign, photos):
    """Three tasks that each show a photo and a caption: the tallest a question task gets."""
    return publish(make_campaign, [{**p, "text": "Seen from the north-east, the morning after the flood."}
                                   for p in photos])


def answers_in_database():
    rows = db.session.execute(select(Answer.contributor_id, Answer.value).order_by(Answer.id)).all()
    db.session.close()
    return rows


def test_guest_answers_skips_and_finishes(page, campaign):
    slug, title = campaign
    page.goto("/")
    page.get_by_role("link", name=title).click()
    expect(page).to_have_url(re.compile(f"/campaigns/{slug}$"))
    page.get_by_role("link", name="Start").click()
    work = WorkPage(page)

    seen = [work.next_question()]
    for answer, done in [(lambda: page.get_by_role("button", name="Yes").click(), "1"),
                         (lambda: page.keyboard.press("2"), "2"),
                         (lambda: page.get_by_role("button", name="Not sure").click(), "3")]:
        answer()
        seen.append(work.next_question(seen[-1]))
        expect(work.done_count).to_have_text(done)  # and it stays so with the next task
    assert len(set(seen)) == 4, seen

    rows = answers_in_database()
    assert [value for _, value in rows] == ["yes", "no", "unsure"]
    assert len({contributor for contributor, _ in rows}) == 1

    page.get_by_role("button", name="Skip").click()
    assert work.next_question(seen[-1]) not in seen

    page.get_by_role("button", name="Skip").click()
    expect(page.get_by_role("heading", name="All done here!")).to_be_visible()
    expect(work.task).to_be_hidden()
    expect(page.get_by_role("button", name="Skip")).to_be_hidden()
    expect(work.done_count).to_have_text("3")
    assert len(answers_in_database()) == 3


def test_answer_buttons_fit_a_phone(phone, captioned_photos):
    slug, _ = captioned_photos
    work = WorkPage(phone).open(slug)
    buttons = work.answer_buttons
    expect(buttons).to_have_count(3)
    expect(work.image).to_be_visible()
    expect(work.text).to_be_visible()
    width, height = phone.viewport_size["width"], phone.viewport_size["height"]
    image = work.image.bounding_box()
    assert image["x"] >= 0 and image["x"] + image["width"] <= width and image["width"] >= width * 0.8, image
    for i in range(3):
        box = buttons.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
        assert box["y"] >= 0 and box["y"] + box["height"] <= height, f"button {i} is below the fold: {box}"
        assert box["height"] >= 44, f"button {i} is too small to tap: {box}"
    assert phone.evaluate("document.documentElement.scrollWidth") <= width


def test_an_answer_is_sent_again_with_its_key_after_a_503_and_a_dropped_connection(page, campaign):
    """The database restarting (503) or a connection cut: the page sends the same answer again with the
    same Idempotency-Key, and it is stored once."""
    slug, _title = campaign
    keys, faults = [], ["503", "abort"]

    def flaky(route):
        keys.append(route.request.headers.get("idempotency-key"))
        fault = faults.pop(0) if faults else None
        if fault == "503":
            route.fulfill(status=503, content_type="application/json", headers={"Retry-After": "1"},
                          body=json.dumps({"code": "unavailable", "message": "briefly unavailable"}))
        elif fault == "abort":
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route(re.compile(r"/api/v1/tasks/\d+/answers$"), flaky)
    work = WorkPage(page).open(slug)
    first = work.next_question()
    page.get_by_role("button", name="Yes").click()
    work.next_question(first)
    expect(work.done_count).to_have_text("1")
    assert len(keys) == 3 and keys[0] and len(set(keys)) == 1, keys
    assert [value for _, value in answers_in_database()] == ["yes"]


def live_leases():
    leases = db.session.execute(select(Assignment.task_id).where(Assignment.state == LEASED,
                                                                 Assignment.expires_at > utcnow())).scalars().all()
    slots = db.session.execute(select(db.func.sum(Task.lease_count))).scalar()
    db.session.close()
    return sorted(leases), slots


def test_closing_the_work_page_gives_its_tasks_back(context, campaign):
    """A visitor who opens the work page and leaves: its tasks (the one shown and the one fetched ahead) are
    released at once (pagehide -> sendBeacon with the page's CSRF token), not after the lease runs out."""
    slug, _title = campaign
    page = context.new_page()
    WorkPage(page).open(slug).next_question()
    deadline = time.monotonic() + 10
    while len(live_leases()[0]) < 2 and time.monotonic() < deadline:  # the prefetch is under way
        time.sleep(0.1)
    assert len(live_leases()[0]) == 2
    page.close(run_before_unload=True)
    deadline = time.monotonic() + 10
    while live_leases() != ([], 0) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert live_leases() == ([], 0)
    # Every task is open for a newcomer again.
    assert db.session.execute(select(db.func.count()).where(Task.available == True)).scalar() == 5  # noqa: E712
    db.session.close()

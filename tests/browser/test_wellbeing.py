"""Graphic content in real Chromium: a blurred item with its warning, the reveal, a report, an opt-out, a break.

Every request the page makes is recorded: the original of a blurred image must not be asked for before the
volunteer reveals it (and nothing leaves 127.0.0.1, as in every browser test)."""
import json
import os
import re

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect
from sqlalchemy import select

from citizen.campaigns import services as campaigns
from citizen.campaigns.models import Answer, Assignment, Task
from citizen.extensions import db
from citizen.wellbeing.models import ContentFlag, ContentRating
from tests.browser.conftest import serve
from tests.browser.pages import WorkPage

pytestmark = pytest.mark.browser
RESOURCES = "Talk to **Ana**, our volunteer lead, on 0800 000 000."


@pytest.fixture
def live_server(make_app):
    """As in conftest, with a small exposure budget so a break is due after two graphic items."""
    with serve(make_app(WTF_CSRF_ENABLED=True, WELLBEING_BUDGET={"break_after": 2, "hard_limit": 10})) as url:
        yield url


def _photo(path, colour, seed):
    img = Image.new("RGB", (640, 480), colour)
    d = ImageDraw.Draw(img)
    for k in range(seed * 5, 640, 24):
        d.line([(k, 0), (k - 120, 480)], fill=(250, 250, 250), width=5)
    img.save(path)


@pytest.fixture
def photo_rows(app):
    """rows(prefix, n, **columns): task rows with their own photos under the media folder."""
    folder = os.path.join(app.config["MEDIA_FOLDER"], "uploads")
    os.makedirs(folder, exist_ok=True)

    def rows(prefix, n, **columns):
        out = []
        for i in range(n):
            _photo(os.path.join(folder, f"{prefix}-{i}-original.png"), ["#7a2e2e", "#445566", "#6d7d4b"][i % 3], i)
            out.append({"external_id": f"{prefix}-{i}", "image_url": f"/media/uploads/{prefix}-{i}-original.png",
                        "alt": f"Photo {i}", **columns})
        return out
    return rows


def publish(make_campaign, rows, wellbeing=None):
    c = make_campaign(tasks=0, publish=False, title="Find people who need help", wellbeing=wellbeing)
    campaigns.import_tasks(c, "tasks.json", json.dumps(rows))
    campaigns.publish(c)
    db.session.commit()
    slug = c.slug
    db.session.close()  # an open session would hold SQLite's write lock
    return slug


def record(page):
    seen = []
    page.on("request", lambda r: seen.append((r.method, r.url)))
    return seen


def test_a_blurred_item_with_its_warning_is_revealed_from_the_keyboard_then_reported(page, make_campaign,
                                                                                    photo_rows):
    rows = photo_rows("graphic", 3)
    slug = publish(make_campaign, rows, {"level": "graphic", "categories": ["injury"], "resources": RESOURCES})
    originals = [r["image_url"] for r in rows]
    requests = record(page)

    page.goto(f"/campaigns/{slug}")
    warning = page.get_by_role("region", name="Content warning")
    expect(warning).to_contain_text("Warning: graphic content. It may show: injured people.")
    expect(warning.get_by_role("link", name="Choose what you are shown")).to_be_visible()
    page.get_by_role("link", name="Start").click()

    work = WorkPage(page)
    src = work.next_image()
    assert src.endswith("-blurred.jpg") and "original" not in src
    notice = page.get_by_role("alert")
    expect(notice).to_contain_text("Warning: graphic content. It may show: injured people.")
    expect(notice).to_contain_text("hidden behind a blur")
    reveal = page.get_by_role("button", name="Show the image")
    expect(reveal).to_be_visible()
    page.wait_for_load_state("networkidle")  # the next task was prefetched, blurred too
    before = len(requests)
    assert not any(o in url for _m, url in requests for o in originals), requests
    assert "original" not in page.content()

    for _ in range(20):  # keyboard only: tab to the button, press Enter
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "wb-reveal":
            break
    assert page.evaluate("document.activeElement.id") == "wb-reveal"
    page.keyboard.press("Enter")
    expect(work.image).to_have_attribute("src", re.compile(r"/media/uploads/graphic-\d-original\.png$"))
    expect(reveal).to_be_hidden()
    expect(work.message).to_have_text("Shown. You can still skip it.")
    revealed_at = next(i for i, (m, url) in enumerate(requests) if m == "POST" and url.endswith("/reveal"))
    first_original = next(i for i, (_m, url) in enumerate(requests) if any(o in url for o in originals))
    assert before <= revealed_at < first_original

    current = work.image.get_attribute("src")
    page.get_by_text("Report: more upsetting than we said").click()
    expect(page.get_by_label("Graphic: injury, death or violence can be seen")).to_be_disabled()  # its rating
    page.get_by_label("Extremely graphic").check()
    page.get_by_role("button", name="Send report").click()
    expect(work.message).to_contain_text("Thank you for telling us")
    flags = db.session.execute(select(ContentFlag.level, Task.payload).join(Task)).all()
    db.session.close()
    assert [(level, payload["image_url"]) for level, payload in flags] == [(3, current)]


def test_a_volunteer_who_opted_out_never_receives_the_task(page, make_campaign, photo_rows):
    graphic = photo_rows("injury", 1, sensitivity="graphic", categories="injury")
    slug = publish(make_campaign, graphic + photo_rows("plain", 2))
    db.session.close()
    requests = record(page)

    page.goto(f"/campaigns/{slug}")
    page.get_by_role("link", name="Choose what you are shown").click()
    page.get_by_role("group", name="Injured people").get_by_label("Do not show it to me").check()
    page.get_by_role("button", name="Save my settings").click()
    expect(page).to_have_url(re.compile(f"/campaigns/{slug}$"))
    expect(page.get_by_text("Your content settings are saved")).to_be_visible()
    page.get_by_role("link", name="Start").click()

    work = WorkPage(page)
    seen = [work.next_image()]
    page.keyboard.press("1")
    seen.append(work.next_image(seen[0]))
    page.keyboard.press("1")
    expect(page.get_by_role("heading", name="All done here!")).to_be_visible()
    assert all("/uploads/plain-" in s for s in seen)

    task_id, blurred = db.session.execute(select(Task.id, ContentRating.blurred).outerjoin(
        ContentRating, ContentRating.task_id == Task.id).where(Task.external_id == "injury-0")).one()
    answers = db.session.execute(select(Answer.task_id)).scalars().all()
    handed = db.session.execute(select(Assignment.state).where(Assignment.task_id == task_id)).scalars().all()
    db.session.close()
    assert len(answers) == 2 and task_id not in answers and handed in ([], ["withheld"])
    never = [graphic[0]["image_url"], *(blurred or {}).values(), f"/tasks/{task_id}/"]
    assert not any(n in url for _m, url in requests for n in never), requests


def test_a_break_is_suggested_when_the_budget_is_reached(page, make_campaign, photo_rows):
    slug = publish(make_campaign, photo_rows("graphic", 4),
                   {"level": "graphic", "categories": ["injury"], "resources": RESOURCES})
    work = WorkPage(page).open(slug)
    dialog = page.get_by_role("dialog", name="Time for a break?")
    for n in (1, 2):
        work.next_image()
        page.get_by_role("button", name="Show the image").click()
        expect(work.image).to_have_attribute("src", re.compile(r"-original\.png$"))
        if n == 1:
            expect(dialog).to_be_hidden()
            page.get_by_role("button", name="Yes").click()
            work.expect_done(1)
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("You have looked at a lot of difficult material")
    expect(dialog.locator("strong", has_text="Ana")).to_be_visible()  # the organiser's resources
    expect(dialog.get_by_role("link", name="Stop for now")).to_be_visible()
    page.keyboard.press("1")  # the answer keys do not reach the task behind the prompt
    work.expect_done(1)
    dialog.get_by_role("button", name="Carry on").click()
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="Yes").click()
    work.expect_done(2)

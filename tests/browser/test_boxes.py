"""The boxes kind in real Chromium: a guest draws a box with the mouse on a desktop, another adds and sizes one
with the keyboard alone on a phone (390 px); both are sent and stored as fractions of the image. Screenshots of
both work pages are kept with pytest-playwright's artefacts (test-results/<test>/)."""
import os

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from citizen.campaigns import services as campaigns
from citizen.campaigns.models import Answer, Task
from citizen.demo.figures import street_scenes_zip
from citizen.extensions import db
from tests.browser.conftest import PHONE
from tests.browser.pages import ModerationQueue, SignIn, WorkPage, box_of

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def boxes_campaign(app, org, organiser):
    c = campaigns.create_campaign(org.id, organiser, {
        "title": "Browser boxes", "kind": "boxes", "redundancy": 3, "settings": {
            "classes": "Person | #e6194b | p\nCar | #4363d8 | c", "attributes": "Visibility: fully visible, partly hidden"}})
    campaigns.import_tasks(c, "scenes.zip", street_scenes_zip(range(2)))
    campaigns.publish(c)
    db.session.commit()
    slug = c.slug
    db.session.close()
    return slug


def shoot(page, output_path, name):
    page.wait_for_timeout(200)
    os.makedirs(output_path, exist_ok=True)
    path = os.path.join(output_path, f"{name}.png")
    page.screenshot(path=path)
    print("screenshot:", path)


def stored():
    db.session.expire_all()
    value, payload = db.session.execute(select(Answer.value, Task.payload).join(Task)).one()
    db.session.close()
    return value, payload


def no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_guest_draws_a_box_with_the_mouse(page, boxes_campaign, output_path):
    page.set_viewport_size(DESKTOP)
    work = WorkPage(page).open(boxes_campaign)
    page.wait_for_function(WorkPage.BOXES_READY)
    stage = box_of(work.boxes_stage)
    assert stage["y"] + stage["height"] <= DESKTOP["height"], stage  # the whole image on screen
    page.keyboard.press("+")  # zoomed in, the view scrolls; zoomed out again, the image fits
    assert box_of(work.boxes_stage)["width"] > stage["width"] * 1.4
    page.keyboard.press("-")
    stage = box_of(work.boxes_stage)
    work.drag_box(stage, (0.2, 0.3), (0.5, 0.7))
    expect(work.boxes_drawn).to_have_count(1)
    work.box_class("Car").click()
    work.box_attribute("Visibility").select_option("partly-hidden")
    expect(work.boxes_send).to_have_text("Done: send 1 box")
    expect(work.boxes_none).to_be_disabled()
    no_sideways_scroll(page)
    shoot(page, output_path, "work-boxes-mouse-desktop")
    work.boxes_send.click()
    work.wait_done_or_error(1, timeout=20_000)
    work.expect_done(1)
    page.wait_for_function(WorkPage.BOXES_READY)
    expect(work.boxes_drawn).to_have_count(0)  # the next image starts clean
    value, _payload = stored()
    [box] = value["boxes"]
    assert box["class"] == "car" and box["attributes"] == {"visibility": "partly-hidden"}, box
    for key, expected in (("x", 0.2), ("y", 0.3), ("w", 0.3), ("h", 0.4)):
        assert abs(box[key] - expected) < 0.02, (key, box)


def test_guest_adds_and_sizes_a_box_with_the_keyboard_on_a_phone(phone, boxes_campaign, output_path):
    work = WorkPage(phone).open(boxes_campaign)
    phone.wait_for_function(WorkPage.BOXES_READY)
    stage = box_of(work.boxes_stage)
    assert stage["width"] <= PHONE["width"] and stage["width"] > PHONE["width"] * 0.8, stage
    work.boxes_stage.focus()
    phone.keyboard.press("n")
    expect(work.boxes_selected).to_have_count(1)
    for key in ["ArrowRight"] * 5 + ["ArrowDown"] * 3 + ["Shift+ArrowLeft"] * 4:
        phone.keyboard.press(key)
    phone.keyboard.press("c")
    expect(work.boxes_status).to_contain_text("Car")
    phone.keyboard.press("u")  # undo the class...
    expect(work.boxes_status).to_contain_text("Person")
    phone.keyboard.press("c")  # ...and set it again
    no_sideways_scroll(phone)
    shoot(phone, output_path, "work-boxes-keyboard-phone")
    phone.keyboard.press("Enter")
    work.wait_done_or_error(1, timeout=20_000)
    work.expect_done(1)
    value, _payload = stored()
    [box] = value["boxes"]
    # N puts a box of 0.2 x 0.2 in the middle of the view: 5 steps right, 3 down, 4 narrower (1 % each)
    assert box["class"] == "car" and box["attributes"] == {"visibility": "fully-visible"}, box
    assert abs(box["x"] - 0.45) < 0.03 and abs(box["w"] - 0.16) < 0.005 and abs(box["h"] - 0.2) < 0.005, box


def test_moderator_sees_every_volunteers_boxes_and_the_consensus(page, app, org, organiser, make_user, output_path):
    """Two volunteers box the same person; one also boxes a car the other did not see: an uncertain object, so the
    image is on the moderators' queue, drawn with both volunteers' boxes and the agreed one."""
    from tests.helpers import answer_next, new_guest
    make_user("mod@example.org", "moderator", name="Mo Moderator")
    c = campaigns.create_campaign(org.id, organiser, {
        "title": "Browser boxes review", "kind": "boxes", "redundancy": 2, "settings": {
            "classes": "Person | #e6194b | p\nCar | #4363d8 | c"}})
    campaigns.import_tasks(c, "scenes.zip", street_scenes_zip(range(1)))
    campaigns.publish(c)
    db.session.commit()
    slug = c.slug
    client = app.test_client()
    person = {"x": 0.3, "y": 0.3, "w": 0.1, "h": 0.4, "class": "person"}
    answer_next(client, slug, {"boxes": [person]}, who=new_guest(client))
    answer_next(client, slug, {"boxes": [{**person, "x": 0.31}, {"x": 0.6, "y": 0.7, "w": 0.2, "h": 0.2,
                                                                 "class": "car"}]}, who=new_guest(client))
    db.session.close()
    page.set_viewport_size(DESKTOP)
    SignIn(page).sign_in("mod@example.org")
    queue = ModerationQueue(page).open()
    expect(queue.items).to_have_count(1)
    drawn = queue.items.first.locator(".mod-map path")
    expect(drawn).to_have_count(4)  # 1 + 2 volunteers' boxes and the agreed person
    page.wait_for_timeout(300)
    shoot(page, output_path, "moderation-boxes-desktop")

    # The reviewer adjusts it with the keyboard alone: E opens the editor on the agreed boxes (the car, seen by
    # one volunteer, is not agreed), N adds the car, C gives it its class, Enter saves it as the result.
    page.set_viewport_size(PHONE)
    page.keyboard.press("e")
    expect(queue.editor).to_be_visible()
    expect(queue.editor_boxes).to_have_count(1)
    page.wait_for_function("() => document.querySelector('#mod-editor #bx-image').complete")
    no_sideways_scroll(page)
    page.keyboard.press("n")
    page.keyboard.press("c")
    for key in ["ArrowRight"] * 10 + ["ArrowDown"] * 20:
        page.keyboard.press(key)
    expect(queue.editor_boxes).to_have_count(2)
    shoot(page, output_path, "moderation-boxes-editor-phone")
    # Esc deselects the new box; Esc again over unsent changes only warns; any other key and it warns anew.
    page.keyboard.press("Escape")
    expect(queue.editor.locator(".bx-box.selected")).to_have_count(0)
    page.keyboard.press("Escape")
    expect(queue.status).to_contain_text("press Esc again")
    expect(queue.editor).to_be_visible()
    expect(queue.editor_boxes).to_have_count(2)
    # Enter asks for a reason first (there is none by default: the audit log keeps what the moderator says)
    page.keyboard.press("Enter")
    expect(queue.status).to_contain_text("Say why")
    expect(queue.editor_reason).to_be_focused()
    page.keyboard.type("The car was missing")
    page.keyboard.press("Enter")
    expect(queue.empty).to_be_visible()
    expect(queue.editor).to_be_hidden()
    db.session.expire_all()
    override = db.session.execute(select(Task.consensus)).scalar_one()["override"]
    db.session.close()
    assert override["action"] == "override" and override["reason"] == "The car was missing", override
    assert sorted(b["class"] for b in override["answer"]["boxes"]) == ["car", "person"], override

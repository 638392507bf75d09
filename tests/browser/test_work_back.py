"""Back on the work page (issue 19), in real Chromium at desktop and 390 px: a volunteer who pressed the wrong
answer goes back to the task they answered last, answers it again, and the stored answer changes; then they are on
the task they left. "Keep my answer" returns without changing anything."""
import json
import os

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from citizen.campaigns import services as campaigns
from citizen.campaigns.models import Answer, Task
from citizen.extensions import db
from tests.browser.conftest import PHONE
from tests.browser.pages import WorkPage, box_of

pytestmark = pytest.mark.browser


@pytest.fixture
def notes(make_campaign):
    c = make_campaign(tasks=0, publish=False, title="Read the field notes")
    campaigns.import_tasks(c, "tasks.json", json.dumps([
        {"external_id": f"note-{i}", "text": f"Field note {i}: two houses, one with a red roof."} for i in range(4)]))
    campaigns.publish(c)
    db.session.commit()
    slug = c.slug
    db.session.close()
    return slug


def stored_answers():
    db.session.expire_all()
    rows = db.session.execute(select(Task.payload, Answer.value).join(Task, Task.id == Answer.task_id)
                              .order_by(Answer.id)).all()
    db.session.close()
    return [(payload["text"][:12], value) for payload, value in rows]


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_back_changes_the_last_answer_then_returns_to_the_task_left(page, notes, output_path, size):
    page.set_viewport_size(PHONE if size == "phone" else {"width": 1280, "height": 800})
    work = WorkPage(page).open(notes)
    back = page.get_by_role("button", name="Back: change my last answer")
    first = work.next_question()
    expect(back).to_be_hidden()  # nothing answered yet
    page.keyboard.press("1")  # "Yes": the wrong button
    second = work.next_question(first)
    expect(back).to_be_visible()
    back.click()
    assert work.next_question(second) == first  # the task answered last is on screen again
    expect(work.message).to_contain_text("answer it again")
    expect(work.skip_button).to_be_hidden()
    if size == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert box_of(page.get_by_role("button", name="Keep my answer"))["height"] >= 44
    os.makedirs(output_path, exist_ok=True)
    page.screenshot(path=os.path.join(output_path, f"work-back-{size}.png"))
    page.keyboard.press("2")  # "No", this time
    expect(work.message).to_contain_text("Your answer was changed")
    assert work.next_question(first) == second  # the task left, again, to answer as usual
    work.expect_done(1)
    assert [v for _t, v in stored_answers()] == ["no"]
    page.keyboard.press("1")
    work.expect_done(2)
    third = work.next_question(second)

    # Back, then "Keep my answer": nothing changes, and the task left comes back.
    back.click()
    assert work.next_question(third) == second
    page.get_by_role("button", name="Keep my answer").click()
    assert work.next_question(second) == third
    assert [v for _t, v in stored_answers()] == ["no", "yes"]

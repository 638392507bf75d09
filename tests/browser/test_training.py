"""Training on the work page (issue 20), in real Chromium at desktop and 390 px: a volunteer answers the tutorial
wrongly and reads why, fails the qualification, tries again, passes, and then works; their answers before passing
never reached the work. axe finds nothing on the feedback."""
import json
import os

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from citizen.campaigns import services as campaigns
from citizen.campaigns.models import Answer
from citizen.extensions import db
from citizen.training import services as training
from citizen.training.models import QualificationRun
from tests.browser.conftest import PHONE
from tests.browser.pages import WorkPage, box_of
from tests.browser.test_accessibility import axe_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def trained_campaign(make_campaign, organiser):
    c = make_campaign(tasks=0, publish=False, title="Read the field notes")
    campaigns.import_tasks(c, "tasks.json", json.dumps([
        {"external_id": f"note-{i}", "text": f"Field note {i}: two houses, one with a red roof."} for i in range(5)]))
    training.add(c, "note-0", "tutorial", "yes", "A red roof is there: the second house.", organiser)
    training.add(c, "note-1", "qualification", "yes", "", organiser)
    campaigns.publish(c)
    db.session.commit()
    slug = c.slug
    db.session.close()
    return slug


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_volunteer_trains_qualifies_then_works(page, trained_campaign, output_path, size):
    page.set_viewport_size(PHONE if size == "phone" else {"width": 1280, "height": 800})
    work = WorkPage(page).open(trained_campaign)
    step = page.locator("#training-step")
    expect(step).to_contain_text("Tutorial: task 1 of 1")
    expect(work.skip_button).to_be_hidden()
    page.wait_for_function(WorkPage.QUESTION_READY)
    page.locator("#q-options button.answer[data-value=no]").click()
    feedback = page.locator("#training-feedback")
    expect(feedback).to_contain_text("Not quite.")
    expect(feedback).to_contain_text("The experts answered: Yes.")
    expect(feedback).to_contain_text("the second house")
    next_button = page.get_by_role("button", name="Next")
    expect(next_button).to_be_focused()
    if size == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert box_of(next_button)["height"] >= 44
    os.makedirs(output_path, exist_ok=True)
    page.screenshot(path=os.path.join(output_path, f"training-feedback-{size}.png"), full_page=True)
    assert axe_violations(page) == []
    next_button.click()
    expect(step).to_contain_text("Qualification: task 1 of 1")
    page.wait_for_function(WorkPage.QUESTION_READY)
    page.locator("#q-options button.answer[data-value=no]").click()  # wrong: the run fails
    expect(feedback).to_contain_text("Not this time")
    page.get_by_role("button", name="Try again").click()
    page.wait_for_function(WorkPage.QUESTION_READY)
    page.locator("#q-options button.answer[data-value=yes]").click()
    expect(feedback).to_contain_text("You passed!")
    page.screenshot(path=os.path.join(output_path, f"training-passed-{size}.png"), full_page=True)
    page.get_by_role("button", name="Start working").click()
    expect(page.locator("#training")).to_be_hidden()
    expect(work.skip_button).to_be_visible()
    page.wait_for_function(WorkPage.QUESTION_READY)
    page.locator("#q-options button.answer[data-value=yes]").click()
    work.expect_done(1)
    db.session.expire_all()
    assert db.session.execute(select(QualificationRun.passed).order_by(QualificationRun.attempt)).scalars().all() \
        == [False, True]
    # Only the work answer is an Answer, and qualification does not hold it back (it came fast: weight 0 for that).
    assert db.session.execute(select(Answer.reason)).scalars().all() == [None]
    db.session.close()

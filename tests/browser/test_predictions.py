"""A model in the loop on the pages (issue 22), in real Chromium at desktop and 390 px: a volunteer sees the model's
suggestion over a task outside the audit sample; the organiser's Model page shows the estimate, the confusion matrix
and the disagreements. axe finds nothing on either."""
import json
import os

import pytest
from playwright.sync_api import expect

from citizen.campaigns import services as campaigns
from citizen.extensions import db
from citizen.predictions import services as predictions
from tests.browser.conftest import PHONE
from tests.browser.pages import SignIn, WorkPage
from tests.browser.test_accessibility import axe_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def routed(make_campaign):
    c = make_campaign(tasks=0, publish=False, title="Check the detector", redundancy=1)
    campaigns.import_tasks(c, "tasks.json", json.dumps([
        {"external_id": f"n{i}", "text": f"Field note {i}: two houses, one with a red roof."} for i in range(6)]))
    predictions.import_predictions(c, "p.jsonl", "\n".join(json.dumps(
        {"external_id": f"n{i}", "model": "detector-2", "answer": "yes" if i % 2 else "no",
         "confidence": 0.55 + i * 0.05}) for i in range(6)))
    predictions.set_routing(c, {"audit": 0.0, "show": True})
    campaigns.publish(c)
    db.session.commit()
    slug = c.slug
    db.session.close()
    return slug


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_suggestion_and_the_model_page(page, routed, output_path, size):
    page.set_viewport_size(PHONE if size == "phone" else {"width": 1280, "height": 800})
    WorkPage(page).open(routed)
    page.wait_for_function(WorkPage.QUESTION_READY)
    suggestion = page.locator("#suggestion")
    expect(suggestion).to_contain_text("A computer model suggests: No (55 % sure)")  # the least sure comes first
    os.makedirs(output_path, exist_ok=True)
    page.screenshot(path=os.path.join(output_path, f"suggestion-{size}.png"), full_page=True)
    assert axe_violations(page) == []
    page.locator("#q-options button.answer[data-value=yes]").click()
    expect(suggestion).to_contain_text("Yes (60 % sure)")
    SignIn(page).sign_in("organiser@example.org")
    page.goto(f"/organise/{routed}/model")
    expect(page.get_by_role("heading", name="Model detector-2")).to_be_visible()
    if size == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=os.path.join(output_path, f"model-page-{size}.png"), full_page=True)
    assert axe_violations(page) == []

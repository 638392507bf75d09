"""An organiser, in real Chromium: sign in, create a campaign, import its tasks, publish it."""
import re

import pytest
from playwright.sync_api import expect

from citizen.extensions import db
from tests.browser.pages import ManagePage, SignIn

pytestmark = pytest.mark.browser

PASSWORD = "a-known-password"
BAD_CSV = b"text,image_url\nTwo houses by the river,\nA roof seen from the air,ftp://example.org/roof.jpg\n"
GOOD_CSV = (b"external_id,text\n"
            + b"".join(b"note-%d,Field note %d: the river is rising.\n" % (i, i) for i in range(1, 6)))


@pytest.fixture
def organiser_email(make_user):
    user = make_user(email="olu@example.org", role="organiser", password=PASSWORD, name="Olu")
    email = user.email
    db.session.close()  # SQLite: a session left in a transaction would hold the write lock
    return email


def test_organiser_creates_imports_and_publishes(page, organiser_email):
    SignIn(page).sign_in(organiser_email, PASSWORD)
    page.get_by_role("link", name="Organise").click()
    page.get_by_role("link", name="New campaign").click()
    expect(page).to_have_url(re.compile("/organise/new$"))
    page.get_by_label("Title").fill("Rising rivers")
    page.get_by_label("Summary").fill("Read field notes and tell us where people need help.")
    page.get_by_label("Question volunteers answer").fill("Does the note report people in danger?")
    page.get_by_label("Answers, one per line").fill("Yes\nNo\nNot sure")
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rising rivers")

    manage = ManagePage(page)
    manage.upload("tasks.csv", BAD_CSV)
    errors = manage.import_errors
    expect(errors).to_have_count(1)
    expect(errors).to_contain_text("Line 3")
    expect(page.get_by_label("Preview").get_by_text("No tasks yet.")).to_be_visible()  # nothing was imported

    manage.upload("tasks.csv", GOOD_CSV)
    expect(page.get_by_text("5 tasks imported.")).to_be_visible()
    previews = manage.previews
    expect(previews).to_have_count(3)
    expect(previews.first).to_contain_text("Field note 1: the river is rising.")
    expect(previews.first).to_contain_text("Does the note report people in danger?")
    expect(previews.first).to_contain_text("1 · Yes")

    page.goto("/")
    expect(page.get_by_role("link", name="Rising rivers")).to_have_count(0)  # a draft is not public
    page.get_by_role("link", name="Organise").click()
    page.get_by_role("link", name="Rising rivers").click()
    manage.publish()
    expect(page.get_by_text("Published. Volunteers can now find it on the home page.")).to_be_visible()

    page.goto("/")
    page.get_by_role("link", name="Rising rivers").click()
    expect(page.get_by_role("link", name="Start")).to_be_visible()

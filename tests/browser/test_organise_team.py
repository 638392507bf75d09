"""Organisers' tools of issue 19 in real Chromium, at desktop size and on a 390 px phone: the team page (invite,
join by the link after registering, change a role, remove), the manage page's delete and close-with-undo, and the
pages that were wider than a phone (the new transcription-campaign form, the audit log). axe finds no violation on
the new pages; screenshots go to pytest-playwright's output folder."""
import json
import os

import pytest
from playwright.sync_api import expect

from citizen.accounts import audit
from citizen.campaigns import services as campaigns
from citizen.extensions import db
from tests.browser.conftest import PHONE
from tests.browser.pages import JoinPage, ManagePage, SignIn, TeamPage, settle
from tests.browser.test_accessibility import axe_violations, phone_problems

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
SIZES = {"desktop": DESKTOP, "phone": PHONE}


def shoot(page, output_path, name):
    os.makedirs(output_path, exist_ok=True)
    path = os.path.join(output_path, f"{name}.png")
    page.screenshot(path=path, full_page=True)
    print("screenshot:", path)


def fits(page, size):
    """No axe violation; on a phone, nothing scrolls sideways and buttons are a finger tall."""
    settle(page)
    problems = axe_violations(page)
    if size == "phone":
        problems += phone_problems(page)
    assert problems == [], "\n".join(problems)


@pytest.fixture
def organiser_email(make_user):
    email = make_user("olu@example.org", "organiser", name="Olu").email
    db.session.close()  # SQLite: a session left in a transaction would hold the write lock
    return email


@pytest.mark.parametrize("size", SIZES)
def test_team_invite_join_change_role_and_remove(browser, live_server, organiser_email, output_path, size):
    organiser = browser.new_context(base_url=live_server, viewport=SIZES[size]).new_page()
    SignIn(organiser).sign_in(organiser_email)
    team = TeamPage(organiser).open()
    expect(team.members).to_have_count(1)
    fits(organiser, size)
    link = team.invite("moderator")
    expect(team.code).to_be_visible()
    fits(organiser, size)
    shoot(organiser, output_path, f"team-invitation-{size}")

    # The invited person has no account yet: the link leads to registering, signing in, and joining.
    newcomer = browser.new_context(base_url=live_server, viewport=SIZES[size]).new_page()
    newcomer.goto(link.replace(live_server, ""))
    expect(newcomer.get_by_text("You are invited to join Test Org as moderator.")).to_be_visible()
    fits(newcomer, size)
    newcomer.get_by_role("link", name="Create an account").click()
    newcomer.get_by_label("Your name").fill("Mo Moderator")
    newcomer.get_by_label("E-mail").fill("mo@example.org")
    newcomer.get_by_label("Password").fill("long enough")
    newcomer.get_by_role("button", name="Create account").click()
    newcomer.get_by_label("E-mail").fill("mo@example.org")
    newcomer.get_by_label("Password").fill("long enough")
    newcomer.get_by_role("button", name="Sign in").click()
    JoinPage(newcomer).join("Test Org")
    expect(newcomer.get_by_text("Welcome to Test Org: you are now moderator.")).to_be_visible()

    team.open()
    expect(team.members).to_have_count(2)
    team.change_role("Mo Moderator", "organiser")
    expect(team.message).to_have_text("Mo Moderator is now organiser.")
    fits(organiser, size)
    shoot(organiser, output_path, f"team-{size}")
    team.remove("Mo Moderator")
    expect(team.message).to_have_text("Mo Moderator was removed from the team.")
    expect(team.members).to_have_count(1)
    team.remove("Olu")  # the last organiser stays
    expect(team.message).to_contain_text("needs an organiser")

    organiser.goto("/moderation/audit")
    for action in ("invited", "joined", "changed a role", "removed from the team"):
        expect(organiser.get_by_text(action, exact=True)).to_be_visible()
    fits(organiser, size)
    shoot(organiser, output_path, f"audit-log-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_manage_page_deletes_unanswered_tasks_and_closing_can_be_undone(browser, live_server, org, organiser_email,
                                                                         output_path, size):
    from sqlalchemy import select

    from citizen.accounts.models import User
    user = db.session.execute(select(User).where(User.email == organiser_email)).scalar_one()
    c = campaigns.create_campaign(org.id, user, {"title": "Rising rivers", "kind": "question", "settings": {
        "question": "Is anyone in danger?", "options": [{"value": "yes", "label": "Yes"},
                                                        {"value": "no", "label": "No"}]}})
    campaigns.import_tasks(c, "notes.json", json.dumps([{"external_id": f"note-{i}", "text": f"Note {i}"}
                                                         for i in range(1, 6)]))
    campaigns.publish(c)
    slug = c.slug
    db.session.commit()
    db.session.close()

    page = browser.new_context(base_url=live_server, viewport=SIZES[size]).new_page()
    SignIn(page).sign_in(organiser_email)
    manage = ManagePage(page).open(slug)
    expect(manage.task_rows).to_have_count(5)
    manage.select_task("note-2")
    manage.select_task("note-4")
    manage.delete_selected()
    expect(page.get_by_text("2 tasks deleted.")).to_be_visible()
    expect(manage.task_rows).to_have_count(3)
    fits(page, size)
    shoot(page, output_path, f"manage-tasks-{size}")

    manage.close(confirm=False)  # "Cancel" on the question: nothing happens
    expect(manage.status).to_have_text("published")
    page.get_by_role("link", name="Close campaign").click()
    expect(page.get_by_text("You can undo this")).to_be_visible()
    fits(page, size)
    shoot(page, output_path, f"close-confirm-{size}")
    page.get_by_role("button", name="Yes, close the campaign").click()
    expect(manage.status).to_have_text("closed")
    manage.reopen()
    expect(page.get_by_text("Reopened: volunteers can answer again.")).to_be_visible()
    expect(manage.status).to_have_text("published")


@pytest.mark.parametrize("path", ["/organise/new?kind=transcription", "/moderation/audit"])
def test_phone_pages_that_were_too_wide_fit_390_px(phone, live_server, org, organiser_email, output_path, path):
    from sqlalchemy import select

    from citizen.accounts.models import User
    user = db.session.execute(select(User).where(User.email == organiser_email)).scalar_one()
    # Long unbroken values are what made the audit log wide: a webhook address, a list of task ids.
    audit.record(user, org.id, "alert_settings", "organisation", org.slug, "", None,
                 {"webhook_url": "https://hooks.example.org/services/T0000000/B0000000/" + "x" * 60,
                  "emails": "alerts@example.org,duty-officer@example.org", "secret_changed": True})
    audit.record(user, org.id, "delete_tasks", "campaign", 1, before={"tasks": [f"cell-r{i}c{i}" for i in range(30)],
                                                                      "count": 30}, after={"tasks_total": 70})
    db.session.commit()
    db.session.close()
    SignIn(phone).sign_in(organiser_email)
    phone.goto(path)
    wide = phone.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > 390.5)
        .map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right))""")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, wide[:15]
    fits(phone, "phone")
    shoot(phone, output_path, "phone" + path.replace("/", "-").replace("?", "-").replace("=", "-"))


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_campaign_texts_in_spanish_from_the_translations_page(page, make_campaign, size, output_path):
    c = make_campaign(tasks=2, title="Find red roofs", summary="Look at roofs.")
    slug = c.slug
    db.session.close()
    page.set_viewport_size(SIZES[size])
    SignIn(page).sign_in("organiser@example.org")  # make_campaign's organiser
    page.goto(f"/organise/{slug}/")
    page.get_by_role("link", name="Translations").click()
    expect(page.get_by_label("Translation into").get_by_role("link", name="Español")).to_have_attribute("aria-current", "page")
    page.get_by_label("Title").fill("Encontrar tejados rojos")
    page.get_by_label("Question").fill("¿Hay un tejado rojo?")
    page.get_by_label("Answer “Yes”").fill("Sí")
    fits(page, SIZES[size])
    shoot(page, output_path, f"translations-{size}")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Volunteers reading this language see these words.")).to_be_visible()
    page.get_by_role("link", name="See the public page in this language").click()
    expect(page.get_by_role("heading", name="Encontrar tejados rojos")).to_be_visible()
    page.goto(f"/campaigns/{slug}/work")
    expect(page.locator("#q-question")).to_have_text("¿Hay un tejado rojo?")
    expect(page.locator("#q-options button.answer").first).to_contain_text("Sí")
    fits(page, SIZES[size])


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_draw_an_area_goes_to_fiji_and_a_tile_address_is_tried_in_the_form(page, org, organiser, size, output_path):
    """The map campaign's organiser: "Go to" moves the draw-an-area map to a country across the 180th meridian
    (offline names), a name it does not know gets a clear message; on the campaign form, the test tile of the
    campaign's imagery loads, an ESRI-ordered address ({z}/{y}/{x}) is accepted, one without {y} is refused."""
    c = campaigns.create_campaign(org.id, organiser, {
        "title": "Reef damage", "kind": "damage", "settings": {
            "tiles_after": "/tiles/demo/town-after/{z}/{x}/{y}.png", "cell_km": 1}})
    db.session.commit()
    slug = c.slug
    db.session.close()
    page.set_viewport_size(SIZES[size])
    SignIn(page).sign_in("organiser@example.org")
    page.goto(f"/organise/{slug}/")
    page.locator("details.draw-area > summary").click()
    page.get_by_label("Go to").fill("Fiji")
    page.get_by_role("button", name="Go", exact=True).click()
    expect(page.locator("#draw-goto-status")).to_contain_text("Fiji")
    page.get_by_label("Go to").fill("Atlantis")
    page.get_by_role("button", name="Go", exact=True).click()
    expect(page.locator("#draw-goto-status")).to_contain_text("No such place")
    fits(page, SIZES[size])
    shoot(page, output_path, f"draw-area-goto-{size}")
    page.locator("#area").fill(json.dumps({"type": "Polygon", "coordinates": [[[177, -19], [182, -19], [182, -16],
                                                                                [177, -16], [177, -19]]]}))
    with page.expect_download() as download:  # the import form sent to the parts route: a GeoJSON file
        page.get_by_role("button", name="Download the area in parts").click()
    assert download.value.suggested_filename == f"{slug}-area-parts.geojson"
    parts = json.loads(open(download.value.path()).read())["features"]
    assert parts and parts[0]["properties"] == {"part": 1, "of": len(parts)}

    page.goto(f"/organise/{slug}/edit")
    tiles = page.locator("input[name=tiles_after]")
    tiles.fill("/tiles/demo/town-after/{z}/{x}/{y}.png")
    page.locator('.tile-check[data-for="tiles_after"] button').click()
    expect(page.locator('.tile-check[data-for="tiles_after"] .message')).to_contain_text("The test tile loaded")
    message = page.locator('.tile-check[data-for="tiles_after"] .message')
    tiles.fill("/tiles/demo/town-after/{z}/{y}/{x}.png")  # ESRI's order ({z}/{y}/{x}): accepted, its tile asked for
    page.locator('.tile-check[data-for="tiles_after"] button').click()
    expect(message).to_contain_text("The test tile")
    tiles.fill("/tiles/demo/town-after/{z}/{x}.png")  # no {y}: refused by the server, with the reason
    page.locator('.tile-check[data-for="tiles_after"] button').click()
    expect(message).not_to_have_text("…")
    expect(message).not_to_contain_text("The test tile")
    fits(page, SIZES[size])

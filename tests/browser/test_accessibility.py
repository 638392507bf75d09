"""Accessibility in real Chromium: axe-core (WCAG 2.1 A and AA rules) finds no violation on any public page, at
desktop size and on a 390 px phone, where nothing scrolls sideways and buttons are at least 44 px tall.

axe-core is vendored for the tests only (tests/browser/vendor/axe.min.js, MPL-2.0) and injected by Playwright;
the site never serves it. The pages come from the `make run` demo (one campaign of every kind, with history)."""
from pathlib import Path

import pytest

from tests.browser.conftest import PHONE
from tests.browser.pages import WorkPage, settle

# One worker for the tests on the session's demo site (conftest demo_site): it is built once, and they share it.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("demo-site")]

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": PHONE}

PAGES = {
    "home": "/",
    "campaign-question": "/campaigns/red-roofs",
    "campaign-deforestation": "/campaigns/forest-clearings",
    "campaign-damage": "/campaigns/quake-damage",
    "campaign-transcription": "/campaigns/expense-reports",
    "campaign-search": "/campaigns/missing-hiker",
    "campaign-graphic": "/campaigns/graphic-damage-demo",
    "campaign-finished": "/campaigns/winter-shelters",
    "profile-public": "/volunteers/demo-amina",
    "certificate": "/volunteers/demo-amina/certificate",
    "profile-empty": "/me",
    "login": "/account/login",
    "register": "/account/register",
    "content-settings": "/wellbeing/preferences",
    "open-data": "/data/",
    "open-data-campaign": "/data/red-roofs/",
    "not-found": "/campaigns/no-such-campaign",
}
# Work pages: ready once a task is on screen with its answers.
WORK = {  # the demo campaign, and what shows that its task is on screen
    "work-question": ("red-roofs", lambda work: work.answer_buttons),
    "work-text": ("read-the-field-notes", lambda work: work.answer_buttons),
    "work-deforestation": ("forest-clearings", lambda work: work.map_answer_buttons),
    "work-damage": ("quake-damage", lambda work: work.map_answer_buttons),
    "work-search": ("missing-hiker", lambda work: work.map_answer_buttons),
    "work-graphic": ("graphic-damage-demo", lambda work: work.map_answer_buttons),
    "work-transcription": ("expense-reports", lambda work: work.fields),
}


def axe_violations(page):
    """Run axe-core on the page; returns its violations as short readable lines (empty when none)."""
    page.evaluate(AXE)  # through DevTools: the page's CSP (no inline scripts) does not apply to it
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
                           TAGS)
    return [f"{v['id']} ({v['impact']}): {v['help']} -> " + "; ".join(
        " ".join(n["target"]) + " " + n["failureSummary"].replace("\n", " ")[:200] for n in v["nodes"][:5])
        for v in result["violations"]]


def phone_problems(page):
    """Sideways scrolling, and visible buttons shorter than 44 px (a finger's width)."""
    problems = []
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        problems.append(f"the page is {width} px wide: it scrolls sideways")
    small = page.evaluate("""() => [...document.querySelectorAll('.button, button:not(.link), input[type=submit]')]
        .filter(b => b.offsetParent !== null && !b.closest('.leaflet-container'))
        .map(b => [b.textContent.trim().slice(0, 40), Math.round(b.getBoundingClientRect().height)])
        .filter(([_, h]) => h < 44)""")
    problems += [f"button {label!r} is {h} px tall" for label, h in small]
    return problems


def check(page, size):
    settle(page)
    problems = axe_violations(page)
    if size == "phone":
        problems += phone_problems(page)
    assert problems == [], "\n".join(problems)


@pytest.fixture(params=list(SIZES))
def sized_page(request, demo_context):
    page = demo_context.new_page()
    page.set_viewport_size(SIZES[request.param])
    return page, request.param


@pytest.mark.parametrize("name", list(PAGES))
def test_axe_finds_nothing_on_public_pages(sized_page, name):
    page, size = sized_page
    response = page.goto(PAGES[name])
    assert response.status == (404 if name == "not-found" else 200)
    check(page, size)


@pytest.mark.parametrize("name", list(WORK))
def test_axe_finds_nothing_on_work_pages_with_a_task_shown(sized_page, name):
    page, size = sized_page
    slug, shown = WORK[name]
    shown(WorkPage(page).open(slug)).first.wait_for()
    check(page, size)


def test_axe_finds_nothing_on_a_volunteers_own_profile_and_certificate(sized_page):
    page, size = sized_page
    work = WorkPage(page).open("red-roofs")
    work.answer_buttons.first.click()
    work.expect_done(1)
    page.goto("/me")
    page.get_by_label("Display name", exact=True).fill("Axe Tester")
    page.get_by_label("Make my profile public").check()
    page.get_by_role("button", name="Save my settings").click()
    page.get_by_text("Your profile settings are saved.").wait_for()
    check(page, size)
    page.goto("/me/certificate")
    check(page, size)


def test_axe_finds_nothing_on_form_errors_and_other_languages(sized_page):
    page, size = sized_page
    page.goto("/account/register")
    page.get_by_role("button", name="Create account").click()
    settle(page)
    check(page, size)
    for lang in ("es", "fr"):
        page.goto(f"/campaigns/red-roofs?lang={lang}")
        assert page.evaluate("document.documentElement.lang") == lang
        check(page, size)


def test_axe_finds_nothing_on_the_moderators_queue_and_the_boxes_editor(sized_page):
    """The queue draws every item's photo or map (Leaflet, with marks) and, for a disputed boxes image, opens the
    kind's own editor over the queue (E): no violation there either, at both sizes."""
    from playwright.sync_api import expect
    from citizen.demo import PASSWORD
    from tests.browser.pages import ModerationQueue, SignIn
    page, size = sized_page
    SignIn(page).sign_in("moderator@example.org", PASSWORD)
    queue = ModerationQueue(page).open()
    expect(queue.items.first).to_be_visible()
    page.wait_for_timeout(500)  # the maps of the page's items are drawn
    check(page, size)
    boxes = page.locator('.mod-item[data-editor] [data-action="edit"]')
    if boxes.count():  # the shared demo site's queue as earlier tests left it
        boxes.first.click()
        expect(queue.editor_boxes.first).to_be_visible()
        check(page, size)
        page.keyboard.press("Escape")
        expect(queue.editor).to_be_hidden()


def test_axe_finds_nothing_on_the_organisers_draw_an_area_map(sized_page):
    """The manage page of a map campaign with its draw-an-area map open: Leaflet.draw's toolbar (its buttons are
    links drawn by the library), the layer switcher and "Go to" included, at both sizes."""
    from playwright.sync_api import expect
    from citizen.demo import PASSWORD
    from tests.browser.pages import SignIn
    page, size = sized_page
    SignIn(page).sign_in("organiser@example.org", PASSWORD)
    page.goto("/organise/forest-clearings/")
    page.locator("details.draw-area > summary").click()
    expect(page.locator("details.draw-area .leaflet-draw-toolbar a").first).to_be_visible()
    check(page, size)

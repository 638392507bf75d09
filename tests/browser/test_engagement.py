"""Engagement pages in real Chromium on the `make run` demo: the home page, a campaign page with its progress map
and chart, a volunteer's profile and certificate, an organiser's update reaching an opted-in volunteer, and the
organiser's dashboard. Screenshots at desktop and phone sizes are kept with pytest-playwright's artefacts:
test-results/<test>/ (or --output DIR)."""
import os

import pytest
from playwright.sync_api import expect

from citizen.demo import PASSWORD
from tests.browser.conftest import PHONE
from tests.browser.pages import ManagePage, SignIn, WorkPage, settle

# One worker for the tests on the session's demo site (conftest demo_site): it is built once, and they share it.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("demo-site")]

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": PHONE}


def shoot(page, output_path, name, full_page=True):
    os.makedirs(output_path, exist_ok=True)
    path = os.path.join(output_path, f"{name}.png")
    page.screenshot(path=path, full_page=full_page)
    print("screenshot:", path)


def no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.parametrize("size", list(SIZES))
def test_home_shows_pictures_progress_start_and_finished_campaigns(demo_context, output_path, size):
    page = demo_context.new_page()
    page.set_viewport_size(SIZES[size])
    page.goto("/")
    cards = page.locator("li.campaign-card")
    expect(cards.first).to_be_visible()
    red = cards.filter(has=page.get_by_role("link", name="Find the red roofs", exact=True))
    expect(red.locator(".card-picture img")).to_have_attribute("src", "/media/demo/rooftops-000.jpg")
    expect(red.get_by_role("progressbar")).to_be_visible()
    expect(red.get_by_role("link", name="Start", exact=True)).to_have_attribute("href", "/campaigns/red-roofs/work")
    graphic = cards.filter(has=page.get_by_role("link", name="After the landslide", exact=False))
    expect(graphic.locator(".card-picture img")).to_have_count(0)  # a content warning: the kind's icon, no photo
    expect(graphic.locator("svg.kind-icon")).to_have_count(1)
    finished = page.locator("li.campaign-card.finished")
    expect(finished).to_have_count(1)
    expect(finished).to_contain_text("What came of it")
    for img in page.locator(".card-picture img").all():  # lazy: loaded as they come near the screen
        img.scroll_into_view_if_needed()
    page.wait_for_function("[...document.querySelectorAll('.card-picture img')].every(i => i.complete && i.naturalWidth > 0)")
    page.evaluate("window.scrollTo(0, 0)")
    no_sideways_scroll(page)
    shoot(page, output_path, f"home-{size}")
    red.get_by_role("link", name="Start", exact=True).click()
    expect(WorkPage(page).answer_buttons.first).to_be_visible()


@pytest.mark.parametrize("size", list(SIZES))
def test_campaign_page_has_its_map_chart_numbers_updates_and_share_preview(demo_context, output_path, size):
    page = demo_context.new_page()
    page.set_viewport_size(SIZES[size])
    page.goto("/campaigns/forest-clearings")
    expect(page.locator('meta[property="og:title"]')).to_have_attribute("content", "Spot new clearings in the forest")
    image = page.locator('meta[property="og:image"]').get_attribute("content")
    assert image.startswith("http://127.0.0.1:") and page.request.get(image).ok
    numbers = page.locator("dl.numbers")
    expect(numbers).to_contain_text("Volunteers")
    expect(numbers).to_contain_text("Answers this week")
    maps = page.locator(".campaign-maps .folium-map")
    expect(maps.first).to_be_visible()
    page.wait_for_function("""() => [...document.querySelectorAll('.campaign-maps path.leaflet-interactive')].length > 10""")
    chart = page.get_by_role("img", name="Answers per day")
    expect(chart).to_be_visible()
    assert chart.locator("rect").count() >= 5  # two weeks of demo history
    page.get_by_text("Show these numbers as a table").click()
    expect(page.locator(".chart-table table tbody tr").first).to_be_visible()
    expect(page.get_by_role("heading", name="Updates from the organisers")).to_be_visible()
    expect(page.locator("article.update").first).to_contain_text("rangers")
    expect(page.get_by_role("heading", name="What happens with the results")).to_be_visible()
    settle(page)
    page.wait_for_timeout(300)  # Leaflet fades tiles in
    no_sideways_scroll(page)
    shoot(page, output_path, f"campaign-forest-{size}")


@pytest.mark.parametrize("size", list(SIZES))
def test_a_volunteer_sees_their_profile_goes_public_and_prints_a_certificate(browser, demo_site, output_path, size):
    context = browser.new_context(base_url=demo_site, viewport=SIZES[size])
    page = context.new_page()
    work = WorkPage(page).open("red-roofs")
    for n in range(1, 4):
        work.enabled_answer_buttons.first.wait_for()
        page.wait_for_timeout(1600)  # slower than the campaign's minimum time: the answers count
        page.keyboard.press("2")
        work.expect_done(n)
    page.goto("/")
    page.get_by_role("link", name="Your profile").click()
    expect(page.get_by_role("heading", name="Your contributions")).to_be_visible()
    expect(page.locator("dl.numbers")).to_contain_text("3")
    expect(page.locator(".joined")).to_contain_text("Find the red roofs")
    page.get_by_label("Display name", exact=True).fill("Tess Tester")
    page.get_by_label("Make my profile public").check()
    page.get_by_label("List my display name").check()
    page.get_by_role("button", name="Save my settings").click()
    expect(page.get_by_text("Your profile settings are saved.")).to_be_visible()
    no_sideways_scroll(page)
    shoot(page, output_path, f"profile-{size}")

    public = page.get_by_role("link", name="See it as others do").get_attribute("href")
    stranger = browser.new_context(base_url=demo_site, viewport=SIZES[size]).new_page()
    stranger.goto(public)
    expect(stranger.get_by_role("heading", name="Contributions of Tess Tester")).to_be_visible()
    expect(stranger.get_by_role("heading", name="Your settings")).to_have_count(0)
    stranger.goto(public + "/certificate")
    expect(stranger.locator(".cert-name")).to_have_text("Tess Tester")
    stranger.emulate_media(media="print")
    expect(stranger.locator("header.site")).to_be_hidden()
    expect(stranger.get_by_role("button", name="Print or save as PDF")).to_be_hidden()
    shoot(stranger, output_path, f"certificate-print-{size}")
    pdf = stranger.pdf() if size == "desktop" else None  # Chromium prints it as the volunteer would
    assert pdf is None or pdf.startswith(b"%PDF")

    page.get_by_label("Make my profile public").uncheck()
    page.get_by_role("button", name="Save my settings").click()
    expect(page.get_by_text("Your profile settings are saved.")).to_be_visible()
    assert stranger.goto(public).status == 404
    stranger.context.close()
    context.close()


def test_an_organiser_posts_an_update_that_opted_in_volunteers_are_told_about(browser, demo_site, output_path):
    volunteer = browser.new_context(base_url=demo_site, viewport=PHONE).new_page()
    work = WorkPage(volunteer).open("quake-damage")
    work.enabled_map_answer_buttons.first.wait_for()
    volunteer.wait_for_timeout(1600)
    volunteer.keyboard.press("1")
    work.expect_done(1)
    volunteer.goto("/me")
    volunteer.get_by_label("Tell me about updates").check()
    volunteer.get_by_role("button", name="Save my settings").click()
    expect(volunteer.get_by_text("Your profile settings are saved.")).to_be_visible()

    organiser = browser.new_context(base_url=demo_site, viewport=SIZES["desktop"]).new_page()
    SignIn(organiser).sign_in("organiser@example.org", PASSWORD)
    ManagePage(organiser).open("quake-damage")
    organiser.get_by_label("Title", exact=True).fill("Engineers start inspections")
    organiser.get_by_label("Update (Markdown)").fill(
        "Thanks to you, **12 streets** are checked.\n\n<script>alert(1)</script>")
    organiser.get_by_role("button", name="Post the update").click()
    expect(organiser.get_by_text("Update posted.")).to_be_visible()
    organiser.get_by_role("link", name="Dashboard").click()
    expect(organiser.get_by_role("img", name="Answers per hour")).to_be_visible()
    expect(organiser.locator("dl.numbers")).to_contain_text("Volunteers active now")
    expect(organiser.get_by_role("heading", name="Tasks stuck in disagreement")).to_be_visible()
    shoot(organiser, output_path, "dashboard-desktop")

    volunteer.goto("/")
    notice = volunteer.locator("section.notices")
    expect(notice).to_contain_text("Engineers start inspections")
    shoot(volunteer, output_path, "notice-phone", full_page=False)
    notice.get_by_role("link", name="Engineers start inspections").click()
    update = volunteer.locator("article.update").first
    expect(update).to_contain_text("12 streets")
    expect(update.locator("strong")).to_have_text("12 streets")
    expect(update.locator("script")).to_have_count(0)
    update.scroll_into_view_if_needed()
    shoot(volunteer, output_path, "campaign-update-phone", full_page=False)
    volunteer.goto("/")
    expect(volunteer.locator("section.notices")).to_have_count(0)  # told once
    volunteer.context.close()
    organiser.context.close()


@pytest.mark.parametrize("lang, heading", [("es", "Ayuda con unos pocos clics"), ("fr", "Aidez en quelques clics")])
def test_the_language_switch_in_the_footer_translates_the_site(demo_context, output_path, lang, heading):
    page = demo_context.new_page()
    page.set_viewport_size(PHONE)
    page.goto("/")
    switch = page.get_by_role("navigation", name="Language")
    switch.get_by_role("link", name={"es": "Español", "fr": "Français"}[lang]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    work = WorkPage(page).open("red-roofs")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    work.answer_buttons.first.wait_for()
    expect(work.skip_button).to_contain_text({"es": "Saltar", "fr": "Passer"}[lang])
    shoot(page, output_path, f"work-{lang}-phone", full_page=False)

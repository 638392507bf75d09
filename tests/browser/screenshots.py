"""Screenshots of the main pages with the demo data, at phone and desktop size, for a visual review.

    .venv/bin/python -m tests.browser.screenshots OUTDIR

Not a test: it asserts nothing except that no page reaches outside 127.0.0.1. It uses a throw-away
SQLite database and media folder, so the instance folder is left alone.
"""
import json
import sys
import tempfile
from pathlib import Path

from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from sqlalchemy import select

from citizen import create_app
from citizen.accounts.models import User
from citizen.campaigns import services as campaigns
from citizen.demo import PASSWORD, load_demo
from citizen.extensions import db
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, guard_network, serve
from tests.browser.pages import ManagePage, SignIn, WorkPage

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
BAD_CSV = b"text,image_url\nA field with two houses,\nA roof,javascript:alert(1)\n"
NOTES = [{"text": "Field note, 14 May: the road to the school is under water. Two families are on the roof of "
                    "the red house next to the church; a boat reached them at noon. The bridge is still closed."},
         {"image_url": "/media/demo/rooftops-001.jpg", "alt": "Aerial photo", "text": "Taken from the north bank."}]


# The map kinds' work pages: a forest cell over before/after tiles, a drone photo; ready once imagery is drawn.
MAP_WORK = [("work-forest", "forest-clearings"),
            ("work-damage", "quake-damage"),
            ("work-graphic-blurred", "graphic-damage-demo")]  # rated graphic: blurred, with its warning


def demo_app(folder):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/citizen.db", "MEDIA_FOLDER": f"{folder}/media",
                      "SECRET_KEY": "screenshots", "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade()
        load_demo()
        # A second campaign with a text task and a photo with a caption: the other layouts of the work page.
        organiser = db.session.execute(select(User).where(User.email == "organiser@example.org")).scalar_one()
        notes = campaigns.create_campaign(organiser.organisation_ids[0], organiser, {
            "title": "Read the field notes", "summary": "Does the note report people who need help?",
            "settings": {"question": "Does this report people who need help?", "options": ["Yes", "No", "Not sure"]}})
        campaigns.import_tasks(notes, "notes.json", json.dumps(NOTES))
        campaigns.publish(notes)
        db.session.commit()
    return app


def shoot(page, out, name, size, full_page=True):
    path = out / f"{name}-{size}.png"
    page.screenshot(path=str(path), full_page=full_page)
    print(path)


def tour(context, out, size):
    page = context.new_page()
    page.set_viewport_size(SIZES[size])
    for name, path in [("home", "/"), ("campaign", "/campaigns/red-roofs"), ("login", "/account/login"),
                       ("register", "/account/register"), ("404", "/campaigns/no-such-campaign"),
                       # engagement: a map campaign's page (map, chart, update), a finished one, a public profile
                       ("campaign-forest", "/campaigns/forest-clearings"),
                       ("campaign-finished", "/campaigns/winter-shelters"),
                       ("profile-public", "/volunteers/demo-amina"),
                       ("certificate", "/volunteers/demo-amina/certificate")]:
        page.goto(path)
        page.wait_for_load_state("networkidle")  # map tiles on the campaign pages
        shoot(page, out, name, size)

    work = WorkPage(page).open("red-roofs")
    work.answer_buttons.first.wait_for()
    work.image.evaluate("img => img.complete || new Promise(ok => img.onload = ok)")
    shoot(page, out, "work", size, full_page=False)
    for _ in range(10):  # as a keyboard user gets there: past the header links to the first answer
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('answer')"):
            break
    shoot(page, out, "work-focus", size, full_page=False)
    page.get_by_role("button", name="Yes").click()
    work.expect_done(1)
    work.enabled_answer_buttons.first.wait_for()
    page.get_by_text("What am I looking at?").click()
    shoot(page, out, "work-help", size)

    work.open("read-the-field-notes")
    for n in (1, 2):
        work.enabled_answer_buttons.first.wait_for()
        shoot(page, out, f"work-notes-{n}", size, full_page=False)
        page.keyboard.press("3")
    page.get_by_role("heading", name="All done here!").wait_for()
    shoot(page, out, "work-all-done", size, full_page=False)

    for name, slug in MAP_WORK:
        work.open(slug)
        page.wait_for_function(WorkPage.MAP_ALL_IMAGERY_LOADED)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(300)  # Leaflet fades tiles in
        shoot(page, out, name, size, full_page=False)

    SignIn(page).sign_in("organiser@example.org", PASSWORD)
    for name, path in [("organise", "/organise/"), ("organise-new", "/organise/new"),
                       ("organise-dashboard", "/organise/red-roofs/dashboard"),
                       ("organise-manage", "/organise/red-roofs/")]:  # the manage page last: its import form is next
        page.goto(path)
        shoot(page, out, name, size)
    ManagePage(page).upload("bad.csv", BAD_CSV)
    page.get_by_role("alert").first.wait_for()
    shoot(page, out, "organise-import-error", size)
    page.goto("/organise/new")
    page.get_by_role("button", name="Create draft").click()
    shoot(page, out, "organise-new-errors", size)
    page.close()


def main(out):
    out, outside = Path(out), []
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, serve(demo_app(folder)) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for size in SIZES:
            context = browser.new_context(base_url=url)
            requested = guard_network(context)
            tour(context, out, size)
            context.close()
            outside += requested
        browser.close()
    if outside:
        sys.exit(f"pages requested something outside 127.0.0.1: {outside}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "screenshots")

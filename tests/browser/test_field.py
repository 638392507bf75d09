"""The field kind in real Chromium, at desktop and phone sizes: a volunteer standing by a bin reports it with a photo
(one answer that counts, the photo stored); one 400 m away is told a moderator checks the report, and the answer is
held as too far; a report made offline waits on the phone, survives a reload while offline and is sent exactly once
when the network is back. Screenshots are kept with pytest-playwright's artefacts: test-results/<test>/ (or
--output DIR)."""
import io
import os
import re

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from citizen.accounts import services as accounts
from citizen.campaigns import services as campaigns
from citizen.campaigns.models import Answer
from citizen.config import Defaults
from citizen.extensions import db
from citizen.ingest.photos import with_gps
from citizen.kinds.field.models import FieldPhoto
from tests.browser.conftest import PHONE, guard_network, serve
from tests.browser.pages import FieldPage, box_of, settle

pytestmark = pytest.mark.browser

FIELD = "citizen.kinds.field:FieldKind"
DESKTOP = {"width": 1280, "height": 800}
SIZES = {"desktop": DESKTOP, "phone": PHONE}
# The demo town's streets (citizen.demo: its imagery tiles are served by the test app, offline).
SITES = b"""name,lat,lon
"Bin 1, Market Street",36.2000,36.1600
"Bin 2, by the mosque",36.2012,36.1611
Shop by the bridge,36.1985,36.1590
School shelter,36.2030,36.1650
"""
BY_BIN_1 = (36.20003, 36.16004)   # about 5 m from bin 1
FAR_FROM_BIN_1 = (36.2036, 36.1600)  # about 400 m north of it
QUESTIONS = ("state | State of the bin | choice: Clean, Overflowing, Gone | | What do you see?\n"
             "bags | Bags left around it | number | optional |")


@pytest.fixture
def field_site(make_app):
    """A published field campaign of four sites, served; yields (base URL, slug, app)."""
    kinds = Defaults.KINDS + ([FIELD] if FIELD not in Defaults.KINDS else [])
    app = make_app(WTF_CSRF_ENABLED=True, KINDS=kinds)

    with app.app_context():
        org = accounts.get_or_create_organisation("clean-streets", "Clean Streets")
        user = accounts.register_user("olu@example.org", "Olu", "a-known-password")
        accounts.grant(user, org, "organiser")
        c = campaigns.create_campaign(org.id, user, {
            "title": "Check the bins of the old town", "kind": "field", "redundancy": 2,
            "settings": {"fields": QUESTIONS, "radius_m": 50, "photos_min": 1, "photos_max": 3, "proposals": True,
                         "tiles": "/tiles/demo/town-after/{z}/{x}/{y}.png", "attribution": "Demo imagery"},
            "quality": {"min_ms": 0}})
        campaigns.import_tasks(c, "sites.csv", SITES)
        campaigns.publish(c)
        db.session.commit()
        slug = c.slug
        db.session.remove()
    with serve(app) as url:
        yield url, slug, app


@pytest.fixture
def volunteer(browser, field_site):
    """volunteer(at, size) -> a FieldPage of a new browser context standing at `at` (lat, lon), on the campaign's
    work page, its list of sites shown. Requests outside 127.0.0.1 and JavaScript errors fail the test."""
    url, slug, _app = field_site
    opened = []

    def factory(at, size="desktop"):
        ctx = browser.new_context(base_url=url, viewport=SIZES[size], permissions=["geolocation"],
                                  geolocation={"latitude": at[0], "longitude": at[1], "accuracy": 8})
        ctx.set_default_timeout(15_000)
        outside, errors = guard_network(ctx), []
        ctx.on("weberror", lambda e: errors.append(str(e.error)))
        opened.append((ctx, outside, errors))
        page = FieldPage(ctx.new_page()).open(slug)
        page.wait_for_sites()
        return page

    yield factory
    for ctx, outside, errors in opened:
        ctx.close()
        assert not outside, f"the page requested something outside 127.0.0.1: {outside}"
        assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture
def photo(tmp_path):
    """photo(lat, lon) -> the path of a JPEG taken there (EXIF GPS), as a phone's camera writes it."""
    def make(lat, lon):
        buf = io.BytesIO()
        Image.new("RGB", (800, 600), (96, 140, 70)).save(buf, "JPEG")
        path = tmp_path / f"photo-{lat}-{lon}.jpg"
        path.write_bytes(with_gps(buf.getvalue(), lat, lon))
        return str(path)
    return make


def answers(app):
    with app.app_context():
        rows = db.session.execute(select(Answer.task_id, Answer.contributor_id, Answer.weight, Answer.value)).all()
        stored = db.session.execute(select(FieldPhoto.task_id)).scalars().all()
        db.session.remove()
    return rows, stored


def shoot(page, output_path, name):
    settle(page)
    page.wait_for_function(FieldPage.TILES_LOADED)
    page.wait_for_timeout(300)  # Leaflet fades tiles in
    os.makedirs(output_path, exist_ok=True)
    path = os.path.join(output_path, f"{name}.png")
    page.screenshot(path=path, full_page=True)
    print("screenshot:", path)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_volunteer_by_a_bin_reports_it_with_a_photo(volunteer, field_site, photo, output_path, size):
    _url, _slug, app = field_site
    work = volunteer(BY_BIN_1, size)
    expect(work.position).to_have_text(re.compile(r"±\s?8 m"))
    expect(work.sites.first).to_contain_text("Bin 1, Market Street")
    expect(work.sites.first).to_contain_text(re.compile(r"\d+ m to the"))
    expect(work.site("School shelter")).to_contain_text("north-east")
    assert work.page.locator("#fd-map path.fd-site-marker").count() == 4
    if size == "phone":
        assert work.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        for button in (work.nearest_button, work.sites.first, work.save_area_button):
            assert box_of(button)["height"] >= 44
    shoot(work.page, output_path, f"field-list-{size}")

    work.nearest_button.click()  # the nearest open site
    expect(work.site_name).to_have_text("Bin 1, Market Street")
    expect(work.site_warning).to_be_hidden()  # close enough: nothing to warn about
    work.send_button.click()  # no photo yet: said on the phone, nothing sent
    expect(work.form_problem).to_contain_text("Photos needed before sending: at least 1")
    work.photo_input.set_input_files([photo(*BY_BIN_1)])
    expect(work.thumbnails).to_have_count(1)
    work.page.get_by_role("button", name="Remove photo 1").click()
    expect(work.thumbnails).to_have_count(0)
    work.photo_input.set_input_files([photo(*BY_BIN_1)])
    expect(work.thumbnails).to_have_count(1)
    work.send_button.click()  # the question is not answered yet
    expect(work.form_problem).to_contain_text("State of the bin")
    work.page.get_by_label("Overflowing").check()
    work.page.get_by_label("Bags left around it (optional)").fill("3")
    if size == "phone":
        for part in (work.take_photo, work.send_button, work.page.get_by_label("Overflowing").locator("..")):
            assert box_of(part)["height"] >= 44
    shoot(work.page, output_path, f"field-report-{size}")
    work.send_button.click()

    expect(work.notice).to_contain_text("Report saved on your phone")
    expect(work.sent_items).to_have_text(["Sent: Bin 1, Market Street. Thank you!"])
    expect(work.site("Bin 1, Market Street")).to_contain_text("Reported by you")
    work.expect_done(1)
    shoot(work.page, output_path, f"field-sent-{size}")

    rows, stored = answers(app)
    assert len(rows) == 1, rows
    task_id, _who, weight, value = rows[0]
    assert weight > 0 and not value.get("held"), value
    assert value["fields"]["state"] == "Overflowing" and len(value["photos"]) == 1
    assert value["position"]["accuracy"] == 8
    assert stored == [task_id]


def test_a_report_from_far_away_is_held_for_a_moderator(volunteer, field_site, photo, output_path):
    _url, _slug, app = field_site
    work = volunteer(FAR_FROM_BIN_1, "phone")
    work.site("Bin 1, Market Street").click()
    expect(work.site_where).to_contain_text(re.compile(r"4\d0 m to the south"))
    expect(work.site_warning).to_contain_text("You seem to be 4")
    expect(work.site_warning).to_contain_text("checked by a moderator")
    work.photo_input.set_input_files([photo(*FAR_FROM_BIN_1)])
    work.page.get_by_label("Clean").check()
    shoot(work.page, output_path, "field-far-phone")
    work.send_button.click()
    expect(work.sent_items).to_contain_text("A moderator checks it before it counts: it was made far from the site")

    rows, _stored = answers(app)
    assert len(rows) == 1
    assert rows[0].weight == 0 and "too_far" in rows[0].value["held"], rows[0]


def test_a_report_made_offline_waits_survives_a_reload_and_is_sent_once(volunteer, field_site, photo, output_path):
    _url, _slug, app = field_site
    work = volunteer(BY_BIN_1, "phone")
    work.wait_offline_ready()  # the service worker keeps this page for offline use
    work.save_area_button.click()  # the sites and the map of this area, kept on the phone
    expect(work.area_status).to_contain_text(re.compile(r"Saved for offline use: [34] sites and \d+ map pieces"),
                                             timeout=60_000)  # the demo's tiles are drawn on request

    context = work.page.context
    context.set_offline(True)
    work.report("Bin 1, Market Street", [photo(*BY_BIN_1)], {"Gone": True})
    expect(work.waiting_line).to_have_text(re.compile(r"^Waiting to send \(1\)"))
    expect(work.pending_items).to_have_text(["Bin 1, Market Street"])
    shoot(work.page, output_path, "field-offline-phone")
    assert answers(app)[0] == []

    reloaded = work.page.reload()  # still offline: the page comes from the service worker, the report from IndexedDB
    assert reloaded.from_service_worker
    work.wait_for_sites()  # from the sites kept on the phone
    expect(work.waiting_line).to_have_text(re.compile(r"^Waiting to send \(1\)"))
    expect(work.site("Bin 1, Market Street")).to_contain_text("Reported by you")
    assert answers(app)[0] == []

    context.set_offline(False)
    expect(work.sent_items).to_have_text(["Sent: Bin 1, Market Street. Thank you!"], timeout=20_000)
    expect(work.waiting_line).to_be_hidden()
    work.page.wait_for_timeout(1000)  # a second send would have arrived by now
    rows, stored = answers(app)
    assert len(rows) == 1 and rows[0].value["fields"]["state"] == "Gone", rows
    assert len(stored) == 1


def test_the_work_page_may_ask_for_the_position(field_site):
    """The browser gives the page the phone's position only if the page's Permissions-Policy allows it."""
    _url, slug, app = field_site
    r = app.test_client().get(f"/campaigns/{slug}/work")
    assert r.status_code == 200, r.status_code
    policy = r.headers.get("Permissions-Policy", "")
    assert "geolocation=()" not in policy, policy

"""Alerts that reach someone, in real Chromium (issue 19): the organiser makes the response team's live page link
and sends a test alert; the live page (another browser: the response team) shows the test, and only then does
the search campaign publish; a moderator confirms a volunteer's find and is told where the alert went; the live
page shows the find with its place, beeps and notifies; the escalation page counts who saw it. axe finds nothing
on the live page and the alert settings; screenshots at desktop and 390 px."""
import json
import os

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from citizen.campaigns import services as campaigns
from citizen.extensions import db
from citizen.moderation.models import Escalation
from tests.browser.conftest import PHONE, guard_network, serve
from tests.browser.pages import ModerationQueue, SignIn
from tests.browser.test_accessibility import axe_violations
from tests.helpers import answer_next, new_guest
from tests.test_moderation import PERSON, PHOTOS

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 800}
# The live page's sound and notifications, recorded (the real ones stay: this only counts the calls).
RECORD = """
window.__beeps = 0; window.__notes = [];
const RealCtx = window.AudioContext;
window.AudioContext = function () { const c = new RealCtx(); const make = c.createOscillator.bind(c);
  c.createOscillator = function () { window.__beeps += 1; return make(); }; return c; };
const RealNote = window.Notification;
window.Notification = function (title, options) { window.__notes.push(title); return new RealNote(title, options); };
window.Notification.requestPermission = (cb) => RealNote.requestPermission(cb);
Object.defineProperty(window.Notification, 'permission', { get: () => RealNote.permission });
"""


@pytest.fixture
def live_server(make_app):
    with serve(make_app(WTF_CSRF_ENABLED=True, MODERATION_POLL_SECONDS=1, LIVE_POLL_SECONDS=1,
                        LIVE_FEED_CACHE_SECONDS=0.5)) as url:
        yield url


def browser_page(new_context, live_server, size=DESKTOP, notifications=False):
    ctx = new_context(base_url=live_server)
    ctx.set_default_timeout(10_000)
    if notifications:
        ctx.grant_permissions(["notifications"], origin=live_server)
        ctx.add_init_script(RECORD)
    outside = guard_network(ctx)
    errors = []
    ctx.on("weberror", lambda e: errors.append(str(e.error)))
    page = ctx.new_page()
    page.set_viewport_size(size)
    return page, outside, errors


def shoot(page, output_path, name):
    os.makedirs(output_path, exist_ok=True)
    path = os.path.join(output_path, f"{name}.png")
    page.screenshot(path=path, full_page=True)
    print("screenshot:", path)


def no_problems(page, size):
    problems = axe_violations(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > size["width"]:
        wide = page.evaluate("""w => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w)
            .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""", size["width"])
        problems.append(f"the page is {width} px wide: it scrolls sideways ({wide})")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_confirmed_find_reaches_the_response_teams_live_page(new_context, live_server, org, organiser, make_user,
                                                               client, output_path, size):
    viewport = DESKTOP if size == "desktop" else PHONE
    make_user("mod@example.org", "moderator", name="Mo Moderator")
    draft = campaigns.create_campaign(org.id, organiser, {"title": "Find the hiker", "kind": "search",
                                                          "redundancy": 3, "settings": {}})
    campaigns.import_tasks(draft, "photos.json", json.dumps(PHOTOS))
    db.session.commit()
    slug = draft.slug
    db.session.close()

    boss, boss_outside, boss_errors = browser_page(new_context, live_server, viewport)
    SignIn(boss).sign_in("organiser@example.org")
    # Publishing is refused while no channel works, and says why.
    boss.goto(f"/organise/{slug}/")
    boss.get_by_role("button", name="Publish campaign").click()
    expect(boss.get_by_text("no alert channel of the organisation works yet")).to_be_visible()

    boss.goto("/moderation/settings")
    expect(boss.get_by_text("No channel is set")).to_be_visible()
    boss.get_by_role("button", name="Make a live page link").click()
    link = boss.get_by_label("Secret link").input_value()
    assert "/alerts/" in link
    boss.get_by_role("button", name="Send a test alert").click()
    expect(boss.get_by_text("waiting for the test to arrive")).to_be_visible()

    team, team_outside, team_errors = browser_page(new_context, live_server, viewport, notifications=True)
    team.goto(link)
    team.get_by_role("button", name="Enable alerts").click()
    expect(team.get_by_text("Alerts are on")).to_be_visible()
    expect(team.get_by_text("Test alert received at")).to_be_visible()
    boss.reload()
    expect(boss.get_by_text("works: the test arrived")).to_be_visible(timeout=10_000)
    no_problems(boss, viewport)
    shoot(boss, output_path, f"alert-settings-{size}")
    boss.goto(f"/organise/{slug}/")
    boss.get_by_role("button", name="Publish campaign").click()
    expect(boss.get_by_text("Published. Volunteers can now find it")).to_be_visible()

    answer_next(client, slug, PERSON, new_guest(client), duration_ms=5000)
    db.session.close()
    mod, mod_outside, mod_errors = browser_page(new_context, live_server, viewport)
    SignIn(mod).sign_in("mod@example.org")
    queue = ModerationQueue(mod).open()
    item = queue.items.first
    expect(item.get_by_role("link", name="Escalation page")).to_be_visible()
    beeps = team.evaluate("window.__beeps")
    item.get_by_role("button", name="Confirm C").click()
    expect(queue.status).to_contain_text("Done: confirm. Sent to: live page (seen by 0)")
    expect(queue.status.get_by_role("link", name="Escalation page: where the alert went")).to_be_visible()

    find = team.locator(".live-find").first
    expect(find).to_contain_text("person · Find the hiker", timeout=10_000)
    expect(find).to_contain_text("Go to: 46.5")
    assert team.evaluate("window.__beeps") > beeps
    assert any("New find: person" in n for n in team.evaluate("window.__notes"))
    no_problems(team, viewport)
    shoot(team, output_path, f"live-page-{size}")

    queue.status.get_by_role("link", name="Escalation page: where the alert went").click()
    expect(mod.locator("#esc-reached")).to_have_text("Sent to: live page (seen by 1)", timeout=15_000)
    shoot(mod, output_path, f"escalation-reached-{size}")
    esc = db.session.execute(select(Escalation)).scalar_one()
    assert esc.status == "confirmed" and esc.place["source"] == "photo"
    db.session.close()
    for outside, errors in ((boss_outside, boss_errors), (team_outside, team_errors), (mod_outside, mod_errors)):
        assert not outside and not errors, (outside, errors)

"""XSS: more than 150 hostile payloads (tests/data/xss_payloads.txt) go through every text an organiser, a volunteer or a
moderator can write (tests/browser/xss_site.py enters them through the real forms and the JSON API), then every
page showing those texts is rendered in headless Chromium and nothing of them may run.

The checks run with the Content-Security-Policy switched off (CSP_ENABLED: False), so they prove the escaping
and sanitising themselves; one test switches it on and checks the header. In each browser context a recorder
replaces alert, confirm, prompt and print and defines window.__xss (every payload calls one of them) in every
frame, dialogs are recorded, and after each page the DOM is searched for anything only a payload makes: event
handler attributes, javascript:/data:text/html URLs, frames, objects, scripts that are not the page's own."""
import json
import re
import shutil
from urllib.parse import quote

import pytest
from sqlalchemy import select

from citizen import clock, create_app
from citizen.campaigns.models import Campaign
from citizen.text import clean_attribution
from citizen.extensions import db
from citizen.quality import controls
from tests.browser.conftest import guard_network, serve
from tests.browser.xss_site import AREA, Agent, load_payloads, seed
from tests.conftest import PG_URL, _empty_postgres, base_config

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("xss-site")]  # one worker: its module-wide seeded site

PAYLOADS = load_payloads()
OBSERVABLE = re.compile(r"alert|confirm|prompt|print\(|__xss|7\*7|config|\\u0061lert|PHNjcmlwdD5hbGVydC")

RECORDER = """(() => {
  const hits = [];
  const report = (name, args) => {
    const entry = name + '(' + Array.from(args).map(String).join(',') + ')';
    hits.push(entry);
    try {
      if (window.top !== window && window.top.__xssHits) window.top.__xssHits.push('frame: ' + entry);
    } catch (e) { /* a frame of another origin: the binding below still reports it */ }
    try { window.__xssReport(entry, String(location.href)); } catch (e) {}
  };
  Object.defineProperty(window, '__xssHits', { value: hits });
  for (const name of ['alert', 'confirm', 'prompt', 'print']) {
    Object.defineProperty(window, name, { value: function () { report(name, arguments); return null; } });
  }
  Object.defineProperty(window, '__xss', { value: function () { report('__xss', arguments); } });
})();"""

# Anything on a page that only a payload makes. citizen's own pages have no inline event handlers, frames,
# objects or javascript: URLs, and their scripts come from /static/ or carry the request's nonce (folium's
# maps); its one data block is Leaflet.draw's texts (<script type="application/json" id="m-draw-local">).
LIVE = """() => {
  const found = [];
  const origin = location.origin;
  const bad = /^(javascript|vbscript|livescript):|^data:(text\\/html|image\\/svg|application\\/(x-)?(java|ecma)script)/;
  const own = s => s.src ? s.src.startsWith(origin + '/static/') :
      (s.type === 'application/json' ? s.id === 'm-draw-local' : !!s.nonce);
  for (const el of document.querySelectorAll('*')) {
    const tag = el.localName;
    if (['iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'base', 'isindex', 'template', 'math',
         'marquee', 'video', 'audio', 'source', 'xss', 'plaintext', 'xmp'].includes(tag)) found.push('<' + tag + '>');
    if (el instanceof HTMLUnknownElement) found.push('unknown <' + tag + '>');
    if (tag === 'script' && !own(el)) found.push('script: ' + (el.getAttribute('src') || el.textContent).slice(0, 80));
    if (tag === 'meta' && el.httpEquiv) found.push('<meta http-equiv=' + el.httpEquiv + '>');
    if (tag === 'link' && /import/i.test(el.rel)) found.push('<link rel=import>');
    if (tag === 'style' && /javascript:|expression\\(|@import/i.test(el.textContent)) found.push('<style> ' + tag);
    if (el.autofocus && !el.closest('form')) found.push('autofocus <' + tag + '>');
    for (const a of el.attributes) {
      const name = a.name.toLowerCase(), value = a.value.replace(/[\\s\\x00-\\x1f]/g, '').toLowerCase();
      if (name.startsWith('on')) found.push('<' + tag + ' ' + name + '>');
      if (name === 'srcdoc' || name === 'formaction') found.push('<' + tag + ' ' + name + '>');
      if (bad.test(value) && !['alt', 'title', 'value', 'content', 'placeholder', 'aria-label'].includes(name)
          && !name.startsWith('data-')) found.push('<' + tag + ' ' + name + '="' + a.value.slice(0, 60) + '">');
      if (name === 'style' && /javascript:|expression\\(/.test(value)) found.push('<' + tag + ' style>');
    }
  }
  return found;
}"""


# The work page's volunteer loop, driven from inside the page: press Skip, wait until work.js has shown the next
# task (#task's aria-busy goes "true", then "false"), note its text and question; until nothing is left.
SKIP_THROUGH = """async limit => {
  const task = document.querySelector('#task'), empty = document.querySelector('#empty');
  const text = document.querySelector('#q-text'), question = document.querySelector('#q-question');
  const shown = () => [text.textContent, question.textContent];
  const seen = [];
  for (let i = 0; i < limit && empty.hidden; i++) {
    seen.push(shown());
    await new Promise((done, fail) => {
      const timer = setTimeout(() => fail(new Error('no task after ' + seen[seen.length - 1])), 10000);
      const watch = new MutationObserver(records => {
        if (records.some(r => r.oldValue === 'true') && task.getAttribute('aria-busy') === 'false') {
          watch.disconnect(); clearTimeout(timer); done();
        }
      });
      watch.observe(task, { attributes: true, attributeFilter: ['aria-busy'], attributeOldValue: true });
      document.querySelector('#skip').click();
    });
  }
  return seen;
}"""
QUESTION_READY = "() => !!document.querySelector('#q-options button.answer')"
MAP_READY = ("() => !!document.querySelector('#m-options button.answer') && "
             "!!document.querySelector('.leaflet-control-attribution')")


@pytest.fixture(scope="module")
def site(database_template, tmp_path_factory):
    """The seeded site (xss_site.seed) served twice on one database: with CSP off (the checks) and on."""
    tmp = tmp_path_factory.mktemp("xss")
    if PG_URL:
        uri = PG_URL
    else:  # a copy of the migrated template, as tests/conftest.py makes one per test
        shutil.copy(database_template, tmp / "xss.db")
        uri = "sqlite:///" + str(tmp / "xss.db")
    config = {**base_config(tmp, uri), "WTF_CSRF_ENABLED": True, "MODERATION_POLL_SECONDS": 1}
    app = create_app({**config, "CSP_ENABLED": False})
    if PG_URL:
        _empty_postgres(app)
    with clock.simulated(step_ms=2000):  # the seeded volunteers take a few seconds per task, as the server measures
        data = seed(app, PAYLOADS)
    with app.app_context():  # the checks skip through every task of a campaign: past the skip budget
        for campaign in db.session.execute(select(Campaign)).scalars():
            campaign.settings = {**campaign.settings, "quality": {**controls.of(campaign.settings), "skip_free": 10**6}}
        db.session.commit()
    strict = create_app({**config, "CSP_ENABLED": True})
    with serve(app) as url, serve(strict) as strict_url:
        data.url, data.strict_url, data.app = url, strict_url, app
        yield data
    for a in (app, strict):
        with a.app_context():
            db.session.remove()
            db.engine.dispose()


class Visitor:
    """A browser context as one person (their session cookie), with the recorder in every frame. `visit`
    renders a page and notes what ran or became live there; leaving the `with` block closes the context and
    fails on every problem noted (also when the test failed before: then both are shown)."""

    def __init__(self, browser, base_url, cookies=()):
        self.context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(15_000)
        if cookies:
            self.context.add_cookies([{**c, "url": base_url} for c in cookies])
        self.outside = guard_network(self.context)
        self.reported, self.errors, self.problems, self.visited = [], [], [], []
        self.context.expose_binding("__xssReport", lambda source, entry, url: self.reported.append((entry, url)))
        self.context.add_init_script(RECORDER)
        self.context.on("weberror", lambda e: self.errors.append(str(e.error)))
        self.page = self.context.new_page()
        self.page.on("dialog", self._dialog)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.page.wait_for_timeout(150)  # bindings report asynchronously
        self.context.close()
        problems = list(self.problems)
        problems += [f"{url}: ran {entry}" for entry, url in self.reported]
        problems += [f"JavaScript error: {e}" for e in self.errors]
        problems += [f"request outside 127.0.0.1: {u}" for u in self.outside]
        assert not problems, "\n".join(problems)
        assert self.visited

    def _dialog(self, dialog):
        self.problems.append(f"{self.page.url}: a {dialog.type} dialog opened: {dialog.message!r}")
        dialog.dismiss()

    def visit(self, path, status=200, ready=None):
        response = self.page.goto(path)
        assert response.status == status, (path, response.status)
        if ready:
            self.page.wait_for_function(ready)
        self.settle()
        self.check(path)
        return self.page

    def settle(self):
        """Broken images fire onerror before "load"; autofocus and <details ontoggle> run just after it."""
        self.page.wait_for_load_state("load")
        self.page.wait_for_timeout(40)

    def check(self, where):
        self.visited.append(where)
        hits = self.page.evaluate("window.__xssHits.slice()")
        if hits:
            self.problems.append(f"{where}: ran {hits}")
        live = self.page.evaluate(LIVE)
        if live:
            self.problems.append(f"{where}: live payload elements {live[:10]}")
        frames = [f.url for f in self.page.frames if f != self.page.main_frame]
        if frames:
            self.problems.append(f"{where}: frames {frames}")

    def shows(self, selector, expected, value=False):
        """The element's text (or an input's value) is `expected` as written: escaped, not interpreted."""
        el = self.page.locator(selector).first
        got = el.input_value() if value else el.text_content()
        if same(got) != same(expected):
            self.problems.append(f"{self.page.url}: {selector} shows {got!r}, not {expected!r}")


def same(text):
    return " ".join(text.replace("\x00", "").split())


def test_xss_corpus_is_varied_and_observable():
    assert len(PAYLOADS) == len(set(PAYLOADS)) >= 100
    quiet = [p for p in PAYLOADS if not OBSERVABLE.search(p)]
    assert not quiet, f"payloads that would run unnoticed: {quiet}"
    for needle in ("<script>", "onerror=", "onload=", "javascript:", "\"><", "'-alert(", "</script><script>",
                   "{{7*7}}", "](javascript:", "srcdoc", "data:text/html", "&#", "\\u00", "ScRiPt"):
        assert any(needle in p for p in PAYLOADS), needle
    assert any("\x00" in p for p in PAYLOADS)


def test_xss_imagery_credit_keeps_links_and_nothing_else():
    """The organiser's imagery credit is HTML on every map of the campaign (Leaflet, folium): sanitised when saved."""
    link = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    assert clean_attribution(link) == link
    assert clean_attribution('<img src=x onerror=alert(1)>Maxar') == "Maxar"
    assert clean_attribution('<a href="javascript:alert(1)">x</a></script><script>') == "<a>x</a>"
    assert clean_attribution("Tiles & data <2024>") == "Tiles &amp; data &lt;2024&gt;"


def test_xss_every_field_got_many_payloads(site):
    used = site.used
    assert len(used) >= 30, sorted(used)
    everything = set().union(*map(set, used.values()))
    assert everything == set(PAYLOADS)  # every payload went into at least one field
    for where in ("campaign title", "campaign summary", "question", "task text (CSV)", "update title",
                  "moderation reason", "report note", "answer label (API)"):
        assert len(set(used[where])) >= 6, (where, len(set(used[where])))


def test_xss_public_pages(site, browser):
    """What anyone sees: the home page, every campaign page (maps, updates, thanks, outcome), the open data
    pages with their methodology, public profiles and certificates, error pages."""
    with Visitor(browser, site.url) as v:
        v.visit("/")
        for slug in [site.main, site.search, site.tx, *site.maps, *site.extras]:
            v.visit(f"/campaigns/{slug}")
        v.visit(f"/campaigns/{site.main}")
        v.shows("h1", site.exact["main title"])
        v.shows("title", site.exact["main title"].strip() + " · citizen")
        page = v.visit(f"/campaigns/{site.rec}")
        v.shows(f"#update-{page.locator('article.update').last.get_attribute('aria-labelledby')[7:]}",
                site.exact["update title"])
        thanked = [same(name) for name in page.locator("ol.top-list li a").all_text_contents()]
        assert len(thanked) == 5  # the volunteers thanked, by display name
        if same(site.exact["display name"]) not in thanked:
            v.problems.append(f"display names not shown as written: {thanked}")
        v.visit("/data/")
        for slug in (site.main, site.search, site.tx, site.rec):
            v.visit(f"/data/{slug}/")
        for public_id in site.public_ids[:3]:
            v.visit(f"/volunteers/{public_id}")
            v.visit(f"/volunteers/{public_id}/certificate")
        v.visit(f"/volunteers/{site.public_ids[0]}")
        v.shows(".profile h1", f"Contributions of {site.exact['display name']}")
        # Reflected: hostile paths and parameters.
        v.visit("/campaigns/" + quote("<script>alert(1)</script>", safe=""), status=404)
        v.visit("/data/" + quote('"><img src=x onerror=alert(2)>', safe="") + "/", status=404)
        v.visit("/wellbeing/preferences?next=" + quote('/"><img src=x onerror=alert(3)>', safe=""))
        v.visit("/?lang=" + quote('"><svg onload=alert(4)>', safe=""))
        v.visit("/api/v1/campaigns")  # JSON opened as a page: shown as text


def test_xss_volunteer_pages(site, browser):
    """The work pages, as a guest, task after task: question campaigns (every task of the main one), the map
    kinds over imagery with their credit and guidance, the transcription form built from the organiser's
    fields; then a volunteer's own profile, notices of updates and certificate, and an account's profile."""
    with Visitor(browser, site.url) as v:
        page = v.visit(f"/campaigns/{site.main}/work", ready=QUESTION_READY)
        # Task after task, skipped in the page itself (one round trip for them all): each task's text is a payload.
        shown = page.evaluate(SKIP_THROUGH, len(PAYLOADS) + 5)
        v.settle()
        v.check(f"/campaigns/{site.main}/work after {len(shown)} tasks")
        # One task per payload (but the NUL ones): all but those reported, disputed or answered before.
        stored = {p.strip() for p in PAYLOADS if "\x00" not in p}
        assert len(shown) >= len(stored) - 16, len(shown)
        written = [text for text, _question in shown if text in stored]
        if len(written) < len(shown) - 1:
            v.problems.append(f"task texts not shown as written: {[t for t, _q in shown if t not in stored][:5]}")
        page.locator("details.help summary").first.click()  # "What am I looking at?": the tutorial
        v.check(f"/campaigns/{site.main}/work, tutorial open")
        for slug in site.extras:
            page = v.visit(f"/campaigns/{slug}/work", ready=QUESTION_READY)
            labels = page.locator("#q-options button.answer span").all_text_contents()
            if not set(labels) <= {p.strip() for p in site.used["answer label (API)"]}:
                v.problems.append(f"{slug}: answer labels not shown as written: {labels}")
        for slug in (site.search, *site.maps):
            page = v.visit(f"/campaigns/{slug}/work", ready=MAP_READY)
            page.locator("details.guidance summary").click()
            v.check(f"/campaigns/{slug}/work, guidance open")
        page = v.visit(f"/campaigns/{site.tx}/work", ready="() => !!document.querySelector('#tx-fields label')")
        labels = page.locator("#tx-fields > .tx-field > label[for]").all_text_contents()
        if [same(x) for x in labels] != [same(x) for x in site.used["transcription field label"]]:
            v.problems.append(f"transcription labels not shown as written: {labels}")

    with Visitor(browser, site.url, site.volunteer_cookies) as v:
        page = v.visit("/")
        assert page.locator("section.notices li").count() == 3  # news of the updates, with their titles
        v.visit("/me")
        v.shows("#display_name", site.exact["display name"], value=True)
        v.visit("/me/certificate")
        v.shows(".cert-name", site.exact["display name"])
        v.visit(f"/campaigns/{site.rec}")
        v.visit("/wellbeing/preferences")

    with Visitor(browser, site.url, site.account_cookies) as v:
        v.visit("/me")
        v.visit("/me/certificate")


def test_xss_organiser_pages(site, browser):
    """The organiser's campaigns: list, manage pages (import previews, progress maps, transcription results),
    the edit forms with every stored text back in its inputs and textareas, quality report, dashboard with its
    updates, the draft's pages, the audit log and the alert settings."""
    with Visitor(browser, site.url, site.organiser_cookies) as v:
        v.visit("/organise/")
        for slug in (site.main, site.search, site.tx, site.rec, site.draft, *site.maps):
            v.visit(f"/organise/{slug}/")
        for slug in (site.main, site.search, site.tx, site.rec, site.draft, site.maps[0]):
            v.visit(f"/organise/{slug}/edit")
        v.visit(f"/organise/{site.main}/edit")
        v.shows("#title", site.exact["main title"], value=True)
        v.shows("#description", "\n\n".join(p for p in PAYLOADS if "\x00" not in p), value=True)
        for slug in (site.main, site.tx):
            v.visit(f"/organise/{slug}/quality")
        for slug in (site.main, site.rec, site.tx, site.search):
            v.visit(f"/organise/{slug}/dashboard")
        page = v.visit(f"/organise/{site.search}/")
        page.locator("details.draw-area summary").click()  # the map to draw an area on, with the imagery credit
        page.wait_for_function("() => !!document.querySelector('#draw-map .leaflet-control-attribution')")
        v.settle()
        v.check(f"/organise/{site.search}/ drawing map")
        v.visit(f"/campaigns/{site.draft}")
        v.visit(f"/campaigns/{site.draft}/work")
        v.visit("/data/")
        v.visit(f"/data/{site.draft}/")
        v.visit("/moderation/audit")
        v.visit("/moderation/settings")
        v.visit("/moderation/")


def test_xss_moderator_pages(site, browser):
    """The queue (every reason, both organisations), the experts' view of escalations (the cell, the place on
    a map with the imagery credit), suspensions; and an escalation arriving while the queue is open, put in
    place by the page's own script."""
    org = site.org_slugs[0]
    with Visitor(browser, site.url, site.moderator_cookies) as v:
        page = v.visit(f"/moderation/?org={org}")
        assert page.locator(".mod-item").count() >= 6
        notes = [same(n) for n in page.locator(".mod-note").all_text_contents()]
        if same(f"“{site.exact['report note']}”") not in notes:
            v.problems.append(f"report notes not shown as written: {notes}")
        for reason in ("escalation", "flag", "disagreement", "contributor", "cluster"):
            v.visit(f"/moderation/?org={org}&reason={reason}")
        v.visit(f"/moderation/?org={site.org_slugs[1]}")
        v.visit(f"/moderation/?org={org}&reason=" + quote('"><img src=x onerror=alert(5)>', safe=""))
        for esc in site.escalations:
            v.visit(f"/moderation/escalations/{esc}",
                    ready="() => !!document.querySelector('#esc-location-map .leaflet-control-attribution')")
        page = v.visit(f"/moderation/suspensions?org={org}")
        assert page.locator("tbody tr").count() >= 2

        # A new escalation while the queue is open: moderation.js polls and puts the server's HTML in place.
        page = v.visit(f"/moderation/?org={org}&reason=escalation")
        before = page.locator(".mod-item").count()
        guest = Agent(site.app, bearer=Agent(site.app).api("POST", "/api/v1/guests", status=201).get_json()["token"])
        spotted = ",".join(map(str, site.spotted))  # a cell nobody escalated yet
        task = guest.api("POST", f"/api/v1/campaigns/{site.search}/tasks/next?exclude={spotted}", status=200).get_json()
        x0, y0, x1, y1 = task["bbox"]
        mark = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": {
            "type": "Point", "coordinates": [(x0 + x1) / 2, (y0 + y1) / 2]}}]}
        guest.api("POST", f"/api/v1/tasks/{task['id']}/answers", {"value": {"answer": "person", "marks": mark}},
                  headers={"Idempotency-Key": "xss-live"}, status=201)
        page.wait_for_function(f"() => document.querySelectorAll('.mod-item').length > {before}", timeout=10_000)
        v.settle()
        v.check("/moderation/ after a polled escalation")


def test_xss_forms_reflect_hostile_input_safely(site, browser):
    """Forms sent back with an error keep what was typed: the campaign form, a transcription form whose field
    names are payloads, an import whose column names are, an update without a body, the alert settings, a
    display name with a control character or too long, sign-in, and registration (whose welcome names the
    person)."""
    text = [p for p in PAYLOADS if "\x00" not in p]
    with Visitor(browser, site.url, site.organiser_cookies) as v:
        page = v.visit("/organise/new?kind=question")
        typed = {"#title": text[12], "#summary": text[13], "#description": "\n\n".join(text[:40]),
                 "#tutorial": "\n".join(text[40:80]), "#question": text[16], "#options": "\n".join(text[20:23]),
                 "#outcome": text[99], "#wb-custom-label": text[100], "#wb-resources": text[101],
                 "#escalate_on": text[102], "#redundancy": "0"}
        for selector, value in typed.items():
            page.locator(selector).fill(value)
        page.get_by_role("button", name="Create draft").click()
        v.settle()
        v.check("/organise/new sent back with errors")
        for selector in ("#title", "#description", "#question", "#options", "#outcome"):
            v.shows(selector, typed[selector], value=True)

        page = v.visit("/organise/new?kind=transcription")
        page.locator("#title").fill("Fields")
        page.locator("#fields").fill("\n".join(f"{p} | {p} | text" for p in text[90:92]))
        page.get_by_role("button", name="Create draft").click()
        v.settle()
        v.check("/organise/new?kind=transcription with bad field names")
        assert page.locator("p.error").count() >= 1

        page = v.visit(f"/organise/{site.main}/")
        header = ",".join('"' + p.replace('"', '""') + '"' for p in text[23:28])
        page.locator("#file").set_input_files(files=[{"name": "tasks.csv", "mimeType": "text/csv",
                                                      "buffer": (header + "\n" + ",".join("x" * 5) + "\n").encode()}])
        page.get_by_role("button", name="Preview").click()
        v.settle()
        v.check(f"/organise/{site.main}/ with an import error naming the columns")
        assert page.locator(".flash.error li").count() >= 1

        # A preview of an area whose file name is a payload: the name, the cells on a map with the imagery credit.
        page = v.visit(f"/organise/{site.map_draft}/")
        page.locator("#file").set_input_files(files=[{"name": '"><img src=x onerror=alert(10)>.geojson',
                                                      "mimeType": "application/geo+json",
                                                      "buffer": json.dumps(AREA).encode()}])
        page.get_by_role("button", name="Preview").click()
        page.wait_for_function("() => !!document.querySelector('#import-preview .leaflet-control-attribution')")
        v.settle()
        v.check(f"/organise/{site.map_draft}/ previewing an import")

        page = v.visit(f"/organise/{site.rec}/dashboard")
        page.locator("#update-title").fill(text[11])
        page.get_by_role("button", name="Post the update").click()
        v.settle()
        v.check("dashboard sent back without an update body")
        v.shows("#update-title", text[11], value=True)

        page = v.visit("/moderation/settings")
        page.locator("#webhook_url").fill('https://x/"><img src=x onerror=alert(6)>')
        page.locator("#emails").fill(text[94])
        page.get_by_role("button", name="Save").click()
        v.settle()
        v.check("/moderation/settings sent back with errors")

    with Visitor(browser, site.url) as v:
        page = v.visit("/me")
        page.locator("#display_name").evaluate("(el, v) => el.value = v", "<img src=x onerror=alert(7)>\x07")
        page.get_by_role("button", name="Save my settings").click()
        v.settle()
        v.check("/me sent back: a control character in the display name")
        assert page.locator("#display_name-error").count() == 1
        page.locator("#display_name").fill('"><svg onload=alert(8)>' + "x" * 60)
        page.get_by_role("button", name="Save my settings").click()
        v.settle()
        v.check("/me sent back: a display name too long")
        page = v.visit("/account/login")
        page.locator("#email").evaluate("(el, v) => { el.type = 'text'; el.value = v; }",
                                        '"><img src=x onerror=alert(9)>')
        page.locator("#password").fill("whatever1")
        page.get_by_role("button", name="Sign in").click()
        v.settle()
        v.check("/account/login sent back")
        page = v.visit("/account/register")
        page.locator("#name").fill(text[23])
        page.locator("#email").fill("new-volunteer@example.org")
        page.locator("#password").fill("password123")
        page.get_by_role("button", name="Create account").click()
        v.settle()
        v.check("the page after registering, thanking the new volunteer by name")
        v.shows("p.flash", f"Thank you, {text[23]}. If this address is new, your account is ready: sign in below "
                "with the password you just chose, and your answers so far stay yours. If you already had an account "
                "with this address, nothing was changed: sign in with your existing password (an administrator of "
                "this site can set a new one if you have forgotten it).")
        v.visit("/me")


def test_xss_api_gives_payloads_back_as_plain_text(site):
    """The JSON API carries the texts exactly as written (escaping is the pages' job), as JSON that nothing
    sniffs as HTML."""
    client = site.app.test_client()
    r = client.get("/api/v1/campaigns")
    assert r.mimetype == "application/json" and r.headers.get("X-Content-Type-Options") == "nosniff"
    titles = {c["title"] for c in r.get_json()["campaigns"]}
    summaries = {c["summary"] for c in r.get_json()["campaigns"]}
    assert titles >= {p.strip() for p in site.used["campaign title"][:2]}
    assert {site.exact["extra title"].strip(), site.exact["main title"].strip()} <= titles
    assert summaries & {p.strip() for p in site.used["campaign summary"]}
    headers = {"Authorization": "Bearer " + client.post("/api/v1/guests").get_json()["token"]}
    labels = set(site.used["answer label (API)"])
    for slug in site.extras:
        task = client.get(f"/api/v1/campaigns/{slug}/tasks/next", headers=headers).get_json()
        assert set(task["labels"]) <= {p.strip() for p in labels}, task["labels"]
        assert task["text"] in {p.strip() for p in site.used["task text (JSON)"]}
        assert task["question"] in {p.strip() for p in site.used["task question (JSON)"]}
    results = client.get(f"/api/v1/campaigns/{site.tx}/results").get_json()["results"]
    typed = {p.strip() for k, v in site.used.items() if k.startswith("transcribed value") for p in v}
    values = {f.get("value") for r in results for f in (r.get("fields") or {}).values() if isinstance(f, dict)}
    assert values & typed, values
    for name in ("results.csv", "answers.csv", "README.md", "datapackage.json"):
        r = client.get(f"/data/{site.main}/{name}")
        body = r.get_data(as_text=True)  # streamed: read it all before the next request
        assert r.status_code == 200 and r.mimetype != "text/html", (name, r.mimetype)
        assert name == "README.md" or any(p.strip()[:20] in body for p in site.used["campaign title"])
        assert r.headers.get("X-Content-Type-Options") == "nosniff"


def test_xss_csp_is_sent_and_nothing_runs_with_it_on(site, browser):
    """With the Content-Security-Policy on (the default): each page has it with this request's nonce and no
    'unsafe-inline' scripts, the maps' own inline scripts still run, and nothing of the payloads does; a
    payload blocked by the policy would show as a violation, so there must be none."""
    nonces = set()
    with Visitor(browser, site.strict_url, site.organiser_cookies) as v:
        v.page.add_init_script("""document.addEventListener('securitypolicyviolation', e =>
            (window.__cspViolations = window.__cspViolations || []).push(e.violatedDirective + ' ' + e.blockedURI));""")
        paths = ["/", f"/campaigns/{site.main}", f"/campaigns/{site.search}", f"/campaigns/{site.main}/work",
                 f"/campaigns/{site.maps[0]}/work", f"/organise/{site.search}/", f"/data/{site.main}/",
                 "/moderation/", f"/moderation/escalations/{site.escalations[0]}", f"/organise/{site.rec}/dashboard"]
        for path in paths:
            response = v.page.goto(path)
            assert response.status == 200, path
            policy = response.headers.get("content-security-policy", "")
            script_src = re.search(r"script-src ([^;]*)", policy)
            assert script_src and "'nonce-" in script_src.group(1) and "'unsafe-inline'" not in script_src.group(1), \
                (path, policy)
            nonces.add(re.search(r"'nonce-([^']+)'", policy).group(1))
            v.settle()
            v.check(path + " (CSP on)")
            violations = v.page.evaluate("window.__cspViolations || []")
            if violations:
                v.problems.append(f"{path}: CSP violations {violations}")
        assert len(nonces) == len(paths)  # a new nonce for every response
        v.page.goto(f"/campaigns/{site.search}")
        # folium's inline script ran under its nonce: Leaflet made the map.
        v.page.wait_for_function("() => !!document.querySelector('.campaign-maps .leaflet-container .leaflet-pane')")

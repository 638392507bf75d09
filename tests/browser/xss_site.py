"""The site tests/browser/test_xss.py renders: every text an organiser, a volunteer or a moderator can write,
filled with hostile payloads (tests/data/xss_payloads.txt) through the real forms and the JSON API, as they
would enter them.

`seed(app)` builds it once per module on the app's database and returns a `Site` naming what was made (slugs,
ids, which payload went into which field). Accounts sign in through the forms; sessions are Flask test clients
whose cookies the browser contexts take over, so Chromium sees the pages as each of these people."""
import csv
import io
import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from citizen.demo import documents as demo_documents
from citizen.accounts import services as accounts
from citizen.accounts.models import User
from citizen.campaigns.models import Campaign, Task
from citizen.extensions import db
from citizen.moderation.models import AlertSettings, Escalation, Suspension
from citizen.engagement.models import VolunteerProfile

PAYLOAD_FILE = Path(__file__).resolve().parent.parent / "data" / "xss_payloads.txt"
PASSWORD = "password123"
TILES = "/tiles/demo/forest-after/{z}/{x}/{y}.png"
# A 4 km x 3 km rectangle near the equator: 12 map cells of 1 km.
AREA = {"type": "Polygon", "coordinates": [[[10.0, 0.0], [10.036, 0.0], [10.036, 0.027], [10.0, 0.027], [10.0, 0.0]]]}
EXTRA_CAMPAIGNS = 8  # more question campaigns, for more titles, summaries, questions and answer labels


def load_payloads(path=PAYLOAD_FILE):
    """The corpus, one payload per line ("# " comments and blank lines skipped, {NUL} is U+0000)."""
    return [line.replace("{NUL}", "\x00") for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("# ")]


# Kinds of payload, for fields that get only a few: each of them should get some of every kind.
ACTIVE = r"on(error|load)="          # runs when parsed as HTML, even by innerHTML (a <script> would not)
BREAKOUT = r"^['\"`]"                # leaves an attribute value or a JavaScript string
SCRIPT = r"</script>"                 # leaves a <script> element (inline JSON, folium's map script)


class Payloads:
    """Hands the corpus out round-robin, so each field gets many different payloads, and remembers where each
    one went (`used[field] = [payloads]`). `like` (a regex) picks from one kind of payload, in turn.
    Payloads with a NUL character are kept apart (`nul`): the database cannot store them everywhere (PostgreSQL
    refuses them), so the app may refuse them; `seed` tries them where either answer is right."""

    def __init__(self, payloads):
        self.all = [p for p in payloads if "\x00" not in p]
        self.nul = [p for p in payloads if "\x00" in p]
        self.i = 0
        self.turns = {}
        self.used = {}

    def take(self, where, maxlen=None, clean=False, like=None):
        """The next payload that fits `maxlen` characters (and, with clean, has no control characters)."""
        start = self.turns.get(like, 0) if like else self.i
        for n in range(len(self.all)):
            p = self.all[(start + n) % len(self.all)]
            if (maxlen is None or len(p) <= maxlen) and not (clean and re.search(r"[\x00-\x1f]", p)) \
                    and not (like and not re.search(like, p)):
                if like:
                    self.turns[like] = start + n + 1
                else:
                    self.i = start + n + 1
                self.used.setdefault(where, []).append(p)
                return p
        raise AssertionError(f"no payload fits {where}")

    def many(self, where, n, **kw):
        return [self.take(where, **kw) for _ in range(n)]

    def block(self, where, limit, sep="\n\n", prefix=""):
        """As many payloads as fit in `limit` characters, one per paragraph (or line), for Markdown fields."""
        parts, size = [], 0
        for _ in range(len(self.all)):
            p = self.all[self.i % len(self.all)]
            if size + len(prefix) + len(p) + len(sep) > limit:
                break
            self.i += 1
            parts.append(prefix + p)
            size += len(prefix) + len(p) + len(sep)
            self.used.setdefault(where, []).append(p)
        return sep.join(parts)

    def everything(self, where, sep="\n\n", prefix=""):
        self.used.setdefault(where, []).extend(self.all)
        return sep.join(prefix + p for p in self.all)


def _errors(page):
    """The error messages of a page (what a person would read), for assertion messages."""
    found = re.findall(r'<p class="error"[^>]*>(.*?)</p>|<div class="flash error"[^>]*>(.*?)</div>', page, re.S)
    return found or page[:3000]


class Agent:
    """One person's browser session, as a Flask test client: forms carry the page's CSRF token, API calls by
    cookie carry it in X-CSRFToken, API calls by token send the bearer."""

    def __init__(self, app, bearer=None):
        self.client = app.test_client()
        self.bearer = bearer
        self._csrf = None

    def csrf(self):
        if self._csrf is None:
            page = self.client.get("/account/login").get_data(as_text=True)
            self._csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
        return self._csrf

    def form(self, path, data, status=302, files=None):
        body = {**data, "csrf_token": self.csrf(), **(files or {})}
        r = self.client.post(path, data=body, content_type="multipart/form-data" if files else None)
        assert r.status_code == status, (path, r.status_code, _errors(r.get_data(as_text=True)))
        return r

    def api(self, method, path, body=None, status=None, headers=None, raw=None):
        h = {"Accept": "application/json", **(headers or {})}
        if self.bearer:
            h["Authorization"] = "Bearer " + self.bearer
        else:
            h["X-CSRFToken"] = self.csrf()
        kw = {"json": body} if raw is None else {"data": raw, "content_type": "application/json"}
        r = self.client.open(path, method=method, headers=h, **kw)
        if status is not None:
            assert r.status_code == status, (method, path, r.status_code, r.get_data(as_text=True)[:3000])
        return r

    def sign_in(self, email):
        self.form("/account/login", {"email": email, "password": PASSWORD})
        self._csrf = None  # a new session

    def register(self, email, name):
        """Register, then sign in (registering answers the same for a taken address, so it signs nobody in)."""
        r = self.form("/account/register", {"email": email, "name": name, "password": PASSWORD})
        self.sign_in(email)
        return r

    def cookies(self):
        """The session cookie, for a browser context to take over this session."""
        cookie = self.client.get_cookie("session")
        return [{"name": "session", "value": cookie.value}] if cookie else []


@dataclass
class Site:
    main: str = ""            # question campaign made with the form: Markdown fields, CSV tasks, flags, reports
    search: str = ""          # search-and-rescue map cells: attribution, guidance, escalations
    tx: str = ""              # PDF transcription: field labels, help, choices, typed values
    rec: str = ""             # question campaign (API) answered by volunteers with display names; closed
    draft: str = ""           # a draft, shown to its organisers only
    extras: list = field(default_factory=list)  # more question campaigns (API)
    maps: list = field(default_factory=list)    # more map campaigns (API): imagery credits over two layers
    map_draft: str = ""       # a map campaign without tasks yet
    escalations: list = field(default_factory=list)
    spotted: list = field(default_factory=list)     # the map cells escalated
    public_ids: list = field(default_factory=list)
    volunteer_cookies: list = field(default_factory=list)    # a guest volunteer with a display name
    account_cookies: list = field(default_factory=list)      # a volunteer with an account
    organiser_cookies: list = field(default_factory=list)
    moderator_cookies: list = field(default_factory=list)
    organiser_token: str = ""
    org_slugs: tuple = ("xss-org", "xss-org-b")
    exact: dict = field(default_factory=dict)  # {name: payload} checked as the exact text shown
    used: dict = field(default_factory=dict)


def _slug_from(response):
    return response.headers["Location"].rstrip("/").split("/")[-1]


def _task_ids(slug):
    cid = db.session.execute(select(Campaign.id).where(Campaign.slug == slug)).scalar_one()
    return db.session.execute(select(Task.id).where(Task.campaign_id == cid).order_by(Task.id)).scalars().all()


def _csv(rows):
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=sorted({k for r in rows for k in r}))
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode()


def seed(app, payloads):
    """Fill the site; returns a Site. Everything a person types goes through a form or the API."""
    P = Payloads(payloads)
    site = Site()

    # --- people -------------------------------------------------------------------------------------------
    # Organisations have no form: the CLI (`flask users grant`) or an admin names them.
    with app.app_context():
        org_a = accounts.get_or_create_organisation("xss-org", P.take("organisation name", 200, True, ACTIVE))
        org_b = accounts.get_or_create_organisation("xss-org-b", P.take("organisation name", 200, True, BREAKOUT))
        db.session.commit()
        org_a_id, org_b_id = org_a.id, org_b.id

    organiser, moderator, account = Agent(app), Agent(app), Agent(app)
    organiser.register("organiser@example.org", P.take("account name", 120, True, SCRIPT))
    moderator.register("moderator@example.org", P.take("account name", 120, True, ACTIVE))
    account.register("volunteer@example.org", P.take("account name", 120, True, BREAKOUT))
    with app.app_context():
        users = {u.email: u for u in db.session.execute(select(User)).scalars()}
        org_a, org_b = db.session.get(type(org_a), org_a_id), db.session.get(type(org_b), org_b_id)
        accounts.grant(users["organiser@example.org"], org_a, "organiser")
        accounts.grant(users["moderator@example.org"], org_a, "moderator")
        accounts.grant(users["moderator@example.org"], org_b, "moderator")
        site.organiser_token = accounts.create_api_token(users["organiser@example.org"], "xss")  # `flask users token`
        db.session.commit()
    api = Agent(app, bearer=site.organiser_token)

    # --- a question campaign through the organiser's form ----------------------------------------------------
    title = P.take("campaign title", 200)
    site.exact["main title"] = title
    options = [f"{n} {p}" for n, p in enumerate(P.many("answer label (form)", 3, maxlen=70), start=1)]
    r = organiser.form("/organise/new?kind=question", {
        "title": title, "summary": P.take("campaign summary", 500), "kind": "question",
        "description": P.everything("campaign description (Markdown)"),
        "tutorial": P.everything("campaign tutorial (Markdown)", sep="\n", prefix="- "),
        "question": P.take("question", 300), "options": "\n".join(options), "redundancy": "3",
        "licence": "CC-BY-4.0", "outcome": P.block("what happens with the results (Markdown)", 2000),
        "wb_level": "mild", "wb_categories": "other", "wb_custom_label": P.take("content warning label", 120,
                                                                                   like=ACTIVE),
        "wb_resources": P.block("wellbeing resources (Markdown)", 2000), "wb_flag_threshold": "3"})
    site.main = _slug_from(r)
    # Tasks from a CSV upload: one per payload, its text, reference, question and the image's alt text.
    rows = []
    for n in range(len(P.all)):
        # Each payload is the text of one task, in order; references are unique in a campaign: the row number
        # keeps repeated payloads apart.
        P.used.setdefault("task text (CSV)", []).append(P.all[n])
        row = {"text": P.all[n], "external_id": P.take("task reference (CSV)", 190) + f" {n}"}
        if n % 3 == 0:
            row["question"] = P.take("task question (CSV)", 300)
        if n % 5 == 0:
            row.update(image_url="/static/img/share.png", alt=P.take("image alt text (CSV)", 300))
        rows.append(row)
    organiser.form(f"/organise/{site.main}/", {"action": "import"},
                   files={"file": (io.BytesIO(_csv(rows)), "tasks.csv")})
    organiser.form(f"/organise/{site.main}/publish", {})

    # --- search and rescue over map cells: imagery credit, guidance, a question ---------------------------------
    r = organiser.form("/organise/new?kind=search", {
        "title": P.take("campaign title", 200), "summary": P.take("campaign summary", 500), "kind": "search",
        "description": P.take("campaign description (Markdown)"), "question": P.take("question", 300),
        "tiles_after": TILES, "tiles_before": "", "attribution": P.take("imagery credit", 300, like=ACTIVE),
        "cell_km": "1", "min_support": "2", "guidance": P.block("map guidance (Markdown)", 5000),
        "redundancy": "3", "licence": "CC0-1.0"})
    site.search = _slug_from(r)
    organiser.form(f"/organise/{site.search}/", {"action": "import", "area": json.dumps(AREA)})
    # Its answers escalate: the organisation's live page is made and shows a test alert before it is published.
    organiser.form("/moderation/settings/live-link?org=xss-org", {})
    organiser.form("/moderation/settings/test?org=xss-org", {})
    with app.app_context():
        token = db.session.get(AlertSettings, org_a_id).live_token
    assert organiser.client.post(f"/alerts/{token}/seen", json={"viewer": "cd" * 16, "test": True}).status_code == 200
    organiser.form(f"/organise/{site.search}/publish", {})

    # More map campaigns through the API: a swipe between two imagery layers, other imagery credits; the last one
    # is left a draft without tasks (the organiser previews an import there).
    for kind, like in (("deforestation", ACTIVE), ("damage", SCRIPT), ("deforestation", ACTIVE)):
        body = {"title": P.take("campaign title", 200), "summary": P.take("campaign summary", 500), "kind": kind,
                "description": P.take("campaign description (Markdown)"), "redundancy": 2, "settings": {
                    "tiles_after": TILES, "tiles_before": TILES.replace("after", "before"), "cell_km": 1,
                    "attribution": P.take("imagery credit", 300, like=like),
                    "question": P.take("question", 300), "guidance": P.take("map guidance (Markdown)")}}
        slug = api.api("POST", "/api/v1/campaigns", body, status=201).get_json()["slug"]
        if len(site.maps) == 2:
            site.map_draft = slug
            break
        api.api("POST", f"/api/v1/campaigns/{slug}/tasks", raw=json.dumps(AREA), status=201)
        api.api("POST", f"/api/v1/campaigns/{slug}/publish", {}, status=200)
        site.maps.append(slug)

    # --- PDF transcription: the form's fields, their help and choices ----------------------------------------
    fields = [
        {"name": "who", "label": P.take("transcription field label", 120, like=ACTIVE), "type": "text",
         "help": P.take("transcription field help", 500, like=ACTIVE)},
        {"name": "what", "label": P.take("transcription field label", 120, like=BREAKOUT), "type": "choice",
         "help": P.take("transcription field help", 500, like=BREAKOUT),
         "choices": [P.take("transcription choice", 80, True, like) for like in (ACTIVE, BREAKOUT, SCRIPT)]},
        {"name": "note", "label": P.take("transcription field label", 120, like=SCRIPT), "type": "text",
         "optional": True, "help": P.take("transcription field help", 500)},
    ]
    r = organiser.form("/organise/new?kind=transcription", {
        "title": P.take("campaign title", 200), "summary": P.take("campaign summary", 500),
        "kind": "transcription", "description": P.take("campaign description (Markdown)"),
        "fields": json.dumps(fields), "unit": "page", "agree": "2", "max_answers": "2", "decimal_mark": "auto",
        "date_order": "dmy", "redundancy": "2", "licence": "CC-BY-4.0"})
    site.tx = _slug_from(r)
    pdf_name = P.take("uploaded file name", 150, True, ACTIVE).replace('"', "'") + ".pdf"
    organiser.form(f"/organise/{site.tx}/", {"action": "import"},
                   files={"file": (io.BytesIO(demo_documents.expense_pdf(demo_documents.REPORTS[:4])), pdf_name)})
    organiser.form(f"/organise/{site.tx}/publish", {})
    with app.app_context():
        tx_tasks = _task_ids(site.tx)
        choices = db.session.execute(select(Campaign.settings).where(Campaign.slug == site.tx)).scalar_one()[
            "fields"][1]["choices"]

    def typed(where):
        return {"who": P.take(where, 300), "what": choices[0], "note": P.take(where, 300)}

    agreed = typed("transcribed value (imported answers)")
    # Two answers that agree on the first page (verified), two that disagree on every text field of the next two
    # (disputed, for moderators), none on the last: volunteers are handed it.
    values = [agreed, agreed] + [typed("transcribed value (imported answers)") for _ in range(4)]
    answers = [{"task_id": task_id, "contributor": P.take("contributor reference", 120), "value": {"fields": value}}
               for task_id, value in zip([tx_tasks[0]] * 2 + [tx_tasks[1]] * 2 + [tx_tasks[2]] * 2, values)]
    api.api("POST", f"/api/v1/campaigns/{site.tx}/answers/import", {"answers": answers}, status=201)

    # --- more question campaigns through the API, one with its tasks from JSON ---------------------------
    for n in range(EXTRA_CAMPAIGNS + 1):
        labels = P.many("answer label (API)", 3, maxlen=80)
        body = {"title": P.take("campaign title", 200), "summary": P.take("campaign summary", 500),
                "description": P.take("campaign description (Markdown)"), "kind": "question", "redundancy": 2,
                "tutorial": P.take("campaign tutorial (Markdown)"),
                "settings": {"question": P.take("question", 300),
                             "options": [{"value": v, "label": label} for v, label in zip("abc", labels)]}}
        slug = api.api("POST", "/api/v1/campaigns", body, status=201).get_json()["slug"]
        if n == 0:
            site.exact["extra title"] = body["title"]
        tasks = [{"text": P.take("task text (JSON)", 5000), "question": P.take("task question (JSON)", 300),
                  "external_id": P.take("task reference (JSON)", 190) + f" {i}"} for i in range(2)]
        api.api("POST", f"/api/v1/campaigns/{slug}/tasks", raw=json.dumps(tasks), status=201)
        if n == EXTRA_CAMPAIGNS:
            site.draft = slug  # left a draft: on the organiser's pages only
        else:
            api.api("POST", f"/api/v1/campaigns/{slug}/publish", {}, status=200)
            site.extras.append(slug)

    # --- volunteers with display names, on a campaign they finish together ------------------------------------
    body = {"title": P.take("campaign title", 200), "summary": P.take("campaign summary", 500), "kind": "question",
            "description": P.take("campaign description (Markdown)"), "redundancy": 5,
            "outcome": P.block("what happens with the results (Markdown)", 2000),
            "settings": {"question": P.take("question", 300), "options": [
                {"value": "yes", "label": P.take("answer label (API)", 80)},
                {"value": "no", "label": P.take("answer label (API)", 80)}]}}
    site.rec = api.api("POST", "/api/v1/campaigns", body, status=201).get_json()["slug"]
    tasks = [{"text": P.take("task text (JSON)", 5000)} for _ in range(6)]
    api.api("POST", f"/api/v1/campaigns/{site.rec}/tasks", raw=json.dumps(tasks), status=201)
    api.api("POST", f"/api/v1/campaigns/{site.rec}/publish", {}, status=200)
    volunteers = []
    for n in range(5):
        v = Agent(app)
        name = P.take("display name", 60, True, (ACTIVE, BREAKOUT, SCRIPT, None, None)[n])
        if n == 0:
            site.exact["display name"] = name
        # Public, listed among the volunteers thanked, and told about updates (posted below).
        v.form("/me", {"display_name": name, "public": "on", "show_in_recognition": "on", "notify_updates": "on"})
        for _ in range(6):
            task = v.api("POST", f"/api/v1/campaigns/{site.rec}/tasks/next", status=200).get_json()
            v.api("POST", f"/api/v1/tasks/{task['id']}/answers", {"value": "yes", "duration_ms": 4000},
                  headers={"Idempotency-Key": str(uuid.uuid4())}, status=201)
        volunteers.append(v)
    with app.app_context():
        site.public_ids = db.session.execute(select(VolunteerProfile.public_id).where(
            VolunteerProfile.public.is_(True)).order_by(VolunteerProfile.contributor_id)).scalars().all()
    # The volunteer with an account answers a few tasks of the main campaign.
    answered = []
    for _ in range(2):
        task = account.api("POST", f"/api/v1/campaigns/{site.main}/tasks/next", status=200).get_json()
        answered.append(task["id"])
        value = task["options"][0]
        account.api("POST", f"/api/v1/tasks/{task['id']}/answers", {"value": value, "duration_ms": 4000},
                    headers={"Idempotency-Key": str(uuid.uuid4())}, status=201)

    # --- organisers' updates: one with every payload, then one each --------------------------------------------
    site.exact["update title"] = title = P.take("update title", 200)
    organiser.form(f"/organise/{site.rec}/updates", {"title": title, "body": P.everything("update body (Markdown)")})
    for _ in range(17):
        organiser.form(f"/organise/{site.rec}/updates", {"title": P.take("update title", 200),
                                                          "body": P.take("update body (Markdown)")})
    organiser.form(f"/organise/{site.main}/updates", {"title": P.take("update title", 200),
                                                       "body": P.block("update body (Markdown)", 4000)})
    organiser.form(f"/organise/{site.rec}/close", {"confirm": "yes"})  # finished: on the home page with what came of it

    # --- volunteers report and flag items of the main campaign --------------------------------------------
    with app.app_context():
        main_tasks = _task_ids(site.main)
        option_values = [o["value"] for o in db.session.execute(select(Campaign.settings).where(
            Campaign.slug == site.main)).scalar_one()["options"]]
    reported = []
    for _ in range(2):
        token = Agent(app).api("POST", "/api/v1/guests", status=201).get_json()["token"]
        guest = Agent(app, bearer=token)
        for n in range(3):
            task = guest.api("POST", f"/api/v1/campaigns/{site.main}/tasks/next", status=200).get_json()
            guest.api("POST", f"/api/v1/tasks/{task['id']}/reports", {
                "reason": ("abusive", "personal_data")[n % 2], "note": P.take("report note", 500)}, status=201)
            guest.api("POST", f"/api/v1/tasks/{task['id']}/flags", {
                "level": "graphic", "note": P.take("flag note", 500)}, status=201)
            guest.api("POST", f"/api/v1/tasks/{task['id']}/skip")
            reported.append(task["id"])
    site.exact["report note"] = P.used["report note"][-1]  # on an item left in the queue
    # Answers collected on paper that disagree, for the moderators: ties, and one 2-1-1 (a leading answer to accept).
    disputed = [t for t in main_tasks if t not in reported and t not in answered][-4:]
    answers = [{"task_id": t, "contributor": P.take("contributor reference", 120) + f" {n}", "value": v}
               for t in disputed
               for n, v in enumerate(option_values + ([option_values[0]] if t == disputed[1] else []))]
    api.api("POST", f"/api/v1/campaigns/{site.main}/answers/import", {"answers": answers}, status=201)

    # --- people spot someone on the map: escalations ---------------------------------------------------------
    spotted = []
    for _ in range(5):
        token = Agent(app).api("POST", "/api/v1/guests", status=201).get_json()["token"]
        guest = Agent(app, bearer=token)
        exclude = ",".join(map(str, spotted))  # a task escalates once: each guest spots someone elsewhere
        task = guest.api("POST", f"/api/v1/campaigns/{site.search}/tasks/next?exclude={exclude}",
                         status=200).get_json()
        spotted.append(task["id"])
        x0, y0, x1, y1 = task["bbox"]
        mark = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
            "note": P.take("mark property", 300, like=ACTIVE)}, "geometry": {"type": "Point", "coordinates": [
                (x0 + x1) / 2, (y0 + y1) / 2]}}]}
        guest.api("POST", f"/api/v1/tasks/{task['id']}/answers",
                  {"value": {"answer": "person", "marks": mark}, "duration_ms": 5000},
                  headers={"Idempotency-Key": str(uuid.uuid4())}, status=201)
    with app.app_context():
        site.escalations = db.session.execute(select(Escalation.id).order_by(Escalation.id)).scalars().all()
    site.spotted = spotted

    # --- the moderator works the queue: every action with a reason -----------------------------------------
    def act(item, action, **extra):
        moderator.api("POST", "/moderation/act", {"item": item, "action": action,
                                                  "reason": P.take("moderation reason", 1000), **extra}, status=200)

    e = site.escalations
    act(f"escalation:{e[0]}", "confirm")
    act(f"escalation:{e[1]}", "dismiss")
    act(f"escalation:{e[2]}", "suspend")
    act(f"escalation:{e[3]}", "suspend", scope="organisation")
    act(f"flag:{reported[0]}", "hide")
    act(f"flag:{reported[1]}", "rerate", level="extreme")
    act(f"flag:{reported[2]}", "dismiss")
    act(f"disagreement:{disputed[0]}", "override", answer=option_values[1])
    act(f"disagreement:{disputed[1]}", "accept")
    act(f"disagreement:{disputed[2]}", "dismiss")
    act(f"disagreement:{tx_tasks[1]}", "override",
        answer={"fields": typed("transcribed value (moderator's override)")})
    with app.app_context():
        lift = db.session.execute(select(Suspension.id).order_by(Suspension.id)).scalars().first()
    moderator.form(f"/moderation/suspensions/{lift}/lift", {"reason": P.take("moderation reason", 1000)})
    # A moderator's own rating of an item, with a label of their own words.
    label = P.take("content warning label", 120, like=BREAKOUT)
    moderator.api("POST", f"/api/v1/tasks/{main_tasks[1]}/rating",
                  {"level": "mild", "categories": ["other"], "custom_label": label}, status=200)
    # The organiser's alert settings (addresses are checked for an "@" only).
    addresses = P.many("alert e-mail", 2, like=r"^[^\s,;]*on(error|load)=[^\s,;]*$")  # no separators in them
    organiser.form("/moderation/settings?org=xss-org", {
        "webhook_url": "", "webhook_secret": "", "emails": ", ".join(p + "@example.org" for p in addresses)})

    # --- NUL characters: refused (API 422, site forms 400) or kept, and then shown like any other text ------
    def tried(where, response, ok=(200, 201, 302, 400, 422)):
        assert response.status_code in ok, (where, response.status_code, response.get_data(as_text=True)[:500])
        P.used.setdefault(f"{where} (NUL)", []).extend(P.nul)

    options = [{"value": "a", "label": P.nul[3]}, {"value": "b", "label": "b"}]
    tried("campaign (API)", api.api("POST", "/api/v1/campaigns", {
        "title": P.nul[0], "summary": P.nul[1], "description": "\n\n".join(P.nul), "kind": "question",
        "settings": {"question": P.nul[2], "options": options}}))
    tried("task text (JSON)", api.api("POST", f"/api/v1/campaigns/{site.draft}/tasks",
                                      raw=json.dumps([{"text": p} for p in P.nul])))
    tried("display name", volunteers[1].client.post("/me", data={"display_name": P.nul[0], "public": "on",
                                                                "csrf_token": volunteers[1].csrf()}))
    tried("report note", Agent(app, bearer=token).api("POST", f"/api/v1/tasks/{task['id']}/reports", {
        "reason": "abusive", "note": P.nul[1]}), ok=(201, 403, 409, 422))
    # Site forms refuse NUL before the database sees it (citizen.security), on SQLite and PostgreSQL alike.
    tried("campaign (form)", organiser.client.post("/organise/new?kind=question", data={
        "title": P.nul[0], "summary": P.nul[1], "description": "\n\n".join(P.nul), "question": P.nul[2],
        "options": "\n".join(f"{n} {p}" for n, p in enumerate(P.nul)), "kind": "question",
        "csrf_token": organiser.csrf()}), ok=(400,))
    tried("update", organiser.client.post(f"/organise/{site.main}/updates", data={
        "title": P.nul[3], "body": "\n\n".join(P.nul), "csrf_token": organiser.csrf()}), ok=(400,))

    site.volunteer_cookies = volunteers[0].cookies()
    site.account_cookies = account.cookies()
    site.organiser_cookies = organiser.cookies()
    site.moderator_cookies = moderator.cookies()
    site.used = P.used
    return site

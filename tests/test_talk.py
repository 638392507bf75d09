"""Talk (issue 19): threads per campaign and per task over the API and as pages, sanitised Markdown (XSS attempts,
no images but the task's own), limits (length, mentions, rate), reports and hiding with the audit log, "needs an
expert" into the moderation queue, mention and reply notifications on the profile, suspended authors refused,
and posts in no export."""
import csv
import io
import json
import re
import time
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import select
from sqlalchemy import update as sa_update

from citizen.api.openapi import spec
from citizen.campaigns import services as campaigns
from citizen.extensions import db
from citizen.accounts.audit import AuditLog
from citizen.moderation.models import ContentReport, Suspension
from citizen.talk import names
from citizen.talk import services as talk
from citizen.talk.models import TalkNotification, TalkPost
from tests.helpers import API, answer_next, signed_in

OWN_IMAGE = "https://example.org/roofs/r0.jpg"


@pytest.fixture
def campaign(make_campaign):
    return make_campaign(tasks=3, redundancy=2)


@pytest.fixture
def people(app, make_user):
    """A moderator, a second organisation's moderator, and two volunteers with accounts."""
    from citizen.accounts import services as accounts
    out = {"moderator": make_user("mona@example.org", "moderator", name="Mona Moderator"),
           "vera": make_user("vera@example.org", name="Vera Volunteer"),
           "otto": make_user("otto@example.org", name="Otto Other")}
    other = accounts.get_or_create_organisation("other-org", "Other Org")
    stranger = make_user("stan@example.org", name="Stan Stranger")
    accounts.grant(stranger, other, "moderator")
    db.session.commit()
    out["stranger"] = stranger
    return out


def first_task(campaign):
    from citizen.campaigns.models import Task
    return db.session.execute(select(Task.id).where(Task.campaign_id == campaign.id).order_by(Task.id)).scalar()


def post(client, slug, body, task_id=None, **extra):
    where = f"{API}/campaigns/{slug}" + (f"/tasks/{task_id}" if task_id else "") + "/talk"
    return client.post(where, json={"body": body, **extra})


def thread(client, slug, task_id=None, **query):
    where = f"{API}/campaigns/{slug}" + (f"/tasks/{task_id}" if task_id else "") + "/talk"
    r = client.get(where, query_string=query)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


# --- reading and writing ---------------------------------------------------------------------------------

def test_anyone_reads_signed_in_accounts_write_guests_and_strangers_do_not(app, client, campaign, people, guest,
                                                                            organiser):
    tid = first_task(campaign)
    assert thread(client, campaign.slug) == {"campaign": campaign.slug, "task_id": None, "posts": [],
                                             "next_after": None}
    r = post(client, campaign.slug, "Hello")
    assert r.status_code == 401 and r.get_json()["code"] == "unauthorized"
    r = client.post(f"{API}/campaigns/{campaign.slug}/talk", json={"body": "Hello"}, headers=guest())
    assert r.status_code == 403 and r.get_json()["code"] == "account_needed"

    vera = signed_in(app, "vera@example.org")
    r = post(vera, campaign.slug, "Is a **red** tile roof a red roof?")
    assert r.status_code == 201, r.get_data(as_text=True)
    body = r.get_json()
    assert body["html"] == "<p>Is a <strong>red</strong> tile roof a red roof?</p>"
    assert body["author"].startswith("volunteer-") and "vera" not in body["author"].lower()
    r = post(vera, campaign.slug, "This one is odd", task_id=tid)
    assert r.status_code == 201 and r.get_json()["task_id"] == tid

    # The campaign's thread and the task's are apart; both read by anyone, as JSON and as pages.
    assert [p["html"] for p in thread(client, campaign.slug)["posts"]] == [body["html"]]
    assert [p["task_id"] for p in thread(client, campaign.slug, tid)["posts"]] == [tid]
    page = client.get(f"/campaigns/{campaign.slug}/tasks/{tid}/talk").get_data(as_text=True)
    assert "This one is odd" in page and "To write, please sign in" in page
    page = client.get(f"/campaigns/{campaign.slug}/talk").get_data(as_text=True)
    assert "<strong>red</strong>" in page and "vera@example.org" not in page
    assert f'href="/campaigns/{campaign.slug}/talk"' in client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    work = client.get(f"/campaigns/{campaign.slug}/work").get_data(as_text=True)
    assert 'id="talk-task"' in work and "js/talk.js" in work

    # A task of another campaign, an unknown task, a bad page cursor.
    other = campaigns.create_campaign(campaign.organisation_id, organiser,
                                      {"title": "Other", "kind": "question", "settings": campaign.settings})
    db.session.commit()
    assert vera.get(f"{API}/campaigns/{other.slug}/tasks/{tid}/talk").status_code == 404  # a draft
    assert post(vera, campaign.slug, "x", task_id=2**31 - 1).status_code == 404
    assert client.get(f"{API}/campaigns/{campaign.slug}/talk?after=abc").status_code == 422
    assert len(db.session.execute(select(TalkPost.id)).scalars().all()) == 2


def test_form_posts_and_pages_of_a_thread(app, campaign, people, monkeypatch):
    monkeypatch.setattr(talk, "PAGE_SIZE", 3)
    vera = signed_in(app, "vera@example.org")
    tid = first_task(campaign)
    for i in range(4):
        r = vera.post(f"/campaigns/{campaign.slug}/tasks/{tid}/talk", data={"body": f"Post number {i}"})
        assert r.status_code == 302 and "#post-" in r.headers["Location"]
    first = thread(vera, campaign.slug, tid)
    assert len(first["posts"]) == 3 and first["next_after"] == first["posts"][-1]["id"]
    rest = thread(vera, campaign.slug, tid, after=first["next_after"])
    assert [p["html"] for p in rest["posts"]] == ["<p>Post number 3</p>"] and rest["next_after"] is None
    # A refused form keeps what was written and says what is wrong.
    r = vera.post(f"/campaigns/{campaign.slug}/talk", data={"body": "x" * 5001})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "Keep a post under 5000 characters" in page and "x" * 5001 in page


# --- sanitising ------------------------------------------------------------------------------------------

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">link</a>',
    "<iframe src=https://evil.example/></iframe>",
    '"><svg onload=alert(1)>',
    "![tracker](https://evil.example/pixel.png)",
    '<img src="https://evil.example/pixel.png">',
    "<style>body{display:none}</style>",
    '<p style="background:url(https://evil.example/x)">styled</p>',
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
]


def test_markdown_is_sanitised_and_shows_no_image_but_the_tasks_own(app, client, org, organiser, people):
    rows = [{"external_id": f"r{i}", "image_url": f"https://example.org/roofs/r{i}.jpg"} for i in range(2)]
    c = campaigns.create_campaign(org.id, organiser, {"title": "Roof photos", "kind": "question", "redundancy": 2,
                                   "settings": {"question": "Red roof?", "options": ["yes", "no"]}})
    campaigns.import_tasks(c, "tasks.json", json.dumps(rows))
    campaigns.publish(c)
    db.session.commit()
    tid = first_task(c)
    vera = signed_in(app, "vera@example.org")
    app.config["TALK_POST_LIMIT"] = 100
    for attack in XSS:
        r = post(vera, c.slug, attack, task_id=tid)
        assert r.status_code == 201, (attack, r.get_data(as_text=True))
        html = r.get_json()["html"]
        for tag, attrs in elements(html):  # what a browser would build of it (raw HTML stays text)
            assert tag in SAFE_TAGS, (attack, html)
            assert not any(name.startswith("on") or name == "style" for name in attrs), (attack, html)
            for name in ("href", "src"):
                assert not re.match(r"\s*(javascript|data|vbscript):", attrs.get(name) or "", re.I), (attack, html)
                assert "evil.example" not in (attrs.get(name) or ""), (attack, html)
    r = post(vera, c.slug, f"Look at the corner: ![the roof]({OWN_IMAGE})", task_id=tid)
    assert ("img", {"src": OWN_IMAGE, "alt": "the roof"}) in elements(r.get_json()["html"])
    # Another task's picture is not this task's own; in the campaign's thread no image at all.
    r = post(vera, c.slug, "![other](https://example.org/roofs/r1.jpg)", task_id=tid)
    assert "<img" not in r.get_json()["html"]
    r = post(vera, c.slug, f"![own]({OWN_IMAGE})")
    assert "<img" not in r.get_json()["html"]
    page = client.get(f"/campaigns/{c.slug}/tasks/{tid}/talk").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page and 'src="https://evil.example' not in page
    assert not any(name.startswith("on") for _tag, attrs in elements(page) for name in attrs)
    assert f'src="{OWN_IMAGE}"' in page  # the task's own picture, above the thread and in the post


def test_pathological_markdown_renders_in_bounded_time(app, campaign, people):
    """Markdown anyone writes goes through a parser whose time stays about linear (Python-Markdown, used for the
    organisers' texts, takes seconds on a few thousand nested brackets)."""
    vera = signed_in(app, "vera@example.org")
    app.config["TALK_POST_LIMIT"] = 100
    for body in ("[" * 2500 + "]" * 2500, "[![" * 1600, ">" * 5000, "<" * 5000, "`a" * 2500):
        started = time.monotonic()
        assert post(vera, campaign.slug, body).status_code == 201
        assert time.monotonic() - started < 3, body[:20]


SAFE_TAGS = {"p", "br", "a", "ul", "ol", "li", "strong", "em", "h2", "h3", "h4", "blockquote", "code", "pre", "hr",
             "img"}


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def elements(html):
    """[(tag, {attribute: value})] of the elements in an HTML text, as a browser would parse them."""
    parser = _Elements()
    parser.feed(html)
    return parser.found


# --- limits ----------------------------------------------------------------------------------------------

def test_length_and_mention_limits_refuse_and_store_nothing(app, campaign, people):
    vera = signed_in(app, "vera@example.org")
    for body, field in [("", "body"), ("   \n ", "body"), ("x" * 5001, "body"), (42, "body"),
                        (" ".join(f"@person{i}" for i in range(6)), "body")]:
        r = vera.post(f"{API}/campaigns/{campaign.slug}/talk", json={"body": body})
        assert r.status_code == 422 and r.get_json()["details"][0]["field"] == field, (body, r.get_json())
    r = post(vera, campaign.slug, "ok", needs_expert="yes")
    assert r.status_code == 422
    assert post(vera, campaign.slug, "x" * 5000).status_code == 201
    assert len(db.session.execute(select(TalkPost.id)).scalars().all()) == 1


def test_posts_are_rate_limited_per_author(app, campaign, people):
    app.config.update(RATELIMIT_ENABLED=True, TALK_POST_LIMIT=3, TALK_POST_SECONDS=60, TALK_POSTS_PER_DAY=5,
                      TALK_REPORTS_PER_DAY=1)
    vera, otto = signed_in(app, "vera@example.org"), signed_in(app, "otto@example.org")
    for i in range(3):
        assert post(vera, campaign.slug, f"post {i}").status_code == 201
    r = post(vera, campaign.slug, "one too many")
    assert r.status_code == 429 and r.get_json()["code"] == "too_many_posts"
    assert r.headers["Retry-After"] == "60"
    assert post(otto, campaign.slug, "someone else may still post").status_code == 201
    # The day's allowance holds whatever the minute's: the posts of an hour ago count too.
    for p in db.session.execute(select(TalkPost)).scalars():
        p.created_at -= timedelta(hours=1)
    db.session.commit()
    assert post(vera, campaign.slug, "after a while").status_code == 201
    assert post(vera, campaign.slug, "again").status_code == 201
    r = post(vera, campaign.slug, "past the day's")
    assert r.status_code == 429 and "tomorrow" in r.get_json()["message"]
    # Reports have a daily allowance too.
    ids = [p["id"] for p in thread(otto, campaign.slug)["posts"]]
    assert otto.post(f"{API}/talk/posts/{ids[0]}/reports", json={"reason": "spam"}).status_code == 201
    r = otto.post(f"{API}/talk/posts/{ids[1]}/reports", json={"reason": "spam"})
    assert r.status_code == 429 and r.get_json()["code"] == "too_many_reports"


# --- moderation ------------------------------------------------------------------------------------------

def test_reports_and_hiding_are_moderated_and_audited(app, client, campaign, people):
    vera, otto = signed_in(app, "vera@example.org"), signed_in(app, "otto@example.org")
    mod, stranger = signed_in(app, "mona@example.org"), signed_in(app, "stan@example.org")
    pid = post(vera, campaign.slug, "Buy cheap watches at example.com").get_json()["id"]

    assert client.post(f"{API}/talk/posts/{pid}/reports", json={"reason": "spam"}).status_code == 401
    assert otto.post(f"{API}/talk/posts/{pid}/reports", json={"reason": "rude"}).status_code == 422
    assert otto.post(f"{API}/talk/posts/{pid}/reports", json={"reason": "spam"}).status_code == 201
    r = otto.post(f"{API}/talk/posts/{pid}/reports", json={"reason": "abusive"})
    assert r.status_code == 409 and r.get_json()["code"] == "already_reported"
    listed = mod.get("/talk/moderation").get_data(as_text=True)
    assert "Buy cheap watches" in listed and "1 report" in listed

    # Only the organisation's staff hide, and with a reason.
    assert otto.post(f"{API}/talk/posts/{pid}/hide", json={"reason": "spam"}).status_code == 403
    assert stranger.post(f"{API}/talk/posts/{pid}/hide", json={"reason": "spam"}).status_code == 403
    assert mod.post(f"{API}/talk/posts/{pid}/hide", json={"reason": " "}).status_code == 422
    r = mod.post(f"{API}/talk/posts/{pid}/hide", json={"reason": "advertising"})
    assert r.status_code == 200 and r.get_json()["hidden"] is True
    assert mod.post(f"{API}/talk/posts/{pid}/hide", json={"reason": "again"}).status_code == 409
    entry = db.session.execute(select(AuditLog).where(AuditLog.target_type == "post")).scalar_one()
    assert (entry.action, entry.target_id, entry.reason, entry.user_id) == (
        "hide", str(pid), "advertising", people["moderator"].id)
    assert entry.before["open_reports"] == 1 and entry.after["hidden"] is True

    # Readers see that a post was hidden, not what it said; staff still read it.
    shown = thread(client, campaign.slug)["posts"][0]
    assert shown["hidden"] is True and shown["html"] is None
    assert "Buy cheap watches" not in client.get(f"/campaigns/{campaign.slug}/talk").get_data(as_text=True)
    assert "Buy cheap watches" in mod.get(f"/campaigns/{campaign.slug}/talk").get_data(as_text=True)
    assert "Buy cheap watches" not in mod.get("/talk/moderation").get_data(as_text=True)  # settled

    # Shown again from the thread's form, audited too.
    r = mod.post(f"/talk/posts/{pid}/show", data={"reason": "it was a real shop", "next": "/evil//x"})
    assert r.status_code == 302
    assert thread(client, campaign.slug)["posts"][0]["html"] is not None
    assert [a.action for a in db.session.execute(select(AuditLog).where(AuditLog.target_type == "post")
                                                 .order_by(AuditLog.id)).scalars()] == ["hide", "show"]
    r = mod.post(f"/talk/posts/{pid}/show", data={"reason": "x", "next": "//evil.example/"})
    assert r.status_code == 302 and "evil.example" not in r.headers["Location"]


def test_a_suspended_author_cannot_post(app, campaign, people):
    vera, mod = signed_in(app, "vera@example.org"), signed_in(app, "mona@example.org")
    pid = post(vera, campaign.slug, "You are all idiots").get_json()["id"]
    r = mod.post(f"/talk/posts/{pid}/suspend", data={"reason": "insults"})
    assert r.status_code == 302
    suspension = db.session.execute(select(Suspension)).scalar_one()
    assert suspension.campaign_id == campaign.id and suspension.reason == "insults"
    assert {a.action for a in db.session.execute(select(AuditLog)).scalars()} == {"suspend", "hide"}
    r = post(vera, campaign.slug, "Let me back in")
    assert r.status_code == 403 and r.get_json()["code"] == "suspended"
    r = vera.post(f"/campaigns/{campaign.slug}/talk", data={"body": "Let me back in"})
    assert r.status_code == 403 and "suspended" in r.get_data(as_text=True)
    assert len(db.session.execute(select(TalkPost.id)).scalars().all()) == 1


def test_needs_an_expert_puts_the_task_in_the_moderation_queue(app, campaign, people):
    vera, otto, mod = (signed_in(app, e) for e in ("vera@example.org", "otto@example.org", "mona@example.org"))
    tid = first_task(campaign)
    assert post(vera, campaign.slug, "Is this asbestos?", task_id=tid, needs_expert=True).status_code == 201
    assert post(otto, campaign.slug, "Same question #needs-expert", task_id=tid).get_json()["needs_expert"] is True
    assert post(otto, campaign.slug, "No tag here", task_id=tid).get_json()["needs_expert"] is False
    reports = db.session.execute(select(ContentReport).where(ContentReport.task_id == tid)).scalars().all()
    assert [(r.reason, r.status) for r in reports] == [("needs_expert", "open")] * 2
    queue = mod.get("/moderation/").get_data(as_text=True)
    assert "Needs an expert (2)" in queue
    assert f'href="/campaigns/{campaign.slug}/tasks/{tid}/talk"' in queue  # the item links to its thread
    assert "Is this asbestos?" in mod.get("/talk/moderation").get_data(as_text=True)

    # The moderator settles it in the queue: it leaves the queue and the discussions' list.
    r = mod.post("/moderation/act", json={"item": f"flag:{tid}", "action": "dismiss", "reason": "not asbestos"})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert "Needs an expert" not in mod.get("/moderation/").get_data(as_text=True)
    assert "Is this asbestos?" not in mod.get("/talk/moderation").get_data(as_text=True)
    # Asked again later: back in the queue.
    post(vera, campaign.slug, "Still unsure #needs-expert", task_id=tid)
    assert "Needs an expert (1)" in mod.get("/moderation/").get_data(as_text=True)


def test_mentions_and_staff_replies_notify_on_the_profile(app, campaign, people):
    vera, mod = signed_in(app, "vera@example.org"), signed_in(app, "mona@example.org")
    tid = first_task(campaign)
    page = vera.get(f"/campaigns/{campaign.slug}/tasks/{tid}/talk").get_data(as_text=True)
    assert "@mona-moderator" in page  # the handles one may mention are shown with the form
    post(vera, campaign.slug, "@mona-moderator could you look? (vera@example.org is not a mention)", task_id=tid)
    notes = db.session.execute(select(TalkNotification)).scalars().all()
    assert [(n.user_id, n.reason) for n in notes] == [(people["moderator"].id, "mention")]
    me = mod.get("/me").get_data(as_text=True)
    assert "mentioned you" in me and f"/campaigns/{campaign.slug}/tasks/{tid}/talk#post-" in me and "1 new" in me

    # @moderators names every organiser and moderator of the organisation (not other organisations' staff).
    post(vera, campaign.slug, "@moderators the imagery is cloudy")
    told = {n.user_id for n in db.session.execute(select(TalkNotification)).scalars()}
    assert told == {people["moderator"].id, _user_id("organiser@example.org")}

    # A staff reply tells the volunteers who wrote in the thread.
    r = post(mod, campaign.slug, "It is a red roof, yes.", task_id=tid)
    assert r.get_json()["staff_role"] == "moderator" and r.get_json()["author"] == "Mona Moderator (@mona-moderator)"
    me = vera.get("/me").get_data(as_text=True)
    assert "answered in a discussion you took part in" in me and "It is a red roof" in me
    vera.post("/me/talk/read")
    assert "1 new" not in vera.get("/me").get_data(as_text=True)
    assert db.session.execute(select(TalkNotification).where(
        TalkNotification.user_id == people["vera"].id, TalkNotification.read_at.is_(None))).first() is None


def _user_id(email):
    from citizen.accounts.models import User
    return db.session.execute(select(User.id).where(User.email == email)).scalar()


# --- exports, and the API document -----------------------------------------------------------------------

def test_posts_appear_in_no_export(app, client, campaign, people):
    vera = signed_in(app, "vera@example.org")
    answer_next(vera, campaign.slug, "yes")
    answer_next(client, campaign.slug, "no")
    tid = first_task(campaign)
    post(vera, campaign.slug, "SECRET-DISCUSSION-MARKER in the campaign thread")
    post(vera, campaign.slug, "SECRET-DISCUSSION-MARKER on a task #needs-expert", task_id=tid)
    db.session.commit()
    seen = []
    for name in ("results.csv", "answers.csv", "datapackage.json", "README.md"):
        r = client.get(f"/data/{campaign.slug}/{name}")
        assert r.status_code == 200, (name, r.status_code)
        text = r.get_data(as_text=True)
        assert "SECRET-DISCUSSION-MARKER" not in text and "vera@example.org" not in text and "Vera" not in text
        seen.append(text)
    answers = list(csv.DictReader(io.StringIO(seen[1])))
    assert answers and all("talk" not in key.lower() for key in answers[0])
    assert not any("talk" in r.get("name", "") for r in json.loads(seen[2]).get("resources", []))


def test_the_api_document_describes_talk(client):
    paths = client.get(f"{API}/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/campaigns/{slug}/talk"])
    assert {"get", "post"} <= set(paths["/campaigns/{slug}/tasks/{task_id}/talk"])
    assert "post" in paths["/talk/posts/{post_id}/reports"] and "post" in paths["/talk/posts/{post_id}/hide"]
    body = spec()["paths"]["/campaigns/{slug}/talk"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["properties"]["body"]["maxLength"] == talk.MAX_BODY


def test_staff_handles_are_their_names_in_plain_letters_or_a_number():
    assert names.handle("Ana María Pérez", 7) == "ana-maria-perez"
    assert names.handle("  O'Brien,  Seán ", 8) == "o-brien-sean"
    assert names.handle("张伟", 9) == "staff-9"
    assert len(names.handle("x" * 200, 10)) == names.MAX_HANDLE


# --- the discussions as open data, only when the organiser publishes them ----------------------------------------

def test_discussions_are_open_data_only_when_the_organiser_publishes_them(app, client, campaign, people, monkeypatch):
    from citizen.talk import exports as talk_exports
    monkeypatch.setattr(talk_exports, "CHUNK", 1)  # a post a read: the reads go on until a short chunk
    vera, mod = signed_in(app, "vera@example.org"), signed_in(app, "mona@example.org")
    task_id = first_task(campaign)
    assert post(vera, campaign.slug, "Is a red shed a roof? Ask @mona or write to vera@example.org.",
                task_id).status_code == 201
    assert post(mod, campaign.slug, "=HYPERLINK(\"x\") Sheds count, @vera.").status_code == 201
    assert client.get(f"/data/{campaign.slug}/talk.csv").status_code == 404  # not published: off by default
    assert "talk.csv" not in json.dumps(client.get(f"/data/{campaign.slug}/datapackage.json").get_json())

    staff = signed_in(app, "organiser@example.org")
    page = staff.get(f"/organise/{campaign.slug}/edit").get_data(as_text=True)
    assert 'name="talk_export"' in page and "Publish the discussions with the open data" in page
    campaign.settings = {**campaign.settings, "talk_export": True}
    db.session.commit()
    r = client.get(f"/data/{campaign.slug}/talk.csv")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert [(x["task_id"], x["staff_role"]) for x in rows] == [(str(task_id), ""), ("", "moderator")]
    first, second = rows
    assert first["author"].startswith("t-") and second["author"] == ""  # talk's own pseudonym, not answers.csv's
    assert "vera@example.org" not in r.get_data(as_text=True) and "Vera" not in r.get_data(as_text=True)
    assert "@mona" not in first["text"] and "[e-mail removed]" in first["text"]
    from citizen.talk.exports import redact
    assert redact("**@mona-moderator** (cc:@x)\thi,@y mail a@b.org.\nok") == "@… @…\t@… mail [e-mail removed]\nok"
    assert second["text"].startswith("'=HYPERLINK")  # a spreadsheet shows it as text
    package = client.get(f"/data/{campaign.slug}/datapackage.json").get_json()
    assert f"{campaign.slug}-talk.csv" in [res["path"] for res in package["resources"]]
    assert "talk.csv" in client.get(f"/data/{campaign.slug}/README.md").get_data(as_text=True)
    assert client.get(f"/data/{campaign.slug}/{campaign.slug}-talk.csv").status_code == 200  # the saved name

    # A hidden post leaves the file, and the file's ETag changes with it.
    etag, modified = r.headers["ETag"], r.headers["Last-Modified"]
    assert client.get(f"/data/{campaign.slug}/talk.csv", headers={"If-None-Match": etag}).status_code == 304
    pid = db.session.execute(select(TalkPost.id).order_by(TalkPost.id)).scalars().first()
    db.session.close()  # SQLite: the test's open read would hold the write lock the download's reads wait for
    assert mod.post(f"{API}/talk/posts/{pid}/hide", json={"reason": "personal data"}).status_code == 200
    again = client.get(f"/data/{campaign.slug}/talk.csv", headers={"If-None-Match": etag})
    assert again.status_code == 200 and len(list(csv.DictReader(io.StringIO(again.get_data(as_text=True))))) == 1
    later = db.session.execute(select(TalkPost.hidden_at).where(TalkPost.id == pid)).scalar() + timedelta(seconds=5)
    db.session.execute(sa_update(TalkPost).where(TalkPost.id == pid).values(hidden_at=later))  # a hiding seconds on
    db.session.commit()
    time_only = client.get(f"/data/{campaign.slug}/talk.csv", headers={"If-Modified-Since": modified})
    assert time_only.status_code == 200  # Last-Modified follows the hiding, not only the answers

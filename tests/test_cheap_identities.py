"""Issue 15, section 4a: identities and campaigns that cannot be hijacked cheaply.

Device signatures that a User-Agent cannot rotate, flags that need independent flaggers, no guest or lease
from a GET, and leases that never lock a campaign: bounded by MAX_LEASES whatever ?exclude= says, short,
extended while the volunteer is active, given back when the page is left."""
import re
import uuid
from datetime import timedelta

from sqlalchemy import func, select, update

from citizen import clock
from citizen.accounts.models import Contributor, utcnow
from citizen.campaigns import scheduler
from citizen.campaigns.models import LEASED, Answer, Assignment, Task
from citizen.extensions import db
from citizen.wellbeing.models import ContentFlag
from tests import helpers
from tests.helpers import count, next_task_or_none, skip, try_answer

API = "/api/v1"


def guest_at(client, address, agent="Browser/1.0", language="en"):
    """A new guest made from `address` with this browser (which sends a language): its (headers, environ)."""
    return helpers.guest_at(client, address, agent, language)


def answer(client, slug, who):
    """Take the next task and answer it: the answer's status, or next-task's when it hands nothing (204, 429)."""
    return try_answer(client, slug, "yes", who, duration_ms=4000).status_code


def live_leases(cid=None):
    where = [Assignment.state == LEASED, Assignment.expires_at > utcnow()]
    if cid is not None:
        where.append(Assignment.contributor_id == cid)
    return count(Assignment, *where)


def open_slots(campaign_id):
    return db.session.execute(select(func.count()).select_from(Task).where(
        Task.campaign_id == campaign_id, Task.available == True)).scalar()  # noqa: E712


# --- 1. the device signature -------------------------------------------------------------------------------------

def test_rotating_the_browser_name_or_the_ipv6_address_escapes_no_cap(client, make_campaign):
    c = make_campaign(tasks=4, redundancy=10, quality={"cap_share": 0.01})  # cap: each task once (4) per device
    first = guest_at(client, "203.0.113.9", "Firefox/120")
    assert [answer(client, c.slug, first) for _ in range(4)] == [201] * 4
    # The same address with another browser name and language (a new guest each time): the same device.
    for agent, language in (("Chrome/119", "fr"), ("curl/8.0", ""), ("Firefox/120", "de-DE")):
        r = answer(client, c.slug, guest_at(client, "203.0.113.9", agent, language))
        assert r == 429, agent
    # Any address inside one IPv6 /64 is one device too.
    six = guest_at(client, "2001:db8:5:6::1", "A")
    assert [answer(client, c.slug, six) for _ in range(4)] == [201] * 4
    assert answer(client, c.slug, guest_at(client, "2001:db8:5:6:ffff:abcd:1:2", "B")) == 429
    # Another address (even in the same /24, or the next /64) is another device: the caps are per device.
    assert answer(client, c.slug, guest_at(client, "203.0.113.10", "Firefox/120")) == 201
    assert answer(client, c.slug, guest_at(client, "2001:db8:5:7::1", "A")) == 201
    assert count(Answer) == 10


def test_a_classroom_behind_one_address_can_still_answer_every_task_once(client, make_campaign):
    c = make_campaign(tasks=5, redundancy=3)  # default cap_share 5 %: the cap is the number of tasks
    given = 0
    for i in range(8):  # eight pupils, eight guests, one NAT address
        pupil = guest_at(client, "198.51.100.50", f"School laptop {i}")
        while answer(client, c.slug, pupil) == 201:
            given += 1
    assert given == 5  # as many answers as there are tasks: what one honest volunteer could give


# --- 2. flags ----------------------------------------------------------------------------------------------------

def _flag_campaign(make_campaign, tasks, threshold=3, redundancy=10):
    # Flagging and skipping every task: skips are not what these tests are about (tests/test_controls16.py).
    c = make_campaign(tasks=tasks, redundancy=redundancy, wellbeing={"level": "none", "flag_threshold": threshold},
                      quality={"skip_free": 1000})
    db.session.commit()
    return c


def _flag(client, task_id, who, level="extreme"):
    headers, env = who
    return client.post(f"{API}/tasks/{task_id}/flags", json={"level": level}, headers=headers, environ_base=env)


def _skip(client, task_id, who):
    assert skip(client, task_id, who).status_code == 200


def _everything_served(client, c, tasks):
    newcomer = guest_at(client, "192.0.2.200", "Newcomer")
    seen = set()
    while (task := next_task_or_none(client, c.slug, newcomer)) is not None:
        seen.add(task["id"])
        _skip(client, task["id"], newcomer)
    return len(seen) == tasks


def test_thirty_flags_from_one_guest_withhold_nothing(app, client, make_campaign):
    app.config.update(FLAG_LIMIT=1000, FLAG_DAILY_PER_CAMPAIGN=1000)  # the allowance is tested below
    c = _flag_campaign(make_campaign, 30)
    vandal = guest_at(client, "203.0.113.66")
    for _ in range(30):
        task = next_task_or_none(client, c.slug, vandal)
        r = _flag(client, task["id"], vandal)
        assert r.status_code == 201 and r.get_json()["re_rated"] is False and r.get_json()["under_review"] is False
        _skip(client, task["id"], vandal)
    assert count(ContentFlag) == 30
    assert _everything_served(client, c, 30)


def test_five_guests_on_one_device_are_one_flagger_three_devices_are_three(app, client, make_campaign):
    c = _flag_campaign(make_campaign, 1)
    task_id = db.session.execute(select(Task.id).where(Task.campaign_id == c.id)).scalar_one()
    for i in range(5):  # one device: one address, a new guest and browser name each time
        who = guest_at(client, "203.0.113.77", f"Browser {i}")
        assert next_task_or_none(client, c.slug, who)["id"] == task_id
        assert _flag(client, task_id, who).get_json()["flaggers"] == 1
        _skip(client, task_id, who)
    assert _everything_served(client, c, 1)
    for i, address in enumerate(("198.51.100.1", "198.51.100.2")):  # two more devices: three in all
        who = guest_at(client, address)
        assert next_task_or_none(client, c.slug, who)["id"] == task_id
        r = _flag(client, task_id, who).get_json()
        assert r["flaggers"] == 2 + i and r["re_rated"] is (i == 1)
        _skip(client, task_id, who)
    assert r["rating"]["level"] == "extreme"
    assert not _everything_served(client, c, 1)  # extreme: withheld from volunteers who did not opt in


def test_flags_are_rate_limited_per_contributor_with_a_clear_429(app, client, make_campaign):
    app.config.update(FLAG_LIMIT=3, FLAG_LIMIT_SECONDS=600, FLAG_DAILY_PER_CAMPAIGN=5)
    c = _flag_campaign(make_campaign, 8)
    who = guest_at(client, "203.0.113.88")
    statuses = []
    for _ in range(4):
        task = next_task_or_none(client, c.slug, who)
        r = _flag(client, task["id"], who)
        statuses.append(r.status_code)
        _skip(client, task["id"], who)
    assert statuses == [201, 201, 201, 429]
    body = r.get_json()
    assert body["code"] == "too_many_flags" and "minutes" in body["message"]
    assert count(ContentFlag) == 3
    # Ten minutes later the window has room again, up to the campaign's daily maximum.
    db.session.execute(update(ContentFlag).values(created_at=utcnow() - timedelta(minutes=11)))
    db.session.commit()
    statuses = []
    for _ in range(3):
        task = next_task_or_none(client, c.slug, who)
        statuses.append(_flag(client, task["id"], who).status_code)
        _skip(client, task["id"], who)
    if utcnow().hour == 0 and utcnow().minute < 11:  # the moved flags fell on yesterday: no daily refusal yet
        return
    assert statuses == [201, 201, 429] and count(ContentFlag) == 5


def test_the_moderation_queue_lists_a_flag_before_it_takes_effect(app, client, make_campaign, make_user):
    from citizen.moderation import queue
    c = _flag_campaign(make_campaign, 2)
    who = guest_at(client, "203.0.113.99")
    task = next_task_or_none(client, c.slug, who)
    assert _flag(client, task["id"], who).status_code == 201
    items, counts = queue.open_items(make_user("mod@example.org", "moderator"), c.organisation_id)
    flagged = [i for i in items if i["reason"] == "flag"]
    assert counts["flag"] == 1 and flagged[0]["task_id"] == task["id"]
    assert (flagged[0]["flaggers"], flagged[0]["flag_threshold"], flagged[0]["pending"]) == (1, 3, True)


# --- 3. a GET never creates a guest or a lease ---------------------------------------------------------------------

def test_fifteen_cross_site_images_make_no_guest_and_no_lease(app, make_campaign):
    c = make_campaign(tasks=3)
    for _ in range(15):  # <img src=".../tasks/next">: a new browser each time, no Authorization header
        r = app.test_client().get(f"{API}/campaigns/{c.slug}/tasks/next", environ_base={"REMOTE_ADDR": "192.0.2.1"})
        assert r.status_code == 405 and r.get_json()["code"] == "use_post"
    assert count(Contributor) == 0 and count(Assignment) == 0
    # A browser that already is a guest (cookie) takes no lease with a GET either; the work page itself makes none.
    browser = app.test_client()
    assert browser.get(f"/campaigns/{c.slug}/work").status_code == 200
    assert count(Contributor) == 0
    assert browser.post(f"{API}/campaigns/{c.slug}/tasks/next").status_code == 200
    assert browser.get(f"{API}/campaigns/{c.slug}/tasks/next").status_code == 405
    assert count(Contributor) == 1 and count(Assignment) == 1


def test_a_bearer_token_keeps_the_get_contract(client, make_campaign):
    c = make_campaign(tasks=3)
    who = guest_at(client, "192.0.2.9")
    assert next_task_or_none(client, c.slug, who)["id"]
    assert count(Assignment) == 1


def test_a_post_that_would_make_a_guest_needs_the_csrf_token(make_app, make_campaign):
    slug = make_campaign(tasks=2).slug
    db.session.rollback()  # the second app below needs SQLite's write lock
    browser = make_app(WTF_CSRF_ENABLED=True).test_client()
    page = browser.get(f"/campaigns/{slug}/work").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    r = browser.post(f"{API}/campaigns/{slug}/tasks/next")  # another site's form: no token
    assert r.status_code == 400 and r.get_json()["code"] == "csrf"
    assert count(Contributor) == 0
    db.session.rollback()  # (SQLite: give the write lock back to the app)
    assert browser.post(f"{API}/campaigns/{slug}/tasks/next", headers={"X-CSRFToken": token}).status_code == 200
    assert count(Contributor) == 1


# --- 4. leases ---------------------------------------------------------------------------------------------------

def test_exclude_never_lets_a_contributor_hold_more_than_max_leases(app, client, make_campaign):
    c = make_campaign(tasks=20)
    who = guest_at(client, "192.0.2.10")
    held = []
    for _ in range(11):  # each time naming every task it holds
        task = next_task_or_none(client, c.slug, who, exclude=held[-10:])
        if task and task["id"] not in held:
            held.append(task["id"])
    cid = db.session.execute(select(Contributor.id)).scalar_one()
    assert live_leases(cid) == app.config["MAX_LEASES"] == len(held)
    assert next_task_or_none(client, c.slug, who, exclude=held) is None  # everything it holds is on screen: nothing new
    assert next_task_or_none(client, c.slug, who, exclude=held[:1])["id"] == held[1]  # the one not on screen again


def test_exclude_is_bounded_before_anything_is_locked(client, make_campaign):
    c = make_campaign(tasks=3)
    headers, env = guest_at(client, "192.0.2.11")
    for bad in (",".join(["1"] * 11), "1" * 200, "1,two", "1;2", str(2**40), "1,,,,,,,,,,,2",
                "1,,2", " 1", "1, 2", "1,", ",1", "١"):  # as the OpenAPI pattern says: digits, commas, nothing else
        r = client.get(f"{API}/campaigns/{c.slug}/tasks/next", headers=headers, environ_base=env,
                       query_string={"exclude": bad})
        assert r.status_code == 422 and r.get_json()["details"][0]["field"] == "exclude", bad
    assert count(Assignment) == 0
    r = client.get(f"{API}/campaigns/{c.slug}/tasks/next", headers=headers, environ_base=env,
                   query_string={"exclude": ""})  # empty: nothing on screen
    assert r.status_code == 200, r.get_data(as_text=True)
    r = client.get(f"{API}/campaigns/{c.slug}/tasks/next", headers=headers, environ_base=env,
                   query_string={"exclude": "9999999999,0"})  # the pattern allows them; they name no task
    assert r.status_code == 200, r.get_data(as_text=True)


def _visitor(app, slug):
    """A browser that opens the work page: the page asks for its task and prefetches the next one."""
    browser = app.test_client()
    browser.get(f"/campaigns/{slug}/work")
    first = browser.post(f"{API}/campaigns/{slug}/tasks/next")
    if first.status_code == 200:
        browser.post(f"{API}/campaigns/{slug}/tasks/next", query_string={"exclude": str(first.get_json()["id"])})
    return browser


def test_eight_visitors_who_leave_with_the_release_call_leave_the_work_open(app, make_campaign):
    c = make_campaign(tasks=8, redundancy=1)  # eight slots: the first four visitors' pages hold two each
    visitors = [_visitor(app, c.slug) for _ in range(8)]
    assert open_slots(c.id) == 0 and app.test_client().post(f"{API}/campaigns/{c.slug}/tasks/next").status_code == 204
    for browser in visitors:  # the page's pagehide: sendBeacon with the CSRF token, no list of tasks
        r = browser.post(f"{API}/campaigns/{c.slug}/leases/release", data={"csrf_token": "x"})
        assert r.status_code == 200
    assert live_leases() == 0 and open_slots(c.id) == 8
    ninth = app.test_client()
    assert ninth.post(f"{API}/campaigns/{c.slug}/tasks/next").status_code == 200


def test_eight_visitors_who_vanish_give_their_tasks_back_after_the_short_lease(app, make_campaign, monkeypatch):
    c = make_campaign(tasks=8, redundancy=1)
    for _ in range(8):
        _visitor(app, c.slug)
    assert app.test_client().post(f"{API}/campaigns/{c.slug}/tasks/next").status_code == 204
    later = clock.now() + timedelta(seconds=app.config["LEASE_SECONDS"] + 1)
    assert app.config["LEASE_SECONDS"] <= 120
    monkeypatch.setattr(clock, "now", lambda: later)
    monkeypatch.setattr(scheduler, "_last_reclaim", [float("inf")])  # the periodic reclaim did not run meanwhile
    r = app.test_client().post(f"{API}/campaigns/{c.slug}/tasks/next")
    assert r.status_code == 200


def test_release_gives_back_only_the_callers_own_leases(app, client, make_campaign):
    c = make_campaign(tasks=4, redundancy=1)
    mine, theirs = guest_at(client, "192.0.2.20"), guest_at(client, "192.0.2.21")
    a = next_task_or_none(client, c.slug, mine)["id"]
    b = next_task_or_none(client, c.slug, theirs)["id"]
    headers, env = mine
    r = client.post(f"{API}/campaigns/{c.slug}/leases/release", headers=headers, environ_base=env)
    assert r.status_code == 200 and r.get_json() == {"released": 1}
    assert db.session.execute(select(Task.available).where(Task.id == b)).scalar() is False
    assert db.session.execute(select(Task.available).where(Task.id == a)).scalar() is True
    # A volunteer who comes back may still answer the released task while it has room.
    assert client.post(f"{API}/tasks/{a}/answers", headers=headers, environ_base=env,
                       json={"value": "yes", "duration_ms": 4000}).status_code == 201
    assert client.post(f"{API}/campaigns/nowhere/leases/release", headers=headers, environ_base=env).status_code == 404


def test_still_here_extends_a_lease_up_to_its_limit(app, client, make_campaign, monkeypatch):
    c = make_campaign(tasks=2)
    who = guest_at(client, "192.0.2.30")
    headers, env = who
    tid = next_task_or_none(client, c.slug, who)["id"]
    leased_at, expires = db.session.execute(select(Assignment.leased_at, Assignment.expires_at)).one()
    assert expires - leased_at == timedelta(seconds=app.config["LEASE_SECONDS"])
    now = [leased_at + timedelta(seconds=90)]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    r = client.post(f"{API}/campaigns/{c.slug}/leases/extend", headers=headers, environ_base=env)
    assert r.status_code == 200 and r.get_json() == {"extended": 1}
    db.session.expire_all()
    assert db.session.execute(select(Assignment.expires_at)).scalar() == now[0] + timedelta(
        seconds=app.config["LEASE_SECONDS"])
    while now[0] < leased_at + timedelta(seconds=app.config["LEASE_MAX_SECONDS"] + 120):  # active, every minute
        now[0] += timedelta(seconds=60)
        client.post(f"{API}/campaigns/{c.slug}/leases/extend", headers=headers, environ_base=env)
    db.session.expire_all()
    assert db.session.execute(select(Assignment.expires_at)).scalar() == leased_at + timedelta(
        seconds=app.config["LEASE_MAX_SECONDS"])
    assert db.session.execute(select(Assignment.task_id)).scalar() == tid
    # Nothing to extend for someone who holds nothing; no identity at all is a 401.
    assert app.test_client().post(f"{API}/campaigns/{c.slug}/leases/extend").status_code == 401


def test_the_work_page_asks_with_post_and_knows_where_to_release(client, make_campaign):
    c = make_campaign(tasks=1)
    page = client.get(f"/campaigns/{c.slug}/work").get_data(as_text=True)
    assert f'data-release-url="/api/v1/campaigns/{c.slug}/leases/release"' in page
    assert f'data-extend-url="/api/v1/campaigns/{c.slug}/leases/extend"' in page
    script = client.get("/static/js/work.js").get_data(as_text=True)
    assert 'request("POST", target)' in script and "sendBeacon" in script and "pagehide" in script


def test_accounts_made_from_one_address_are_one_device_like_guests(app, client, make_campaign, make_user):
    """Registering costs no more than a new guest: accounts get the device signature of where they answer from,
    so three accounts on one address are one flagger and one vote on a task, as three guests are."""
    from citizen.accounts import services as accounts
    c = _flag_campaign(make_campaign, 1)
    c.settings = {**c.settings, "quality": {**(c.settings.get("quality") or {}), "cap_share": 0}}
    db.session.commit()
    task_id = db.session.execute(select(Task.id).where(Task.campaign_id == c.id)).scalar_one()
    people = []
    for i in range(3):
        user = make_user(f"sock{i}@example.org")
        token = accounts.create_api_token(user, "script")
        db.session.commit()
        people.append(({"Authorization": "Bearer " + token}, {"REMOTE_ADDR": "203.0.113.9"}))
    flaggers = []
    for who in people:
        assert next_task_or_none(client, c.slug, who)["id"] == task_id
        flaggers.append(_flag(client, task_id, who).get_json()["flaggers"])
    assert flaggers == [1, 1, 1]
    sigs = set(db.session.execute(select(Contributor.device_sig).where(Contributor.user_id.is_not(None))).scalars())
    assert len(sigs) == 1 and None not in sigs
    for who in people:
        headers, env = who
        r = client.post(f"{API}/tasks/{task_id}/answers", headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
                        environ_base=env, json={"value": "yes", "duration_ms": 4000})
        assert r.status_code in (201, 429), r.get_data(as_text=True)
    weights = db.session.execute(select(Answer.weight).where(Answer.task_id == task_id)).scalars().all()
    assert sum(1 for w in weights if w > 0) == 1  # one device, one counted vote

"""Issue 16, part 1: the anti-skew controls attackers walked around, tested as an outside client uses the API.

Gold never leaks while a campaign is open (answer responses, results, exports, the work done per request); the
duration that counts is the server's, from the lease; skips are bounded and weigh; accounts that could not give a
counted answer are not handed tasks; decided tasks close and a late wave goes to review instead of flipping them;
guests are counted per network block; MAX_LEASES holds under concurrent requests."""
import csv
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, update

from citizen import clock
from citizen.campaigns import services as campaigns
from citizen.campaigns.models import CLOSED, LEASED, Answer, Assignment, Participation, Task
from citizen.extensions import db
from citizen.quality import controls
from tests.helpers import API, guest_at, skip, submit, take
from tests.test_concurrency import _parallel


def with_gold(make_campaign, tasks=3, gold=("no",), **quality):
    c = make_campaign(tasks=tasks, quality=quality)
    campaigns.import_tasks(c, "gold.json", json.dumps([{"external_id": f"g{i}", "text": f"Known {i}", "gold": g}
                                                       for i, g in enumerate(gold)]))
    db.session.commit()
    return c


def gold_ids():
    return set(db.session.execute(select(Task.id).where(Task.gold.is_not(None))).scalars())


def shape(value):
    """The keys of a JSON body, recursively, with the types of its leaves."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    return type(value).__name__


class Clock:
    """citizen.clock.now under the test's control."""

    def __init__(self, monkeypatch):
        self.now = clock.now()
        monkeypatch.setattr(clock, "now", lambda: self.now)

    def advance(self, **delta):
        self.now += timedelta(**delta)


# --- 1. gold never leaks while the campaign is open ---------------------------------------------------------------

def test_the_answer_response_is_the_same_for_gold_and_other_tasks(client, make_campaign):
    c = with_gold(make_campaign, tasks=12, gold=("no", "no", "no"), gold_start=0.5, gold_end=0.5)
    who = guest_at(client, "198.51.100.7")
    bodies = {"gold": [], "other": []}
    for _ in range(10):
        task = take(client, c.slug, who).get_json()
        r = submit(client, task["id"], "yes", who, duration_ms=4000)
        assert r.status_code == 201
        bodies["gold" if task["id"] in gold_ids() else "other"].append(r.get_json())
    assert bodies["gold"] and bodies["other"], "the draw gave both kinds of task"
    first_nine = [b for b in bodies["gold"] + bodies["other"] if b["done"] < 10]
    assert len({json.dumps(shape(b), sort_keys=True) for b in first_nine}) == 1  # one shape for every task
    assert all(b["feedback"] is None and "gold" not in b and "expected" not in json.dumps(b) for b in first_nine)
    tenth = next(b for b in bodies["gold"] + bodies["other"] if b["done"] == 10)
    # The delayed summary: how many known-answer tasks so far and how many agreed, never which nor the answer.
    checked = len(bodies["gold"])
    assert tenth["feedback"] == {"checked": checked, "agreed": 0} and "no" not in json.dumps(tenth["feedback"])


def test_a_gold_and_an_ordinary_answer_issue_the_same_statements(app, client, make_campaign):
    c = with_gold(make_campaign, tasks=3, gold=("no",), gold_start=1.0, gold_end=1.0)
    gold_task = take(client, c.slug, first := guest_at(client, "198.51.100.8")).get_json()["id"]
    assert gold_task in gold_ids()
    c.settings = {**c.settings, "quality": {**c.settings["quality"], "gold_start": 0.0, "gold_end": 0.0}}
    db.session.commit()
    other_task = take(client, c.slug, second := guest_at(client, "198.51.100.9")).get_json()["id"]
    assert other_task not in gold_ids()
    seen = []

    def record(_conn, _cursor, statement, _params, _context, _many):
        seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert submit(client, gold_task, "yes", first, duration_ms=4000).status_code == 201
        gold_statements, seen[:] = list(seen), []
        assert submit(client, other_task, "yes", second, duration_ms=4000).status_code == 201
        other_statements = list(seen)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert gold_statements == other_statements and gold_statements


def test_results_and_exports_do_not_tell_gold_apart_while_open(client, make_campaign, organiser_token):
    c = with_gold(make_campaign, tasks=2, gold=("no",), gold_start=1.0, gold_end=1.0)
    (gold_task,) = gold_ids()
    for i in range(5):  # every newcomer gets the gold task first: it gathers more answers than its redundancy
        who = guest_at(client, f"198.51.100.{20 + i}", f"UA{i}")
        tid = take(client, c.slug, who).get_json()["id"]
        assert tid == gold_task and submit(client, tid, "yes", who, duration_ms=4000).status_code == 201
    assert db.session.get(Task, gold_task).answer_count == 5 > c.redundancy
    public = {r["task_id"]: r for r in client.get(f"{API}/campaigns/{c.slug}/results").get_json()["results"]}
    row = public[gold_task]
    assert row["gold"] is None and all(r["gold"] is None for r in public.values())
    assert row["answer"] == "yes" and row["answers"] == c.redundancy  # the crowd's answer; the count capped
    assert {k for r in public.values() for k in r} == set(row)  # nothing only gold rows have
    staff = client.get(f"{API}/campaigns/{c.slug}/results", headers={"Authorization": "Bearer " + organiser_token})
    srow = next(r for r in staff.get_json()["results"] if r["task_id"] == gold_task)
    assert srow["gold"] is True and srow["answers"] == 5  # the organiser sees everything
    table = list(csv.DictReader(io.StringIO(client.get(f"/data/{c.slug}/results.csv").get_data(as_text=True))))
    gold_row = next(r for r in table if r["task_id"] == str(gold_task))
    assert gold_row["gold"] == "" and gold_row["answers"] == str(c.redundancy) and gold_row["answer"] == "yes"
    raw = list(csv.DictReader(io.StringIO(client.get(f"/data/{c.slug}/answers.csv").get_data(as_text=True))))
    assert sum(1 for r in raw if r["task_id"] == str(gold_task)) == c.redundancy  # its first answers only
    c.status = CLOSED
    db.session.commit()
    closed = {r["task_id"]: r for r in client.get(f"{API}/campaigns/{c.slug}/results").get_json()["results"]}
    assert closed[gold_task]["gold"] is True and closed[gold_task]["answers"] == 5
    raw = list(csv.DictReader(io.StringIO(client.get(f"/data/{c.slug}/answers.csv").get_data(as_text=True))))
    assert sum(1 for r in raw if r["task_id"] == str(gold_task)) == 5


def test_handing_out_a_gold_task_takes_as_many_statements_as_another(app, client, make_campaign):
    c = with_gold(make_campaign, tasks=3, gold=("no",) * 3, gold_start=1.0, gold_end=1.0)
    counts = []
    for i, rate in enumerate((1.0, 0.0)):
        c.settings = {**c.settings, "quality": {**c.settings["quality"], "gold_start": rate, "gold_end": rate}}
        db.session.commit()
        who = guest_at(client, f"198.51.100.{40 + i}")
        take(client, c.slug, who)  # the newcomer's first request joins the campaign: not what is compared
        # From the start of the order: an ordinary pick that reaches the end wraps around once (a second statement,
        # once per pass through the campaign, whatever the task); the gold pick wraps within its one statement.
        db.session.execute(update(Participation).values(cursor=-1.0))
        db.session.commit()
        n = [0]

        def count(*_args):
            n[0] += 1
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            tid = take(client, c.slug, who).get_json()["id"]
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert (tid in gold_ids()) == (rate == 1.0)
        counts.append(n[0])
    assert counts[0] == counts[1]


# --- 2. the duration is the server's -----------------------------------------------------------------------------

@pytest.mark.parametrize("declared", [None, 60_000, 200])
def test_the_server_measures_the_duration_from_the_lease(client, make_campaign, monkeypatch, declared):
    c = make_campaign(tasks=4)
    at = Clock(monkeypatch)
    who = guest_at(client, "198.51.100.50")
    extra = {} if declared is None else {"duration_ms": declared}
    quick = take(client, c.slug, who).get_json()["id"]
    at.advance(milliseconds=300)  # a bot answering at once: leaving duration_ms out or claiming a minute gains nothing
    assert submit(client, quick, "yes", who, **extra).status_code == 201
    slow = take(client, c.slug, who).get_json()["id"]
    at.advance(seconds=5)
    assert submit(client, slow, "yes", who, **extra).status_code == 201
    rows = dict(db.session.execute(select(Answer.task_id, Answer.weight)).all())
    durations = dict(db.session.execute(select(Answer.task_id, Answer.duration_ms)).all())
    assert rows[quick] == 0.0 and durations[quick] == (300 if declared is None else min(300, declared))
    # Slow enough by the server's clock; a declared 200 ms (less than the server saw) still counts as fast.
    assert rows[slow] == (0.0 if declared == 200 else 1.0)
    assert durations[slow] == (5000 if declared is None else min(5000, declared))
    part = db.session.execute(select(Participation)).scalar_one()
    assert part.fast_count == (2 if declared == 200 else 1)  # the counter agrees with the weights (both engines)


def test_an_answer_without_a_live_lease_carries_no_weight_but_imports_do(client, make_campaign, organiser_token):
    c = make_campaign(tasks=3)
    who = guest_at(client, "198.51.100.51")
    headers, env = who
    tid = take(client, c.slug, who).get_json()["id"]
    released = client.post(f"{API}/campaigns/{c.slug}/leases/release", headers=headers, environ_base=env)
    assert released.get_json() == {"released": 1}
    assert submit(client, tid, "yes", who, duration_ms=9000).status_code == 201  # kept, as before: the task had room
    answer = db.session.execute(select(Answer)).scalar_one()
    assert answer.weight == 0.0 and answer.duration_ms is None  # unknown: treated as fast
    r = client.post(f"{API}/campaigns/{c.slug}/answers/import", headers={"Authorization": "Bearer " + organiser_token},
                    json={"answers": [{"external_id": "t1", "contributor": "paper-1", "value": "no"}]})
    assert r.status_code == 201
    imported = db.session.execute(select(Answer).where(Answer.source == "import")).scalar_one()
    assert imported.weight == 1.0  # the organiser's import is trusted


# --- 3. skips are bounded and weigh --------------------------------------------------------------------------------

def test_skip_factor_is_free_early_then_falls_to_zero_at_the_skip_share():
    q = controls.defaults()
    assert controls.skip_factor(0, 10, q) == 1.0  # the free skips
    assert controls.skip_factor(100, 25, q) == 1.0  # 20 % skipped: honest
    assert controls.skip_factor(60, 40, q) == pytest.approx(0.4)  # 40 %: between 25 % and 50 %
    assert controls.skip_factor(50, 50, q) == 0.0 and controls.skip_limited(q, 50, 50)
    assert controls.skip_factor(80, 7270, q) == 0.0  # the ring of issue 16


def test_a_skip_hunter_is_refused_before_any_lease(client, make_campaign):
    c = make_campaign(tasks=30)
    who = guest_at(client, "198.51.100.60")
    for _ in range(11):
        tid = take(client, c.slug, who).get_json()["id"]
        assert skip(client, tid, who).status_code == 200
    leases_before = db.session.execute(select(func.count()).select_from(Assignment)).scalar()
    r = take(client, c.slug, who)
    assert r.status_code == 429 and r.get_json()["code"] == "skip_limit"
    assert db.session.execute(select(func.count()).select_from(Assignment)).scalar() == leases_before


def test_skip_heavy_answers_weigh_less_and_are_listed_in_the_quality_report(client, make_campaign, organiser_token):
    c = make_campaign(tasks=20, quality={"skip_free": 2})
    who = guest_at(client, "198.51.100.61")
    for step in ["answer"] * 4 + ["skip"] * 3 + ["answer"]:
        tid = take(client, c.slug, who).get_json()["id"]
        r = submit(client, tid, "yes", who, duration_ms=4000) if step == "answer" else skip(client, tid, who)
        assert r.status_code in (200, 201)
    last = db.session.execute(select(Answer.weight).order_by(Answer.id.desc()).limit(1)).scalar()
    q = controls.of(db.session.get(type(c), c.id).settings)
    assert last == round(controls.skip_factor(5, 3, q), 4) == 0.5
    report = client.get(f"{API}/campaigns/{c.slug}/quality", headers={"Authorization": "Bearer " + organiser_token})
    assert [(r["skips"], r["answers"], r["weight_factor"]) for r in report.get_json()["skips"]] == [(3, 5, 0.5)]


# --- 4. accounts that cannot give a counted answer are not handed tasks -------------------------------------------

def test_capped_accounts_and_devices_are_refused_before_a_lease(client, make_campaign):
    c = make_campaign(tasks=10, redundancy=5, quality={"cap_share": 0.01})  # cap: each task once per device (10)
    who = guest_at(client, "203.0.113.70", "Phone")
    for _ in range(10):
        tid = take(client, c.slug, who).get_json()["id"]
        assert submit(client, tid, "yes", who, duration_ms=4000).status_code == 201
    leases = db.session.execute(select(func.count()).select_from(Assignment)).scalar()
    # A second account on the same device: the device's answers count against the cap, so no task for it.
    other = guest_at(client, "203.0.113.70", "Other browser")
    r = take(client, c.slug, other)
    assert r.status_code == 429 and r.get_json()["code"] == "capped"
    assert db.session.execute(select(func.count()).select_from(Assignment)).scalar() == leases


def test_an_account_below_chance_on_gold_is_refused(client, make_campaign):
    c = with_gold(make_campaign, tasks=5, gold=("no",) * 12, gold_start=1.0, gold_end=1.0)
    who = guest_at(client, "198.51.100.71")
    for _ in range(controls.GOLD_REFUSE_EVIDENCE):
        tid = take(client, c.slug, who).get_json()["id"]
        assert submit(client, tid, "yes", who, duration_ms=4000).status_code == 201  # wrong every time
    r = take(client, c.slug, who)
    assert r.status_code == 429 and r.get_json()["code"] == "capped"
    live = db.session.execute(select(func.count()).select_from(Assignment).where(Assignment.state == LEASED)).scalar()
    assert live == 0



def test_members_of_a_group_found_colluding_are_refused_before_a_lease(client, make_campaign, monkeypatch):
    """The last build's coordinated groups weigh nothing (citizen.quality.clusters): no more tasks for them; a group
    counted as one voter without collusion (a shared device) is still served."""
    from citizen.accounts.models import Contributor
    from citizen.campaigns import builds
    c = make_campaign(tasks=5, redundancy=5)
    ring, other = guest_at(client, "198.51.100.80", "Ring"), guest_at(client, "198.51.100.81", "Honest")
    assert take(client, c.slug, ring).status_code == 200 and take(client, c.slug, other).status_code == 200
    ring_id, other_id = db.session.execute(select(Contributor.id).order_by(Contributor.id)).scalars().all()[-2:]
    built = {"campaign_created_at": str(c.created_at), "_consensus": {"groups": [{"contributors": [ring_id, 999_999], "coordinated": True},
                                       {"contributors": [other_id, 999_998], "coordinated": False}]}}
    monkeypatch.setattr(builds, "latest", lambda campaign_id: built if campaign_id == c.id else None)
    monkeypatch.setattr(builds, "MUTED_REFRESH", 0.0)
    leases = db.session.execute(select(func.count()).select_from(Assignment)).scalar()
    r = take(client, c.slug, ring)
    assert r.status_code == 429 and r.get_json()["code"] == "capped"
    assert db.session.execute(select(func.count()).select_from(Assignment)).scalar() == leases
    assert take(client, c.slug, other).status_code == 200

# --- 5. a decided task closes; a late wave does not flip it -------------------------------------------------------

def test_a_decided_task_closes_and_a_late_wave_goes_to_review(app, client, make_campaign, organiser_token, make_user):
    c = make_campaign(tasks=1, redundancy=12)
    tid = db.session.execute(select(Task.id)).scalar_one()
    people = [guest_at(client, f"198.51.{i}.1", f"UA{i}") for i in range(8)]
    for who in people:  # eight volunteers hold the task
        assert take(client, c.slug, who).get_json()["id"] == tid
    for who in people[:5]:  # five devices agree: decided
        assert submit(client, tid, "yes", who, duration_ms=4000).status_code == 201
    task = db.session.get(Task, tid)
    assert task.available is False and task.redundancy == 8  # no more leases: what is given plus in flight
    assert task.result["answer"] == "yes" and task.result["decided"] is True
    assert take(client, c.slug, guest_at(client, "198.51.99.1")).status_code == 204
    for who in people[5:]:  # leases handed before closing may still answer
        assert submit(client, tid, "no", who, duration_ms=4000).status_code == 201
    wave = [{"task_id": tid, "contributor": f"late-{i}", "value": "no"} for i in range(6)]
    r = client.post(f"{API}/campaigns/{c.slug}/answers/import", headers={"Authorization": "Bearer " + organiser_token},
                    json={"answers": wave})
    assert r.status_code == 201
    db.session.expire_all()
    task = db.session.get(Task, tid)
    assert task.consensus["counts"]["no"] > task.consensus["counts"]["yes"]  # the crowd now leads elsewhere
    assert task.result["answer"] == "yes" and task.result["under_review"] is True  # the decision stands, for review
    row = client.get(f"{API}/campaigns/{c.slug}/results").get_json()["results"][0]
    assert row["under_review"] is True  # published as under review (the answer: the batch consensus, when built)
    from citizen.moderation import queue, services as moderation
    items = [i for i in queue.disagreements({c.id: c}, set()) if i["task_id"] == tid]
    assert len(items) == 1 and items[0]["under_review"] and items[0]["decided"] == "yes"
    assert items[0]["before"] == {"yes": 5.0} and items[0]["after"]["no"] == 9.0  # the evidence, weighted
    moderator = make_user("mod16@example.org", role="moderator")
    moderation.override_result(moderator, tid, "no", "Checked the image: no red roof")
    db.session.commit()
    row = client.get(f"{API}/campaigns/{c.slug}/results").get_json()["results"][0]
    assert row["answer"] == "no"  # a moderator's decision settles it
    assert not [i for i in queue.disagreements({c.id: c}, set()) if i["task_id"] == tid]


def test_the_default_never_settles_a_task_whose_answers_split():
    q = controls.defaults()
    split = {"counts": {"yes": 6.0, "no": 4.0}, "n": 10, "k": 10}
    assert controls.decides(q, split) is None
    assert controls.decides(q, {"counts": {"yes": 4.0}, "n": 4, "k": 4}) is None  # fewer than close_after
    assert controls.decides(q, {"counts": {"yes": 4.0, "no": 1.0}, "n": 5, "k": 5}) == "yes"


# --- 6. guests per network block ----------------------------------------------------------------------------------

def test_guests_are_counted_per_24_and_per_48_behind_a_proxy(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", PROXY_FIX=1)
    per_address = int(app.config["GUEST_RATE_LIMIT"].split()[0])
    per_block = int(app.config["GUEST_NETWORK_RATE_LIMIT"].split()[0])
    assert per_block < 100 and per_address <= per_block

    def new_guest(address):
        return app.test_client().post(f"{API}/guests", headers={"X-Forwarded-For": address},
                                      environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code
    with app.app_context():
        assert [new_guest("192.0.2.1") for _ in range(per_address + 1)][-2:] == [201, 429]  # one address
        made = [new_guest(f"198.51.100.{i}") for i in range(1, per_block + 2)]  # one new address each time
        assert made.count(201) == per_block and made[-1] == 429  # the /24 is full
        assert new_guest("198.51.101.1") == 201  # the next /24 is another network
        six = [new_guest(f"2001:db8:7:{i:x}::1") for i in range(per_block + 1)]  # a new /64 each time, one /48
        assert six.count(201) == per_block and six[-1] == 429
        assert new_guest("2001:db8:8::1") == 201


# --- 7. MAX_LEASES holds under concurrent requests ----------------------------------------------------------------

def test_concurrent_requests_of_one_contributor_never_exceed_max_leases(app, make_campaign):
    slug = make_campaign(tasks=20).slug
    token = app.test_client().post(f"{API}/guests").get_json()["token"]
    headers = {"Authorization": "Bearer " + token}
    app.test_client().get(f"{API}/campaigns/{slug}/tasks/next", headers=headers)  # joined, one lease
    db.session.execute(update(Assignment).values(state="expired"))  # start from none held, participation joined
    db.session.execute(update(Participation).values(leases=0))
    db.session.execute(update(Task).values(lease_count=0, available=True))
    db.session.commit()

    def grab(_n):
        return app.test_client().get(f"{API}/campaigns/{slug}/tasks/next", headers=headers).status_code

    statuses = _parallel(grab, range(8))
    assert set(statuses) <= {200, 204}
    db.session.expire_all()
    live = db.session.execute(select(func.count()).select_from(Assignment).where(Assignment.state == LEASED)).scalar()
    assert live <= app.config["MAX_LEASES"]
    assert db.session.execute(select(Participation.leases)).scalar_one() == live
    assert db.session.execute(select(func.sum(Task.lease_count))).scalar() == live


def test_the_profile_shows_the_gold_record_only_as_of_the_last_summary(app, make_campaign):
    c = with_gold(make_campaign, tasks=12, gold=("no",) * 6, gold_start=0.5, gold_end=0.5)
    client = app.test_client()  # a volunteer of the work page: a guest in the session cookie

    def answer_one():
        task = client.post(f"{API}/campaigns/{c.slug}/tasks/next").get_json()
        r = client.post(f"{API}/tasks/{task['id']}/answers", json={"value": "yes", "duration_ms": 4000})
        assert r.status_code == 201
        return task["id"] in gold_ids()

    gold_seen = [answer_one() for _ in range(9)]
    assert any(gold_seen)
    page = client.get("/me").get_data(as_text=True)
    assert "Known-answer tasks right" in page and "none yet" in page  # nothing per task
    gold_seen.append(answer_one())
    page = client.get("/me").get_data(as_text=True)
    assert f"0&nbsp;% <span class=\"muted\">(of {sum(gold_seen)})" in page  # the summary of the first ten answers

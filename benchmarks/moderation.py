"""Moderation speed: how soon a critical answer reaches the moderators' queue, what escalation costs the
volunteers' hot path, and how many moderator actions per minute the queue allows.

One process, SQLite, the Flask test client. A `search` campaign of TASKS photo tasks (redundancy 3):
- submit: p50/p95 of answer submissions that escalate ("person", the first on their task: one INSERT and the
  notification job's row in the answer's transaction) and of ordinary answers in the same campaign; and
  cycles/s of next + submit of ordinary answers on a question campaign without an escalation rule, with one,
  and with one and an active suspension in the organisation (the hot path's extra work for an ordinary
  answer is a set lookup and a set test; every MODERATION_SUSPENSION_REFRESH seconds one small query).
- to_queue: from just before the volunteer's POST to the moment the moderator's poll request returns the new
  escalation (the POST commits the row; the page asks every MODERATION_POLL_SECONDS, so a moderator sees it at
  most that much later: worst_case_s).
- actions: ESCALATIONS open escalations in the queue; the page of 20 items is rendered (GET /moderation/), then
  each action is one POST /moderation/act (the next item is already on the page; after 20 actions the page is
  loaded again). requests_per_action counts that; actions_per_minute_server is what the server allows,
  60 / (act p50 + page load / 20); a person at the 10-15 s per image of the face-labelling project does 4-6.

The last line printed is one JSON object. `--quick` runs small sizes for a smoke test.
"""
import argparse
import json
import statistics
import sys
import time

from sqlalchemy import insert

from benchmarks.common import fresh_app
from citizen.accounts import services as accounts
from citizen.campaigns import services as campaigns
from citizen.campaigns.models import Task
from citizen.extensions import db
from citizen.moderation.pages import PAGE_SIZE

PERSON = {"answer": "person", "marks": {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [320, 240]}}]}}
NOBODY = {"answer": "none", "marks": None}


def build(tasks, rule=True, escalate=False):
    app, _folder = fresh_app("moderation", JOBS_SYNC=False)
    with app.app_context():
        org = accounts.get_or_create_organisation("bench", "Bench")
        mod = accounts.register_user("mod@example.org", "Mo", "password123")
        accounts.grant(mod, org, "moderator")
        data = {"title": "Bench search", "kind": "search" if rule else "question", "redundancy": 3,
                "settings": {} if rule else {"question": "Person?", "options": ["yes", "no"]},
                "escalate_on": ["yes"] if escalate else [],
                "quality": {"cap_share": 0, "min_ms": 0, "gold_start": 0, "gold_end": 0}}
        c = campaigns.create_campaign(org.id, None, data)
        payload = ({"image_url": "/media/bench.jpg", "width": 640, "height": 480, "lat": 46.5, "lon": 7.9}
                   if rule else {"text": "a photo"})
        db.session.execute(insert(Task), [{"campaign_id": c.id, "payload": payload, "rand": i / tasks,
                                           "redundancy": 3, "answer_count": 0, "lease_count": 0, "available": True,
                                           "consensus": {}} for i in range(tasks)])
        c.tasks_total = tasks
        campaigns.publish(c, check_alerts=False)  # a benchmark has no response team to test an alert channel with
        db.session.commit()
        slug = c.slug
    return app, slug


def guest(client):
    return {"Authorization": "Bearer " + client.post("/api/v1/guests").get_json()["token"]}


def cycle(client, slug, headers, value):
    r = client.get(f"/api/v1/campaigns/{slug}/tasks/next", headers=headers)
    if r.status_code != 200:
        raise SystemExit(f"next: {r.status_code} {r.data[:200]!r}")
    task_id = r.get_json()["id"]
    t = time.perf_counter()
    s = client.post(f"/api/v1/tasks/{task_id}/answers", headers=headers, json={"value": value, "duration_ms": 4000})
    if s.status_code != 201:
        raise SystemExit(f"submit: {s.status_code} {s.data[:200]!r}")
    return t, time.perf_counter(), task_id


def ms(values, q=0.5):
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 3)


def hot_path(tasks, cycles, repeats=3):
    """cycles/s of next + submit of ordinary answers on a question campaign: without an escalation rule, with
    one (escalate_on ["yes"], answers "no"), and with a rule and an active suspension of someone else in the
    organisation. The best of `repeats` runs of each, interleaved (the machine's speed drifts)."""
    out = {"without_rule": [], "with_rule": [], "with_rule_and_suspension": []}
    for _ in range(repeats):
        for name in out:
            app, slug = build(tasks, rule=False, escalate=name != "without_rule")
            client = app.test_client()
            people = [guest(client) for _ in range(10)]
            if name == "with_rule_and_suspension":
                with app.app_context():
                    from citizen.accounts.models import Contributor
                    from citizen.campaigns.models import Campaign
                    from citizen.moderation.models import Suspension
                    spammer = Contributor()
                    db.session.add(spammer)
                    db.session.flush()
                    org_id = db.session.execute(db.select(Campaign.organisation_id)).scalar()
                    db.session.add(Suspension(organisation_id=org_id, contributor_id=spammer.id, reason="bench"))
                    db.session.commit()
            for i in range(50):  # warm-up
                cycle(client, slug, people[i % 10], "no")
            start = time.perf_counter()
            for i in range(cycles):
                cycle(client, slug, people[i % 10], "no")
            out[name].append(round(cycles / (time.perf_counter() - start), 1))
    return {name: max(runs) for name, runs in out.items()}


def run(tasks, escalations, cycles):
    app, slug = build(tasks)
    volunteers = app.test_client()
    moderator = app.test_client()
    moderator.post("/account/login", data={"email": "mod@example.org", "password": "password123"})
    people = [guest(volunteers) for _ in range(10)]
    critical, ordinary, to_queue, polls = [], [], [], []
    last, escalated = 0, set()
    while len(escalated) < escalations:
        h = people[len(critical) % 10]
        t0, t1, task_id = cycle(volunteers, slug, h, PERSON)
        if task_id in escalated:  # not the first critical answer on its task: it escalates nothing
            continue
        escalated.add(task_id)
        critical.append(t1 - t0)
        for _try in range(1000):  # the moderator's page asking for escalations newer than the last it has
            p0 = time.perf_counter()
            body = moderator.get("/moderation/poll", query_string={"after": last}).get_json()
            polls.append(time.perf_counter() - p0)
            if body["items"]:
                to_queue.append(time.perf_counter() - t0)
                last = body["last"]
                break
        else:
            raise SystemExit("the escalation never reached the queue")
        t0, t1, _task = cycle(volunteers, slug, h, NOBODY)
        ordinary.append(t1 - t0)
    page_loads, acts = [], []
    for _round in range(max(1, cycles // PAGE_SIZE)):
        p0 = time.perf_counter()
        page = moderator.get("/moderation/")
        page_loads.append(time.perf_counter() - p0)
        keys = [part.split('"')[0] for part in page.get_data(as_text=True).split('data-key="')[1:]][::2]
        for key in keys[:PAGE_SIZE]:
            a0 = time.perf_counter()
            r = moderator.post("/moderation/act", json={"item": key, "action": "confirm"})
            acts.append(time.perf_counter() - a0)
            if r.status_code != 200:
                raise SystemExit(f"act: {r.status_code} {r.data[:200]!r}")
    poll_s = app.config["MODERATION_POLL_SECONDS"]
    act_s, page_s = statistics.median(acts), statistics.median(page_loads)
    return {
        "tasks": tasks, "queue_items": escalations,
        "submit_critical_p50_ms": ms(critical), "submit_critical_p95_ms": ms(critical, 0.95),
        "submit_ordinary_p50_ms": ms(ordinary), "submit_ordinary_p95_ms": ms(ordinary, 0.95),
        "to_queue_p50_ms": ms(to_queue), "to_queue_p95_ms": ms(to_queue, 0.95),
        "poll_p50_ms": ms(polls), "poll_seconds": poll_s,
        "to_queue_worst_case_s": round(poll_s + ms(to_queue, 0.95) / 1000, 3),
        "queue_page_p50_ms": round(page_s * 1000, 1), "queue_page_items": PAGE_SIZE,
        "act_p50_ms": ms(acts), "act_p95_ms": ms(acts, 0.95), "actions_measured": len(acts),
        "requests_per_action": round(1 + 1 / PAGE_SIZE, 3),
        "actions_per_minute_server": round(60 / (act_s + page_s / PAGE_SIZE)),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    args = parser.parse_args(argv)
    tasks, escalations, cycles = (300, 60, 40) if args.quick else (5000, 500, 200)
    t = time.perf_counter()
    out = run(tasks, escalations, cycles)
    out["hot_path_cycles_per_s"] = hot_path(tasks, 300 if args.quick else 1500)
    print(f"# moderation benchmark: {time.perf_counter() - t:.0f}s", file=sys.stderr)
    print(json.dumps(out))


if __name__ == "__main__":
    main()

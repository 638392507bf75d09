"""The volunteer loop's speed: cycles of next-task + submit through the Flask test client, in one
process, on SQLite, with 20 contributors taking turns.

Sizes (full run): 5,000 tasks (redundancy 3); 50,000 tasks (redundancy 30) with 500,000 answers from
other contributors already stored (10 per task, every task still open); 1,000,000 tasks
(redundancy 3). The last line printed is one JSON object:
{"runs": [{"tasks", "preloaded_answers", "redundancy", "cycles", "cycles_per_s",
           "next_p50_ms", "next_p95_ms", "submit_p50_ms", "submit_p95_ms"}, ...]}
"runs" have the anti-skew controls on as a new campaign has them (caps per contributor and per device
signature, minimum time, 5 % gold tasks mixed in at a decaying rate, random order, incremental
consensus); "runs_controls_off" repeat the sizes with caps, minimum time and gold switched off.
cycles_per_s is the median over BLOCKS equal blocks of the measured cycles (this machine is a shared
VM whose speed drifts during a run); cycles_per_s_overall is all cycles over all the time, and
block_cycles_per_s lists every block. `--quick` runs small sizes for a smoke test. `--kinds` compares the boxes kind
with the question kind, `--predictions` a campaign routed by a model's predictions with one without.
"""
import argparse
import gc
import json
import os
import random
import statistics
import sys
import time
import uuid

from sqlalchemy import insert, update

from benchmarks.common import fresh_app
from citizen.accounts import services as accounts
from citizen.accounts.models import Contributor
from citizen.campaigns import services as campaigns
from citizen.campaigns.models import Answer, Participation, Task
from citizen.extensions import db
from citizen.quality.consensus import majority

FULL = [(5_000, 0, 3), (50_000, 500_000, 30), (1_000_000, 0, 3)]
QUICK = [(2_000, 0, 3), (5_000, 50_000, 30), (20_000, 0, 3)]
CONTRIBUTORS = 20
OPTIONS = ["yes", "no", "unsure"]
CHUNK = 20_000
BLOCKS = 5


QUALITY_OFF = {"cap_share": 0, "min_ms": 0, "gold_start": 0, "gold_end": 0}
GOLD_SHARE = 0.05


# `--kinds`: the same loop on a campaign of each kind, gold off for both (the boxes kind has no known-answer tasks
# yet), every other control as a new campaign has it; a box answer is one to three boxes.
KINDS = {
    "question": ({"question": "Is there a red roof?", "options": OPTIONS}, lambda i: {"text": f"task {i}"}),
    "boxes": ({"classes": "Person | #e6194b | p\nCar | #4363d8 | c", "attributes": "Visibility: fully visible, partly hidden"},
              lambda i: {"image_url": f"https://example.org/frames/{i}.jpg", "width": 800, "height": 520}),
}
GOLD_OFF = {"gold_start": 0, "gold_end": 0}


def box_answer(rnd):
    return {"boxes": [{"x": round(rnd.uniform(0, 0.7), 4), "y": round(rnd.uniform(0, 0.7), 4), "w": 0.2, "h": 0.25,
                       "class": rnd.choice(["person", "car"]), "attributes": {"visibility": "fully-visible"}}
                      for _ in range(rnd.randint(1, 3))]}


def build(tasks, preloaded, redundancy, controls=True, kind="question", predictions=False):
    """A migrated SQLite database with one published campaign, bulk-loaded (loading is not timed)."""
    app, _folder = fresh_app("bench")
    with app.app_context():
        slug = populate(tasks, preloaded, redundancy, controls, kind)
        if predictions:
            with_predictions(slug)
        # Loading is not part of the measurement: fold the WAL into the database and let the OS
        # write it all out now, rather than during the timed loop.
        db.session.remove()
        raw = db.engine.raw_connection()  # autocommit (see tune_sqlite): a checkpoint needs no transaction
        raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.close()
    os.sync()
    gc.collect()
    return app, slug


def populate(tasks, preloaded, redundancy, controls=True, kind="question"):
    """One published campaign of `tasks` question tasks, bulk-loaded into the app's database; its slug.
    With `controls`, the anti-skew controls are on as a new campaign has them (caps per contributor
    and per device signature, minimum time, gold tasks mixed in: 5 % of the tasks are gold; `controls="no-gold"`:
    all of them but gold). `kind` is a key of KINDS."""
    settings, payload = KINDS[kind]
    org = accounts.get_or_create_organisation("bench", "Bench")
    c = campaigns.create_campaign(org.id, None, {
        "title": "Bench", "kind": kind, "redundancy": redundancy, "settings": settings,
        "quality": GOLD_OFF if controls == "no-gold" else {} if controls else QUALITY_OFF})
    rnd = random.Random(1)
    gold_every = int(1 / GOLD_SHARE) if controls is True else 0
    for start in range(0, tasks, CHUNK):
        db.session.execute(insert(Task), [
            {"campaign_id": c.id, "payload": payload(i), "rand": rnd.random(),
             "redundancy": redundancy, "answer_count": 0, "lease_count": 0,
             "available": not (gold_every and i % gold_every == 0),
             "gold": "yes" if gold_every and i % gold_every == 0 else None,
             "consensus": {}} for i in range(start, min(tasks, start + CHUNK))])
    c.tasks_total = tasks
    if gold_every:
        c.settings = {**c.settings, "gold_count": len(range(0, tasks, gold_every))}
    if preloaded:
        _preload(c.id, tasks, preloaded)
    campaigns.publish(c)
    db.session.commit()
    return c.slug


def with_predictions(slug):
    """A model's prediction for every ordinary task (random confidence), routing least confident first with a 10 %
    audit sample and the prediction shown (citizen.predictions): what `--predictions` measures."""
    from citizen.campaigns.models import Campaign
    from citizen.predictions import services as predictions
    from citizen.predictions.models import Prediction
    c = db.session.execute(db.select(Campaign).where(Campaign.slug == slug)).scalar_one()
    rnd = random.Random(3)
    ids = db.session.execute(db.select(Task.id).where(Task.campaign_id == c.id, Task.gold.is_(None))).scalars().all()
    for start in range(0, len(ids), CHUNK):
        db.session.execute(insert(Prediction), [
            {"campaign_id": c.id, "task_id": t, "model": "bench-1", "answer": rnd.choice(OPTIONS),
             "confidence": rnd.random(), "audit": False, "skipped": False} for t in ids[start:start + CHUNK]])
    predictions.set_routing(c, {"model": "bench-1", "strategy": "uncertainty", "audit": 0.1, "show": True})
    db.session.commit()


def _preload(campaign_id, tasks, answers):
    """`answers` answers from other contributors, spread evenly (answers // tasks per task), with the
    per-task counters and consensus set as the loop would have left them."""
    per_task = answers // tasks
    n_people = max(per_task, 1000)
    db.session.execute(insert(Contributor), [{} for _ in range(n_people)])
    first = db.session.execute(db.select(db.func.min(Contributor.id))).scalar()
    task_ids = db.session.execute(db.select(Task.id).where(Task.campaign_id == campaign_id).order_by(Task.id)).scalars().all()
    rows, counts = [], {}
    for t_index, task_id in enumerate(task_ids):
        votes = {}
        for k in range(per_task):
            person = first + (t_index * per_task + k) % n_people
            value = OPTIONS[(t_index + k) % 3]
            votes[value] = votes.get(value, 0) + 1
            counts[person] = counts.get(person, 0) + 1
            rows.append({"task_id": task_id, "campaign_id": campaign_id, "contributor_id": person,
                         "value": value, "duration_ms": 3000, "source": "web"})
            if len(rows) >= CHUNK:
                db.session.execute(insert(Answer), rows)
                rows = []
        db.session.execute(update(Task).where(Task.id == task_id).values(
            answer_count=per_task, consensus={"counts": votes, "n": per_task},
            result=majority({"counts": votes, "n": per_task})))
    if rows:
        db.session.execute(insert(Answer), rows)
    db.session.execute(insert(Participation), [
        {"contributor_id": p, "campaign_id": campaign_id, "answer_count": n, "cursor": 0.5}
        for p, n in counts.items()])


def pct(values, q):
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 3)


def _volunteer_pace():
    """The server measures an answer's duration from its lease (citizen.clock): each reading of the clock moves it
    2.5 s on, so the benchmark's volunteers take as long as real ones (their answers count) without sleeping."""
    from datetime import timedelta

    from citizen import clock
    if getattr(clock.now, "paced", False):
        return
    real, ticks = clock.now, [0]

    def now():
        ticks[0] += 1
        return real() + ticks[0] * timedelta(seconds=2.5)
    now.paced = True
    clock.now = now


def run(tasks, preloaded, redundancy, cycles, warmup, controls=True, kind="question", predictions=False):
    _volunteer_pace()
    app, slug = build(tasks, preloaded, redundancy, controls, kind, predictions)
    client = app.test_client()
    # Each volunteer on their own network, so every answer also counts against a device signature.
    envs = [{"REMOTE_ADDR": f"198.51.{i}.10"} for i in range(CONTRIBUTORS)]
    heads = [{"Authorization": "Bearer " + client.post("/api/v1/guests", environ_base=env).get_json()["token"]}
             for env in envs]
    rnd = random.Random(7)
    nexts, submits, blocks = [], [], []
    block = max(1, cycles // BLOCKS)
    for i in range(warmup + cycles):
        if i >= warmup and (i - warmup) % block == 0:
            if i > warmup:
                blocks.append(block / (time.perf_counter() - block_start))
            block_start = time.perf_counter()
            if i == warmup:
                start = block_start
        h, env = heads[i % CONTRIBUTORS], envs[i % CONTRIBUTORS]
        t0 = time.perf_counter()
        r = client.get(f"/api/v1/campaigns/{slug}/tasks/next", headers=h, environ_base=env)
        t1 = time.perf_counter()
        if r.status_code != 200:
            raise SystemExit(f"next task: {r.status_code} {r.data[:200]!r}")
        task_id = r.get_json()["id"]
        # Volunteers who mostly agree with the known answers ("yes"): random answerers would be refused tasks once
        # they proved no better than chance on gold (citizen.quality.controls.refusal).
        value = box_answer(rnd) if kind == "boxes" else "yes" if rnd.random() < 0.8 else rnd.choice(OPTIONS)
        s = client.post(f"/api/v1/tasks/{task_id}/answers", json={"value": value, "duration_ms": 2000},
                        headers={**h, "Idempotency-Key": uuid.uuid4().hex}, environ_base=env)
        t2 = time.perf_counter()
        if s.status_code != 201:
            raise SystemExit(f"submit: {s.status_code} {s.data[:200]!r}")
        if i >= warmup:
            nexts.append(t1 - t0)
            submits.append(t2 - t1)
    end = time.perf_counter()
    if (cycles % block) == 0:
        blocks.append(block / (end - block_start))
    elapsed = end - start
    with app.app_context():
        # Gold tasks are checks every newcomer answers: redundancy does not apply to them.
        over = db.session.execute(db.select(db.func.count()).select_from(Task).where(
            Task.answer_count > Task.redundancy, Task.gold.is_(None))).scalar()
        db.engine.dispose()
    return {"tasks": tasks, "preloaded_answers": preloaded, "redundancy": redundancy, "cycles": cycles,
            "controls": controls, "kind": kind, "predictions": predictions,
            "cycles_per_s": round(statistics.median(blocks), 1),
            "cycles_per_s_overall": round(cycles / elapsed, 1),
            "block_cycles_per_s": [round(b, 1) for b in blocks],
            "next_p50_ms": round(statistics.median(nexts) * 1000, 3), "next_p95_ms": pct(nexts, 0.95),
            "submit_p50_ms": round(statistics.median(submits) * 1000, 3), "submit_p95_ms": pct(submits, 0.95),
            "tasks_over_redundancy": over}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--cycles", type=int, default=None)
    parser.add_argument("--kinds", action="store_true",
                        help="the boxes kind against the question kind instead (gold off for both), rounds alternated")
    parser.add_argument("--predictions", action="store_true",
                        help="a question campaign routed by a model's predictions (least confident first, 10 %% audit, "
                             "prediction shown) against the same without, rounds alternated")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    cycles = args.cycles or (300 if args.quick else 3000)
    if args.kinds:
        return compare_kinds(sizes[0], cycles)
    if args.predictions:
        return compare_predictions(sizes[0], cycles)
    out = {"runs": [], "runs_controls_off": []}
    for controls, key in ((True, "runs"), (False, "runs_controls_off")):
        for tasks, preloaded, redundancy in sizes:
            t = time.perf_counter()
            result = run(tasks, preloaded, redundancy, cycles, warmup=min(200, cycles // 5), controls=controls)
            print(f"# controls {'on' if controls else 'off'}: {tasks} tasks, {preloaded} preloaded answers: "
                  f"{result['cycles_per_s']} cycles/s (setup and run {time.perf_counter() - t:.0f}s)",
                  file=sys.stderr, flush=True)
            out[key].append(result)
    print(json.dumps(out))


def compare_kinds(size, cycles, rounds=3):
    """{"kinds": {kind: [cycles/s per round]}, "boxes_to_question": median ratio}: the two kinds alternated."""
    tasks, preloaded, redundancy = size
    out = {kind: [] for kind in ("question", "boxes")}
    for _ in range(rounds):
        for kind in out:
            result = run(tasks, preloaded, redundancy, cycles, warmup=min(200, cycles // 5), controls="no-gold",
                         kind=kind)
            print(f"# {kind}: {result['cycles_per_s']} cycles/s, next p50 {result['next_p50_ms']} ms, submit p50 "
                  f"{result['submit_p50_ms']} ms", file=sys.stderr, flush=True)
            out[kind].append(result["cycles_per_s"])
    ratio = statistics.median(b / q for b, q in zip(out["boxes"], out["question"]))
    print(json.dumps({"tasks": tasks, "cycles": cycles, "kinds": out, "boxes_to_question": round(ratio, 3)}))


def compare_predictions(size, cycles, rounds=3):
    """{"cycles_per_s": {"without", "with"}: [per round], "with_to_without": median ratio}: alternated rounds, the
    anti-skew controls on as a new campaign has them (gold included) in both."""
    tasks, preloaded, redundancy = size
    out = {"without": [], "with": []}
    for _ in range(rounds):
        for name in out:
            result = run(tasks, preloaded, redundancy, cycles, warmup=min(200, cycles // 5),
                         predictions=name == "with")
            print(f"# {name} predictions: {result['cycles_per_s']} cycles/s, next p50 {result['next_p50_ms']} ms, "
                  f"submit p50 {result['submit_p50_ms']} ms", file=sys.stderr, flush=True)
            out[name].append(result["cycles_per_s"])
    ratio = statistics.median(w / o for w, o in zip(out["with"], out["without"]))
    print(json.dumps({"tasks": tasks, "cycles": cycles, "cycles_per_s": out, "with_to_without": round(ratio, 3)}))


if __name__ == "__main__":
    main()

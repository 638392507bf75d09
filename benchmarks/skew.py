"""Anti-skew benchmark: real crowd answers (bluebirds) replayed through the app, under attacks.

Every scenario runs in a fresh SQLite database through the app's own services and HTTP API (the
Flask test client): a `question` campaign with the 108 bird photos as tasks, 5 of them (5 %) gold
with their known answer, redundancy 100 so attackers find room. The 39 volunteers' 4,212 honest
answers come in through the organiser's answer import (`POST .../answers/import`). Attackers work
as real attackers must: `POST /api/v1/guests` for tokens, then next-task and submit until the app
says 204 (nothing left) or 429 (capped). They cannot choose their tasks; they send plausible
durations; a ring shares what a ring really shares (one network and one browser, so one device
signature), while colluders who know the truth use separate networks and browsers.

Scenarios (attack volumes are shares of all answers once the attack is in):
- clean: the honest answers only.
- spam30: random answers, 30 % of all answers (17 accounts).
- same20: "always the same answer", 20 % (10 accounts always answering 1).
- ring10: 10 linked accounts (one device) answering the wrong label on every task.
- colluders33: truth-aware colluders holding a third of all answers (20 accounts, separate
  devices): right on the gold tasks (they know them), wrong everywhere else.
- single30: one person trying to hold 30 % of all answers with guest token after guest token from
  one device (one answer per task per account is a database rule, so this is the only way).

Per scenario: accuracy of plain majority vote over all stored answers and of citizen's consensus
(Dawid-Skene over linked-account clusters, bounded weights, gold clamped), both on the 103
non-gold tasks; and the largest leave-one-out flip share over every voter (contributor or
cluster): decided results (confidence >= 0.95) that come out differently without them, over the
tasks. The last line is one JSON object.
"""
import argparse
import csv
import json
import os
import random
import sys
import uuid
import zlib

import numpy as np

from benchmarks.common import fresh_app
from citizen.accounts import services as accounts
from citizen.campaigns import services as campaigns
from citizen.campaigns.models import Answer, Campaign, Task
from citizen.extensions import db
from citizen.quality import batch

DATA = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "crowd", "bluebirds")
API = "/api/v1"
GOLD_SHARE = 0.05


def load():
    answers = list(csv.DictReader(open(os.path.join(DATA, "answers.csv"))))
    truth = {r["task"]: r["label"] for r in csv.DictReader(open(os.path.join(DATA, "truth.csv")))}
    return answers, truth


def build(truth, gold):
    app, _folder = fresh_app("skew")
    with app.app_context():
        org = accounts.get_or_create_organisation("birds", "Bird watchers")
        user = accounts.register_user("organiser@example.org", "Organiser", "password123")
        accounts.grant(user, org, "organiser")
        c = campaigns.create_campaign(org.id, user, {
            "title": "Indigo Bunting or Blue Grosbeak?", "kind": "question", "redundancy": 100,
            "settings": {"question": "Is this an Indigo Bunting?", "options": [
                {"value": "0", "label": "Blue Grosbeak"}, {"value": "1", "label": "Indigo Bunting"}]}})
        rows = [{"external_id": t, "text": f"Bird photo {t}", **({"gold": truth[t]} if t in gold else {})}
                for t in sorted(truth)]
        campaigns.import_tasks(c, "birds.json", json.dumps(rows))
        campaigns.publish(c)
        token = accounts.create_api_token(user, "bench")
        db.session.commit()
        return app, c.slug, token


class Attacker:
    """One guest account on a given network and browser; answers with `choose(external_id)`."""

    def __init__(self, client, address, agent, choose, rnd):
        self.client, self.choose, self.rnd = client, choose, rnd
        self.environ = {"REMOTE_ADDR": address}
        self.headers = {"User-Agent": agent, "Accept-Language": "en"}
        r = client.post(f"{API}/guests", environ_base=self.environ, headers=self.headers)
        self.headers["Authorization"] = "Bearer " + r.get_json()["token"]
        self.done = False

    def step(self, refs):
        r = self.client.get(f"{API}/campaigns/{self.slug}/tasks/next", environ_base=self.environ, headers=self.headers)
        if r.status_code != 200:
            self.done = True
            return 0
        task = r.get_json()
        value = self.choose(refs[task["id"]])
        r = self.client.post(f"{API}/tasks/{task['id']}/answers", environ_base=self.environ,
                             headers={**self.headers, "Idempotency-Key": str(uuid.uuid4())},
                             json={"value": value, "duration_ms": self.rnd.randint(2500, 9000)})
        if r.status_code == 429:
            self.done = True
        return int(r.status_code == 201)


def attack(client, slug, refs, attackers, budget):
    """Round-robin the attackers until `budget` answers are stored or all are stopped."""
    for a in attackers:
        a.slug = slug
    stored = 0
    while stored < budget and not all(a.done for a in attackers):
        for a in attackers:
            if not a.done and stored < budget:
                stored += a.step(refs)
    return stored


def scenario(name, honest, truth, gold, rnd):
    random.seed(zlib.crc32(name.encode()))  # task order and cursors too: the run is reproducible
    app, slug, token = build(truth, gold)
    client = app.test_client()
    n_honest = len(honest)
    wrong = lambda ref: "0" if truth[ref] == "1" else "1"  # noqa: E731
    with app.app_context():
        refs = dict(db.session.execute(db.select(Task.id, Task.external_id)).all())
    r = client.post(f"{API}/campaigns/{slug}/answers/import", headers={"Authorization": "Bearer " + token},
                    json={"answers": [{"external_id": a["task"], "contributor": "w" + a["worker"], "value": a["label"]}
                                      for a in honest]})
    assert r.status_code == 201, r.get_data(as_text=True)

    def crowd(n, choose, shared=None):
        out = []
        for i in range(n):
            net, agent = shared or (f"198.51.{rnd.randrange(256)}.{rnd.randrange(1, 255)}",
                                    f"Mozilla/5.0 (X11; Linux) Chrome/{100 + i}.0")
            out.append(Attacker(client, net, agent, choose, rnd))
        return out

    share = {"spam30": 0.30, "same20": 0.20, "ring10": None, "colluders33": 1 / 3, "single30": 0.30}.get(name)
    budget = int(n_honest * share / (1 - share)) if share else 10 * len(truth)
    if name == "spam30":
        stored = attack(client, slug, refs, crowd(17, lambda ref: rnd.choice("01")), budget)
    elif name == "same20":
        stored = attack(client, slug, refs, crowd(10, lambda ref: "1"), budget)
    elif name == "ring10":
        stored = attack(client, slug, refs, crowd(10, wrong, shared=("203.0.113.7", "Mozilla/5.0 Ring")), budget)
    elif name == "colluders33":
        stored = attack(client, slug, refs, crowd(20, lambda ref: truth[ref] if ref in gold else wrong(ref)), budget)
    elif name == "single30":
        one_device = ("203.0.113.99", "Mozilla/5.0 (Windows NT 10.0) Firefox/128.0")
        stored = 0
        while stored < budget:  # a new guest account whenever the last one is stopped
            got = attack(client, slug, refs, crowd(1, wrong, shared=one_device), budget - stored)
            stored += got
            if got == 0:
                break
    else:
        stored = 0
    with app.app_context():
        campaign = db.session.execute(db.select(Campaign).where(Campaign.slug == slug)).scalar_one()
        report = batch.consensus(campaign, influence=True)
        rows = db.session.execute(db.select(Answer.task_id, Answer.value)).all()
        attempted = budget if name != "clean" else 0
    by_task = {}
    for tid, value in rows:
        by_task.setdefault(tid, []).append(value)
    scored = [tid for tid, ref in refs.items() if ref not in gold]
    majority = np.mean([_majority(by_task.get(tid, [])) == truth[refs[tid]] for tid in scored])
    citizen = np.mean([report["results"].get(tid, {}).get("answer") == truth[refs[tid]] for tid in scored])
    flip = max((r["share"] for r in report["influence"]), default=0.0)
    top = report["influence"][0] if report["influence"] else {}
    return {"majority_accuracy": round(float(majority), 4), "citizen_accuracy": round(float(citizen), 4),
            "max_flip_share": round(flip, 4), "attack_answers_stored": stored, "attack_answers_wanted": attempted,
            "clusters": len(report["clusters"]), "largest_cluster": max((len(c) for c in report["clusters"]), default=0),
            "most_influential": {"contributors": len(top.get("contributors", [])), "flips": top.get("flips", 0),
                                 "moved": top.get("moved", 0)}}


def _majority(values):
    if not values:
        return None
    ones = sum(1 for v in values if v == "1")
    return "1" if ones * 2 > len(values) else "0" if ones * 2 < len(values) else None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="clean and one attack only")
    args = parser.parse_args(argv)
    honest, truth = load()
    rnd = random.Random(42)
    gold = set(rnd.sample(sorted(truth), round(GOLD_SHARE * len(truth))))
    names = ["clean", "spam30"] if args.quick else ["clean", "spam30", "same20", "ring10", "colluders33", "single30"]
    out = {}
    for name in names:
        out[name] = scenario(name, honest, truth, gold, random.Random(zlib.crc32(name.encode())))
        print(f"# {name}: {out[name]}", file=sys.stderr, flush=True)
    print(json.dumps({"dataset": "bluebirds", "tasks": len(truth), "gold_tasks": len(gold), "scenarios": out}))


if __name__ == "__main__":
    main()

"""Offline skew benchmark: the four real crowd sets and the attacks of skew_attacks, as arrays, scored with
citizen's aggregation function itself (citizen.quality.pipeline.run, what batch.consensus calls) in seconds.

What it leaves out of the HTTP benchmark (benchmarks/skew.py, which the lead runs): leases, the hot path, the
scheduler's choice of tasks (attackers here take tasks in a random order) and the caps except one: a one-device
attack stops at the campaign's cap for one device (controls.answer_cap with the benchmark's redundancy 100).
Colluders of goldshare know every gold answer (the worst case; the leak itself is closed elsewhere) and copy the
honest majority elsewhere. Honest answers come from the organiser's import (no device, no burst); every attack
account arrives as a new guest in one burst; "one-device" gives them one device signature, "spread" each its own
device and network.

Figures per set and scenario, worst of the draws (gold 5 % per draw as skew.py draws it): clean accuracy of
citizen, majority vote (ties count their expected share) and plain Dawid-Skene; under attack the overall and
attacked-task ratios to the same draw's clean figure and the largest flip share of one voter or group in the
influence report, and the share of scored tasks decided (confidence 0.95 and the two-vote margin; the price of
the margin). `--pipeline main` scores the aggregation of the main branch (agreement links, clipped DS) for
the before/after table. The last stdout line is one JSON object.
"""
import argparse
import json
import math
import random
import subprocess
import sys
import time
import types

import numpy as np

from benchmarks import skew_attacks as attacks
from benchmarks import skew_data
from citizen.quality import controls
from citizen.quality.aggregate import fit

GOLD_SHARE = 0.05
REDUNDANCY = 100
LIMITS = {"attacked": 0.90, "overall": 0.95, "flip": 0.01}
SCENARIOS = ["clean", *attacks.SCENARIOS]


class Arrays:
    """One campaign's answers and signals as citizen.quality.pipeline.run takes them."""

    def __init__(self, crowd, stored, gold, accounts):
        self.tasks = {t: i for i, t in enumerate(crowd.tasks)}
        index = {lab: i for i, lab in enumerate(crowd.labels)}
        workers = {}
        self.t = np.array([self.tasks[x] for _w, x, _l in stored], dtype=np.int64)
        self.w = np.array([workers.setdefault(x, len(workers)) for x, _t, _l in stored], dtype=np.int64)
        self.l = np.array([index[x] for _w, _t, x in stored], dtype=np.int64)
        self.k, self.n_tasks, self.n_workers = len(crowd.labels), len(crowd.tasks), len(workers)
        g = sorted(gold)
        self.gold = (np.array([self.tasks[x] for x in g]), np.array([index[crowd.truth[x]] for x in g]))
        names = list(workers)
        info = [accounts.get(n, {}) for n in names]
        self.device = [i.get("device") for i in info]
        self.network = [i.get("network") for i in info]
        self.arrived = np.array([i.get("arrived", np.nan) for i in info], dtype=float)
        self.imported = np.array([i.get("imported", n not in accounts) for n, i in zip(names, info)], dtype=bool)
        self.skips = np.array([i.get("skips", 0) for i in info], dtype=np.int64)
        self.names = names


def draw(crowd, d):
    rnd = random.Random(attacks.seed_of(crowd.name, "gold", d))
    gold = set(rnd.sample(crowd.tasks, max(1, round(GOLD_SHARE * len(crowd.tasks)))))
    targets = attacks.plan(crowd, gold, attacks.seed_of(crowd.name, "targets", d))
    return gold, targets


def simulate(crowd, gold, targets, scenario, profile, seed):
    """The attack's stored answers [(account, task, label)] and its accounts' signals."""
    share, base, what = attacks.SCENARIOS[scenario]
    rnd = random.Random(seed)
    honest = crowd.answers
    budget = int(len(honest) * share / (1 - share))
    n_tasks = len(crowd.tasks)
    if profile == "one-device":
        budget = min(budget, controls.answer_cap(controls.defaults(), n_tasks, REDUNDANCY))
    reach = len(targets) if what == "skiphunt" else 0.9 * n_tasks
    n = max(base, math.ceil(budget / max(1.0, reach))) if what != "single" else max(1, math.ceil(budget / reach))
    public = _majority(crowd)

    known = {t: crowd.truth[t] for t in gold}  # goldshare, at worst: every gold answer learnt

    def choose(ext):
        return attacks.label_for(what, crowd, ext, gold, targets, rnd, known, public)

    accounts, queues, stored = {}, [], []
    for a in range(n):
        name = f"attacker-{a}"
        dev = "attack-device" if profile == "one-device" else f"dev-{seed}-{a}"
        net = "attack-net" if profile == "one-device" else f"net-{seed}-{a}"
        accounts[name] = {"device": dev, "network": net, "arrived": 1000.0 + 5.0 * a, "imported": False, "skips": 0}
        order = list(crowd.tasks)
        rnd.shuffle(order)
        queues.append({"name": name, "order": order, "pos": 0, "answered": 0})
    while len(stored) < budget and queues:
        for q in list(queues):
            if len(stored) >= budget:
                break
            label = None
            while q["pos"] < len(q["order"]) and label is None:
                ext = q["order"][q["pos"]]
                q["pos"] += 1
                label = choose(ext)
                if label is None:
                    accounts[q["name"]]["skips"] += 1
            if label is not None:
                stored.append((q["name"], ext, label))
                q["answered"] += 1
            if label is None or q["answered"] >= reach:
                queues.remove(q)
    return stored, accounts


def _majority(crowd):
    votes = {}
    for _w, t, lab in crowd.answers:
        votes.setdefault(t, {}).setdefault(lab, 0)
        votes[t][lab] += 1
    return {t: max(sorted(v), key=v.get) for t, v in votes.items()}


def baselines(a, truth_idx, scored):
    """Majority vote (ties: expected share) and plain Dawid-Skene accuracy on the scored task indices."""
    votes = np.zeros((a.n_tasks, a.k))
    np.add.at(votes, (a.t, a.l), 1.0)
    top = votes == votes.max(1, keepdims=True)
    mv = float((top[scored, truth_idx[scored]] / top[scored].sum(1)).mean())
    ds = fit(a.t, a.w, a.l, a.n_tasks, a.n_workers, a.k, model="ds", max_weight=np.inf, min_evidence=0,
             chance_margin=-1.0)
    return mv, float((ds.labels[scored] == truth_idx[scored]).mean())


def measure(crowd, gold, targets, scenario, profile, seed, pipeline, influence):
    stored, accounts = (list(crowd.answers), {}) if scenario == "clean" else \
        simulate(crowd, gold, targets, scenario, profile, seed)
    if scenario != "clean":
        stored = list(crowd.answers) + stored
    a = Arrays(crowd, stored, gold, accounts)
    index = {lab: i for i, lab in enumerate(crowd.labels)}
    truth_idx = np.array([index[crowd.truth[x]] for x in crowd.tasks])
    scored = np.array([a.tasks[x] for x in crowd.tasks if x not in gold])
    started = time.process_time()
    out = pipeline(a, influence)
    seconds = time.process_time() - started
    labels = out["labels"]
    targeted = scenario != "clean" and attacks.SCENARIOS[scenario][2] in attacks.TARGETED
    attacked = np.array([a.tasks[x] for x in sorted(targets)]) if targeted else scored
    mv, ds = baselines(a, truth_idx, scored)
    attackers = [i for i, n in enumerate(a.names) if n.startswith("attacker-")]
    return {"citizen": round(float((labels[scored] == truth_idx[scored]).mean()), 4),
            "attacked": round(float((labels[attacked] == truth_idx[attacked]).mean()), 4),
            "targets": round(float((labels[[a.tasks[x] for x in sorted(targets)]]
                                    == truth_idx[[a.tasks[x] for x in sorted(targets)]]).mean()), 4),
            "mv": round(mv, 4), "ds": round(ds, 4), "max_flip": round(out.get("max_flip", 0.0), 4),
            "decided": round(float(out["decided"][scored].mean()), 4) if "decided" in out else None,
            "model": out.get("model"), "iterations": out.get("iterations"), "converged": out.get("converged"),
            "accounts": len(attackers), "attack_answers": len(stored) - len(crowd.answers),
            "linked_attackers": len(set(attackers) & set(out.get("linked", []))),
            "linked_honest": len(set(out.get("linked", [])) - set(attackers)),
            "seconds": round(seconds, 2)}


def current_pipeline(a, influence):
    from citizen.quality import pipeline
    got = pipeline.run(a.t, a.w, a.l, a.n_tasks, a.n_workers, a.k, gold=a.gold, device=a.device,
                       network=a.network, arrived=a.arrived, imported=a.imported, skips=a.skips,
                       influence=influence)
    linked = sorted({int(m) for g in got.groups for m in g.members})
    flips = [r.share for r in (got.influence or [])]
    decided = (got.aggregate.confidence >= 0.95) & ~got.hinges
    return {"labels": got.aggregate.labels, "model": got.aggregate.model, "iterations": got.aggregate.iterations,
            "converged": got.aggregate.converged, "linked": linked, "max_flip": max(flips, default=0.0),
            "decided": decided}


def main_pipeline(a, influence):
    """The aggregation of the main branch (agreement and device links, connected components, clipped DS)."""
    mods = _main_modules()
    cluster_of, groups = mods["clusters"].clusters(a.t, a.w, a.l, a.n_workers, a.k, a.device)
    ct, cv, cl, n_v = mods["aggregate"].collapse_clusters(a.t, a.w, a.l, cluster_of)
    if influence:
        agg, report = mods["influence"].leave_one_out(ct, cv, cl, a.n_tasks, n_v, a.k, gold=a.gold,
                                                      voters=_top(cv, n_v))
        flip = max((r.share for r in report), default=0.0)
    else:
        agg, flip = mods["aggregate"].dawid_skene(ct, cv, cl, a.n_tasks, n_v, a.k, gold=a.gold), 0.0
    return {"labels": agg.labels, "model": "main", "iterations": agg.iterations,
            "converged": agg.iterations < 100, "linked": sorted({int(m) for g in groups for m in g}),
            "max_flip": flip}


def _top(v, n, limit=200):
    counts = np.bincount(v, minlength=n)
    return [int(x) for x in np.argsort(-counts)[:limit] if counts[x] > 0]


_MAIN = {}


def _main_modules():
    """citizen/quality/{aggregate,clusters,influence}.py as on the main branch, loaded from git."""
    if not _MAIN:
        for name in ("aggregate", "clusters", "influence"):
            src = subprocess.run(["git", "show", f"main:citizen/quality/{name}.py"], capture_output=True, text=True,
                                 check=True, cwd=skew_data.ROOT).stdout
            src = src.replace("from citizen.quality.aggregate import", "from _main_aggregate import")
            mod = types.ModuleType(f"_main_{name}")
            sys.modules[f"_main_{name}"] = mod
            exec(compile(src, f"main:{name}.py", "exec"), mod.__dict__)
            _MAIN[name] = mod
    return _MAIN


def judge(row, clean, targeted):
    if row is clean:
        row["pass"] = row["citizen"] >= max(row["mv"], row["ds"]) - 1e-9 and row["max_flip"] <= LIMITS["flip"]
        return row
    base = clean["targets"] if targeted else clean["citizen"]
    row["overall_ratio"] = round(row["citizen"] / clean["citizen"], 4)
    row["attacked_ratio"] = round(row["attacked"] / base, 4) if base else 0.0
    row["pass"] = row["attacked_ratio"] >= LIMITS["attacked"] and row["overall_ratio"] >= LIMITS["overall"] \
        and row["max_flip"] <= LIMITS["flip"]
    return row


def worst(rows):
    out = dict(rows[0])
    for key, value in rows[0].items():
        values = [r[key] for r in rows]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if key in ("max_flip", "iterations", "seconds", "linked_honest"):
            out[key] = max(values)
        else:
            out[key] = min(values)
    out["pass"] = all(r["pass"] for r in rows)
    out["models"] = sorted({r["model"] for r in rows})
    out["converged"] = all(r["converged"] for r in rows)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(skew_data.SETS))
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--profiles", default=",".join(attacks.PROFILES))
    parser.add_argument("--draws", type=int, default=3)
    parser.add_argument("--pipeline", choices=("current", "main"), default="current")
    parser.add_argument("--no-influence", action="store_true", help="skip the influence report (faster)")
    parser.add_argument("--quick", action="store_true", help="bluebirds, clean and camouflage10, one draw")
    args = parser.parse_args(argv)
    sets, names, profiles = args.sets.split(","), args.scenarios.split(","), args.profiles.split(",")
    if args.quick:
        sets, names, args.draws = ["bluebirds"], ["clean", "camouflage10"], 1
    pipeline = current_pipeline if args.pipeline == "current" else main_pipeline
    influence = not args.no_influence
    table, started = {}, time.monotonic()
    for set_name in sets:
        crowd = skew_data.load(set_name)
        if crowd is None:
            continue
        rows = {}
        for d in range(args.draws):
            gold, targets = draw(crowd, d)
            clean = measure(crowd, gold, targets, "clean", "-", 0, pipeline, influence)
            clean = judge(clean, clean, False)
            rows.setdefault("clean", []).append(clean)
            for name in names:
                if name == "clean":
                    continue
                targeted = attacks.SCENARIOS[name][2] in attacks.TARGETED
                for profile in profiles:
                    seed = attacks.seed_of(set_name, name, profile, d)
                    row = measure(crowd, gold, targets, name, profile, seed, pipeline, influence)
                    rows.setdefault(f"{name}/{profile}", []).append(judge(row, clean, targeted))
        table[set_name] = {key: worst(rs) for key, rs in rows.items()}
        for key, r in table[set_name].items():
            print(f"# {set_name} {key}: " + " ".join(f"{k}={v}" for k, v in r.items()), file=sys.stderr,
                  flush=True)
    rows = [r for by in table.values() for r in by.values()]
    print(json.dumps({"pipeline": args.pipeline, "sets": table, "passed": sum(r["pass"] for r in rows),
                      "failed": sum(not r["pass"] for r in rows), "seconds": round(time.monotonic() - started)}))


if __name__ == "__main__":
    main()

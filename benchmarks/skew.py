"""Anti-skew benchmark: real crowd answers replayed through the app's HTTP API, under attacks.

Sets: bluebirds, sentiment, zencrowd-us, music-genre from ../shared/data/crowd (see skew_data; a
missing set is skipped with a note on stderr). Each run is a fresh SQLite database with one
`question` campaign over the set's tasks, 5 % of them gold (drawn per draw), redundancy 100 so
attackers find room in either order. Honest answers come in through the organiser's answer import
(`POST .../answers/import`, chunks of 5,000); attackers are guests (`POST /api/v1/guests`, next-task,
submit, skip) who cannot choose their tasks, and who wait a plausible 2.5-9 s per answer on the app's clock
(citizen.clock: the server measures the duration from the lease, so no sleeping). Results are read only through
`GET .../results` (public: no gold flags while the campaign is open) and the organiser's `GET .../quality`.

Profiles: one-device (all accounts of an attack on one address and browser) and spread (each account
its own /24 in varied public ranges and its own User-Agent), through X-Forwarded-For with PROXY_FIX=1.
single30 is one person: one device in the one-device profile, a new proxy address and browser per
guest in the spread profile. Orders: honest-first (import, then attack) and attack-first.

Scenarios (volumes are shares of all answers once the attack is in; see skew_attacks.SCENARIOS):
clean; spam30 (random); same20 (always one label); ring10 (wrong everywhere, together); colluders33
(truth-aware: right on gold, wrong elsewhere); camouflage10 (truthful everywhere, wrong together on a
fixed 10 % of the non-gold tasks, the targets); skiphunt (10 %: skip every non-target until each
account has answered every target; skips counted); goldshare (1/3: pool the gold learnt from answer
feedback and the public results' `"gold": true` rows; known gold right, targets wrong, elsewhere copy
the public consensus); single30 (one person, guest after guest, wrong everywhere).

Figures (non-gold tasks): clean accuracy of citizen's consensus, majority vote and plain Dawid-Skene
(citizen.quality.aggregate.fit over the stored answers: no groups, no bounds on weights, nobody zeroed, no gold); under
attack: overall accuracy and accuracy on the attacked tasks (the targets for camouflage10, skiphunt
and goldshare; every non-gold task otherwise), each as a ratio to the same draw's clean figure; the
largest flip share of a single account and of a group in the quality report; attack answers
stored/wanted; skips. Goal (issue 16): clean >= max(MV, DS); attacked >= 0.90 and overall >= 0.95 of
clean; max flip <= 1 %. Every figure is the worst over the draws (all draws in --out).

Draws: 3 per set, 2 for sentiment (--draws N overrides); variants by default one-device/honest-first
and spread/attack-first (each profile and each order once), all four with --profiles/--orders.
Sets by default: bluebirds alone (every scenario, both default variants, 3 draws: ~10 min with --jobs 2),
which is what checks read; `--all` runs the four sets (the issue's whole table: hours on 2 cores, sentiment's
20,000 answers costing most: run it on a quiet machine, or one set at a time with --sets and --out).
Time: each attack answer costs ~8.5 ms of CPU (next-task + submit through the test client, SQLite), each
skip ~3.5 ms; a run adds ~3 s (bluebirds) to ~20 s (sentiment) for the import and the quality build.
--quick takes ~40 s.
The last stdout line is one JSON object: `scenarios` (bluebirds, one-device, honest-first, worst
draw: what checks read), `sets` {set: {scenario: {profile/order: row}}}, and `goal`.
"""
import argparse
import json
import random
import sys
import time

import numpy as np

from benchmarks import skew_attacks as attacks
from benchmarks import skew_data
from benchmarks.skew_http import read_quality, read_results
from citizen.quality.aggregate import fit

GOLD_SHARE = 0.05
DRAWS = {"sentiment": 2}  # others: DEFAULT_DRAWS
DEFAULT_DRAWS = 3
ALL_SCENARIOS = ["clean", *attacks.SCENARIOS]
QUICK = ["clean", "spam30", "camouflage10"]
# Each profile and each order once (the check reads one-device/honest-first); the full cross product
# (--profiles one-device,spread --orders honest-first,attack-first) takes twice as long.
DEFAULT_VARIANTS = [("one-device", "honest-first"), ("spread", "attack-first")]
LIMITS = {"attacked": 0.90, "overall": 0.95, "flip": 0.01}


def majority_and_ds(crowd, stored, scored):
    """Accuracy of majority vote (ties count their expected share) and plain Dawid-Skene on `scored`."""
    tasks, workers = {t: i for i, t in enumerate(crowd.tasks)}, {}
    index = {lab: i for i, lab in enumerate(crowd.labels)}
    t = np.array([tasks[x] for _w, x, _l in stored], dtype=np.int64)
    w = np.array([workers.setdefault(x, len(workers)) for x, _t, _l in stored], dtype=np.int64)
    lab = np.array([index[x] for _w, _t, x in stored], dtype=np.int64)
    k = len(crowd.labels)
    votes = np.zeros((len(tasks), k))
    np.add.at(votes, (t, lab), 1.0)
    agg = fit(t, w, lab, len(tasks), len(workers), k, model="ds", max_weight=np.inf, min_evidence=0,
              chance_margin=-1.0)  # plain: no bound on weights, nobody zeroed, no gold
    mv = ds = 0.0
    for ext in scored:
        i, truth = tasks[ext], index[crowd.truth[ext]]
        top = np.flatnonzero(votes[i] == votes[i].max()) if votes[i].sum() else np.arange(k)
        mv += (truth in top) / len(top)
        ds += int(agg.labels[i] == truth)
    return mv / len(scored), ds / len(scored)


def accuracy(crowd, answers, tasks):
    return sum(answers.get(t) == crowd.truth[t] for t in tasks) / len(tasks) if tasks else None


def measure(crowd, honest, gold, targets, scenario, profile, order, seed):
    """One run and its figures (ratios are filled in against the draw's clean row by the caller)."""
    started, cpu = time.monotonic(), time.process_time()
    got = attacks.run(crowd, honest, gold, targets, scenario, profile, order, seed)
    site = got["site"]
    answers = {}
    for row in read_results(site).values():
        answers[row["external_id"]] = crowd.label_of.get(row["answer"]) if row["answer"] is not None else None
    quality = read_quality(site)
    site.close()
    scored = [t for t in crowd.tasks if t not in gold]
    attacked = sorted(targets) if scenario != "clean" and attacks.SCENARIOS[scenario][2] in attacks.TARGETED \
        else scored
    mv, ds = majority_and_ds(crowd, got["stored"], scored)
    row = {"citizen_accuracy": round(accuracy(crowd, answers, scored), 4),
           "attacked_accuracy": round(accuracy(crowd, answers, attacked), 4), "attacked_tasks": len(attacked),
           "targets_accuracy": round(accuracy(crowd, answers, sorted(targets)), 4),
           "majority_accuracy": round(mv, 4), "ds_accuracy": round(ds, 4),
           **quality, "max_flip_share": max(quality["max_flip_single"], quality["max_flip_group"]),
           "honest_answers_stored": got.get("honest_stored"), "attack_answers_stored": got["attack_stored"],
           "attack_answers_wanted": got["attack_wanted"], "attack_refused": got["refused"], "skips": got["skips"],
           "accounts": got["accounts"], "seconds": round(time.monotonic() - started, 1),
           "cpu_seconds": round(time.process_time() - cpu, 1)}
    if got["gold_known"] is not None:
        row["gold_learnt"] = f"{got['gold_known']}/{len(gold)}"
    return row, site.takes_duration


def judge(row, clean, targeted=False):
    """Fill in the ratios to the clean run of the same draw (on the same attacked tasks) and whether
    the row meets the goal."""
    if clean is row:
        row["pass"] = row["citizen_accuracy"] >= max(row["majority_accuracy"], row["ds_accuracy"]) \
            and row["max_flip_share"] <= LIMITS["flip"]
        return row
    base = clean["targets_accuracy"] if targeted else clean["citizen_accuracy"]
    row["clean_attacked_accuracy"] = base
    row["overall_ratio"] = round(row["citizen_accuracy"] / clean["citizen_accuracy"], 4) if clean["citizen_accuracy"] else 0.0
    row["attacked_ratio"] = round(row["attacked_accuracy"] / base, 4) if base else 0.0
    row["pass"] = row["attacked_ratio"] >= LIMITS["attacked"] and row["overall_ratio"] >= LIMITS["overall"] \
        and row["max_flip_share"] <= LIMITS["flip"]
    return row


def worst(rows):
    """Per figure, the worst over the draws (lowest accuracy and ratio, highest flip); pass only if all do."""
    out = dict(rows[0])
    for key in rows[0]:
        values = [r[key] for r in rows if isinstance(r.get(key), (int, float)) and not isinstance(r.get(key), bool)]
        if not values or len(values) != len(rows):
            continue
        if key.endswith(("accuracy", "ratio")):
            out[key] = min(values)
        elif key.startswith("max_flip") or key in ("skips", "seconds", "cpu_seconds", "largest_cluster",
                                                     "attack_refused"):
            out[key] = max(values)
        elif key == "attack_answers_stored":
            out[key] = min(values)
    out["pass"] = all(r["pass"] for r in rows)
    out["draws"] = len(rows)
    return out


_loaded = {}
_progress = []  # with --out: a file that gets each run's row as it is made (a long run can be read halfway)


def _note(row):
    print(f"# {row['set']} draw {row['draw']} {row['scenario']} {row['variant']}: {_short(row)}", file=sys.stderr,
          flush=True)
    if _progress:
        with open(_progress[0], "a") as f:
            f.write(json.dumps(row, default=str) + "\n")


def _crowd(name):
    if name not in _loaded:
        _loaded[name] = skew_data.load(name)
    return _loaded[name]


def run_draw(set_name, d, names, variants):
    """One draw of one set: its gold, targets and honest order, the clean run, then every attack in
    variant (profile, order). Returns (rows with set/draw/scenario/variant, does the API take durations)."""
    crowd = _crowd(set_name)
    rnd = random.Random(attacks.seed_of(crowd.name, "gold", d))
    gold = set(rnd.sample(crowd.tasks, max(1, round(GOLD_SHARE * len(crowd.tasks)))))
    targets = attacks.plan(crowd, gold, attacks.seed_of(crowd.name, "targets", d))
    honest = list(crowd.answers)
    random.Random(attacks.seed_of(crowd.name, "order", d)).shuffle(honest)
    clean, takes_duration = measure(crowd, honest, gold, targets, "clean", "-", "honest-first",
                                    attacks.seed_of(crowd.name, "clean", d))
    rows = [{"set": crowd.name, "draw": d, "scenario": "clean", "variant": "honest", **judge(clean, clean)}]
    _note(rows[-1])
    for name in names:
        if name == "clean":
            continue
        for profile, order in variants:
            row, _ = measure(crowd, honest, gold, targets, name, profile, order,
                             attacks.seed_of(crowd.name, name, profile, order, d))
            judge(row, clean, attacks.SCENARIOS[name][2] in attacks.TARGETED)
            rows.append({"set": crowd.name, "draw": d, "scenario": name, "variant": f"{profile}/{order}", **row})
            _note(rows[-1])
    return rows, takes_duration


def run_all(sets, names, variants, draws, jobs):
    """Every draw of every set (in `jobs` processes, the largest sets first); returns (rows, takes_duration)."""
    units = [(name, d) for name in sets for d in range(draws or DRAWS.get(name, DEFAULT_DRAWS))]
    units.sort(key=lambda u: -len(_crowd(u[0]).answers))
    detail, takes = [], None
    if jobs <= 1:
        for name, d in units:
            rows, takes = run_draw(name, d, names, variants)
            detail += rows
        return detail, takes
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for rows, t in pool.map(run_draw, *zip(*[(n, d, names, variants) for n, d in units])):
            detail += rows
            takes = t
    return detail, takes


def _short(row):
    keys = ("citizen_accuracy", "attacked_ratio", "overall_ratio", "majority_accuracy", "ds_accuracy",
            "max_flip_single", "max_flip_group", "attack_answers_stored", "attack_answers_wanted", "skips",
            "pass", "seconds", "cpu_seconds")
    return " ".join(f"{k}={row[k]}" for k in keys if k in row)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="bluebirds; clean, spam30 and camouflage10; 1 draw")
    parser.add_argument("--sets", default="bluebirds", help="comma-separated (default: bluebirds)")
    parser.add_argument("--all", action="store_true", help="the four sets (" + ",".join(skew_data.SETS) + ")")
    parser.add_argument("--scenarios", default=",".join(ALL_SCENARIOS))
    parser.add_argument("--draws", type=int, default=None, help="draws per set (default: 3, sentiment 2)")
    parser.add_argument("--profiles", help="one-device,spread: with --orders, every combination of the two "
                        "(default without either: one-device/honest-first and spread/attack-first)")
    parser.add_argument("--orders", help="honest-first,attack-first")
    parser.add_argument("--jobs", type=int, default=2, help="processes (draws run in parallel; default 2)")
    parser.add_argument("--out", help="write every draw's figures to this JSON file")
    args = parser.parse_args(argv)
    sets, names = (list(skew_data.SETS) if args.all else args.sets.split(",")), args.scenarios.split(",")
    draws = args.draws
    profiles = args.profiles.split(",") if args.profiles else list(attacks.PROFILES)
    orders = args.orders.split(",") if args.orders else list(attacks.ORDERS)
    variants = [(p, o) for p in profiles for o in orders] if args.profiles or args.orders else DEFAULT_VARIANTS
    if args.quick:
        sets, names, variants, draws = ["bluebirds"], QUICK, [("one-device", "honest-first")], 1
        args.jobs = 1
    for value, known in ((names, ALL_SCENARIOS), (profiles, attacks.PROFILES), (orders, attacks.ORDERS),
                         (sets, skew_data.SETS)):
        bad = [v for v in value if v not in known]
        if bad:
            parser.error(f"unknown {bad}: choose from {list(known)}")
    if "clean" not in names:
        names = ["clean", *names]  # every ratio needs the draw's clean figure
    sets = [name for name in sets if _crowd(name) is not None]
    if args.out:
        _progress.append(args.out + ".rows.jsonl")
    started = time.monotonic()
    detail, takes_duration = run_all(sets, names, variants, draws, args.jobs)
    result = {"sets": {}, "duration_ms": (
        "measured by the server from the lease (attackers wait 2.5-9 s on the app's clock, citizen.clock); "
        "the client's duration_ms, also sent, can only shorten it")}
    grouped = {}
    for row in detail:
        grouped.setdefault(row["set"], {}).setdefault(row["scenario"], {}).setdefault(row["variant"], []).append(
            {k: v for k, v in row.items() if k not in ("set", "draw", "scenario", "variant")})
    for name in sets:
        result["sets"][name] = {n: {v: worst(rs) for v, rs in vs.items()} for n, vs in grouped.get(name, {}).items()}
    meta = {name: {"tasks": len(_crowd(name).tasks), "answers": len(_crowd(name).answers),
                   "labels": len(_crowd(name).labels), "draws": len({r["draw"] for r in detail if r["set"] == name})}
            for name in sets}
    meta["seconds"] = round(time.monotonic() - started)
    meta["cpu_seconds"] = round(sum(r.get("cpu_seconds", 0) for r in detail))  # the runs' own CPU (all processes)
    rows = [(s, n, v, r) for s, by in result["sets"].items() for n, vs in by.items() for v, r in vs.items()]
    failed = [(s, n, v, r) for s, n, v, r in rows if not r["pass"]]

    def badness(item):
        r = item[3]
        return min(r.get("attacked_ratio", 1.0), r.get("overall_ratio", 1.0), 1.0 - r["max_flip_share"])
    w = min(failed or rows, key=badness) if rows else None
    result["goal"] = {"passed": len(rows) - len(failed), "failed": len(failed), "limits": LIMITS,
                      "worst": w and {"set": w[0], "scenario": w[1], "variant": w[2], **_pick(w[3])}}
    blue = result["sets"].get("bluebirds", {})
    result["scenarios"] = {n: vs.get("honest") or vs.get("one-device/honest-first") for n, vs in blue.items()
                           if vs.get("honest") or vs.get("one-device/honest-first")}
    result["meta"] = meta
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"draws": detail, **result}, f, indent=1, default=str)
    print(json.dumps(result, default=str))


def _pick(row):
    keys = ("citizen_accuracy", "attacked_accuracy", "attacked_ratio", "overall_ratio", "max_flip_share",
            "majority_accuracy", "ds_accuracy", "pass")
    return {k: row[k] for k in keys if k in row}


if __name__ == "__main__":
    main()

"""Citizen's batch aggregation on arrays: groups of accounts -> one vote per group and task -> the consensus
model the campaign's gold picks -> (optionally) the influence report over voters and groups, with groups above the
organiser's influence limit counted for less and fitted again (citizen.quality.limit: what the build publishes).

Weights: a device group votes once like one person (one browser making many accounts is one voice). A group
confirmed by coordinated deviation (network, burst, or a device group whose accounts also deviate together:
citizen.quality.clusters) is colluding: its votes are kept
and shown but do not count (factor 0). As one full voter it still decided the tasks outsiders were unsure of
(music genres, ten labels and four answers a task: 0.58 of the targets right against 0.73 clean).

batch.consensus reads a campaign's answers and signals from the database and calls `run`; the offline benchmark
(benchmarks/skew_offline.py) calls it on simulated arrays. Nothing here touches the database.
"""
from dataclasses import dataclass

import numpy as np

from citizen.quality import clusters as clusters_mod
from citizen.quality import controls, unanimous
from citizen.quality.aggregate import Aggregate, collapse_clusters, hinges
from citizen.quality.choose import aggregate
from citizen.quality.limit import bounded

TOP_VOTERS = 200   # single voters checked by the influence report (most answers first)
TOP_GROUPS = 50    # groups checked (most answers first)


@dataclass
class Outcome:
    aggregate: Aggregate       # over voters
    cluster_of: np.ndarray     # voter index per worker
    groups: list               # [clusters.Group]: detected groups (each one voter)
    t: np.ndarray              # the collapsed answers: task, voter, label
    v: np.ndarray
    l: np.ndarray
    n_voters: int
    influence: list = None     # [influence.Influence] or None
    hinges: np.ndarray = None  # per task: its answer rests on one or two votes (aggregate.hinges): never "decided"
    unanimous: np.ndarray = None  # per task: the label the unanimous rule decides, or -1 (citizen.quality.unanimous)


def skip_factor(answers, skips, quality=None):
    """Weight factor in [0, 1] for a contributor's votes from their skips (controls.skip_factor, the hot path's rule)."""
    return float(controls.skip_factor(int(answers), int(skips), quality))


def voter_factor(w, cluster_of, n_voters, skips, quality=None):
    """Each voter's factor: the smallest of its members' skip factors (a group is as trusted as its worst)."""
    n_workers = len(cluster_of)
    answers = np.bincount(w, minlength=n_workers)
    skips = np.zeros(n_workers, np.int64) if skips is None else np.asarray(skips)
    per_worker = np.array([skip_factor(a, s, quality) if s else 1.0 for a, s in zip(answers, skips)], dtype=float)
    factor = np.ones(n_voters)
    np.minimum.at(factor, cluster_of, per_worker)
    return factor


def group_sets(groups, cluster_of, w, device, network, arrived, imported):
    """(kind, [voter indices]) of every set of accounts the influence report leaves out together: detected
    groups, bursts, devices and networks (confirmed or not), largest (by answers) first, at most TOP_GROUPS."""
    n_workers = len(cluster_of)
    imported = np.zeros(n_workers, bool) if imported is None else np.asarray(imported, bool)
    sets = [("cluster", g.members) for g in groups]
    for kind, values in (("device", device), ("network", network)):
        for members in clusters_mod._by_value(values, ~imported).values():
            sets.append((kind, members))
    if arrived is not None:
        sets += [("burst", run) for run in clusters_mod.bursts(arrived, imported)]
    answers = np.bincount(w, minlength=n_workers)
    out, seen = [], set()
    for kind, members in sets:
        voters = tuple(sorted(set(cluster_of[members].tolist())))
        if len(voters) < 2 or voters in seen:
            continue  # one voter: the single-voter report covers it
        seen.add(voters)
        out.append((int(answers[members].sum()), kind, list(voters)))
    out.sort(key=lambda x: -x[0])
    return [(kind, voters) for _n, kind, voters in out[:TOP_GROUPS]]


def run(t, w, l, n_tasks, n_workers, k, gold=None, device=None, network=None, arrived=None, imported=None,
        skips=None, influence=False, confidence=0.95, quality=None, evidence=None):
    """The consensus of one campaign's answers (see the module docstring). `skips` per worker feed the skip factor
    (with the campaign's `quality` settings). With `influence`, the report is made and the consensus bounded by the
    campaign's influence limit (limit.bounded); the build always asks for it. Returns an Outcome.
    `evidence` (t, w, l): every answer, those that carry no weight included, for finding groups; (t, w, l) are the
    answers that vote. The loop keeps one answer per device and task counted (the others weigh nothing), so the
    counted answers alone never show two accounts of one device deviating together: a device of colluders copying
    the public results and wrong together on their targets went unconfirmed (zencrowd, 13-17 % of targets flipped)."""
    t, w, l = (np.asarray(a, dtype=np.int64) for a in (t, w, l))
    et, ew, el = (t, w, l) if evidence is None else (np.asarray(a, dtype=np.int64) for a in evidence)
    groups = clusters_mod.detect(et, ew, el, n_workers, k, n_tasks=n_tasks, device=device, network=network,
                                 arrived=arrived, imported=imported, gold=gold)
    cluster_of = clusters_mod.cluster_of(groups, n_workers)
    ct, cv, cl, n_voters = collapse_clusters(t, w, l, cluster_of) if n_workers else (t, w, l, 0)
    n_voters = max(n_voters, int(cluster_of.max()) + 1 if n_workers else 0)
    factor = voter_factor(w, cluster_of, n_voters, skips, quality)
    for i, g in enumerate(groups):
        if g.coordinated:
            factor[i] = 0.0  # confirmed coordinated deviation: collusion (see clusters), kept but not counted
    agg = aggregate(ct, cv, cl, n_tasks, n_voters, k, gold=gold, factor=factor)
    if not influence:
        return Outcome(agg, cluster_of, groups, ct, cv, cl, n_voters, hinges=hinges(agg, ct, cv, cl),
                       unanimous=unanimous.decided(ct, cv, cl, n_tasks, factor, agg.weight))
    counts = np.bincount(cv, minlength=n_voters)
    top = [int(x) for x in np.argsort(-counts, kind="stable")[:TOP_VOTERS] if counts[x] > 0]
    sets = group_sets(groups, cluster_of, w, device, network, arrived, imported)
    limit = (quality or controls.defaults())["influence_limit"]
    agg, factor, rows, rests = bounded(agg, ct, cv, cl, n_tasks, n_voters, k, gold, factor, top, sets, limit,
                                       confidence)
    return Outcome(agg, cluster_of, groups, ct, cv, cl, n_voters, influence=rows, hinges=rests,
                   unanimous=unanimous.decided(ct, cv, cl, n_tasks, factor, agg.weight))

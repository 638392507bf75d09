"""Influence report: how many decided results would change without one voter, or without one group of accounts.

A voter is a contributor or a detected group of accounts counted as one. A group is any set of accounts that an
attacker could use together whether or not it was confirmed as one voter: a detected group, the accounts of one
burst, of one device, of one network. Each is left out in turn and the consensus fitted again (the same model,
started from the full fit's posteriors, so a few iterations each); a result counts as flipped when it was decided
(confidence at least the campaign's threshold, and a margin of two votes: aggregate.hinges) and comes out different. Results that were never decided are
"uncertain" in the published data, so moving them does not change what anyone reads as a finding; the report
gives both counts. Voters and groups above the organiser's limit are flagged by the caller.

The cost is bounded: the `top` voters by answers and the `top_groups` largest groups (by answers) are checked.
"""
from dataclasses import dataclass, field

import numpy as np

from citizen.quality.aggregate import fit
from citizen.quality.choose import _fit


@dataclass
class Influence:
    voter: int          # the voter index (single voters), or -1 for a group
    answers: int
    flips: int          # decided results that would come out differently without this voter
    moved: int          # any change of the most likely answer, decided or not
    share: float        # flips / tasks with answers (gold left out)
    voters: list = field(default_factory=list)   # the voters left out together
    kind: str = "voter"                          # "voter", or the group's reason: cluster, burst, device, network


def _without(model, t, v, l, n_tasks, n_voters, k, gold, factor, drop, start):
    keep = ~np.isin(v, drop)
    f = factor.copy()
    f[drop] = 0.0
    if model == "mv":
        return _fit("mv", t[keep], v[keep], l[keep], n_tasks, n_voters, k, gold, f).labels
    return fit(t[keep], v[keep], l[keep], n_tasks, n_voters, k, model=model, gold=gold, factor=f, start=start).labels


def report(full, t, v, l, n_tasks, n_voters, k, gold=None, confidence=0.95, voters=None, groups=(), factor=None,
           hinges=None):
    """[Influence] for each voter in `voters` and each (kind, [voter indices]) in `groups`, largest share first.
    `full` is the consensus fitted on everything (its model is used again); `hinges` marks tasks not decided
    because they rest on one or two votes (aggregate.hinges)."""
    t, v, l = (np.asarray(a, dtype=np.int64) for a in (t, v, l))
    factor = np.ones(n_voters) if factor is None else np.asarray(factor, float)
    decided = full.confidence >= confidence
    if hinges is not None:
        decided &= ~hinges
    base = full.labels
    counted = np.bincount(t, minlength=n_tasks) > 0
    if gold is not None:
        counted[np.asarray(gold[0], dtype=np.int64)] = False  # gold answers are known, not at stake
    total = max(int(counted.sum()), 1)
    per_voter = np.bincount(v, minlength=n_voters)
    jobs = [("voter", [int(x)]) for x in (voters if voters is not None else np.flatnonzero(per_voter))]
    jobs += [(kind, sorted(set(int(x) for x in members))) for kind, members in groups]
    out = []
    for kind, drop in jobs:
        again = _without(full.model, t, v, l, n_tasks, n_voters, k, gold, factor, drop, full.posteriors)
        changed = (again != base) & counted
        flips = int((changed & decided).sum())
        out.append(Influence(drop[0] if kind == "voter" else -1, int(per_voter[drop].sum()), flips,
                             int(changed.sum()), flips / total, drop, kind))
    out.sort(key=lambda x: (-x.share, -x.moved))
    return out


def leave_one_out(t, v, l, n_tasks, n_voters, k, gold=None, confidence=0.95, voters=None, **kw):
    """(Dawid-Skene on everything, [Influence] per voter): the single-voter report for one model."""
    full = fit(t, v, l, n_tasks, n_voters, k, model=kw.pop("model", "ds"), gold=gold, **kw)
    return full, report(full, t, v, l, n_tasks, n_voters, k, gold=gold, confidence=confidence, voters=voters)

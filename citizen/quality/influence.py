"""Influence report: how many results would change without one contributor (or cluster).

For each voter (a contributor, or a cluster of linked accounts counted as one), the aggregation is
run again without their answers; a result counts as flipped when it was decided (confidence at
least the campaign's threshold) and the answer comes out different. Results that were never
decided are "uncertain" in the published data, so moving them does not change what anyone reads
as a finding; the report gives both counts. Voters above the organiser's limit are flagged.
"""
from dataclasses import dataclass

import numpy as np

from citizen.quality.aggregate import dawid_skene


@dataclass
class Influence:
    voter: int
    answers: int
    flips: int          # decided results that would come out differently without this voter
    moved: int          # any change of the most likely answer, decided or not
    share: float        # flips / tasks with answers


def leave_one_out(t, v, l, n_tasks, n_voters, k, gold=None, confidence=0.95, voters=None, **ds):
    """[Influence] for each voter in `voters` (default: all with answers), largest share first."""
    t, v, l = (np.asarray(a, dtype=np.int64) for a in (t, v, l))
    full = dawid_skene(t, v, l, n_tasks, n_voters, k, gold=gold, **ds)
    decided = full.confidence >= confidence
    base = full.labels
    counted = np.bincount(t, minlength=n_tasks) > 0
    if gold is not None:
        counted[np.asarray(gold[0], dtype=np.int64)] = False  # gold answers are known, not at stake
    total = max(int(counted.sum()), 1)
    per_voter = np.bincount(v, minlength=n_voters)
    out = []
    for voter in (voters if voters is not None else np.flatnonzero(per_voter)):
        keep = v != voter
        again = dawid_skene(t[keep], v[keep], l[keep], n_tasks, n_voters, k, gold=gold, **ds).labels
        changed = (again != base) & counted
        flips = int((changed & decided).sum())
        out.append(Influence(int(voter), int(per_voter[voter]), flips, int(changed.sum()), flips / total))
    out.sort(key=lambda x: (-x.share, -x.moved))
    return full, out

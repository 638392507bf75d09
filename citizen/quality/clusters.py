"""Groups of accounts that count as one voter, found by what honest volunteers do not share.

Agreement alone is not evidence: excellent honest volunteers agree with each other, that is what excellence is
(linking by agreement merged 44 of them into one voter on a real set, issue 16), and linking through one shared
neighbour chained honest workers to attackers. So:

1. A shared *device* signature (one address, see signatures.py) is a group by itself: one browser making many
   accounts is the signal. These groups need no confirmation to vote once; they are tested like candidates too,
   and marked `coordinated` when confirmed.
2. *Candidate* groups come from signals that cost an attacker something to fake: one network (/24 or /48), or a
   burst of new accounts arriving on the campaign together (accounts of the organiser's answer import are vouched
   for and never form a burst). A candidate is only a question.
3. A candidate is *confirmed* by coordinated deviation: its members deviate from the consensus of everyone outside
   the candidate on the same tasks with the same answer, far more often than their own deviation rates explain
   (the number of member pairs deviating together, against its mean and spread if each member deviated
   independently at their own rate), counted on the tasks the outsiders' Dawid-Skene is sure of: on
   contested tasks honest workers deviate together too. A dense group deviating from that sure consensus most of
   the time is a voting block and confirmed too (with two labels, accounts wrong everywhere are as coordinated as
   they can be, and their own rate "explains" it).
4. Confirmed groups are *dense*, not chains: two members are linked when, on the tasks they share where either
   deviates, they deviate together with the same answer at least half the time; members linked to no more than
   half of the members they have such evidence with are dropped (repeatedly), and the rest must pass the test
   again.

A group confirmed by coordinated deviation is collusion: citizen.quality.pipeline keeps its votes but does not
count them; `Group.contested` lists the tasks where it deviated from what the outsiders were sure of (the report's
evidence).
An honest group that merely agrees with the crowd has no deviations in common and is never confirmed.
Arrays: answers as parallel integer arrays (task `t`, worker `w`, label `l`); per worker `device`, `network`
(strings or None), `arrived` (seconds, NaN unknown) and `imported` (bool).
"""
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse, stats

from citizen.quality.aggregate import collapse_clusters, fit

BURST_GAP = 600.0     # seconds: new accounts arriving within this of the previous one are one burst
MIN_GROUP = 3         # fewest accounts a network or burst candidate needs
MAX_CANDIDATE = 3000  # a larger burst or network is looked at in its first MAX_CANDIDATE units by arrival
MAX_CHECKS = 50       # candidates (and device groups) tested for coordinated deviation per build, largest first
P_VALUE = 1e-6        # coordinated deviation this unlikely under independence confirms a candidate
SURE = 0.9            # outsiders' posterior from which a task counts for deviations
BLOCK = 0.5           # a dense group deviating from a sure consensus at least this often is a voting block


@dataclass
class Group:
    members: list                      # worker indices
    reason: str                        # "device", "network" or "burst"
    confirmed: bool = True
    evidence: dict = field(default_factory=dict)
    contested: list = field(default_factory=list)  # tasks where the group deviates from what outsiders are sure of
    coordinated: bool = False          # confirmed by coordinated deviation (network and burst groups always are)


def _by_value(values, eligible=None):
    out = {}
    for i, v in enumerate(values or []):
        if v and (eligible is None or eligible[i]):
            out.setdefault(v, []).append(i)
    return out


def device_groups(device):
    """Workers sharing a device signature: one group each (no confirmation needed)."""
    return [Group(m, "device", True, {"shared_device": True}) for m in _by_value(device).values() if len(m) > 1]


def bursts(arrived, imported, gap=BURST_GAP, min_size=MIN_GROUP):
    """Lists of worker indices that arrived one after another with no gap longer than `gap` (imports left out)."""
    arrived = np.asarray(arrived, float)
    ok = np.isfinite(arrived) & ~np.asarray(imported, bool)
    idx = np.flatnonzero(ok)
    idx = idx[np.argsort(arrived[idx], kind="stable")]
    out, run = [], []
    for i in idx:
        if run and arrived[i] - arrived[run[-1]] > gap:
            out.append(run)
            run = []
        run.append(int(i))
    out.append(run)
    return [r for r in out if len(r) >= min_size]


class Deviation:
    """Who deviates from the outsiders' consensus, where and how, for one candidate's members."""

    def __init__(self, t, w, l, k, members, n_tasks, n_workers, gold=None):
        inside = np.isin(w, members)
        out = fit(t[~inside], w[~inside], l[~inside], n_tasks, n_workers, k, model="ds", gold=gold)
        cons, sure = out.posteriors.argmax(1), out.posteriors.max(1) >= SURE
        out_votes = np.zeros((n_tasks, k))
        np.add.at(out_votes, (t[~inside], l[~inside]), 1.0)
        alt = out_votes.copy()
        alt[np.arange(n_tasks), cons] = 0.0
        alt = (alt + 1.0 / max(k - 1, 1)) / (alt.sum(1, keepdims=True) + 1.0)
        alt[np.arange(n_tasks), cons] = 0.0
        self.alt = alt                                            # P(label | a deviation on the task)
        # Only tasks the outsiders are sure of: on contested tasks honest workers deviate together too.
        seen = sure[t[inside]] & (out_votes.sum(1)[t[inside]] > 0)
        self.t, self.l = t[inside][seen], l[inside][seen]
        local = {m: i for i, m in enumerate(members)}
        self.m = np.array([local[x] for x in w[inside][seen]], dtype=np.int64)
        self.n = len(members)
        self.dev = self.l != cons[self.t]
        n_i = np.bincount(self.m, minlength=self.n)
        d_i = np.bincount(self.m, weights=self.dev, minlength=self.n)
        self.rate = (d_i + 1.0) / (n_i + 2.0)                     # each member's own deviation rate
        self.p = np.clip(self.rate[self.m], 0, 0.999)

    def shared(self, keep):
        """(observed, expected, standard deviation) of the pairs of kept members deviating on the same task with the
        same answer. Under independence the number deviating to one answer on one task is about Poisson with mean
        mu (their own rates), so its pairs m(m-1)/2 have mean mu^2/2 and variance mu^3 + mu^2/2; tasks add up."""
        sel = keep[self.m]
        t, l, dev, p = self.t[sel], self.l[sel], self.dev[sel], self.p[sel]
        if not len(t):
            return 0, 0.0, 0.0
        tasks, ti = np.unique(t, return_inverse=True)
        k = self.alt.shape[1]
        count = np.zeros((len(tasks), k))
        np.add.at(count, (ti[dev], l[dev]), 1.0)
        mu = np.zeros((len(tasks), k))
        np.add.at(mu, ti, p[:, None] * self.alt[t])
        observed = float((count * (count - 1) / 2).sum())
        return observed, float((mu ** 2 / 2).sum()), float(np.sqrt((mu ** 3 + mu ** 2 / 2).sum()))

    def pairs(self, keep):
        """(co-deviations, tasks where either deviates) for each pair of members, on the tasks both answered."""
        n_t = int(self.t.max()) + 1 if len(self.t) else 1
        sel = keep[self.m]
        m, t, l, dev = self.m[sel], self.t[sel], self.l[sel], self.dev[sel]
        ones = np.ones(len(m))
        answered = sparse.csr_matrix((ones, (m, t)), shape=(self.n, n_t))
        anydev = sparse.csr_matrix((ones[dev], (m[dev], t[dev])), shape=(self.n, n_t))
        same = sparse.csr_matrix((self.n, self.n))
        for x in np.unique(l[dev]):
            pick = dev & (l == x)
            dx = sparse.csr_matrix((ones[pick], (m[pick], t[pick])), shape=(self.n, n_t))
            same = same + dx @ dx.T
        either = anydev @ answered.T
        either = either + either.T - anydev @ anydev.T
        same, either = same.toarray(), either.toarray()
        np.fill_diagonal(same, 0)
        np.fill_diagonal(either, 0)
        return same, either


def _dense(dev, keep):
    """Drop members linked to no more than half of the members they have evidence with, until none is."""
    while keep.sum() >= 2:
        same, either = dev.pairs(keep)
        linked = (same >= 1) & (same >= 0.5 * either)
        evid = either > 0
        alive = keep.copy()
        n_link = (linked & alive[None, :]).sum(1)
        n_evid = (evid & alive[None, :]).sum(1)
        bad = keep & ((n_link * 2 <= n_evid) | (n_link == 0))
        if not bad.any():
            break
        keep = keep & ~bad
    return keep


def confirm(t, w, l, k, members, n_tasks, n_workers, gold=None, p_value=P_VALUE):
    """The dense, confirmed part of a candidate (worker indices) with its evidence, or (None, evidence)."""
    members = np.asarray(sorted(members), dtype=np.int64)
    dev = Deviation(t, w, l, k, members, n_tasks, n_workers, gold)
    keep = _dense(dev, np.ones(len(members), bool))
    if keep.sum() < 2:
        return None, {}
    observed, expected, sd = dev.shared(keep)
    p = float(stats.norm.sf((observed - expected) / max(sd, 1e-9))) if observed else 1.0
    rate = float(np.mean(dev.rate[keep]))
    evidence = {"shared_deviations": int(observed), "expected": round(expected, 2), "p_value": p,
                "deviation_rate": round(rate, 3)}
    # Members who deviate from a sure consensus most of the time, together, are a block whatever their own rate
    # "explains" (with two labels, accounts wrong everywhere are as coordinated as they can be).
    if observed < 3 or (p > p_value and rate < BLOCK):
        return None, evidence
    evidence["contested"] = sorted(set(dev.t[dev.dev & keep[dev.m]].tolist()))
    return members[keep].tolist(), evidence


def detect(t, w, l, n_workers, k, n_tasks=None, device=None, network=None, arrived=None, imported=None,
           gold=None, p_value=P_VALUE):
    """Groups of workers: device groups, then confirmed network and burst candidates over the rest (a worker is
    in at most one group; device groups take part in the later stages as one voter). Returns [Group]."""
    t, w, l = (np.asarray(a, dtype=np.int64) for a in (t, w, l))
    n_tasks = int(t.max()) + 1 if n_tasks is None and len(t) else (n_tasks or 0)
    groups = device_groups(device)
    _check_devices(t, w, l, k, n_tasks, n_workers, groups, gold, p_value)
    unit = np.arange(n_workers)
    for g in groups:
        unit[g.members] = g.members[0]
    taken = np.zeros(n_workers, bool)
    imported = np.zeros(n_workers, bool) if imported is None else np.asarray(imported, bool)
    candidates = []
    for members in _by_value(network, ~imported).values():
        units = sorted(set(unit[members].tolist()))
        if len(units) >= MIN_GROUP:
            candidates.append(("network", units))
    if arrived is not None:
        first = np.full(n_workers, np.inf)
        np.minimum.at(first, unit, np.where(np.isfinite(arrived), arrived, np.inf))
        is_unit = unit == np.arange(n_workers)
        for run in bursts(np.where(is_unit, first, np.nan), imported | ~is_unit):
            candidates.append(("burst", run[:MAX_CANDIDATE]))
    candidates = sorted(candidates, key=lambda c: -len(c[1]))[:MAX_CHECKS]
    if candidates:
        # Device groups vote once while candidates are examined (as they will in the consensus).
        t, uw, l, _n = collapse_clusters(t, w, l, unit)
        for reason, units in candidates:
            units = [u for u in units if not taken[u]]
            if len(units) < 2:
                continue
            kept, evidence = confirm(t, uw, l, k, units, n_tasks, n_workers, gold, p_value)
            if kept is None:
                continue
            members = sorted(int(x) for x in np.flatnonzero(np.isin(unit, kept)))
            taken[kept] = True
            groups = [g for g in groups if g.members[0] not in kept]
            contested = evidence.pop("contested")
            evidence["contested_tasks"] = len(contested)
            groups.append(Group(members, reason, True, evidence, contested, coordinated=True))
    return groups


def _check_devices(t, w, l, k, n_tasks, n_workers, groups, gold, p_value):
    """Test the largest device groups for coordinated deviation too: they vote once whatever the answer, and are
    marked `coordinated` (no weight) when their accounts also deviate together."""
    for g in sorted(groups, key=lambda g: -len(g.members))[:MAX_CHECKS]:
        kept, evidence = confirm(t, w, l, k, g.members, n_tasks, n_workers, gold, p_value)
        if kept is not None:
            contested = evidence.pop("contested")
            g.evidence.update(evidence, contested_tasks=len(contested))
            g.contested, g.coordinated = contested, True


def cluster_of(groups, n_workers):
    """Voter index per worker (0..n_voters-1): one per group, one per other worker."""
    label = np.full(n_workers, -1, dtype=np.int64)
    for i, g in enumerate(groups):
        label[g.members] = i
    rest = label < 0
    label[rest] = len(groups) + np.arange(int(rest.sum()))
    return label


def clusters(t, w, l, n_workers, k, signature_of=None, **signals):
    """(voter index per worker, [member index arrays of groups]): detect() in the older form."""
    groups = detect(t, w, l, n_workers, k, device=signature_of, **signals)
    return cluster_of(groups, n_workers), [np.array(g.members) for g in groups]

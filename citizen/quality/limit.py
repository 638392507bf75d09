"""The influence limit as a constraint on the consensus itself, not only a flag after it.

The organiser's `influence_limit` (controls) says how large a share of the decided results one voter (an account, or
accounts counted as one) or one group of accounts (detected, or sharing a burst, a device, a network) may change.
The influence report (citizen.quality.influence) measures it: each is left out and the consensus fitted again.
A Dawid-Skene posterior can be sure of a result that still rests on one party: on a real set (zencrowd, no attacker
at all) one honest volunteer who answered nearly every task was the yardstick the model measured everyone else
against, and fitting again without them changed 3 % of the decided results; on bluebirds with unlinked spammers in
the data, one honest volunteer did the same through the others' fitted reliabilities.

So the consensus is bounded: after the fit, the report is computed; every group above the limit has the
weight of its votes scaled down (by the ratio of the limit to its share, at most halved and at least a tenth of
what it had each round) and the same model is fitted again; up to ROUNDS times. Their answers are kept; they count
for less. What the report then shows is measured on the consensus that is published, in the same way as before
(the same leave-one-out, the same "decided"): nothing is redefined to make the limit hold. A voter or group still
above the limit after the last round is flagged to moderators as before.

Single voters are never scaled: an honest volunteer who answered nearly every task well is what a good consensus
rests on (scaling such voters down took zencrowd from 0.90 to 0.80, below majority vote); what keeps one of them
from deciding alone is the margin a decided result needs (aggregate.hinges: two votes). Sets of half of the voters
and half of the answers or more are not scaled either: they are the crowd, not a party in it (a campaign whose volunteers all arrived in
one burst; scaling everyone alike only makes every result less sure). Both stay in the report.
"""
import numpy as np

from citizen.quality.aggregate import hinges
from citizen.quality.choose import _fit
from citizen.quality.influence import report

ROUNDS = 4        # fits again with smaller weights at most this many times
SLOWEST = 0.5     # each round a party above the limit keeps at most this share of its factor
FASTEST = 0.1     # and at least this share
CROWD = 0.5       # sets with this share of the voters and of the answers are never scaled


def bounded(agg, t, v, l, n_tasks, n_voters, k, gold, factor, voters, groups, limit, confidence, rounds=ROUNDS):
    """(consensus, factor per voter, influence rows, hinges) with every checked group of accounts at or below `limit`
    where `rounds` of scaling could bring it there. `agg` is the first fit (its model is kept); `voters` and `groups`
    are what the influence report checks (pipeline.run chooses them)."""
    factor = np.asarray(factor, float).copy()
    per_voter = np.bincount(v, minlength=n_voters)
    active, total = int((per_voter > 0).sum()), int(per_voter.sum())
    for round_ in range(rounds + 1):
        rests = hinges(agg, t, v, l)
        rows = report(agg, t, v, l, n_tasks, n_voters, k, gold=gold, confidence=confidence, voters=voters,
                      groups=groups, factor=factor, hinges=rests)
        over = [r for r in rows if r.kind != "voter" and r.share > limit
                and not _crowd(r.voters, per_voter, active, total) and (factor[r.voters] > 0).any()]
        if not over or round_ == rounds or limit <= 0:
            return agg, factor, rows, rests
        scale = np.ones(n_voters)
        for r in over:
            step = min(SLOWEST, max(FASTEST, limit / r.share))
            scale[r.voters] = np.minimum(scale[r.voters], step)
        factor = factor * scale
        scores = agg.scores
        agg = _fit(agg.model, t, v, l, n_tasks, n_voters, k, gold, factor, start=agg.posteriors)
        agg.scores = scores


def _crowd(voters, per_voter, active, total):
    """Is this set the crowd rather than a party in it: half of the voters or more and half of the answers or more?
    Both: many accounts with few answers each (hunters skipping to their targets) or few accounts answering a lot
    are a party."""
    return len(voters) >= CROWD * active and per_voter[voters].sum() >= CROWD * total

"""The unanimous rule: a small task every counted voter answered alike is decided, with the model or without it.

The consensus model (citizen.quality.aggregate) gives no weight to a volunteer with fewer than five answers, so on a
young campaign, or one without known-answer tasks, three volunteers who all gave the same answer left a task
undecided. The rule stated in the methodology note: a task is decided "unanimously" when at least MIN_VOTERS
distinct voters counted on it and every counted vote on it gave the same answer.

Who counts is what the anti-skew rules leave standing (the voters here are those of citizen.quality.pipeline, after
linked accounts were collapsed into one voter each, so a ring of accounts is one voter, never three):

- a voter whose factor is below full (a group muted for coordinated deviation: 0; skip-hunting, or a group scaled
  down by the influence limit) is not one of the MIN_VOTERS; a muted voter's (factor 0) vote is ignored, any other
  vote that disagrees breaks the unanimity;
- a voter the model found wanting on the evidence it had (zero weight with SEASONED answers or more: at or below
  chance, or far better on known-answer tasks than elsewhere) is not one of them either;
- answers that carry no weight on the hot path (suspended accounts, too fast, a second answer from one device) never
  reach the pipeline (citizen.campaigns.batch leaves them out), and answers over a per-account cap are never taken.

Nothing here touches the database; the pipeline calls `decided` once per consensus (pure numpy, O(answers)).
"""
import numpy as np

MIN_VOTERS = 3   # distinct counted voters that must agree (the two-vote margin of a decided result: aggregate.hinges)
SEASONED = 5     # answers after which a voter's zero weight is the model's verdict (aggregate.fit's min_evidence)
FULL = 1.0 - 1e-9


def decided(t, v, l, n_tasks, factor, weight, min_voters=MIN_VOTERS, seasoned=SEASONED):
    """Per task (an int array of n_tasks): the label the unanimous rule decides (see the module docstring), or -1 where
    it decides nothing. `t`, `v`, `l` are
    the collapsed answers (one per voter and task), `factor` each voter's factor in [0, 1] (as the consensus used
    it), `weight` each voter's weight in the fitted model."""
    t, v, l = (np.asarray(a, dtype=np.int64) for a in (t, v, l))
    out = np.full(n_tasks, -1, dtype=np.int64)
    if not len(t) or not n_tasks:
        return out
    factor = np.asarray(factor, float)
    weight = np.asarray(weight, float)
    answers = np.bincount(v, minlength=len(factor))
    wanting = (weight <= 0) & (answers >= seasoned)
    heard = factor[v] > 0                      # muted voters' votes are ignored altogether
    counted = heard & (factor[v] >= FULL) & ~wanting[v]
    t, l, counted = t[heard], l[heard], counted[heard]
    if not len(t):
        return out
    lowest = np.full(n_tasks, np.iinfo(np.int64).max)
    highest = np.full(n_tasks, -1)
    np.minimum.at(lowest, t, l)
    np.maximum.at(highest, t, l)
    voters = np.bincount(t[counted], minlength=n_tasks)
    return np.where((highest >= 0) & (lowest == highest) & (voters >= min_voters), highest, -1)

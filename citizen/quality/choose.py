"""Which consensus model a campaign uses, chosen with its own gold tasks (cross-fitted).

No one model is best on every crowd (citizen.quality.aggregate), and the answers alone cannot tell which one is
right: the held-out likelihood of the answers picked the wrong model on a real set (issue 16). The gold tasks can:
each candidate is fitted with part of the gold held out (not clamped), and scored by how many held-out gold
tasks it gets right, each against the best so far in the order of `aggregate.MODELS` (Dawid-Skene first, the
reference a campaign's consensus must not fall below), then majority vote. A model wins by more right answers than
the noise of the tasks on which the two differ (paired, McNemar-like): with a hundred gold tasks a one-task lead
is noise (majority vote led one-coin by one on zencrowd and was 5 points worse). Within the noise a clearly
higher held-out gold log-likelihood (`LL_MARGIN` nats) wins, except for majority vote, whose vote shares are not a
probability model (underconfident, so "likely" on five gold tasks while 13 points worse on bluebirds).
Majority vote is a candidate too: it is what the others must beat.

Voters far better on gold than elsewhere (aggregate.gold_aware: they know which tasks are gold) are left out of
every candidate first: they would make whichever model trusts them look good on the gold.
With no gold (or too little to hold any out) the first model is used.
"""
import numpy as np

from citizen.quality.aggregate import MODELS, Aggregate, _clamp, fit, gold_aware, majority

FOLDS = 5
Z = 1.0           # a model must win by this many standard deviations of the paired difference
LL_MARGIN = 3.0   # nats of held-out gold log-likelihood a later model needs over an earlier one at equal accuracy
CANDIDATES = MODELS + ("mv",)


def _folds(gold):
    """Split the gold tasks into at most FOLDS held-out parts, the same for the same gold whatever the order."""
    idx, cls = (np.asarray(a, dtype=np.int64) for a in gold)
    order = np.argsort(idx)
    idx, cls = idx[order], cls[order]
    n = min(FOLDS, len(idx))
    rank = np.random.default_rng(len(idx)).permutation(len(idx)) % n
    return [((idx[rank != f], cls[rank != f]), (idx[rank == f], cls[rank == f])) for f in range(n)]


def _fit(model, t, w, l, n_tasks, n_workers, k, gold, factor, **kw):
    if model == "mv":
        post = _mv_posterior(t, w, l, n_tasks, k, factor)
        public = post.copy()
        post = _clamp(post, gold)
        weight = np.where(np.bincount(w, minlength=n_workers) > 0, 1.0, 0.0) * factor
        return Aggregate(post, np.zeros((n_workers, k, k)), weight, 1, public=public, model="mv", votes=None)
    return fit(t, w, l, n_tasks, n_workers, k, model=model, gold=gold, factor=factor, **kw)


def _mv_posterior(t, w, l, n_tasks, k, factor):
    """Majority vote as a posterior: vote shares smoothed by half a vote per label (scores its likelihood)."""
    share = majority(t, l, n_tasks, k, factor=factor, w=w)
    votes = np.bincount(t, weights=factor[w], minlength=n_tasks)
    return (share * votes[:, None] + 0.5) / (votes[:, None] + 0.5 * k)


def score(t, w, l, n_tasks, n_workers, k, gold, factor=None, candidates=CANDIDATES, **kw):
    """{model: (per held-out gold task: right (ties count their share), log-likelihood of the gold answer)}."""
    factor = np.ones(n_workers) if factor is None else np.asarray(factor, float)
    out = {}
    for model in candidates:
        right, ll = [], []
        for train, test in _folds(gold):
            post = _fit(model, t, w, l, n_tasks, n_workers, k, train, factor, **kw).posteriors[test[0]]
            rows = np.arange(len(test[1]))
            ties = post >= post.max(1, keepdims=True) - 1e-12
            right.append(ties[rows, test[1]] / ties.sum(1))
            ll.append(np.log(np.clip(post[rows, test[1]], 1e-6, 1.0)))
        order = np.argsort(np.concatenate([test[0] for _train, test in _folds(gold)]))
        out[model] = (np.concatenate(right)[order], np.concatenate(ll)[order])
    return out


def _beats(b, a, scores):
    """Does model b beat model a on the held-out gold? By more right answers than the noise of the tasks where they
    differ (a paired, McNemar-like comparison); within that noise by a clearly higher gold log-likelihood, where
    majority vote (vote shares, not a probability model) never wins a tie."""
    diff = scores[b][0] - scores[a][0]
    gain, noise = float(diff.sum()), Z * float(np.sqrt(np.abs(diff).sum()))
    if gain > noise:
        return True
    if gain < -noise or b == "mv":
        return False
    if a == "mv":
        return True
    return float(scores[b][1].sum()) > float(scores[a][1].sum()) + LL_MARGIN


def pick(scores):
    """The model the held-out gold prefers: each candidate in turn against the best so far (see `_beats`)."""
    best = None
    for model in scores:
        if best is None or _beats(model, best, scores):
            best = model
    return best


def summary(scores):
    """{model: [gold right, gold log-likelihood]} for the report."""
    return {m: [round(float(r.sum()), 3), round(float(ll.sum()), 3)] for m, (r, ll) in scores.items()}


def aggregate(t, w, l, n_tasks, n_workers, k, gold=None, factor=None, candidates=CANDIDATES, **kw):
    """The consensus of a campaign's answers: the model its gold picks, fitted with every gold task clamped.
    Returns an Aggregate whose `scores` say how each candidate did on the held-out gold."""
    t, w, l = (np.asarray(a, dtype=np.int64) for a in (t, w, l))
    factor = np.ones(n_workers) if factor is None else np.asarray(factor, float)
    scores = {}
    model = candidates[0]
    if gold is not None and len(gold[0]):
        # Voters who know the gold would make any model that trusts them look good on it: out of every candidate.
        first = fit(t, w, l, n_tasks, n_workers, k, model="hds", gold=gold, factor=factor, **kw)
        factor = np.where(gold_aware(t, w, l, first.posteriors, gold, n_workers), 0.0, factor)
    if gold is not None and len(gold[0]) >= 2 and len(candidates) > 1:
        per_task = score(t, w, l, n_tasks, n_workers, k, gold, factor, candidates, **kw)
        model, scores = pick(per_task), summary(per_task)
    agg = _fit(model, t, w, l, n_tasks, n_workers, k, gold, factor, **kw)
    agg.scores = scores
    return agg

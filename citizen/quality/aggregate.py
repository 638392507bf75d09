"""Batch consensus models on arrays: Dawid-Skene, hierarchical Dawid-Skene and one-coin, by EM (vectorised numpy).

Dawid & Skene (1979) learn, for every contributor, a confusion matrix (how often they say l when the truth is k)
and, for every task, the posterior over the true answer, by EM. crowd-kit's `DawidSkene` is the reference
implementation (780 MB with its dependencies, so not shipped); tests check this one against the published figure
on the bluebirds data and against a plain loop implementation.

No one model wins on every real crowd set (measured on four, issue 16): full confusion matrices win where
workers have biases of their own (bluebirds), one accuracy per worker wins where most workers give a few answers
(zencrowd), shrinking each matrix toward the pooled one wins with many labels (music genres). So the models here
are candidates; citizen.quality.choose picks one per campaign with its gold tasks.

- "ds": each worker's confusion matrix with a flat Dirichlet prior (`alpha`).
- "hds": each worker's matrix shrunk toward the pooled confusion of everyone, with `beta` pseudo-answers: a
  worker with few answers looks like the crowd, one with many like themself.
- "onecoin": one accuracy per worker (errors spread evenly over the other labels), Beta prior toward the pooled
  accuracy.

What we add for anti-skew (citizen's rules, see DESIGN and the anti-skew issues):
- Gold tasks are clamped to their known answer while fitting; `public` is also computed: each task's posterior
  from the crowd's votes alone, so results can be shown without revealing which tasks are gold.
- One vote moves the log-odds between any two answers by at most `max_weight` (the low entries of the vote's
  likelihood column are floored at its top minus `max_weight`): no single contributor, however consistent they
  look, decides a task against several agreeing others. The floor keeps the top of the column, so with ten
  labels a good worker still tells the right one from the nine others (centred clipping did not: issue 16).
- Contributors at or below chance (balanced accuracy <= 1/K + margin), contributors with fewer than
  `min_evidence` answers and contributors far better on gold than elsewhere (they know which tasks are gold:
  `gold_aware`) get zero weight, and the model is fitted again without them: their votes are kept but
  do not count. Below-chance contributors are not "inverted" (a saboteur must gain nothing by being wrong).
- Each worker's votes may be scaled by a factor in [0, 1] (`factor`: e.g. skip-hunting lowers it).
- EM starts from the (gold-clamped) majority vote, stops when the log-likelihood and the posteriors settle, and
  reports its iterations; fitted on the same answers in another order it gives the same result.
"""
from dataclasses import dataclass, field

import numpy as np

MODELS = ("ds", "hds", "onecoin")


@dataclass
class Aggregate:
    posteriors: np.ndarray   # (n_tasks, K) probability of each answer, gold clamped
    confusion: np.ndarray    # (n_workers, K, K) P(says l | truth k)
    weight: np.ndarray       # (n_workers,) clipped log-odds of balanced accuracy; 0 = does not count
    iterations: int
    public: np.ndarray = None        # (n_tasks, K) the crowd's own posterior, gold not clamped
    model: str = "ds"
    converged: bool = True
    loglik: float = 0.0
    scores: dict = field(default_factory=dict)  # model choice: {model: (gold correct, gold log-likelihood)}
    votes: np.ndarray = None         # (n_workers, K truth, K said) what one vote adds to a task's log-odds (x factor)

    @property
    def labels(self):
        return self.posteriors.argmax(1)

    @property
    def confidence(self):
        return self.posteriors.max(1)


def majority(t, l, n_tasks, k, factor=None, w=None):
    """Vote shares per task (uniform where nobody voted); votes weighted by their worker's factor if given."""
    post = np.zeros((n_tasks, k))
    weights = None if factor is None else np.asarray(factor, float)[w]
    np.add.at(post, (t, l), 1.0 if weights is None else weights)
    post[post.sum(1) == 0] = 1.0
    return post / post.sum(1, keepdims=True)


def _clamp(post, gold):
    if gold is not None and len(gold[0]):
        idx, cls = gold
        post[idx] = 0.0
        post[idx, cls] = 1.0
    return post


def _confusion(model, t, w, l, post, n_workers, k, alpha, beta):
    """M-step: each worker's confusion matrix from the current posteriors."""
    counts = np.zeros((n_workers, k, k))
    for truth in range(k):  # (worker, truth, said) by bincount: np.add.at is slow on large arrays
        counts[:, truth, :] = np.bincount(w * k + l, weights=post[t, truth],
                                          minlength=n_workers * k).reshape(n_workers, k)
    if model == "ds":
        conf = counts + alpha
    elif model == "hds":
        pooled = counts.sum(0) + alpha
        pooled /= pooled.sum(1, keepdims=True)
        conf = counts + beta * pooled[None]
    else:  # onecoin
        right = np.trace(counts, axis1=1, axis2=2)
        total = counts.sum((1, 2))
        pooled = (right.sum() + 1.0) / (total.sum() + 2.0)
        p = (right + beta * pooled) / (total + beta)
        off = (1.0 - p) / max(k - 1, 1)
        conf = np.repeat(off[:, None, None], k, 1).repeat(k, 2)
        conf[:, np.arange(k), np.arange(k)] = p[:, None]
        return conf
    return conf / conf.sum(2, keepdims=True)


def _vote_table(conf, max_weight):
    """log P(said l | truth k), each column floored at its top minus max_weight."""
    logc = np.log(np.clip(conf, 1e-300, None))
    if np.isfinite(max_weight):
        top = logc.max(1, keepdims=True)
        logc = np.maximum(logc, top - max_weight)
    return logc


def _estep(t, w, l, n_tasks, k, logc, log_prior, factor):
    logp = np.tile(log_prior, (n_tasks, 1))
    scale = factor[w]
    for truth in range(k):
        logp[:, truth] += np.bincount(t, weights=scale * logc[w, truth, l], minlength=n_tasks)
    top = logp.max(1, keepdims=True)
    norm = top[:, 0] + np.log(np.exp(logp - top).sum(1))
    return np.exp(logp - norm[:, None]), logp, norm


def _loglik(logp, norm, gold):
    """Marginal log-likelihood of the votes (gold tasks: of their known answer)."""
    ll = norm.copy()
    if gold is not None and len(gold[0]):
        ll[gold[0]] = logp[gold[0], gold[1]]
    return float(ll.sum())


def balanced_accuracy(conf):
    k = conf.shape[1]
    return np.trace(conf, axis1=1, axis2=2) / k


def _em(model, t, w, l, n_tasks, n_workers, k, gold, factor, post, max_iter, tol, alpha, beta, max_weight):
    """EM from `post` until the log-likelihood and the posteriors settle. Returns (post, conf, logc, prior, it,
    converged, ll)."""
    ll, it, converged = -np.inf, 0, False
    conf = logc = log_prior = None
    for it in range(1, max_iter + 1):
        prior = (post.sum(0) + 1.0) / (n_tasks + k)
        log_prior = np.log(prior)
        conf = _confusion(model, t, w, l, post, n_workers, k, alpha, beta)
        logc = _vote_table(conf, max_weight)
        new, logp, norm = _estep(t, w, l, n_tasks, k, logc, log_prior, factor)
        new = _clamp(new, gold)
        new_ll = _loglik(logp, norm, gold)
        delta = np.abs(new - post).max() if n_tasks else 0.0
        post = new
        if delta < tol and abs(new_ll - ll) <= tol * max(1.0, abs(new_ll)):
            converged = True
            ll = new_ll
            break
        ll = new_ll
    return post, conf, logc, log_prior, it, converged, ll


def gold_aware(t, w, l, post, gold, n_workers, p_value=1e-4, min_other=5):
    """Workers far better on the gold tasks than elsewhere: gold tasks are drawn at random, so an honest worker
    is as good on them as on the rest; one who is right on gold and disagrees with the consensus elsewhere knows
    which tasks are gold (a leak, notes shared by colluders). A binomial test of their gold answers against their
    agreement with the consensus on the other tasks."""
    flagged = np.zeros(n_workers, bool)
    if gold is None or not len(gold[0]) or not len(t):
        return flagged
    from scipy import stats
    known = np.full(post.shape[0], -1)
    known[gold[0]] = gold[1]
    on_gold = known[t] >= 0
    right = np.bincount(w[on_gold], weights=(l[on_gold] == known[t[on_gold]]), minlength=n_workers)
    n_gold = np.bincount(w[on_gold], minlength=n_workers)
    agree = np.bincount(w[~on_gold], weights=post[t[~on_gold], l[~on_gold]], minlength=n_workers)
    n_other = np.bincount(w[~on_gold], minlength=n_workers)
    base = (agree + 1.0) / (n_other + 2.0)
    check = (n_other >= min_other) & (right > 0)
    p = np.ones(n_workers)
    p[check] = stats.binom.sf(right[check] - 1, n_gold[check], base[check])
    # Only those who mostly disagree elsewhere: with many labels an honest worker's agreement with an uncertain
    # consensus is low too, but not below one half while right on gold.
    return check & (p < p_value) & (base < 0.5) & (right / np.maximum(n_gold, 1) - base > 0.4)


def fit(t, w, l, n_tasks, n_workers, k, model="ds", gold=None, answer_weight=None, factor=None, start=None,
        max_iter=300, tol=1e-6, alpha=1.0, beta=10.0, max_weight=3.0, min_evidence=5, chance_margin=0.0):
    """Fit one model on answers given as parallel integer arrays: task index `t`, worker index `w`, label `l`
    (0..k-1). `gold` is (task indices, labels) or None; `answer_weight` an array (0: the answer takes no part);
    `factor` a weight in [0, 1] per worker; `start` a (n_tasks, K) posterior to start from (default: the
    majority vote). Returns an Aggregate."""
    t, w, l = (np.asarray(a, dtype=np.int64) for a in (t, w, l))
    if answer_weight is not None:
        keep = np.asarray(answer_weight) > 0
        t, w, l = t[keep], w[keep], l[keep]
    factor = np.ones(n_workers) if factor is None else np.clip(np.asarray(factor, float), 0.0, 1.0)
    # Muted workers (factor 0) take no part in the fit: their votes neither count, nor start the EM, nor shape
    # the others' matrices (with "hds" and "onecoin", the pooled confusion everyone is shrunk toward: a muted
    # block always giving one label pulled every honest matrix toward that label, issue 16).
    live = factor[w] > 0
    post = _clamp(majority(t[live], l[live], n_tasks, k, factor=factor, w=w[live]) if start is None
                  else np.array(start, float), gold)
    evidence = np.bincount(w, minlength=n_workers)
    post, conf, logc, log_prior, it, converged, ll = _em(
        model, t[live], w[live], l[live], n_tasks, n_workers, k, gold, factor, post, max_iter, tol, alpha, beta,
        max_weight)
    dead = (balanced_accuracy(conf) <= 1.0 / k + chance_margin) | (evidence < min_evidence) | \
        gold_aware(t, w, l, post, gold, n_workers)
    if dead.any() and (factor[dead] > 0).any():
        # Fit again without them (from where we are): their votes neither count nor shape the others' matrices.
        factor = np.where(dead, 0.0, factor)
        live = factor[w] > 0
        post, conf, logc, log_prior, it2, converged, ll = _em(
            model, t[live], w[live], l[live], n_tasks, n_workers, k, gold, factor, post, max_iter, tol, alpha,
            beta, max_weight)
        it += it2
    muted = dead | (factor == 0)
    if muted.any():
        conf_all = _confusion(model, t, w, l, post, n_workers, k, alpha, beta)
        conf = np.where(muted[:, None, None], conf_all, conf)  # report the muted workers' matrices as seen
    public, _logp, _norm = _estep(t, w, l, n_tasks, k, logc, log_prior, factor)
    balanced = balanced_accuracy(conf) if n_tasks else np.zeros(n_workers)
    odds = np.log(np.clip(balanced, 1e-6, 1 - 1e-6) / np.clip(1 - balanced, 1e-6, 1))
    weight = np.clip(odds - np.log((1.0 / k) / (1 - 1.0 / k)), 0.0, max_weight) * factor
    weight[dead] = 0.0
    return Aggregate(post, conf, weight, it, public=public, model=model, converged=converged, loglik=ll,
                     votes=logc * factor[:, None, None])


def dawid_skene(t, w, l, n_tasks, n_workers, k, gold=None, answer_weight=None, max_iter=100, tol=1e-5,
                alpha=1.0, max_weight=3.0, min_evidence=5, chance_margin=0.05, factor=None):
    """Dawid-Skene with citizen's rules (see the module docstring); kept for callers that want this model."""
    return fit(t, w, l, n_tasks, n_workers, k, model="ds", gold=gold, answer_weight=answer_weight, factor=factor,
               max_iter=max_iter, tol=tol, alpha=alpha, max_weight=max_weight, min_evidence=min_evidence,
               chance_margin=chance_margin)


MARGIN_VOTES = 2  # a decided result stays ahead without this many of its strongest votes


def hinges(agg, t, w, l, depth=MARGIN_VOTES):
    """Tasks whose most likely answer (by the crowd's own posterior) changes, or ties, without `depth` of their
    votes, the strongest against each rival answer: such a result rests on one or two voters and is not called
    decided however confident. One vote is not margin enough: fitted again without one heavy voter, the others'
    weights move too (they were measured partly against that voter), and on real sets results one vote short of
    that margin were the ones that turned (issue 16: 56 of the 58 results one honest volunteer of zencrowd could
    flip). Vectorised: for each rival answer, the votes' contributions to the lead over it, the largest `depth`
    per task taken out of the task's log-posterior."""
    t, w, l = (np.asarray(a, dtype=np.int64) for a in (t, w, l))
    public = agg.public if agg.public is not None else agg.posteriors
    n_tasks, k = public.shape
    if not len(t):
        return np.zeros(n_tasks, bool)
    rows = np.arange(len(t))
    if agg.votes is None:  # majority vote: each vote adds one to its label's count
        score = np.zeros(public.shape)
        np.add.at(score, (t, l), 1.0)
        contrib = np.zeros((len(t), k))
        contrib[rows, l] = 1.0
    else:
        score = np.log(np.clip(public, 1e-300, None))
        contrib = agg.votes[w, :, l]
    top = score.argmax(1)
    lead = contrib[rows, top[t]][:, None] - contrib   # (votes, rival): how much each vote adds to the lead
    margin = score[np.arange(n_tasks), top][:, None] - score
    out = np.zeros(n_tasks, bool)
    for rival in range(k):
        col = lead[:, rival]
        idx = np.lexsort((-col, t))                   # votes by task, strongest first
        ts, cs = t[idx], col[idx]
        start = np.r_[0, np.flatnonzero(np.diff(ts)) + 1]
        rank = np.arange(len(ts)) - np.repeat(start, np.diff(np.r_[start, len(ts)]))
        take = (rank < depth) & (cs > 0)
        removed = np.bincount(ts[take], weights=cs[take], minlength=n_tasks)
        out |= (margin[:, rival] - removed <= 1e-12) & (top != rival)
    return out & (np.bincount(t, minlength=n_tasks) > 0)


def collapse_clusters(t, w, l, cluster_of):
    """Replace the members of each cluster by one voter: on each task the cluster votes once,
    with its members' most common answer (ties: the smallest label). `cluster_of` maps worker
    index -> voter index (singletons map to themselves, renumbered). Returns (t, w, l, n_voters)."""
    voter = np.asarray(cluster_of, dtype=np.int64)[np.asarray(w, dtype=np.int64)]
    k = int(np.max(l)) + 1 if len(l) else 1
    n_v = int(np.max(cluster_of)) + 1 if len(cluster_of) else 1
    key = np.asarray(t, dtype=np.int64) * n_v + voter
    uniq, inv = np.unique(key, return_inverse=True)
    votes = np.zeros((len(uniq), k))
    np.add.at(votes, (inv, np.asarray(l, dtype=np.int64)), 1.0)
    return uniq // n_v, uniq % n_v, votes.argmax(1), int(n_v)

"""Batch consensus: Dawid-Skene with gold clamped and bounded vote weights (vectorised numpy).

Dawid & Skene (1979) learn, for every contributor, a confusion matrix (how often they say l when
the truth is k) and, for every task, the posterior over the true answer, by EM. crowd-kit's
`DawidSkene` is the reference implementation (780 MB with its dependencies, so not shipped);
tests check this one against the published figure on the bluebirds data and against a plain
loop implementation, and `benchmarks/aggregate.py` compares speed and accuracy with crowd-kit
when it is installed.

What we add for anti-skew (citizen's rules, see DESIGN and the anti-skew issue):
- Gold tasks are clamped to their known answer in every iteration.
- A vote's log-likelihood contribution is clipped to [-max_weight/2, max_weight/2] around the
  contributor's mean, so one vote moves a task's log-odds by at most `max_weight`: no single
  contributor, however consistent they look, decides a task against two agreeing others of
  at least half that weight.
- Contributors at or below chance (balanced accuracy <= 1/K + margin) and contributors with
  fewer than `min_evidence` answers get zero weight: their votes are kept but do not count.
  Below-chance contributors are not "inverted" (plain Dawid-Skene would use a contrarian as a
  perfect signal; a saboteur must gain nothing by being wrong on purpose).
- Answers can carry a weight of 0 (answered faster than the campaign's minimum time): they are
  stored and exported, but take no part in the estimate.
"""
from dataclasses import dataclass

import numpy as np


@dataclass
class Aggregate:
    posteriors: np.ndarray   # (n_tasks, K) probability of each answer
    confusion: np.ndarray    # (n_workers, K, K) P(says l | truth k)
    weight: np.ndarray       # (n_workers,) clipped log-odds of balanced accuracy; 0 = does not count
    iterations: int

    @property
    def labels(self):
        return self.posteriors.argmax(1)

    @property
    def confidence(self):
        return self.posteriors.max(1)


def _majority(t, l, n_tasks, k, keep):
    post = np.zeros((n_tasks, k))
    np.add.at(post, (t[keep], l[keep]), 1.0)
    empty = post.sum(1) == 0
    post[empty] = 1.0
    return post / post.sum(1, keepdims=True)


def _clamp(post, gold):
    if gold is not None:
        idx, cls = gold
        post[idx] = 0.0
        post[idx, cls] = 1.0
    return post


def dawid_skene(t, w, l, n_tasks, n_workers, k, gold=None, answer_weight=None, max_iter=100, tol=1e-5,
                alpha=1.0, max_weight=3.0, min_evidence=5, chance_margin=0.05):
    """Aggregate answers given as parallel integer arrays: task index `t`, worker index `w`,
    label `l` (0..k-1). `gold` is (task indices, labels) or None; `answer_weight` an array of 0/1
    (0: the answer takes no part). Returns an Aggregate."""
    t, w, l = (np.asarray(a, dtype=np.int64) for a in (t, w, l))
    keep = np.ones(len(t), bool) if answer_weight is None else np.asarray(answer_weight) > 0
    t, w, l = t[keep], w[keep], l[keep]
    post = _clamp(_majority(t, l, n_tasks, k, np.ones(len(t), bool)), gold)
    evidence = np.bincount(w, minlength=n_workers)
    cell = (w * k) * k + l  # index of (worker, truth=0, said=l); add truth*k for other truths
    half = max_weight / 2.0
    it = 0
    for it in range(1, max_iter + 1):
        prior = (post.sum(0) + 1.0) / (n_tasks + k)
        counts = np.stack([np.bincount(cell + truth * k, weights=post[t, truth], minlength=n_workers * k * k)
                           for truth in range(k)])  # (k truth, n_workers*k*k) with the truth offset inside
        conf = counts.sum(0).reshape(n_workers, k, k) + alpha
        conf /= conf.sum(2, keepdims=True)
        llr = np.log(conf)
        llr -= llr.mean(1, keepdims=True)
        np.clip(llr, -half, half, out=llr)
        balanced = np.trace(conf, axis1=1, axis2=2) / k
        dead = (balanced <= 1.0 / k + chance_margin) | (evidence < min_evidence)
        llr[dead] = 0.0
        logp = np.tile(np.log(prior), (n_tasks, 1))
        for truth in range(k):
            logp[:, truth] += np.bincount(t, weights=llr[w, truth, l], minlength=n_tasks)
        logp -= logp.max(1, keepdims=True)
        new = np.exp(logp)
        new /= new.sum(1, keepdims=True)
        new = _clamp(new, gold)
        delta = np.abs(new - post).max() if n_tasks else 0.0
        post = new
        if delta < tol:
            break
    balanced = np.trace(conf, axis1=1, axis2=2) / k if n_tasks else np.zeros(n_workers)
    odds = np.log(np.clip(balanced, 1e-6, 1 - 1e-6) / np.clip(1 - balanced, 1e-6, 1))
    weight = np.clip(odds - np.log((1.0 / k) / (1 - 1.0 / k)), 0.0, max_weight)
    weight[dead] = 0.0
    return Aggregate(post, conf, weight, it)


def collapse_clusters(t, w, l, cluster_of):
    """Replace the members of each cluster by one voter: on each task the cluster votes once,
    with its members' most common answer (ties: the smallest label). `cluster_of` maps worker
    index -> voter index (singletons map to themselves, renumbered). Returns (t, w, l, n_voters)."""
    voter = np.asarray(cluster_of, dtype=np.int64)[np.asarray(w, dtype=np.int64)]
    k = int(np.max(l)) + 1 if len(l) else 1
    key = (np.asarray(t, dtype=np.int64) * (voter.max() + 1 if len(voter) else 1) + voter)
    uniq, inv = np.unique(key, return_inverse=True)
    votes = np.zeros((len(uniq), k))
    np.add.at(votes, (inv, np.asarray(l, dtype=np.int64)), 1.0)
    n_v = voter.max() + 1 if len(voter) else 1
    return uniq // n_v, uniq % n_v, votes.argmax(1), int(n_v)

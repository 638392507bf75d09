"""Linked accounts: contributors that should count as one.

Two contributors are linked when
- they share a device signature (one browser making many guest accounts; see signatures.py), or
- they agree with each other far more than with everyone else: on at least `min_shared` common
  tasks they give the same answer at least `min_agreement` of the time, and that is at least
  `min_excess` above how often each of them agrees with the other contributors. Independent
  volunteers, even excellent ones, rarely agree 95 % of the time with one person while agreeing
  much less with the rest; a ring copying one script does (on the bluebirds data no two honest
  volunteers agree more than 88 % of the time).
Clusters are the connected components of those links. A cluster counts as one contributor for
caps and for weight (see aggregate.collapse_clusters).
"""
import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components


def agreement_links(t, w, l, n_workers, k, min_shared=20, min_agreement=0.95, min_excess=0.25):
    """Boolean (n_workers, n_workers) sparse matrix of pairs linked by agreement."""
    t, w, l = (np.asarray(a, dtype=np.int64) for a in (t, w, l))
    n_tasks = int(t.max()) + 1 if len(t) else 0
    counts = np.bincount(w, minlength=n_workers)
    # Only contributors with min_shared answers can be linked: the pair matrices are built for them
    # alone (most volunteers give a few answers), against everyone for the "rest" rates.
    cand = np.flatnonzero(counts >= min_shared)
    if len(cand) < 2:
        return sparse.csr_matrix((n_workers, n_workers), dtype=bool)
    ones = np.ones(len(t))
    answered = sparse.csr_matrix((ones, (w, t)), shape=(n_workers, n_tasks))
    shared_all = answered[cand] @ answered.T
    agree_all = sparse.csr_matrix((len(cand), n_workers))
    for label in range(k):
        m = l == label
        x = sparse.csr_matrix((ones[m], (w[m], t[m])), shape=(n_workers, n_tasks))
        agree_all = agree_all + x[cand] @ x.T
    own = counts[cand].astype(float)
    tot_shared = np.asarray(shared_all.sum(1)).ravel() - own  # leave each one's agreement with themself out
    tot_agree = np.asarray(agree_all.sum(1)).ravel() - own
    shared = shared_all[:, cand].toarray()
    agree = agree_all[:, cand].toarray()
    np.fill_diagonal(shared, 0)
    np.fill_diagonal(agree, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(shared > 0, agree / shared, 0.0)
        # How often each agrees with everyone else, leaving the pair's own shared tasks out.
        rest_i = (tot_agree[:, None] - agree) / np.maximum(tot_shared[:, None] - shared, 1)
        rest_j = rest_i.T
    linked = (shared >= min_shared) & (rate >= min_agreement) & (rate - np.maximum(rest_i, rest_j) >= min_excess)
    rows, cols = np.nonzero(linked)
    return sparse.csr_matrix((np.ones(len(rows), bool), (cand[rows], cand[cols])), shape=(n_workers, n_workers))


def signature_links(signature_of):
    """Pairs sharing a (non-empty) signature. `signature_of` is a list, one entry per worker."""
    n = len(signature_of)
    groups = {}
    for i, sig in enumerate(signature_of):
        if sig:
            groups.setdefault(sig, []).append(i)
    rows, cols = [], []
    for members in groups.values():
        for other in members[1:]:
            rows.append(members[0])
            cols.append(other)
    return sparse.csr_matrix((np.ones(len(rows), bool), (rows, cols)), shape=(n, n))


def clusters(t, w, l, n_workers, k, signature_of=None, **thresholds):
    """Cluster index per worker (0..n_clusters-1) and the list of clusters with more than one member."""
    links = agreement_links(t, w, l, n_workers, k, **thresholds)
    if signature_of is not None:
        links = links + signature_links(signature_of)
    _n, label = connected_components(links, directed=False)
    groups = [np.flatnonzero(label == c) for c in np.unique(label)]
    return label, [g for g in groups if len(g) > 1]

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
    ones = np.ones(len(t))
    answered = sparse.csr_matrix((ones, (w, t)), shape=(n_workers, n_tasks))
    shared = (answered @ answered.T).toarray()
    agree = np.zeros((n_workers, n_workers))
    for label in range(k):
        m = l == label
        x = sparse.csr_matrix((ones[m], (w[m], t[m])), shape=(n_workers, n_tasks))
        agree += (x @ x.T).toarray()
    np.fill_diagonal(shared, 0)
    np.fill_diagonal(agree, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(shared > 0, agree / shared, 0.0)
        # How often each agrees with everyone else, leaving the pair's own shared tasks out.
        tot_agree, tot_shared = agree.sum(1), shared.sum(1)
        rest_i = (tot_agree[:, None] - agree) / np.maximum(tot_shared[:, None] - shared, 1)
        rest_j = rest_i.T
    linked = (shared >= min_shared) & (rate >= min_agreement) & (rate - np.maximum(rest_i, rest_j) >= min_excess)
    return sparse.csr_matrix(linked)


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

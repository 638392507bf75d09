"""Batch consensus of a whole campaign from the database: answers -> linked-account clusters ->
Dawid-Skene (gold clamped, bounded weights) -> one result per task, and the influence report.

Answers are read in id order in batches (constant memory per row: a few integers), mapped to
array indices, and aggregated with numpy. Results are cached per campaign until a new answer
arrives (the key is the campaign's answer count and last answer id)."""
import json
from array import array
from collections import OrderedDict

import numpy as np
from sqlalchemy import Text, cast, func, select

from citizen.accounts.models import Contributor
from citizen.kinds import get_kind
from citizen.campaigns.models import Answer, Task
from citizen.extensions import db
from citizen.quality import controls
from citizen.quality.aggregate import collapse_clusters, dawid_skene
from citizen.quality.clusters import clusters
from citizen.quality.influence import leave_one_out

BATCH = 20_000
_cache = OrderedDict()
CACHE_SIZE = 16


class CampaignAnswers:
    """The categorical answers of one campaign as parallel arrays, with the maps back to ids."""

    def __init__(self, campaign):
        kind = get_kind(campaign.kind)
        self.labels = kind.answer_labels(campaign.settings) or []
        index = {label: i for i, label in enumerate(self.labels)}
        self.task_ids = db.session.execute(select(Task.id).where(Task.campaign_id == campaign.id)
                                           .order_by(Task.id)).scalars().all()
        task_index = {tid: i for i, tid in enumerate(self.task_ids)}
        gold = db.session.execute(select(Task.id, Task.gold).where(
            Task.campaign_id == campaign.id, Task.gold.is_not(None))).all()
        self.gold = (np.array([task_index[g.id] for g in gold if g.gold in index], dtype=np.int64),
                     np.array([index[g.gold] for g in gold if g.gold in index], dtype=np.int64)) if gold else None
        # Typed arrays, not lists: 8 bytes an answer instead of an object each (a million answers).
        workers, t, w, l, weight = {}, array("q"), array("q"), array("q"), array("d")
        # Core rows (not ORM), and each answer's JSON as stored: most answers repeat a few texts (a
        # grade and no marks), so each distinct text is decoded once. A million answers: seconds.
        query = (select(Answer.task_id, Answer.contributor_id, cast(Answer.value, Text).label("value"), Answer.weight)
                 .where(Answer.campaign_id == campaign.id).order_by(Answer.id)
                 .execution_options(yield_per=BATCH))
        decoded = {}
        for row in db.session.connection().execute(query):
            label = decoded.get(row.value, -1)
            if label == -1:
                label = index.get(kind.label_of(json.loads(row.value)))
                if len(decoded) < 10_000:
                    decoded[row.value] = label
            if label is None:
                continue
            t.append(task_index[row.task_id])
            w.append(workers.setdefault(row.contributor_id, len(workers)))
            l.append(label)
            weight.append(row.weight)
        self.contributor_ids = list(workers)
        self.t, self.w, self.l = (np.array(a, dtype=np.int64) for a in (t, w, l))
        self.weight = np.array(weight, dtype=float)
        sigs = dict(db.session.execute(select(Contributor.id, Contributor.device_sig).where(
            Contributor.id.in_(self.contributor_ids))).all()) if self.contributor_ids else {}
        self.signature_of = [sigs.get(cid) for cid in self.contributor_ids]


def _key(campaign):
    n, last = db.session.execute(select(func.count(Answer.id), func.max(Answer.id))
                                 .where(Answer.campaign_id == campaign.id)).one()
    # created_at too: ids are reused when a database is rebuilt (tests, a restore), timestamps are not.
    # data_revision: weights changed without a new answer (a suspension: citizen.exports.rows.note_change).
    return (str(db.engine.url), campaign.id, campaign.created_at, n, last,
            repr(sorted((campaign.settings or {}).get("quality", {}).items())),
            (campaign.settings or {}).get("data_revision"))


def consensus(campaign, influence=False, data=None):
    """{task_id: {"answer", "confidence", "decided"}} by Dawid-Skene over linked-account clusters,
    plus the clusters and (with influence=True) the leave-one-out report. None for kinds whose
    answers are not categorical. Given `data` (CampaignAnswers read by the caller, who may then end its
    read transaction before this computes), nothing is read from the database and nothing is cached."""
    kind = get_kind(campaign.kind)
    if not kind.answer_labels(campaign.settings):
        return None
    key = None
    if data is None:
        key = _key(campaign) + (influence,)
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        data = CampaignAnswers(campaign)
    quality = controls.of(campaign.settings)
    k, n_tasks = len(data.labels), len(data.task_ids)
    keep = data.weight > 0  # answers faster than the minimum time carry no weight
    t, w, l = data.t[keep], data.w[keep], data.l[keep]
    cluster_of, groups = clusters(t, w, l, len(data.contributor_ids), k, data.signature_of)
    ct, cv, cl, n_voters = collapse_clusters(t, w, l, cluster_of)
    if influence:
        agg, report = leave_one_out(ct, cv, cl, n_tasks, n_voters, k, gold=data.gold,
                                    confidence=quality["confidence"], voters=_top_voters(cv, n_voters))
    else:
        agg, report = dawid_skene(ct, cv, cl, n_tasks, n_voters, k, gold=data.gold), None
    answered = np.bincount(ct, minlength=n_tasks) > 0
    # Until some voter on a task has earned weight (min_evidence), fall back to the plain vote
    # share, never "decided": a new campaign still shows its leading answers.
    evidence = np.bincount(ct, weights=agg.weight[cv], minlength=n_tasks)
    votes = np.zeros((n_tasks, max(k, 1)))
    np.add.at(votes, (ct, cl), 1.0)
    results = {}
    # agg.labels and agg.confidence are computed over every task on each access: read them once.
    labels, confidences = agg.labels, agg.confidence
    gold_tasks = set(data.gold[0].tolist()) if data.gold is not None else set()
    for i, tid in enumerate(data.task_ids):
        if not answered[i]:
            continue
        if evidence[i] > 0 or i in gold_tasks:
            conf = float(confidences[i])
            results[tid] = {"answer": data.labels[int(labels[i])], "confidence": round(conf, 4),
                            "decided": conf >= quality["confidence"]}
        else:
            share = votes[i] / votes[i].sum()
            top = np.flatnonzero(share == share.max())
            results[tid] = {"answer": data.labels[int(top[0])] if len(top) == 1 else None,
                            "confidence": round(float(share.max()), 4), "decided": False}
    members = {c: [data.contributor_ids[m] for m in np.flatnonzero(cluster_of == c)] for c in range(n_voters)}
    out = {"results": results, "method": "dawid-skene",
           "clusters": [[data.contributor_ids[m] for m in g] for g in groups],
           "voter_weight": {tuple(members[v]): float(agg.weight[v]) for v in range(n_voters) if members[v]},
           "influence": None if report is None else [
               {"contributors": members[r.voter], "answers": r.answers, "flips": r.flips, "moved": r.moved,
                "share": round(r.share, 4), "flagged": r.share > quality["influence_limit"]} for r in report]}
    if key is None:
        return out
    _cache[key] = out
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return out


def _top_voters(voters, n_voters, limit=200):
    """Leave-one-out for the voters with the most answers (the only ones who could flip much)."""
    counts = np.bincount(voters, minlength=n_voters)
    order = np.argsort(-counts)
    return [int(v) for v in order[:limit] if counts[v] > 0]

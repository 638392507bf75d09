"""Batch consensus of a whole campaign from the database: answers and each contributor's signals (device, network,
arrival, import, skips) -> citizen.quality.pipeline (groups of accounts, the model the gold picks, the influence
report over voters and groups) -> one result per task.

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
from citizen.campaigns.models import Answer, Participation, Task
from citizen.accounts.signatures import pseudonym
from citizen.extensions import db
from citizen.quality import controls, pipeline

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
        self._signals(campaign)

    def _signals(self, campaign):
        """Per contributor: device and network signatures, when they arrived on the campaign (seconds), whether
        they came from the organiser's import (an external reference: vouched for), and their skips."""
        rows = {r.id: r for r in db.session.execute(
            select(Contributor.id, Contributor.device_sig, Contributor.network_sig, Contributor.external_ref,
                   Contributor.created_at, Participation.first_at, Participation.skip_count)
            .join(Participation, (Participation.contributor_id == Contributor.id)
                  & (Participation.campaign_id == campaign.id), isouter=True)
            .where(Contributor.id.in_(self.contributor_ids))).all()} if self.contributor_ids else {}
        people = [rows.get(cid) for cid in self.contributor_ids]
        self.signature_of = [r.device_sig if r else None for r in people]
        self.network_of = [r.network_sig if r else None for r in people]
        self.imported = np.array([bool(r and r.external_ref) for r in people], dtype=bool)
        # Arrival: the later of the account's creation and its first answer here (an old account arriving in a
        # burst with new ones still arrived with them).
        self.arrived = np.array([_seconds(max(r.created_at, r.first_at or r.created_at)) if r else np.nan
                                 for r in people], dtype=float)
        self.skips = np.array([(r.skip_count or 0) if r else 0 for r in people], dtype=np.int64)


def _seconds(moment):
    return moment.timestamp() if moment is not None else np.nan


def _key(campaign):
    n, last = db.session.execute(select(func.count(Answer.id), func.max(Answer.id))
                                 .where(Answer.campaign_id == campaign.id)).one()
    # created_at too: ids are reused when a database is rebuilt (tests, a restore), timestamps are not.
    # data_revision: weights changed without a new answer (a suspension: citizen.campaigns.builds.note_change).
    return (str(db.engine.url), campaign.id, campaign.created_at, n, last,
            repr(sorted((campaign.settings or {}).get("quality", {}).items())),
            (campaign.settings or {}).get("data_revision"))


def consensus(campaign, influence=False, data=None):
    """{task_id: {"answer", "confidence", "decided"}} by the model the campaign's gold picks over groups of
    accounts (each one voter), plus the groups, the model's iterations and gold scores and (with influence=True)
    the leave-one-out report over voters and groups. None for kinds whose
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
    got = pipeline.run(data.t[keep], data.w[keep], data.l[keep], n_tasks, len(data.contributor_ids), k,
                       gold=data.gold, device=data.signature_of, network=data.network_of, arrived=data.arrived,
                       imported=data.imported, skips=data.skips, influence=influence,
                       confidence=quality["confidence"], quality=quality, evidence=(data.t, data.w, data.l))
    agg, ct, cv, cl = got.aggregate, got.t, got.v, got.l
    results = _results(data, agg, ct, cv, cl, quality["confidence"], got.hinges, got.unanimous)
    members = {}
    for worker, voter in enumerate(got.cluster_of.tolist()):
        members.setdefault(voter, []).append(data.contributor_ids[worker])
    ids = lambda voters: sorted(c for v in voters for c in members.get(v, []))  # noqa: E731
    out = {"results": results, "method": agg.model, "iterations": agg.iterations, "converged": agg.converged,
           "model_scores": {m: list(s) for m, s in agg.scores.items()},
           "clusters": [[data.contributor_ids[m] for m in g.members] for g in got.groups],
           "groups": [{"contributors": [data.contributor_ids[m] for m in g.members], "reason": g.reason,
                       "coordinated": bool(g.coordinated), "evidence": g.evidence} for g in got.groups],
           "voter_weight": {tuple(members[v]): float(agg.weight[v]) for v in range(got.n_voters) if v in members},
           "influence": None if got.influence is None else [
               {"contributors": ids(r.voters), "kind": r.kind, "answers": r.answers, "flips": r.flips,
                "moved": r.moved, "share": round(r.share, 4), "flagged": r.share > quality["influence_limit"]}
               for r in got.influence]}
    if key is None:
        return out
    _cache[key] = out
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return out


METHOD = {"mv": "majority"}  # what a row says decided it: the Dawid-Skene family unless the plain vote won


def _results(data, agg, ct, cv, cl, threshold, hinges=None, unanimous=None):
    """{task_id: {"answer", "confidence", "decided", "method"}}, and for gold tasks also "public_answer" and
    "public_confidence", and the same as a row in "crowd": the crowd's own posterior without the gold clamp (what
    may be shown while the campaign is open without revealing which tasks are gold). A result resting on one or two
    votes (`hinges`, see aggregate.hinges) is not decided however confident, unless every counted voter gave it
    (`unanimous`: the label per task, or -1; citizen.quality.unanimous). `method` says what decided the row (or
    would): "gold" (a known answer), "unanimous", the model ("dawid-skene", "majority" where majority vote was the
    model) or "majority" (the plain vote share while no voter on the task has weight: never decided by itself)."""
    n_tasks, k = len(data.task_ids), max(len(data.labels), 1)
    answered = np.bincount(ct, minlength=n_tasks) > 0
    # Until some voter on a task has earned weight (min_evidence), fall back to the plain vote
    # share, never "decided": a new campaign still shows its leading answers.
    evidence = np.bincount(ct, weights=agg.weight[cv], minlength=n_tasks)
    votes = np.zeros((n_tasks, k))
    np.add.at(votes, (ct, cl), 1.0)
    labels, confidences = agg.labels, agg.confidence  # computed over every task on each access: read once
    public = agg.public if agg.public is not None else agg.posteriors
    gold_tasks = set(data.gold[0].tolist()) if data.gold is not None else set()
    unanimous = np.full(n_tasks, -1) if unanimous is None else unanimous
    model = METHOD.get(agg.model, "dawid-skene")
    results = {}
    for i, tid in enumerate(data.task_ids):
        if not answered[i]:
            continue
        if evidence[i] > 0 or i in gold_tasks:
            conf = float(confidences[i])
            results[tid] = {"answer": data.labels[int(labels[i])], "confidence": round(conf, 4),
                            "decided": conf >= threshold and (hinges is None or i in gold_tasks or not hinges[i]),
                            "method": "gold" if i in gold_tasks else model}
        else:
            share = votes[i] / votes[i].sum()
            top = np.flatnonzero(share == share.max())
            results[tid] = {"answer": data.labels[int(top[0])] if len(top) == 1 else None,
                            "confidence": round(float(share.max()), 4), "decided": False, "method": "majority"}
        if i not in gold_tasks:
            _unanimous(results[tid], unanimous[i], data.labels)
        if i in gold_tasks:
            crowd = public[i] if evidence[i] > 0 else votes[i] / votes[i].sum()
            answer, conf = data.labels[int(crowd.argmax())], round(float(crowd.max()), 4)
            row = {"answer": answer, "confidence": conf,
                   "decided": conf >= threshold and (hinges is None or not hinges[i]),
                   "method": model if evidence[i] > 0 else "majority"}
            _unanimous(row, unanimous[i], data.labels)
            results[tid].update(public_answer=row["answer"], public_confidence=row["confidence"], crowd=row)
    return results


# --- the report of a build (citizen.campaigns.builds): who was grouped and why, influence, decided -------------
def _cluster_evidence(data, members):
    idx = [data.contributor_ids.index(m) for m in members if m in data.contributor_ids]
    sigs = {data.signature_of[i] for i in idx}
    inside = np.isin(data.w, idx)
    answers = {}
    for t, w, l in zip(data.t[inside], data.w[inside], data.l[inside]):
        answers.setdefault(int(t), []).append(int(l))
    same = [len(set(v)) == 1 for v in answers.values() if len(v) > 1]
    return {"shared_device": len(sigs) == 1 and None not in sigs,
            "tasks_in_common": len(same), "agreement": round(float(np.mean(same)), 3) if same else None}


def aggregate_report(campaign, agg, limit=50, data=None):
    """The part of the report that needs every answer (clusters with their evidence, influence, decided results),
    from consensus(campaign, influence=True): built by a job (citizen.campaigns.builds), never on a request."""
    name = lambda cid: pseudonym(campaign.id, cid)  # noqa: E731
    data = data or CampaignAnswers(campaign)
    results = agg["results"].values()
    groups = agg.get("groups") or [{"contributors": m, "reason": None, "evidence": {}} for m in agg["clusters"]]
    return {"clusters": [{"members": [name(m) for m in g["contributors"]], "size": len(g["contributors"]),
                          "reason": g["reason"], "deviation": {k: v for k, v in g["evidence"].items()
                                                               if k != "shared_device"},
                          **_cluster_evidence(data, g["contributors"])} for g in groups],
            "method": agg.get("method"), "iterations": agg.get("iterations"), "converged": agg.get("converged"),
            "model_scores": agg.get("model_scores") or {},
            "influence": [{**row, "contributors": [name(m) for m in row["contributors"]]}
                          for row in (agg["influence"] or [])[:limit]],
            "decided": sum(1 for r in results if r["decided"]), "results": len(agg["results"])}


def _unanimous(row, label, labels):
    """A row the model left undecided that the unanimous rule decides: its answer, decided, method "unanimous"."""
    if label >= 0 and not row["decided"]:
        row.update(answer=labels[int(label)], decided=True, method="unanimous")

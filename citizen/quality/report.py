"""What organisers and moderators see of a campaign's quality: groups of accounts counted as one voter with their
evidence (why they were grouped: device, network or burst, and the coordinated deviation that confirmed it), the
influence report over voters and groups (each row says its kind), contributors flagged for fast answers or poor gold accuracy,
and the settings in force. Contributors appear under a stable per-campaign pseudonym."""
import hashlib
import hmac

import numpy as np
from flask import current_app
from sqlalchemy import select

from citizen.campaigns.models import Participation
from citizen.extensions import db
from citizen.quality import batch, controls


def pseudonym(campaign_id, contributor_id):
    """A stable name for a contributor within one campaign that reveals nothing about them."""
    key = current_app.config["SECRET_KEY"].encode()
    return "v-" + hmac.new(key, f"{campaign_id}:{contributor_id}".encode(), hashlib.sha256).hexdigest()[:10]


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
    from batch.consensus(campaign, influence=True): built by a job (citizen.quality.builds), never on a request."""
    name = lambda cid: pseudonym(campaign.id, cid)  # noqa: E731
    data = data or batch.CampaignAnswers(campaign)
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


def campaign_report(campaign, limit=50):
    """What the quality page, the moderation queue and GET /api/v1/campaigns/<slug>/quality show: the settings in
    force and the contributors flagged for fast answers, skips or gold accuracy (read now: a few rows per contributor),
    and the aggregate part as of the last complete build, with `build` saying when it was made and whether a newer
    one is coming (state "preparing" before the first)."""
    from citizen.quality import builds
    quality = controls.of(campaign.settings)
    out = {"settings": quality, "answer_cap": controls.answer_cap(quality, campaign.tasks_total, campaign.redundancy)}
    built = builds.report(campaign)
    if built:
        out.update(built)
        if "model_scores" not in out:  # a build made before the report carried them: its consensus has them
            out["model_scores"] = ((builds.served(campaign) or {}).get("consensus") or {}).get("model_scores") or {}
    state = builds.status(campaign)
    if state is not None:
        out["build"] = state
    name = lambda cid: pseudonym(campaign.id, cid)  # noqa: E731
    parts = db.session.execute(select(Participation).where(Participation.campaign_id == campaign.id)).scalars().all()
    out["fast"] = [{"contributor": name(p.contributor_id), "fast_answers": p.fast_count, "answers": p.answer_count}
                   for p in parts if p.fast_count >= quality["fast_flag_after"]]
    # Skip-heavy contributors (hunting for chosen tasks by skipping the rest), heaviest first, with the factor
    # their answers now weigh by (controls.skip_factor).
    out["skips"] = sorted(({"contributor": name(p.contributor_id), "skips": p.skip_count, "answers": p.answer_count,
                            "weight_factor": round(controls.skip_factor(p.answer_count, p.skip_count, quality), 3)}
                           for p in parts if controls.skip_factor(p.answer_count, p.skip_count, quality) < 1.0),
                          key=lambda r: (r["weight_factor"], -r["skips"]))[:limit]
    out["gold"] = sorted(({"contributor": name(p.contributor_id), "gold_answers": p.gold_total,
                           "reliability": round((0.5 + p.gold_correct) / (1 + p.gold_total), 3)}
                          for p in parts if p.gold_total), key=lambda g: g["reliability"])[:limit]
    return out

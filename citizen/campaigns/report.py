"""What organisers and moderators see of a campaign's quality: groups of accounts counted as one voter with their
evidence (why they were grouped: device, network or burst, and the coordinated deviation that confirmed it), the
influence report over voters and groups (each row says its kind), contributors flagged for fast answers or poor gold accuracy,
and the settings in force. Contributors appear under a stable per-campaign pseudonym (accounts.signatures.pseudonym).
The part that needs every answer is built by a job (citizen.campaigns.builds, batch.aggregate_report)."""
from sqlalchemy import select

from citizen.accounts.signatures import pseudonym
from citizen.campaigns import builds
from citizen.campaigns.models import Participation
from citizen.extensions import db
from citizen.quality import controls


def campaign_report(campaign, limit=50):
    """What the quality page, the moderation queue and GET /api/v1/campaigns/<slug>/quality show: the settings in
    force and the contributors flagged for fast answers, skips or gold accuracy (read now: a few rows per contributor),
    and the aggregate part as of the last complete build, with `build` saying when it was made and whether a newer
    one is coming (state "preparing" before the first)."""
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

"""The organiser's dashboard: progress, answers per hour, volunteers active now, and tasks stuck in
disagreement (all the answers they were meant to get, and still no decided result)."""
from sqlalchemy import select

from citizen.campaigns import tally
from citizen.kinds import get_kind
from citizen.campaigns.models import Task
from citizen.engagement import agreement, stats, updates
from citizen.extensions import db

STUCK_LIMIT = 20
CHUNK = 900


def stuck_tasks(campaign, limit=STUCK_LIMIT):
    """{"count", "tasks": [{"id", "external_id", "answers", "leading", "agreement"}]}: tasks that got as many answers
    as their redundancy, whose volunteers gave different answers so that no result is decided, and which no
    moderator settled. (A unanimous task waiting for its volunteers to earn weight is not stuck.)"""
    complete = select(Task.id, Task.external_id, Task.answer_count).where(
        Task.campaign_id == campaign.id, Task.gold.is_(None), Task.answer_count >= Task.redundancy,
        Task.consensus["override"].as_string().is_(None)).order_by(Task.id)
    agg = agreement.consensus(campaign)
    stuck = []
    if agg is not None:
        results, names = agg["results"], answer_names(campaign)
        candidates = [(tid, ref, n) for tid, ref, n in db.session.execute(complete)
                      if tid in results and not results[tid]["decided"]]
        for i in range(0, len(candidates), CHUNK):
            part = candidates[i:i + CHUNK]
            counts = dict(db.session.execute(select(Task.id, Task.consensus["counts"]).where(
                Task.id.in_([c[0] for c in part]))).all())
            for tid, ref, answers in part:
                votes = {k: v for k, v in (counts.get(tid) or {}).items() if v > 0}
                if len(votes) < 2:
                    continue
                top = max(votes.values())
                leaders = [k for k, v in votes.items() if v == top]
                stuck.append({"id": tid, "external_id": ref, "answers": answers,
                              "leading": names.get(leaders[0], leaders[0]) if len(leaders) == 1 else None,
                              "agreement": top / sum(votes.values())})
    else:  # kinds with their own notion of agreement (transcription: a field still disputed)
        kind = get_kind(campaign.kind)
        for tid, ref, answers, stored in db.session.execute(complete.add_columns(Task.result)):
            r = tally.stored(stored)  # computed when the answers came
            if kind.disputed(r):
                stuck.append({"id": tid, "external_id": ref, "answers": answers, "leading": None,
                              "agreement": r.get("share")})
    return {"count": len(stuck), "tasks": stuck[:limit]}


def answer_names(campaign):
    """{answer value: the label volunteers saw} of a categorical campaign."""
    return get_kind(campaign.kind).answer_names(campaign.settings or {})


def dashboard(campaign):
    """Everything the dashboard page shows."""
    return {"numbers": stats.campaign_numbers(campaign), "per_hour": stats.answers_per_hour(campaign),
            "active_now": stats.active_now(campaign), "stuck": stuck_tasks(campaign),
            "updates": updates.campaign_updates(campaign), "decided": _decided(campaign)}


def _decided(campaign):
    results = agreement.decided_results(campaign)
    return None if results is None else len(results)

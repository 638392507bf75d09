"""The organiser's dashboard: progress, answers per hour, volunteers active now, and tasks stuck in
disagreement (all the answers they were meant to get, and still no decided result)."""
from sqlalchemy import select

from citizen.campaigns.kinds import get_kind
from citizen.campaigns.models import Task
from citizen.engagement import agreement, stats, updates
from citizen.extensions import db
from citizen.quality import batch, controls

STUCK_LIMIT = 20


def stuck_tasks(campaign, limit=STUCK_LIMIT):
    """{"count", "tasks": [{"id", "external_id", "answers", "leading", "confidence"}]}: tasks with as many
    answers as their redundancy whose answers are split so that no result is decided, and which no moderator
    settled."""
    complete = select(Task.id, Task.external_id, Task.answer_count).where(
        Task.campaign_id == campaign.id, Task.gold.is_(None), Task.answer_count >= Task.redundancy,
        Task.consensus["override"].as_string().is_(None)).order_by(Task.id)
    agg = batch.consensus(campaign)
    stuck = []
    if agg is not None:
        results, threshold = agg["results"], controls.of(campaign.settings)["confidence"]
        names = answer_names(campaign)
        for tid, ref, answers in db.session.execute(complete):
            r = results.get(tid)
            # Not decided, and the answers are split (not merely too little evidence yet on a unanimous task).
            if r is not None and not r["decided"] and r["confidence"] < threshold:
                stuck.append({"id": tid, "external_id": ref, "answers": answers, "confidence": r["confidence"],
                              "leading": None if r["answer"] is None else names.get(r["answer"], r["answer"])})
    else:  # kinds with their own notion of agreement (transcription: a field still disputed)
        kind = get_kind(campaign.kind)
        rows = db.session.execute(complete.add_columns(Task.consensus)).all()
        for tid, ref, answers, state in rows:
            r = kind.result(state or {}, campaign.settings)
            if r.get("status", "verified" if not r.get("tied") else "disputed") != "verified":
                stuck.append({"id": tid, "external_id": ref, "answers": answers, "leading": None,
                              "confidence": r.get("share")})
    return {"count": len(stuck), "tasks": stuck[:limit]}


def answer_names(campaign):
    """{answer value: the label volunteers saw} of a categorical campaign."""
    kind = get_kind(campaign.kind)
    if getattr(kind, "grades", None):
        return {value: str(label) for value, label in kind.grades}
    return {o["value"]: o["label"] for o in (campaign.settings or {}).get("options") or [] if isinstance(o, dict)}


def dashboard(campaign):
    """Everything the dashboard page shows."""
    return {"numbers": stats.campaign_numbers(campaign), "per_hour": stats.answers_per_hour(campaign),
            "active_now": stats.active_now(campaign), "stuck": stuck_tasks(campaign),
            "updates": updates.campaign_updates(campaign), "decided": _decided(campaign)}


def _decided(campaign):
    results = agreement.decided_results(campaign)
    return None if results is None else len(results)

"""How a contributor's answers compare with the results of a campaign.

A result is the batch consensus (citizen.campaigns.batch: Dawid-Skene over linked-account clusters), or a
moderator's override. Recognition counts only decided results, so an open question never counts for or
against anyone; a volunteer's own profile also compares with complete tasks' leading answers. Answers that
carry no weight (faster than the minimum time, or from a suspended contributor) never count as agreeing.
Kinds whose answers are not categorical (transcription) have no such comparison: None.

The batch consensus reads every answer of the campaign, so pages use a snapshot of it that follows new
answers at most every STALE_SECONDS (a change of the campaign's quality settings takes effect at once)."""
import json

from sqlalchemy import select

from citizen.kinds import get_kind
from citizen.campaigns.models import Answer, Task
from citizen.engagement import stats
from citizen.extensions import db
from citizen.campaigns import disclosure
from citizen.campaigns import batch, builds

STALE_SECONDS = 300


def _key(campaign, name):
    settings = campaign.settings or {}
    return (str(db.engine.url), "agreement-" + name, campaign.id, campaign.created_at,
            repr(sorted((settings.get("quality") or {}).items())), settings.get("data_revision"))


def consensus(campaign):
    """batch.consensus(campaign) as of the campaign's last complete build (citizen.campaigns.builds)."""
    return builds.consensus(campaign)


def decided_results(campaign):
    """{task_id: answer label} of decided tasks (moderators' overrides win), or None for kinds without
    categorical answers."""
    agg = consensus(campaign)
    if agg is None:
        return None
    out = {tid: r["answer"] for tid, r in agg["results"].items() if r["decided"] and r["answer"] is not None}
    overridden = db.session.execute(select(Task.id, Task.consensus).where(
        Task.campaign_id == campaign.id, Task.consensus["override"].as_string().is_not(None))).all()
    for tid, state in overridden:
        override = (state or {}).get("override") or {}
        if override.get("answer") is not None:
            out[tid] = override["answer"]
    return out


def voter_weights(campaign):
    """{contributor_id: weight} from the batch consensus (members of a linked cluster share theirs)."""
    agg = consensus(campaign)
    if agg is None:
        return {}
    return {cid: w for members, w in agg["voter_weight"].items() for cid in members}


def contributor_agreement(campaign, contributor_id):
    """{"compared", "agreeing"} for one contributor, or None (not categorical). Compared are their answers to
    tasks whose result is decided, or complete (all the answers they were meant to get) with a leading answer:
    a volunteer of a young campaign sees how they compare before results are confidently decided."""
    agg = consensus(campaign)
    if agg is None:
        return None
    results = agg["results"]
    kind = get_kind(campaign.kind)
    mine = [Answer.contributor_id == contributor_id, Answer.campaign_id == campaign.id]
    if not disclosure.reveals_gold(campaign.status):  # a gold task's result is its known answer: not while open
        mine.append(Task.gold.is_(None))
    rows = db.session.execute(
        select(Answer.task_id, Answer.value, Answer.weight, Task.answer_count, Task.redundancy,
               Task.consensus["override"].as_string()).join(Task, Task.id == Answer.task_id).where(*mine)).all()
    compared = agreeing = 0
    for task_id, value, weight, answers, redundancy, override in rows:
        r = results.get(task_id) or {}
        expected = r.get("answer") if r.get("decided") or answers >= redundancy else None
        if override:
            expected = (json.loads(override) or {}).get("answer", expected)
        if expected is None:
            continue
        compared += 1
        agreeing += int(weight > 0 and kind.label_of(value) == expected)
    return {"compared": compared, "agreeing": agreeing}


def agreeing_counts(campaign):
    """{contributor_id: answers agreeing with a decided result} for a whole campaign, read in batches, from the
    same snapshot as the results; None for kinds without categorical answers."""
    def count():
        results = decided_results(campaign)
        if results is None:
            return None
        kind = get_kind(campaign.kind)
        counts = {}
        query = (select(Answer.task_id, Answer.contributor_id, Answer.value).where(
            Answer.campaign_id == campaign.id, Answer.weight > 0).execution_options(yield_per=batch.BATCH))
        for task_id, contributor_id, value in db.session.execute(query):
            if task_id in results and kind.label_of(value) == results[task_id]:
                counts[contributor_id] = counts.get(contributor_id, 0) + 1
        return counts
    return stats.cached(_key(campaign, "counts"), campaign, count, STALE_SECONDS)

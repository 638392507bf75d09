"""What the public may learn about a task while its campaign is open: nothing that tells gold from other tasks.

Gold (known-answer) tasks check volunteers only while nobody can tell them apart. Colluders who learnt them from
the public results (`"gold": true`, the gold label at confidence 1.0) or from per-task feedback answered them right
and were weighted as experts everywhere else (issue 16). So while a campaign is open, every public reading of a
task (API results, results.csv and the other exports) has the same fields for gold and ordinary tasks:
- no gold flag (null for every task until the campaign closes, as results.csv always did);
- the crowd's own answer and confidence on a gold task, never the known label clamped in by the batch aggregation;
- answer counts capped at the task's redundancy: gold tasks are shown to every newcomer and would otherwise stand
  out by their many answers.
The campaign's staff see everything; once the campaign is closed, so does everyone.

A volunteer's own record on gold is given as it stood at their last multiple of FEEDBACK_EVERY answers (the answer
response, the profile), never per task: see citizen.campaigns.scheduler._response.
"""
from sqlalchemy import select

from citizen.kinds import get_kind
from citizen.campaigns.models import CLOSED, Answer, Task
from citizen.extensions import db

FEEDBACK_EVERY = 10  # answers between two summaries of a volunteer's known-answer record


def reveals_gold(status, staff=False):
    """May this reader see which tasks are gold, and their true counts?"""
    return staff or status == CLOSED


def published_answers(answer_count, redundancy, reveal):
    """The answer count shown: the true one when revealed, else at most the task's redundancy."""
    return answer_count if reveal else min(answer_count, redundancy)


def published_count(count, share, answers_shown, answer_count):
    """Votes for the leading answer, scaled to the published answer count when that was capped."""
    if answers_shown >= answer_count:
        return count
    return int(round((share or 0.0) * answers_shown))


def crowd_batch_row(batch_row, stored_result, decided_at):
    """The batch row published for a gold task while the campaign is open: the crowd's answer from the task's stored
    result (the hot-path tally, which never clamps gold) with its share as confidence, unless the batch build gives
    a crowd-only row of its own (`crowd`, computed without the gold clamp)."""
    if batch_row is not None and isinstance(batch_row.get("crowd"), dict):
        return batch_row["crowd"]
    share = float(stored_result.get("share") or 0.0)
    return {"answer": stored_result.get("answer"), "confidence": round(share, 4),
            "decided": bool(stored_result.get("answer")) and share >= decided_at}


def gold_record(campaign, contributor_id, answer_count, gold_total, gold_correct):
    """(checked, agreed): a volunteer's record on gold tasks as they may see it. Once the campaign is closed, the
    live counters; while it is open, the record over their first answers up to their last multiple of
    FEEDBACK_EVERY (read from their answers: a few hundred rows at most for one person), so that looking at it
    after each answer tells nothing about the task just answered."""
    if reveals_gold(campaign.status):
        return gold_total or 0, gold_correct or 0
    upto = (answer_count or 0) // FEEDBACK_EVERY * FEEDBACK_EVERY
    if not upto or not gold_total:
        return 0, 0
    matches, settings = get_kind(campaign.kind).known_matches, campaign.settings or {}
    mine = (Answer.contributor_id == contributor_id, Answer.campaign_id == campaign.id)
    # The id of their upto-th answer (an index walk), then only their gold answers up to it are read.
    last = db.session.execute(select(Answer.id).where(*mine).order_by(Answer.id).offset(upto - 1).limit(1)).scalar()
    if last is None:
        return 0, 0
    rows = db.session.execute(select(Answer.value, Task.gold).join(Task, Task.id == Answer.task_id).where(
        *mine, Answer.id <= last, Task.gold.is_not(None)))
    checked = agreed = 0
    for value, gold in rows:
        checked += 1
        agreed += int(matches(value, gold, settings))
    return checked, agreed

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
"""
from citizen.campaigns.models import CLOSED


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

"""The one place that folds an answer into a task's tally, and the one weight rule.

Three callers fold answers: the volunteer loop (citizen.campaigns.scheduler, one answer under the task's row
lock), the answer import (citizen.campaigns.results) and a suspension or its lift (citizen.moderation.suspensions
rebuilds every task the contributor touched from all its answers, in the order they came). All three call
`weight_of` then `fold`, so the same answers give the same stored state whichever way they arrived.

Settling (`settle`): once enough independent answers agree (citizen.quality.controls.decides) the task is decided:
the hot path stops handing it out, and its published result keeps the decided answer. Answers that still come
(leases handed before, imports, a rebuild) are folded in as usual, but if they would flip the result the task is
marked under review and listed in the moderators' queue with the evidence (the tally when decided, and now).

The weight rule (`weight_of`): an answer carries weight 1 (scaled down for skip-heavy contributors:
controls.skip_factor), or 0 (kept, shown to moderators, never counted) when
- it came faster than the campaign's minimum time,
- its contributor is suspended in the campaign, or
- its contributor's device signature already has a weighted answer on this task (two guests on one device
  count once, for every kind: a categorical answer, a transcription, a map mark).
Beside the kind's own tally, a counted answer adds its contributor's gold-earned weight (`vote`) to the weighted
tally "w" that dynamic overlap reads (citizen.quality.controls).

`fold` returns the new state and the task's result computed from it by the kind (`kind.result`), which is stored
on the task (Task.result): readers (API, exports, pages, moderation) read it and never compute it. The work of one
fold is bounded by the kind's answer limits (marks per answer and per task, text lengths).
"""
from citizen.kinds import EMPTY_RESULT
from citizen.quality import controls

KEPT = ("override", "hidden")  # a moderator's keys of the state (citizen.moderation): every fold carries them over

SIGS = "d"          # state key: device signatures (shortened) with a weighted answer on the task
SIG_CHARS = 16      # 64 bits of the keyed hash: plenty to tell a task's few devices apart
COUNTED = "k"       # state key: answers that carried weight (each from another device), for controls.decides
DECIDED = "decided"  # state key: the decision of a settled task {answer, n, counts, w} (the evidence then)
REVIEW = "review"   # state key: later answers led elsewhere {n, counts}: the task waits for a moderator
SETTLED = (DECIDED, REVIEW)
# What a task with no stored result reads as (no answers yet, or a row from before results were stored).
EMPTY = EMPTY_RESULT


def short_sig(device_sig):
    return device_sig[:SIG_CHARS] if device_sig else None


def weight_of(quality, duration_ms, state=None, *, suspended=False, device_sig=None, skips=None, unseen=False):
    """The weight an answer carries in its task's tally: 1.0, or 0.0 when it came too fast, its contributor is
    suspended, it was given to a blurred item left unrevealed where such answers do not count (`unseen`:
    counts_unrevealed), or another answer from the same device already counts on the task (`state` is the task's
    tally before this answer); `skips` = (answers, skips) of the contributor scales it by controls.skip_factor."""
    if suspended or unseen or controls.is_fast(quality, duration_ms):
        return 0.0
    sig = short_sig(device_sig)
    if sig and sig in (state or {}).get(SIGS, ()):
        return 0.0
    return round(controls.skip_factor(*skips, quality), 4) if skips else 1.0


UNREVEALED = "unrevealed"  # key of the campaign's wellbeing settings: "count" or "ignore" (absent: the default)


def counts_unrevealed(settings, kind):
    """Whether an answer given to a blurred item without revealing it counts in the campaign: the organiser's choice
    (citizen.wellbeing.ratings), by default not for kinds that show images (the volunteer did not see what they
    judged), yes for the others."""
    choice = ((settings or {}).get("wellbeing") or {}).get(UNREVEALED)
    return choice == "count" if choice in ("count", "ignore") else not kind.media_fields


def unseen(revealed, settings, kind):
    """An answer's `unseen` for weight_of: given to a blurred item left unrevealed (`revealed` False; None when
    nothing was held back), in a campaign where such answers do not count."""
    return revealed is False and not counts_unrevealed(settings, kind)


def vote_of(weight, gold_total, gold_correct):
    """The gold-earned weight a counted answer adds to the weighted tally (0 for an answer that does not count)."""
    return controls.vote_weight(gold_total or 0, gold_correct or 0) if weight > 0 else 0.0


def fold(state, kind, value, weight, settings, vote=0.0, device_sig=None, with_result=True):
    """Fold one answer (already cleaned by the kind) into a task's tally. Returns (new state, result); with
    with_result=False the result is None (folding several answers: compute it once, with result_of)."""
    old = state or {}
    new = dict(kind.add_to_consensus(old, value, weight))  # kinds build their own state afresh
    new["w"] = old.get("w", {})
    sigs = old.get(SIGS)
    sig = short_sig(device_sig)
    if weight > 0 and sig and sig not in (sigs or ()):
        sigs = [*(sigs or ()), sig]
    if sigs:
        new[SIGS] = sigs
    for key in KEPT + SETTLED:  # a moderator's override or hiding, and a decision, outlive later answers
        if key in old:
            new[key] = old[key]
    if weight > 0:
        new[COUNTED] = old.get(COUNTED, 0) + 1
    elif COUNTED in old:
        new[COUNTED] = old[COUNTED]
    new = controls.add_weighted(new, kind.label_of(value), vote if weight > 0 else 0.0)
    return new, result_of(kind, new, settings) if with_result else None


def settle(state, quality, labelled):
    """After a fold: record the decision of a task whose tally just became settled (controls.decides), or, on a
    task decided earlier, mark it for review when the tally now leads elsewhere. Returns (state, newly decided?,
    newly under review?). Only kinds with fixed answers (`labelled`) are settled."""
    if not labelled or (state or {}).get("override"):
        return state, False, False
    decided = state.get(DECIDED)
    if decided is None:
        label = controls.decides(quality, state)
        if label is None:
            return state, False, False
        return {**state, DECIDED: {"answer": label, "n": state.get("n", 0), "counts": dict(state.get("counts") or {}),
                                   "w": dict(state.get("w") or {})}}, True, False
    counts = state.get("counts") or {}
    rival = max((c for label, c in counts.items() if label != decided["answer"]), default=None)
    # Another answer leads, or ties (a volunteer who changed their answer took a vote away): a moderator looks.
    if REVIEW in state or rival is None or rival < counts.get(decided["answer"], 0):
        return state, False, False
    return {**state, REVIEW: {"n": state.get("n", 0), "counts": dict(counts)}}, False, True


def decided_result(state, result):
    """The published result of a decided task: its decided answer, even when later answers lead elsewhere (the task
    is then `under_review` until a moderator settles it). Other tasks' results are unchanged."""
    decided = (state or {}).get(DECIDED)
    if not decided or result is None:
        return result
    out = dict(result)
    out["decided"] = True
    if REVIEW in state and result.get("answer") != decided["answer"]:
        counts = state.get("counts") or {}
        total = sum(counts.values()) or 1
        out.update(answer=decided["answer"], count=counts.get(decided["answer"], 0),
                   share=round(counts.get(decided["answer"], 0) / total, 4), tied=False, under_review=True)
    return out


def result_of(kind, state, settings):
    """The task's result from its state, as stored on the task (None for a task without answers); a decided task
    keeps its decided answer (decided_result)."""
    if not (state or {}).get("n"):
        return None
    if kind.spatial:  # spatial consensus: scikit-learn on a handful of points
        from citizen.quality.threads import one_thread
        with one_thread():
            return kind.result(state, settings)
    return decided_result(state, kind.result(state, settings))


def stored(result):
    """A task's stored result as readers use it (EMPTY when there is none)."""
    return result if result else EMPTY


def _participation(campaign_id, contributor_ids, *columns):
    """{contributor id: (column values...)} of these contributors' Participation rows in a campaign."""
    from sqlalchemy import select
    from citizen.campaigns.models import Participation
    from citizen.extensions import db
    ids = list(set(contributor_ids))
    out = {}
    for i in range(0, len(ids), 500):
        for row in db.session.execute(select(Participation.contributor_id, *columns).where(
                Participation.campaign_id == campaign_id, Participation.contributor_id.in_(ids[i:i + 500]))):
            out[row[0]] = tuple(row[1:])
    return out


def votes(campaign_id, contributor_ids):
    """{contributor id: (gold_total, gold_correct)} for these contributors in a campaign."""
    from citizen.campaigns.models import Participation
    return _participation(campaign_id, contributor_ids, Participation.gold_total, Participation.gold_correct)


def skips(campaign_id, contributor_ids):
    """{contributor id: (answers, skips)} for these contributors in a campaign (for controls.skip_factor)."""
    from citizen.campaigns.models import Participation
    return _participation(campaign_id, contributor_ids, Participation.answer_count, Participation.skip_count)


def device_sigs(contributor_ids):
    """{contributor id: device signature or None}."""
    from sqlalchemy import select
    from citizen.accounts.models import Contributor
    from citizen.extensions import db
    ids = list(set(contributor_ids))
    out = {}
    for i in range(0, len(ids), 500):
        out.update(db.session.execute(select(Contributor.id, Contributor.device_sig).where(
            Contributor.id.in_(ids[i:i + 500]))).all())
    return out

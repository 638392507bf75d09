"""A task's tally folded again from all its answers, in the order they came: what a suspension or its lift
(citizen.moderation.suspensions) and a volunteer changing their answer (citizen.campaigns.changes) need, since a
tally can add an answer but not take one back. The same rule as the volunteer loop weighs each answer
(citizen.campaigns.tally)."""
from sqlalchemy import select, update

from citizen.campaigns import hooks, tally
from citizen.campaigns.models import Answer, Campaign, Task
from citizen.extensions import db
from citizen.kinds import get_kind
from citizen.quality import controls

CHUNK = 500


def rebuild(task_ids):
    """The consensus and stored result of these tasks from all their answers, in the order they came, each answer
    weighed again by the one rule of citizen.campaigns.tally (too fast, suspended, a device that already counts)
    and folded in as the volunteer loop folds it; answers whose weight changed get their new weight."""
    tasks = db.session.execute(select(Task).where(Task.id.in_(task_ids)).order_by(Task.id)
                               .with_for_update()).scalars().all()
    campaigns = {c.id: c for c in db.session.execute(select(Campaign).where(
        Campaign.id.in_({t.campaign_id for t in tasks}))).scalars()}
    answers = {}
    for row in db.session.execute(select(Answer.id, Answer.task_id, Answer.contributor_id, Answer.campaign_id,
                                         Answer.value, Answer.duration_ms, Answer.weight, Answer.source,
                                         Answer.revealed, Answer.reason)
                                  .where(Answer.task_id.in_(task_ids)).order_by(Answer.id)):
        answers.setdefault(row.task_id, []).append(row)
    pairs = {(a.contributor_id, a.campaign_id) for rows in answers.values() for a in rows}
    sigs = tally.device_sigs({cid for cid, _c in pairs})
    gold, skips = {}, {}
    for camp in {c for _cid, c in pairs}:
        for cid, record in tally.votes(camp, [cid for cid, c in pairs if c == camp]).items():
            gold[(cid, camp)] = record
        for cid, record in tally.skips(camp, [cid for cid, c in pairs if c == camp]).items():
            skips[(cid, camp)] = record
    conn = db.session.connection()
    changed = {}
    for task in tasks:
        campaign = campaigns[task.campaign_id]
        kind, settings = get_kind(campaign.kind), campaign.settings or {}
        quality, suspended = controls.of(settings), hooks.suspended(conn, campaign.id)
        state = {}
        for a in answers.get(task.id, []):
            sig = sigs.get(a.contributor_id)
            # As on the volunteer loop: an answer without a live lease (no measured duration) never counted; imports
            # are the organiser's and trusted.
            weight = 0.0 if a.duration_ms is None and a.source != "import" and kind.timed else tally.weight_of(
                quality, a.duration_ms, state, suspended=a.contributor_id in suspended, device_sig=sig,
                skips=skips.get((a.contributor_id, a.campaign_id)) if a.source != "import" else None,
                unseen=tally.unseen(a.revealed, settings, kind))
            if a.reason == "not_qualified" or kind.held(a.value):  # kept, not counted (as on the volunteer loop)
                weight = 0.0
            vote = tally.vote_of(weight, *gold.get((a.contributor_id, a.campaign_id), (0, 0)))
            state, _result = tally.fold(state, kind, a.value, weight, settings, vote, sig, with_result=False)
            if weight != a.weight:
                changed.setdefault(weight, []).append(a.id)
        old = task.consensus or {}
        state.update({k: old[k] for k in tally.KEPT + tally.SETTLED if k in old})
        # A decided task keeps its decision; if the rebuilt tally now leads elsewhere, it goes to review.
        state, _new, _review = tally.settle(state, quality, task.gold is None and bool(kind.answer_labels(settings)))
        task.consensus = state
        task.result = tally.result_of(kind, state, settings)
    for weight, ids in changed.items():
        for i in range(0, len(ids), CHUNK):
            db.session.execute(update(Answer).where(Answer.id.in_(ids[i:i + CHUNK])).values(weight=weight))
    db.session.flush()

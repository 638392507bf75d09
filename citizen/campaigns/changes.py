"""A volunteer changes their answer: "Back" on the work page, to the task just answered (issue 19).

What may change, and why so little:
- only the contributor's last answer in the campaign, and only within CHANGE_MINUTES of giving it, while the
  campaign is open: "I pressed the wrong button", not a way to revise earlier work after seeing the results;
- the same rule and the same reply on every task, gold or not, decided or not, so neither a refusal nor a reply
  tells which tasks are gold or decided. On a known-answer (gold) task the first answer stays stored: it is the one
  scored (the volunteer's record, their weight in the batch consensus), and a gold task's result is known anyway,
  so a change there mends nothing and shows nothing (the profile's record does not move);
- the new value is cleaned by the kind as any answer is; the task's tally is folded again from all its answers
  (citizen.campaigns.refold) with the answer's first duration and the one weight rule, so the change weighs what
  the first answer weighed. A decided task keeps its decision: a change that would flip it, or leave it tied,
  sends it to the moderators' review, as late answers do (citizen.campaigns.tally.settle);
- a change to an answer that escalates (a person spotted) escalates at once, as a new answer would; an alert
  already sent stays with the moderators, who see the answer as it is now.
"""
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from citizen import clock
from citizen.campaigns import builds, hooks, refold
from citizen.campaigns.models import PUBLISHED, Answer, Campaign, Task
from citizen.errors import Conflict, NotFound, NotOpen
from citizen.extensions import db
from citizen.kinds import get_kind

CHANGE_MINUTES = 10


def change_answer(task_id, contributor_id, value):
    """Replace the caller's answer to `task_id` by `value`. Returns {"answer"} (the same whether anything changed,
    and on a gold task, so that a repeated change tells nothing either); raises NotFound (no such
    task, or no answer of theirs), NotOpen, Conflict (code not_last or too_late) or InvalidInput; in every such
    case nothing changes."""
    # The value's size is checked against its kind's limits before any lock, as the volunteer loop does.
    campaign = db.session.execute(select(Campaign).join(Task, Task.campaign_id == Campaign.id)
                                  .where(Task.id == task_id)).scalar_one_or_none()
    if campaign is None:
        raise NotFound(_("There is no such task."))
    kind = get_kind(campaign.kind)
    kind.check_limits(value, campaign.settings)
    task = db.session.execute(select(Task).where(Task.id == task_id).with_for_update()).scalar_one()
    answer = db.session.execute(select(Answer).where(Answer.task_id == task_id,
                                                     Answer.contributor_id == contributor_id)).scalar_one_or_none()
    if answer is None:
        raise NotFound(_("You have not answered this task."))
    if campaign.status != PUBLISHED:
        raise NotOpen()
    last = db.session.execute(select(func.max(Answer.id)).where(Answer.contributor_id == contributor_id,
                                                                Answer.campaign_id == campaign.id)).scalar()
    if answer.id != last:
        raise Conflict(_("Only your last answer can be changed."), code="not_last")
    now = clock.now()
    if now - answer.created_at > timedelta(minutes=CHANGE_MINUTES):
        raise Conflict(_("An answer can be changed for %(n)d minutes after it was given.", n=CHANGE_MINUTES),
                       code="too_late")
    clean = kind.clean_answer(value, task.payload, campaign.settings)
    out = {"answer": {"id": answer.id, "task_id": task_id, "value": clean}}
    if clean == answer.value or task.gold is not None:  # gold: the first answer is the one scored (see above)
        return out
    before = kind.label_of(answer.value)
    answer.value = clean
    db.session.flush()
    refold.rebuild([task_id])
    label, conn = kind.label_of(clean), db.session.connection()
    if (label != before and label in kind.critical(campaign.settings)
            and contributor_id not in hooks.suspended(conn, campaign.id)):  # as the volunteer loop escalates
        hooks.escalate(conn, task_id, campaign.id, answer.id, contributor_id, label, now)
    # note_change rewrites the campaign's settings: read them again under the row's lock, so that an organiser's save
    # in between is not lost. Only a change that stores something takes this lock.
    db.session.refresh(campaign, with_for_update=True)
    builds.note_change(campaign)  # no answer count says it: the open data files and the batch consensus follow
    return out

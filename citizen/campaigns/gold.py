"""Known-answer (gold) tasks marked on the manage page, beside the import's `gold` column.

A gold task checks volunteers: the scheduler mixes it in at the campaign's rate (never from the ordinary pool), the
answer is compared with the known one, and the consensus fixes the task to it. Any kind with fixed answers can have
them: the question kind (a photo or a text), and the map kinds, where the known answer is the grade (a map's marks
are not compared: a volunteer's gold record says whether they graded the place as the organiser knows it is).

Only a task nobody has answered or is answering changes: an answer given to an ordinary task was not checked, and an
answer checked against a known answer is in its volunteer's record (Participation.gold_total), which removing the
answer later would leave wrong."""
from flask_babel import gettext as _
from sqlalchemy import select

from citizen.accounts import audit
from citizen.campaigns.models import TRAINING_RAND, Task
from citizen.errors import InvalidInput
from citizen.extensions import db
from citizen.kinds import get_kind

LISTED = 200  # gold tasks the manage page lists


def choices(campaign):
    """[(answer value, label)] a task of this campaign may be given as its known answer ([] for kinds without)."""
    kind = get_kind(campaign.kind)
    names = kind.answer_names(campaign.settings or {})
    return [(value, names.get(value, value)) for value in kind.answer_labels(campaign.settings or {}) or []]


def listed(campaign):
    """The campaign's gold tasks (id, external_id, gold, answer_count), by task id, at most LISTED."""
    return db.session.execute(select(Task.id, Task.external_id, Task.gold, Task.answer_count).where(
        Task.campaign_id == campaign.id, Task.gold.is_not(None), Task.rand != TRAINING_RAND)
        .order_by(Task.id).limit(LISTED)).all()


def _task(campaign, ref, by_id=False):
    """The task named by its reference (external_id) or, failing that (or with `by_id`), its number, locked for the
    change."""
    ref = (ref or "").strip()[:200]
    if not ref:
        raise InvalidInput(_("Name the task: its reference from the import, or its number."))
    query = select(Task).where(Task.campaign_id == campaign.id).with_for_update()
    task = None if by_id else db.session.execute(query.where(Task.external_id == ref)).scalar()
    number = ref.lstrip("#")
    if task is None and number.isdigit() and len(number) < 10:
        task = db.session.execute(query.where(Task.id == int(number))).scalar()
    if task is None:
        raise InvalidInput(_("No task %(ref)s in this campaign.", ref=ref))
    if task.rand == TRAINING_RAND:  # its known answer is the training's (citizen.training)
        raise InvalidInput(_("Task %(ref)s is a training task: change it on the Training page.", ref=ref))
    if task.answer_count or task.lease_count:
        raise InvalidInput(_("Volunteers have already answered or are answering task %(ref)s: only a task nobody "
                             "has seen yet can become, or stop being, a known-answer task.", ref=ref))
    return task


def _count(campaign, delta):
    settings = dict(campaign.settings or {})
    settings["gold_count"] = max(0, int(settings.get("gold_count", 0)) + delta)
    campaign.settings = settings


def _audit(user, campaign, action, task, known):
    """The audit log's entry (never the known answer itself: moderators read the log)."""
    if user is not None:
        audit.record(user, campaign.organisation_id, action, "task", task.id, campaign_id=campaign.id,
                     before=None, after={"known_answer": known, "reference": task.external_id or ""})


def mark(campaign, ref, answer, user=None):
    """Make the task `ref` a known-answer task with `answer` (one of `choices`), written to the audit log as done by
    `user`. Returns the task."""
    kind = get_kind(campaign.kind)
    if not choices(campaign):
        raise InvalidInput(_("This kind of campaign has no fixed answers to check volunteers against."))
    try:
        answer = kind.clean_gold(answer, campaign.settings or {})
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    task = _task(campaign, ref)
    if task.gold is None:
        _count(campaign, +1)
    task.gold = answer
    task.available = False  # gold stays out of the ordinary pool: the scheduler mixes it in at the campaign's rate
    _audit(user, campaign, "mark_gold", task, True)
    db.session.flush()
    return task


def unmark(campaign, task_id, user=None):
    """Make a known-answer task an ordinary one again (into the pool when its media is ready), written to the audit
    log as done by `user`. Returns the task."""
    task = _task(campaign, str(task_id), by_id=True)
    if task.gold is not None:
        task.gold = None
        task.available = get_kind(campaign.kind).task_ready(task.payload) and task.redundancy > 0
        _count(campaign, -1)
        _audit(user, campaign, "unmark_gold", task, False)
        db.session.flush()
    return task

"""Organisers' changes to a campaign after its import: delete unanswered tasks, replace every task (a new grid)
before the first answer, close after a confirmation and reopen. Each is written to the audit log.

A task that has an answer, or is handed to a volunteer right now (a live lease), is never deleted: the delete's
own WHERE says so, so a volunteer who takes the task between the check and the delete keeps it. Files are
removed only once the deletion is committed (`remove_media`), and only files of this campaign that no remaining
task uses (the pages of one PDF share its file)."""
from flask_babel import gettext as _
from sqlalchemy import delete, exists, func, select, update

from citizen.accounts import audit
from citizen.campaigns import hooks
from citizen.campaigns.models import CLOSED, DRAFT, PUBLISHED, TRAINING_RAND, Answer, Campaign, Task
from citizen.errors import Conflict, InvalidInput
from citizen.extensions import db
from citizen.storage import media_store
from citizen.storage.media import media_keys

MAX_DELETE = 500  # task ids in one request: the form's page of tasks is smaller
LISTED = 100      # task ids kept in one audit entry


def parse_ids(values):
    """Task ids from a form (a list of strings): a clear error for anything but a bounded list of ids."""
    ids = []
    for value in values:
        value = str(value).strip()
        if not value.isdigit() or len(value) > 10 or not 0 < int(value) < 2**31:
            raise InvalidInput(_("%(value)s is not a task number.", value=value[:20]))
        ids.append(int(value))
    ids = sorted(set(ids))
    if not ids:
        raise InvalidInput(_("Select the tasks to delete."))
    if len(ids) > MAX_DELETE:
        raise InvalidInput(_("Delete at most %(n)d tasks at once.", n=MAX_DELETE))
    return ids


def has_answers(campaign):
    return db.session.execute(select(exists().where(Answer.campaign_id == campaign.id))).scalar()


def _delete(campaign, where):
    """Delete the campaign's tasks matching `where` that have no answer and no live lease; return
    (deleted rows [(id, external_id, gold)], their media keys)."""
    keep = (Task.answer_count == 0) & (Task.lease_count == 0) & (Task.rand != TRAINING_RAND)  # training: its page
    rows = db.session.execute(select(Task.id, Task.external_id, Task.gold.is_not(None), Task.payload)
                              .where(Task.campaign_id == campaign.id, where, keep)).all()
    if not rows:
        return [], set()
    ids = [r[0] for r in rows]
    keys = hooks.derived_media(campaign.id, ids)  # read before the rows go (blurred copies: wellbeing)
    done = 0
    for i in range(0, len(ids), 900):
        done += db.session.execute(delete(Task).where(Task.id.in_(ids[i:i + 900]), keep)).rowcount
    if done != len(ids):  # a volunteer took one in between: nothing of this request is kept
        db.session.rollback()
        raise Conflict(_("A volunteer has just taken one of these tasks. Nothing was deleted: try again."))
    for r in rows:
        media_keys(campaign.id, r[3], keys)
    gold = sum(1 for r in rows if r[2])
    db.session.execute(update(Campaign).where(Campaign.id == campaign.id).values(
        tasks_total=Campaign.tasks_total - len(rows)))
    if gold:
        settings = dict(campaign.settings or {})
        settings["gold_count"] = max(0, int(settings.get("gold_count", 0)) - gold)
        campaign.settings = settings
    db.session.flush()
    db.session.refresh(campaign)
    return [(r[0], r[1], r[2]) for r in rows], keys


def _unused(campaign, keys):
    """The keys no remaining task of the campaign refers to."""
    if not keys:
        return set()
    used = hooks.derived_media(campaign.id)
    for payload in db.session.execute(select(Task.payload).where(Task.campaign_id == campaign.id)
                                      .execution_options(yield_per=2000)).scalars():
        media_keys(campaign.id, payload, used)
    return keys - used


def _names(rows):
    return [ref or f"#{tid}" for tid, ref, _gold in rows[:LISTED]]


def delete_tasks(user, campaign, ids):
    """Delete these tasks of the campaign, all or none. Tasks with answers or handed out right now are refused
    with one line each. Returns (number deleted, media keys to remove once committed)."""
    found = {r.id: r for r in db.session.execute(select(Task.id, Task.external_id, Task.answer_count,
                                                         Task.lease_count, Task.rand)
                                                  .where(Task.campaign_id == campaign.id, Task.id.in_(ids))).all()}
    problems = []
    for tid in ids:
        row = found.get(tid)
        name = (row.external_id if row is not None else None) or f"#{tid}"
        if row is None:
            problems.append({"task": tid, "message": _("Task %(name)s is not in this campaign.", name=name)})
        elif row.rand == TRAINING_RAND:
            problems.append({"task": tid, "message": _(
                "Task %(name)s is a training task: make it an ordinary task on the Training page first.", name=name)})
        elif row.answer_count:
            problems.append({"task": tid, "message": _(
                "Task %(name)s has answers: answered tasks are kept, so the results stay explained.", name=name)})
        elif row.lease_count:
            problems.append({"task": tid, "message": _(
                "Task %(name)s is being answered right now: try again when the volunteer is done.", name=name)})
    if problems:
        raise InvalidInput(_("Nothing was deleted. %(first)s", first=problems[0]["message"]), details=problems)
    rows, keys = _delete(campaign, Task.id.in_(ids))
    audit.record(user, campaign.organisation_id, "delete_tasks", "campaign", campaign.id, campaign_id=campaign.id,
                 before={"tasks": _names(rows), "count": len(rows)}, after={"tasks_total": campaign.tasks_total})
    return len(rows), _unused(campaign, keys)


def replace_tasks(user, campaign, import_fn):
    """Replace every task of a campaign nobody has answered yet (a grid with another cell size, another area):
    the old tasks go, `import_fn()` adds the new ones in the same transaction (its InvalidInput undoes all).
    Returns (number of new tasks, media keys of the old tasks to remove once committed)."""
    if has_answers(campaign):
        raise Conflict(_("This campaign has answers: its tasks can no longer be replaced. Import more tasks, "
                         "or delete the unanswered ones."))
    leased = db.session.execute(select(func.count()).select_from(Task).where(
        Task.campaign_id == campaign.id, Task.lease_count > 0)).scalar_one()
    if leased:
        raise Conflict(_("Volunteers are working on %(n)d of these tasks right now. Close the campaign, wait a few "
                         "minutes until their tasks are released, and replace the tasks then.", n=leased))
    before = campaign.tasks_total
    rows, keys = _delete(campaign, Task.id.is_not(None))
    n = import_fn()
    audit.record(user, campaign.organisation_id, "replace_tasks", "campaign", campaign.id, campaign_id=campaign.id,
                 before={"tasks_total": before, "settings": _grid(campaign)},
                 after={"tasks_total": campaign.tasks_total})
    return n, _unused(campaign, keys)


def _grid(campaign):
    return {k: v for k, v in (campaign.settings or {}).items() if k == "cell_km"}


def remove_media(keys):
    """Remove files of deleted tasks (after the commit: a rolled-back delete keeps its files)."""
    store = media_store()
    for key in sorted(keys):
        store.delete(key)


def close(user, campaign):
    """Close a published campaign (no more answers); `reopen` undoes it."""
    if campaign.status != PUBLISHED:
        raise Conflict(_("Only a published campaign can be closed."))
    campaign.status = CLOSED
    audit.record(user, campaign.organisation_id, "close", "campaign", campaign.id, campaign_id=campaign.id,
                 before={"status": PUBLISHED}, after={"status": CLOSED})
    db.session.flush()


def reopen(user, campaign):
    """Undo a close: a campaign that was published takes answers again; one closed as a draft is a draft again."""
    if campaign.status != CLOSED:
        raise Conflict(_("Only a closed campaign can be reopened."))
    campaign.status = PUBLISHED if campaign.published_at else DRAFT
    audit.record(user, campaign.organisation_id, "reopen", "campaign", campaign.id, campaign_id=campaign.id,
                 before={"status": CLOSED}, after={"status": campaign.status})
    db.session.flush()


def task_list(campaign, after=0, limit=50):
    """A page of the campaign's tasks for the manage page (id order, after the task id `after`): the tasks an
    organiser may select to delete, with their answers and live leases."""
    return db.session.execute(select(Task.id, Task.external_id, Task.answer_count, Task.lease_count,
                                     Task.gold.is_not(None).label("is_gold"))
                              .where(Task.campaign_id == campaign.id, Task.id > after)
                              .order_by(Task.id).limit(limit)).all()

"""Tutorial and qualification: the steps a contributor takes before their answers count, and what organisers read.

- A campaign's training tasks are tasks taken out of its work (`add`): the tutorial's come first, each answered
  once with feedback (the known answer and the organiser's explanation) whether right or wrong, so a volunteer
  advances on a right answer or after reading why; then the qualification's, answered in a run with no feedback per
  task (feedback there would hand the answers round), and scored at the end of the run against the pass mark. A
  failed run can be taken again (practice) at once; the tutorial stays open to read in the field guide.
- Until a contributor has passed, the volunteer loop hands them training tasks instead of work (the `training` hook
  of citizen.campaigns.hooks), and any answer they give to work anyway (a lease held from before) is kept with
  weight 0 and the reason "not_qualified" (citizen.campaigns.scheduler).
- Gold keeps running after: a contributor whose agreement with known answers falls below the organiser's threshold
  (after RETRAIN_AFTER checked answers) is sent back to training, with a fresh gold record once they pass again;
  organisers and moderators see who (`overview`).
- A guest's training is theirs on registering: a user who takes the guest's history over whole has it; a user with
  a history of their own gets the guest's training state where it is further (`carry_over`).

Settings, in Campaign.settings["training"]: {"tutorial": n, "qualification": n} (counts kept here), "pass_mark"
(percent, default PASS_MARK) and "retrain_below" (percent, 0: never)."""
import random
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import func, select

from citizen.accounts import audit
from citizen.accounts.signatures import pseudonym
from citizen.campaigns.models import (CLOSED, PUBLISHED, TRAINED, TRAINING_RAND, TUTORIAL_DONE, Answer, Campaign,
                                      Participation, Task)
from citizen.errors import Conflict, InvalidInput, NotFound, NotOpen, Refused
from citizen.extensions import db
from citizen.kinds import get_kind
from citizen.training.models import QUALIFICATION, STAGES, TUTORIAL, QualificationRun, TrainingAnswer, TrainingItem

PASS_MARK = 80          # percent of a qualification run answered right to pass, unless the organiser says
RETRAIN_AFTER = 10      # checked (gold) answers before a low agreement sends a volunteer back to training
MAX_ITEMS = 30          # training tasks per stage
MAX_EXPLANATION = 1000  # characters
LISTED = 20             # volunteers sent back to training, listed for organisers and moderators
MAX_RUNS = 20           # failed qualification runs in a row (since the last pass): practice, with a bound on rows


class Step(NamedTuple):
    item: TrainingItem
    stage: str
    attempt: int
    step: int
    steps: int


def rules(campaign):
    """The campaign's training settings, with their defaults."""
    t = (campaign.settings or {}).get("training") or {}
    return {"tutorial": int(t.get("tutorial", 0)), "qualification": int(t.get("qualification", 0)),
            "pass_mark": int(t.get("pass_mark", PASS_MARK)), "retrain_below": int(t.get("retrain_below", 0))}


def _save_rules(campaign, **changes):
    current = rules(campaign)
    current.update(changes)
    campaign.settings = {**(campaign.settings or {}), "training": current}


def items(campaign_id, stage):
    return db.session.execute(select(TrainingItem).join(Task, Task.id == TrainingItem.task_id).where(
        TrainingItem.campaign_id == campaign_id, TrainingItem.stage == stage, Task.rand == TRAINING_RAND)
        .order_by(TrainingItem.position, TrainingItem.task_id)).scalars().all()


# --- organisers ---------------------------------------------------------------------------------------------------
def _task(campaign, ref):
    ref = (ref or "").strip()[:200]
    if not ref:
        raise InvalidInput(_("Name the task: its reference from the import, or its number."))
    query = select(Task).where(Task.campaign_id == campaign.id).with_for_update()
    task = db.session.execute(query.where(Task.external_id == ref)).scalar()
    number = ref.lstrip("#")
    if task is None and number.isdigit() and len(number) < 10:
        task = db.session.execute(query.where(Task.id == int(number))).scalar()
    if task is None:
        raise InvalidInput(_("No task %(ref)s in this campaign.", ref=ref))
    return task


def add(campaign, ref, stage, known, explanation, user):
    """Take the task `ref` (nobody has answered or is answering it) out of the work and make it a training task of
    `stage` with the known answer `known` (as the kind takes it: one of its answers, or boxes) and an explanation."""
    if stage not in STAGES:
        raise InvalidInput(_("Choose the tutorial or the qualification."))
    explanation = (explanation or "").strip()
    if len(explanation) > MAX_EXPLANATION:
        raise InvalidInput(_("Use at most %(n)d characters for the explanation.", n=MAX_EXPLANATION))
    task = _task(campaign, ref)
    if db.session.get(TrainingItem, task.id) is not None:
        raise InvalidInput(_("Task %(ref)s is a training task already.", ref=ref))
    if task.answer_count or task.lease_count or task.gold is not None or task.rand < 0:
        raise InvalidInput(_("Only a task nobody has answered or is answering, and that is not a known-answer task "
                             "nor hidden, can become a training task."))
    if task.content_bits:  # every volunteer must see it: a rated picture would be blurred or withheld from some
        raise InvalidInput(_("Task %(ref)s is rated sensitive: training tasks are shown to every volunteer, so "
                             "choose another.", ref=ref))
    count = rules(campaign)[stage]
    if count >= MAX_ITEMS:
        raise InvalidInput(_("At most %(n)d training tasks in each stage.", n=MAX_ITEMS))
    kind = get_kind(campaign.kind)
    try:
        known = kind.clean_known(known, task.payload, campaign.settings or {})
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    task.gold, task.available, task.rand = known, False, TRAINING_RAND
    db.session.add(TrainingItem(task_id=task.id, campaign_id=campaign.id, stage=stage, position=count + 1,
                                explanation=explanation))
    campaign.tasks_total = max(0, campaign.tasks_total - 1)  # no longer work to be done
    _save_rules(campaign, **{stage: count + 1})
    audit.record(user, campaign.organisation_id, "add_training", "task", task.id, campaign_id=campaign.id,
                 after={"stage": stage, "reference": task.external_id or ""})
    db.session.flush()
    return task


def remove(campaign, task_id, user):
    """Put a training task back into the work (its training answers go; finished runs keep their scores)."""
    item = db.session.get(TrainingItem, task_id)
    task = db.session.get(Task, task_id)
    if item is None or item.campaign_id != campaign.id or task.rand != TRAINING_RAND:
        raise NotFound(_("There is no such training task."))
    db.session.execute(TrainingAnswer.__table__.delete().where(TrainingAnswer.task_id == task_id))
    db.session.delete(item)
    task.gold, task.rand = None, random.random()
    task.available = get_kind(campaign.kind).task_ready(task.payload) and task.redundancy > 0
    campaign.tasks_total += 1
    _save_rules(campaign, **{item.stage: max(0, rules(campaign)[item.stage] - 1)})
    audit.record(user, campaign.organisation_id, "remove_training", "task", task.id, campaign_id=campaign.id,
                 before={"stage": item.stage, "reference": task.external_id or ""})
    db.session.flush()


def set_rules(campaign, pass_mark, retrain_below, user):
    values = {}
    for name, raw, low in (("pass_mark", pass_mark, 1), ("retrain_below", retrain_below, 0)):
        raw = str(raw if raw is not None else "").strip()
        if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= 100:
            raise InvalidInput(_("Give a whole percentage from %(low)d to 100.", low=low),
                               details=[{"field": name, "message": _("from %(low)d to 100", low=low)}])
        values[name] = int(raw)
    before = rules(campaign)
    _save_rules(campaign, **values)
    audit.record(user, campaign.organisation_id, "training_rules", "campaign", campaign.id, campaign_id=campaign.id,
                 before={k: before[k] for k in values}, after=values)
    db.session.flush()


def overview(campaign):
    """What organisers and moderators read: the training tasks with how often each was answered wrongly (the most
    failed first: a sign of a bad task or a bad explanation), the qualification's pass rates, the volunteers sent
    back to training, and the answers kept uncounted before a qualification."""
    kind, settings = get_kind(campaign.kind), campaign.settings or {}
    tallies = dict((task_id, (n, wrong)) for task_id, n, wrong in db.session.execute(
        select(TrainingAnswer.task_id, func.count(), func.sum(1 - func.cast(TrainingAnswer.correct, db.Integer)))
        .where(TrainingAnswer.campaign_id == campaign.id).group_by(TrainingAnswer.task_id)).all())
    stages = {}
    for stage in STAGES:
        rows = db.session.execute(select(TrainingItem, Task.external_id, Task.gold).join(
            Task, Task.id == TrainingItem.task_id).where(TrainingItem.campaign_id == campaign.id,
                                                         TrainingItem.stage == stage, Task.rand == TRAINING_RAND)
            .order_by(TrainingItem.position, TrainingItem.task_id)).all()
        stages[stage] = [{"task_id": item.task_id, "reference": ref or f"#{item.task_id}",
                          "known": kind.known_text(gold, settings), "explanation": item.explanation,
                          "answers": tallies.get(item.task_id, (0, 0))[0],
                          "wrong": int(tallies.get(item.task_id, (0, 0))[1] or 0)} for item, ref, gold in rows]
    for item in stages[TUTORIAL] + stages[QUALIFICATION]:
        item["wrong_share"] = round(item["wrong"] / item["answers"], 3) if item["answers"] else None
    most_failed = sorted((i for i in stages[TUTORIAL] + stages[QUALIFICATION] if i["answers"]),
                         key=lambda i: (-i["wrong_share"], -i["answers"]))[:5]
    runs, passed_runs, tried, passed = db.session.execute(select(
        func.count(), func.coalesce(func.sum(func.cast(QualificationRun.passed, db.Integer)), 0),
        func.count(QualificationRun.contributor_id.distinct()),
        func.count(func.distinct(db.case((QualificationRun.passed, QualificationRun.contributor_id)))))
        .where(QualificationRun.campaign_id == campaign.id)).one()
    retrained = db.session.execute(select(Participation.contributor_id, Participation.retrains,
                                          Participation.training, Participation.gold_total,
                                          Participation.gold_correct)
                                   .where(Participation.campaign_id == campaign.id, Participation.retrains > 0)
                                   .order_by(Participation.last_at.desc()).limit(LISTED)).all()
    uncounted = db.session.execute(select(func.count()).select_from(Answer).where(
        Answer.campaign_id == campaign.id, Answer.reason == "not_qualified")).scalar()
    return {"rules": rules(campaign), "stages": stages, "most_failed": most_failed,
            "runs": {"total": runs, "passed": passed_runs, "volunteers": tried, "volunteers_passed": passed,
                     "pass_rate": round(passed / tried, 3) if tried else None},
            "retrained": [{"volunteer": pseudonym(campaign.id, r.contributor_id), "times": r.retrains,
                           "trained": r.training >= TRAINED, "gold": (r.gold_correct, r.gold_total)}
                          for r in retrained],
            "uncounted": uncounted}


# --- volunteers ---------------------------------------------------------------------------------------------------
def _participation(campaign_id, contributor_id, lock=False):
    query = select(Participation).where(Participation.campaign_id == campaign_id,
                                        Participation.contributor_id == contributor_id)
    return db.session.execute(query.with_for_update() if lock else query).scalar()


def _set_state(part, state):
    part.training = state
    db.session.flush()


def next_step(campaign, part):
    """The training task this contributor answers next (a Step), or None once they are trained. Moves their state on
    when a stage is behind them: the tutorial once each of its tasks was answered in this round of training, the
    qualification when the campaign has none."""
    if part.training < TUTORIAL_DONE:
        tutorial = items(campaign.id, TUTORIAL)
        seen = set(db.session.execute(select(TrainingAnswer.task_id).where(
            TrainingAnswer.campaign_id == campaign.id, TrainingAnswer.contributor_id == part.contributor_id,
            TrainingAnswer.stage == TUTORIAL, TrainingAnswer.attempt == part.retrains)).scalars())
        for n, item in enumerate(tutorial):
            if item.task_id not in seen:
                return Step(item, TUTORIAL, part.retrains, n + 1, len(tutorial))
        _set_state(part, TUTORIAL_DONE)
    if part.training < TRAINED:
        qualification = items(campaign.id, QUALIFICATION)
        if not qualification:
            _set_state(part, TRAINED)
            return None
        attempt = 1 + (db.session.execute(select(func.max(QualificationRun.attempt)).where(
            QualificationRun.campaign_id == campaign.id,
            QualificationRun.contributor_id == part.contributor_id)).scalar() or 0)
        answered = set(db.session.execute(select(TrainingAnswer.task_id).where(
            TrainingAnswer.campaign_id == campaign.id, TrainingAnswer.contributor_id == part.contributor_id,
            TrainingAnswer.stage == QUALIFICATION, TrainingAnswer.attempt == attempt)).scalars())
        passed_at = db.session.execute(select(func.max(QualificationRun.attempt)).where(
            QualificationRun.campaign_id == campaign.id, QualificationRun.contributor_id == part.contributor_id,
            QualificationRun.passed.is_(True))).scalar() or 0
        if attempt - passed_at > MAX_RUNS:  # failed runs since the last pass: retraining starts a fresh allowance
            raise Refused(_("You have taken this campaign's qualification %(n)d times without passing: thank you for "
                            "trying! Other campaigns may suit you better.", n=MAX_RUNS), code="training_limit")
        todo = [item for item in qualification if item.task_id not in answered]
        if todo:
            return Step(todo[0], QUALIFICATION, attempt, len(qualification) - len(todo) + 1, len(qualification))
        _score(campaign, part, attempt)  # every task of the run answered (one was removed meanwhile): score it
        return next_step(campaign, part) if part.training < TRAINED else None
    return None


def _score(campaign, part, attempt):
    correct, total = db.session.execute(select(
        func.coalesce(func.sum(func.cast(TrainingAnswer.correct, db.Integer)), 0), func.count()).where(
        TrainingAnswer.campaign_id == campaign.id, TrainingAnswer.contributor_id == part.contributor_id,
        TrainingAnswer.stage == QUALIFICATION, TrainingAnswer.attempt == attempt)).one()
    pass_mark = rules(campaign)["pass_mark"]
    passed = bool(total) and correct * 100 >= pass_mark * total
    db.session.add(QualificationRun(campaign_id=campaign.id, contributor_id=part.contributor_id, attempt=attempt,
                                    correct=correct, total=total, passed=passed))
    if passed:
        _set_state(part, TRAINED)
    db.session.flush()
    # Passed or not, never how many were right: with the count, a run that changes one answer tells whether that
    # answer was right, and a few runs would learn the whole qualification.
    return {"passed": passed, "total": total, "pass_mark": pass_mark}


def _retrain_due(campaign, part):
    below = rules(campaign)["retrain_below"]
    return bool(below) and part.gold_total >= RETRAIN_AFTER and part.gold_correct * 100 < below * part.gold_total


def due(conn, campaign_row, contributor_id, part_row, now):
    """The volunteer loop's `training` hook: None when this contributor is trained for the campaign (and their gold
    record does not send them back), else the JSON body of their next training task."""
    if part_row.training >= TRAINED and not (rules(campaign_row)["retrain_below"]
                                             and part_row.gold_total >= RETRAIN_AFTER):
        return None  # the common case, read from the row the loop has already
    campaign = db.session.get(Campaign, campaign_row.id)
    part = _participation(campaign.id, contributor_id, lock=True)
    if part.training >= TRAINED:
        if not _retrain_due(campaign, part):
            return None
        # Back to training, with a fresh gold record once they pass again: moderators see them (overview).
        part.training, part.retrains, part.gold_total, part.gold_correct = 0, part.retrains + 1, 0, 0
        db.session.flush()
    step = next_step(campaign, part)
    return None if step is None else task_body(campaign, step, part)


def task_body(campaign, step, part):
    from citizen.api.views import task_json  # the task as the loop hands any task out
    task = db.session.get(Task, step.item.task_id)
    body = task_json(campaign, task.id, task.payload, part.answer_count)
    body["training"] = {"stage": step.stage, "step": step.step, "steps": step.steps, "attempt": step.attempt,
                        "pass_mark": rules(campaign)["pass_mark"] if step.stage == QUALIFICATION else None,
                        "retraining": bool(part.retrains), "answer_url": f"/api/v1/training/{task.id}/answers"}
    return body


def answer(task_id, contributor_id, value):
    """Take a training answer: only for the training task this contributor is at. Returns the feedback: in the
    tutorial whether it was right, the known answer and the explanation; in the qualification nothing per task,
    and at the end of a run its score and whether it passed."""
    row = db.session.execute(select(TrainingItem, Task, Campaign).join(Task, Task.id == TrainingItem.task_id)
                             .join(Campaign, Campaign.id == TrainingItem.campaign_id)
                             .where(TrainingItem.task_id == task_id)).first()
    if row is None:
        raise NotFound(_("There is no such training task."))
    item, task, campaign = row
    if campaign.status != PUBLISHED or task.rand != TRAINING_RAND:
        if campaign.status == CLOSED:
            raise NotOpen()
        raise NotFound(_("There is no such training task."))
    kind, settings = get_kind(campaign.kind), campaign.settings or {}
    kind.check_limits(value, settings)
    part = _participation(campaign.id, contributor_id, lock=True)
    step = next_step(campaign, part) if part is not None else None
    if step is None or step.item.task_id != task_id:
        raise Conflict(_("This is not your next training task: ask for the next task."), code="not_next_training")
    clean = kind.clean_answer(value, task.payload, settings)
    correct = bool(kind.known_matches(clean, task.gold, settings))
    db.session.add(TrainingAnswer(campaign_id=campaign.id, task_id=task_id, contributor_id=contributor_id,
                                  stage=step.stage, attempt=step.attempt, value=clean, correct=correct))
    db.session.flush()
    body = {"stage": step.stage, "step": step.step, "steps": step.steps}
    if step.stage == TUTORIAL:
        body.update(correct=correct, expected=kind.known_text(task.gold, settings), explanation=item.explanation)
        if step.step == step.steps:
            next_step(campaign, part)  # the tutorial is behind them: their state moves on now
    elif step.step == step.steps:
        body["result"] = _score(campaign, part, step.attempt)
    body["trained"] = part.training >= TRAINED
    return body


def carry_over(guest_id, contributor_id):
    """On registration by a user with a history of their own: where the guest's training went further in a
    campaign, the user's goes as far (the qualification runs stay the guest's)."""
    for guest in db.session.execute(select(Participation).where(Participation.contributor_id == guest_id,
                                                                Participation.training > 0)).scalars().all():
        own = _participation(guest.campaign_id, contributor_id, lock=True)
        if own is None:
            db.session.add(Participation(contributor_id=contributor_id, campaign_id=guest.campaign_id,
                                         cursor=random.random(), training=guest.training))
        elif own.training < guest.training and not own.retrains:
            own.training = guest.training
    db.session.flush()


def state_of(campaign, contributor_id):
    """A contributor's training in a campaign, for the API: stage, runs taken, passed."""
    part = _participation(campaign.id, contributor_id)
    r = rules(campaign)
    runs = db.session.execute(select(QualificationRun.attempt, QualificationRun.correct, QualificationRun.total,
                                     QualificationRun.passed).where(
        QualificationRun.campaign_id == campaign.id, QualificationRun.contributor_id == contributor_id)
        .order_by(QualificationRun.attempt)).all()
    state = part.training if part is not None else 0
    return {"tutorial": r["tutorial"], "qualification": r["qualification"], "pass_mark": r["pass_mark"],
            "stage": "trained" if state >= TRAINED else (QUALIFICATION if state >= TUTORIAL_DONE else TUTORIAL),
            "trained": state >= TRAINED or not (r["tutorial"] or r["qualification"]),
            "runs": [{"attempt": a, "total": t, "passed": p} for a, _c, t, p in runs]}


"""The volunteer loop's hot path: hand out the next task, take an answer, skip.

How a task is chosen: every task has a random key `rand`; every contributor has a cursor in that
order (starting at a random place) and moves forward, wrapping once. The next task is the first
*available* task after the cursor that this contributor has neither answered nor been handed; one
indexed range scan on (campaign_id, available, rand) finds it, whatever the campaign's size.

How redundancy holds under concurrency: handing out a task takes a lease with an atomic
`UPDATE task ... WHERE available`, and `available` stays true only while answers + live leases are
below the task's redundancy. So a task never has more answers than its redundancy from leased
hand-outs. A volunteer whose lease expired (or who skipped) may still answer while there is room;
when there is none they are told the task is complete: the stated bound is zero extra answers.

Lock order on PostgreSQL (to avoid deadlocks): task, then assignment, then participation, then
campaign. SQLite serialises writers (BEGIN IMMEDIATE), so the same code is safe there.
"""
import hashlib
import json
import random
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, exists, select, update

from citizen.accounts.models import utcnow
from citizen.campaigns.db_utils import insert_ignore
from citizen.campaigns.kinds import get_kind
from citizen.campaigns.models import (ANSWERED, EXPIRED, LEASED, PUBLISHED, SKIPPED, Answer, Assignment, Campaign,
                                      IdempotentResponse, Participation, Task)
from citizen.errors import AlreadyAnswered, Conflict, NotAssigned, NotFound, NotOpen, TaskComplete
from citizen.extensions import db

SCAN = 4  # candidates fetched per scan; several, in case others lease the first one meanwhile
RECLAIM_EVERY = 30.0
_last_reclaim = [0.0]


def _participation(contributor_id, campaign_id):
    q = select(Participation.answer_count, Participation.leases, Participation.cursor).where(
        Participation.contributor_id == contributor_id, Participation.campaign_id == campaign_id)
    row = db.session.execute(q).first()
    if row is None:
        db.session.execute(insert_ignore(Participation).values(
            contributor_id=contributor_id, campaign_id=campaign_id, cursor=random.random(),
            answer_count=0, skip_count=0, leases=0, first_at=utcnow(), last_at=utcnow()))
        row = db.session.execute(q).first()
    return row


def _candidates(campaign_id, contributor_id, after, exclude):
    answered = exists().where(Answer.task_id == Task.id, Answer.contributor_id == contributor_id)
    handed = exists().where(Assignment.task_id == Task.id, Assignment.contributor_id == contributor_id)
    q = (select(Task.id, Task.rand)
         .where(Task.campaign_id == campaign_id, Task.available == True,  # noqa: E712 (index use)
                Task.rand > after, ~answered, ~handed)
         .order_by(Task.rand).limit(SCAN))
    if exclude:
        q = q.where(Task.id.not_in(exclude))
    return db.session.execute(q).all()


def _held_lease(campaign_id, contributor_id, now, exclude):
    q = (select(Assignment.task_id).where(
        Assignment.contributor_id == contributor_id, Assignment.campaign_id == campaign_id,
        Assignment.state == LEASED, Assignment.expires_at > now).order_by(Assignment.leased_at).limit(1))
    if exclude:
        q = q.where(Assignment.task_id.not_in(exclude))
    task_id = db.session.execute(q).scalar()
    if task_id is None:
        return None
    return task_id, db.session.execute(select(Task.payload).where(Task.id == task_id)).scalar_one()


def _lease(task_id):
    """Take one slot of the task if it is still available; returns its payload or None."""
    stmt = (update(Task).where(Task.id == task_id, Task.available == True)  # noqa: E712
            .values(lease_count=Task.lease_count + 1,
                    available=(Task.answer_count + Task.lease_count + 1) < Task.redundancy)
            .returning(Task.payload))
    return db.session.execute(stmt, execution_options={"synchronize_session": False}).scalar()


def _release(task_id):
    db.session.execute(update(Task).where(Task.id == task_id).values(
        lease_count=Task.lease_count - 1,
        available=(Task.answer_count + Task.lease_count - 1) < Task.redundancy),
        execution_options={"synchronize_session": False})


def next_task(campaign, contributor_id, exclude=()):
    """Lease the next task for this contributor; returns (task_id, payload, done) or None when
    nothing is left for them. A contributor already holding MAX_LEASES live tasks gets the oldest
    of those back (a reload shows the same task instead of hoarding new ones)."""
    if campaign.status != PUBLISHED:
        raise NotOpen()
    _maybe_reclaim()
    cfg = current_app.config
    now = utcnow()
    exclude = [int(t) for t in exclude][:10]
    part = _participation(contributor_id, campaign.id)
    if part.leases >= cfg["MAX_LEASES"]:
        held = _held_lease(campaign.id, contributor_id, now, exclude)
        if held:
            return held[0], held[1], part.answer_count
    after, wrapped = part.cursor, False
    while True:
        rows = _candidates(campaign.id, contributor_id, after, exclude)
        for task_id, rand in rows:
            payload = _lease(task_id)
            if payload is None:
                continue  # someone else took the last slot between our read and our update
            inserted = db.session.execute(insert_ignore(Assignment).values(
                contributor_id=contributor_id, task_id=task_id, campaign_id=campaign.id, state=LEASED,
                leased_at=now, expires_at=now + timedelta(seconds=cfg["LEASE_SECONDS"]))).rowcount
            if not inserted:  # the same contributor, in another tab, got it first
                _release(task_id)
                continue
            db.session.execute(update(Participation).where(
                Participation.contributor_id == contributor_id, Participation.campaign_id == campaign.id)
                .values(cursor=rand, leases=Participation.leases + 1, last_at=now))
            return task_id, payload, part.answer_count
        if len(rows) == SCAN:
            after = rows[-1].rand
        elif not wrapped:
            after, wrapped = -1.0, True
        else:
            return None


def _fingerprint(task_id, value):
    return hashlib.sha256(json.dumps([task_id, value], sort_keys=True).encode()).hexdigest()


def _stored_response(contributor_id, key, fingerprint):
    row = db.session.execute(select(IdempotentResponse.status, IdempotentResponse.body, IdempotentResponse.fingerprint)
                             .where(IdempotentResponse.contributor_id == contributor_id,
                                    IdempotentResponse.key == key)).first()
    if row is None:
        return None
    if row.fingerprint != fingerprint:
        raise Conflict("This Idempotency-Key was already used for a different answer.", code="idempotency_key_reused")
    return row.status, row.body


def _locked_task(task_id):
    q = (select(Task.id, Task.campaign_id, Task.payload, Task.answer_count, Task.lease_count, Task.redundancy,
                Task.consensus, Campaign.kind, Campaign.settings, Campaign.status)
         .join(Campaign, Campaign.id == Task.campaign_id).where(Task.id == task_id)
         .with_for_update(of=Task))
    row = db.session.execute(q).first()
    if row is None:
        raise NotFound("There is no such task.")
    return row


def _claim_assignment(task_id, contributor_id):
    """Mark the hand-out answered; returns True if it consumed a live lease, False if the lease
    had been released (expired or skipped). Raises if the task was never handed out or answered."""
    def move(states):
        return db.session.execute(update(Assignment).where(
            Assignment.contributor_id == contributor_id, Assignment.task_id == task_id,
            Assignment.state.in_(states)).values(state=ANSWERED)).rowcount
    if move([LEASED]):
        return True
    if move([EXPIRED, SKIPPED]):
        return False
    state = db.session.execute(select(Assignment.state).where(
        Assignment.contributor_id == contributor_id, Assignment.task_id == task_id)).scalar()
    if state == ANSWERED:
        raise AlreadyAnswered()
    raise NotAssigned()


def submit_answer(task_id, contributor_id, value, duration_ms=None, idempotency_key=None, source="web"):
    """Store one answer. Returns (status, body): 201 and the answer, or the stored response of an
    earlier request with the same Idempotency-Key. Raises NotFound, NotOpen, NotAssigned,
    AlreadyAnswered, TaskComplete or InvalidInput; in every such case nothing is stored."""
    task = _locked_task(task_id)
    fingerprint = _fingerprint(task_id, value)
    if idempotency_key:
        stored = _stored_response(contributor_id, idempotency_key, fingerprint)
        if stored:
            return stored
    if task.status != PUBLISHED:
        raise NotOpen()
    kind = get_kind(task.kind)
    clean = kind.clean_answer(value, task.payload, task.settings)
    had_lease = _claim_assignment(task_id, contributor_id)
    if not had_lease and task.answer_count + task.lease_count >= task.redundancy:
        raise TaskComplete()
    now = utcnow()
    answers = task.answer_count + 1
    leases = task.lease_count - (1 if had_lease else 0)
    state = kind.add_to_consensus(task.consensus or {}, clean)
    db.session.execute(update(Task).where(Task.id == task_id).values(
        answer_count=answers, lease_count=leases, available=(answers + leases) < task.redundancy,
        consensus=state), execution_options={"synchronize_session": False})
    answer_id = db.session.execute(Answer.__table__.insert().values(
        task_id=task_id, campaign_id=task.campaign_id, contributor_id=contributor_id, value=clean,
        duration_ms=duration_ms, source=source, created_at=now).returning(Answer.id)).scalar_one()
    done = db.session.execute(update(Participation).where(
        Participation.contributor_id == contributor_id, Participation.campaign_id == task.campaign_id)
        .values(answer_count=Participation.answer_count + 1,
                leases=Participation.leases - (1 if had_lease else 0), last_at=now)
        .returning(Participation.answer_count)).scalar()
    completed = answers == task.redundancy
    if completed:
        db.session.execute(update(Campaign).where(Campaign.id == task.campaign_id)
                           .values(tasks_done=Campaign.tasks_done + 1))
    body = {"answer": {"id": answer_id, "task_id": task_id, "value": clean, "created_at": now.isoformat() + "Z"},
            "done": done or 0, "task_complete": answers >= task.redundancy}
    if idempotency_key:
        db.session.execute(IdempotentResponse.__table__.insert().values(
            contributor_id=contributor_id, key=idempotency_key, fingerprint=fingerprint, status=201,
            body=body, created_at=now))
    return 201, body


def skip_task(task_id, contributor_id):
    """Give a leased task back; it is not handed to this contributor again."""
    task = _locked_task(task_id)
    moved = db.session.execute(update(Assignment).where(
        Assignment.contributor_id == contributor_id, Assignment.task_id == task_id,
        Assignment.state == LEASED).values(state=SKIPPED)).rowcount
    if not moved:
        state = db.session.execute(select(Assignment.state).where(
            Assignment.contributor_id == contributor_id, Assignment.task_id == task_id)).scalar()
        if state is None:
            raise NotAssigned()
        if state == ANSWERED:
            raise AlreadyAnswered()
        db.session.execute(update(Assignment).where(
            Assignment.contributor_id == contributor_id, Assignment.task_id == task_id).values(state=SKIPPED))
        return
    _release(task_id)
    db.session.execute(update(Participation).where(
        Participation.contributor_id == contributor_id, Participation.campaign_id == task.campaign_id)
        .values(leases=Participation.leases - 1, skip_count=Participation.skip_count + 1, last_at=utcnow()))


def release_expired_leases(now=None, limit=500):
    """Give the slots of expired leases back to their tasks. Returns how many were released.
    Runs from next_task at most every RECLAIM_EVERY seconds per process, and from the CLI."""
    now = now or utcnow()
    rows = db.session.execute(select(Assignment.task_id, Assignment.contributor_id, Assignment.campaign_id)
                              .where(Assignment.state == LEASED, Assignment.expires_at <= now)
                              .order_by(Assignment.task_id).limit(limit)).all()
    if not rows:
        return 0
    db.session.execute(select(Task.id).where(Task.id.in_({r.task_id for r in rows}))
                       .order_by(Task.id).with_for_update())
    released = 0
    for r in rows:
        moved = db.session.execute(update(Assignment).where(
            Assignment.contributor_id == r.contributor_id, Assignment.task_id == r.task_id,
            Assignment.state == LEASED, Assignment.expires_at <= now).values(state=EXPIRED)).rowcount
        if moved:
            _release(r.task_id)
            db.session.execute(update(Participation).where(and_(
                Participation.contributor_id == r.contributor_id, Participation.campaign_id == r.campaign_id))
                .values(leases=Participation.leases - 1))
            released += 1
    return released


def _maybe_reclaim():
    if time.monotonic() - _last_reclaim[0] < RECLAIM_EVERY:
        return
    _last_reclaim[0] = time.monotonic()
    release_expired_leases()

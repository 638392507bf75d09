"""Run long work off the request, with progress in the database.

A job is a row (citizen.jobs.models.Job) and a handler registered under a name (`register(name, fn)`, called by
the feature's init_app): `handler(job, progress)` where `progress(done, total, message="")` records how far it got
(each call commits, so a page polling the job sees it move). Handlers must be idempotent: a job whose worker was
killed is run again.

`start` adds the row to the caller's transaction; its message goes to the queue (citizen.jobs.queue) only once
that transaction commits, never if it rolls back. A crash between the commit and the message leaves a pending row
that no message names: workers sweep those up and send them again (citizen.jobs.worker). Whoever reads a message
claims the row first (one UPDATE: pending and due, or running with its lease run out), so a job runs once however
many messages name it, and never on two workers at once: the claimant holds a lease that its heartbeat moves on;
a killed worker's lease runs out and another worker claims the job. With JOBS_SYNC (tests, CLI) a job runs at
once in the caller's thread, once its transaction commits.

One run of a handler is one attempt. A handler whose attempt failed but may succeed later raises `Retry(seconds)`:
the job goes back to pending with `due_at` set and `attempt` counted up, and a message scheduled for then (the
queue's schedule: nobody sleeps). Jobs started with a `lane` (e.g. "notify:org:7") run one at a time per lane, in
the order they were started (retries not yet due step aside): one organisation's dead webhook holds one worker
thread at most, never another organisation's deliveries; the job that frees a lane sends the lane's next job."""
import logging
import os
import socket
import threading
import time
import traceback
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, case, event, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from citizen.accounts.models import utcnow
from citizen.extensions import db
from citizen.jobs import queue
from citizen.jobs.models import DONE, FAILED, PENDING, RUNNING, Job

log = logging.getLogger(__name__)
_handlers = {}  # name -> fn(job, progress)
_TO_SEND = "citizen.jobs.to_send"  # Session.info key: (app, job_id, delay) to send once the transaction commits


class Retry(Exception):
    """Raised by a handler: this attempt failed, run the job again (attempt + 1) in `seconds`."""

    def __init__(self, seconds, message=""):
        super().__init__(message)
        self.seconds, self.message = max(0.0, float(seconds)), message


def register(name, fn):
    """Register `fn(job, progress)` as the handler of the jobs named `name`. Called by the owning feature's
    `init_app(app)` (from create_app), never as a side effect of an import: a worker process that calls
    create_app() has every handler. Registering the same function again is harmless; another one is an error."""
    known = _handlers.get(name)
    if known is not None and known is not fn:
        raise ValueError(f"job handler {name!r} is already registered ({known.__module__}.{known.__qualname__})")
    _handlers[name] = fn


def registered():
    """The names that have a handler."""
    return frozenset(_handlers)


def start(name, campaign_id=None, params=None, lane=None):
    """Create a job in the caller's transaction and run it off the request once that transaction commits (never if
    it rolls back). The caller commits. Returns the job."""
    if name not in _handlers:
        raise KeyError(f"no job handler {name!r}")
    job = Job(name=name, campaign_id=campaign_id, params=params or {}, status=PENDING, lane=lane, sent_at=utcnow())
    db.session.add(job)
    db.session.flush()
    _send_after_commit(job.id)
    return job


start_after_commit = start  # every job starts once its transaction commits (the older name of `start`)


def _send_after_commit(job_id, delay=0.0):
    db.session().info.setdefault(_TO_SEND, []).append((current_app._get_current_object(), job_id, delay))


@event.listens_for(Session, "after_commit")
def _send_committed(session):
    for app, job_id, delay in session.info.pop(_TO_SEND, ()):
        _dispatch(app, job_id, delay)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session):
    # Savepoints included: a job of the outer transaction forgotten here is sent by the sweeper instead.
    session.info.pop(_TO_SEND, None)


def _dispatch(app, job_id, delay=0.0):
    """The transaction that made or rescheduled the job has committed: run it here (JOBS_SYNC) or send it."""
    if app.config.get("JOBS_SYNC"):
        if delay:
            time.sleep(delay)  # the caller's own thread (tests, CLI)
        run_in_context(app, job_id)
        return
    try:
        queue.send(app, run_in_context, job_id, delay)
    except Exception:  # noqa: BLE001  (the row is committed: a worker's sweep sends it again)
        log.exception("job %s: the queue did not take its message; the sweep will send it again", job_id)


def run_in_context(app, job_id):
    """Claim and run a job in an app context of its own (what a queue message does)."""
    with app.app_context():
        try:
            _run(job_id)
        finally:
            db.session.remove()


# --- claiming and running ------------------------------------------------------------------------------
def lease_seconds():
    return float(current_app.config.get("JOBS_LEASE_SECONDS", 30))


def claimable(now):
    """Rows a worker may claim now: pending and due, or running under a lease that ran out (its worker died)."""
    return or_(and_(Job.status == PENDING, or_(Job.due_at.is_(None), Job.due_at <= now)),
               and_(Job.status == RUNNING, or_(Job.lease_until.is_(None), Job.lease_until < now)))


def _lane_busy(now):
    """Another job of the row's lane runs under a live lease, or was started earlier and is waiting to run."""
    other = aliased(Job)
    return exists().where(other.lane == Job.lane, other.id != Job.id, or_(
        and_(other.status == RUNNING, other.lease_until >= now),
        and_(other.id < Job.id, or_(and_(other.status == PENDING, or_(other.due_at.is_(None), other.due_at <= now)),
                                    and_(other.status == RUNNING, or_(other.lease_until.is_(None),
                                                                      other.lease_until < now))))))


def _claim(job_id):
    """Take the job for this thread (one UPDATE, so two workers never both win). Returns the claim's token or None."""
    token = f"{socket.gethostname()[:40]}:{os.getpid()}/{uuid.uuid4().hex[:12]}"
    now = utcnow()
    won = db.session.execute(
        update(Job).where(Job.id == job_id, claimable(now), or_(Job.lane.is_(None), ~_lane_busy(now)))
        .values(status=RUNNING, claimed_by=token, lease_until=now + timedelta(seconds=lease_seconds()),
                runs=Job.runs + 1, done=0, due_at=None)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return token if won else None


def _release(job_id, token, **values):
    """End this claim (done, failed, or back to pending): only while it is still ours."""
    kept = db.session.execute(update(Job).where(Job.id == job_id, Job.claimed_by == token, Job.status == RUNNING)
                              .values(claimed_by=None, lease_until=None, **values)
                              .execution_options(synchronize_session=False)).rowcount
    if not kept:
        log.warning("job %s: its lease ran out and another worker took it; this run's outcome is dropped", job_id)
    return kept


def _run(job_id):
    """Claim the job and run one attempt of it here. Returns whether it ran (False: done, taken, not due, or its
    lane busy: the lane's running job sends it on when it ends)."""
    token = _claim(job_id)
    if token is None:
        return False
    app = current_app._get_current_object()
    heartbeat(app).hold(job_id, token)
    try:
        _attempt(job_id, token)
    finally:
        heartbeat(app).release(job_id)
    return True


def _attempt(job_id, token):
    job = db.session.get(Job, job_id)
    name, lane = job.name, job.lane

    def progress(done, total, message=""):
        values = {"done": done, "total": total, "lease_until": utcnow() + timedelta(seconds=lease_seconds())}
        if message:
            values["message"] = message
        db.session.execute(update(Job).where(Job.id == job_id, Job.claimed_by == token).values(**values)
                           .execution_options(synchronize_session=False))
        db.session.commit()  # with the handler's own work so far

    try:
        result = _handlers[name](job, progress)
    except Retry as retry:
        db.session.rollback()
        if _release(job_id, token, status=PENDING, attempt=Job.attempt + 1, sent_at=utcnow(),
                    due_at=utcnow() + timedelta(seconds=retry.seconds), message=str(retry.message)[:1000]):
            _send_after_commit(job_id, retry.seconds)
    except Exception as exc:  # the job's row says what went wrong; the worker goes on
        db.session.rollback()
        log.error("job %s (%s) failed: %s", job_id, name, traceback.format_exc())
        _release(job_id, token, status=FAILED, finished_at=utcnow(),
                 message=str(getattr(exc, "message", None) or exc)[:1000])
    else:
        _release(job_id, token, status=DONE, finished_at=utcnow(), result=result or {},
                 done=case((Job.total > Job.done, Job.total), else_=Job.done))
    db.session.commit()
    if lane:
        _hand_on(lane)


def _hand_on(lane):
    """The lane is free: send its next job (the oldest due one), which was left waiting while this one ran."""
    now = utcnow()
    nxt = db.session.execute(select(Job.id).where(Job.lane == lane, claimable(now)).order_by(Job.id).limit(1)).scalar()
    if nxt is not None:
        db.session.execute(update(Job).where(Job.id == nxt).values(sent_at=now)
                           .execution_options(synchronize_session=False))
        _send_after_commit(nxt)
        db.session.commit()


class _Heartbeat:
    """Moves on the leases of the jobs this process runs for an app, every third of JOBS_LEASE_SECONDS, so that a
    live worker keeps its jobs however long a handler goes without reporting progress. The thread runs only while
    jobs are held, in the process that runs them: a `flask jobs work` worker (or the CLI's and tests' JOBS_SYNC
    caller). A web server only sends jobs (`_dispatch`), so it never holds one and never starts this thread; the
    thread does no work of its own, one UPDATE per beat."""

    def __init__(self, app):
        self.app, self.held, self.lock, self.thread = app, {}, threading.Lock(), None
        self.wake = threading.Event()

    def hold(self, job_id, token):
        with self.lock:
            self.held[job_id] = token
            if self.thread is None:
                self.thread = threading.Thread(target=self._beat, name="citizen-job-heartbeat", daemon=True)
                self.thread.start()

    def release(self, job_id):
        with self.lock:
            self.held.pop(job_id, None)

    def _beat(self):
        interval = float(self.app.config.get("JOBS_LEASE_SECONDS", 30)) / 3
        while True:
            self.wake.wait(interval)
            with self.lock:
                held = dict(self.held)
                if not held:
                    self.thread = None
                    return
            try:
                with self.app.app_context():
                    until = utcnow() + timedelta(seconds=float(self.app.config.get("JOBS_LEASE_SECONDS", 30)))
                    for job_id, token in held.items():
                        db.session.execute(update(Job).where(Job.id == job_id, Job.claimed_by == token)
                                           .values(lease_until=until).execution_options(synchronize_session=False))
                    db.session.commit()
                    db.session.remove()
            except Exception:  # noqa: BLE001  (the next beat tries again; the lease is three beats long)
                log.exception("job heartbeat")


def heartbeat(app):
    return app.extensions.setdefault("citizen.jobs.heartbeat", _Heartbeat(app))


# --- reading and resuming ------------------------------------------------------------------------------
def resume():
    """Run here, one after another, the jobs left pending or whose worker stopped (its lease ran out); never a job
    a live worker holds, nor a retry not yet due (a later `resume` runs it). Returns how many ran."""
    ids = db.session.execute(select(Job.id).where(claimable(utcnow())).order_by(Job.id)).scalars().all()
    db.session.commit()
    return sum(1 for job_id in ids if _run(job_id))


def sent():
    """[(job_id, eta)] of this app's messages waiting in the queue (tests read the memory queue)."""
    return queue.sent(current_app._get_current_object(), run_in_context)


def get(job_id):
    return db.session.get(Job, job_id)


def latest(campaign_id, name):
    return db.session.execute(select(Job).where(Job.campaign_id == campaign_id, Job.name == name)
                              .order_by(Job.id.desc()).limit(1)).scalar_one_or_none()

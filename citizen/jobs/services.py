"""Run long work off the request, with progress in the database.

A job is a row (citizen.jobs.models.Job) and a handler registered under a name (`register`, called by
the feature's init_app):
`handler(job, progress)` where `progress(done, total, message="")` records how far it got (each
call commits, so a page polling the job sees it move). Handlers must be idempotent: a job that
was running when its process died is run again from the start by `flask jobs resume`.

Jobs run in a small thread pool of the process that started them, each in its own app context and
database session; with JOBS_SYNC (tests, CLI) they run at once, in the caller's thread.

One run of a handler is one attempt. A handler whose attempt failed but may succeed later raises
`Retry(seconds)`: the job goes back to pending with `due_at` set and `attempt` counted up, and is run again
once due (a timer hands it back to the pool; `flask jobs resume` also runs due jobs). Nobody sleeps in a
shared worker. Jobs started with a `lane` (e.g. "webhook:org:7") run one at a time per lane, on a thread of
that lane, never in the shared pool: one organisation's dead webhook holds only its own lane."""
import logging
import threading
import time
import traceback
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from flask import current_app
from sqlalchemy import event, or_, select

from citizen.accounts.models import utcnow
from citizen.extensions import db
from citizen.jobs.models import DONE, FAILED, PENDING, RUNNING, Job

log = logging.getLogger(__name__)
_handlers = {}
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="citizen-job")
_lanes = {}  # lane -> deque of (app, job_id) waiting; a lane is present while its thread runs
_lanes_lock = threading.Lock()


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
    """Create a job and run it off the request once the current transaction commits. The caller
    commits; returns the job."""
    if name not in _handlers:
        raise KeyError(f"no job handler {name!r}")
    job = Job(name=name, campaign_id=campaign_id, params=params or {}, status=PENDING, lane=lane)
    db.session.add(job)
    db.session.flush()
    app = current_app._get_current_object()
    db.session.commit()
    if app.config.get("JOBS_SYNC"):
        _run(job.id)  # in the caller's session: the returned job shows the outcome
    else:
        _dispatch(app, job.id, lane)
    return job


def _dispatch(app, job_id, lane):
    """Run the job now: in the caller's thread (JOBS_SYNC), on its lane's thread, or in the shared pool."""
    if app.config.get("JOBS_SYNC"):
        _in_context(app, job_id)
    elif lane:
        with _lanes_lock:
            queue = _lanes.get(lane)
            if queue is not None:  # the lane's thread is running: it takes this job after the current one
                queue.append((app, job_id))
                return
            _lanes[lane] = deque([(app, job_id)])
        threading.Thread(target=_drain, args=(lane,), name=f"citizen-lane-{lane}"[:60], daemon=True).start()
    else:
        _pool.submit(_in_context, app, job_id)


def _drain(lane):
    while True:
        with _lanes_lock:
            queue = _lanes[lane]
            if not queue:
                del _lanes[lane]
                return
            app, job_id = queue.popleft()
        try:
            _in_context(app, job_id)
        except Exception:  # noqa: BLE001  (_run records failures; this keeps the lane alive whatever happens)
            log.exception("job %s on lane %s", job_id, lane)


def _later(app, job_id, lane, seconds):
    """Hand a retry back once it is due (a timer thread waits, not a worker)."""
    if app.config.get("JOBS_SYNC"):
        time.sleep(seconds)  # the caller's own thread (tests, CLI)
        _run(job_id)
        return
    timer = threading.Timer(seconds, _dispatch, (app, job_id, lane))
    timer.daemon = True
    timer.start()


def start_after_commit(name, campaign_id=None, params=None, lane=None):
    """Create a job in the caller's transaction and run it once that transaction commits (never if it
    rolls back): for work a request must neither wait for nor commit early, such as a webhook sent
    because of an answer. A job whose process stops first is run by `flask jobs resume`."""
    if name not in _handlers:
        raise KeyError(f"no job handler {name!r}")
    job = Job(name=name, campaign_id=campaign_id, params=params or {}, status=PENDING, lane=lane)
    db.session.add(job)
    db.session.flush()
    app, job_id = current_app._get_current_object(), job.id

    def run(_session):
        _dispatch(app, job_id, lane)  # JOBS_SYNC: a fresh app context, its own session, after this one committed

    event.listen(db.session(), "after_commit", run, once=True)
    return job


def _in_context(app, job_id):
    with app.app_context():
        try:
            _run(job_id)
        finally:
            db.session.remove()


def _run(job_id):
    job = db.session.get(Job, job_id)
    if job is None or job.status in (DONE, FAILED):
        return
    job.status, job.done, job.due_at = RUNNING, 0, None
    if job.attempt == 1:
        job.message = ""
    db.session.commit()

    def progress(done, total, message=""):
        job.done, job.total = done, total
        if message:
            job.message = message
        db.session.commit()

    try:
        result = _handlers[job.name](job, progress)
    except Retry as retry:
        db.session.rollback()
        job = db.session.get(Job, job_id)
        job.status, job.attempt = PENDING, job.attempt + 1
        job.due_at = utcnow() + timedelta(seconds=retry.seconds)
        job.message = str(retry.message)[:1000]
        lane = job.lane
        db.session.commit()
        _later(current_app._get_current_object(), job_id, lane, retry.seconds)
        return
    except Exception as exc:  # the job's row says what went wrong; the process goes on
        db.session.rollback()
        log.error("job %s (%s) failed: %s", job_id, job.name, traceback.format_exc())
        job = db.session.get(Job, job_id)
        job.status, job.finished_at = FAILED, utcnow()
        job.message = str(getattr(exc, "message", None) or exc)[:1000]
        db.session.commit()
        return
    job.status, job.finished_at = DONE, utcnow()
    job.result = result or {}
    if job.total and job.done < job.total:
        job.done = job.total
    db.session.commit()


def resume():
    """Run again every job left pending or running (its process stopped), except retries not yet due (a
    later `resume` runs them). Returns how many."""
    ids = db.session.execute(select(Job.id).where(
        Job.status.in_((PENDING, RUNNING)), or_(Job.due_at.is_(None), Job.due_at <= utcnow()))
        .order_by(Job.id)).scalars().all()
    for job_id in ids:
        _run(job_id)
    return len(ids)


def get(job_id):
    return db.session.get(Job, job_id)


def latest(campaign_id, name):
    return db.session.execute(select(Job).where(Job.campaign_id == campaign_id, Job.name == name)
                              .order_by(Job.id.desc()).limit(1)).scalar_one_or_none()

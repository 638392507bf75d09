"""Run long work off the request, with progress in the database.

A job is a row (citizen.jobs.models.Job) and a handler registered under a name:
`handler(job, progress)` where `progress(done, total, message="")` records how far it got (each
call commits, so a page polling the job sees it move). Handlers must be idempotent: a job that
was running when its process died is run again from the start by `flask jobs resume`.

Jobs run in a small thread pool of the process that started them, each in its own app context and
database session; with JOBS_SYNC (tests, CLI) they run at once, in the caller's thread."""
import logging
import traceback
from concurrent.futures import ThreadPoolExecutor

from flask import current_app
from sqlalchemy import event, select

from citizen.accounts.models import utcnow
from citizen.extensions import db
from citizen.jobs.models import DONE, FAILED, PENDING, RUNNING, Job

log = logging.getLogger(__name__)
_handlers = {}
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="citizen-job")


def handler(name):
    """Register a job handler under `name` (decorator); importing the module registers it."""
    def register(fn):
        _handlers[name] = fn
        return fn
    return register


def start(name, campaign_id=None, params=None):
    """Create a job and run it off the request once the current transaction commits. The caller
    commits; returns the job."""
    if name not in _handlers:
        raise KeyError(f"no job handler {name!r}")
    job = Job(name=name, campaign_id=campaign_id, params=params or {}, status=PENDING)
    db.session.add(job)
    db.session.flush()
    app = current_app._get_current_object()
    if app.config.get("JOBS_SYNC"):
        db.session.commit()
        _run(job.id)
    else:
        db.session.commit()
        _pool.submit(_in_context, app, job.id)
    return job


def start_after_commit(name, campaign_id=None, params=None):
    """Create a job in the caller's transaction and run it once that transaction commits (never if it
    rolls back): for work a request must neither wait for nor commit early, such as a webhook sent
    because of an answer. A job whose process stops first is run by `flask jobs resume`."""
    if name not in _handlers:
        raise KeyError(f"no job handler {name!r}")
    job = Job(name=name, campaign_id=campaign_id, params=params or {}, status=PENDING)
    db.session.add(job)
    db.session.flush()
    app, job_id = current_app._get_current_object(), job.id

    def run(_session):
        if app.config.get("JOBS_SYNC"):
            _in_context(app, job_id)  # a fresh app context: its own session, after this one committed
        else:
            _pool.submit(_in_context, app, job_id)

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
    job.status, job.done, job.message = RUNNING, 0, ""
    db.session.commit()

    def progress(done, total, message=""):
        job.done, job.total = done, total
        if message:
            job.message = message
        db.session.commit()

    try:
        result = _handlers[job.name](job, progress)
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
    """Run again every job left pending or running (its process stopped). Returns how many."""
    ids = db.session.execute(select(Job.id).where(Job.status.in_((PENDING, RUNNING))).order_by(Job.id)).scalars().all()
    for job_id in ids:
        _run(job_id)
    return len(ids)


def get(job_id):
    return db.session.get(Job, job_id)


def latest(campaign_id, name):
    return db.session.execute(select(Job).where(Job.campaign_id == campaign_id, Job.name == name)
                              .order_by(Job.id.desc()).limit(1)).scalar_one_or_none()

"""The worker: the queue library's consumer running jobs (`flask jobs work`), and its sweeper.

The sweeper is the outbox's relay. Every JOBS_SWEEP_SECONDS each worker sends again the messages that may have
been lost: jobs still pending JOBS_RESEND_SECONDS after their message was sent (a crash between a commit and its
message, a queue that was down, a message read by a worker killed before it claimed the row), and jobs whose
worker's lease ran out (killed with kill -9: its lease is not moved on any more). A job whose worker is killed is
therefore claimed by another worker within JOBS_LEASE_SECONDS + JOBS_SWEEP_SECONDS (45 s by default) plus its wait
in the queue, and never while the first worker lives (its heartbeat keeps the lease). A message sent twice is
harmless: only one claim of a row wins.

The sweeper also runs the chores features register (`register_chore`, from their init_app): small periodic
clean-ups such as forgetting an organiser's preview upload that was never confirmed. Each runs at most once per
its period in each worker; a chore is idempotent, so two workers running it is harmless."""
import contextlib
import logging
import threading
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update

from citizen.accounts.models import utcnow
from citizen.extensions import db
from citizen.jobs import queue, services
from citizen.jobs.models import PENDING, RUNNING, Job

log = logging.getLogger(__name__)
_chores = {}  # name -> (fn(app), every_seconds)


def register_chore(name, fn, every_seconds):
    """Run `fn(app)` in every worker's sweeper, within an app context, about every `every_seconds`. Called by the
    owning feature's init_app. Registering the same function again is harmless; another one is an error."""
    known = _chores.get(name)
    if known is not None and known[0] is not fn:
        raise ValueError(f"chore {name!r} is already registered")
    _chores[name] = (fn, float(every_seconds))


def run_chores(app, last_run, now):
    """Run the chores that are due (per `last_run`: name -> monotonic time, updated). A failing chore is logged and
    tried again next period; it never stops the sweep."""
    for name, (fn, every) in sorted(_chores.items()):
        if now - last_run.get(name, float("-inf")) < every:
            continue
        last_run[name] = now
        try:
            fn(app)
        except Exception:  # noqa: BLE001
            db.session.rollback()
            log.exception("chore %s", name)


def sweep(limit=500):
    """Send again the messages of jobs that may have lost theirs (see above). Returns the job ids sent."""
    app = current_app._get_current_object()
    now = utcnow()
    cutoff = now - timedelta(seconds=float(app.config.get("JOBS_RESEND_SECONDS", 60)))
    quiet = or_(Job.sent_at.is_(None), Job.sent_at <= cutoff)
    lost = or_(
        and_(Job.status == PENDING, quiet, or_(Job.due_at.is_(None), Job.due_at <= cutoff)),
        and_(Job.status == RUNNING, or_(Job.lease_until.is_(None), Job.lease_until < now),
             or_(quiet, Job.sent_at < Job.lease_until)))  # not sent since its worker stopped
    ids = db.session.execute(select(Job.id).where(lost).order_by(Job.id).limit(limit)).scalars().all()
    if ids:
        db.session.execute(update(Job).where(Job.id.in_(ids)).values(sent_at=now)
                           .execution_options(synchronize_session=False))
    db.session.commit()
    for job_id in ids:
        queue.send(app, services.run_in_context, job_id)
    if ids:
        log.info("sweep: sent %d job(s) again: %s", len(ids), ids[:20])
    return ids


class _Sweeper(threading.Thread):
    def __init__(self, app):
        super().__init__(name="citizen-job-sweeper", daemon=True)
        self.app, self.stopping = app, threading.Event()

    def run(self):
        every = float(self.app.config.get("JOBS_SWEEP_SECONDS", 15))
        last_run = {}
        while True:
            try:
                with self.app.app_context():
                    sweep()
                    run_chores(self.app, last_run, time.monotonic())
                    db.session.remove()
            except Exception:  # noqa: BLE001  (database or queue away for a moment: the next sweep tries again)
                log.exception("job sweep")
            if self.stopping.wait(every):
                return


def work(app, threads=None):
    """Run jobs until SIGINT or SIGTERM (SIGINT and SIGTERM end after the running jobs; a second one at once): the
    library's consumer with `threads` worker threads (JOBS_WORKER_THREADS), and the sweeper."""
    consumer = queue.consumer(app, services.run_in_context, threads or app.config.get("JOBS_WORKER_THREADS", 2))
    sweeper = _Sweeper(app)
    sweeper.start()
    try:
        consumer.run()
    finally:
        sweeper.stopping.set()


@contextlib.contextmanager
def embedded(app, threads=2):
    """A worker in this process's threads for the time of a `with` block (tests; a single-process setup)."""
    consumer = queue.consumer(app, services.run_in_context, threads)
    sweeper = _Sweeper(app)
    queue.start_threads(consumer)
    sweeper.start()
    try:
        yield consumer
    finally:
        sweeper.stopping.set()
        queue.stop_threads(consumer)
        sweeper.join()

"""The bridge to the queue library, Huey (see docs/jobs.md for why this one): one queue per app, a message per job.

A message carries only a job id; the job's row (citizen.jobs.models.Job) is the record and the outbox, and a
worker claims the row before running it (citizen.jobs.services), so a message sent twice or read by two workers
runs the job once. Where the queue lives comes from JOBS_QUEUE_URL:

    redis://host:6379/1        Redis (production: several workers, several machines)
    postgresql://host/db       tables in PostgreSQL (no Redis needed)
    sqlite:///path/queue.db    a SQLite file (`make run`: nothing but SQLite; the default, in the instance folder)
    memory://                  this process only (tests: messages wait to be read, nothing consumes them)

`consumer()` makes the library's consumer (worker threads and the scheduler that hands on delayed messages); the
handler of every message is the `runner(app, job_id)` that citizen.jobs.services passes in."""
import os

import huey
from huey.consumer import Consumer

_KEY = "citizen.jobs.queue"


def _make(app, runner):
    url = app.config.get("JOBS_QUEUE_URL") or "sqlite:///" + os.path.join(app.instance_path, "jobs-queue.db")
    name = app.config.get("JOBS_QUEUE_NAME") or "citizen"
    options = {"results": False, "utc": True}
    if url.startswith("memory:"):
        q = huey.MemoryHuey(name, **options)
    elif url.startswith(("redis://", "rediss://", "unix://")):
        q = huey.RedisHuey(name, url=url, **options)
    elif url.startswith("sqlite:///"):
        q = huey.SqliteHuey(name, filename=url[len("sqlite:///"):], **options)
    elif url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        q = huey.PostgresHuey(name, dsn=url.replace("+psycopg", "", 1), **options)
    else:
        raise ValueError(f"JOBS_QUEUE_URL must be redis://, postgresql://, sqlite:/// or memory://, not {url!r}")

    def run(job_id):
        runner(app, job_id)
    return q, q.task(name="run")(run)


def _get(app, runner):
    found = app.extensions.get(_KEY)
    if found is None:
        found = app.extensions[_KEY] = _make(app, runner)
    return found


def send(app, runner, job_id, delay=0.0):
    """Hand a job to the queue: to be read at once, or not before `delay` seconds (the library's schedule)."""
    _q, task = _get(app, runner)
    if delay and delay > 0:
        task.schedule((job_id,), delay=delay)
    else:
        task(job_id)


def sent(app, runner):
    """[(job_id, eta or None)] of the messages waiting in the queue and its schedule (tests read the memory queue)."""
    q, _task = _get(app, runner)
    return [(t.args[0], t.eta) for t in list(q.pending()) + list(q.scheduled())]


def consumer(app, runner, threads):
    """The library's consumer on this app's queue: `threads` worker threads and the scheduler. `.run()` it in a
    process's main thread (it handles SIGINT/SIGTERM), or `start_threads` it beside other work."""
    q, _task = _get(app, runner)
    return Consumer(q, workers=max(1, int(threads)), periodic=False, worker_type="thread",
                    initial_delay=0.05, backoff=1.5, max_delay=1.0, check_worker_health=True)


def start_threads(c):
    """Start a consumer's threads without taking over the process's signals (an embedded worker)."""
    c.scheduler.start()
    for _worker, thread in c.worker_threads:
        thread.start()


def stop_threads(c):
    """Stop an embedded consumer: each thread ends after the message it is running."""
    c.stop_flag.set()
    for _worker, thread in c.worker_threads:
        thread.join()
    c.scheduler.join()

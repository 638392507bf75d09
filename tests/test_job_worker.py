"""Real worker processes (`flask jobs work`) on a real queue: Redis (db 6) and a SQLite file, on the test database
(SQLite, or PostgreSQL with CITIZEN_TEST_DATABASE_URL). A worker killed with kill -9 in the middle of a job leaves
it to another worker, which runs it to the end, once; while the first one lived nobody else could take it."""
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from citizen.accounts.models import utcnow
from citizen.extensions import db
from citizen.jobs import services as jobs
from citizen.jobs import worker
from citizen.jobs.models import DONE, Job
from tests.job_worker_app import slow

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LEASE = 6  # seconds: the heartbeat moves it on every 2 s, the sweep runs every second


@pytest.fixture(params=["redis", "sqlite"])
def queue_url(request, tmp_path):
    if request.param == "sqlite":
        return "sqlite:///" + str(tmp_path / "queue.db")
    import redis
    url = "redis://127.0.0.1:6379/6"
    try:
        redis.Redis.from_url(url).flushdb()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    return url


def _spawn(tmp_path, db_uri, queue_url, name):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CITIZEN_")},
           "CITIZEN_DATABASE_URL": db_uri, "CITIZEN_JOBS_QUEUE_URL": queue_url, "CITIZEN_SECRET_KEY": "test-secret",
           "CITIZEN_JOBS_LEASE_SECONDS": str(LEASE), "CITIZEN_JOBS_SWEEP_SECONDS": "1",
           "CITIZEN_MEDIA_FOLDER": str(tmp_path / "media"), "CITIZEN_EXPORTS_FOLDER": str(tmp_path / "exports")}
    out = open(tmp_path / f"worker-{name}.log", "w")
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "tests.job_worker_app:make", "jobs", "work",
                             "--threads", "2"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _wait_for(what, check, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    pytest.fail(f"waited {seconds} s for {what}")


def _lines(path):
    return open(path).read().split("\n")[:-1] if os.path.exists(path) else []


def test_a_worker_killed_mid_job_leaves_it_to_another_that_runs_it_once(make_app, db_uri, tmp_path, queue_url):
    app = make_app(JOBS_SYNC=False, JOBS_QUEUE_URL=queue_url, JOBS_LEASE_SECONDS=LEASE)
    jobs.register("test.slow", slow)
    log, release = str(tmp_path / "runs.log"), str(tmp_path / "release")
    first = _spawn(tmp_path, db_uri, queue_url, "first")
    second = None
    try:
        with app.app_context():
            job_id = jobs.start("test.slow", params={"log": log, "release": release}).id
            db.session.commit()  # now, and not before, the message goes to the queue
            _wait_for("the first worker to start the job", lambda: f"start {first.pid}" in _lines(log))
            # While its worker lives the job is held: nobody claims it, the sweeper does not send it again.
            assert db.session.execute(select(Job.id).where(jobs.claimable(utcnow()))).first() is None
            assert jobs.resume() == 0 and worker.sweep() == []
            db.session.commit()
            first.send_signal(signal.SIGKILL)
            first.wait()
            second = _spawn(tmp_path, db_uri, queue_url, "second")
            _wait_for("another worker to take the job", lambda: f"start {second.pid}" in _lines(log))
            open(release, "w").close()

            def finished():
                db.session.expire_all()
                status = db.session.get(Job, job_id).status
                db.session.rollback()  # no transaction left open while waiting: on SQLite it holds the write lock
                return status == DONE
            _wait_for("the job to finish", finished)
            job = db.session.get(Job, job_id)
            assert _lines(log) == [f"start {first.pid}", f"start {second.pid}", f"end {second.pid}"]
            assert (job.runs, job.result, job.claimed_by, job.done) == (2, {"pid": second.pid}, None, 1)
            db.session.commit()
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)  # ends after its running job (there is none left)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()

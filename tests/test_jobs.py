"""Jobs: long work off the request, with progress in the database, on a queue (citizen.jobs).

These tests use the memory queue (conftest: JOBS_QUEUE_URL=memory://): what a transaction sends can be read back,
and runs are driven by hand. tests/test_job_worker.py runs real worker processes on Redis and SQLite queues."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from citizen.accounts.models import utcnow
from citizen.extensions import db
from citizen.jobs import services as jobs
from citizen.jobs import worker
from citizen.jobs.models import DONE, FAILED, PENDING, RUNNING, Job


def _count(job, progress):
    for i in range(job.params["n"]):
        progress(i + 1, job.params["n"])
    return {"counted": job.params["n"]}


def _fail(job, progress):
    progress(1, 3)
    raise ValueError("page 2 is unreadable")


jobs.register("test.count", _count)
jobs.register("test.fail", _fail)


def _retry_once(job, progress):
    if job.attempt == 1:
        raise jobs.Retry(3600, "first attempt failed")
    return {"attempt": job.attempt}


jobs.register("test.retry_once", _retry_once)  # the explicit form of registering a handler


def _row(job_id):
    db.session.expire_all()
    return db.session.get(Job, job_id)


def _sent_ids():
    return [job_id for job_id, _eta in jobs.sent()]


def test_a_job_reports_progress_and_its_result(app):
    job = jobs.start("test.count", params={"n": 4})
    db.session.commit()
    job = _row(job.id)
    assert (job.status, job.done, job.total, job.result, job.runs) == (DONE, 4, 4, {"counted": 4}, 1)
    assert job.as_json()["percent"] == 100 and job.claimed_by is None and job.lease_until is None


def test_a_failing_job_keeps_its_message_and_the_app_goes_on(app):
    job = jobs.start("test.fail")
    db.session.commit()
    job = _row(job.id)
    assert job.status == FAILED and "page 2" in job.message


def test_a_job_starts_only_when_its_transaction_commits(app):
    app.config["JOBS_SYNC"] = False
    job_id = jobs.start("test.count", params={"n": 1}).id
    assert _sent_ids() == []  # not before the commit: a worker would not find the row
    db.session.rollback()
    assert db.session.execute(select(Job)).first() is None and _sent_ids() == []  # rolled back: no row, no message
    job_id = jobs.start("test.count", params={"n": 1}).id
    db.session.commit()
    assert _sent_ids() == [job_id]
    assert jobs._run(job_id) and _row(job_id).status == DONE
    assert not jobs._run(job_id)  # the same message read again (or sent twice): claimed once, run once
    assert _row(job_id).runs == 1


def test_a_job_of_a_rolled_back_transaction_is_never_run_in_sync_mode(app):
    jobs.start("test.count", params={"n": 1})
    db.session.rollback()
    db.session.commit()  # a later commit of the same session sends nothing of the rolled back transaction
    assert db.session.execute(select(Job)).first() is None


def test_resume_runs_jobs_left_behind_but_never_one_a_live_worker_holds(app):
    now = utcnow()
    db.session.add_all([
        Job(name="test.count", params={"n": 2}, status=PENDING),
        Job(name="test.count", params={"n": 2}, status=RUNNING, claimed_by="dead:1/x", lease_until=now - timedelta(seconds=1)),
        Job(name="test.count", params={"n": 2}, status=RUNNING, claimed_by="live:2/y", lease_until=now + timedelta(minutes=5)),
    ])
    db.session.commit()
    assert jobs.resume() == 2
    rows = db.session.execute(select(Job.status, Job.claimed_by).order_by(Job.id)).all()
    assert [tuple(r) for r in rows] == [(DONE, None), (DONE, None), (RUNNING, "live:2/y")]


def test_a_retry_is_a_scheduled_message_not_a_sleeping_worker(app):
    """The handler does one attempt; "due at" is data and the queue's schedule: the worker is free at once, and
    `flask jobs resume` leaves a retry alone until it is due."""
    app.config["JOBS_SYNC"] = False
    job_id = jobs.start("test.retry_once", lane="test:one").id
    db.session.commit()
    assert jobs._run(job_id)
    job = _row(job_id)
    assert (job.status, job.attempt, job.message) == (PENDING, 2, "first attempt failed")
    etas = [eta for jid, eta in jobs.sent() if jid == job_id and eta is not None]
    assert len(etas) == 1 and abs((etas[0] - job.due_at).total_seconds()) < 60  # scheduled for when it is due
    assert 3500 < (job.due_at - utcnow()).total_seconds() <= 3600
    assert not jobs._run(job_id) and jobs.resume() == 0  # not due yet: the early message is dropped
    job.due_at = job.created_at  # the hour has passed
    db.session.commit()
    assert jobs.resume() == 1
    job = _row(job_id)
    assert (job.status, job.result, job.runs) == (DONE, {"attempt": 2}, 2)


def test_jobs_of_a_lane_run_one_at_a_time_and_other_lanes_go_on(app):
    app.config["JOBS_SYNC"] = False
    a1, a2 = (jobs.start("test.count", params={"n": 1}, lane="org:a").id for _ in range(2))
    b1 = jobs.start("test.count", params={"n": 1}, lane="org:b").id
    db.session.commit()
    assert not jobs._run(a2)  # a1 was started first and waits: a2 steps aside
    assert jobs._claim(a1)  # a worker runs a1 ...
    assert not jobs._run(a2)  # ... so a2 waits, without holding a worker
    assert jobs._run(b1) and _row(b1).status == DONE  # another organisation's lane is not held
    assert _row(a2).status == PENDING


def test_the_job_that_frees_a_lane_sends_the_next_one(app):
    app.config["JOBS_SYNC"] = False
    a1, a2 = (jobs.start("test.count", params={"n": 1}, lane="org:a").id for _ in range(2))
    db.session.commit()
    assert not jobs._run(a2)
    before = _sent_ids().count(a2)
    assert jobs._run(a1)
    assert _sent_ids().count(a2) == before + 1
    assert jobs._run(a2) and _row(a2).status == DONE


def test_the_sweeper_sends_again_what_a_crash_lost(app):
    """The row is the outbox: a job committed but never sent (the process died between the commit and the message),
    or whose worker was killed (its lease ran out), is sent again; a job sent a moment ago or held by a live worker
    is left alone."""
    app.config["JOBS_SYNC"] = False
    now, old = utcnow(), utcnow() - timedelta(minutes=5)
    lost = Job(name="test.count", params={"n": 1}, status=PENDING, sent_at=old)
    fresh = Job(name="test.count", params={"n": 1}, status=PENDING, sent_at=now)
    killed = Job(name="test.count", params={"n": 1}, status=RUNNING, sent_at=now - timedelta(seconds=40),
                 claimed_by="dead:1/x", lease_until=now - timedelta(seconds=1))
    live = Job(name="test.count", params={"n": 1}, status=RUNNING, sent_at=old, claimed_by="live:1/y",
               lease_until=now + timedelta(seconds=30))
    not_due = Job(name="test.count", params={"n": 1}, status=PENDING, sent_at=old, due_at=now + timedelta(hours=1))
    db.session.add_all([lost, fresh, killed, live, not_due])
    db.session.commit()
    assert worker.sweep() == [lost.id, killed.id]
    assert sorted(_sent_ids()) == [lost.id, killed.id]
    assert worker.sweep() == []  # sent again just now: not again at the next sweep
    assert jobs._run(killed.id) and _row(killed.id).status == DONE


def test_unknown_handler_is_refused(app):
    with pytest.raises(KeyError):
        jobs.start("no.such.job")

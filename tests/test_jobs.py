"""Jobs: long work off the request, with progress in the database."""
import pytest

from citizen.extensions import db
from citizen.jobs import services as jobs
from citizen.jobs.models import DONE, FAILED, PENDING, Job


def _count(job, progress):
    for i in range(job.params["n"]):
        progress(i + 1, job.params["n"])
    return {"counted": job.params["n"]}


def _fail(job, progress):
    progress(1, 3)
    raise ValueError("page 2 is unreadable")


jobs.register("test.count", _count)
jobs.register("test.fail", _fail)


def test_a_job_reports_progress_and_its_result(app):
    job = jobs.start("test.count", params={"n": 4})
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert (job.status, job.done, job.total, job.result) == (DONE, 4, 4, {"counted": 4})
    assert job.as_json()["percent"] == 100


def test_a_failing_job_keeps_its_message_and_the_app_goes_on(app):
    job = jobs.start("test.fail")
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == FAILED and "page 2" in job.message


def test_resume_runs_jobs_left_behind(app):
    db.session.add(Job(name="test.count", params={"n": 2}, status=PENDING))
    db.session.commit()
    assert jobs.resume() == 1
    assert db.session.execute(db.select(Job.status)).scalar_one() == DONE


def test_unknown_handler_is_refused(app):
    with pytest.raises(KeyError):
        jobs.start("no.such.job")

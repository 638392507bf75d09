"""The app that the worker processes of tests/test_job_worker.py run (`flask --app tests.job_worker_app:make jobs
work`): citizen's app, configured from CITIZEN_* variables, plus a test handler whose pace the test controls."""
import os
import time

from citizen import create_app
from citizen.extensions import db
from citizen.jobs import services as jobs


def slow(job, progress):
    """Write "start <pid>" to params["log"], wait until the file params["release"] exists, write "end <pid>"."""
    log, release = job.params["log"], job.params["release"]
    db.session.commit()  # end the read transaction before waiting (on SQLite it holds the write lock)
    with open(log, "a") as fh:
        fh.write(f"start {os.getpid()}\n")
    deadline = time.monotonic() + 120
    while not os.path.exists(release) and time.monotonic() < deadline:
        time.sleep(0.05)
    progress(1, 1)
    with open(log, "a") as fh:
        fh.write(f"end {os.getpid()}\n")
    return {"pid": os.getpid()}


def make():
    jobs.register("test.slow", slow)
    return create_app()

"""Redundancy, one-answer-per-task and idempotency under concurrent requests (threads, real
connections): on SQLite always, and on PostgreSQL when CITIZEN_TEST_DATABASE_URL is set."""
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from citizen.campaigns.models import Answer, Task
from citizen.extensions import db
from tests import helpers
from tests.helpers import new_guest, try_answer


def _guests(client, n):
    return [new_guest(client) for _ in range(n)]


def _parallel(fn, items):
    barrier = threading.Barrier(len(items))

    def run(item):
        barrier.wait()
        return fn(item)
    with ThreadPoolExecutor(len(items)) as pool:
        return list(pool.map(run, items))


def test_one_task_is_handed_out_only_redundancy_times(app, make_campaign):
    slug = make_campaign(tasks=1, redundancy=3).slug
    heads = _guests(app.test_client(), 12)

    statuses = _parallel(lambda h: try_answer(app.test_client(), slug, "yes", h).status_code, heads)
    assert sorted(statuses) == [201] * 3 + [204] * 9
    db.session.expire_all()
    assert db.session.execute(select(Task.answer_count, Task.lease_count)).one() == (3, 0)
    assert db.session.execute(select(func.count()).select_from(Answer)).scalar() == 3


def test_many_volunteers_never_exceed_redundancy(app, make_campaign):
    slug = make_campaign(tasks=12, redundancy=2).slug
    heads = _guests(app.test_client(), 8)

    def work(h):  # every task it is handed until none is left (there are 24 answers to give in all)
        return len(helpers.work(app.test_client(), slug, 100, h, "no"))

    assert sum(_parallel(work, heads)) == 24
    db.session.expire_all()
    counts = db.session.execute(select(Task.answer_count)).scalars().all()
    assert counts == [2] * 12
    per_pair = db.session.execute(select(Answer.task_id, Answer.contributor_id, func.count())
                                  .group_by(Answer.task_id, Answer.contributor_id)).all()
    assert all(n == 1 for _, _, n in per_pair)


def test_concurrent_retries_with_one_key_store_one_answer(app, make_campaign):
    slug = make_campaign(tasks=1, redundancy=3).slug
    client = app.test_client()
    h = _guests(client, 1)[0]
    task_id = client.get(f"/api/v1/campaigns/{slug}/tasks/next", headers=h).get_json()["id"]
    headers = {**h, "Idempotency-Key": str(uuid.uuid4())}

    def send(_):
        r = app.test_client().post(f"/api/v1/tasks/{task_id}/answers", json={"value": "yes"}, headers=headers)
        return r.status_code, r.get_json()

    results = _parallel(send, range(6))
    assert {status for status, _ in results} == {201}
    assert all(body == results[0][1] for _, body in results)
    assert db.session.execute(select(func.count()).select_from(Answer)).scalar() == 1

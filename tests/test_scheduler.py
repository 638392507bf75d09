"""citizen.campaigns.scheduler at the service level: leases, expiry, late answers, counters."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from citizen.accounts import services as accounts
from citizen.accounts.models import utcnow
from citizen.campaigns import scheduler
from citizen.campaigns import services as campaigns
from citizen.campaigns.models import EXPIRED, SKIPPED, Answer, Assignment, Campaign, Participation, Task
from citizen.errors import AlreadyAnswered, NotAssigned, TaskComplete
from citizen.extensions import db


def contributor():
    cid = accounts.create_guest()[0].id
    db.session.commit()
    return cid


def lease(c, cid, exclude=()):
    got = scheduler.next_task(c.slug, cid, exclude)[1]
    db.session.commit()
    return got and got[0]


def submit(tid, cid, value="yes"):
    status, body = scheduler.submit_answer(tid, cid, value)
    db.session.commit()
    assert status == 201
    return body


def refused(exc_type, fn, *args):
    """The call raises exc_type; the request's rollback then leaves nothing behind."""
    with pytest.raises(exc_type) as info:
        fn(*args)
    db.session.rollback()
    return info.value


def task(tid):
    return db.session.execute(select(Task.answer_count, Task.lease_count, Task.available).where(Task.id == tid)).one()


def part(cid, c):
    return db.session.execute(select(Participation.leases, Participation.answer_count, Participation.skip_count)
                              .where(Participation.contributor_id == cid, Participation.campaign_id == c.id)).one()


def assignment_state(cid, tid):
    return db.session.execute(select(Assignment.state).where(Assignment.contributor_id == cid,
                                                             Assignment.task_id == tid)).scalar_one()


def tasks_done(c):
    return db.session.execute(select(Campaign.tasks_done).where(Campaign.id == c.id)).scalar_one()


def answers():
    return db.session.execute(select(func.count()).select_from(Answer)).scalar_one()


def expire(cid, tid):
    db.session.execute(update(Assignment).where(Assignment.contributor_id == cid, Assignment.task_id == tid)
                       .values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()


def release():
    n = scheduler.release_expired_leases()
    db.session.commit()
    return n


def task_ids():
    return db.session.execute(select(Task.id).order_by(Task.id)).scalars().all()


def test_lease_counts_after_next_submit_and_skip(make_campaign):
    c = make_campaign(tasks=1, redundancy=2)
    a, b, d = contributor(), contributor(), contributor()
    t = lease(c, a)
    assert task(t) == (0, 1, True) and part(a, c) == (1, 0, 0)
    assert lease(c, b) == t
    assert task(t) == (0, 2, False) and part(b, c) == (1, 0, 0)
    assert lease(c, d) is None  # every slot is held
    submit(t, a)
    assert task(t) == (1, 1, False) and part(a, c) == (0, 1, 0)
    scheduler.skip_task(t, b)
    db.session.commit()
    assert task(t) == (1, 0, True) and part(b, c) == (0, 0, 1) and assignment_state(b, t) == SKIPPED
    assert lease(c, b) is None  # not handed back to who skipped it
    assert lease(c, d) == t and task(t) == (1, 1, False)


def test_submit_and_skip_need_a_hand_out(make_campaign):
    c = make_campaign(tasks=1, redundancy=2)
    a, b = contributor(), contributor()
    t = lease(c, a)
    refused(NotAssigned, scheduler.submit_answer, t, b, "yes")
    refused(NotAssigned, scheduler.skip_task, t, b)
    submit(t, a)
    refused(AlreadyAnswered, scheduler.submit_answer, t, a, "no")
    refused(AlreadyAnswered, scheduler.skip_task, t, a)
    assert task(t) == (1, 0, True) and answers() == 1


def test_third_request_returns_a_held_lease(make_campaign):
    c, a = make_campaign(tasks=5), contributor()
    first, second = lease(c, a), lease(c, a)
    assert lease(c, a) == first  # the oldest held lease comes back
    assert lease(c, a, exclude=[first]) == second
    assert part(a, c)[0] == 2
    assert sum(task(t)[1] for t in task_ids()) == 2


def test_release_expired_leases_gives_the_slot_back(make_campaign):
    c = make_campaign(tasks=1, redundancy=1)
    a, b = contributor(), contributor()
    t = lease(c, a)
    assert task(t) == (0, 1, False)
    assert release() == 0  # nothing has expired yet
    expire(a, t)
    assert release() == 1
    assert assignment_state(a, t) == EXPIRED and task(t) == (0, 0, True) and part(a, c)[0] == 0
    assert release() == 0
    assert lease(c, a) is None  # the expired hand-out is not handed to the same person again
    assert lease(c, b) == t and task(t) == (0, 1, False)


def test_late_answer_accepted_while_the_task_has_room(make_campaign):
    c = make_campaign(tasks=1, redundancy=2)
    a = contributor()
    t = lease(c, a)
    expire(a, t)
    release()
    body = submit(t, a)
    assert body["answer"]["task_id"] == t and not body["task_complete"]
    assert task(t) == (1, 0, True) and part(a, c) == (0, 1, 0)


def test_late_answer_refused_when_the_task_is_full(make_campaign):
    c = make_campaign(tasks=1, redundancy=1)
    a, b = contributor(), contributor()
    t = lease(c, a)
    expire(a, t)
    release()
    assert lease(c, b) == t
    exc = refused(TaskComplete, scheduler.submit_answer, t, a, "yes")
    assert (exc.status, exc.code) == (409, "task_complete")
    assert answers() == 0 and assignment_state(a, t) == EXPIRED and task(t) == (0, 1, False)
    submit(t, b)
    refused(TaskComplete, scheduler.submit_answer, t, a, "yes")
    assert task(t) == (1, 0, False) and answers() == 1 and tasks_done(c) == 1


def test_late_answer_refused_over_http(client, make_campaign, guest):
    c = make_campaign(tasks=1, redundancy=1)
    a, b = guest(), guest()
    t = client.get(f"/api/v1/campaigns/{c.slug}/tasks/next", headers=a).get_json()["id"]
    db.session.execute(update(Assignment).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    release()
    assert client.get(f"/api/v1/campaigns/{c.slug}/tasks/next", headers=b).get_json()["id"] == t
    assert client.post(f"/api/v1/tasks/{t}/answers", json={"value": "no"}, headers=b).status_code == 201
    r = client.post(f"/api/v1/tasks/{t}/answers", json={"value": "no"}, headers=a)
    assert r.status_code == 409 and r.get_json()["code"] == "task_complete"
    assert answers() == 1


def test_answer_count_never_exceeds_redundancy(make_campaign):
    c = make_campaign(tasks=3, redundancy=2)
    people = [contributor() for _ in range(5)]
    late = people[0]
    first = lease(c, late)
    expire(late, first)
    release()
    for cid in people[1:]:
        while (t := lease(c, cid)) is not None:
            submit(t, cid)
    refused(TaskComplete, scheduler.submit_answer, first, late, "yes")
    assert [task(t) for t in task_ids()] == [(2, 0, False)] * 3
    assert answers() == 6 and tasks_done(c) == 3


def test_tasks_done_counts_a_task_when_it_reaches_redundancy(make_campaign):
    c = make_campaign(tasks=2, redundancy=3)
    t, other = task_ids()
    flags = []
    for _ in range(3):
        cid = contributor()
        assert lease(c, cid, exclude=[other]) == t
        flags.append((submit(t, cid)["task_complete"], tasks_done(c)))
    assert flags == [(False, 0), (False, 0), (True, 1)]
    cid = contributor()
    assert lease(c, cid) == other
    submit(other, cid)
    assert tasks_done(c) == 1


def edit(c, redundancy):
    db.session.refresh(c)
    campaigns.update_campaign(c, {"title": c.title, "summary": c.summary, "licence": c.licence,
                                  "redundancy": redundancy, "settings": c.settings})
    db.session.commit()


def test_changing_redundancy_recomputes_available_and_tasks_done(make_campaign):
    c = make_campaign(tasks=2, redundancy=2)
    full, held = task_ids()
    for _ in range(2):
        cid = contributor()
        assert lease(c, cid, exclude=[held]) == full
        submit(full, cid)
    assert lease(c, contributor()) == held
    assert (task(full), task(held), tasks_done(c)) == ((2, 0, False), (0, 1, True), 1)
    edit(c, 3)
    assert (task(full), task(held), tasks_done(c)) == ((2, 0, True), (0, 1, True), 0)
    assert set(db.session.execute(select(Task.redundancy)).scalars()) == {3}
    edit(c, 1)
    assert (task(full), task(held), tasks_done(c)) == ((2, 0, False), (0, 1, False), 1)
    edit(c, 2)
    assert (task(full), task(held), tasks_done(c)) == ((2, 0, False), (0, 1, True), 1)

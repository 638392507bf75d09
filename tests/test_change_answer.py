"""Back on the work page (issue 19): a volunteer changes their last answer within minutes, through
PUT /api/v1/tasks/<id>/answers/mine. The tally is folded again (the stored result follows), nothing else moves,
and a refusal is the same for every task (gold or not)."""
import csv
import io
import json
from datetime import timedelta

from sqlalchemy import select

from citizen import clock
from citizen.campaigns import services as campaigns
from citizen.campaigns.models import Answer, Participation, Task
from citizen.extensions import db
from tests.helpers import answer_next, count, new_guest

API = "/api/v1"


def change(client, task_id, value, who):
    return client.put(f"{API}/tasks/{task_id}/answers/mine", json={"value": value}, headers=who)


def stored(task_id):
    db.session.expire_all()
    return db.session.get(Task, task_id)


def test_a_volunteer_changes_their_last_answer_and_the_result_follows(client, make_campaign):
    c = make_campaign(tasks=1, redundancy=3)
    first, second, me = new_guest(client), new_guest(client), new_guest(client)
    task = answer_next(client, c.slug, "yes", first, duration_ms=5000)
    answer_next(client, c.slug, "no", second, duration_ms=5000)
    answer_next(client, c.slug, "no", me, duration_ms=5000)
    assert stored(task["id"]).result["answer"] == "no"
    etag = client.get(f"/data/{c.slug}/answers.csv").headers["ETag"]
    r = change(client, task["id"], "yes", me)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["answer"]["value"] == "yes"
    t = stored(task["id"])
    assert t.result["answer"] == "yes" and t.answer_count == 3  # folded again from the three answers
    assert count(Answer) == 3
    weights = db.session.execute(select(Answer.weight).order_by(Answer.id)).scalars().all()
    assert weights == [1.0, 1.0, 1.0]  # the change weighs what the first answer weighed
    again = change(client, task["id"], "yes", me)
    assert again.status_code == 200 and again.get_json() == r.get_json()  # a retry: the same reply, nothing moves
    assert client.get(f"{API}/campaigns/{c.slug}/results").get_json()["results"][0]["answer"] == "yes"
    r = client.get(f"/data/{c.slug}/answers.csv")
    assert r.headers["ETag"] != etag  # the open data file follows
    assert sorted(row["answer"] for row in csv.DictReader(io.StringIO(r.get_data(as_text=True)))) == ["no", "yes", "yes"]


def test_bad_changes_are_refused_and_change_nothing(client, make_campaign):
    c = make_campaign(tasks=3, redundancy=3)
    me, other = new_guest(client), new_guest(client)
    earlier = answer_next(client, c.slug, "yes", me, duration_ms=5000)
    last = answer_next(client, c.slug, "yes", me, duration_ms=5000)
    r = change(client, earlier["id"], "no", me)
    assert r.status_code == 409 and r.get_json()["code"] == "not_last"
    r = change(client, last["id"], "maybe", me)
    assert r.status_code == 422
    r = change(client, last["id"], "y" * 200_000, me)  # the kind's limits, checked before any row is locked
    assert r.status_code in (413, 422)
    r = change(client, last["id"], "no", other)  # never answered it: nobody else's answer can be reached
    assert r.status_code == 404
    r = client.put(f"{API}/tasks/{last['id']}/answers/mine", json={"answer": "no"}, headers=me)
    assert r.status_code == 422 and r.get_json()["details"][0]["field"] == "value"
    assert client.put(f"{API}/tasks/{last['id']}/answers/mine", json={"value": "no"}).status_code == 401
    assert db.session.execute(select(Answer.value).order_by(Answer.id)).scalars().all() == ["yes", "yes"]


def test_an_answer_can_be_changed_only_for_minutes_and_while_the_campaign_is_open(client, make_campaign,
                                                                                 monkeypatch):
    c = make_campaign(tasks=2, redundancy=3)
    me = new_guest(client)
    task = answer_next(client, c.slug, "yes", me, duration_ms=5000)
    later = clock.now() + timedelta(minutes=11)
    monkeypatch.setattr(clock, "now", lambda: later)
    r = change(client, task["id"], "no", me)
    assert r.status_code == 409 and r.get_json()["code"] == "too_late"
    monkeypatch.undo()
    campaigns.close(c)
    db.session.commit()
    r = change(client, task["id"], "no", me)
    assert r.status_code == 409 and r.get_json()["code"] == "campaign_not_open"
    assert db.session.execute(select(Answer.value)).scalar_one() == "yes"


def test_on_a_gold_task_the_record_keeps_the_first_answer(client, make_campaign):
    c = make_campaign(tasks=0, publish=False, redundancy=3, quality={"gold_start": 1.0, "gold_end": 1.0})
    campaigns.import_tasks(c, "gold.json", json.dumps([{"external_id": "g", "text": "Known", "gold": "no"}]))
    campaigns.publish(c)
    db.session.commit()
    me = new_guest(client)
    task = answer_next(client, c.slug, "yes", me, duration_ms=5000)
    r = change(client, task["id"], "no", me)
    assert r.status_code == 200 and r.get_json() == {"answer": {"id": r.get_json()["answer"]["id"],
                                                                 "task_id": task["id"], "value": "no"}}
    assert change(client, task["id"], "no", me).get_json() == r.get_json()  # as on any task: nothing tells it is gold
    db.session.expire_all()
    part = db.session.execute(select(Participation)).scalar_one()
    assert (part.gold_total, part.gold_correct) == (1, 0)  # scored on the first answer: Back mends nothing
    assert db.session.execute(select(Answer.value)).scalar_one() == "yes"  # nor the record read from the answers


def test_a_change_that_leaves_a_decided_task_tied_sends_it_to_review(client, make_campaign):
    c = make_campaign(tasks=1, redundancy=3, quality={"close_after": 2})
    first, me = new_guest(client), new_guest(client)
    task = answer_next(client, c.slug, "yes", first, duration_ms=5000)
    answer_next(client, c.slug, "yes", me, duration_ms=5000)
    t = stored(task["id"])
    assert t.result["answer"] == "yes" and t.result.get("decided")
    assert change(client, task["id"], "no", me).status_code == 200
    t = stored(task["id"])
    assert t.result["answer"] == "yes" and t.result["under_review"] is True  # never silently lost: reviewed


def test_changing_to_an_answer_that_escalates_alerts_at_once(client, make_campaign):
    from citizen.moderation.models import Escalation
    c = make_campaign(tasks=1, redundancy=3, escalate_on=["yes"])
    me = new_guest(client)
    task = answer_next(client, c.slug, "no", me, duration_ms=5000)
    assert count(Escalation) == 0
    assert change(client, task["id"], "yes", me).status_code == 200
    assert db.session.execute(select(Escalation.task_id)).scalar_one() == task["id"]


def test_changes_are_limited_per_contributor(client, make_campaign, make_app):
    c = make_campaign(tasks=1, redundancy=3)
    me = new_guest(client)
    task = answer_next(client, c.slug, "no", me, duration_ms=5000)
    db.session.close()
    limited = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")  # the same database
    with limited.app_context():
        browser = limited.test_client()
        replies = [change(browser, task["id"], value, me) for value in ["yes", "no"] * 4]
    assert [r.status_code for r in replies] == [200] * 6 + [429, 429]  # each change folds a task's answers again
    assert 60 < int(replies[-1].headers["Retry-After"]) <= 600  # when the window of ten minutes lets one more in
    assert db.session.execute(select(Answer.value)).scalar_one() == "no"

"""Training (issue 20): a tutorial with feedback, a qualification with a pass mark, answers that do not count before
it is passed, retraining when a volunteer's gold record falls, guests' training carried over on registration, and
what organisers see."""
import json

from sqlalchemy import select

from citizen.accounts import services as accounts
from citizen.campaigns import services as campaigns
from citizen.campaigns.models import TRAINING_RAND, Answer, Campaign, Participation, Task
from citizen.extensions import db
from citizen.training import services as training
from citizen.training.models import QualificationRun, TrainingAnswer
from tests.helpers import new_guest

API = "/api/v1"


def _next(client, slug, who):
    r = client.post(f"{API}/campaigns/{slug}/tasks/next", headers=who)
    assert r.status_code in (200, 204), r.get_json()
    return r.get_json() if r.status_code == 200 else None


def _train(client, body, value, who):
    return client.post(body["training"]["answer_url"], json={"value": value}, headers=who)


def _with_training(make_campaign, organiser, tutorial=("t0", "t1"), qualification=("t2", "t3", "t4"), tasks=10,
                   known="yes", pass_mark=None):
    c = make_campaign(tasks=tasks, redundancy=3)
    for ref in tutorial:
        training.add(c, ref, "tutorial", known, f"Look at {ref}: the roof is red.", organiser)
    for ref in qualification:
        training.add(c, ref, "qualification", known, "", organiser)
    if pass_mark is not None:
        training.set_rules(c, pass_mark, 0, organiser)
    db.session.commit()
    return c


def test_training_tasks_leave_the_work(client, make_campaign, organiser):
    c = _with_training(make_campaign, organiser)
    db.session.expire_all()
    c = db.session.get(Campaign, c.id)
    assert c.tasks_total == 5 and c.settings["training"]["tutorial"] == 2
    rands = db.session.execute(select(Task.rand).where(Task.external_id.in_(["t0", "t4"]),
                                                       Task.campaign_id == c.id)).scalars().all()
    assert rands == [TRAINING_RAND, TRAINING_RAND]
    results = client.get(f"{API}/campaigns/{c.slug}/results").get_json()["results"]
    assert {r["task_id"] for r in results}.isdisjoint({t.id for t in db.session.execute(
        select(Task).where(Task.rand == TRAINING_RAND)).scalars()})
    # An edit of the campaign keeps its training.
    campaigns.update_campaign(c, {"title": "Still red roofs", "kind": "question", "redundancy": 3,
                                  "settings": {"question": "Red?", "options": [{"value": "yes", "label": "Yes"},
                                                                               {"value": "no", "label": "No"}]}})
    db.session.commit()
    assert db.session.get(Campaign, c.id).settings["training"]["qualification"] == 3


def test_a_volunteer_goes_through_the_tutorial_then_qualifies_then_works(client, make_campaign, organiser):
    c = _with_training(make_campaign, organiser)
    me = new_guest(client)
    first = _next(client, c.slug, me)
    assert first["training"]["stage"] == "tutorial" and first["training"]["step"] == 1
    assert first["training"]["steps"] == 2
    assert _next(client, c.slug, me)["id"] == first["id"]  # the same step until answered
    r = _train(client, first, "no", me)
    assert r.status_code == 200
    out = r.get_json()
    assert out["correct"] is False and out["expected"] == "Yes" and "red" in out["explanation"]
    second = _next(client, c.slug, me)  # after the explanation, on to the next
    assert second["training"]["step"] == 2 and second["id"] != first["id"]
    assert _train(client, second, "yes", me).get_json()["correct"] is True
    # The qualification: no feedback per task.
    q1 = _next(client, c.slug, me)
    assert q1["training"]["stage"] == "qualification" and q1["training"]["pass_mark"] == 80
    out = _train(client, q1, "yes", me).get_json()
    assert "correct" not in out and "expected" not in out and "result" not in out
    # Answering a step twice, or one not reached yet, is refused and stores nothing.
    r = _train(client, q1, "yes", me)
    assert r.status_code == 409 and r.get_json()["code"] == "not_next_training"
    q2 = _next(client, c.slug, me)
    _train(client, q2, "yes", me)
    q3 = _next(client, c.slug, me)
    out = _train(client, q3, "yes", me).get_json()
    assert out["result"] == {"passed": True, "total": 3, "pass_mark": 80} and out["trained"]
    work = _next(client, c.slug, me)
    assert "training" not in work
    r = client.post(f"{API}/tasks/{work['id']}/answers", json={"value": "yes", "duration_ms": 5000}, headers=me)
    assert r.status_code == 201 and "counted" not in r.get_json()
    assert db.session.execute(select(TrainingAnswer.id)).all().__len__() == 5


def test_a_failed_qualification_can_be_taken_again_and_answers_before_passing_do_not_count(
        client, make_campaign, organiser):
    c = _with_training(make_campaign, organiser, tutorial=(), qualification=("t0", "t1"), pass_mark=100)
    me = new_guest(client)
    # A lease taken before the campaign asked for training (here: given by the scheduler of a campaign without it).
    lease = client.post(f"{API}/campaigns/{c.slug}/tasks/next", headers=me).get_json()
    assert lease["training"]["stage"] == "qualification"
    _train(client, lease, "yes", me)
    out = _train(client, _next(client, c.slug, me), "no", me).get_json()
    assert out["result"]["passed"] is False and "correct" not in out["result"] and not out["trained"]
    again = _next(client, c.slug, me)  # practice: a new run
    assert again["training"]["attempt"] == 2 and again["training"]["step"] == 1
    # An answer to work given meanwhile (an API client that skips training) is kept with weight 0 and a reason.
    work_task = db.session.execute(select(Task.id).where(Task.campaign_id == c.id, Task.rand >= 0)).scalar()
    from citizen.campaigns.models import Assignment  # a lease the scheduler handed out before training existed
    from citizen import clock
    from datetime import timedelta
    cid = db.session.execute(select(Participation.contributor_id).where(Participation.campaign_id == c.id)).scalar()
    db.session.add(Assignment(contributor_id=cid, task_id=work_task, campaign_id=c.id, state="leased",
                              leased_at=clock.now() - timedelta(seconds=10),
                              expires_at=clock.now() + timedelta(minutes=10)))
    db.session.execute(Task.__table__.update().where(Task.id == work_task).values(lease_count=1))
    db.session.commit()
    r = client.post(f"{API}/tasks/{work_task}/answers", json={"value": "no", "duration_ms": 8000}, headers=me)
    assert r.status_code == 201 and r.get_json()["counted"] is False
    stored = db.session.execute(select(Answer.weight, Answer.reason)).one()
    assert stored == (0.0, "not_qualified")
    _train(client, again, "yes", me)
    out = _train(client, _next(client, c.slug, me), "yes", me).get_json()
    assert out["result"]["passed"] is True
    runs = db.session.execute(select(QualificationRun.attempt, QualificationRun.passed)
                              .order_by(QualificationRun.attempt)).all()
    assert runs == [(1, False), (2, True)]
    info = training.overview(db.session.get(Campaign, c.id))
    assert info["runs"]["volunteers"] == 1 and info["runs"]["pass_rate"] == 1.0
    assert info["most_failed"][0]["reference"] == "t1" and info["uncounted"] == 1


def test_a_falling_gold_record_sends_a_volunteer_back_to_training(client, make_campaign, organiser):
    c = _with_training(make_campaign, organiser, tutorial=("t0",), qualification=())
    training.set_rules(c, 80, 60, organiser)
    db.session.commit()
    me = new_guest(client)
    _train(client, _next(client, c.slug, me), "yes", me)
    assert "training" not in _next(client, c.slug, me)
    part = db.session.execute(select(Participation).where(Participation.campaign_id == c.id)).scalar()
    part.gold_total, part.gold_correct = 10, 5  # half right on known answers: below 60 %
    db.session.commit()
    back = _next(client, c.slug, me)
    assert back["training"]["stage"] == "tutorial" and back["training"]["retraining"]
    db.session.expire_all()
    part = db.session.execute(select(Participation).where(Participation.campaign_id == c.id)).scalar()
    assert (part.retrains, part.gold_total, part.training) == (1, 0, 0)
    info = training.overview(db.session.get(Campaign, c.id))
    assert len(info["retrained"]) == 1 and info["retrained"][0]["times"] == 1
    _train(client, back, "yes", me)
    assert "training" not in _next(client, c.slug, me)


def test_a_guests_training_is_carried_over_on_registration(client, make_campaign, organiser, make_user):
    c = _with_training(make_campaign, organiser, tutorial=("t0",), qualification=("t1",))
    guest = accounts.create_guest()[0]
    user = make_user("vol@example.org")
    own = accounts.contributor_for_user(user)
    db.session.commit()
    part = Participation(contributor_id=guest.id, campaign_id=c.id, cursor=0.5, training=2)
    db.session.add(part)
    db.session.commit()
    accounts.adopt_guest(user, guest.id)
    db.session.commit()
    mine = db.session.execute(select(Participation).where(Participation.contributor_id == own.id)).scalar()
    assert mine.training == 2


def test_training_refuses_bad_input(client, make_campaign, organiser):
    c = make_campaign(tasks=4)
    me = new_guest(client)
    t = client.post(f"{API}/campaigns/{c.slug}/tasks/next", headers=me).get_json()
    client.post(f"{API}/tasks/{t['id']}/answers", json={"value": "yes", "duration_ms": 5000}, headers=me)
    import pytest
    from citizen.errors import InvalidInput
    for ref, stage, known in ((t.get("external_id") or str(t["id"]), "tutorial", "yes"),  # answered already
                              ("t3", "exam", "yes"), ("t3", "tutorial", "maybe"), ("nope", "tutorial", "yes")):
        with pytest.raises(InvalidInput):
            training.add(c, ref, stage, known, "", organiser)
        db.session.rollback()
    with pytest.raises(InvalidInput):
        training.set_rules(db.session.get(Campaign, c.id), "0", "0", organiser)
    db.session.rollback()
    assert db.session.get(Campaign, c.id).settings.get("training") is None
    # A training answer to a task that is not training, or too large, is refused.
    r = client.post(f"{API}/training/{t['id']}/answers", json={"value": "yes"}, headers=me)
    assert r.status_code == 404


def test_organisers_page_and_boxes_known_answers(client, make_campaign, organiser):
    c = _with_training(make_campaign, organiser)
    client.post("/account/login", data={"email": "organiser@example.org", "password": "password123"})
    page = client.get(f"/organise/{c.slug}/training")
    assert page.status_code == 200 and b"t0" in page.data and b"Pass mark" in page.data
    r = client.post(f"/organise/{c.slug}/training/rules", data={"pass_mark": "70", "retrain_below": "50"})
    assert r.status_code == 302
    assert db.session.get(Campaign, c.id).settings["training"]["pass_mark"] == 70


def test_boxes_known_answers_match_by_overlap_and_class(app):
    from citizen.kinds import get_kind
    kind = get_kind("boxes")
    settings = {"classes": [{"value": "face", "name": "Face"}, {"value": "car", "name": "Car"}]}
    payload = {"image_url": "/media/x.jpg", "width": 100, "height": 100}
    known = kind.clean_known(json.dumps({"boxes": [{"x": 0.1, "y": 0.1, "w": 0.2, "h": 0.2, "class": "face"}]}),
                             payload, settings)
    near = {"boxes": [{"x": 0.12, "y": 0.1, "w": 0.2, "h": 0.2, "class": "face", "attributes": {}}]}
    assert kind.known_matches(near, known, settings)
    assert not kind.known_matches({"boxes": [{**near["boxes"][0], "class": "car"}]}, known, settings)
    assert not kind.known_matches({"boxes": near["boxes"] * 2}, known, settings)
    assert not kind.known_matches({"boxes": [{**near["boxes"][0], "x": 0.5}]}, known, settings)
    assert kind.known_matches({"boxes": []}, {"boxes": []}, settings)
    assert kind.known_text(known, settings) == "Face ×1"
    import pytest
    with pytest.raises(ValueError):
        kind.clean_known("not json", payload, settings)


def test_qualification_runs_are_bounded(client, make_campaign, organiser, monkeypatch):
    monkeypatch.setattr(training, "MAX_RUNS", 2)
    c = _with_training(make_campaign, organiser, tutorial=(), qualification=("t0",), pass_mark=100)
    me = new_guest(client)
    for _ in range(2):
        assert _train(client, _next(client, c.slug, me), "no", me).get_json()["result"]["passed"] is False
    r = client.post(f"{API}/campaigns/{c.slug}/tasks/next", headers=me)
    assert r.status_code == 429 and r.get_json()["code"] == "training_limit"


def test_moderators_reach_the_training_page_from_their_queue(client, make_campaign, organiser, make_user):
    c = _with_training(make_campaign, organiser)
    make_user("mod@example.org", "moderator")
    client.post("/account/login", data={"email": "mod@example.org", "password": "password123"})
    queue = client.get(f"/moderation/?org=test-org&campaign={c.id}").get_data(as_text=True)
    assert f"/organise/{c.slug}/training" in queue
    page = client.get(f"/organise/{c.slug}/training")
    assert page.status_code == 200 and b"sent back to training" in page.data
    assert b"Add a training task" not in page.data  # moderators read; organisers change
    assert client.post(f"/organise/{c.slug}/training/rules", data={"pass_mark": "50", "retrain_below": "0"}
                       ).status_code == 403


def test_training_tasks_stay_out_of_gold_task_admin_talk_and_hiding(client, make_campaign, organiser, monkeypatch):
    """From the review: a training task's known answer is in Task.gold, so every place that reads gold or lists
    tasks must leave it alone."""
    import pytest
    from citizen.campaigns import gold, task_admin
    from citizen.errors import InvalidInput
    from citizen.moderation import services as moderation
    from citizen.quality import controls
    c = _with_training(make_campaign, organiser, tutorial=("t0",), qualification=())
    gold.mark(c, "t5", "yes", organiser)
    db.session.commit()
    assert [t.external_id for t in gold.listed(c)] == ["t5"]
    training_id = db.session.execute(select(Task.id).where(Task.external_id == "t0",
                                                           Task.campaign_id == c.id)).scalar()
    with pytest.raises(InvalidInput):
        gold.unmark(c, training_id, organiser)
    db.session.rollback()
    with pytest.raises(InvalidInput):
        task_admin.delete_tasks(organiser, db.session.get(Campaign, c.id), [training_id])
    db.session.rollback()
    # Trained volunteers meet the gold task, never the training task, however often gold is drawn.
    monkeypatch.setattr(controls, "gold_rate", lambda *_a: 1.0)
    me = new_guest(client)
    _train(client, _next(client, c.slug, me), "yes", me)
    work = _next(client, c.slug, me)
    assert work["id"] != training_id and "training" not in work
    assert work["text"] == "Task number 5"  # the gold task
    assert client.get(f"/campaigns/{c.slug}/tasks/{training_id}/talk").status_code == 404
    # A moderator hides the training task: it leaves the training, and the campaign's progress does not move.
    done = db.session.get(Campaign, c.id).tasks_done
    moderation.hide_task(organiser, training_id, "Shows a face")
    db.session.commit()
    assert training.items(c.id, "tutorial") == [] and db.session.get(Campaign, c.id).tasks_done == done


def test_a_volunteer_sent_back_to_training_gets_a_fresh_allowance_of_runs(client, make_campaign, organiser,
                                                                           monkeypatch):
    monkeypatch.setattr(training, "MAX_RUNS", 2)
    c = _with_training(make_campaign, organiser, tutorial=(), qualification=("t0",), pass_mark=100)
    training.set_rules(c, 100, 60, organiser)
    db.session.commit()
    me = new_guest(client)
    assert _train(client, _next(client, c.slug, me), "no", me).get_json()["result"]["passed"] is False
    assert _train(client, _next(client, c.slug, me), "yes", me).get_json()["result"]["passed"] is True
    part = db.session.execute(select(Participation).where(Participation.campaign_id == c.id)).scalar()
    part.gold_total, part.gold_correct = 10, 5  # below the 60 % threshold, above chance
    db.session.commit()
    again = _next(client, c.slug, me)  # back to training after two runs: two more failures are allowed
    assert again["training"]["stage"] == "qualification"
    assert _train(client, again, "no", me).get_json()["result"]["passed"] is False
    assert _train(client, _next(client, c.slug, me), "no", me).get_json()["result"]["passed"] is False
    r = client.post(f"{API}/campaigns/{c.slug}/tasks/next", headers=me)
    assert r.status_code == 429 and r.get_json()["code"] == "training_limit"

"""A model in the loop (issue 22): predictions in (JSON lines, a JSON list, CSV), routing written into the scheduling
order (least confident first, an audit sample, tasks left to a confident model), the prediction shown or not and
stored with each answer, outcomes on the audit sample with an interval, verified labels polled with a cursor, and
predictions.csv in the open data."""
import csv
import io
import json

from sqlalchemy import select

from citizen.campaigns.models import Answer, Campaign, Task
from citizen.extensions import db
from citizen.predictions import services as predictions
from tests.helpers import bearer, new_guest

API = "/api/v1"


def _post(client, token, slug, body, content_type="application/x-ndjson"):
    return client.post(f"{API}/campaigns/{slug}/predictions", headers=bearer(token), data=body,
                       content_type=content_type)


def _lines(rows):
    return "\n".join(json.dumps(r) for r in rows)


def _confidences(n):
    # t0 is the least sure, then t1, ...; the model says yes on even tasks, no on odd ones
    return [{"external_id": f"t{i}", "model": "v1", "answer": "yes" if i % 2 == 0 else "no",
             "confidence": round(0.5 + (i % 10) * 0.045 + i * 0.0001, 4)} for i in range(n)]


def _route(client, token, slug, **routing):
    r = client.put(f"{API}/campaigns/{slug}/predictions/routing", headers=bearer(token), json=routing)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_bad_predictions_are_refused_with_their_lines_and_nothing_is_stored(client, make_campaign, organiser_token):
    c = make_campaign(tasks=4)
    bad = [{"external_id": "t0", "model": "v1", "answer": "maybe", "confidence": 0.5},
           {"external_id": "t1", "model": "v1", "answer": "yes", "confidence": 1.5},
           {"external_id": "nope", "model": "v1", "answer": "yes", "confidence": 0.5},
           {"external_id": "t2", "model": "", "answer": "yes", "confidence": 0.5}]
    r = _post(client, organiser_token, c.slug, _lines(bad))
    assert r.status_code == 422
    assert [d["line"] for d in r.get_json()["details"]] == [1, 2, 3, 4]
    assert db.session.execute(select(Task.rand).where(Task.campaign_id == c.id)).scalars().all()
    assert predictions.models(db.session.get(Campaign, c.id)) == []
    assert client.post(f"{API}/campaigns/{c.slug}/predictions", data=_lines(_confidences(4))).status_code == 401


def test_uncertainty_first_hands_out_the_least_confident_task_first(client, make_campaign, organiser_token):
    c = make_campaign(tasks=8, redundancy=1)
    r = _post(client, organiser_token, c.slug, _lines(_confidences(8)))
    assert r.status_code == 201 and r.get_json()["imported"] == 8
    routing = _route(client, organiser_token, c.slug, audit=0, strategy="uncertainty")
    assert routing["model"] == "v1"
    seen = []
    for _ in range(3):
        who = new_guest(client)
        task = client.post(f"{API}/campaigns/{c.slug}/tasks/next", headers=who).get_json()
        seen.append(task["text"])
        assert client.post(f"{API}/tasks/{task['id']}/answers", json={"value": "yes", "duration_ms": 5000},
                           headers=who).status_code == 201
    assert seen == ["Task number 0", "Task number 1", "Task number 2"]


def test_confident_tasks_are_left_to_the_model_and_come_back_when_the_threshold_rises(
        client, make_campaign, organiser_token):
    c = make_campaign(tasks=8, redundancy=1)
    _post(client, organiser_token, c.slug, _lines(_confidences(8)))
    _route(client, organiser_token, c.slug, audit=0, skip_above=0.7)  # t5, t6, t7 (0.725 and up)
    db.session.expire_all()
    camp = db.session.get(Campaign, c.id)
    assert camp.tasks_done == 3
    given = set()
    for _ in range(8):
        who = new_guest(client)
        r = client.post(f"{API}/campaigns/{c.slug}/tasks/next", headers=who)
        if r.status_code == 204:
            break
        given.add(r.get_json()["text"])
        client.post(f"{API}/tasks/{r.get_json()['id']}/answers", json={"value": "no", "duration_ms": 5000},
                    headers=who)
    assert given == {f"Task number {i}" for i in range(5)}
    _route(client, organiser_token, c.slug, skip_above=None)
    db.session.expire_all()
    assert db.session.get(Campaign, c.id).tasks_done == 5  # the three are work again
    who = new_guest(client)
    assert client.post(f"{API}/campaigns/{c.slug}/tasks/next", headers=who).get_json()["text"] == "Task number 5"


def test_the_prediction_is_shown_outside_the_audit_sample_and_stored_with_each_answer(
        client, make_campaign, organiser_token):
    c = make_campaign(tasks=40, redundancy=1)
    assert _post(client, organiser_token, c.slug, _lines(_confidences(40))).status_code == 201
    _route(client, organiser_token, c.slug, audit=0.3, show=True, strategy="random")
    audit = set(db.session.execute(select(Task.external_id).join(
        predictions.Prediction, predictions.Prediction.task_id == Task.id).where(
        predictions.Prediction.audit.is_(True))).scalars())
    assert 3 <= len(audit) <= 25
    shown = {}
    for _ in range(40):
        who = new_guest(client)
        task = client.post(f"{API}/campaigns/{c.slug}/tasks/next", headers=who).get_json()
        ext = f"t{task['text'].split()[-1]}"
        shown[ext] = task.get("prediction")
        client.post(f"{API}/tasks/{task['id']}/answers", json={"value": "yes", "duration_ms": 5000}, headers=who)
    assert all(shown[e] is None for e in audit)
    others = [e for e in shown if e not in audit]
    assert all(shown[e]["label"] in ("Yes", "No") and 0.5 <= shown[e]["confidence"] <= 1 for e in others)
    stored = dict(db.session.execute(select(Task.external_id, Answer.prediction_shown).join(
        Task, Task.id == Answer.task_id)).all())
    assert {e for e, s in stored.items() if s is False} == audit and all(stored[e] is True for e in others)


def test_outcomes_estimate_accuracy_on_the_audit_sample_and_list_disagreements(
        client, make_campaign, organiser_token, make_user):
    c = make_campaign(tasks=20, redundancy=1)
    assert _post(client, organiser_token, c.slug, _lines(_confidences(20))).status_code == 201
    _route(client, organiser_token, c.slug, audit=1.0)  # every task audited: the estimate is over all of them
    for _ in range(20):
        who = new_guest(client)
        task = client.post(f"{API}/campaigns/{c.slug}/tasks/next", headers=who).get_json()
        client.post(f"{API}/tasks/{task['id']}/answers", json={"value": "yes", "duration_ms": 5000}, headers=who)
    r = client.get(f"{API}/campaigns/{c.slug}/predictions/outcomes", headers=bearer(organiser_token))
    [m] = r.get_json()["models"]
    assert (m["audit_verified"], m["audit_agree"], m["accuracy"]) == (20, 10, 0.5)  # right on the even tasks
    low, high = m["interval"]
    assert 0.29 < low < 0.5 < high < 0.71
    assert {(x["model"], x["crowd"], x["n"]) for x in m["confusion"]} == {("yes", "yes", 10), ("no", "yes", 10)}
    assert m["disagreements"][0]["confidence"] == max(d["confidence"] for d in m["disagreements"])
    make_user("mod@example.org", "moderator")
    client.post("/account/login", data={"email": "mod@example.org", "password": "password123"})
    page = client.get(f"/organise/{c.slug}/model")
    assert page.status_code == 200 and b"Estimated accuracy: 50.0" in page.data and b"Save the routing" not in page.data


def test_verified_labels_are_polled_with_a_cursor_and_published_as_open_data(client, make_campaign, organiser_token):
    c = make_campaign(tasks=6, redundancy=1)
    rows = "external_id,model,answer,confidence\n" + "\n".join(
        f"t{i},v2,{'yes' if i < 3 else 'no'},0.{6 + i % 3}" for i in range(6))
    r = _post(client, organiser_token, c.slug, rows, content_type="text/csv")
    assert r.status_code == 201 and r.get_json()["routing"]["model"] == "v2"
    for _ in range(4):
        who = new_guest(client)
        task = client.post(f"{API}/campaigns/{c.slug}/tasks/next", headers=who).get_json()
        client.post(f"{API}/tasks/{task['id']}/answers", json={"value": "yes", "duration_ms": 5000}, headers=who)
    url = f"{API}/campaigns/{c.slug}/predictions/verified"
    first = client.get(url + "?limit=3", headers=bearer(organiser_token)).get_json()
    assert len(first["labels"]) == 3 and all(x["answer"] == "yes" and x["model"] == "v2" for x in first["labels"])
    rest = client.get(url + f"?after={first['next']}", headers=bearer(organiser_token)).get_json()
    assert len(rest["labels"]) == 1 and rest["labels"][0]["task_id"] not in {x["task_id"] for x in first["labels"]}
    again = client.get(url + f"?after={rest['next']}", headers=bearer(organiser_token)).get_json()
    assert again["labels"] == [] and again["next"] == rest["next"]
    assert client.get(url + "?limit=0", headers=bearer(organiser_token)).status_code in (400, 422)
    assert client.get(f"/data/{c.slug}/predictions.csv").status_code == 404  # not while the campaign is open
    from citizen.campaigns import services as campaigns
    campaigns.close(db.session.get(Campaign, c.id))
    db.session.commit()
    data = client.get(f"/data/{c.slug}/predictions.csv")
    assert data.status_code == 200
    table = list(csv.DictReader(io.StringIO(data.get_data(as_text=True))))
    assert len(table) == 6 and {r["crowd_answer"] for r in table} == {"yes", ""}
    assert sum(r["agrees"] == "false" for r in table) == sum(
        1 for x in first["labels"] + rest["labels"] if not x["agrees"])
    assert "predictions.csv" in client.get(f"/data/{c.slug}/").get_data(as_text=True)


def test_a_new_routing_model_decides_afresh_which_tasks_it_leaves_alone(client, make_campaign, organiser_token):
    c = make_campaign(tasks=6, redundancy=1)
    _post(client, organiser_token, c.slug, _lines(_confidences(6)))
    _route(client, organiser_token, c.slug, audit=0, skip_above=0.6)  # v1 leaves t3, t4, t5 alone
    db.session.expire_all()
    assert db.session.get(Campaign, c.id).tasks_done == 3
    unsure = [{**p, "model": "v2", "confidence": 0.55 if p["external_id"] != "t4" else 0.9} for p in _confidences(6)]
    assert _post(client, organiser_token, c.slug, _lines(unsure)).status_code == 201
    _route(client, organiser_token, c.slug, model="v2")  # v2 is sure of t4 only
    db.session.expire_all()
    assert db.session.get(Campaign, c.id).tasks_done == 1
    alone = db.session.execute(select(Task.external_id).where(Task.campaign_id == c.id, Task.redundancy == 0)
                               ).scalars().all()
    assert alone == ["t4"]


def test_disagreement_between_model_versions_comes_first(client, make_campaign, organiser_token):
    c = make_campaign(tasks=6, redundancy=1)
    _post(client, organiser_token, c.slug, _lines(_confidences(6)))
    other = [{**p, "model": "v0", "answer": ("no" if p["answer"] == "yes" else "yes") if p["external_id"] == "t4"
              else p["answer"]} for p in _confidences(6)]
    _post(client, organiser_token, c.slug, _lines(other))
    _route(client, organiser_token, c.slug, model="v1", audit=0, strategy="disagreement")
    who = new_guest(client)
    assert client.post(f"{API}/campaigns/{c.slug}/tasks/next", headers=who).get_json()["text"] == "Task number 4"


def test_an_edit_of_the_campaign_keeps_its_routing(client, make_campaign, organiser_token):
    from citizen.campaigns import services as campaigns
    c = make_campaign(tasks=6, redundancy=1)
    _post(client, organiser_token, c.slug, _lines(_confidences(6)))
    _route(client, organiser_token, c.slug, audit=0, skip_above=0.6, show=True)
    campaigns.update_campaign(db.session.get(Campaign, c.id), {
        "title": "Find red roofs again", "kind": "question", "redundancy": 2,
        "settings": {"question": "Red?", "options": [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}]}})
    db.session.commit()
    db.session.expire_all()
    camp = db.session.get(Campaign, c.id)
    assert camp.settings["routing"]["skip_above"] == 0.6 and camp.settings["routing"]["show"] is True
    assert camp.tasks_done == 3
    assert db.session.execute(select(Task.redundancy).where(Task.external_id == "t5", Task.campaign_id == c.id)
                              ).scalar() == 0


def test_the_methodology_note_says_what_the_model_decided_and_how_its_error_is_estimated(
        client, make_campaign, organiser_token):
    c = make_campaign(tasks=10, redundancy=1)
    _post(client, organiser_token, c.slug, _lines(_confidences(10)))
    _route(client, organiser_token, c.slug, audit=1.0)
    for _ in range(10):
        who = new_guest(client)
        task = client.post(f"{API}/campaigns/{c.slug}/tasks/next", headers=who).get_json()
        client.post(f"{API}/tasks/{task['id']}/answers", json={"value": "yes", "duration_ms": 5000}, headers=who)
    readme = client.get(f"/data/{c.slug}/README.md").get_data(as_text=True)
    assert "## A model's predictions" in readme and "version `v1`" in readme
    assert "**50.0%**, 95 % Wilson interval" in readme and "Results from the model alone**: 0 tasks" in readme

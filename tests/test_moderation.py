"""Moderation: the queue (order, filters, own answers left out), every action and its audit row, overrides
that win in results, suspensions that recompute results, permissions, escalations inserted with the answer,
and the notification job (signed webhook with retries and a delivery log; e-mail only with MAIL_SERVER)."""
import csv
import io
import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import create_engine, func, select

from citizen.accounts import services as accounts
from citizen.campaigns import results as results_svc
from citizen.campaigns import scheduler
from citizen.campaigns import services as campaigns
from citizen.campaigns.models import Answer, Task
from citizen.extensions import db
from citizen.jobs.models import Job
from citizen.moderation import webhooks
from citizen.moderation.models import (AlertSettings, AuditLog, ContentReport, DeliveryAttempt, Escalation,
                                       Suspension)
from citizen.campaigns.models import HIDDEN_RAND
from tests.helpers import answer_next, next_task, signed_in, skip, submit

PHOTOS = [{"external_id": f"p{i}", "image_url": f"/media/p{i}.jpg", "width": 640, "height": 480,
           "lat": 46.5 + i / 100, "lon": 7.9 + i / 100} for i in range(4)]
PERSON = {"answer": "person", "marks": {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [320, 240]}}]}}
NOBODY = {"answer": "none", "marks": None}


# --- helpers ---------------------------------------------------------------------------------------------

def answer_task(client, task_id, slug, headers, value, duration_ms=5000):
    """Answer one particular task (leases tasks until it comes up; skips the others)."""
    for _ in range(20):
        task = next_task(client, slug, headers)
        if task["id"] == task_id:
            r = submit(client, task_id, value, headers, duration_ms=duration_ms)
            assert r.status_code == 201, r.data[:300]
            return
        skip(client, task["id"], headers)
    raise AssertionError(f"task {task_id} never came up")


def answer_new(client, slug, headers, value):
    """Answer a task that has no escalation yet (skipping the others); returns its id."""
    escalated = set(db.session.execute(select(Escalation.task_id)).scalars())
    for _ in range(20):
        task = next_task(client, slug, headers)
        if task["id"] not in escalated:
            r = submit(client, task["id"], value, headers, duration_ms=5000)
            assert r.status_code == 201, r.data[:300]
            return task["id"]
        skip(client, task["id"], headers)
    raise AssertionError("every task has an escalation")


def act(client, item, action, **extra):
    return client.post("/moderation/act", json={"item": item, "action": action, **extra})


def queue_keys(client, **params):
    r = client.get("/moderation/", query_string=params)
    assert r.status_code == 200, r.data[:300]
    text = r.get_data(as_text=True)
    return re.findall(r'data-key="([^"]+)" data-reason', text)


def audit_rows():
    db.session.expire_all()
    return db.session.execute(select(AuditLog).order_by(AuditLog.id)).scalars().all()


@pytest.fixture
def moderator(make_user):
    return make_user("mod@example.org", "moderator", name="Mo Moderator")


@pytest.fixture
def search_campaign(org, organiser):
    """A published search-and-rescue campaign of four photos with GPS positions."""
    def factory(redundancy=3, **fields):
        c = campaigns.create_campaign(org.id, organiser, {"title": "Find the hiker", "kind": "search",
                                                          "redundancy": redundancy, "settings": {}, **fields})
        campaigns.import_tasks(c, "photos.json", json.dumps(PHOTOS))
        campaigns.publish(c)
        db.session.commit()
        return c
    return factory


# --- escalation on the hot path --------------------------------------------------------------------------

def test_the_first_critical_answer_escalates_in_the_answers_own_transaction(app, client, guest, search_campaign,
                                                                           db_uri):
    c = search_campaign()
    g1, g2 = guest(), guest()
    task_id = answer_next(client, c.slug, PERSON, g1, duration_ms=5000)["id"]
    esc = db.session.execute(select(Escalation)).scalar_one()
    first = db.session.execute(select(Answer).where(Answer.task_id == task_id)).scalar_one()
    assert (esc.task_id, esc.answer_id, esc.label, esc.status, esc.organisation_id) == \
        (task_id, first.id, "person", "open", c.organisation_id)
    answer_task(client, task_id, c.slug, g2, PERSON)  # a second critical answer: still one escalation
    assert db.session.execute(select(func.count(Escalation.id))).scalar() == 1
    answer_next(client, c.slug, NOBODY, guest(), duration_ms=5000)  # not critical
    assert db.session.execute(select(func.count(Escalation.id))).scalar() == 1

    # Same transaction: before the commit nobody else sees it, and a rollback takes both away.
    g3 = guest()
    task = next_task(client, c.slug, g3)
    while task["id"] == task_id:  # a task without an escalation yet
        client.post(f"/api/v1/tasks/{task['id']}/skip", headers=g3)
        task = next_task(client, c.slug, g3)
    cid = accounts.guest_id_from_token(g3["Authorization"].split()[1])
    db.session.commit()
    scheduler.submit_answer(task["id"], cid, PERSON, 4000)
    other = create_engine(db_uri)
    with other.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Escalation.__table__)
                            .where(Escalation.task_id == task["id"])).scalar() == 0
    other.dispose()
    assert db.session.execute(select(Escalation).where(Escalation.task_id == task["id"])).scalar_one()
    db.session.rollback()
    assert db.session.execute(select(Escalation).where(Escalation.task_id == task["id"])).first() is None
    assert db.session.execute(select(Answer).where(Answer.task_id == task["id"], Answer.contributor_id == cid)).first() is None


def test_an_organisers_rule_escalates_a_questions_answer(client, guest, make_campaign):
    c = make_campaign(tasks=2, escalate_on=["yes"])
    assert c.settings["escalate_on"] == ["yes"]
    g = guest()
    answer_next(client, c.slug, "no", g, duration_ms=5000)
    assert db.session.execute(select(Escalation)).first() is None
    answer_next(client, c.slug, "yes", g, duration_ms=5000)
    assert db.session.execute(select(Escalation.label)).scalar_one() == "yes"


def test_the_escalation_rule_names_answers_of_the_campaign(client, organiser_token, make_campaign):
    r = client.post("/api/v1/campaigns", headers={"Authorization": f"Bearer {organiser_token}"}, json={
        "title": "Bad rule", "kind": "question", "escalate_on": ["maybe"],
        "settings": {"question": "Person?", "options": ["Yes", "No"]}})
    assert r.status_code == 422
    assert [d["field"] for d in r.get_json()["details"]] == ["escalate_on"]
    r = client.post("/api/v1/campaigns", headers={"Authorization": f"Bearer {organiser_token}"}, json={
        "title": "Good rule", "kind": "question", "settings": {"question": "Person?", "options": ["Yes", "No"],
                                                                "escalate_on": "yes"}})
    assert r.status_code == 201


def test_imported_critical_answers_escalate_too(client, make_campaign):
    c = make_campaign(tasks=2, escalate_on=["yes"])
    task_id = db.session.execute(select(Task.id).where(Task.campaign_id == c.id).order_by(Task.id)).scalars().first()
    results_svc.import_answers(c, [{"task_id": task_id, "contributor": "paper-1", "value": "yes"}])
    db.session.commit()
    assert db.session.execute(select(Escalation.task_id)).scalar_one() == task_id


# --- the queue -------------------------------------------------------------------------------------------

def test_queue_order_escalations_reports_disagreements_contributors_and_filters(app, client, guest, moderator,
                                                                                search_campaign, make_campaign):
    c = search_campaign(redundancy=2)
    q = make_campaign(tasks=6, redundancy=2, title="Roofs")
    g1, g2, fast = guest(), guest(), guest()
    esc_task = answer_next(client, c.slug, PERSON, g1, duration_ms=5000)["id"]
    other = answer_next(client, c.slug, NOBODY, g1, duration_ms=5000)["id"]
    r = client.post(f"/api/v1/tasks/{other}/reports", headers=g1, json={"reason": "personal_data", "note": "a face"})
    assert r.status_code == 201
    # A disagreement: two answers, one each way, on one question task.
    t = answer_next(client, q.slug, "yes", g1, duration_ms=5000)["id"]
    answer_task(client, t, q.slug, g2, "no")
    for _ in range(5):  # five answers faster than the minimum time: flagged by the quality report
        answer_next(client, q.slug, "unsure", fast, duration_ms=100)
    mod = signed_in(app, "mod@example.org")
    keys = queue_keys(mod)
    reasons = [k.split(":")[0] for k in keys]
    assert reasons == sorted(reasons, key=["escalation", "flag", "disagreement", "contributor", "cluster"].index)
    assert keys[0] == f"escalation:{db.session.execute(select(Escalation.id)).scalar_one()}"
    assert f"flag:{other}" in keys and f"disagreement:{t}" in keys
    assert any(k.startswith(f"contributor:{q.id}:") for k in keys)
    assert queue_keys(mod, reason="flag") == [f"flag:{other}"]
    assert all(k.split(":")[0] in ("disagreement", "contributor") for k in queue_keys(mod, campaign=q.id))
    page = mod.get("/moderation/").get_data(as_text=True)
    for key in ("<kbd>C</kbd>", "<kbd>D</kbd>", "<kbd>A</kbd>", "<kbd>O</kbd>", "<kbd>H</kbd>", "<kbd>S</kbd>",
                "<kbd>R</kbd>"):
        assert key in page
    assert "Place: 46.5" in page  # the escalated photo's place
    assert esc_task


def test_new_escalations_are_polled_for(app, client, guest, moderator, search_campaign):
    c = search_campaign()
    mod = signed_in(app, "mod@example.org")
    body = mod.get("/moderation/poll", query_string={"after": 0}).get_json()
    assert body == {"items": [], "last": 0}
    answer_next(client, c.slug, PERSON, guest(), duration_ms=5000)
    body = mod.get("/moderation/poll", query_string={"after": 0}).get_json()
    esc = db.session.execute(select(Escalation)).scalar_one()
    assert [i["key"] for i in body["items"]] == [f"escalation:{esc.id}"] and body["last"] == esc.id
    assert 'data-action="confirm"' in body["items"][0]["html"]
    assert mod.get("/moderation/poll", query_string={"after": esc.id}).get_json()["items"] == []


# --- actions and the audit log ---------------------------------------------------------------------------

def test_confirm_and_dismiss_escalations_with_audit_rows_and_the_experts_view(app, client, guest, moderator,
                                                                               search_campaign):
    c = search_campaign()
    g = guest()
    first = answer_next(client, c.slug, PERSON, g, duration_ms=5000)["id"]
    answer_next(client, c.slug, PERSON, g, duration_ms=5000)
    e1, e2 = db.session.execute(select(Escalation).order_by(Escalation.id)).scalars().all()
    mod = signed_in(app, "mod@example.org")
    r = act(mod, f"escalation:{e1.id}", "confirm", reason="Hiker found")
    assert r.status_code == 200 and r.get_json()["escalation_url"] == f"/moderation/escalations/{e1.id}"
    assert act(mod, f"escalation:{e1.id}", "confirm").status_code == 409
    assert act(mod, f"escalation:{e2.id}", "dismiss", reason="A rock").status_code == 200
    db.session.expire_all()
    assert (e1.status, e2.status) == ("confirmed", "dismissed")
    rows = audit_rows()
    assert [(a.action, a.target_type, a.target_id, a.reason, a.user_name, a.before, a.after) for a in rows] == [
        ("confirm", "escalation", str(e1.id), "Hiker found", "Mo Moderator", {"status": "open"}, {"status": "confirmed"}),
        ("dismiss", "escalation", str(e2.id), "A rock", "Mo Moderator", {"status": "open"}, {"status": "dismissed"})]
    page = mod.get(f"/moderation/escalations/{e1.id}").get_data(as_text=True)
    payload = db.session.get(Task, e1.task_id).payload
    assert f"{payload['lat']:.6f}, {payload['lon']:.6f}" in page and "″N" in page and "″E" in page
    assert "Hiker found" in page
    assert "the photo’s GPS position" in page
    assert first


def test_accept_and_override_win_in_results_and_outlive_later_answers(app, client, guest, moderator,
                                                                     make_campaign):
    c = make_campaign(tasks=2, redundancy=3)
    g1, g2, g3 = guest(), guest(), guest()
    t = answer_next(client, c.slug, "yes", g1, duration_ms=5000)["id"]
    answer_task(client, t, c.slug, g2, "no")
    mod = signed_in(app, "mod@example.org")
    assert act(mod, f"disagreement:{t}", "accept").status_code == 409  # a tie: nothing to accept
    assert act(mod, f"disagreement:{t}", "override", answer="maybe", reason="x").status_code == 422
    assert act(mod, f"disagreement:{t}", "override", answer="no").status_code == 422  # a reason is needed
    assert act(mod, f"disagreement:{t}", "override", answer="no", reason="Checked the photo").status_code == 200
    answer_task(client, t, c.slug, g3, "yes")  # a later answer does not undo it
    db.session.expire_all()
    override = db.session.get(Task, t).consensus["override"]
    assert override["answer"] == "no" and override["reason"] == "Checked the photo" and override["by"].startswith("m-")
    row = next(r for r in results_svc.results_page(c) if r["task_id"] == t)
    assert row["answer"] == "no" and row["override"]["answer"] == "no"
    api = client.get(f"/api/v1/campaigns/{c.slug}/results").get_json()["results"]
    assert next(r for r in api if r["task_id"] == t)["answer"] == "no"
    other = answer_next(client, c.slug, "yes", g1, duration_ms=5000)["id"]
    assert act(mod, f"disagreement:{other}", "accept", reason="Clear").status_code == 200
    db.session.expire_all()
    assert db.session.get(Task, other).consensus["override"]["answer"] == "yes"
    assert [(a.action, a.target_id) for a in audit_rows()] == [("override", str(t)), ("accept", str(other))]
    assert audit_rows()[0].before["override"] is None and audit_rows()[0].after["override"]["answer"] == "no"


def test_hide_takes_a_task_out_for_good(app, client, guest, moderator, make_campaign):
    c = make_campaign(tasks=2, redundancy=3)
    answer_next(client, c.slug, "yes", guest(), duration_ms=5000)
    holder = guest()
    target = next_task(client, c.slug, holder)["id"]  # someone holds a lease on the task hidden
    assert db.session.get(Task, target).lease_count == 1
    mod = signed_in(app, "mod@example.org")
    assert act(mod, f"disagreement:{target}", "hide").status_code == 422  # a reason is needed
    assert act(mod, f"disagreement:{target}", "hide", reason="Personal data").status_code == 200
    db.session.expire_all()
    task = db.session.get(Task, target)
    assert (task.available, task.rand, task.lease_count) == (False, HIDDEN_RAND, 0)
    assert task.consensus["hidden"]["reason"] == "Personal data"
    for _ in range(3):  # newcomers never get it
        r = client.get(f"/api/v1/campaigns/{c.slug}/tasks/next", headers=guest())
        assert r.status_code == 204 or r.get_json()["id"] != target
    assert audit_rows()[-1].action == "hide"
    assert act(mod, f"disagreement:{target}", "hide", reason="again").status_code == 409


def test_reports_rerate_and_dismiss(app, client, guest, moderator, make_campaign):
    c = make_campaign(tasks=2)
    g = guest()
    t = answer_next(client, c.slug, "yes", g, duration_ms=5000)["id"]
    assert client.post(f"/api/v1/tasks/{t}/reports", headers=g, json={"reason": "abusive"}).status_code == 201
    assert client.post(f"/api/v1/tasks/{t}/reports", headers=g, json={"reason": "abusive"}).status_code == 409
    assert client.post(f"/api/v1/tasks/{t}/reports", headers=g, json={"reason": "ugly"}).status_code == 422
    assert client.post(f"/api/v1/tasks/{t}/reports", headers=guest(), json={"reason": "abusive"}).status_code == 403
    mod = signed_in(app, "mod@example.org")
    assert f"flag:{t}" in queue_keys(mod)
    assert act(mod, f"flag:{t}", "rerate", level="graphic", categories=["injury"]).status_code == 200
    from citizen.wellbeing.models import ContentRating
    db.session.expire_all()
    assert db.session.get(ContentRating, t).level == 2
    assert act(mod, f"flag:{t}", "dismiss", reason="Fine").status_code == 200
    assert db.session.execute(select(ContentReport.status)).scalar_one() == "resolved"
    assert f"flag:{t}" not in queue_keys(mod)
    assert [(a.action, a.target_type) for a in audit_rows()] == [("rerate", "task"), ("dismiss", "reports")]
    assert audit_rows()[0].after["rating"]["level"] == "graphic"


def test_graphic_content_flags_are_listed_and_settled(app, client, guest, moderator, make_campaign):
    c = make_campaign(tasks=2)
    g = guest()
    t = answer_next(client, c.slug, "yes", g, duration_ms=5000)["id"]
    r = client.post(f"/api/v1/tasks/{t}/flags", headers=g, json={"level": "graphic"})
    assert r.status_code == 201, r.get_json()
    mod = signed_in(app, "mod@example.org")
    assert queue_keys(mod, reason="flag") == [f"flag:{t}"]
    assert "Flagged as upsetting" in mod.get("/moderation/", query_string={"reason": "flag"}).get_data(as_text=True)
    assert act(mod, f"flag:{t}", "dismiss", reason="Not graphic").status_code == 200
    assert queue_keys(mod, reason="flag") == []  # settled at its rating: only later flags count


def test_linked_accounts_are_listed_and_suspended_together(app, client, guest, moderator, make_campaign):
    c = make_campaign(tasks=4, redundancy=3)
    device = {"REMOTE_ADDR": "198.51.100.7", "HTTP_USER_AGENT": "Ring/1.0"}  # one device: linked accounts
    ring = [{"Authorization": "Bearer " + client.post("/api/v1/guests", environ_base=device).get_json()["token"]}
            for _ in range(2)]
    for h in ring:
        for _ in range(2):
            answer_next(client, c.slug, "yes", h, duration_ms=5000)
    mod = signed_in(app, "mod@example.org")
    page = mod.get("/moderation/", query_string={"reason": "cluster"}).get_data(as_text=True)
    [(key, members)] = re.findall(r'data-key="(cluster:[^"]+)" data-reason="cluster"[^>]*data-members="([^"]+)"', page)
    members = json.loads(members.replace("&#34;", '"'))
    assert len(members) == 2 and "Same device" in page
    assert act(mod, key, "suspend", reason="Ring", members=members[:1]).status_code == 422  # not this cluster
    assert act(mod, key, "suspend", reason="Ring", members=members).status_code == 200
    assert db.session.execute(select(func.count(Suspension.id))).scalar() == 2
    assert db.session.execute(select(func.max(Answer.weight))).scalar() == 0.0
    assert queue_keys(mod, reason="cluster") == []


# --- suspensions -----------------------------------------------------------------------------------------

def test_suspension_stops_a_contributors_answers_counting_and_lifting_restores_them(app, client, guest, moderator,
                                                                                   make_campaign):
    c = make_campaign(tasks=2, redundancy=3)
    spam1, spam2, honest = guest(), guest(), guest()
    t = answer_next(client, c.slug, "yes", spam1, duration_ms=5000)["id"]
    answer_task(client, t, c.slug, spam2, "yes")
    answer_task(client, t, c.slug, honest, "no")
    result = lambda: next(r for r in results_svc.results_page(c) if r["task_id"] == t)  # noqa: E731
    assert result()["answer"] == "yes"
    other = next_task(client, c.slug, spam1)["id"]  # held when the suspension comes
    mod = signed_in(app, "mod@example.org")
    from citizen.accounts.signatures import pseudonym
    ids = [accounts.guest_id_from_token(h["Authorization"].split()[1]) for h in (spam1, spam2)]
    for cid in ids:
        r = act(mod, f"contributor:{c.id}:{pseudonym(c.id, cid)}", "suspend", reason="Copy-paste ring")
        assert r.status_code == 200, r.get_json()
    db.session.expire_all()
    assert db.session.get(Task, t).consensus["counts"] == {"yes": 0.0, "no": 1.0}
    assert result()["answer"] == "no"
    # A suspended contributor is handed no more tasks; an answer on a task held from before is stored with weight 0.
    r = client.get(f"/api/v1/campaigns/{c.slug}/tasks/next", headers=spam1)
    assert r.status_code == 429 and r.get_json()["code"] == "capped"
    assert client.post(f"/api/v1/tasks/{other}/answers", headers=spam1, json={"value": "yes"}).status_code == 201
    assert db.session.execute(select(Answer.weight).where(Answer.task_id == other)).scalar_one() == 0.0
    suspension = db.session.execute(select(Suspension).order_by(Suspension.id)).scalars().first()
    assert act(mod, f"contributor:{c.id}:{pseudonym(c.id, ids[0])}", "suspend", reason="again").status_code == 409
    r = mod.post(f"/moderation/suspensions/{suspension.id}/lift", data={"reason": "Appeal accepted"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Task, t).consensus["counts"] == {"yes": 1.0, "no": 1.0}
    assert db.session.execute(select(Answer.weight).where(Answer.task_id == other)).scalar_one() == 1.0
    assert [a.action for a in audit_rows()] == ["suspend", "suspend", "lift"]
    assert audit_rows()[0].after["tasks_recomputed"] == 1
    assert audit_rows()[-1].reason == "Appeal accepted"


def test_an_organisation_wide_suspension_covers_every_campaign(app, client, guest, moderator, make_campaign,
                                                                search_campaign):
    q = make_campaign(tasks=2)
    s = search_campaign()
    spam = guest()
    answer_next(client, q.slug, "yes", spam, duration_ms=5000)
    answer_next(client, s.slug, PERSON, spam, duration_ms=5000)
    esc = db.session.execute(select(Escalation)).scalar_one()
    mod = signed_in(app, "mod@example.org")
    assert act(mod, f"escalation:{esc.id}", "suspend", reason="Pranks", scope="organisation").status_code == 200
    db.session.expire_all()
    assert db.session.execute(select(func.max(Answer.weight))).scalar() == 0.0
    assert esc.status == "dismissed"
    assert db.session.execute(select(Suspension.campaign_id)).scalar_one() is None
    # suspended: handed no more tasks anywhere in the organisation, so no new escalation
    assert client.get(f"/api/v1/campaigns/{s.slug}/tasks/next", headers=spam).status_code == 429
    assert db.session.execute(select(func.count(Escalation.id))).scalar() == 1


# --- who may do what -------------------------------------------------------------------------------------

def test_moderators_never_review_their_own_answers(app, client, guest, moderator, make_user, search_campaign):
    c = search_campaign()
    token = accounts.create_api_token(moderator)
    db.session.commit()
    mine = answer_next(client, c.slug, PERSON, {"Authorization": f"Bearer {token}"}, duration_ms=5000)["id"]
    esc = db.session.execute(select(Escalation)).scalar_one()
    mod = signed_in(app, "mod@example.org")
    assert f"escalation:{esc.id}" not in queue_keys(mod)
    assert mod.get("/moderation/poll", query_string={"after": 0}).get_json()["items"] == []
    assert act(mod, f"escalation:{esc.id}", "confirm").status_code == 403
    assert act(mod, f"disagreement:{mine}", "override", answer="none", reason="x").status_code == 403
    make_user("mod2@example.org", "moderator")
    other = signed_in(app, "mod2@example.org")
    assert f"escalation:{esc.id}" in queue_keys(other)
    assert act(other, f"escalation:{esc.id}", "confirm").status_code == 200


def test_only_the_organisations_moderators_and_organisers_see_and_act(app, client, guest, moderator, make_user,
                                                                     search_campaign):
    c = search_campaign()
    answer_next(client, c.slug, PERSON, guest(), duration_ms=5000)
    esc = db.session.execute(select(Escalation)).scalar_one()
    anonymous = app.test_client()
    r = anonymous.get("/moderation/")
    assert r.status_code == 401 and "/account/login?next=/moderation/" in r.get_data(as_text=True)
    r = anonymous.post("/moderation/act", json={"item": f"escalation:{esc.id}", "action": "confirm"})
    assert r.status_code == 401 and r.get_json()["code"] == "unauthorized"
    for path in ("/moderation/poll", f"/moderation/escalations/{esc.id}", "/moderation/audit.csv"):
        assert anonymous.get(path).status_code == 401
    make_user("volunteer@example.org")
    volunteer = signed_in(app, "volunteer@example.org")
    assert volunteer.get("/moderation/").status_code == 403
    assert act(volunteer, f"escalation:{esc.id}", "confirm").status_code == 403
    elsewhere = accounts.get_or_create_organisation("other-org", "Other Org")
    for email, role in (("othermod@example.org", "moderator"), ("otherorg@example.org", "organiser")):
        user = accounts.register_user(email, "Other", "password123")
        accounts.grant(user, elsewhere, role)
        db.session.commit()
        outsider = signed_in(app, email)
        assert outsider.get("/moderation/").status_code == 200
        assert queue_keys(outsider) == []
        assert act(outsider, f"escalation:{esc.id}", "confirm").status_code == 403
        assert outsider.get(f"/moderation/escalations/{esc.id}").status_code == 403
        assert outsider.get("/moderation/", query_string={"org": "test-org"}).status_code == 403
    mod = signed_in(app, "mod@example.org")
    assert mod.get("/moderation/audit").status_code == 403  # the audit log is the organisers'
    assert mod.get("/moderation/audit.csv").status_code == 403
    assert mod.get("/moderation/settings").status_code == 403
    assert act(mod, f"escalation:{esc.id}", "confirm", reason="=HYPERLINK(1)").status_code == 200
    boss = signed_in(app, "organiser@example.org")
    r = boss.get("/moderation/audit.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert [(x["action"], x["target_type"], x["user_name"], x["reason"]) for x in rows] == [
        ("confirm", "escalation", "Mo Moderator", "'=HYPERLINK(1)")]
    assert "confirm" in boss.get("/moderation/audit").get_data(as_text=True)


# --- notifications ---------------------------------------------------------------------------------------

class Receiver:
    """A webhook receiver on 127.0.0.1 that answers with the given statuses in turn (then 200)."""

    def __init__(self, statuses=()):
        self.statuses, self.requests = list(statuses), []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append((dict(self.headers), body))
                status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/citizen"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(app):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True  # the receiver listens on 127.0.0.1 (tests only)
    made = []

    def factory(statuses=()):
        made.append(Receiver(statuses))
        return made[-1]
    yield factory
    for r in made:
        r.close()


@pytest.fixture
def fast_retries(app):
    app.config.update(MODERATION_WEBHOOK_BACKOFF=0.01, MODERATION_WEBHOOK_ATTEMPTS=4)


def test_escalation_webhook_is_signed_and_retried_with_a_delivery_log(app, client, guest, org, search_campaign,
                                                                      receiver, fast_retries, moderator):
    hook = receiver([500, 503])
    db.session.add(AlertSettings(organisation_id=org.id, webhook_url=hook.url, webhook_secret="s3cret"))
    db.session.commit()
    c = search_campaign()
    answer_next(client, c.slug, PERSON, guest(), duration_ms=5000)
    assert len(hook.requests) == 3
    headers, body = hook.requests[-1]
    assert webhooks.verify("s3cret", body, headers["X-Citizen-Signature"])
    assert not webhooks.verify("other", body, headers["X-Citizen-Signature"])
    assert all(b == body for _h, b in hook.requests)  # every try is the same signed body
    event = json.loads(body)
    esc = db.session.execute(select(Escalation)).scalar_one()
    assert event["event"] == "escalation.created" and headers["X-Citizen-Event"] == "escalation.created"
    assert event["escalation"]["id"] == esc.id and event["escalation"]["answer"] == "person"
    payload = db.session.get(Task, esc.task_id).payload
    assert event["escalation"]["location"] == {"lat": payload["lat"], "lon": payload["lon"], "source": "photo"}
    assert event["escalation"]["url"].endswith(f"/moderation/escalations/{esc.id}")
    log = db.session.execute(select(DeliveryAttempt).order_by(DeliveryAttempt.id)).scalars().all()
    assert [(d.channel, d.attempt, d.status_code, d.ok) for d in log] == [
        ("webhook", 1, 500, False), ("webhook", 2, 503, False), ("webhook", 3, 200, True)]
    assert db.session.execute(select(Job.status).where(Job.name == "moderation.notify")).scalar_one() == "done"
    # Confirming sends a second event, with the place, to the same receiver.
    mod = signed_in(app, "mod@example.org")
    assert act(mod, f"escalation:{esc.id}", "confirm", reason="Seen").status_code == 200
    confirmed = json.loads(hook.requests[-1][1])
    assert confirmed["event"] == "escalation.confirmed" and confirmed["escalation"]["status"] == "confirmed"
    assert confirmed["escalation"]["reason"] == "Seen"
    boss = signed_in(app, "organiser@example.org")
    page = boss.get("/moderation/settings").get_data(as_text=True)
    assert "escalation.created" in page and "delivered" in page and "failed" in page


def test_a_webhook_that_never_answers_fails_the_job_after_every_attempt(app, client, guest, org, search_campaign,
                                                                        receiver, fast_retries):
    hook = receiver([500] * 10)
    db.session.add(AlertSettings(organisation_id=org.id, webhook_url=hook.url, webhook_secret="s"))
    db.session.commit()
    c = search_campaign()
    # The volunteer's answer is stored whatever the webhook does.
    answer_next(client, c.slug, PERSON, guest(), duration_ms=5000)
    assert len(hook.requests) == 4
    assert db.session.execute(select(func.count(DeliveryAttempt.id)).where(DeliveryAttempt.ok.is_(False))).scalar() == 4
    job = db.session.execute(select(Job).where(Job.name == "moderation.notify")).scalar_one()
    assert job.status == "failed" and "delivery log" in job.message
    assert db.session.execute(select(func.count(Answer.id))).scalar() == 1


def test_email_is_skipped_without_a_mail_server_and_sent_with_one(app, client, guest, org, search_campaign,
                                                                   monkeypatch):
    c = search_campaign()
    lines = []  # (Alembic's logging setup disables loggers made before the migrations ran: caplog misses them)
    monkeypatch.setattr(webhooks.log, "info", lambda msg, *args: lines.append(msg % args))
    answer_next(client, c.slug, PERSON, guest(), duration_ms=5000)
    assert lines == ["escalation 1 not e-mailed: MAIL_SERVER is not configured"]
    assert db.session.execute(select(DeliveryAttempt)).first() is None

    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout=None):
            sent.append({"host": host, "port": port})

        def __enter__(self):
            return self

        def __exit__(self, *args):
            return False

        def send_message(self, msg):
            sent[-1]["msg"] = msg

    monkeypatch.setattr(webhooks.smtplib, "SMTP", FakeSMTP)
    app.config.update(MAIL_SERVER="mail.example.org", MAIL_PORT=2525)
    answer_new(client, c.slug, guest(), PERSON)
    assert sent and sent[0]["host"] == "mail.example.org" and sent[0]["port"] == 2525
    assert sent[0]["msg"]["To"] == "organiser@example.org" and "person" in sent[0]["msg"]["Subject"]
    attempt = db.session.execute(select(DeliveryAttempt)).scalar_one()
    assert (attempt.channel, attempt.ok) == ("email", True)


def test_alert_settings_are_for_organisers_and_validated(app, organiser, moderator, org, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, *a, **k: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))])  # no network in tests
    boss = signed_in(app, "organiser@example.org")
    r = boss.post("/moderation/settings", data={"webhook_url": "ftp://x", "webhook_secret": "", "emails": ""})
    assert r.status_code == 200 and "starts with https://" in r.get_data(as_text=True)
    r = boss.post("/moderation/settings", data={"webhook_url": "https://hooks.example.org/x",
                                                "webhook_secret": "abc", "emails": "a@example.org; b@example.org"})
    assert r.status_code == 302
    row = db.session.get(AlertSettings, org.id)
    assert (row.webhook_url, row.webhook_secret, row.emails) == ("https://hooks.example.org/x", "abc",
                                                                 "a@example.org, b@example.org")
    assert audit_rows()[-1].after == {"webhook_url": "https://hooks.example.org/x",
                                      "emails": "a@example.org, b@example.org", "secret_changed": True}


def test_the_search_and_rescue_demo_escalates_a_person(app, client, guest, org, organiser):
    from citizen.demo.hiker import hiker_photo, missing_hiker_campaign
    jpeg, box = hiker_photo(1, True)
    assert jpeg[:2] == b"\xff\xd8" and box["w"] > 10
    assert hiker_photo(1, False)[1] is None
    c = missing_hiker_campaign(org, organiser, bounds=(-62.25, -9.93, -62.15, -9.87), n_photos=3)
    db.session.commit()
    assert (c.kind, c.status, c.settings["escalate_on"]) == ("search", "published", ["person"])
    task = next_task(client, c.slug, guest())
    assert task["options"] == ["person", "unsure", "none"] and task["mode"] == "photo" and "lat" in task
    assert task["question"].startswith("Is there a person")

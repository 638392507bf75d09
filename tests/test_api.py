"""API v1 on the Flask test client: the volunteer loop, its guarantees, and the organiser endpoints."""
import io
import re
import uuid

from sqlalchemy import select

from citizen.accounts import services as accounts
from citizen.campaigns.models import Answer, Assignment, Campaign, IdempotentResponse, Task
from citizen.extensions import db
from tests.helpers import API, bearer, campaign, count, next_task, submit, take


def error(r, status, code=None):
    """Assert an error response: its status, and a JSON body with a code and a message."""
    assert r.status_code == status, r.get_data(as_text=True)
    body = r.get_json()
    assert body["code"] and body["message"], body
    if code:
        assert body["code"] == code, body
    return body


def test_guest_gets_a_token(client):
    r = client.post(f"{API}/guests")
    assert r.status_code == 201
    token = r.get_json()["token"]
    assert token and token != client.post(f"{API}/guests").get_json()["token"]


def test_campaign_list_shows_only_published(client, make_campaign):
    public = make_campaign(title="Open one")
    make_campaign(title="Draft one", publish=False)
    listed = client.get(f"{API}/campaigns").get_json()["campaigns"]
    assert [c["slug"] for c in listed] == [public.slug]
    assert listed[0]["kind"] == "question" and listed[0]["title"] == "Open one" and listed[0]["progress"] == 0.0


def test_openapi_documents_every_route(app, client):
    paths = client.get(f"{API}/openapi.json").get_json()["paths"]
    routes = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")]
    assert len(routes) >= 11
    for rule in routes:
        path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule)[len(API):]
        assert path in paths, path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in paths[path], (method, path)


def test_next_gives_204_when_others_took_every_slot(client, make_campaign, guest):
    c = make_campaign(tasks=2, redundancy=1)
    a, b = guest(), guest()
    assert next_task(client, c.slug, a)["id"] != next_task(client, c.slug, b)["id"]
    assert take(client, c.slug, guest()).status_code == 204


def test_a_task_is_never_handed_twice_and_204_when_all_answered(client, make_campaign, guest):
    c = make_campaign(tasks=4, redundancy=3)
    h, seen = guest(), []
    while (r := take(client, c.slug, h)).status_code == 200:
        seen.append(r.get_json()["id"])
        assert submit(client, seen[-1], "yes", h, key=None).status_code == 201
        assert len(seen) <= 4
    assert r.status_code == 204
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 4


def test_redundancy_three_stops_after_three_answers(client, make_campaign, guest):
    c = make_campaign(tasks=1, redundancy=3)
    for _ in range(3):
        h = guest()
        assert submit(client, next_task(client, c.slug, h)["id"], "yes", h, key=None).status_code == 201
    assert take(client, c.slug, guest()).status_code == 204
    assert count(Answer) == 3 and campaign(c.slug).tasks_done == 1


def test_submit_and_idempotent_retry(client, make_campaign, guest):
    c, h = make_campaign(), guest()
    tid, key = next_task(client, c.slug, h)["id"], str(uuid.uuid4())
    first = submit(client, tid, "no", h, key=key, duration_ms=900)
    assert first.status_code == 201
    body = first.get_json()
    assert body["answer"]["task_id"] == tid and body["answer"]["value"] == "no" and body["done"] == 1
    again = submit(client, tid, "no", h, key=key, duration_ms=900)
    assert (again.status_code, again.get_json()) == (201, body)
    assert count(Answer) == 1 and count(IdempotentResponse) == 1
    assert db.session.get(Task, tid).answer_count == 1


def test_reused_key_and_second_answer_conflict(client, make_campaign, guest):
    c, h = make_campaign(), guest()
    tid, key = next_task(client, c.slug, h)["id"], str(uuid.uuid4())
    assert submit(client, tid, "yes", h, key=key).status_code == 201
    error(submit(client, tid, "no", h, key=key), 409, "idempotency_key_reused")
    error(submit(client, tid, "no", h, key=str(uuid.uuid4())), 409, "already_answered")
    error(submit(client, tid, "no", h, key=None), 409, "already_answered")
    assert count(Answer) == 1


def test_invalid_answers_store_nothing(client, make_campaign, guest):
    c, h = make_campaign(), guest()
    tid = next_task(client, c.slug, h)["id"]
    url = f"{API}/tasks/{tid}/answers"
    error(submit(client, tid, "maybe", h, key=None), 422, "invalid")
    error(client.post(url, headers=h), 422)
    error(client.post(url, data="not json", headers=h, content_type="application/json"), 422)
    assert error(client.post(url, json={"duration_ms": 5}, headers=h), 422)["details"][0]["field"] == "value"
    error(submit(client, tid, "yes", h, key=None, duration_ms=-1), 422)
    error(submit(client, tid, "yes", h, key=None, duration_ms="fast"), 422)
    assert count(Answer) == 0 and db.session.get(Task, tid).answer_count == 0
    assert submit(client, tid, "yes", h, key=None).status_code == 201  # the lease was not used up by the failures


def test_who_may_answer(client, make_campaign, guest):
    c, a = make_campaign(), guest()
    tid = next_task(client, c.slug, a)["id"]
    error(submit(client, tid, "yes", guest(), key=None), 403, "not_assigned")
    error(submit(client, 999999, "yes", a, key=None), 404, "not_found")
    error(submit(client, 999999, "yes", a, key="k1"), 404, "not_found")
    error(submit(client, tid, "yes", bearer("g.forged"), key=None), 401, "unauthorized")
    error(submit(client, tid, "yes", bearer("ctz_nope"), key=None), 401, "unauthorized")
    error(submit(client, tid, "yes", {}, key=None), 401, "unauthorized")
    error(take(client, c.slug, bearer("g.forged")), 401, "unauthorized")
    error(take(client, "no-such-campaign", a), 404, "not_found")
    assert count(Answer) == 0


def test_skipped_task_goes_to_others_not_back(client, make_campaign, guest):
    c, a, b = make_campaign(tasks=1, redundancy=2), guest(), guest()
    tid = next_task(client, c.slug, a)["id"]
    r = client.post(f"{API}/tasks/{tid}/skip", headers=a)
    assert r.status_code == 200 and r.get_json() == {"skipped": tid}
    assert take(client, c.slug, a).status_code == 204
    assert next_task(client, c.slug, b)["id"] == tid
    error(client.post(f"{API}/tasks/{tid}/skip", headers=guest()), 403, "not_assigned")


def test_at_most_two_leases_per_contributor(client, make_campaign, guest):
    c, h = make_campaign(tasks=5), guest()
    first, second = next_task(client, c.slug, h)["id"], next_task(client, c.slug, h)["id"]
    assert first != second
    assert next_task(client, c.slug, h)["id"] in {first, second}
    assert count(Assignment) == 2


def test_results_majority_and_paging(client, make_campaign, guest, organiser_token):
    c = make_campaign(tasks=3, redundancy=3)
    t1, t2, t3 = db.session.execute(select(Task.id).order_by(Task.id)).scalars().all()
    plan = {t1: ["yes", "yes", "no"], t2: ["no", "unsure", "yes"], t3: []}
    for i in range(3):
        h = guest()
        for _ in range(3):
            tid = next_task(client, c.slug, h)["id"]
            if plan[tid]:
                assert submit(client, tid, plan[tid][i], h, key=None).status_code == 201
    rows = {r["task_id"]: r for r in client.get(f"{API}/campaigns/{c.slug}/results").get_json()["results"]}
    assert rows[t1]["answer"] == "yes" and rows[t1]["count"] == 2 and rows[t1]["share"] == 0.6667
    assert rows[t1]["answers"] == 3 and rows[t1]["complete"] and not rows[t1]["tied"]
    assert rows[t2]["answer"] is None and rows[t2]["tied"] and rows[t2]["count"] == 1
    assert rows[t3]["answers"] == 0 and not rows[t3]["complete"]
    page = client.get(f"{API}/campaigns/{c.slug}/results?limit=2").get_json()
    assert [r["task_id"] for r in page["results"]] == [t1, t2] and page["next_after"] == t2
    page = client.get(f"{API}/campaigns/{c.slug}/results?limit=2&after={t2}").get_json()
    assert [r["task_id"] for r in page["results"]] == [t3] and page["next_after"] is None


def test_drafts_are_hidden_except_from_their_organiser(client, make_campaign, guest, organiser_token):
    c = make_campaign(publish=False)
    for path in (f"/campaigns/{c.slug}", f"/campaigns/{c.slug}/results"):
        error(client.get(API + path), 404, "not_found")
        error(client.get(API + path, headers=guest()), 404, "not_found")
        assert client.get(API + path, headers=bearer(organiser_token)).status_code == 200
    error(take(client, c.slug, guest()), 404, "not_found")  # a volunteer cannot tell a draft from nothing
    error(take(client, c.slug, bearer(organiser_token)), 409, "campaign_not_open")


NEW = {"title": "Count the boats", "kind": "question", "redundancy": 2,
       "settings": {"question": "Is there a boat?", "options": ["Yes", "No"]}}


def test_create_campaign_needs_an_organiser(client, make_user, organiser_token, guest):
    r = client.post(f"{API}/campaigns", json=NEW, headers=bearer(organiser_token))
    assert r.status_code == 201 and r.get_json() == {"slug": "count-the-boats", "status": "draft"}
    error(client.post(f"{API}/campaigns", json=NEW), 401, "unauthorized")
    error(client.post(f"{API}/campaigns", json=NEW, headers=guest()), 403, "forbidden")
    volunteer = accounts.create_api_token(make_user("vol@example.org"))
    db.session.commit()
    error(client.post(f"{API}/campaigns", json=NEW, headers=bearer(volunteer)), 403, "forbidden")
    assert count(Campaign) == 1


def test_create_campaign_lists_every_invalid_field(client, organiser_token):
    bad = {"kind": "question", "redundancy": 0, "settings": {"question": "Boat?", "options": ["Yes"]}}
    body = error(client.post(f"{API}/campaigns", json=bad, headers=bearer(organiser_token)), 422, "invalid")
    assert {d["field"] for d in body["details"]} == {"title", "redundancy", "options"}
    assert count(Campaign) == 0


def post_tasks(client, slug, token, body=None, csv_text=None):
    if csv_text is not None:
        return client.post(f"{API}/campaigns/{slug}/tasks", headers=bearer(token), content_type="multipart/form-data",
                           data={"file": (io.BytesIO(csv_text.encode()), "tasks.csv")})
    return client.post(f"{API}/campaigns/{slug}/tasks", headers=bearer(token), json=body)


def test_import_tasks_json_and_csv(client, make_campaign, organiser_token):
    c = make_campaign(tasks=0, publish=False)
    r = post_tasks(client, c.slug, organiser_token, [{"external_id": "a", "text": "One"}, {"text": "Two"}])
    assert (r.status_code, r.get_json()) == (201, {"imported": 2, "tasks_total": 2})
    r = post_tasks(client, c.slug, organiser_token, {"tasks": [{"image_url": "https://example.org/1.jpg"}]})
    assert r.get_json() == {"imported": 1, "tasks_total": 3}
    r = post_tasks(client, c.slug, organiser_token, csv_text="external_id,text\nb,Three\nc,Four\n")
    assert (r.status_code, r.get_json()) == (201, {"imported": 2, "tasks_total": 5})
    assert count(Task) == 5 and campaign(c.slug).tasks_total == 5


def assert_rejected(r, lines, slug, total):
    body = error(r, 422, "invalid")
    assert [d["line"] for d in body["details"]] == lines
    assert campaign(slug).tasks_total == total and count(Task) == total
    return body


def test_import_is_all_or_nothing_and_names_lines(client, make_campaign, organiser_token):
    c = make_campaign(tasks=0, publish=False)
    post = lambda **kw: post_tasks(client, c.slug, organiser_token, **kw)  # noqa: E731
    bad_url = "external_id,text,image_url\na,Fine,\nb,,ftp://example.org/x.jpg\nc,Also fine,\n"
    assert "3" in assert_rejected(post(csv_text=bad_url), [3], c.slug, 0)["message"]
    assert_rejected(post(csv_text="text\nok\n\"one\",\"two\"\n"), [3], c.slug, 0)
    assert_rejected(post(csv_text="external_id,text\na,One\nb,Two\na,Again\n"), [4], c.slug, 0)
    assert_rejected(post(body=[{"text": "fine"}, {"colour": "red"}]), [2], c.slug, 0)
    assert post(csv_text="external_id,text\na,One\n").status_code == 201
    body = assert_rejected(post(csv_text="external_id,text\nz,New\na,Again\n"), [3], c.slug, 1)
    assert "already" in body["details"][0]["message"]


def test_publish_needs_tasks(client, make_campaign, organiser_token):
    c = make_campaign(tasks=0, publish=False)
    error(client.post(f"{API}/campaigns/{c.slug}/publish", headers=bearer(organiser_token)), 409, "no_tasks")
    assert post_tasks(client, c.slug, organiser_token, [{"text": "x"}]).status_code == 201
    r = client.post(f"{API}/campaigns/{c.slug}/publish", headers=bearer(organiser_token))
    assert r.status_code == 200 and r.get_json()["status"] == "published"


def import_answers(client, slug, token, items):
    return client.post(f"{API}/campaigns/{slug}/answers/import", headers=bearer(token), json={"answers": items})


def test_import_answers_updates_consensus_and_counts(client, make_campaign, organiser_token):
    c = make_campaign(tasks=2, redundancy=2)
    t0 = db.session.execute(select(Task.id).where(Task.external_id == "t0")).scalar_one()
    items = [{"task_id": t0, "contributor": "A", "value": "no"}, {"task_id": t0, "contributor": "B", "value": "no"},
             {"external_id": "t1", "contributor": "A", "value": "yes"}]
    r = import_answers(client, c.slug, organiser_token, items)
    assert (r.status_code, r.get_json()) == (201, {"imported": 3})
    rows = {r["external_id"]: r for r in client.get(f"{API}/campaigns/{c.slug}/results").get_json()["results"]}
    assert (rows["t0"]["answer"], rows["t0"]["answers"], rows["t0"]["complete"]) == ("no", 2, True)
    assert (rows["t1"]["answer"], rows["t1"]["answers"], rows["t1"]["complete"]) == ("yes", 1, False)
    assert campaign(c.slug).tasks_done == 1 and count(Answer, Answer.source == "import") == 3
    assert not db.session.get(Task, t0).available


def test_import_answers_is_all_or_nothing(client, make_campaign, organiser_token):
    c = make_campaign(tasks=2, redundancy=3)
    ok = {"external_id": "t0", "contributor": "A", "value": "yes"}
    assert import_answers(client, c.slug, organiser_token, [ok]).status_code == 201

    def rejected(items, lines):
        body = error(import_answers(client, c.slug, organiser_token, items), 422, "invalid")
        assert [d["line"] for d in body["details"]] == lines, body
        assert count(Answer) == 1 and campaign(c.slug).tasks_done == 0
        return body

    fresh = {"external_id": "t1", "contributor": "B", "value": "no"}
    assert "answer 1" in rejected([fresh, dict(fresh, value="yes")], [2])["details"][0]["message"]
    rejected([fresh, ok], [2])
    rejected([fresh, dict(fresh, contributor="C", value="maybe")], [2])
    rejected([fresh, {"external_id": "nope", "contributor": "C", "value": "no"}, {"external_id": "t1"}], [2, 3])
    results = client.get(f"{API}/campaigns/{c.slug}/results").get_json()["results"]
    assert [r["answers"] for r in results] == [1, 0]
    assert results[0]["answer"] == "yes" and results[1]["answer"] is None


def test_fractional_redundancy_is_refused(client, organiser_token):
    r = client.post("/api/v1/campaigns", headers={"Authorization": "Bearer " + organiser_token},
                    json={"title": "T", "kind": "question", "redundancy": 2.5,
                          "settings": {"question": "Q?", "options": ["Yes", "No"]}})
    assert r.status_code == 422
    assert any(d.get("field") == "redundancy" for d in r.get_json()["details"])

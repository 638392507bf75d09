"""The example kind end to end, through the public interfaces only: created and filled by the API, worked by
guests, its results in the API and the data files, its answer schema in the OpenAPI document, its items on
the moderators' queue and its campaign on the organiser's dashboard, its images behind the wellbeing shield."""
import csv
import io
import uuid

from citizen.campaigns.models import Campaign
from citizen.extensions import db
from citizen.moderation import display

API = "/api/v1"
TASKS = [{"external_id": f"pair-{i}", "left_url": f"https://example.org/{i}-a.jpg",
          "right_url": f"https://example.org/{i}-b.jpg"} for i in range(2)]


def bearer(token):
    return {"Authorization": "Bearer " + token}


def _campaign(client, token, **extra):
    r = client.post(f"{API}/campaigns", headers=bearer(token), json={
        "title": "Which is newer?", "kind": "compare", "redundancy": 2, "settings": {}, **extra})
    assert r.status_code == 201, r.get_json()
    slug = r.get_json()["slug"]
    r = client.post(f"{API}/campaigns/{slug}/tasks", headers=bearer(token), json=TASKS)
    assert r.status_code == 201, r.get_json()
    assert client.post(f"{API}/campaigns/{slug}/publish", headers=bearer(token)).status_code == 200
    return slug


def _answer(client, slug, headers, value):
    r = client.get(f"{API}/campaigns/{slug}/tasks/next", headers=headers)
    assert r.status_code == 200, r.get_data(as_text=True)
    task = r.get_json()
    s = client.post(f"{API}/tasks/{task['id']}/answers", json={"value": value, "duration_ms": 4000},
                    headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    assert s.status_code == 201, s.get_json()
    return task


def _sign_in(app, email):
    c = app.test_client()
    assert c.post("/account/login", data={"email": email, "password": "password123"}).status_code == 302
    return c


def test_the_example_kind_from_api_to_results_exports_and_moderation(app, client, organiser_token, guest, make_user):
    slug = _campaign(client, organiser_token)
    first, second = guest(), guest()
    task = _answer(client, slug, first, "left")
    pair = next(p for p in TASKS if p["left_url"] == task["left_url"])  # tasks come in any order
    assert task["kind"] == "compare" and task["right_url"] == pair["right_url"]
    assert task["options"] == ["left", "right", "same"]
    bad = client.post(f"{API}/tasks/{task['id']}/answers", json={"value": "middle", "duration_ms": 4000},
                      headers={**second, "Idempotency-Key": str(uuid.uuid4())})
    assert bad.status_code in (403, 422)
    _answer(client, slug, second, "left")
    _answer(client, slug, first, "left")  # two tasks, two answers each: both guests answer both
    _answer(client, slug, second, "left")

    results = client.get(f"{API}/campaigns/{slug}/results").get_json()["results"]
    done = next(r for r in results if r["task_id"] == task["id"])
    assert (done["answer"], done["answers"], done["complete"]) == ("left", 2, True)

    spec = client.get(f"{API}/openapi.json").get_json()
    assert spec["components"]["schemas"]["compareAnswer"]["enum"] == ["left", "right", "same"]
    own = spec["components"]["schemas"]["compareTask"]["allOf"][1]["properties"]
    assert own["kind"] == {"const": "compare"} and {"left_url", "right_url"} <= set(own)
    assert {"$ref": "#/components/schemas/compareTask"} in spec["components"]["schemas"]["Task"]["anyOf"]

    rows = list(csv.DictReader(io.StringIO(client.get(f"/data/{slug}/results.csv").get_data(as_text=True))))
    row = next(r for r in rows if r["task_id"] == str(task["id"]))
    assert (row["answer"], row["left_url"], row["right_url"]) == ("left", pair["left_url"], pair["right_url"])
    assert "Compare two images" in client.get(f"/data/{slug}/README.md").get_data(as_text=True)

    moderator = make_user("mod@example.org", "moderator")
    campaign = db.session.execute(db.select(Campaign).where(Campaign.slug == slug)).scalar_one()
    [item] = display.hydrate([{"reason": "disagreement", "task_id": task["id"], "campaign_id": campaign.id}],
                             moderator)
    assert item["viewer"]["image_url"] == pair["left_url"]
    assert [a["label"] for a in item["answers"]] == ["left", "left"] and item["viewer"]["mode"] == "image"
    assert item["result"]["answer"] == "left" and item["result"]["options"] == ["left", "right", "same"]

    staff = _sign_in(app, "organiser@example.org")
    assert staff.get(f"/organise/{slug}/dashboard").status_code == 200
    page = staff.get(f"/organise/{slug}/").get_data(as_text=True)
    assert "left_url and right_url" in page  # the kind's import help on its manage page


def test_the_example_kind_work_page_loads_its_own_template_and_script(client, organiser_token):
    slug = _campaign(client, organiser_token)
    page = client.get(f"/campaigns/{slug}/work").get_data(as_text=True)
    assert 'id="cmp-left"' in page and "/static/kinds/compare/compare.js" in page
    assert client.get("/static/kinds/compare/compare.js").status_code == 200
    home = client.get("/").get_data(as_text=True)
    assert "Which is newer?" in home


def test_the_example_kinds_images_are_blurred_for_a_rated_campaign(client, organiser_token, guest):
    slug = _campaign(client, organiser_token, wellbeing={"level": "graphic", "categories": ["injury"]})
    r = client.get(f"{API}/campaigns/{slug}/tasks/next", headers=guest())
    task = r.get_json()
    assert task["blurred"] is True, task  # the default preferences blur graphic content
    originals = {t[k] for t in TASKS for k in ("left_url", "right_url")}
    assert not any(url in r.get_data(as_text=True) for url in originals)  # both images, not only the first
    # images on another server cannot be blurred here: the neutral placeholder stands in for both
    assert task["left_url"] == task["right_url"] == task["blurred_url"] == "/static/img/content-hidden.svg"
    rows = client.get(f"/data/{slug}/results.csv").get_data(as_text=True)
    assert "example.org" not in rows and "withheld: graphic" in rows  # the data files hide them too

"""Wellbeing in citizen: ratings, consent, blurred copies, reveal, flags, the exposure budget (services and API)."""
import io
import json
import os
import zipfile

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from citizen.accounts import services as accounts
from citizen.campaigns import services as campaigns
from citizen.campaigns.models import Assignment, Task
from citizen.demo.imagery import drone_photo
from citizen.extensions import db
from citizen.wellbeing import bits, serving
from citizen.wellbeing import services as wellbeing
from citizen.wellbeing.models import ContentFlag, ContentRating, ContentView
from tests.helpers import submit, take
from content_warnings import edge_energy

GRAPHIC_INJURY = {"level": "graphic", "categories": ["injury"]}


def striped(path, seed=0):
    """A picture full of sharp edges, so a blur is measurable."""
    img = Image.new("RGB", (320, 240), "white")
    d = ImageDraw.Draw(img)
    for k in range(seed % 7, 320, 14):
        d.line([(k, 0), (k, 240)], fill=(150, 20, 20), width=4)
    img.save(path)


@pytest.fixture
def images(app):
    """rows(n, **columns): n import rows, each with its own image under the media folder."""
    folder = os.path.join(app.config["MEDIA_FOLDER"], "originals")
    os.makedirs(folder, exist_ok=True)

    def rows(n, prefix="photo", **columns):
        out = []
        for i in range(n):
            striped(os.path.join(folder, f"{prefix}-{i}-original.png"), i)
            out.append({"external_id": f"{prefix}-{i}", "image_url": f"/media/originals/{prefix}-{i}-original.png",
                        "alt": f"Photo {i}", **columns})
        return out
    return rows


@pytest.fixture
def rated_campaign(make_campaign):
    """rated_campaign(rows, wellbeing=None, redundancy=3) -> a published question campaign of these rows."""
    def factory(rows, wellbeing=None, redundancy=3):
        c = make_campaign(tasks=0, publish=False, redundancy=redundancy, wellbeing=wellbeing)
        campaigns.import_tasks(c, "tasks.json", json.dumps(rows))
        campaigns.publish(c)
        db.session.commit()
        return c
    return factory


def next_task(client, slug, headers, exclude=()):
    """The next task (None when there is none) and the response's raw text (where nothing may leak)."""
    r = take(client, slug, headers, exclude)
    assert r.status_code in (200, 204), r.get_data(as_text=True)
    return (r.get_json() if r.status_code == 200 else None), r.get_data(as_text=True)


def answer(client, task_id, headers):
    r = submit(client, task_id, "yes", headers, duration_ms=5000)
    assert r.status_code == 201, r.get_json()


def all_tasks(client, slug, headers):
    """Every task this contributor is handed, answering each, until nothing is left."""
    seen = []
    while True:
        task, _raw = next_task(client, slug, headers)
        if task is None:
            return seen
        seen.append(task)
        answer(client, task["id"], headers)


def test_default_preferences_get_a_blurred_copy_and_a_warning_never_the_original(client, guest, images,
                                                                                  rated_campaign, app):
    rows = images(2)
    c = rated_campaign(rows, GRAPHIC_INJURY)
    originals = {r["image_url"] for r in rows}
    h = guest()
    task, raw = next_task(client, c.slug, h)
    assert task["blurred"] is True
    assert task["warning"] == "Warning: graphic content. It may show: injured people."
    assert task["content"] == {"level": "graphic", "categories": ["injury"], "custom_label": None,
                               "under_review": False}
    assert task["image_url"] == task["blurred_url"] and task["image_url"].startswith(f"/media/campaigns/{c.id}/")
    assert task["reveal_url"] == f"/api/v1/tasks/{task['id']}/reveal"
    for url in originals:  # not the URL, nor any part of the stored name
        assert url not in raw and "original" not in raw
    # The blurred copy is served, and much less detailed than the original.
    copy = client.get(task["image_url"])
    assert copy.status_code == 200 and copy.data[:3] == b"\xff\xd8\xff"
    original_url = db.session.execute(select(Task.payload).where(Task.id == task["id"])).scalar_one()["image_url"]
    with open(os.path.join(app.config["MEDIA_FOLDER"], original_url[len("/media/"):]), "rb") as fh:
        original = fh.read()
    assert edge_energy(copy.data, (160, 120)) < edge_energy(original, (160, 120)) / 4

    # The prefetched next task is blurred too; nothing on the page before the reveal names an original.
    second, raw2 = next_task(client, c.slug, h, exclude=[task["id"]])
    assert second["blurred"] and not any(url in raw2 for url in originals)
    assert db.session.execute(select(func.count()).select_from(ContentView)).scalar() == 0

    r = client.post(task["reveal_url"], headers=h)
    assert r.status_code == 200
    assert r.get_json()["image_url"] == original_url == r.get_json()["reveal"]["image_url"]
    assert task["alt"] != r.get_json()["reveal"]["alt"] == db.session.get(Task, task["id"]).payload["alt"]
    assert r.get_json()["budget"]["load"] == 1.0
    view = db.session.execute(select(ContentView)).scalar_one()
    assert (view.task_id, view.level, view.revealed) == (task["id"], 2, True)
    assert client.post(task["reveal_url"], headers=h).get_json()["budget"]["load"] == 1.0  # counted once


def test_blurred_copies_are_made_at_import_once_and_shared(client, guest, images, rated_campaign, app):
    c = rated_campaign(images(3), GRAPHIC_INJURY)
    rows = db.session.execute(select(ContentRating).where(ContentRating.campaign_id == c.id)).scalars().all()
    assert len(rows) == 3 and all(len(r.blurred) == 1 for r in rows)  # made during the import
    folder = os.path.join(app.config["MEDIA_FOLDER"], "campaigns", str(c.id))
    files = sorted(os.listdir(folder))
    assert len(files) == 3 and all(name.endswith("-blurred.jpg") for name in files)
    seen = {}
    for _ in range(2):
        h = guest()
        for task in all_tasks(client, c.slug, h):
            seen.setdefault(task["id"], set()).add(task["image_url"])
    assert all(len(urls) == 1 for urls in seen.values())
    assert sorted(os.listdir(folder)) == files  # nothing made again


def test_deleting_tasks_removes_their_blurred_copies_and_keeps_the_others(client, images, rated_campaign, app,
                                                                        organiser):
    from tests.helpers import sign_in
    c = rated_campaign(images(3), GRAPHIC_INJURY)
    folder = os.path.join(app.config["MEDIA_FOLDER"], "campaigns", str(c.id))
    before = sorted(os.listdir(folder))
    rows = {r.task_id: r.blurred for r in db.session.execute(
        select(ContentRating).where(ContentRating.campaign_id == c.id)).scalars()}
    gone, *kept = sorted(rows)
    sign_in(client, organiser.email)
    r = client.post(f"/organise/{c.slug}/tasks/delete", data={"task": [str(gone)]})
    assert r.status_code == 302, r.get_data(as_text=True)
    after = sorted(os.listdir(folder))
    [copy] = rows[gone].values()
    assert len(before) == 3 and len(after) == 2 and copy.rsplit("/", 1)[1] not in after  # no graphic copy left
    assert all(url.rsplit("/", 1)[1] in after for t in kept for url in rows[t].values())


def test_blurred_copy_made_lazily_for_a_task_rated_later(client, guest, images, rated_campaign, make_user,
                                                         organiser_token):
    c = rated_campaign(images(1))
    task_id = db.session.execute(select(Task.id).where(Task.campaign_id == c.id)).scalar_one()
    auth = {"Authorization": "Bearer " + organiser_token}
    r = client.post(f"/api/v1/tasks/{task_id}/rating", json={"level": "graphic", "categories": "death"}, headers=auth)
    assert r.status_code == 200 and r.get_json()["rating"]["categories"] == ["death"]
    db.session.execute(ContentRating.__table__.update().values(blurred={}))  # as if the copy was never made
    db.session.commit()
    task, raw = next_task(client, c.slug, guest())
    assert task["blurred"] and "original" not in raw and "dead people" in task["warning"]


def test_a_volunteer_who_opted_out_is_never_handed_the_task(client, guest, images, rated_campaign):
    rows = images(1, "graphic", sensitivity="graphic", categories="injury") + images(3, "plain")
    c = rated_campaign(rows)
    assert c.settings["wellbeing"]["active"] and c.settings["wellbeing"]["mixed"]
    opted_out = guest()
    r = client.put("/api/v1/me/preferences", json={"choices": {"injury": "withhold"}}, headers=opted_out)
    assert r.status_code == 200 and r.get_json()["choices"]["injury"] == "withhold"
    assert r.get_json()["choices"]["death"] == "blur"  # not chosen: the default
    handed = all_tasks(client, c.slug, opted_out)
    assert len(handed) == 3 and all("warning" not in t for t in handed)
    graphic_id = db.session.execute(select(Task.id).where(Task.external_id == "graphic-0")).scalar_one()
    assert graphic_id not in {t["id"] for t in handed}
    # It was never leased to them, and they cannot answer or reveal it.
    assert db.session.execute(select(Assignment.state).where(Assignment.task_id == graphic_id)).scalars().all() \
        in ([], ["withheld"])
    assert client.post(f"/api/v1/tasks/{graphic_id}/reveal", headers=opted_out).status_code == 403
    assert client.post(f"/api/v1/tasks/{graphic_id}/answers", json={"value": "yes"}, headers=opted_out).status_code == 403
    # Someone with the default settings gets it, blurred.
    other = all_tasks(client, c.slug, guest())
    assert [t["blurred"] for t in other if t["id"] == graphic_id] == [True]


def test_opting_out_of_a_whole_campaigns_category_answers_at_once(client, guest, images, rated_campaign):
    c = rated_campaign(images(4), GRAPHIC_INJURY)
    h = guest()
    client.put("/api/v1/me/preferences", json={"choices": {"injury": "withhold"}}, headers=h)
    assert next_task(client, c.slug, h)[0] is None
    assert db.session.execute(select(func.count()).select_from(Assignment)).scalar() == 0  # nothing leased


def test_changing_preferences_gives_back_a_held_task_that_is_now_withheld(client, guest, images, rated_campaign):
    c = rated_campaign(images(2, sensitivity="graphic", categories="death") + images(2, "plain"))
    h = guest()
    first, _raw = next_task(client, c.slug, h)
    second, _raw = next_task(client, c.slug, h, exclude=[first["id"]])
    held = [t for t in (first, second) if t.get("blurred")]
    client.put("/api/v1/me/preferences", json={"choices": {"death": "withhold"}}, headers=h)
    states = dict(db.session.execute(select(Assignment.task_id, Assignment.state)).all())
    assert all(states[t["id"]] == "withheld" for t in held)
    assert all("warning" not in t for t in all_tasks(client, c.slug, h))


def test_extreme_is_withheld_unless_the_volunteer_opts_in(client, guest, images, rated_campaign):
    c = rated_campaign(images(2), {"level": "extreme", "categories": ["death"]})
    assert next_task(client, c.slug, guest())[0] is None
    brave = guest()
    r = client.put("/api/v1/me/preferences", json={"extreme_opt_in": True}, headers=brave)
    assert r.get_json()["extreme_opt_in"] is True
    task, raw = next_task(client, c.slug, brave)
    assert task["blurred"] and task["warning"].startswith("Warning: extremely graphic content.")
    # Even a SHOW choice keeps extreme content behind a reveal.
    client.put("/api/v1/me/preferences", json={"extreme_opt_in": True, "choices": {"death": "show"}}, headers=brave)
    task2, _raw = next_task(client, c.slug, brave, exclude=[task["id"]])
    assert task2["blurred"]


def test_mild_is_shown_with_a_warning_and_counted(client, guest, rated_campaign, make_campaign):
    rows = [{"text": "A short account of the night of the flood.", "sensitivity": "mild",
             "categories": "distress_text"}]
    c = rated_campaign(rows)
    h = guest()
    task, _raw = next_task(client, c.slug, h)
    assert task["text"] == rows[0]["text"] and "blurred" not in task
    assert task["warning"] == "Some people may find this upsetting. It may show: distressing descriptions."
    assert db.session.execute(select(ContentView.level, ContentView.revealed)).all() == [(1, False)]


def test_graphic_text_is_held_back_until_revealed(client, guest, rated_campaign):
    rows = [{"text": "Detailed witness account.", "sensitivity": "graphic", "categories": "distress_text"}]
    c = rated_campaign(rows)
    h = guest()
    task, raw = next_task(client, c.slug, h)
    assert "Detailed witness account" not in raw and task["blurred"] and task["reveal_label"] == "Show the text"
    assert client.post(task["reveal_url"], headers=h).get_json()["reveal"] == {"text": "Detailed witness account."}


def test_one_flag_withholds_nothing_the_threshold_of_flaggers_rerates_the_item(client, guest, images, rated_campaign):
    c = rated_campaign(images(1), {"level": "none", "flag_threshold": 2}, redundancy=5)
    assert not c.settings["wellbeing"]["active"]
    first, second = guest(), guest()
    task, raw = next_task(client, c.slug, first)
    assert "warning" not in task and "blurred" not in task  # nothing rated: the task is sent as it is
    next_task(client, c.slug, second)
    url = f"/api/v1/tasks/{task['id']}/flags"
    assert client.post(url, json={"level": "graphic"}, headers=guest()).status_code == 403  # never shown it
    assert client.post(url, json={"level": "none"}, headers=first).status_code == 422
    r = client.post(url, json={"level": "graphic", "note": "a body under the rubble"}, headers=first)
    assert r.status_code == 201
    assert r.get_json() == {"task_id": task["id"], "flagged": "graphic", "re_rated": False, "under_review": False,
                            "review_level": None, "rating": {"level": "none", "categories": [], "custom_label": None},
                            "flaggers": 1, "needed": 2}
    assert client.post(url, json={"level": "extreme"}, headers=first).status_code == 409  # one per contributor
    # One person's flag changes nothing for anyone else (moderators see it in their queue).
    assert next_task(client, c.slug, guest())[0]["id"] == task["id"]

    r = client.post(url, json={"level": "graphic"}, headers=second)
    assert r.get_json()["re_rated"] is True and r.get_json()["under_review"] is False
    assert r.get_json()["rating"]["level"] == "graphic" and r.get_json()["flaggers"] == 2
    later, raw = next_task(client, c.slug, guest())
    assert later["id"] == task["id"] and later["blurred"] and task["image_url"] not in raw
    assert db.session.execute(select(func.count()).select_from(ContentFlag)).scalar() == 2


def test_a_moderator_decides_on_a_flag(client, guest, images, rated_campaign, make_user, org):
    c = rated_campaign(images(1), GRAPHIC_INJURY)
    h = guest()
    task, _raw = next_task(client, c.slug, h)
    client.post(f"/api/v1/tasks/{task['id']}/flags", json={"level": "extreme"}, headers=h)
    assert next_task(client, c.slug, guest())[0]["blurred"]  # one flag: still served as rated
    assert wellbeing.under_review(c.id) == []
    moderator = make_user("mod@example.org", "moderator")
    token = {"Authorization": "Bearer " + accounts.create_api_token(moderator)}
    db.session.commit()
    r = client.post(f"/api/v1/tasks/{task['id']}/rating", json={"level": "extreme", "categories": ["injury"]},
                    headers=token)
    assert r.status_code == 200 and r.get_json()["under_review"] is False
    assert next_task(client, c.slug, guest())[0] is None  # extreme: withheld unless a volunteer opted in


def test_rating_endpoint_is_for_the_campaigns_organisers_and_moderators(client, guest, images, rated_campaign,
                                                                       organiser_token, make_user):
    c = rated_campaign(images(1))
    task_id = db.session.execute(select(Task.id).where(Task.campaign_id == c.id)).scalar_one()
    url, body = f"/api/v1/tasks/{task_id}/rating", {"level": "extreme", "categories": ["violence"]}
    assert client.post(url, json=body).status_code == 401
    assert client.post(url, json=body, headers=guest()).status_code == 403
    stranger = make_user("other@example.org")
    other_org = accounts.get_or_create_organisation("other-org", "Other")
    accounts.grant(stranger, other_org, "organiser")
    stranger_token = accounts.create_api_token(stranger)
    db.session.commit()
    assert client.post(url, json=body, headers={"Authorization": "Bearer " + stranger_token}).status_code == 403
    organiser = {"Authorization": "Bearer " + organiser_token}
    assert client.post(url, json={"level": "gory"}, headers=organiser).status_code == 422
    r = client.post(url, json=body, headers=organiser)
    assert r.status_code == 200 and r.get_json()["rating"]["level"] == "extreme"
    task = db.session.get(Task, task_id)
    assert task.content_bits & bits.OWN and task.content_bits & bits.level_bits(3)
    assert next_task(client, c.slug, guest())[0] is None  # extreme: withheld by default


def test_exposure_budget_suggests_a_break_then_pauses_sensitive_items(guest, images, rated_campaign, client):
    app = client.application
    app.config["WELLBEING_BUDGET"] = {"break_after": 2, "hard_limit": 3}
    app.extensions.pop("citizen.wellbeing_policy", None)
    c = rated_campaign(images(5, "graphic", sensitivity="graphic", categories="injury") + images(2, "plain"),
                       redundancy=1)
    h = guest()
    budgets = []
    for _ in range(3):
        task, _raw = next_task(client, c.slug, h)
        while "blurred" not in task:  # answer the plain ones on the way
            answer(client, task["id"], h)
            task, _raw = next_task(client, c.slug, h)
        budgets.append(client.post(task["reveal_url"], headers=h).get_json()["budget"])
        answer(client, task["id"], h)
    assert [(b["suggest_break"], b["paused"]) for b in budgets] == [(False, False), (True, False), (True, True)]
    assert budgets[1]["message"].startswith("You have looked at a lot of difficult material.")
    assert budgets[2]["message"].startswith("We have paused difficult items")
    # Paused: only the plain tasks are handed out, then nothing; the budget says why.
    rest = all_tasks(client, c.slug, h)
    assert all("warning" not in t for t in rest) and all(t["budget"]["paused"] for t in rest)
    assert client.get("/api/v1/me/wellbeing", headers=h).get_json()["budget"]["paused"] is True
    # Someone else is not paused.
    assert next_task(client, c.slug, guest())[0]["blurred"]


def test_sensitivity_ratings_on_import(client, organiser_token, make_campaign):
    c = make_campaign(tasks=0, publish=False)
    auth = {"Authorization": "Bearer " + organiser_token}
    csv = ("external_id,text,sensitivity,categories\n"
           "a,First,graphic,injury; death\nb,Second,,\nc,Third,none,\nd,Fourth,mild,burns\n")
    r = client.post(f"/api/v1/campaigns/{c.slug}/tasks",
                    data={"file": (io.BytesIO(csv.encode()), "tasks.csv")}, headers=auth)
    assert r.status_code == 201, r.get_json()
    payloads = dict(db.session.execute(select(Task.external_id, Task.payload)).all())
    assert payloads["a"]["_rating"] == {"level": "graphic", "categories": ["injury", "death"], "custom_label": None}
    assert "_rating" not in payloads["b"]
    assert payloads["d"]["_rating"] == {"level": "mild", "categories": ["other"], "custom_label": "burns"}
    bits_by_ref = dict(db.session.execute(select(Task.external_id, Task.content_bits)).all())
    assert bits_by_ref["b"] == 0 and bits_by_ref["c"] == bits.OWN and bits_by_ref["a"] & bits.BLURRABLE
    bad = "text,sensitivity\nOne,graphic\nTwo,gory\nThree,\n"
    r = client.post(f"/api/v1/campaigns/{c.slug}/tasks", data={"file": (io.BytesIO(bad.encode()), "bad.csv")},
                    headers=auth)
    assert r.status_code == 422 and r.get_json()["details"][0]["line"] == 3
    assert "sensitivity must be one of" in r.get_json()["details"][0]["message"]
    r = client.post(f"/api/v1/campaigns/{c.slug}/tasks", json=[{"text": "x", "categories": ["injury"]}], headers=auth)
    assert r.status_code == 422 and "need a sensitivity" in r.get_json()["details"][0]["message"]
    # The reserved key never reaches a volunteer, whatever the kind sends.
    client.post(f"/api/v1/campaigns/{c.slug}/publish", headers=auth)
    h = {"Authorization": "Bearer " + client.post("/api/v1/guests").get_json()["token"]}
    for task in all_tasks(client, c.slug, h):
        assert "_rating" not in task


def test_campaign_wellbeing_settings_are_validated_in_one_place(client, org, organiser, make_campaign):
    with pytest.raises(Exception) as exc:
        campaigns.create_campaign(org.id, organiser, {"title": "X", "settings": {"question": "Q?", "options": ["a", "b"]},
                                                      "wellbeing": {"level": "gory", "flag_threshold": 0}})
    fields = {d["field"] for d in exc.value.details}
    assert {"wellbeing.level", "wellbeing.flag_threshold"} <= fields
    c = make_campaign(wellbeing={"level": "Graphic", "categories": "injury, burns",
                                 "resources": "Call **0800 000 000**<script>x</script>"})
    wb = c.settings["wellbeing"]
    assert (wb["level"], wb["categories"], wb["custom_label"]) == ("graphic", ["injury", "other"], "burns")
    assert "<strong>0800 000 000</strong>" in wb["resources_html"] and "<script>" not in wb["resources_html"]
    assert wb["flag_threshold"] == 3 and wb["active"] is True


def test_editing_the_campaign_rating_applies_to_its_tasks(client, guest, images, rated_campaign, organiser):
    c = rated_campaign(images(2) + images(1, "own", sensitivity="none"))
    assert next_task(client, c.slug, guest())[0].get("blurred") is None
    campaigns.update_campaign(c, {"title": c.title, "settings": c.settings, "wellbeing": GRAPHIC_INJURY})
    db.session.commit()
    handed = all_tasks(client, c.slug, guest())
    assert sorted(bool(t.get("blurred")) for t in handed) == [False, True, True]  # "own" keeps its rating
    campaigns.update_campaign(c, {"title": c.title, "settings": c.settings, "wellbeing": {"level": "none"}})
    db.session.commit()
    assert c.settings["wellbeing"]["active"] is False and c.settings["wellbeing"]["mixed"] is True
    assert all("blurred" not in t for t in all_tasks(client, c.slug, guest()))


def test_campaigns_without_rated_content_are_served_as_before(client, guest, make_campaign):
    c = make_campaign(tasks=2)
    assert c.settings["wellbeing"] == {"level": "none", "categories": [], "custom_label": None, "resources_md": "",
                                       "resources_html": "", "flag_threshold": 3, "active": False}
    task, _raw = next_task(client, c.slug, guest())
    assert not {"warning", "budget", "blurred", "content"} & set(task)
    assert "Content warning" not in client.get(f"/campaigns/{c.slug}").get_data(as_text=True)


def test_campaign_and_work_pages_state_the_warning_and_link_the_settings(client, images, rated_campaign):
    c = rated_campaign(images(1), {**GRAPHIC_INJURY, "resources": "Talk to **Ana**, our volunteer lead."})
    page = client.get(f"/campaigns/{c.slug}").get_data(as_text=True)
    assert "Content warning" in page and "Warning: graphic content. It may show: injured people." in page
    assert "blurred until you choose to see each one" in page
    assert f'href="/wellbeing/preferences?next=/campaigns/{c.slug}"' in page
    assert "<strong>Ana</strong>" in page
    work = client.get(f"/campaigns/{c.slug}/work").get_data(as_text=True)
    assert "Show the image" in work and "Content settings" in work and "Report: more upsetting" in work
    assert "<strong>Ana</strong>" in work  # the break prompt's resources
    assert "originals/" not in page + work


def test_wellbeing_preferences_page_for_a_guest(client):
    page = client.get("/wellbeing/preferences?next=/campaigns/x").get_data(as_text=True)
    assert '<legend>Injured people</legend>' in page and 'name="choice-injury" value="blur" checked' in page
    assert 'name="extreme_opt_in"' in page and 'name="next" value="/campaigns/x"' in page
    r = client.post("/wellbeing/preferences", data={"choice-injury": "withhold", "choice-death": "show",
                                                    "extreme_opt_in": "on", "next": "/campaigns/x"})
    assert r.status_code == 302 and r.headers["Location"] == "/campaigns/x"
    prefs = client.get("/api/v1/me/preferences").get_json()  # the same guest, by its session
    assert prefs["choices"]["injury"] == "withhold" and prefs["choices"]["death"] == "show"
    assert prefs["extreme_opt_in"] is True
    r = client.post("/wellbeing/preferences", data={"next": "https://evil.example/"})
    assert r.headers["Location"] == "/wellbeing/preferences"
    assert client.put("/api/v1/me/preferences", json={"choices": {"gore": "show"}}).status_code == 422
    assert client.put("/api/v1/me/preferences", json={"choices": {"injury": "peek"}}).status_code == 422


def test_damage_photos_are_blurred_and_revealed(client, guest, org, organiser):
    c = campaigns.create_campaign(org.id, organiser, {"title": "Drone", "kind": "damage", "settings": {},
                                                      "wellbeing": GRAPHIC_INJURY})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("drone-1.jpg", drone_photo(1, "destroyed", size=(320, 240))[0])
    campaigns.import_tasks(c, "photos.zip", buffer.getvalue())
    campaigns.publish(c)
    db.session.commit()
    original = db.session.execute(select(Task.payload)).scalar_one()["image_url"]
    h = guest()
    task, raw = next_task(client, c.slug, h)
    assert task["mode"] == "photo" and task["blurred"] and original not in raw
    assert client.post(task["reveal_url"], headers=h).get_json()["image_url"] == original


def test_shielded_image_gives_moderators_the_same_protection(client, guest, images, rated_campaign, make_user, app):
    rated_campaign(images(1), GRAPHIC_INJURY)
    task = db.session.execute(select(Task)).scalar_one()
    moderator = make_user("mod@example.org", "moderator")
    cid = accounts.contributor_for_user(moderator).id
    with app.test_request_context():
        shown = serving.shielded_image(task, cid)
        assert shown["action"] == "blur" and shown["image_url"].endswith("-blurred.jpg")
        assert shown["reveal_url"] == f"/api/v1/tasks/{task.id}/reveal"
        assert shown["alt"] == "A blurred picture: read its content warning first."  # not "Photo 0"
        [item] = display_items(moderator, task.id, task.campaign_id, reason="flag")
        assert item["viewer"]["image_url"] == shown["image_url"] and item["viewer"]["alt"] == shown["alt"]
        wellbeing.save_preferences(cid, {"choices": {"injury": "withhold"}})
        assert serving.shielded_image(task, cid) == {"action": "withhold", "image_url": None, "reveal_url": None,
                                                     "warning": "Warning: graphic content. It may show: injured people.",
                                                     "alt": None}
    # A moderator may reveal without having been handed the task.
    wellbeing.save_preferences(cid, {})
    db.session.commit()
    token = accounts.create_api_token(moderator)
    db.session.commit()
    r = client.post(f"/api/v1/tasks/{task.id}/reveal", headers={"Authorization": "Bearer " + token})
    assert r.status_code == 200 and r.get_json()["image_url"] == task.payload["image_url"]


def test_the_boxes_editor_of_a_blurred_image_shows_the_blurred_copy_with_a_neutral_alt(client, guest, images,
                                                                                       make_campaign, make_user, app):
    boxes = {"classes": "Face | #e6194b | f\nHand", "question": "Box every face."}
    c = make_campaign(tasks=0, publish=False, kind="boxes", settings=boxes, wellbeing=GRAPHIC_INJURY, redundancy=2)
    campaigns.import_tasks(c, "tasks.json", json.dumps([{**row, "width": 320, "height": 240} for row in images(1)]))
    campaigns.publish(c)
    db.session.commit()
    for cls in ("face", "hand"):
        h = guest()
        task, raw = next_task(client, c.slug, h)
        assert task["blurred"] and "Photo 0" not in raw
        r = submit(client, task["id"], {"boxes": [{"x": 0.1, "y": 0.1, "w": 0.3, "h": 0.3, "class": cls}]}, h,
                   duration_ms=5000)
        assert r.status_code == 201, r.get_json()
    moderator = make_user("mod@example.org", "moderator")
    with app.test_request_context():
        [item] = display_items(moderator, task["id"], c.id)
    editor = item["editor"]["task"]
    assert editor["image_url"].endswith("-blurred.jpg") and editor["image_url"] == item["viewer"]["image_url"]
    assert editor["alt"] == item["viewer"]["alt"] == "A blurred picture: read its content warning first."


def display_items(user, task_id, campaign_id, reason="disagreement"):
    from citizen.moderation import display
    return display.hydrate([{"reason": reason, "task_id": task_id, "campaign_id": campaign_id}], user)


def test_content_bits_mask_matches_the_consent_rules():
    from content_warnings import Category, Preferences, Rating, Sensitivity, decide
    prefs = [Preferences(), Preferences({Category.INJURY: "withhold"}), Preferences({Category.DEATH: "show"}, True),
             Preferences({Category.VIOLENCE: "withhold", Category.OTHER: "blur"}, True)]
    ratings = [Rating(level, frozenset(cats)) for level in Sensitivity for cats in
               ([], [Category.INJURY], [Category.DEATH, Category.VIOLENCE], [Category.OTHER, Category.INJURY])]
    for p in prefs:
        mask = bits.withheld_mask(p)
        for r in ratings:
            assert (bits.rating_bits(r) & mask == 0) == decide(p, r).served, (p, r)
    paused = bits.withheld_mask(Preferences(), {Sensitivity.GRAPHIC, Sensitivity.EXTREME})
    assert bits.rating_bits(Rating(Sensitivity.MILD, frozenset({Category.INJURY}))) & paused == 0
    assert bits.rating_bits(Rating(Sensitivity.GRAPHIC)) & paused


def test_demo_has_a_damage_campaign_rated_graphic_with_synthetic_imagery(client, guest, org, organiser):
    import inspect

    from citizen import demo
    from citizen.demo.graphic import SLUG, graphic_damage_campaign
    assert f'"{SLUG}"' in inspect.getsource(demo.load_demo)  # one of the demo's campaigns
    c = graphic_damage_campaign(org, organiser, n_photos=2)
    db.session.commit()
    wb = c.settings["wellbeing"]
    assert (c.kind, c.status, wb["level"], wb["categories"]) == ("damage", "published", "graphic", ["injury"])
    assert "support line" in wb["resources_html"]
    assert all(len(r.blurred) == 1 for r in db.session.execute(select(ContentRating)).scalars())
    task, raw = next_task(client, c.slug, guest())
    assert task["blurred"] and task["mode"] == "photo" and "valley-" not in raw
    assert "Content warning" in client.get(f"/campaigns/{c.slug}").get_data(as_text=True)


def test_organiser_form_declares_the_campaigns_sensitivity(client, organiser):
    from tests.helpers import sign_in
    from tests.test_pages import FORM
    sign_in(client, organiser.email)
    page = client.get("/organise/new").get_data(as_text=True)
    assert "Difficult content" in page and 'name="wb_level"' in page and 'name="wb_resources"' in page
    bad = client.post("/organise/new", data={**FORM, "wb_level": "graphic", "wb_flag_threshold": "0",
                                             "wb_categories": ["injury", "death"]}).get_data(as_text=True)
    assert 'id="wb-threshold-error"' in bad and 'value="injury" checked' in bad and 'value="death" checked' in bad
    r = client.post("/organise/new", data={**FORM, "wb_level": "graphic", "wb_categories": ["injury", "death"],
                                           "wb_resources": "Call *Ana*", "wb_flag_threshold": "2"})
    assert r.status_code == 302
    c = db.session.execute(select(campaigns.Campaign).where(campaigns.Campaign.slug == "count-the-boats")).scalar_one()
    wb = c.settings["wellbeing"]
    assert (wb["level"], wb["categories"], wb["flag_threshold"]) == ("graphic", ["injury", "death"], 2)
    assert wb["resources_html"] == "<p>Call <em>Ana</em></p>"
    edit = client.get(f"/organise/{c.slug}/edit").get_data(as_text=True)
    assert '<option value="graphic" selected>' in edit and "Call *Ana*</textarea>" in edit


def test_many_blurred_copies_are_made_in_a_job(client, images, rated_campaign):
    from citizen.jobs.models import Job
    client.application.config["WELLBEING_BLUR_SYNC"] = 1  # more than this: a job (run at once in tests)
    c = rated_campaign(images(3), GRAPHIC_INJURY)
    job = db.session.execute(select(Job).where(Job.name == "wellbeing.blur")).scalar_one()
    assert (job.campaign_id, job.status, job.done, job.total) == (c.id, "done", 3, 3)
    assert all(len(r.blurred) == 1 for r in db.session.execute(select(ContentRating)).scalars())

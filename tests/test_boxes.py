"""The boxes kind: its settings and answers (limits, clear errors), its consensus (a pure function), and the kind
end to end through the public interfaces: created and filled by the API, worked by guests, its results, the COCO
JSON and per-box CSV on the data page and in the datapackage, its answer schema in the OpenAPI document."""
import csv
import html
import io
import json
import re
import math
import uuid

import pytest

from citizen.errors import InvalidInput
from citizen.kinds.boxes import BoxesKind, MAX_BOXES
from citizen.kinds.boxes.consensus import consensus_boxes, iou_matrix

API = "/api/v1"
SETTINGS = {"classes": "Face | #e6194b | f | Any human face\nHand", "question": "Box every face.",
            "attributes": "Visibility: fully visible, partly hidden, turned away, too small"}
TASKS = [{"external_id": f"frame-{i}", "image_url": f"https://example.org/frame-{i}.jpg", "width": 1000,
          "height": 500} for i in range(2)]
FACE = {"x": 0.1, "y": 0.2, "w": 0.2, "h": 0.4, "class": "face", "attributes": {"visibility": "partly-hidden"}}


@pytest.fixture
def kind(app):
    return BoxesKind()


@pytest.fixture
def settings(kind):
    return kind.clean_settings(SETTINGS)


def test_settings_read_classes_keys_colours_and_attributes(kind, settings):
    assert [(c["value"], c["colour"], c["key"]) for c in settings["classes"]] == [
        ("face", "#e6194b", "f"), ("hand", "#3cb44b", "2")]
    assert [v["value"] for v in settings["attributes"][0]["values"]] == [
        "fully-visible", "partly-hidden", "turned-away", "too-small"]
    assert settings["iou"] == 0.5


@pytest.mark.parametrize("raw, field", [
    ({"classes": ""}, "classes"),
    ({"classes": "Face | red"}, "classes"),
    ({"classes": "Face | | s"}, "classes"),          # s skips, on every work page
    ({"classes": "Face | | f\nFoot | | f"}, "classes"),
    ({"classes": "Face\nFace"}, "classes"),
    ({"classes": "Face", "attributes": "Visibility"}, "attributes"),
    ({"classes": "Face", "attributes": "Visibility: only one"}, "attributes"),
    ({"classes": "Face", "iou": "2"}, "iou"),
])
def test_bad_settings_say_which_field(kind, raw, field):
    with pytest.raises(InvalidInput) as exc:
        kind.clean_settings(raw)
    assert exc.value.details[0]["field"] == field and exc.value.details[0]["message"]


def test_an_answer_is_cleaned_and_none_here_is_an_answer(kind, settings):
    assert kind.clean_answer({"boxes": [FACE]}, {}, settings) == {"boxes": [FACE]}
    assert kind.clean_answer({"boxes": []}, {}, settings) == {"boxes": []}
    assert kind.clean_answer([], {}, settings) == {"boxes": []}
    # a box a hair past the edge (rounding in the browser) is trimmed to the image
    edge = kind.clean_answer({"boxes": [{**FACE, "x": 0.9, "w": 0.1000001}]}, {}, settings)["boxes"][0]
    assert edge["x"] + edge["w"] <= 1


@pytest.mark.parametrize("value", [
    "face", {"boxes": "all"}, {"boxes": [FACE], "extra": 1}, {"boxes": [[0.1, 0.1, 0.2, 0.2]]},
    {"boxes": [{**FACE, "x": math.nan}]}, {"boxes": [{**FACE, "x": math.inf}]}, {"boxes": [{**FACE, "y": True}]},
    {"boxes": [{**FACE, "x": -0.1}]}, {"boxes": [{**FACE, "x": 0.9}]}, {"boxes": [{**FACE, "w": 0}]},
    {"boxes": [{**FACE, "h": 0.0001}]}, {"boxes": [{**FACE, "class": "cat"}]}, {"boxes": [{**FACE, "class": ["face"]}]},
    {"boxes": [{**FACE, "attributes": {"visibility": "hidden"}}]}, {"boxes": [{**FACE, "attributes": {"mood": "x"}}]},
    {"boxes": [{**FACE, "attributes": {"visibility": {"a": 1}}}]}, {"boxes": [{**FACE, "attributes": []}]},
    {"boxes": [{**FACE, "note": "hi"}]}, {"boxes": [FACE] * (MAX_BOXES + 1)},
    {"boxes": [{**FACE, "class": "x" * 100_000}]},
])
def test_bad_answers_are_refused_with_a_message(kind, settings, value):
    with pytest.raises(InvalidInput) as exc:
        kind.check_limits(value, settings)
        kind.clean_answer(value, {}, settings)
    assert exc.value.details and exc.value.details[0]["field"] == "boxes"


def _box(x, y, w, h, cls="face", **attrs):
    return [x, y, w, h, cls, attrs]


def test_iou_of_boxes():
    assert iou_matrix([[0, 0, 2, 2]], [[1, 0, 3, 2], [5, 5, 6, 6]]).tolist() == [[1 / 3, 0.0]]


def test_consensus_matches_boxes_by_overlap_and_takes_the_median():
    answers = [("a", 1.0, [_box(0.10, 0.10, 0.20, 0.20), _box(0.6, 0.6, 0.2, 0.2, "hand")]),
               ("b", 1.0, [_box(0.11, 0.10, 0.20, 0.21)]),
               ("c", 1.0, [_box(0.12, 0.11, 0.20, 0.20, "hand")])]
    objects = consensus_boxes(answers)
    assert len(objects) == 2
    face, lonely = objects
    assert (face["support"], face["class"], face["class_share"], face["uncertain"]) == (3, "face", 0.6667, False)
    assert (face["x"], face["y"]) == (0.11, 0.1) and face["agreement"] > 0.85
    assert (lonely["support"], lonely["class"], lonely["uncertain"]) == (1, "hand", True)


def test_one_volunteer_counts_once_per_object():
    # b drew the face twice: one of b's boxes joins it, the other is an object of its own (support 1)
    answers = [("a", 1.0, [_box(0.1, 0.1, 0.2, 0.2)]),
               ("b", 1.0, [_box(0.1, 0.1, 0.2, 0.2), _box(0.11, 0.11, 0.2, 0.2)])]
    objects = consensus_boxes(answers)
    assert sorted(o["support"] for o in objects) == [1, 2]


def test_weights_decide_class_and_attributes_and_zero_weight_does_not_count():
    answers = [("a", 3.0, [_box(0.1, 0.1, 0.2, 0.2, "hand", visibility="turned-away")]),
               ("b", 1.0, [_box(0.1, 0.1, 0.2, 0.2, "face", visibility="fully-visible")]),
               ("c", 1.0, [_box(0.1, 0.1, 0.2, 0.2, "face", visibility="fully-visible")]),
               ("d", 0.0, [_box(0.1, 0.1, 0.2, 0.2, "face")])]
    [obj] = consensus_boxes(answers)
    assert (obj["class"], obj["attributes"], obj["support"], obj["weight"]) == (
        "hand", {"visibility": "turned-away"}, 3, 5.0)


def test_objects_seen_by_too_few_are_uncertain():
    # 4 voters: two drew the face, two saw nothing; an object needs half the voters' weight and 2 voters
    answers = [("a", 1.0, [_box(0.1, 0.1, 0.2, 0.2)]), ("b", 1.0, [_box(0.1, 0.1, 0.2, 0.2)]),
               ("c", 1.0, []), ("d", 1.0, []), ("e", 1.0, [_box(0.5, 0.5, 0.1, 0.1)])]
    objects = consensus_boxes(answers)
    assert [(o["support"], o["uncertain"]) for o in objects] == [(2, True), (1, True)]
    assert consensus_boxes(answers[:4])[0]["uncertain"] is False
    assert consensus_boxes([]) == [] and consensus_boxes([("a", 1.0, [])]) == []


def test_the_kind_keeps_weights_and_a_budget_of_boxes(kind, settings):
    state = {}
    for weight in (1.0, 1.0, 0.0):
        state = kind.add_to_consensus(state, {"boxes": [FACE]}, weight)
    result = kind.result(state, settings)
    assert (state["n"], state["z"], result["voters"], result["answers"]) == (3, 1, 2, 3)
    assert result["answer"] == {"boxes": [FACE]} and result["objects"][0]["support"] == 2
    big = {"boxes": [FACE] * MAX_BOXES}
    for _ in range(6):
        state = kind.add_to_consensus(state, big, 1.0)
    assert state["kept"] <= 1000 and state["unkept"] >= 1


# --- end to end --------------------------------------------------------------------------------------------
def bearer(token):
    return {"Authorization": "Bearer " + token}


def _campaign(client, token):
    r = client.post(f"{API}/campaigns", headers=bearer(token), json={
        "title": "Faces in frames", "kind": "boxes", "redundancy": 2, "settings": SETTINGS})
    assert r.status_code == 201, r.get_json()
    slug = r.get_json()["slug"]
    r = client.post(f"{API}/campaigns/{slug}/tasks", headers=bearer(token), json=TASKS)
    assert r.status_code == 201, r.get_json()
    assert client.post(f"{API}/campaigns/{slug}/publish", headers=bearer(token)).status_code == 200
    return slug


def _answer(client, headers, value, task_id):
    return client.post(f"{API}/tasks/{task_id}/answers", json={"value": value, "duration_ms": 5000},
                       headers={**headers, "Idempotency-Key": str(uuid.uuid4())})


def test_boxes_from_the_api_to_results_coco_and_the_data_page(client, organiser_token, guest):
    slug = _campaign(client, organiser_token)
    first, second = guest(), guest()
    for who, box in ((first, FACE), (second, {**FACE, "x": 0.11})):
        for _ in TASKS:  # the face is on frame 0; on frame 1 there is nothing
            task = client.get(f"{API}/campaigns/{slug}/tasks/next", headers=who).get_json()
            assert task["kind"] == "boxes" and task["width"] == 1000 and task["classes"][0]["key"] == "f"
            assert task["attributes"][0]["name"] == "visibility" and task["question"] == "Box every face."
            if task["image_url"].endswith("frame-0.jpg"):
                bad = _answer(client, who, {"boxes": [{**box, "class": "cat"}]}, task["id"])
                assert bad.status_code == 422 and "class" in bad.get_json()["message"]
                assert _answer(client, who, {"boxes": [box]}, task["id"]).status_code == 201
                face_task = task
            else:
                assert _answer(client, who, {"boxes": []}, task["id"]).status_code == 201
    task = face_task

    results = client.get(f"{API}/campaigns/{slug}/results").get_json()["results"]
    done = next(r for r in results if r["task_id"] == task["id"])
    assert done["answer"]["boxes"][0]["class"] == "face" and done["objects"][0]["support"] == 2

    spec = client.get(f"{API}/openapi.json").get_json()
    assert "boxesAnswer" in spec["components"]["schemas"]
    assert "fractions" in json.dumps(spec["components"]["schemas"]["boxesAnswer"])

    page = client.get(f"/data/{slug}/").get_data(as_text=True)
    assert "boxes-coco.json" in page and "COCO" in page and "boxes.csv" in page
    coco = client.get(f"/data/{slug}/boxes-coco.json")
    assert coco.status_code == 200 and coco.mimetype == "application/json"
    doc = coco.get_json()
    assert [c["name"] for c in doc["categories"]] == ["face", "hand"] and len(doc["images"]) == 2
    [ann] = doc["annotations"]
    assert ann["image_id"] == task["id"] and ann["category_id"] == 1
    assert ann["bbox"] == [105.0, 100.0, 200.0, 200.0]  # the median of 0.10 and 0.11, in pixels
    assert ann["attributes"]["support"] == 2 and ann["attributes"]["visibility"] == "partly-hidden"
    assert client.get(f"/data/{slug}/boxes-coco.json", headers={"If-None-Match": coco.headers["ETag"]}).status_code == 304
    rows = list(csv.DictReader(io.StringIO(client.get(f"/data/{slug}/boxes.csv").get_data(as_text=True))))
    assert [(r["task_id"], r["class"], r["x_px"], r["support"], r["attribute_visibility"]) for r in rows] == [
        (str(task["id"]), "face", "105.0", "2", "partly-hidden")]
    package = client.get(f"/data/{slug}/datapackage.json").get_json()
    assert {f"{slug}-boxes-coco.json", f"{slug}-boxes.csv"} <= {res["path"] for res in package["resources"]}
    assert client.get(f"/data/{slug}/{slug}-boxes-coco.json").get_json() == doc  # the name a download is saved as
    assert "boxes-coco.json" in client.get(f"/data/{slug}/README.md").get_data(as_text=True)
    # the files every kind has are still theirs; a name no kind declares is not found
    assert client.get(f"/data/{slug}/results.csv").status_code == 200
    assert client.get(f"/data/{slug}/answers.csv").status_code == 200
    assert client.get(f"/data/{slug}/secrets.txt").status_code == 404


def test_moderators_see_every_volunteers_boxes_and_the_consensus_on_the_photo(app, client, organiser_token, guest,
                                                                             make_user):
    from citizen.campaigns.models import Campaign
    from citizen.extensions import db
    from citizen.moderation import display
    slug = _campaign(client, organiser_token)
    for who, box in ((guest(), FACE), (guest(), {**FACE, "x": 0.12, "class": "hand"})):
        task = client.get(f"{API}/campaigns/{slug}/tasks/next", headers=who).get_json()
        if not task["image_url"].endswith("frame-0.jpg"):
            task = client.get(f"{API}/campaigns/{slug}/tasks/next", headers=who).get_json()
        assert _answer(client, who, {"boxes": [box]}, task["id"]).status_code == 201
    campaign = db.session.execute(db.select(Campaign).where(Campaign.slug == slug)).scalar_one()
    [item] = display.hydrate([{"reason": "disagreement", "task_id": task["id"], "campaign_id": campaign.id}],
                             make_user("mod@example.org", "moderator"))
    assert item["viewer"]["mode"] == "photo" and (item["viewer"]["width"], item["viewer"]["height"]) == (1000, 500)
    first, second = item["answers"]
    assert first["label"] == "face ×1" and second["label"] == "hand ×1"
    assert first["marks"]["features"][0]["geometry"]["coordinates"][0] == [
        [100.0, 100.0], [300.0, 100.0], [300.0, 300.0], [100.0, 300.0], [100.0, 100.0]]  # pixels, y down
    [agreed] = item["result"]["features"]["features"]
    assert agreed["geometry"]["coordinates"][0][0] == [110.0, 100.0]  # the median of 100 and 120 px
    assert item["result"]["objects"][0]["support"] == 2


def _disputed(client, slug, guest):
    """Frame 0 boxed by two guests who disagree on the class: a disputed image in the moderators' queue."""
    for who, box in ((guest(), FACE), (guest(), {**FACE, "x": 0.12, "class": "hand"})):
        task = client.get(f"{API}/campaigns/{slug}/tasks/next", headers=who).get_json()
        if not task["image_url"].endswith("frame-0.jpg"):
            task = client.get(f"{API}/campaigns/{slug}/tasks/next", headers=who).get_json()
        assert _answer(client, who, {"boxes": [box]}, task["id"]).status_code == 201
    return task["id"]


def test_a_reviewer_adjusts_the_agreed_boxes_in_the_editor_and_they_become_the_result(app, client, organiser_token,
                                                                                     guest, make_user):
    from tests.helpers import signed_in
    slug = _campaign(client, organiser_token)
    task_id = _disputed(client, slug, guest)
    make_user("mod@example.org", "moderator")
    mod = signed_in(app, "mod@example.org")
    page = mod.get("/moderation/").get_data(as_text=True)
    item = re.search(r'<li class="mod-item[^>]*data-key="disagreement:%d"[^>]*>' % task_id, page).group(0)
    editor = json.loads(html.unescape(re.search(r'data-editor="([^"]*)"', item).group(1)))
    assert editor["kind"] == "boxes" and editor["task"]["id"] == task_id
    assert editor["task"]["image_url"].endswith("frame-0.jpg") and editor["task"]["classes"][0]["key"] == "f"
    [start] = editor["task"]["start"]["boxes"]  # the agreed box: where volunteers put it, its class still split
    assert start["x"] == pytest.approx(0.11)
    assert 'id="mod-editor"' in page and 'id="bx-stage"' in page and "boxes.js" in page and "boxes.css" in page
    assert page.count('data-action="edit"') == 1  # the one disputed image has Adjust (E)

    key = f"disagreement:{task_id}"
    bad = mod.post("/moderation/act", json={"item": key, "action": "override", "reason": "Reviewed",
                                            "answer": {"boxes": [{**FACE, "w": 5}]}})
    assert bad.status_code == 422  # the kind's own limits: nothing changes
    assert mod.get(f"/data/{slug}/boxes.csv").get_data(as_text=True).count("\n") == 2
    adjusted = [{**FACE, "x": 0.3, "class": "hand"}, {**FACE, "x": 0.6, "y": 0.1}]
    r = mod.post("/moderation/act", json={"item": key, "action": "override", "reason": "Reviewed",
                                          "answer": {"boxes": adjusted}})
    assert r.status_code == 200, r.get_json()
    assert key not in mod.get("/moderation/").get_data(as_text=True)  # settled: off the queue
    rows = list(csv.DictReader(io.StringIO(client.get(f"/data/{slug}/boxes.csv").get_data(as_text=True))))
    assert [(r["class"], r["x_px"]) for r in rows] == [("hand", "300.0"), ("face", "600.0")]
    coco = client.get(f"/data/{slug}/boxes-coco.json").get_json()
    assert len(coco["annotations"]) == 2
    r = mod.post("/moderation/act", json={"item": key, "action": "override", "reason": "Nothing there",
                                          "answer": {"boxes": []}})
    assert r.status_code == 200  # deleting every box is an answer too ("none here")
    assert client.get(f"/data/{slug}/boxes-coco.json").get_json()["annotations"] == []


def test_no_editor_for_kinds_with_fixed_answers(app, client, guest, make_campaign, make_user):
    from tests.helpers import signed_in, answer_next
    c = make_campaign(tasks=1, redundancy=2)
    answer_next(client, c.slug, "yes", guest(), duration_ms=5000)
    answer_next(client, c.slug, "no", guest(), duration_ms=5000)
    make_user("mod@example.org", "moderator")
    page = signed_in(app, "mod@example.org").get("/moderation/").get_data(as_text=True)
    assert "disagreement:" in page and "data-editor=" not in page and 'id="mod-editor"' not in page


def test_other_kinds_list_no_coco(client, organiser_token):
    r = client.post(f"{API}/campaigns", headers=bearer(organiser_token), json={
        "title": "Roofs", "kind": "question", "settings": {"question": "Red?", "options": ["Yes", "No"]}})
    slug = r.get_json()["slug"]
    client.post(f"{API}/campaigns/{slug}/tasks", headers=bearer(organiser_token), json=[{"text": "a roof"}])
    client.post(f"{API}/campaigns/{slug}/publish", headers=bearer(organiser_token))
    assert "coco" not in client.get(f"/data/{slug}/").get_data(as_text=True).lower()
    assert client.get(f"/data/{slug}/boxes-coco.json").status_code == 404


def test_the_work_page_loads_the_kinds_script(client, organiser_token):
    slug = _campaign(client, organiser_token)
    page = client.get(f"/campaigns/{slug}/work").get_data(as_text=True)
    assert "/static/kinds/boxes/boxes.js" in page and 'id="bx-stage"' in page
    assert client.get("/static/kinds/boxes/boxes.js").status_code == 200


def test_the_benchmark_consensus_beats_the_union_and_a_volunteer_on_overlap():
    from benchmarks.boxes_consensus import run
    out = run(images=60, voters=5, seed=3)
    assert out["consensus"]["precision"] > out["union"]["precision"] + 0.3
    assert out["consensus"]["recall"] > 0.85 and out["consensus"]["mean_iou"] > out["best_volunteer"]["mean_iou"]


def test_the_demo_has_a_published_boxes_campaign_with_answers_and_coco(app, client):
    from sqlalchemy import select
    from citizen.campaigns.models import Campaign, Task
    from citizen.demo import load_demo
    from citizen.extensions import db
    load_demo(n_images=2)
    db.session.commit()
    c = db.session.execute(select(Campaign).where(Campaign.slug == "people-and-cars")).scalar_one()
    assert (c.kind, c.status, c.tasks_total) == ("boxes", "published", 16)
    listed = client.get(f"{API}/campaigns").get_json()
    assert "boxes" in {x["kind"] for x in listed.get("campaigns", listed)}
    payload = db.session.execute(select(Task.payload).where(Task.campaign_id == c.id)).scalars().first()
    assert payload["image_url"].startswith("/media/") and "lat" not in payload  # a photo upload, no GPS kept
    assert client.get(payload["image_url"]).status_code == 200
    doc = client.get("/data/people-and-cars/boxes-coco.json").get_json()
    assert len(doc["images"]) == 16 and doc["annotations"], "the demo volunteers' boxes make objects"
    assert {a["attributes"]["support"] for a in doc["annotations"]} - {1}


def test_organisers_set_classes_and_attributes_in_the_campaign_form(client, organiser):
    from tests.helpers import sign_in
    from citizen.campaigns.models import Campaign
    from citizen.extensions import db
    sign_in(client, organiser.email)
    form = {"title": "Faces", "summary": "Box faces", "kind": "boxes", "redundancy": "3", "licence": "CC0-1.0",
            "classes": "Face | #e6194b | f | Any face", "attributes": "Visibility: fully visible, turned away",
            "iou": "0.5"}
    bad = client.post("/organise/new", data={**form, "classes": "Face | | s"})
    assert bad.status_code in (200, 422) and 'id="classes-error"' in bad.get_data(as_text=True)
    assert client.post("/organise/new", data=form).status_code == 302
    c = db.session.execute(db.select(Campaign).where(Campaign.kind == "boxes")).scalar_one()
    assert c.settings["classes"][0]["key"] == "f" and c.settings["attributes"][0]["name"] == "visibility"
    page = client.get(f"/organise/{c.slug}/edit")  # the form shows the stored classes and attributes as typed
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Face | #e6194b | f | Any face" in text
    assert "Visibility: fully visible, turned away" in text
    # photos as the photo kinds take them: one, or a ZIP
    from citizen.demo.figures import street_scene
    r = client.post(f"/organise/{c.slug}/", content_type="multipart/form-data",
                    data={"file": (io.BytesIO(street_scene(1)[0]), "frame.jpg")})
    assert r.status_code in (200, 302)
    db.session.expire_all()
    assert db.session.get(Campaign, c.id).tasks_total == 1



def test_known_answer_boxes_check_volunteers_by_overlap(client, organiser_token, guest, monkeypatch):
    """A gold column of boxes in the import (known-answer boxes): a volunteer who boxes the same face agrees with it,
    one who boxes nothing does not; the gold record counts both, and a bad gold column is refused."""
    from sqlalchemy import select

    from citizen.campaigns.models import Participation
    from citizen.extensions import db
    from citizen.quality import controls
    monkeypatch.setattr(controls, "gold_rate", lambda *_a: 1.0)  # newcomers meet the known-answer task first
    r = client.post(f"{API}/campaigns", headers=bearer(organiser_token), json={
        "title": "Faces with a check", "kind": "boxes", "redundancy": 2, "settings": SETTINGS})
    slug = r.get_json()["slug"]
    known = json.dumps({"boxes": [{k: v for k, v in FACE.items() if k != "attributes"}]})
    bad = client.post(f"{API}/campaigns/{slug}/tasks", headers=bearer(organiser_token),
                      json=[{**TASKS[0], "gold": "a face"}])
    assert bad.status_code == 422 and "JSON" in json.dumps(bad.get_json())
    r = client.post(f"{API}/campaigns/{slug}/tasks", headers=bearer(organiser_token),
                    json=[{**TASKS[0], "gold": known}, *TASKS[1:]])
    assert r.status_code == 201, r.get_json()
    assert client.post(f"{API}/campaigns/{slug}/publish", headers=bearer(organiser_token)).status_code == 200
    for who, value in ((guest(), {"boxes": [{**FACE, "x": 0.11}]}), (guest(), {"boxes": []})):
        task = client.get(f"{API}/campaigns/{slug}/tasks/next", headers=who).get_json()
        assert task["image_url"].endswith("frame-0.jpg")  # the known-answer task
        reply = _answer(client, who, value, task["id"])
        assert reply.status_code == 201 and "correct" not in json.dumps(reply.get_json())  # never said per task
    records = db.session.execute(select(Participation.gold_total, Participation.gold_correct)).all()
    assert sorted(records) == [(1, 0), (1, 1)]


def test_a_detectors_coco_output_becomes_predictions(client, organiser_token):
    """COCO for boxes (issue 22): images matched to tasks by file name, pixels to fractions, categories to classes,
    the least sure box as the task's confidence, an image without boxes as "none here"; bad annotations listed."""
    from sqlalchemy import select

    from citizen.extensions import db
    from citizen.predictions.models import Prediction
    slug = _campaign(client, organiser_token)
    doc = {"info": {"version": "det-3"}, "categories": [{"id": 1, "name": "face"}, {"id": 2, "name": "Hand"}],
           "images": [{"id": 1, "file_name": "frame-0.jpg", "width": 1000, "height": 500},
                      {"id": 2, "file_name": "frame-1.jpg", "width": 1000, "height": 500}],
           "annotations": [{"image_id": 1, "category_id": 1, "bbox": [100, 100, 200, 200], "score": 0.8},
                           {"image_id": 1, "category_id": 2, "bbox": [400, 100, 100, 100], "score": 0.6}]}
    bad = {**doc, "annotations": [{"image_id": 1, "category_id": 9, "bbox": [1, 2, 3, 4]},
                                  {"image_id": 7, "category_id": 1, "bbox": [1, 2, 3, 4]}]}
    r = client.post(f"{API}/campaigns/{slug}/predictions", headers=bearer(organiser_token), json=bad)
    assert r.status_code == 422 and len(r.get_json()["details"]) == 2
    r = client.post(f"{API}/campaigns/{slug}/predictions", headers=bearer(organiser_token), json=doc)
    assert r.status_code == 201 and r.get_json()["imported"] == 2, r.get_json()
    got = {p.confidence: p.answer for p in db.session.execute(select(Prediction)).scalars()}
    assert got[0.5] == {"boxes": []}
    face, hand = got[0.6]["boxes"]
    assert (face["class"], face["x"], face["y"], face["w"], face["h"]) == ("face", 0.1, 0.2, 0.2, 0.4)
    assert hand["class"] == "hand"
    # A detector's results list (no images: only the images with boxes), its version in the address.
    results = [{"image_id": 1, "category_id": 1, "bbox": [100, 100, 200, 200], "score": 0.9}]
    r = client.post(f"{API}/campaigns/{slug}/predictions?model=det-4", headers=bearer(organiser_token),
                    json={"images": doc["images"][:1], "categories": doc["categories"], "annotations": results})
    assert r.status_code == 201 and r.get_json()["imported"] == 1
    task_id = client.get(f"{API}/campaigns/{slug}/results").get_json()["results"][0]["task_id"]
    r = client.post(f"{API}/campaigns/{slug}/predictions?model=det-5", headers=bearer(organiser_token),
                    json=[{"image_id": task_id, "category_id": 1, "bbox": [0, 0, 100, 50], "score": 0.7,
                           "category_name": "face"}])
    assert r.status_code == 201 and r.get_json()["imported"] == 1


def test_a_models_boxes_are_measured_by_precision_recall_and_overlap(kind, settings):
    crowd = {"boxes": [{"x": 0.1, "y": 0.1, "w": 0.2, "h": 0.2, "class": "face"},
                       {"x": 0.6, "y": 0.6, "w": 0.2, "h": 0.2, "class": "face"}]}
    model = {"boxes": [{"x": 0.11, "y": 0.1, "w": 0.2, "h": 0.2, "class": "face"},
                       {"x": 0.6, "y": 0.1, "w": 0.1, "h": 0.1, "class": "face"}]}
    c = kind.compare_known(crowd, model, {})
    assert (c["tp"], c["fp"], c["fn"]) == (1, 1, 1) and 0.9 < c["iou"] < 1
    assert kind.compare_known({"boxes": []}, {"boxes": []}, {}) == {"tp": 0, "fp": 0, "fn": 0, "iou": 0.0}


def test_a_detectors_outcomes_on_the_audit_sample(client, organiser_token, guest):
    slug = _campaign(client, organiser_token)
    model_face = {k: v for k, v in FACE.items() if k != "attributes"}
    lines = "\n".join(json.dumps({"external_id": f"frame-{i}", "model": "det-1", "confidence": 0.7,
                                  "answer": {"boxes": [model_face]}}) for i in range(2))
    assert client.post(f"{API}/campaigns/{slug}/predictions", headers=bearer(organiser_token), data=lines,
                       content_type="application/x-ndjson").status_code == 201
    assert client.put(f"{API}/campaigns/{slug}/predictions/routing", headers=bearer(organiser_token),
                      json={"audit": 1.0}).status_code == 200
    for who in (guest(), guest()):
        for _ in TASKS:
            task = client.get(f"{API}/campaigns/{slug}/tasks/next", headers=who).get_json()
            value = {"boxes": [FACE]} if task["image_url"].endswith("frame-0.jpg") else {"boxes": []}
            assert _answer(client, who, value, task["id"]).status_code == 201
    [m] = client.get(f"{API}/campaigns/{slug}/predictions/outcomes", headers=bearer(organiser_token)
                     ).get_json()["models"]
    assert m["audit_verified"] == 2 and m["accuracy"] == 0.5  # right on frame 0, a face too many on frame 1
    assert m["boxes"]["precision"] == 0.5 and m["boxes"]["recall"] == 1.0 and m["boxes"]["mean_iou"] == 1.0


def test_a_class_has_help_and_an_example_image_of_the_campaigns_own(client, organiser_token):
    from citizen.kinds.boxes import settings as box_settings
    ok = box_settings.clean_classes("Face | #e6194b | f | Any human face | /media/campaigns/3/ab12.jpg")
    assert ok[0]["example"] == "/media/campaigns/3/ab12.jpg" and ok[0]["help"] == "Any human face"
    for bad in ("https://tracker.example/pixel.png", "/media/campaigns/3/../x.jpg", "/media/demo/x.svg",
                "javascript:alert(1)"):
        with pytest.raises(ValueError):
            box_settings.clean_classes(f"Face | #e6194b | f | help | {bad}")
    r = client.post(f"{API}/campaigns", headers=bearer(organiser_token), json={
        "title": "Faces with examples", "kind": "boxes", "redundancy": 2,
        "settings": {**SETTINGS, "classes": "Face | #e6194b | f | Any human face | /media/campaigns/3/ab12.jpg"}})
    slug = r.get_json()["slug"]
    client.post(f"{API}/campaigns/{slug}/tasks", headers=bearer(organiser_token), json=TASKS)
    client.post(f"{API}/campaigns/{slug}/publish", headers=bearer(organiser_token))
    page = client.get(f"/campaigns/{slug}/work").get_data(as_text=True)
    assert "What each class means" in page and 'src="/media/campaigns/3/ab12.jpg"' in page

"""The manage page's tasks after an import (issue 19): delete unanswered tasks (never answered or leased ones, and
their files through the storage interface), replace a map campaign's grid before any answer, add tasks later
(ids already there are left out line by line), close after a confirmation and reopen, each in the audit log."""
import io
import json
import zipfile

from PIL import Image
from sqlalchemy import select

from citizen import storage
from citizen.accounts.audit import AuditLog
from citizen.campaigns import services as campaigns
from citizen.campaigns.models import Campaign, Task
from citizen.extensions import db
from citizen.storage.media import key_of
from tests.helpers import answer_next, count, html, next_task, sign_in, submit
from tests.test_map_kinds import AREA, TILES


def _tasks(c):
    return db.session.execute(select(Task).where(Task.campaign_id == c.id).order_by(Task.id)).scalars().all()


def _audit(action):
    return db.session.execute(select(AuditLog).where(AuditLog.action == action)).scalars().all()


def _fresh(c):
    db.session.expire_all()
    return db.session.get(Campaign, c.id)


def test_unanswered_tasks_are_deleted_with_an_audit_entry(client, organiser, make_campaign):
    c = make_campaign(tasks=5)
    answer_next(client, c.slug)  # one task now has an answer
    answered = next(t for t in _tasks(c) if t.answer_count)
    free = [t.id for t in _tasks(c) if not t.answer_count and not t.lease_count][:2]
    sign_in(client, organiser.email)
    page = html(client.get(f"/organise/{c.slug}/"))
    assert f'name="task" value="{free[0]}"' in page and f'name="task" value="{answered.id}"' not in page
    r = client.post(f"/organise/{c.slug}/tasks/delete", data={"task": [str(i) for i in free]})
    assert r.status_code == 302
    assert "2 tasks deleted." in html(client.get(r.headers["Location"]))
    assert _fresh(c).tasks_total == 3 and count(Task, Task.campaign_id == c.id) == 3
    entry = _audit("delete_tasks")[0]
    assert entry.user_id == organiser.id and entry.campaign_id == c.id and entry.before["count"] == 2
    assert set(entry.before["tasks"]) == {t for t in ("t0", "t1", "t2", "t3", "t4")} - {
        t.external_id for t in _tasks(c)}


def test_answered_leased_or_foreign_tasks_are_refused_and_nothing_is_deleted(client, organiser, make_campaign):
    c = make_campaign(tasks=4)
    other = make_campaign(tasks=1, title="Other campaign")
    answer_next(client, c.slug)
    answered = next(t for t in _tasks(c) if t.answer_count)
    leased = next_task(client, c.slug)  # handed out, not answered yet
    free = next(t for t in _tasks(c) if not t.answer_count and not t.lease_count)
    sign_in(client, organiser.email)
    for ids, message in (([answered.id, free.id], "has answers"), ([leased["id"]], "being answered right now"),
                         ([_tasks(other)[0].id], "is not in this campaign")):
        r = client.post(f"/organise/{c.slug}/tasks/delete", data={"task": [str(i) for i in ids]},
                        follow_redirects=True)
        assert message in r.get_data(as_text=True)
        assert count(Task, Task.campaign_id == c.id) == 4 and count(Task, Task.campaign_id == other.id) == 1
    for bad in ([], ["x"], ["99999999999"], [str(i) for i in range(1, 502)]):
        r = client.post(f"/organise/{c.slug}/tasks/delete", data={"task": bad}, follow_redirects=True)
        assert 'class="flash error"' in r.get_data(as_text=True) and count(Task, Task.campaign_id == c.id) == 4
    assert not _audit("delete_tasks")


def test_only_organisers_of_the_campaign_delete_tasks(app, make_user, make_campaign):
    c = make_campaign(tasks=2)
    make_user("mod@example.org", "moderator")
    client = sign_in(app.test_client(), "mod@example.org")
    r = client.post(f"/organise/{c.slug}/tasks/delete", data={"task": [str(_tasks(c)[0].id)]})
    assert r.status_code == 403 and count(Task, Task.campaign_id == c.id) == 2


def _photo_zip(names):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i, name in enumerate(names):
            img = io.BytesIO()
            Image.new("RGB", (64, 48), (20 * i, 90, 90)).save(img, "JPEG")
            zf.writestr(name, img.getvalue())
    return buf.getvalue()


def _photo_campaign(org, organiser, names):
    c = campaigns.create_campaign(org.id, organiser, {"title": "Photos", "kind": "damage", "redundancy": 2,
                                                      "settings": {}})
    campaigns.import_tasks(c, "photos.zip", _photo_zip(names), warnings=[])
    db.session.commit()
    return c


def test_deleting_a_photo_task_removes_its_file_but_not_a_file_another_task_uses(client, org, organiser):
    c = _photo_campaign(org, organiser, ["a.jpg", "b.jpg"])
    a, b = _tasks(c)
    # A third task refers to b's photo (a JSON import may): b's file stays while that task does.
    campaigns.import_tasks(c, "more.json", json.dumps([{"external_id": "again", "image_url": b.payload["image_url"],
                                                        "width": 64, "height": 48}]), warnings=[])
    db.session.commit()
    store = storage.media_store()
    key_a, key_b = key_of(a.payload["image_url"]), key_of(b.payload["image_url"])
    assert store.exists(key_a) and store.exists(key_b)
    sign_in(client, organiser.email)
    client.post(f"/organise/{c.slug}/tasks/delete", data={"task": [str(a.id), str(b.id)]})
    assert count(Task, Task.campaign_id == c.id) == 1
    assert not store.exists(key_a) and store.exists(key_b)


def test_adding_tasks_later_leaves_out_ids_already_there_line_by_line(client, organiser, make_campaign):
    c = make_campaign(tasks=3, publish=False)  # ids t0, t1, t2
    sign_in(client, organiser.email)
    rows = [{"external_id": "t1", "text": "again"}, {"external_id": "t9", "text": "new"},
            {"external_id": "t9", "text": "twice"}, {"external_id": "t10", "text": "new too"}]
    r = client.post(f"/organise/{c.slug}/", data={"action": "import",
                                                  "file": (io.BytesIO(json.dumps(rows).encode()), "more.json")},
                    content_type="multipart/form-data", follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "2 tasks imported." in page
    assert "Left out, line 1: a task with id &#39;t1&#39; is already in this campaign" in page
    assert "Left out, line 3: id &#39;t9&#39; is also on line 2" in page
    assert _fresh(c).tasks_total == 5 and count(Task, Task.campaign_id == c.id) == 5
    # The same file again: nothing new, one clear message, nothing changed.
    r = client.post(f"/organise/{c.slug}/", data={"action": "import",
                                                  "file": (io.BytesIO(json.dumps(rows[:2]).encode()), "more.json")},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "every task in the file is already in this campaign" in r.get_data(as_text=True)
    assert count(Task, Task.campaign_id == c.id) == 5


def test_a_photo_already_imported_is_left_out_and_its_new_copy_not_kept(client, org, organiser):
    c = _photo_campaign(org, organiser, ["a.jpg"])
    before = {k for k, _stat in storage.media_store().list(f"campaigns/{c.id}/")}
    warnings = []
    assert campaigns.import_tasks(c, "photos.zip", _photo_zip(["a.jpg", "b.jpg"]), warnings=warnings,
                                  skip_duplicates=True) == 1
    db.session.commit()
    assert "already in this campaign" in warnings[-1]["message"]
    after = {k for k, _stat in storage.media_store().list(f"campaigns/{c.id}/")}
    assert len(after - before) == 1  # b's photo only


def _map_campaign(org, organiser, publish=True):
    c = campaigns.create_campaign(org.id, organiser, {"title": "Forest", "kind": "deforestation", "redundancy": 2,
                                                      "settings": dict(TILES)})
    campaigns.import_tasks(c, "area.geojson", json.dumps(AREA).encode())
    if publish:
        campaigns.publish(c)
    db.session.commit()
    return c


def _replace(client, c, area=AREA):
    return client.post(f"/organise/{c.slug}/", data={"action": "replace",
                                                     "file": (io.BytesIO(json.dumps(area).encode()), "area.geojson")},
                       content_type="multipart/form-data")


def test_the_grid_is_replaced_with_another_cell_size_before_any_answer(client, org, organiser):
    c = _map_campaign(org, organiser, publish=False)
    assert c.tasks_total == 12
    sign_in(client, organiser.email)
    # The old way: importing the area again after a new cell size fails on every cell.
    c.settings = {**c.settings, "cell_km": 2}
    db.session.commit()
    page = html(client.get(f"/organise/{c.slug}/"))
    assert "Replace the 12 current tasks" not in page  # only offered with a preview
    r = client.post(f"/organise/{c.slug}/", data={"action": "preview",
                                                  "file": (io.BytesIO(json.dumps(AREA).encode()), "area.geojson")},
                    content_type="multipart/form-data")
    assert "Replace the 12 current tasks with these" in r.get_data(as_text=True)
    r = _replace(client, c)
    assert r.status_code == 302
    assert "The tasks were replaced: 4 tasks now." in html(client.get(r.headers["Location"]))
    assert _fresh(c).tasks_total == 4 and count(Task, Task.campaign_id == c.id) == 4
    entry = _audit("replace_tasks")[0]
    assert entry.before["tasks_total"] == 12 and entry.after["tasks_total"] == 4


def test_the_grid_is_not_replaced_once_answered_or_with_a_bad_file(client, org, organiser, guest):
    c = _map_campaign(org, organiser)
    sign_in(client, organiser.email)
    r = _replace(client, c, {"type": "Point", "coordinates": [1, 2]})
    assert r.status_code == 422 and count(Task, Task.campaign_id == c.id) == 12  # the old grid is kept
    h = guest()
    task = next_task(client, c.slug, h)
    r = _replace(client, c)
    assert r.status_code == 422 and "Volunteers are working on 1 of these tasks" in r.get_data(as_text=True)
    assert submit(client, task["id"], {"answer": "unsure"}, h).status_code == 201
    r = _replace(client, c)
    assert r.status_code == 422 and "can no longer be replaced" in r.get_data(as_text=True)
    assert count(Task, Task.campaign_id == c.id) == 12 and not _audit("replace_tasks")


def test_closing_asks_first_and_reopening_undoes_it(client, organiser, make_campaign):
    c = make_campaign(tasks=2)
    sign_in(client, organiser.email)
    page = html(client.get(f"/organise/{c.slug}/"))
    assert f'href="/organise/{c.slug}/close"' in page
    confirm = html(client.get(f"/organise/{c.slug}/close"))
    assert "Yes, close the campaign" in confirm and "can be reopened" in confirm
    client.post(f"/organise/{c.slug}/close")  # without the confirmation: only the question again
    assert _fresh(c).status == "published"
    r = client.post(f"/organise/{c.slug}/close", data={"confirm": "yes"}, follow_redirects=True)
    assert "Reopen campaign" in r.get_data(as_text=True) and _fresh(c).status == "closed"
    assert answer_next_refused(client, c)
    r = client.post(f"/organise/{c.slug}/reopen", follow_redirects=True)
    assert "Reopened: volunteers can answer again." in r.get_data(as_text=True) and _fresh(c).status == "published"
    assert [(e.before, e.after) for e in _audit("close") + _audit("reopen")] == [
        ({"status": "published"}, {"status": "closed"}), ({"status": "closed"}, {"status": "published"})]
    r = client.post(f"/organise/{c.slug}/reopen", follow_redirects=True)  # twice: said, nothing changes
    assert "Only a closed campaign can be reopened." in r.get_data(as_text=True) and len(_audit("reopen")) == 1


def answer_next_refused(client, c):
    guest_client = client.application.test_client()
    return guest_client.get(f"/api/v1/campaigns/{c.slug}/tasks/next").status_code != 200


def test_a_draft_closed_before_publishing_reopens_as_a_draft(client, organiser, make_campaign):
    c = make_campaign(tasks=1, publish=False)
    campaigns.close(c)
    db.session.commit()
    sign_in(client, organiser.email)
    r = client.post(f"/organise/{c.slug}/reopen", follow_redirects=True)
    assert "Reopened as a draft." in r.get_data(as_text=True) and _fresh(c).status == "draft"

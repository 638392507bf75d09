"""Nothing expensive on a public GET: each task's result is stored as its answers are folded in (one fold rule for
the volunteer loop, the answer import and suspensions), and campaign-wide results (Dawid-Skene, the influence
report) are built by a job per data version and served from the last complete build."""
import csv
import io
import json
import os

import pytest
from sqlalchemy import select, update

from citizen import storage
from citizen.accounts.models import Contributor, utcnow
from citizen.campaigns import results as campaign_results
from citizen.campaigns import services as campaigns
from citizen.campaigns import tally
from citizen.kinds import Kind, _map as mapkind, question, transcription
from citizen.campaigns.models import Answer, Task
from citizen.exports import geo
from citizen.extensions import db
from citizen.jobs import services as jobs
from citizen.jobs.models import Job
from citizen.moderation import suspensions
from citizen.campaigns import batch, builds
from citizen.quality import spatial
from tests.helpers import API, answer_next, new_guest, next_task, submit
from tests.test_map_kinds import AREA, TILES, fc


@pytest.fixture
def app(make_app, tmp_path):
    app = make_app(EXPORTS_FOLDER=str(tmp_path / "exports"))
    with app.app_context():
        yield app
        db.session.remove()


def new_guests(client, n, device_sig=None):
    """n guests' headers and contributor ids; with device_sig, all on one device."""
    out = [new_guest(client) for _ in range(n)]
    ids = db.session.execute(select(Contributor.id).order_by(Contributor.id.desc()).limit(n)).scalars().all()[::-1]
    if device_sig:
        db.session.execute(update(Contributor).where(Contributor.id.in_(ids)).values(device_sig=device_sig))
        db.session.commit()
    return out, ids


def uncapped(campaign):
    """No answer cap (linked accounts on one device would otherwise share one small campaign's cap)."""
    campaign.settings = {**campaign.settings, "quality": {**(campaign.settings.get("quality") or {}), "cap_share": 0}}
    db.session.commit()
    return campaign


def forbid_computing(monkeypatch):
    """Every way a GET could compute a result raises from now on."""
    def boom(*args, **kwargs):
        raise AssertionError("a result was computed on a GET")
    for cls in (Kind, question.QuestionKind, mapkind.MapKind, transcription.TranscriptionKind):
        monkeypatch.setattr(cls, "result", boom)
    monkeypatch.setattr(spatial, "consensus_features", boom)
    monkeypatch.setattr(batch, "consensus", boom)
    monkeypatch.setattr(tally, "result_of", boom)


def get_ok(client, url):
    r = client.get(url)
    body = r.get_data(as_text=True)
    assert r.status_code == 200, (url, r.status_code, body[:300])
    return body


class Sent:
    """The ids of the jobs sent to the memory queue so far (conftest: JOBS_QUEUE_URL=memory://), each once, in order:
    a live list that nothing consumes, so a test runs them itself (jobs._run)."""

    def _ids(self, name=None):
        out = []
        for job_id, _eta in jobs.sent():
            if job_id not in out and (name is None or jobs.get(job_id).name == name):
                out.append(job_id)
        return out

    def __len__(self):
        return len(self._ids())

    def __getitem__(self, i):
        return self._ids()[i]

    def __iter__(self):
        return iter(self._ids())


def test_question_results_are_stored_and_read_back_without_computing(client, make_campaign, monkeypatch):
    c = make_campaign(tasks=2, redundancy=3)
    heads, _ids = new_guests(client, 3)
    for h, value in zip(heads, ["yes", "yes", "no"]):
        for _ in range(2):
            answer_next(client, c.slug, value, h, duration_ms=4000)
    stored = db.session.execute(select(Task.result).where(Task.campaign_id == c.id)).scalars().all()
    assert [r["answer"] for r in stored] == ["yes", "yes"] and all(r["count"] == 2 for r in stored)
    get_ok(client, f"{API}/campaigns/{c.slug}/results")  # the first read finds the build current (JOBS_SYNC)
    forbid_computing(monkeypatch)
    body = json.loads(get_ok(client, f"{API}/campaigns/{c.slug}/results"))
    assert [r["answer"] for r in body["results"]] == ["yes", "yes"]
    assert body["consensus_build"]["state"] == "current"
    table = list(csv.DictReader(io.StringIO(get_ok(client, f"/data/{c.slug}/results.csv"))))
    assert [row["crowd_answer"] for row in table] == ["yes", "yes"] and {row["answers"] for row in table} == {"3"}
    doc = json.loads(get_ok(client, f"/data/{c.slug}/results.geojson"))
    assert [f["properties"]["crowd_answer"] for f in doc["features"]] == ["yes", "yes"]
    assert "Influence report" in get_ok(client, f"/data/{c.slug}/README.md")
    get_ok(client, f"/data/{c.slug}/datapackage.json")
    get_ok(client, f"/data/{c.slug}/")
    get_ok(client, f"/campaigns/{c.slug}")


@pytest.fixture
def forest(client, guest, org, organiser):
    c = campaigns.create_campaign(org.id, organiser, {"title": "Forest", "kind": "deforestation", "redundancy": 3,
                                                      "settings": TILES})
    campaigns.import_tasks(c, "area.geojson", json.dumps(AREA).encode())
    campaigns.publish(c)
    db.session.commit()
    return uncapped(c)


def point_in(task):
    return fc({"type": "Point", "coordinates": [task["bbox"][0] + 0.004, task["bbox"][1] + 0.004]})


def both_mark_one_cell(client, forest, heads):
    """The first volunteer marks a point in the first cell they are handed; the second is handed cells (marking
    none elsewhere) until they get the same one and mark it too. Returns the first's task."""
    first = next_task(client, forest.slug, heads[0])
    assert submit(client, first["id"], {"answer": "cleared", "marks": point_in(first)}, heads[0]).status_code == 201
    while True:
        t = next_task(client, forest.slug, heads[1])
        marks = point_in(t) if t["id"] == first["id"] else fc()
        assert submit(client, t["id"], {"answer": "cleared" if marks["features"] else "not_cleared",
                                                "marks": marks}, heads[1]).status_code == 201
        if t["id"] == first["id"]:
            break
    return first


def test_map_results_are_stored_and_read_back_without_computing(client, forest, monkeypatch):
    heads, _ids = new_guests(client, 2)
    first = both_mark_one_cell(client, forest, heads)
    stored = db.session.get(Task, first["id"]).result
    assert len(stored["features"]["features"]) == 1 and stored["features"]["features"][0]["properties"]["support"] == 2
    forbid_computing(monkeypatch)
    body = json.loads(get_ok(client, f"{API}/campaigns/{forest.slug}/results"))
    row = next(r for r in body["results"] if r["task_id"] == first["id"])
    assert len(row["features"]["features"]) == 1
    doc = json.loads(get_ok(client, f"/data/{forest.slug}/results.geojson"))
    feature = next(f for f in doc["features"] if f["properties"]["task_id"] == first["id"])
    assert len(feature["properties"]["marks"]["features"]) == 1
    table = list(csv.DictReader(io.StringIO(get_ok(client, f"/data/{forest.slug}/results.csv"))))
    assert next(r for r in table if r["task_id"] == str(first["id"]))["consensus_marks"] == "1"
    get_ok(client, f"/campaigns/{forest.slug}")
    get_ok(client, f"/data/{forest.slug}/")


def tx_campaign(org, organiser):
    from tests.test_transcription import FIELDS, make_pdf
    c = campaigns.create_campaign(org.id, organiser, {"title": "Expenses", "kind": "transcription", "redundancy": 3,
                                                      "settings": {"fields": FIELDS, "agree": 2, "max_answers": 5}})
    campaigns.import_tasks(c, "one.pdf", make_pdf(1))
    campaigns.publish(c)
    db.session.commit()
    return uncapped(c)


def test_transcription_results_are_stored_and_read_back_without_computing(client, org, organiser, monkeypatch):
    from tests.test_transcription import answer
    c = tx_campaign(org, organiser)
    heads, _ids = new_guests(client, 2)
    for h in heads:
        answer_next(client, c.slug, answer(name="Amina Diallo", when=None), h, duration_ms=4000)
    forbid_computing(monkeypatch)
    body = json.loads(get_ok(client, f"{API}/campaigns/{c.slug}/results"))
    assert body["results"][0]["status"] == "verified" and body["results"][0]["fields"]["name"]["value"] == "Amina Diallo"
    table = list(csv.DictReader(io.StringIO(get_ok(client, f"/data/{c.slug}/results.csv"))))
    assert table[0]["name"] == "Amina Diallo" and table[0]["status"] == "verified"
    get_ok(client, f"/data/{c.slug}/results.geojson")


# --- one fold rule ----------------------------------------------------------------------------------
def stored_state(task_ids):
    db.session.expire_all()
    tasks = db.session.execute(select(Task).where(Task.id.in_(task_ids)).order_by(Task.id)).scalars().all()
    weights = db.session.execute(select(Answer.task_id, Answer.weight).where(Answer.task_id.in_(task_ids))
                                 .order_by(Answer.task_id, Answer.id)).all()
    return [(t.consensus, t.result) for t in tasks], [tuple(w) for w in weights]


def test_the_fold_rule_is_the_same_for_the_volunteer_loop_import_and_suspension(client, make_campaign, org):
    """The same answers (one too fast, two from one device) give the same stored state whichever way they came."""
    live = uncapped(make_campaign(tasks=1, redundancy=5, title="Live"))
    heads, ids = new_guests(client, 4)
    db.session.execute(update(Contributor).where(Contributor.id.in_(ids[1:3])).values(device_sig="a" * 32))
    db.session.commit()
    for h, value, duration in zip(heads, ["yes", "no", "no", "no"], [4000, 4000, 4000, 100]):
        answer_next(client, live.slug, value, h, duration_ms=duration)
    live_task = db.session.execute(select(Task.id).where(Task.campaign_id == live.id)).scalar_one()
    live_state = stored_state([live_task])
    # Weights: yes counts; the first "no" counts; the same device's second "no" and the fast one do not.
    assert live_state[1] == [(live_task, 1.0), (live_task, 1.0), (live_task, 0.0), (live_task, 0.0)]
    assert live_state[0][0][1]["answer"] is None and live_state[0][0][1]["tied"]  # one counted yes, one counted no

    imported = make_campaign(tasks=1, redundancy=5, title="Imported")
    refs = ["p1", "p2", "p3", "p4"]
    campaign_results.import_answers(imported, [
        {"external_id": "t0", "contributor": ref, "value": value, "duration_ms": duration}
        for ref, value, duration in zip(refs, ["yes", "no", "no", "no"], [4000, 4000, 4000, 100])])
    db.session.commit()
    # Imported contributors have no device signature: give two of them one, then fold again as a suspension does.
    imp_ids = db.session.execute(select(Answer.contributor_id).where(Answer.campaign_id == imported.id)
                                 .order_by(Answer.id)).scalars().all()
    db.session.execute(update(Contributor).where(Contributor.id.in_(imp_ids[1:3])).values(device_sig="b" * 32))
    db.session.commit()
    imp_task = db.session.execute(select(Task.id).where(Task.campaign_id == imported.id)).scalar_one()
    suspensions.rebuild([imp_task])
    db.session.commit()
    rebuilt = stored_state([imp_task])
    strip = lambda state: {k: v for k, v in state.items() if k != tally.SIGS}  # noqa: E731  (the device keys differ)
    assert strip(rebuilt[0][0][0]) == strip(live_state[0][0][0]) and rebuilt[0][0][1] == live_state[0][0][1]
    assert [w for _t, w in rebuilt[1]] == [w for _t, w in live_state[1]]
    # And the loop's own task folded again from its answers is unchanged.
    suspensions.rebuild([live_task])
    db.session.commit()
    assert stored_state([live_task]) == live_state


def test_the_import_folds_like_the_volunteer_loop(client, make_campaign):
    live = make_campaign(tasks=1, redundancy=5, title="Live")
    heads, _ids = new_guests(client, 3)
    for h, value, duration in zip(heads, ["yes", "no", "yes"], [4000, 100, 4000]):
        answer_next(client, live.slug, value, h, duration_ms=duration)
    imported = make_campaign(tasks=1, redundancy=5, title="Imported")
    campaign_results.import_answers(imported, [
        {"external_id": "t0", "contributor": ref, "value": value, "duration_ms": duration}
        for ref, value, duration in zip(["p1", "p2", "p3"], ["yes", "no", "yes"], [4000, 100, 4000])])
    db.session.commit()
    one = stored_state(db.session.execute(select(Task.id).where(Task.campaign_id == live.id)).scalars().all())
    two = stored_state(db.session.execute(select(Task.id).where(Task.campaign_id == imported.id)).scalars().all())
    assert one[0] == two[0] and [w for _t, w in one[1]] == [w for _t, w in two[1]] == [1.0, 0.0, 1.0]


def test_two_guests_on_one_device_count_once_on_a_transcription(client, org, organiser):
    from tests.test_transcription import answer
    c = tx_campaign(org, organiser)
    heads, _ids = new_guests(client, 2, device_sig="c" * 32)
    for h in heads:
        answer_next(client, c.slug, answer(name="Fake Name", when=None), h, duration_ms=4000)
    task = db.session.execute(select(Task).where(Task.campaign_id == c.id)).scalar_one()
    assert task.result["fields"]["name"]["status"] == "pending"  # one counted answer: not verified by one device
    weights = db.session.execute(select(Answer.weight).where(Answer.task_id == task.id).order_by(Answer.id)).scalars()
    assert list(weights) == [1.0, 0.0]
    other, _ = new_guests(client, 1)
    answer_next(client, c.slug, answer(name="Fake Name", when=None), other[0], duration_ms=4000)
    db.session.refresh(task)
    assert task.result["fields"]["name"]["status"] == "verified"


def test_two_guests_on_one_device_count_once_on_a_map_mark(client, forest):
    heads, _ids = new_guests(client, 2, device_sig="d" * 32)
    first = both_mark_one_cell(client, forest, heads)
    task = db.session.get(Task, first["id"])
    assert task.result["features"]["features"] == []  # two marks from one device are not two volunteers agreeing
    assert task.consensus["counts"] == {"cleared": 1.0}
    weights = db.session.execute(select(Answer.weight).where(Answer.task_id == task.id).order_by(Answer.id)).scalars()
    assert list(weights) == [1.0, 0.0]


# --- builds per data version ------------------------------------------------------------------------
def test_builds_are_served_from_the_last_complete_version_while_a_new_one_is_pending(app, client, make_campaign,
                                                                                      monkeypatch):
    c = make_campaign(tasks=2, redundancy=3)
    heads, _ids = new_guests(client, 3)
    for h in heads[:2]:
        answer_next(client, c.slug, "yes", h, duration_ms=4000)
    first = json.loads(get_ok(client, f"{API}/campaigns/{c.slug}/results"))
    assert first["consensus_build"]["state"] == "current"
    built = builds.latest(c.id)
    # Production mode: jobs run in the pool, which here only records them.
    app.config["JOBS_SYNC"] = False
    queued = Sent()
    answer_next(client, c.slug, "no", heads[2], duration_ms=4000)
    answer_next(client, c.slug, "no", heads[2], duration_ms=4000)
    assert len(queued) == 1 and jobs.get(queued[0]).name == builds.JOB  # debounced: one pending build
    monkeypatch.setattr(batch, "consensus", lambda *a, **k: pytest.fail("built on a request"))
    again = json.loads(get_ok(client, f"{API}/campaigns/{c.slug}/results"))
    assert again["consensus_build"] == {**again["consensus_build"], "state": "behind", "pending": True,
                                        "built_at": built["built_at"]}
    assert sum(r["answers"] for r in again["results"]) == 4  # each task's own result is current
    assert len(queued) == 1  # the reader queued nothing more: one is pending
    csv_first = client.get(f"/data/{c.slug}/results.csv")
    assert csv_first.status_code == 200 and "dawid-skene" in csv_first.get_data(as_text=True)
    report = get_ok(client, f"/data/{c.slug}/README.md")
    assert built["influence_summary"]["built_at"] in report
    monkeypatch.undo()
    app.config["JOBS_SYNC"] = True
    jobs._run(queued[0])  # a worker runs the build
    db.session.expire_all()
    latest = json.loads(get_ok(client, f"{API}/campaigns/{c.slug}/results"))
    assert latest["consensus_build"]["state"] == "current" and builds.latest(c.id)["tag"] != built["tag"]
    assert client.get(f"/data/{c.slug}/results.csv").headers["ETag"] != csv_first.headers["ETag"]
    assert db.session.execute(select(Job).where(Job.name == builds.JOB, Job.status == "pending")).first() is None


def test_a_build_is_written_atomically_and_a_first_build_is_being_prepared(app, client, make_campaign, monkeypatch):
    c = make_campaign(tasks=1, redundancy=3)
    app.config["JOBS_SYNC"] = False
    queued = Sent()
    heads, _ids = new_guests(client, 1)
    answer_next(client, c.slug, "yes", heads[0], duration_ms=4000)
    body = json.loads(get_ok(client, f"{API}/campaigns/{c.slug}/results"))
    assert body["consensus_build"]["state"] == "preparing" and body["results"][0]["answer"] == "yes"
    assert "Being prepared" in get_ok(client, f"/data/{c.slug}/README.md")
    jobs._run(queued[0])
    store = storage.exports_store()
    assert [k for k, _st in store.list(f"{c.id}/")] == [builds.key(c.id)]  # no temporary file left
    assert os.listdir(os.path.dirname(store.local_path(builds.key(c.id)))) == [builds.FILE]
    db.session.expire_all()
    assert json.loads(get_ok(client, f"{API}/campaigns/{c.slug}/results"))["consensus_build"]["state"] == "current"


def test_the_geopackage_of_older_data_is_served_while_the_current_one_builds(app, client, make_campaign, monkeypatch):
    c = make_campaign(tasks=2, redundancy=3)
    heads, _ids = new_guests(client, 2)
    answer_next(client, c.slug, "yes", heads[0], duration_ms=4000)
    first = client.get(f"/data/{c.slug}/results.gpkg")
    assert first.status_code == 200 and first.get_data()[:15] == b"SQLite format 3"
    app.config.update(JOBS_SYNC=False, EXPORTS_GPKG_SYNC_TASKS=0)
    queued = Sent()
    answer_next(client, c.slug, "no", heads[1], duration_ms=4000)
    again = client.get(f"/data/{c.slug}/results.gpkg")
    assert again.status_code == 200 and again.get_data() == first.get_data()  # never a 202 for a file we had
    assert again.headers["ETag"] == first.headers["ETag"]
    assert any(jobs.get(j).name == geo.GPKG_JOB for j in queued)
    status = client.get(f"/data/{c.slug}/results.gpkg/status").get_json()
    assert status["state"] == "ready" and status["updating"] is True


def test_builds_follow_each_other_at_most_every_build_min_seconds(app, client, make_campaign, monkeypatch):
    """Under a stream of answers a campaign is not rebuilt back to back: a build queued too soon after the last
    one waits (still the one pending build), then runs."""
    c = make_campaign(tasks=2, redundancy=3)
    heads, _ids = new_guests(client, 3)
    answer_next(client, c.slug, "yes", heads[0], duration_ms=4000)
    assert json.loads(get_ok(client, f"{API}/campaigns/{c.slug}/results"))["consensus_build"]["state"] == "current"
    app.config.update(JOBS_SYNC=False, BUILD_MIN_SECONDS=3600)
    queued = Sent()
    answer_next(client, c.slug, "no", heads[1], duration_ms=4000)
    assert len(queued) == 1
    jobs._run(queued[0])
    job = jobs.get(queued[0])
    assert job.status == "pending" and job.due_at is not None  # waits: the last build is seconds old
    [eta] = [eta for job_id, eta in jobs.sent() if job_id == queued[0] and eta is not None]  # scheduled, not slept
    assert 3000 < (eta - utcnow()).total_seconds() <= 3600
    answer_next(client, c.slug, "no", heads[2], duration_ms=4000)
    assert len(queued) == 1  # still one pending build for the campaign
    app.config["BUILD_MIN_SECONDS"] = 0
    assert not jobs._run(queued[0])  # its retry is not due: a message read early runs nothing
    db.session.execute(update(Job).where(Job.id == queued[0]).values(due_at=utcnow()))  # the hour has passed
    db.session.commit()
    jobs._run(queued[0])
    assert jobs.get(queued[0]).status == "done"
    db.session.expire_all()
    assert json.loads(get_ok(client, f"{API}/campaigns/{c.slug}/results"))["consensus_build"]["state"] == "current"


def test_a_long_build_waits_ten_times_its_own_duration_before_the_next(app, make_campaign, monkeypatch):
    """Builds run in the web process's job threads: a campaign whose build took 30 s is built again at most every
    300 s (BUILD_SPACING x its duration), not every BUILD_MIN_SECONDS, so builds hold a bounded share of a thread."""
    from citizen.campaigns import builds
    c = make_campaign(tasks=2, redundancy=3)
    storage.exports_store().put(builds.key(c.id), json.dumps({"seconds": 30.0}).encode())
    app.config.update(JOBS_SYNC=False, BUILD_MIN_SECONDS=60, BUILD_SPACING=10)
    assert 290 < builds._too_soon(c.id) <= 300
    app.config["BUILD_SPACING"] = 0
    assert 50 < builds._too_soon(c.id) <= 60

"""The transcription kind end to end on the Flask test client: PDFs imported (good files kept, bad
ones reported), pages rendered on the request or in a job, answers checked field by field,
agreement in the results, more answers for disputed pages, export columns, organiser pages."""
import io
import json
import zipfile

import pytest
from sqlalchemy import select

from citizen.demo import documents as demo_documents
from citizen.campaigns import services as campaigns
from citizen.kinds.transcription import transcripts
from citizen.kinds import get_kind
from citizen.campaigns.models import Campaign, Task
from citizen.extensions import db
from citizen.jobs.models import Job
from tests.helpers import API, next_task, sign_in, submit
from tests.pdf_samples import encrypted_pdf, make_pdf, zip_of

FIELDS = ("name | Name | text | typos region=0,0,0.5,0.2 | Who signed\n"
          "amount | Amount | money | |\n"
          "when | Date | date | optional |\n"
          "kind | Kind | choice: Travel, Meals | optional |")


@pytest.fixture
def tx_campaign(app, org, organiser):
    def factory(source=None, redundancy=3, publish=True, **settings):
        c = campaigns.create_campaign(org.id, organiser, {
            "title": "Expenses", "kind": "transcription", "redundancy": redundancy,
            "settings": {"fields": FIELDS, "agree": 2, "max_answers": 5, **settings}})
        campaigns.import_tasks(c, *(source or ("reports.pdf", make_pdf(2))))
        if publish:
            campaigns.publish(c)
        db.session.commit()
        return c
    return factory


def answer(**fields):
    base = {"name": "Amina Diallo", "amount": "1.234,50", "when": "5 March 2024", "kind": "travel"}
    return {"fields": {**base, **fields}}


def test_every_page_is_a_task_with_a_rendered_image(client, guest, tx_campaign):
    c = tx_campaign()
    assert c.tasks_total == 2
    task = next_task(client, c.slug, guest())
    assert task["kind"] == "transcription" and task["document"] == "reports.pdf" and task["page"] in (1, 2)
    [page] = task["pages"]
    assert page["image_url"] == task["image_url"] and page["width"] > 0 and page["height"] > page["width"]
    r = client.get(page["image_url"])
    assert r.status_code == 200 and r.mimetype == "image/jpeg" and r.data[:3] == b"\xff\xd8\xff"
    assert [f["name"] for f in task["fields"]] == ["name", "amount", "when", "kind"]
    assert task["fields"][0]["region"] == [0, 0, 0.5, 0.2] and task["fields"][3]["choices"] == ["Travel", "Meals"]
    html = client.get(f"/campaigns/{c.slug}/work").get_data(as_text=True)
    assert 'id="tx-map"' in html and "vendor/leaflet/leaflet.js" in html and "/static/kinds/transcription/transcription.css" in html
    assert "Fill in %label, or tick" in html  # the script fills in the field's label


def test_answers_are_checked_field_by_field(client, guest, tx_campaign):
    c = tx_campaign()
    h = guest()
    task = next_task(client, c.slug, h)
    r = submit(client, task["id"], {"__no_such_field__": "x"}, h)
    assert r.status_code == 422
    for value, field in [(answer(colour="red"), "colour"), (answer(amount="lots"), "amount"),
                         (answer(when="the 45th of Smarch"), "when"), (answer(kind="Fuel"), "kind"),
                         (answer(name=None), "name"), (answer(name="  "), "name"), (answer(amount=None), "amount"),
                         (answer(name=["A"]), "name")]:
        r = submit(client, task["id"], value, h)
        body = r.get_json()
        assert r.status_code == 422, (value, body)
        assert field in [d["field"] for d in body["details"]], body
        label = {"name": "Name", "amount": "Amount", "when": "Date", "kind": "Kind", "colour": "colour"}[field]
        assert body["message"].startswith(label), body  # the message names the field as the form does
    r = submit(client, task["id"], answer(when=None, kind=None, amount="€ 1,234.50"), h)
    assert r.status_code == 201, r.get_json()
    stored = r.get_json()["answer"]["value"]
    assert stored["fields"] == {"name": "Amina Diallo", "amount": 1234.5, "when": None, "kind": None}
    assert stored["typed"] == {"amount": "€ 1,234.50"}


def test_three_answers_make_fields_verified_with_typos_tolerated(client, guest, tx_campaign):
    c = tx_campaign()
    first = next_task(client, c.slug, (h1 := guest()))
    assert submit(client, first["id"], answer(name="Amina  Diallo", amount="1234.5"), h1).status_code == 201
    for h, value in [(guest(), answer(name="Amina Diallo", amount="1.234,50", when="2024-03-05")),
                     (guest(), answer(name="amina dialo", amount="99", when=None, kind="Meals"))]:
        task = next_task(client, c.slug, h)
        while task["id"] != first["id"]:
            client.post(f"{API}/tasks/{task['id']}/skip", headers=h)
            task = next_task(client, c.slug, h)
        assert submit(client, task["id"], value, h).status_code == 201
    [row] = [r for r in client.get(f"{API}/campaigns/{c.slug}/results").get_json()["results"]
             if r["task_id"] == first["id"]]
    fields = row["fields"]
    assert fields["name"]["status"] == "verified" and fields["name"]["support"] == 3
    assert fields["name"]["value"] == "Amina Diallo"  # the most common exact spelling (spaces tidied)
    assert fields["amount"] == {"value": 1234.5, "status": "verified", "support": 2, "agreement": 0.6667, "answers": 3}
    assert fields["when"]["value"] == "2024-03-05" and fields["when"]["status"] == "verified"
    assert fields["kind"]["value"] == "Travel" and fields["kind"]["status"] == "verified"
    assert row["status"] == "verified" and row["needs_review"] is False and row["complete"]


def test_disputed_page_gets_more_answers_then_goes_to_moderators(client, guest, tx_campaign):
    c = tx_campaign(source=("one.pdf", make_pdf(1)), redundancy=2, max_answers=3)
    task = None
    for amount in ("10", "20"):
        h = guest()
        task = next_task(client, c.slug, h)
        assert submit(client, task["id"], answer(amount=amount), h).status_code == 201
    # The two answers disagree: the task asks for a third at once (up to max_answers), not done yet.
    db.session.expire_all()
    t = db.session.get(Task, task["id"])
    assert (t.redundancy, t.available, db.session.get(Campaign, c.id).tasks_done) == (3, True, 0)
    h = guest()
    assert next_task(client, c.slug, h)["id"] == task["id"]
    assert submit(client, task["id"], answer(amount="30"), h).status_code == 201
    [row] = client.get(f"{API}/campaigns/{c.slug}/results").get_json()["results"]
    assert row["fields"]["amount"]["status"] == "disputed" and row["fields"]["name"]["status"] == "verified"
    assert row["status"] == "disputed" and row["needs_review"] is True
    assert transcripts.ask_for_more_answers(db.session.get(Campaign, c.id)) == 0  # at the maximum
    assert client.get(f"{API}/campaigns/{c.slug}/tasks/next", headers=guest()).status_code == 204


def test_zip_keeps_good_pdfs_and_reports_bad_ones(client, organiser_token, tx_campaign):
    c = tx_campaign(publish=False)
    upload = zip_of([("good.pdf", make_pdf(3)), ("locked.pdf", encrypted_pdf()), ("broken.pdf", make_pdf(2)[:300]),
                     ("notes.txt", b"hello"), ("../evil.pdf", make_pdf(1))])
    r = client.post(f"{API}/campaigns/{c.slug}/tasks", headers={"Authorization": f"Bearer {organiser_token}"},
                    data={"file": (io.BytesIO(upload), "batch.zip")})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["imported"] == 3 and body["tasks_total"] == 5
    messages = " ".join(w["message"] for w in body["warnings"])
    for expected in ("locked.pdf: the PDF is protected by a password", "broken.pdf: the PDF is damaged",
                     "notes.txt: not a PDF", "../evil.pdf: unsafe path"):
        assert expected in messages, messages


def test_nothing_usable_imports_nothing(client, organiser_token, tx_campaign):
    c = tx_campaign(publish=False)
    headers = {"Authorization": f"Bearer {organiser_token}"}
    for name, data, expected in [("notes.pdf", b"just text", "not a PDF"),
                                 ("locked.pdf", encrypted_pdf(), "password"),
                                 ("bad.zip", zip_of([("a.txt", b"x")]), "not a PDF"),
                                 ("broken.zip", b"PK\x03\x04 nope", "not a valid zip")]:
        r = client.post(f"{API}/campaigns/{c.slug}/tasks", headers=headers, data={"file": (io.BytesIO(data), name)})
        assert r.status_code == 422 and expected in json.dumps(r.get_json()), (name, r.get_json())
    db.session.expire_all()
    assert db.session.get(Campaign, c.id).tasks_total == 2


def test_too_many_pages_is_refused_per_file(app, org, organiser, monkeypatch):
    monkeypatch.setitem(app.config, "PDF_MAX_PAGES", 3)
    c = campaigns.create_campaign(org.id, organiser, {"title": "x", "kind": "transcription",
                                                      "settings": {"fields": FIELDS}})
    warnings = []
    n = campaigns.import_tasks(c, "b.zip", zip_of([("long.pdf", make_pdf(4)), ("short.pdf", make_pdf(3))]),
                               warnings=warnings)
    assert n == 3 and "long.pdf: the PDF has 4 pages: at most 3" in warnings[0]["message"]


def test_large_upload_is_rendered_in_a_job_and_tasks_wait_for_it(app, org, organiser, client, guest, monkeypatch):
    monkeypatch.setitem(app.config, "PDF_RENDER_SYNC_PAGES", 2)
    c = campaigns.create_campaign(org.id, organiser, {"title": "x", "kind": "transcription", "redundancy": 2,
                                                      "settings": {"fields": FIELDS}})
    # Hold the job back (as if its thread had not started yet) to see the tasks wait for their pages.
    started = []
    monkeypatch.setattr(transcripts.jobs, "start", lambda name, cid, params: started.append((name, cid, params)))
    assert campaigns.import_tasks(c, "long.pdf", make_pdf(5)) == 5
    monkeypatch.undo()
    campaigns.publish(c)
    db.session.commit()
    tasks = db.session.execute(select(Task).where(Task.campaign_id == c.id)).scalars().all()
    assert all(not t.available and t.payload["pending"] and not t.payload["pages"] for t in tasks)
    [(name, cid, params)] = started
    assert name == "transcription.render" and cid == c.id and params["pdf_urls"] == [tasks[0].payload["pdf_url"]] and params["pdf_urls"][0].endswith(".pdf")
    assert client.get(f"{API}/campaigns/{c.slug}/tasks/next", headers=guest()).status_code == 204

    job = transcripts.jobs.start("transcription.render", cid, params)
    db.session.commit()  # the job runs once its transaction commits
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert (job.status, job.done, job.total, job.result) == ("done", 5, 5, {"pages": 5, "documents": 1})
    tasks = db.session.execute(select(Task).where(Task.campaign_id == cid).order_by(Task.id)).scalars().all()
    assert all(t.available and not t.payload["pending"] for t in tasks)
    assert [t.payload["pages"][0]["page"] for t in tasks] == [1, 2, 3, 4, 5]
    assert transcripts.render_status(db.session.get(Campaign, cid))["pending_tasks"] == 0
    r = client.get(f"{API}/campaigns/{c.slug}/tasks/next", headers=guest())
    assert r.status_code == 200 and r.get_json()["pages"]


def test_a_render_run_again_after_its_worker_died_stores_no_page_twice(app, org, organiser, monkeypatch):
    """A worker killed mid-render: pages it stored (their tasks made ready, or not yet: killed between storing a page
    and committing its task) are found by the run that takes over, which renders only the rest; the store then holds
    one image per page, and the pages rendered before the kill keep their objects."""
    from citizen import storage
    from citizen.ingest import pdfs
    monkeypatch.setitem(app.config, "PDF_RENDER_SYNC_PAGES", 2)
    c = campaigns.create_campaign(org.id, organiser, {"title": "x", "kind": "transcription", "redundancy": 2,
                                                      "settings": {"fields": FIELDS}})
    started = []
    monkeypatch.setattr(transcripts.jobs, "start", lambda name, cid, params: started.append(params))
    assert campaigns.import_tasks(c, "long.pdf", make_pdf(6)) == 6
    monkeypatch.undo()
    db.session.commit()
    real, rendered = pdfs.render_pages, []

    def dies_after_three(data, indexes=None, **kw):  # the worker dies while storing the third page
        for page in real(data, indexes, **kw):
            rendered.append(page[0])
            yield page
            if len(rendered) == 3:
                raise SystemExit("kill -9")
    monkeypatch.setattr(pdfs, "render_pages", dies_after_three)
    original = transcripts._make_ready
    monkeypatch.setattr(transcripts, "_make_ready", lambda *a: None if len(rendered) == 3 else original(*a))
    job = Job(name=transcripts.RENDER, campaign_id=c.id, params=started[0], status="running")
    with pytest.raises(SystemExit):
        transcripts.render(job, lambda done, total, message="": db.session.commit())
    db.session.rollback()
    store = storage.media_store()
    images = lambda: {k: st.tag for k, st in store.list(f"campaigns/{c.id}/") if k.endswith(".jpg")}  # noqa: E731
    before = images()
    assert len(before) == 3 and rendered == [0, 1, 2]
    monkeypatch.setattr(pdfs, "render_pages", real)
    monkeypatch.setattr(transcripts, "_make_ready", original)
    again = []
    monkeypatch.setattr(pdfs, "render_pages", lambda data, indexes=None, **kw: again.append(list(indexes)) or
                        real(data, indexes, **kw))
    assert transcripts.render(job, lambda done, total, message="": db.session.commit()) == {"pages": 4, "documents": 1}
    assert again == [[3, 4, 5]]  # page 3 (index 2) was stored before the kill: read back, not rendered
    after = images()
    assert len(after) == 6 and all(after[k] == v for k, v in before.items())
    tasks = db.session.execute(select(Task).where(Task.campaign_id == c.id).order_by(Task.id)).scalars().all()
    assert all(t.available and len(t.payload["pages"]) == 1 for t in tasks)
    assert len({t.payload["pages"][0]["image_url"] for t in tasks}) == 6


def test_an_import_rolled_back_leaves_no_render_job_and_sends_nothing(app, org, organiser):
    """All or nothing: the render job of a large upload is part of the import's transaction. Rolled back (a later
    step of the request failed), there is no job row and no message; committed, one message for one job."""
    from citizen.jobs import services as jobs
    app.config.update(PDF_RENDER_SYNC_PAGES=2, JOBS_SYNC=False)
    c = campaigns.create_campaign(org.id, organiser, {"title": "x", "kind": "transcription", "redundancy": 2,
                                                      "settings": {"fields": FIELDS}})
    db.session.commit()
    assert campaigns.import_tasks(c, "long.pdf", make_pdf(5)) == 5
    assert jobs.sent() == []  # not yet committed: nothing a worker could read
    db.session.rollback()
    assert db.session.execute(select(Job)).first() is None and jobs.sent() == []
    assert db.session.execute(select(Task).where(Task.campaign_id == c.id)).first() is None
    c = db.session.get(Campaign, c.id)
    assert campaigns.import_tasks(c, "long.pdf", make_pdf(5)) == 5
    db.session.commit()
    [job] = db.session.execute(select(Job)).scalars().all()
    assert job.name == transcripts.RENDER and [job_id for job_id, _eta in jobs.sent()] == [job.id]


def test_whole_document_tasks(client, guest, tx_campaign):
    c = tx_campaign(source=("batch.zip", zip_of([("a.pdf", make_pdf(3)), ("b.pdf", make_pdf(1))])), unit="document")
    assert c.tasks_total == 2
    task = next_task(client, c.slug, guest())
    assert task["page"] is None and len(task["pages"]) == task["pages_in_document"] in (1, 3)


def test_settings_errors_name_their_field(client, org, organiser):
    from citizen.errors import InvalidInput
    kind = get_kind("transcription")
    with pytest.raises(InvalidInput) as exc:
        kind.clean_settings({"fields": "total | Total | currency", "agree": "0", "max_answers": "x", "unit": "book"})
    fields = {d["field"]: d["message"] for d in exc.value.details}
    assert set(fields) == {"fields", "agree", "max_answers", "unit"}
    assert "Line 1" in fields["fields"] and "currency" in fields["fields"]
    with pytest.raises(InvalidInput) as exc:
        kind.clean_settings({"fields": FIELDS, "agree": 4, "max_answers": 3})
    assert exc.value.details[0]["field"] == "max_answers"
    clean = kind.clean_settings({"fields": FIELDS})
    assert (clean["agree"], clean["max_answers"], clean["unit"]) == (2, 5, "page")
    assert kind.clean_settings({"fields": clean["fields_text"]})["fields"] == clean["fields"]


def test_export_columns(client, guest, tx_campaign):
    c = tx_campaign(source=("one.pdf", make_pdf(1)))
    for name in ("Amina Diallo", "Amina Diallo", "Someone Else"):
        h = guest()
        t = next_task(client, c.slug, h)
        assert submit(client, t["id"], answer(name=name, when=None), h).status_code == 201
    kind = get_kind("transcription")
    task = db.session.execute(select(Task).where(Task.campaign_id == c.id)).scalar_one()
    row = kind.export_row(c.settings, task.payload, kind.result(task.consensus, c.settings))
    assert row["document"] == "one.pdf" and row["page"] == 1 and row["page_image"].endswith(".jpg")
    assert row["name"] == "Amina Diallo" and row["name_status"] == "verified" and row["name_agreement"] == 0.6667
    assert row["when"] == "" and row["when_status"] == "missing" and row["amount"] == 1234.5
    assert row["status"] == "verified" and row["needs_review"] is False
    names = [name for name, _d, _f in kind.export_columns(c.settings)]
    assert names[:6] == ["document", "page", "page_image", "document_url", "status", "needs_review"]


def test_organiser_pages(client, organiser, tx_campaign):
    c = tx_campaign(publish=False)
    sign_in(client, organiser.email)
    page = client.get(f"/organise/{c.slug}/").get_data(as_text=True)
    assert 'id="results-table"' in page and "reports.pdf" in page
    upload = zip_of([("new.pdf", make_pdf(1)), ("locked.pdf", encrypted_pdf())])
    r = client.post(f"/organise/{c.slug}/", data={"action": "preview", "file": (io.BytesIO(upload), "more.zip")})
    html = r.get_data(as_text=True)
    assert "1 task will be created" in html and "data:image/jpeg;base64," in html and "locked.pdf" in html
    r = client.post(f"/organise/{c.slug}/", data={"action": "import", "file": (io.BytesIO(upload), "more.zip")},
                    follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "1 tasks imported." in html and "Left out" in html and "password" in html
    assert client.get(f"/organise/{c.slug}/render.json").get_json()["status"] == "none"
    form = client.get(f"/organise/new?kind=transcription").get_data(as_text=True)
    assert 'name="fields"' in form and "vendor | Vendor | text" in form


def test_demo_campaign_is_created_once(app, tmp_path):
    from citizen.demo import load_demo
    load_demo(n_images=2)
    db.session.commit()
    c = db.session.execute(select(Campaign).where(Campaign.slug == "expense-reports")).scalar_one()
    assert c.kind == "transcription" and c.status == "published" and c.tasks_total == 5
    payloads = db.session.execute(select(Task.payload).where(Task.campaign_id == c.id)).scalars().all()
    assert all(p["pages"] and not p["pending"] for p in payloads)
    assert {p["document"] for p in payloads} == {"expenses-2024-03.pdf", "expenses-2024-04.pdf",
                                                 "expenses-field-office.pdf"}
    assert load_demo(n_images=2) == {"created": False}
    assert demo_documents.expected(demo_documents.REPORTS[2])["total"] == 1266.2


def test_a_field_extractors_predictions_are_measured_field_by_field(client, guest, tx_campaign, organiser_token):
    """Issue 22: a document-field extractor's answers imported as predictions; on the audit sample the outcome says
    how many of the fields the volunteers settled the model read the same way."""
    import json as _json
    from tests.helpers import bearer
    c = tx_campaign(source=("reports.pdf", make_pdf(1)), redundancy=2)
    first = next_task(client, c.slug, (h1 := guest()))
    model = answer(name="Amina Dialo")  # the extractor misreads the name, reads the rest right
    line = _json.dumps({"task_id": first["id"], "model": "ocr-1", "answer": model, "confidence": 0.8})
    bad = _json.dumps({"task_id": first["id"], "model": "ocr-1", "answer": {"fields": {"amount": "lots"}},
                       "confidence": 0.8})
    url = f"{API}/campaigns/{c.slug}/predictions"
    assert client.post(url, headers=bearer(organiser_token), data=bad, content_type="application/x-ndjson"
                       ).status_code == 422
    assert client.post(url, headers=bearer(organiser_token), data=line, content_type="application/x-ndjson"
                       ).status_code == 201
    client.put(f"{url}/routing", headers=bearer(organiser_token), json={"audit": 1.0})
    assert submit(client, first["id"], answer(), h1).status_code == 201
    h2 = guest()
    task = next_task(client, c.slug, h2)
    assert submit(client, task["id"], answer(), h2).status_code == 201
    [m] = client.get(f"{url}/outcomes", headers=bearer(organiser_token)).get_json()["models"]
    assert m["audit_verified"] == 1 and m["accuracy"] == 0.0  # one field wrong: the page is not read right
    assert m["fields"] == {"accuracy": 0.75, "fields": 4}

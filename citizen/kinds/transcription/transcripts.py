"""Transcription campaigns' work off the request and their results: rendering PDF pages in a job,
asking for more answers where volunteers disagree, and the results table organisers read.

Rendering: an import stores each PDF through the campaign's media store and its tasks as
`pending` (unavailable). The "transcription.render" job renders the pages of those PDFs, stores
the JPEGs beside them, and makes each task available once its pages are there. It is idempotent:
run again (its worker was killed), it renders only the tasks still pending, and of their pages only those the
first run did not store (a page's stored name is derived from the PDF and the page: `page_stem`).
"""
import hashlib
import hmac
import io

from flask import current_app
from PIL import Image
from sqlalchemy import select, update

from citizen.kinds import EMPTY_RESULT, get_kind
from citizen.ingest import pdfs
from citizen.storage.media import campaign_store, key_of
from citizen.campaigns.models import Campaign, Task
from citizen.extensions import db
from citizen.jobs import services as jobs

RENDER = "transcription.render"


def start_rendering(campaign, pdf_urls):
    """Start the job that renders the pending pages of these PDFs (None: every pending page of the
    campaign) once the caller's transaction commits: an import that fails leaves no job. Returns the job."""
    return jobs.start(RENDER, campaign.id, {} if pdf_urls is None else {"pdf_urls": list(pdf_urls)})


def _pending(campaign_id, pdf_urls=None):
    rows = db.session.execute(select(Task.id, Task.payload).where(
        Task.campaign_id == campaign_id, Task.available == False, Task.answer_count == 0)  # noqa: E712
        .order_by(Task.id)).all()
    return [(r.id, r.payload) for r in rows if r.payload.get("pending")
            and (pdf_urls is None or r.payload.get("pdf_url") in pdf_urls)]


def _media_key(url):
    """The media store's key of a /media/ URL of this app, refusing any other URL."""
    key = key_of(url)
    if key is None:
        raise ValueError(f"not a media file: {url}")
    return key


def _indexes(payload):
    if payload.get("page"):
        return [payload["page"] - 1]
    return list(range(payload.get("pages_in_document") or 0))


def render(job, progress):
    """Render the pending pages of job.params["pdf_urls"] (all pending ones when absent)."""
    urls = job.params.get("pdf_urls")
    tasks = _pending(job.campaign_id, set(urls) if urls is not None else None)
    by_pdf = {}
    for task_id, payload in tasks:
        by_pdf.setdefault(payload["pdf_url"], []).append((task_id, payload))
    total = sum(len(_indexes(p)) for _id, p in tasks)
    progress(0, total, f"{total} pages to render")
    store = campaign_store(job.campaign_id)
    done = 0
    for pdf_url, group in by_pdf.items():
        data = store.storage.get(_media_key(pdf_url))
        if data is None:
            raise ValueError(f"the PDF {pdf_url} is not in the media store")
        wanted = sorted({i for _id, p in group for i in _indexes(p)})
        waiting = {task_id: (payload, set(_indexes(payload))) for task_id, payload in group}
        pages, kept = {}, _stored_pages(store, pdf_url, wanted)  # a run after a killed one: what it stored
        for index, jpeg, width, height in _pages(data, wanted, kept):
            pages[index] = {"page": index + 1, "width": width, "height": height,
                            "image_url": kept[index][0] if index in kept
                            else store.save_named(page_stem(pdf_url, index), jpeg)}
            for task_id, (payload, needs) in list(waiting.items()):
                if needs <= pages.keys():
                    _make_ready(task_id, payload, [pages[i] for i in sorted(needs)])
                    del waiting[task_id]
            done += 1
            progress(done, total)  # commits: the rendered tasks are handed out from now on
    return {"pages": done, "documents": len(by_pdf)}


def page_stem(pdf_url, index):
    """The stored name of a PDF page's image: derived from the PDF and the page with the app's secret, so a render
    run again (its worker was killed) finds the pages the first run stored, and nobody can guess a page's address
    from another's."""
    digest = hmac.new(current_app.secret_key.encode() if isinstance(current_app.secret_key, str)
                      else current_app.secret_key, f"page:{pdf_url}#{index}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def _stored_pages(store, pdf_url, wanted):
    """{index: (url, width, height)} of the wanted pages already in the store."""
    found = {}
    for index in wanted:
        hit = store.find_named(page_stem(pdf_url, index), ".jpg")
        if hit is not None:
            with Image.open(io.BytesIO(hit[1])) as img:
                found[index] = (hit[0], *img.size)
        # a page not found is rendered (all of them, on a first run)
    return found


def _pages(data, wanted, kept):
    """(index, jpeg, width, height) of every wanted page, in order: the stored ones read back, the others rendered."""
    fresh = pdfs.render_pages(data, [i for i in wanted if i not in kept])
    rendered = next(fresh, None)
    for index in wanted:
        if index in kept:
            yield index, None, kept[index][1], kept[index][2]
        else:
            while rendered is not None and rendered[0] != index:
                rendered = next(fresh, None)
            if rendered is not None:
                yield rendered
                rendered = next(fresh, None)


def _make_ready(task_id, payload, pages):
    db.session.execute(update(Task).where(Task.id == task_id).values(
        payload={**payload, "pages": pages, "pending": False},
        available=(Task.answer_count + Task.lease_count) < Task.redundancy))


def render_status(campaign):
    """The latest render job of the campaign as JSON (None when there was none), with how many
    tasks still wait for their pages."""
    job = jobs.latest(campaign.id, RENDER)
    if job is None:
        return None
    return {**job.as_json(), "pending_tasks": len(_pending(campaign.id)) if job.status != "running" else None}


def ask_for_more_answers(campaign, limit=None):
    """Raise the redundancy of finished tasks where volunteers disagree, as the kind's
    answers_wanted says (up to the campaign's most answers per task), so they are handed out
    again. Returns how many tasks were reopened.

    This is the organiser's sweep (a button on the manage page). Done per answer it would need the
    scheduler to ask `kind.answers_wanted(new_state, settings, task.redundancy)` in submit_answer
    and store the raised redundancy with TASK_ANSWERED (available and CAMPAIGN_TASK_DONE then
    computed against it)."""
    kind = get_kind(campaign.kind)
    most = int(campaign.settings.get("max_answers") or 5)
    rows = db.session.execute(select(Task.id, Task.consensus, Task.redundancy, Task.answer_count, Task.lease_count)
                              .where(Task.campaign_id == campaign.id, Task.answer_count >= Task.redundancy,
                                     Task.redundancy < most, Task.gold.is_(None))  # gold stays out of the pool
                              .order_by(Task.id).limit(limit)).all()
    reopened = 0
    for r in rows:
        wanted = kind.answers_wanted(r.consensus or {}, campaign.settings, r.redundancy)
        if wanted > r.redundancy:
            db.session.execute(update(Task).where(Task.id == r.id).values(
                redundancy=wanted, available=(Task.answer_count + Task.lease_count) < wanted))
            reopened += 1
    if reopened:
        db.session.execute(update(Campaign).where(Campaign.id == campaign.id)
                           .values(tasks_done=Campaign.tasks_done - reopened))
    db.session.flush()
    return reopened


def stored_result(kind, campaign, result):
    """A task's stored result (citizen.campaigns.tally), or every field pending for a task without answers."""
    if result:
        return result
    pending = {"value": None, "status": "pending", "support": 0.0, "agreement": 0.0, "answers": 0.0}
    return {**EMPTY_RESULT, "status": "pending", "needs_review": False,
            "fields": {f["name"]: dict(pending) for f in (campaign.settings or {}).get("fields") or []}}


def results_table(campaign, after=0, limit=100):
    """Rows of the organiser's results table: [{task_id, document, page, image_url, answers,
    status (verified, disputed, or pending while answers are still wanted), needs_review,
    fields: {name: {value, status, agreement, support}}}] in import order."""
    kind = get_kind(campaign.kind)
    rows = db.session.execute(select(Task.id, Task.payload, Task.answer_count, Task.redundancy, Task.result)
                              .where(Task.campaign_id == campaign.id, Task.id > after)
                              .order_by(Task.id).limit(limit)).all()
    out = []
    for r in rows:
        res = stored_result(kind, campaign, r.result)
        pages = r.payload.get("pages") or []
        out.append({"task_id": r.id, "document": r.payload.get("document"), "page": r.payload.get("page"),
                    "image_url": pages[0]["image_url"] if pages else None, "pending": r.payload.get("pending"),
                    "answers": r.answer_count, "needs_review": res["needs_review"],
                    # disagreement before every wanted answer is in is not a dispute yet
                    "status": "pending" if res["status"] == "disputed" and r.answer_count < r.redundancy
                    else res["status"],
                    "fields": res["fields"]})
    return out


def manage_context(campaign):
    """What the organiser's manage page shows for a transcription campaign."""
    return {"render": render_status(campaign), "results": results_table(campaign),
            "fields": campaign.settings.get("fields") or []}

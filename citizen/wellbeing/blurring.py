"""Blurred copies of tasks' images (content_warnings.blurred_derivative), made once and kept.

A copy is stored through the campaign's MediaStore (the media store's campaigns/<id>/, a fresh unguessable name
that shares nothing with the original's) and remembered in ContentRating.blurred by original URL. Copies are
made at import for rated tasks (in a job when there are many) and otherwise on first need. An image the server
cannot read (an outside URL, a broken file) gets a neutral placeholder instead: the original is never the
fallback.
"""
import logging
import os

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import safe_join

from citizen import storage
from citizen.storage.media import MediaRefused, campaign_store, key_of, media_keys
from citizen.campaigns.models import Task
from citizen.extensions import db
from citizen.jobs import services as jobs
from citizen.wellbeing import bits
from citizen.wellbeing.models import ContentRating
from content_warnings import BlurError, blurred_derivative

log = logging.getLogger(__name__)
PLACEHOLDER = "/static/img/content-hidden.svg"
MAX_BYTES = 50 * 1024 * 1024
JOB = "wellbeing.blur"


def _original_bytes(url):
    """The bytes of an image this server stores (/media/: the media store; /static/: the app's own files), or None."""
    key = key_of(url)
    if key is not None:
        media = storage.media_store()
        found = media.stat(key)
        return media.get(key) if found is not None and found.size <= MAX_BYTES else None
    if url.startswith("/static/"):
        path = safe_join(current_app.static_folder, url[len("/static/"):].split("?", 1)[0])
        if path and os.path.isfile(path) and os.path.getsize(path) <= MAX_BYTES:
            with open(path, "rb") as fh:
                return fh.read()
    return None


def _make(url, campaign_id):
    data = _original_bytes(url)
    if data is None:
        return PLACEHOLDER
    try:
        copy = blurred_derivative(data)
    except BlurError:
        log.warning("cannot blur %s (campaign %s): not an image", url, campaign_id)
        return PLACEHOLDER
    try:
        return campaign_store(campaign_id).save("blurred.jpg", copy, label="blurred")
    except MediaRefused:
        log.warning("cannot store the blurred copy of %s (campaign %s)", url, campaign_id)
        return PLACEHOLDER


def copies_of(campaign_id, task_ids=None):
    """The storage keys of the blurred copies made for these tasks of the campaign (None: all its tasks still
    there); the task admin removes them with the tasks they were made for (the volunteer loop's derived_media)."""
    q = select(ContentRating.blurred).join(Task, Task.id == ContentRating.task_id).where(
        ContentRating.campaign_id == campaign_id, Task.campaign_id == campaign_id)
    keys = set()
    ids = None if task_ids is None else list(task_ids)
    for i in range(0, len(ids), 900) if ids is not None else [None]:
        part = q if i is None else q.where(ContentRating.task_id.in_(ids[i:i + 900]))
        for blurred in db.session.execute(part.execution_options(yield_per=2000)).scalars():
            media_keys(campaign_id, blurred or {}, keys)
    return keys


def ensure_blurred(task_id, campaign_id, urls, known=None):
    """{original URL: blurred copy's URL} for `urls`, making (and remembering) the copies still missing.
    `known` is what the caller already read from ContentRating.blurred."""
    known = dict(known or {})
    missing = [u for u in dict.fromkeys(urls) if u not in known]
    if not missing:
        return known
    from citizen.wellbeing.state import rating_row
    row = rating_row(task_id, campaign_id)
    stored = dict(row.blurred or {})
    for url in missing:
        if url not in stored:
            stored[url] = _make(url, campaign_id)
    row.blurred = stored
    db.session.flush()
    return stored


def _kind_urls(task, campaign):
    from citizen.kinds import get_kind
    kind = get_kind(campaign.kind)
    return kind.media_urls(kind.task_json(task.payload, campaign.settings))


def blur_task(task, campaign):
    """Make the blurred copies of one task's images (after a re-rating)."""
    from citizen.wellbeing.state import rating_row
    row = rating_row(task.id, campaign.id)  # also marks a task without images as done
    urls = _kind_urls(task, campaign)
    if urls:
        ensure_blurred(task.id, campaign.id, urls, row.blurred)


def _waiting_query(campaign_id):
    """Tasks whose rating may call for a blur and that have no copies yet."""
    return (select(Task).outerjoin(ContentRating, ContentRating.task_id == Task.id)
            .where(Task.campaign_id == campaign_id, Task.content_bits.op("&")(bits.BLURRABLE) != 0,
                   ContentRating.task_id.is_(None)).order_by(Task.id))


def _waiting(campaign_id, limit):
    return db.session.execute(_waiting_query(campaign_id).limit(limit)).scalars().all()


def prepare(campaign):
    """Make the blurred copies a campaign's rated tasks may need: at once for a few (up to config
    WELLBEING_BLUR_SYNC), in a job for more, started once the caller's transaction (the import) commits. Tasks a
    copy is not ready for get it on first need."""
    sync = int(current_app.config.get("WELLBEING_BLUR_SYNC", 20))
    waiting = _waiting(campaign.id, sync + 1)
    if len(waiting) <= sync:
        for task in waiting:
            blur_task(task, campaign)
    else:
        jobs.start(JOB, campaign_id=campaign.id)


def blur_job(job, progress):
    from citizen.campaigns.models import Campaign
    campaign = db.session.get(Campaign, job.campaign_id)
    if campaign is None:
        return {"blurred": 0}
    done, total = 0, db.session.execute(select(func.count()).select_from(_waiting_query(campaign.id).subquery())).scalar()
    while True:
        batch = _waiting(campaign.id, 20)
        if not batch:
            break
        for task in batch:
            blur_task(task, campaign)
        done += len(batch)
        progress(done, max(done, total))
    return {"blurred": done}

"""Volunteers' photos of sites: uploaded whole (multipart) or in chunks that resume after a lost connection, then
checked, re-encoded and kept where only the campaign's staff can see them.

- A chunk is `PUT /api/v1/tasks/<id>/photos/<upload id>` with `Content-Range: bytes <first>-<last>/<total>`; the
  upload id is the phone's own (a UUID kept with the queued answer), so after a reload it asks how much arrived
  (`GET`) and goes on from there. A chunk that does not start where the last one ended is refused with what
  arrived: nothing is written twice, nothing is skipped.
- The photo is checked as any picture (type, size, pixels: citizen.ingest.photos), then re-encoded upright, at most
  MAX_SIDE px, with no EXIF but its position (a field campaign keeps where a photo was taken; nothing else).
  Its EXIF position and time travel in the token the answer names (citizen.kinds.field.photo_token).
- Photos and chunks live in the private store (never served under /media/, never swept): staff see a photo through the field
  kind's own route, blurred first (content_warnings.blurred_derivative, made at upload).
Bounded: a chunk is at most CHUNK_BYTES, a photo MAX_PHOTO_BYTES, a volunteer has at most OPEN_UPLOADS unfinished
uploads and DAILY_UPLOADS a day.
"""
import re
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from citizen import clock, storage
from citizen.campaigns.models import HIDDEN_RAND, MAX_INT, PUBLISHED, Campaign, Task
from citizen.errors import Conflict, InvalidInput, NotFound, NotOpen, RateLimited
from citizen.extensions import db
from citizen.ingest import photos as pictures
from citizen.kinds.field import MAX_PHOTO_BYTES, photo_token
from citizen.kinds.field.models import FieldPhoto, FieldUpload
from content_warnings import BlurError, blurred_derivative

CHUNK_BYTES = 1024 * 1024
MIN_CHUNK_BYTES = 64 * 1024
MAX_PIXELS = 50_000_000  # a phone's 48 MP sensor; a bigger picture is not a phone's photo (and costs to decode)
MAX_SIDE = 2048
OPEN_UPLOADS = 10
DAILY_UPLOADS = 300
STALE = timedelta(days=3)  # unfinished uploads older than this are given up (their chunks deleted)
_UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_RANGE = re.compile(r"^bytes ([0-9]{1,9})-([0-9]{1,9})/([0-9]{1,9})$")


def _store():
    return storage.private_store()


def site_task(task_id):
    """(task, campaign) of an open site of a published field campaign; NotFound / NotOpen otherwise."""
    if not 1 <= task_id <= MAX_INT:
        raise NotFound(_("There is no such task."))
    row = db.session.execute(select(Task, Campaign).join(Campaign, Campaign.id == Task.campaign_id).where(
        Task.id == task_id)).first()
    if row is None or row.Campaign.kind != "field" or row.Task.rand <= HIDDEN_RAND:
        raise NotFound(_("There is no such task."))
    if row.Campaign.status != PUBLISHED:
        raise NotOpen()
    return row.Task, row.Campaign


def _invalid(message, field="Content-Range"):
    return InvalidInput(message, details=[{"field": field, "message": message}])


def parse_range(header, length):
    """(first, total) of a Content-Range header for a chunk of `length` bytes; InvalidInput when it does not fit."""
    match = _RANGE.match((header or "").strip())
    if not match:
        raise _invalid(_("Send each chunk with Content-Range: bytes <first>-<last>/<total>."))
    first, last, total = (int(g) for g in match.groups())
    if total > MAX_PHOTO_BYTES:
        raise _invalid(_("A photo may be at most %(mb)d MB.", mb=MAX_PHOTO_BYTES // 1_000_000))
    if not (first <= last < total) or last - first + 1 != length:
        raise _invalid(_("The chunk's Content-Range does not match its length."))
    if length < MIN_CHUNK_BYTES and last != total - 1:  # a photo in a million one-byte files: no
        raise _invalid(_("A chunk other than the last must be at least %(kb)d KiB.", kb=MIN_CHUNK_BYTES // 1024))
    if length > CHUNK_BYTES:
        raise _invalid(_("A chunk may be at most %(kb)d KiB.", kb=CHUNK_BYTES // 1024))
    return first, total


def _allowance(contributor_id):
    since = clock.now() - timedelta(days=1)
    open_n, today = db.session.execute(select(  # open uploads of any age (until the sweep gives them up)
        func.count().filter(FieldUpload.photo_id.is_(None)),
        func.count().filter(FieldUpload.created_at >= since)).where(
        FieldUpload.contributor_id == contributor_id)).one()
    if open_n >= OPEN_UPLOADS:
        raise RateLimited(_("Send the photos already started before starting more."))
    if today >= DAILY_UPLOADS:
        raise RateLimited(_("That is as many photos as one person may send in a day: thank you!"))


def _upload(contributor_id, upload_id, task_id, total=None, create=False):
    if not _UPLOAD_ID.match(upload_id or ""):
        raise NotFound(_("There is no such upload."))
    upload = db.session.execute(select(FieldUpload).where(
        FieldUpload.contributor_id == contributor_id, FieldUpload.upload_id == upload_id).with_for_update()
    ).scalar_one_or_none()
    if upload is None:
        if not create:
            return None
        _allowance(contributor_id)
        upload = FieldUpload(contributor_id=contributor_id, upload_id=upload_id, task_id=task_id, total=total,
                             received=0, parts=0, created_at=clock.now())
        db.session.add(upload)
        db.session.flush()
    if upload.task_id != task_id or (total is not None and upload.total != total):
        raise Conflict(_("This upload id was used for another photo."), code="upload_id_reused")
    return upload


def status(task_id, contributor_id, upload_id):
    """{"received", "photo"} of an upload (nothing yet, or a caller not known yet: received 0)."""
    task, _campaign = site_task(task_id)
    if not _UPLOAD_ID.match(upload_id or ""):
        raise NotFound(_("There is no such upload."))
    upload = _upload(contributor_id, upload_id, task.id) if contributor_id is not None else None
    if upload is None:
        return {"received": 0, "photo": None}
    return {"received": upload.received, "photo": _token_of(upload, task)}


def _token_of(upload, task):
    if upload.photo_id is None:
        return None
    photo = db.session.get(FieldPhoto, upload.photo_id)
    return photo_token(photo.key, task.payload, photo.exif_lat, photo.exif_lon, photo.exif_taken)


def receive_chunk(task_id, contributor_id, upload_id, content_range, data):
    """Store one chunk. Returns (status, body): 200 {"received"} while incomplete, 201 {"photo", "received"} when
    this chunk completed the photo, 200 with the same token for a chunk sent again after completion, 409
    {"received"} for a chunk that does not start where the upload stands."""
    task, _campaign = site_task(task_id)
    first, total = parse_range(content_range, len(data))
    upload = _upload(contributor_id, upload_id, task.id, total, create=True)
    if upload.photo_id is not None:
        return 200, {"received": upload.received, "photo": _token_of(upload, task)}
    if upload.received == upload.total:  # every byte arrived but the photo was not kept (a failure, a race)
        return _finish(task_id, contributor_id, upload_id)
    if first != upload.received:
        return 409, {"code": "upload_offset", "received": upload.received, "message": _(
            "This chunk does not start where the upload stands: go on from %(n)d bytes.", n=upload.received)}
    _store().put(_part_key(upload, upload.parts), bytes(data), content_type="application/octet-stream")
    upload.parts += 1
    upload.received += len(data)
    if upload.received < upload.total:
        return 200, {"received": upload.received}
    return _finish(task_id, contributor_id, upload_id)


def _finish(task_id, contributor_id, upload_id):
    """Keep the photo whose every chunk arrived: the picture's work runs between two transactions, so that it holds
    no lock (on SQLite every transaction holds the write lock: other uploads and answers would wait)."""
    upload = _upload(contributor_id, upload_id, task_id)
    ident, parts = upload.id, upload.parts
    db.session.commit()
    whole = b"".join(_store().get(f"field-parts/{ident}/{n:04d}") or b"" for n in range(parts))
    try:
        prepared = prepare(whole)
    except InvalidInput:  # not a photo: start again from nothing (a replay must send every byte again, never
        upload = _upload(contributor_id, upload_id, task_id)  # have the server decode it again for one byte)
        _drop_parts(upload)
        upload.received = upload.parts = 0
        db.session.commit()
        raise
    task, campaign = site_task(task_id)
    upload = _upload(contributor_id, upload_id, task_id)
    if upload.photo_id is None:  # else another request finished it meanwhile: that photo stands
        upload.photo_id = store_photo(campaign, task, contributor_id, prepared).id
        _drop_parts(upload)
    return 201, {"received": upload.received, "photo": _token_of(upload, task)}


def receive_whole(task_id, contributor_id, data):
    """A photo sent in one request (multipart): 201 {"photo"}."""
    site_task(task_id)
    if len(data) > MAX_PHOTO_BYTES:
        raise _invalid(_("A photo may be at most %(mb)d MB.", mb=MAX_PHOTO_BYTES // 1_000_000), "photo")
    _allowance(contributor_id)
    db.session.commit()  # the picture's work below holds no lock (see _finish)
    prepared = prepare(data)
    task, campaign = site_task(task_id)
    upload = FieldUpload(contributor_id=contributor_id, upload_id=secrets.token_hex(16), task_id=task.id,
                         total=len(data), received=len(data), parts=0, created_at=clock.now())
    db.session.add(upload)
    upload.photo_id = store_photo(campaign, task, contributor_id, prepared).id
    db.session.flush()
    return 201, {"received": len(data), "photo": _token_of(upload, task)}


def prepare(data):
    """A photo checked and re-encoded (upright, at most MAX_SIDE px, no metadata but its position) with its blurred
    copy: (info, clean JPEG, width, height, blurred JPEG). Touches no database. InvalidInput for what is not a
    photo that can be used."""
    try:
        info = pictures.read_photo(data)  # reads the header only: the size before any decoding
        if info["width"] * info["height"] > MAX_PIXELS:
            raise pictures.PhotoError(_("The picture has too many pixels for a photo: at most %(mp)d million.",
                                        mp=MAX_PIXELS // 1_000_000))
        gps = (info["lat"], info["lon"]) if info.get("lat") is not None else None
        clean, width, height = pictures.checked_copy(data, MAX_SIDE, MAX_PHOTO_BYTES, gps=gps)
    except pictures.PhotoError as exc:
        raise _invalid(str(exc), "photo") from None
    try:
        blurred = blurred_derivative(clean, max_side=640)
    except BlurError:
        raise _invalid(_("This photo is damaged and cannot be decoded."), "photo") from None
    return info, clean, width, height, blurred


def store_photo(campaign, task, contributor_id, prepared):
    """Keep a prepared photo and its blurred copy; the FieldPhoto."""
    info, clean, width, height, blurred = prepared
    stem = f"field/{campaign.id}/{secrets.token_hex(16)}"
    _store().put(f"{stem}.jpg", clean, content_type="image/jpeg")
    _store().put(f"{stem}-blurred.jpg", blurred, content_type="image/jpeg")
    photo = FieldPhoto(campaign_id=campaign.id, task_id=task.id, contributor_id=contributor_id, key=f"{stem}.jpg",
                       blurred_key=f"{stem}-blurred.jpg", width=width, height=height, size=len(clean),
                       exif_lat=info.get("lat"), exif_lon=info.get("lon"), exif_taken=info.get("taken"),
                       created_at=clock.now())
    db.session.add(photo)
    db.session.flush()
    return photo


def keep_photo(campaign, task, contributor_id, data):
    """prepare and store_photo in one (the demo's reports)."""
    return store_photo(campaign, task, contributor_id, prepare(data))


def _part_key(upload, n):
    return f"field-parts/{upload.id}/{n:04d}"


def _drop_parts(upload):
    for n in range(upload.parts):
        try:
            _store().delete(_part_key(upload, n))
        except Exception:  # noqa: BLE001  (a chunk left behind is read by nothing; the sweep tries again)
            pass


def sweep(now=None):
    """Give up uploads left unfinished for STALE: delete their chunks and rows. Returns how many."""
    cutoff = (now or clock.now()) - STALE
    stale = db.session.execute(select(FieldUpload).where(
        FieldUpload.photo_id.is_(None), FieldUpload.created_at < cutoff).limit(500)).scalars().all()
    for upload in stale:
        _drop_parts(upload)
        db.session.delete(upload)
    return len(stale)


def photo_file(photo_key, campaign, original):
    """(store, key) of a kept photo of this campaign (its blurred copy unless `original`), or NotFound."""
    photo = db.session.execute(select(FieldPhoto).where(
        FieldPhoto.key == photo_key, FieldPhoto.campaign_id == campaign.id)).scalar_one_or_none()
    if photo is None or photo.removed:
        raise NotFound()
    return _store(), photo.key if original else photo.blurred_key


def remove_photo(photo_key, campaign):
    """Take a photo down (staff: abuse, a face, a licence plate): its files go, its row says removed."""
    photo = db.session.execute(select(FieldPhoto).where(
        FieldPhoto.key == photo_key, FieldPhoto.campaign_id == campaign.id)).scalar_one_or_none()
    if photo is None:
        raise NotFound()
    for key in (photo.key, photo.blurred_key):
        try:
            _store().delete(key)
        except Exception:  # noqa: BLE001
            pass
    photo.removed = True

"""Uploads kept between the organiser's preview and their confirmation, so a large file (an
area, a ZIP of photos) is sent once. Kept in the uploads store (citizen.storage.uploads_store(): the local
instance/uploads/ or the object store's uploads/) under <campaign id>/<token>__<name>, and removed
when the import is confirmed. Any web server of a deployment finds the file its neighbour kept. A preview never
confirmed is forgotten after UPLOADS_KEEP_HOURS (24 by default) by a chore of the job workers (`forget_stale`)."""
import os
import re
import secrets
from datetime import datetime, timedelta, timezone

from citizen import storage

_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def stash(campaign_id, filename, data, store=None):
    """Keep an upload; return the token that finds it again."""
    store = store if store is not None else storage.uploads_store()
    token = secrets.token_hex(16)
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", os.path.basename(filename or "upload"))[:100] or "upload"
    store.put(f"{int(campaign_id)}/{token}__{safe}", data)
    return token


def take(campaign_id, token, remove=False, store=None):
    """(filename, data) of a stashed upload, or None when the token is unknown or malformed."""
    if not _TOKEN.match(token or ""):
        return None
    store = store if store is not None else storage.uploads_store()
    for key, _stat in store.list(f"{int(campaign_id)}/{token}__"):
        data = store.get(key)
        if data is None:  # taken by a concurrent confirmation
            continue
        if remove:
            store.delete(key)
            drop_thumbnails(campaign_id, token, store)
        return key.split("__", 1)[1], data
    return None


def forget_stale(app, store=None, now=None):
    """Delete the stashed uploads older than UPLOADS_KEEP_HOURS (a preview the organiser never confirmed). Returns
    how many were deleted. A confirmation arriving after that finds nothing and asks for the file again."""
    hours = float(app.config.get("UPLOADS_KEEP_HOURS", 24))
    store = store if store is not None else storage.uploads_store(app)
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(hours=hours)
    stale = [key for key, stat in store.list("") if stat.modified < cutoff]
    for key in stale:
        store.delete(key)
    return len(stale)
THUMB_SIZE = 160  # pixels, the longer side


def _thumbs_prefix(campaign_id, token):
    return f"{int(campaign_id)}/thumbs-{token}/"


def keep_thumbnails(campaign_id, token, images, limit):
    """Small JPEG copies of the first `limit` preview images [(URL, bytes)] (already re-encoded, bounded copies),
    kept beside the stashed upload; returns {URL: thumbnail number}. An image Pillow cannot shrink gets none."""
    import io

    from PIL import Image
    store = storage.uploads_store()
    out = {}
    for n, (url, data) in enumerate(images[:limit]):
        try:
            with Image.open(io.BytesIO(data)) as img:
                img.draft("RGB", (THUMB_SIZE, THUMB_SIZE))  # JPEG: decode at a fraction of the size
                img = img.convert("RGB")
                img.thumbnail((THUMB_SIZE, THUMB_SIZE))
                buf = io.BytesIO()
                img.save(buf, "JPEG", quality=80)
        except Exception:  # noqa: BLE001  (Pillow raises many kinds; the row simply has no thumbnail)
            continue
        store.put(f"{_thumbs_prefix(campaign_id, token)}{n}.jpg", buf.getvalue(), content_type="image/jpeg")
        out[url] = n
    return out


def thumbnail_key(campaign_id, token, n):
    """The key of a kept thumbnail, or None for a malformed token."""
    if not _TOKEN.match(token or ""):
        return None
    return f"{_thumbs_prefix(campaign_id, token)}{int(n)}.jpg"


def drop_thumbnails(campaign_id, token, store=None):
    store = store if store is not None else storage.uploads_store()
    if _TOKEN.match(token or ""):
        for key, _stat in store.list(_thumbs_prefix(campaign_id, token)):
            store.delete(key)

"""Uploads kept between the organiser's preview and their confirmation, so a large file (an
area, a ZIP of photos) is sent once. Kept in the uploads store (citizen.storage.uploads_store(): the local
instance/uploads/ or the object store's uploads/) under <campaign id>/<token>__<name>, and removed
when the import is confirmed. Any web server of a deployment finds the file its neighbour kept."""
import os
import re
import secrets

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
        return key.split("__", 1)[1], data
    return None

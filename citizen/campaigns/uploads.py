"""Uploads kept between the organiser's preview and their confirmation, so a large file (an
area, a ZIP of photos) is sent once. Kept under instance/uploads/<campaign id>/ and removed
when the import is confirmed."""
import os
import re
import secrets

_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _folder(root, campaign_id):
    return os.path.join(root, "uploads", str(campaign_id))


def stash(root, campaign_id, filename, data):
    """Keep an upload; return the token that finds it again."""
    token = secrets.token_hex(16)
    folder = _folder(root, campaign_id)
    os.makedirs(folder, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", os.path.basename(filename or "upload"))[:100] or "upload"
    with open(os.path.join(folder, f"{token}__{safe}"), "wb") as fh:
        fh.write(data)
    return token


def take(root, campaign_id, token, remove=False):
    """(filename, data) of a stashed upload, or None when the token is unknown or malformed."""
    if not _TOKEN.match(token or ""):
        return None
    folder = _folder(root, campaign_id)
    if not os.path.isdir(folder):
        return None
    for name in os.listdir(folder):
        if name.startswith(token + "__"):
            path = os.path.join(folder, name)
            with open(path, "rb") as fh:
                data = fh.read()
            if remove:
                os.remove(path)
            return name.split("__", 1)[1], data
    return None

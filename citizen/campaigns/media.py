"""Files a campaign's import stores beside its tasks (photos, rendered pages).

An import either stores all its tasks or none; the store remembers what it wrote so a failed
import can take its files back, and a dry run (the organiser's preview) writes nothing."""
import os
import secrets


class MediaStore:
    def __init__(self, root, url_prefix, dry_run=False):
        self.root = root
        self.url_prefix = url_prefix.rstrip("/")
        self.dry_run = dry_run
        self.written = []

    def save(self, name, data):
        """Write `data` under a fresh unguessable name ending in `name` (already sanitised by the
        caller); return its public URL."""
        stored = f"{secrets.token_hex(6)}-{os.path.basename(name)}"
        if not self.dry_run:
            os.makedirs(self.root, exist_ok=True)
            path = os.path.join(self.root, stored)
            with open(path, "wb") as fh:
                fh.write(data)
            self.written.append(path)
        return f"{self.url_prefix}/{stored}"

    def discard(self):
        """Remove everything this store wrote (the import that wrote it failed)."""
        for path in self.written:
            try:
                os.remove(path)
            except OSError:
                pass
        self.written = []


def campaign_store(media_folder, campaign_id, dry_run=False):
    sub = os.path.join("campaigns", str(campaign_id))
    return MediaStore(os.path.join(media_folder, sub), "/media/" + sub.replace(os.sep, "/"), dry_run)

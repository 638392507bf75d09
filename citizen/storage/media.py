"""Files a campaign's import stores beside its tasks (photos, rendered pages, PDFs, blurred copies).

An import either stores all its tasks or none; the store remembers what it wrote so a failed
import can take its files back, and a dry run (the organiser's preview) writes nothing.

What a file is, and so its name and the type it is served as, is decided here from its content and
never from the name it was uploaded under: an image Pillow identifies as JPEG, PNG or WebP, or
a PDF that starts with the `%PDF-` header and that PDFium opens. Anything else is refused. The
stored name is random (`<32 hex>.<ext>`, optionally with a label the server chose, e.g. `-blurred`).
A file that is also an HTML page or a script (a polyglot) is therefore only ever stored as `.pdf` or
as an image, and /media/ serves it only as that type (`media_response`), with `nosniff` and a
sandbox CSP so that nothing in it can run on this site's origin.

Images that came from outside are re-encoded by their callers before they get here (photos.clean_copy,
rendered pages, blurred copies), so their metadata (EXIF, location) is gone; this module checks the
result, it does not trust it.
"""
import io
import os
import re
import secrets
import warnings

# The only types /media/ serves, with the extension the server gives each.
TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif",
         "application/pdf": ".pdf"}
# ...and those a MediaStore writes: nothing citizen makes is a GIF (a favourite of image/script polyglots).
STORED = ("image/jpeg", "image/png", "image/webp", "application/pdf")
# Extensions of files already stored (older names kept the uploader's name: served only if listed here).
EXTENSIONS = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp",
              ".gif": "image/gif", ".pdf": "application/pdf"}
_PILLOW = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
_LABEL = re.compile(r"^[a-z0-9]{1,20}$")
_STEM = re.compile(r"^[0-9a-f]{32}$")
MAX_PIXELS = 200_000_000  # what Pillow would call a decompression bomb


class MediaRefused(ValueError):
    """Content that is neither an allowed image nor a PDF: it is not stored."""


def sniff(head):
    """The type of a file from its first bytes (16 are enough), or None when it is none of TYPES.
    Magic numbers only: cheap, for serving what is already stored."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def _pdf_opens(data):
    from citizen.ingest import pdfs  # PDFium is guarded by that module's lock
    import pypdfium2 as pdfium
    with pdfs._LOCK:
        try:
            doc = pdfium.PdfDocument(data)
        except pdfium.PdfiumError:
            return False
        try:
            return len(doc) > 0
        finally:
            doc.close()


def _image_type(data):
    from PIL import Image
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                fmt = img.format
                width, height = img.size
    except Exception:  # Pillow raises many kinds of errors for what is not a picture
        return None
    if width * height > MAX_PIXELS:
        return None
    return _PILLOW.get(fmt)


def content_type(data):
    """The type of `data` (one of TYPES) decided from its content, or raise MediaRefused.

    The magic number picks the candidate and the matching decoder must agree: Pillow must identify
    the same image format, PDFium must open the PDF (header at byte 0, not somewhere in the first KB)."""
    if not isinstance(data, (bytes, bytearray)):
        raise MediaRefused("not bytes")
    found = sniff(bytes(data[:16]))
    if found == "application/pdf":
        if _pdf_opens(bytes(data)):
            return found
    elif found is not None and _image_type(bytes(data)) == found:
        return found
    raise MediaRefused("neither a JPEG, PNG, WebP or GIF image nor a PDF")


class MediaStore:
    """The files one import (or job) stores under a prefix of the media store (citizen.storage.media_store())."""

    def __init__(self, storage, prefix, url_prefix, dry_run=False, keep=0):
        self.storage = storage
        self.prefix = prefix.strip("/")
        self.url_prefix = url_prefix.rstrip("/")
        self.dry_run = dry_run
        self.written = []
        # A dry run (the organiser's preview) keeps the first `keep` images it would have stored, [(URL, bytes)]:
        # the preview's thumbnails are made from them.
        self.keep = keep
        self.kept = []

    def save(self, name, data, label=None):
        """Store `data` under a random name whose extension comes from its content; return its public URL.

        `name` (the uploader's, kept for older callers) plays no part in the stored name or type.
        `label` is a short word the server chose ("blurred"), appended to the random part.
        Raises MediaRefused for content that is not an allowed image or a PDF."""
        suffix = f"-{label}" if label and _LABEL.match(label) else ""
        return self._put(f"{secrets.token_hex(16)}{suffix}", data)

    def save_named(self, stem, data):
        """Store `data` under `stem` (a name the server derived and nobody can guess: 32 hex digits) with the
        extension its content gives; return its URL. The same stem makes the same key: a job run again after its
        worker was killed finds (`find_named`) or writes over what the first run stored, never a second copy."""
        if not _STEM.match(stem):
            raise ValueError("a derived media name is 32 hex digits")
        return self._put(stem, data)

    def _put(self, stem, data):
        """Store `data` as `stem` + the extension its content gives (MediaRefused for what is not stored)."""
        found = content_type(data)
        if found not in STORED:
            raise MediaRefused(f"{found} is not stored")
        stored = f"{stem}{TYPES[found]}"
        if not self.dry_run:
            key = f"{self.prefix}/{stored}"
            self.storage.put(key, bytes(data), content_type=found)
            self.written.append(key)
        elif len(self.kept) < self.keep and found.startswith("image/"):
            self.kept.append((f"{self.url_prefix}/{stored}", bytes(data)))
        return f"{self.url_prefix}/{stored}"

    def find_named(self, stem, ext):
        """(URL, bytes) of what `save_named(stem, ...)` stored with extension `ext`, or None."""
        if not _STEM.match(stem) or ext not in TYPES.values():
            return None
        data = self.storage.get(f"{self.prefix}/{stem}{ext}")
        return None if data is None else (f"{self.url_prefix}/{stem}{ext}", data)

    def discard(self):
        """Remove everything this store wrote (the import that wrote it failed)."""
        for key in self.written:
            try:
                self.storage.delete(key)
            except Exception:  # noqa: BLE001  (a file left behind is served to no one: no task names it)
                pass
        self.written = []


def campaign_store(campaign_id, dry_run=False, storage=None, keep=0):
    """The MediaStore of a campaign: media keys campaigns/<id>/..., served at /media/campaigns/<id>/...
    (`keep`: a dry run keeps that many images for the preview's thumbnails)."""
    from citizen import storage as stores
    sub = f"campaigns/{int(campaign_id)}"
    return MediaStore(storage if storage is not None else stores.media_store(), sub, "/media/" + sub, dry_run,
                      keep)


def key_of(url):
    """The media key of a /media/ URL of this app ("/media/campaigns/1/x.jpg" -> "campaigns/1/x.jpg"), or None for
    any other URL (an outside address, /static/, a key a store would refuse)."""
    from urllib.parse import unquote
    from citizen.storage.backends import valid_key
    if not isinstance(url, str) or not url.startswith("/media/"):
        return None
    key = unquote(url[len("/media/"):].split("?", 1)[0].split("#", 1)[0])
    return key if valid_key(key) else None


def media_keys(campaign_id, value, out):
    """Add to the set `out` the media keys of this campaign found anywhere in a task's payload (kinds store /media/
    URLs), and return it. Keys of other campaigns are never collected: nothing deletes what it does not own."""
    if isinstance(value, str):
        key = key_of(value)
        if key and key.startswith(f"campaigns/{campaign_id}/"):
            out.add(key)
    elif isinstance(value, dict):
        for v in value.values():
            media_keys(campaign_id, v, out)
    elif isinstance(value, list):
        for v in value:
            media_keys(campaign_id, v, out)
    return out


def campaign_of(name):
    """The campaign id a /media/ path belongs to (`campaigns/<id>/...`), or None (demo files, others)."""
    parts = name.split("/")
    if len(parts) == 3 and parts[0] == "campaigns" and parts[1].isdigit() and len(parts[1]) <= 10:
        return int(parts[1])
    return None


def stored_type(storage, key):
    """The type a stored file is served as, or None when it must not be served (or is not there): its extension
    must be one of EXTENSIONS and its first bytes must be one of TYPES (the sniffed type wins: a `.jpg` holding
    a PDF is served as a PDF). One short read of the store."""
    if os.path.splitext(key)[1].lower() not in EXTENSIONS:
        return None
    try:
        head = storage.read_head(key, 16)
    except OSError:
        return None
    return None if head is None else sniff(head)

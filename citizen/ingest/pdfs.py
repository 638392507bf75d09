"""PDFs for the transcription kind: quick checks at import, page rendering with pypdfium2.

The import only opens each document and counts its pages (milliseconds, even for hundreds of
pages); rendering to JPEG happens later, off the request for large uploads (see
citizen.kinds.transcription.transcripts). PDFium is not thread-safe, so every call into it holds _LOCK:
the web process renders small uploads on the request and large ones in job threads.
"""
import io
import os
import threading

import pypdfium2 as pdfium
from flask_babel import gettext as _

from citizen.ingest import archives

_LOCK = threading.Lock()
_PASSWORD_ERROR = 4  # FPDF_ERR_PASSWORD
MAX_SIDE = 2000  # pixels on the longer side of a rendered page: small print stays readable when zoomed
MAX_SCALE = 200 / 72  # ...but never more than 200 dpi (a postcard-sized page need not become a poster)
QUALITY = 80  # JPEG: scans compress badly as PNG; 80 keeps small print crisp


class PdfProblem(ValueError):
    """A document (or an upload) that cannot be used; the message is meant for the organiser."""


def page_count(data, max_pages):
    """How many pages the PDF `data` has; raises PdfProblem saying why it cannot be used."""
    if not data.startswith(b"%PDF-"):  # at byte 0: a PDF behind an HTML page or a script is refused
        raise PdfProblem(_("not a PDF file."))
    with _LOCK:
        try:
            doc = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            if getattr(exc, "err_code", None) == _PASSWORD_ERROR:
                raise PdfProblem(_("the PDF is protected by a password: save an unprotected copy and "
                                   "upload that.")) from None
            raise PdfProblem(_("the PDF is damaged and cannot be read.")) from None
        try:
            pages = len(doc)
            if 0 < pages <= max_pages:
                _load_every_page(doc)
        finally:
            doc.close()
    if pages == 0:
        raise PdfProblem(_("the PDF has no pages."))
    if pages > max_pages:
        raise PdfProblem(_("the PDF has %(n)d pages: at most %(max)d per document.", n=pages, max=max_pages))
    return pages


def _load_every_page(doc):
    """A damaged PDF may open and count its pages, then fail on one of them: found here (a fraction
    of a millisecond a page) rather than when rendering it, on the request or in a job."""
    for index in range(len(doc)):
        try:
            page = doc[index]
        except pdfium.PdfiumError:
            raise PdfProblem(_("the PDF is damaged and cannot be read (page %(n)d).", n=index + 1)) from None
        page.close()


def documents_from_upload(filename, data, max_files=500, max_bytes=50_000_000, max_pages=500,
                          max_total_pages=5000):
    """Split an upload (one PDF, or a ZIP of PDFs) into documents.

    Returns (documents, problems): documents as [(name, bytes, pages)], names sanitised and unique;
    problems as [{"line", "file", "message"}], one per file left out (not a PDF, encrypted,
    damaged, too large, too many pages, an unsafe path or a zip bomb). Raises PdfProblem when the
    upload itself is unusable (a broken zip, too many files, too large in total)."""
    name = archives.display_name(filename)
    if not archives.is_zip(filename, data):
        members, problems = [(1, name, data)], []
    else:
        try:
            members, problems = archives.read_members(filename, data, max_files, max_bytes,
                                                      max(max_bytes, max_files * max_bytes // 10),
                                                      bomb_message=_("compressed suspiciously well: not a PDF."))
        except archives.ArchiveError as exc:
            raise PdfProblem(str(exc)) from exc
    documents, used, total = [], set(), 0
    for line, path, blob in members:
        if len(blob) > max_bytes:
            problems.append(archives.error(line, path, _("larger than %(max)s MB.", max=archives.mb(max_bytes))))
            continue
        try:
            pages = page_count(blob, max_pages)
        except PdfProblem as exc:
            problems.append(archives.error(line, path, str(exc)))
            continue
        if total + pages > max_total_pages:
            problems.append(archives.error(line, path, _(
                "left out: one import takes at most %(max)d pages in all; import it separately.",
                max=max_total_pages)))
            continue
        total += pages
        base = archives.safe_name(os.path.basename(path.replace("\\", "/")), "document.pdf")
        documents.append((archives.unique(base, used), blob, pages))
    return documents, sorted(problems, key=lambda p: p["line"])


def render_pages(data, indexes=None, max_side=MAX_SIDE, quality=QUALITY, chunk=4):
    """Render pages of the PDF `data` (0-based `indexes`, default all) to JPEG.

    Yields (index, jpeg_bytes, width, height). The page is scaled so its longer side is `max_side`
    pixels (at most MAX_SCALE), flattened on white. PDFium is held a few pages at a time; JPEG
    encoding happens outside the lock, so two renders in parallel overlap."""
    if indexes is None:
        with _LOCK:
            doc = pdfium.PdfDocument(data)
            indexes = range(len(doc))
            doc.close()
    indexes = list(indexes)
    for start in range(0, len(indexes), chunk):
        images = []
        with _LOCK:
            doc = pdfium.PdfDocument(data)
            try:
                for index in indexes[start:start + chunk]:
                    page = doc[index]
                    try:
                        width, height = page.get_size()
                        scale = min(MAX_SCALE, max_side / max(width, height, 1))
                        images.append((index, page.render(scale=scale, may_draw_forms=True).to_pil()))
                    finally:
                        page.close()
            finally:
                doc.close()
        for index, image in images:
            yield (index, *_jpeg(image, quality))


def _jpeg(image, quality):
    if image.mode != "RGB":
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue(), image.width, image.height

"""PDF benchmark: pages rendered per second while importing documents into a transcription campaign.

The full run uploads a ZIP of 10 expense-report PDFs of 50 pages each (500 pages; one page in ten
looks scanned: a noisy, rotated picture), the path the organiser's "Import" button takes. It times
the import request itself (opening, counting and storing the PDFs, creating the 500 tasks, which
wait unavailable) and then the "transcription.render" job that renders every page to JPEG and
makes its task available, median of three repetitions, each in a fresh SQLite database. The last
line is one JSON object.

    python -m benchmarks.pdf            # 500 pages
    python -m benchmarks.pdf --quick    # 40 pages
"""
import argparse
import io
import json
import os
import statistics
import sys
import time
import zipfile

from fpdf import FPDF
from sqlalchemy import func, select

from benchmarks.common import fresh_app
from citizen.demo import documents as demo_documents
from citizen.accounts import services as accounts
from citizen.campaigns import services as campaigns
from citizen.kinds.transcription import transcripts
from citizen.campaigns.models import Task
from citizen.extensions import db


def documents(n_docs, pages):
    """A ZIP of `n_docs` PDFs of `pages` pages; every tenth page is a scan-like picture."""
    scan = io.BytesIO()
    demo_documents._scanned_image(demo_documents.REPORTS[4]).save(scan, "JPEG", quality=70)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for d in range(n_docs):
            pdf = FPDF(format="A4")
            pdf.set_auto_page_break(False)
            for p in range(pages):
                report = demo_documents.REPORTS[(d + p) % 4]
                if p % 10 == 9:
                    pdf.add_page()
                    scan.seek(0)
                    pdf.image(scan, x=0, y=0, w=210, h=297)
                else:
                    demo_documents._typed_page(pdf, report)
            zf.writestr(f"reports-{d:02d}.pdf", bytes(pdf.output()))
    return buf.getvalue()


def once(upload, pages):
    app, folder = fresh_app("pdf", JOBS_SYNC=True)
    with app.app_context():
        org = accounts.get_or_create_organisation("bench", "Bench")
        c = campaigns.create_campaign(org.id, None, {"title": "PDF", "kind": "transcription", "redundancy": 3,
                                                     "settings": {"fields": demo_documents.FIELDS}})
        db.session.commit()
        held = []
        real_start = transcripts.jobs.start
        transcripts.jobs.start = lambda name, cid, params: held.append(params)  # time the request alone
        try:
            t0 = time.perf_counter()
            n = campaigns.import_tasks(c, "reports.zip", upload)
            db.session.commit()
            request_s = time.perf_counter() - t0
        finally:
            transcripts.jobs.start = real_start
        assert n == pages, (n, pages)
        t0 = time.perf_counter()
        job = transcripts.jobs.start(transcripts.RENDER, c.id, held[0])
        render_s = time.perf_counter() - t0
        db.session.expire_all()
        available = db.session.execute(select(func.count()).select_from(Task).where(
            Task.campaign_id == c.id, Task.available == True)).scalar_one()  # noqa: E712
        assert available == pages and job.result["pages"] == pages, (available, job.result)
        jpeg_bytes = sum(os.path.getsize(os.path.join(root, f)) for root, _d, files in os.walk(folder)
                         for f in files if f.endswith(".jpg"))
    return request_s, render_s, jpeg_bytes / pages


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="40 pages instead of 500")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    n_docs, per_doc = (4, 10) if args.quick else (10, 50)
    pages = n_docs * per_doc
    upload = documents(n_docs, per_doc)
    runs = [once(upload, pages) for _ in range(1 if args.quick else args.repeat)]
    request_s = statistics.median(r[0] for r in runs)
    render_s = statistics.median(r[1] for r in runs)
    out = {"benchmark": "pdf", "pages": pages, "documents": n_docs, "upload_mb": round(len(upload) / 1e6, 2),
           "import_request_s": round(request_s, 3), "render_s": round(render_s, 2),
           "pages_rendered_per_s": round(pages / render_s, 1),
           "jpeg_kb_per_page": round(statistics.median(r[2] for r in runs) / 1000, 1),
           "repetitions": len(runs), "cpus": os.cpu_count()}
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    sys.exit(0 if main() else 1)

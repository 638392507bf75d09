"""PDF uploads for transcription: per-file problems (encrypted, corrupt, not a PDF, too long, too
large), ZIP safety (paths, bombs, lying sizes, limits), and page rendering."""
import io
import zipfile

import pytest
from PIL import Image

from citizen.ingest import archives, pdfs
from tests.pdf_samples import encrypted_pdf, make_pdf, zip_of


def messages(problems):
    return {p["file"]: p["message"] for p in problems}


def test_one_pdf_is_counted():
    docs, problems = pdfs.documents_from_upload("Report March.pdf", make_pdf(3))
    assert [(name, pages) for name, _data, pages in docs] == [("Report_March.pdf", 3)] and problems == []


# Named ids: the PDFs' bytes (a creation date, a random id) differ between pytest-xdist workers, which must
# collect the same tests.
@pytest.mark.parametrize("data, message", [
    (encrypted_pdf(), "protected by a password"),
    (make_pdf(2)[:400], "damaged"),
    (b"%PDF-1.7\n" + b"\0" * 500, "damaged"),
    (b"hello, I am a text file", "not a PDF"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "not a PDF"),
    (make_pdf(4), "4 pages: at most 3"),
], ids=["encrypted", "truncated", "zeros", "text", "png", "too-many-pages"])
def test_bad_single_files(data, message):
    docs, problems = pdfs.documents_from_upload("upload.pdf", data, max_pages=3)
    assert docs == [] and message in problems[0]["message"], problems


def test_owner_password_only_opens():
    """A PDF restricted by an owner password alone (print/copy limits) opens without one."""
    from fpdf import FPDF
    pdf = FPDF()
    pdf.add_page()
    pdf.set_encryption(owner_password="owner")
    assert pdfs.page_count(bytes(pdf.output()), 10) == 1


def test_zip_keeps_good_files_and_reports_each_bad_one():
    data = zip_of([("march/a.pdf", make_pdf(2)), ("locked.pdf", encrypted_pdf()), ("../../etc/evil.pdf", make_pdf(1)),
                   ("/abs.pdf", make_pdf(1)), ("C:/win.pdf", make_pdf(1)), ("notes.txt", b"hi"), ("april/a.pdf", make_pdf(1)),
                   ("__MACOSX/march/._a.pdf", b"fork"), (".hidden.pdf", make_pdf(1))])
    docs, problems = pdfs.documents_from_upload("batch.zip", data)
    assert [(n, p) for n, _d, p in docs] == [("a.pdf", 2), ("a-2.pdf", 1)]
    found = messages(problems)
    assert "password" in found["locked.pdf"] and "not a PDF" in found["notes.txt"]
    for evil in ("../../etc/evil.pdf", "/abs.pdf", "C:/win.pdf"):
        assert "unsafe path" in found[evil]
    assert [p["line"] for p in problems] == sorted(p["line"] for p in problems)


def test_zip_bomb_and_oversized_members_are_refused():
    bomb = b"%PDF-1.4\n" + b"\0" * 20_000_000  # deflates about 1000-fold
    docs, problems = pdfs.documents_from_upload("b.zip", zip_of([("ok.pdf", make_pdf(1)), ("bomb.pdf", bomb)]))
    assert [n for n, _d, _p in docs] == ["ok.pdf"] and "suspiciously well" in messages(problems)["bomb.pdf"]
    big = make_pdf(1) + b"%" + b"x" * 3000
    docs, problems = pdfs.documents_from_upload("b.zip", zip_of([("big.pdf", big)], zipfile.ZIP_STORED), max_bytes=2000)
    assert docs == [] and "larger than" in messages(problems)["big.pdf"]


def test_member_lying_about_its_size_is_read_with_a_cap():
    data = bytearray(zip_of([("a.pdf", make_pdf(1)), ("liar.pdf", b"%PDF-" + b"\0" * 3_000_000)]))
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("liar.pdf")
    for offset in (info.header_offset + 22, data.rfind(b"PK\x01\x02") + 24):
        data[offset:offset + 4] = (1000).to_bytes(4, "little")
    docs, problems = pdfs.documents_from_upload("liar.zip", bytes(data), max_bytes=2_000_000)
    assert [n for n, _d, _p in docs] == ["a.pdf"] and problems[0]["file"] == "liar.pdf"


def test_upload_level_limits():
    with pytest.raises(pdfs.PdfProblem, match="holds 3 files: upload at most 2"):
        pdfs.documents_from_upload("p.zip", zip_of([(f"{i}.pdf", make_pdf(1)) for i in range(3)]), max_files=2)
    with pytest.raises(pdfs.PdfProblem, match="not a valid zip"):
        pdfs.documents_from_upload("p.zip", b"PK\x03\x04 broken")
    docs, problems = pdfs.documents_from_upload("p.zip", zip_of([(f"{i}.pdf", make_pdf(2)) for i in range(3)]),
                                                max_total_pages=5)
    assert len(docs) == 2 and "at most 5 pages in all" in problems[0]["message"]


def test_archive_helper_is_shared_with_photos():
    members, errors = archives.read_members("x.zip", zip_of([("a/b.txt", b"1"), ("../c", b"2")]), 10, 100, 1000)
    assert members == [(1, "a/b.txt", b"1")] and errors[0]["file"] == "../c"
    assert archives.unique("a.pdf", {"a.pdf"}) == "a-2.pdf" and archives.safe_name("../é x.pdf") == "_x.pdf"


def test_pages_render_to_jpeg_in_order():
    pages = list(pdfs.render_pages(make_pdf(5), chunk=2))
    assert [p[0] for p in pages] == [0, 1, 2, 3, 4]
    index, jpeg, width, height = pages[2]
    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG" and image.size == (width, height) and height == pdfs.MAX_SIDE
    assert [p[0] for p in pdfs.render_pages(make_pdf(5), [4, 1])] == [4, 1]

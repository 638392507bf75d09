"""Small PDFs made on the spot for the transcription tests (fpdf2): plain, encrypted, zipped."""
import io
import zipfile

from fpdf import FPDF


def make_pdf(pages=1, text="Expense report"):
    pdf = FPDF(format="A4")
    for i in range(pages):
        pdf.add_page()
        pdf.set_font("helvetica", size=14)
        pdf.text(20, 30, f"{text}, page {i + 1}")
    return bytes(pdf.output())


def encrypted_pdf():
    """A PDF that needs a password to open (RC4, fpdf2's built-in encryption)."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.text(20, 30, "Confidential")
    pdf.set_encryption(owner_password="owner", user_password="secret")
    return bytes(pdf.output())


def zip_of(members, compression=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buf.getvalue()

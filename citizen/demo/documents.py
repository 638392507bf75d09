"""Expense reports for the demo transcription campaign, made here with fpdf2 and Pillow (nothing is
downloaded): typed reports, and one page that looks scanned (the report drawn as a slightly
rotated, noisy greyscale picture, embedded as an image page).

Every report has the same layout, so the campaign's fields can point at where each value is."""
import io
import random
import zipfile

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFilter, ImageFont

# name | Label | type | options | help (see citizen.kinds._shared.fields)
FIELDS = """employee | Employee | text | region=0.05,0.12,0.62,0.2 | The person who filed the report
date | Report date | date | region=0.05,0.12,0.62,0.2 | As written on the report; any format is fine
total | Total claimed | money | region=0.5,0.5,0.96,0.58 | The amount on the TOTAL line, as written
category | Main category | choice: Travel, Meals, Office, Other | region=0.05,0.22,0.96,0.5 | The category with the largest amount
approver | Approved by | text | optional region=0.05,0.8,0.7,0.9 | The name on the signature line; tick "not on this page" when nobody signed"""

REPORTS = [
    {"employee": "Amina Diallo", "date": "12/03/2024", "approver": "Carlos Mendes",
     "items": [("Train to Lyon", "Travel", "89.50"), ("Hotel, 2 nights", "Travel", "212.00"),
               ("Dinner with partners", "Meals", "64.30")]},
    {"employee": "Jonas Becker", "date": "28 March 2024", "approver": "",
     "items": [("Printer toner", "Office", "45.99"), ("Paper, 10 reams", "Office", "38.00"),
               ("Taxi to the warehouse", "Travel", "23.40"), ("Lunch, volunteers", "Meals", "51.75")]},
    {"employee": "Li Wei", "date": "2024-04-03", "approver": "Carlos Mendes",
     "items": [("Flight to Nairobi", "Travel", "1,184.20"), ("Visa fee", "Other", "50.00"),
               ("Airport transfer", "Travel", "32.00")]},
    {"employee": "Sofia Rossi", "date": "April 15, 2024", "approver": "Amina Diallo",
     "items": [("Workshop catering", "Meals", "310.00"), ("Projector rental", "Office", "95.00")]},
    {"employee": "Kwame Mensah", "date": "22.04.2024", "approver": "Carlos Mendes",  # the scanned one
     "items": [("Fuel, field visits", "Travel", "146.80"), ("Tyre repair", "Travel", "60.00"),
               ("Water and snacks", "Meals", "18.25")]},
]


def _total(report):
    return sum(float(amount.replace(",", "")) for _d, _c, amount in report["items"])


def _lines(report):
    """The report as (x mm, y mm, text, size, bold) on an A4 page: one source for PDF and scan."""
    out = [(15, 18, "EXPENSE REPORT", 18, True), (140, 18, "Demo NGO", 11, False),
           (15, 40, f"Employee: {report['employee']}", 12, False), (15, 50, f"Date: {report['date']}", 12, False),
           (15, 72, "Description", 11, True), (110, 72, "Category", 11, True), (165, 72, "Amount", 11, True)]
    y = 82
    for description, category, amount in report["items"]:
        out += [(15, y, description, 11, False), (110, y, category, 11, False), (165, y, amount, 11, False)]
        y += 10
    out.append((110, 160, f"TOTAL   {_total(report):,.2f}", 13, True))
    signed = report["approver"] or "_______________________"
    out.append((15, 250, f"Approved by: {signed}", 12, False))
    out.append((15, 282, "Keep receipts for seven years.", 8, False))
    return out


def _typed_page(pdf, report):
    pdf.add_page()
    for x, y, text, size, bold in _lines(report):
        pdf.set_font("helvetica", "B" if bold else "", size)
        pdf.text(x, y, text)
    pdf.set_line_width(0.3)
    pdf.line(15, 75, 195, 75)
    pdf.line(110, 152, 195, 152)


def _scanned_image(report, seed=3, dpi=110):
    """The report as a photocopy: greyish paper, ink bleed, a slight rotation, speckles."""
    px = dpi / 25.4
    width, height = int(210 * px), int(297 * px)
    img = Image.new("L", (width, height), 236)
    draw = ImageDraw.Draw(img)
    for x, y, text, size, bold in _lines(report):
        font = ImageFont.load_default(size=int(size * px * 0.36))
        draw.text((x * px, y * px - size * px * 0.3), text, fill=25, font=font, stroke_width=1 if bold else 0,
                  stroke_fill=25)
    draw.line([(15 * px, 75 * px), (195 * px, 75 * px)], fill=40, width=2)
    rnd = random.Random(seed)
    for _ in range(2500):  # dust and toner specks
        x, y = rnd.randrange(width), rnd.randrange(height)
        draw.point((x, y), fill=rnd.randrange(60, 200))
    img = img.filter(ImageFilter.GaussianBlur(0.7)).rotate(1.3, resample=Image.Resampling.BICUBIC, fillcolor=200)
    noise = Image.effect_noise((width, height), 18)
    return Image.blend(img, noise.convert("L"), 0.12)


def _scanned_page(pdf, report):
    pdf.add_page()
    buf = io.BytesIO()
    _scanned_image(report).save(buf, "JPEG", quality=70)
    buf.seek(0)
    pdf.image(buf, x=0, y=0, w=210, h=297)


def expense_pdf(reports, scanned=()):
    """A PDF with one page per report; reports whose index is in `scanned` look scanned."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_creator("citizen demo")
    for i, report in enumerate(reports):
        (_scanned_page if i in scanned else _typed_page)(pdf, report)
    return bytes(pdf.output())


def expense_zip():
    """The demo upload: two typed reports per month and a scanned one, as a ZIP of three PDFs."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("expenses-2024-03.pdf", expense_pdf(REPORTS[0:2]))
        zf.writestr("expenses-2024-04.pdf", expense_pdf(REPORTS[2:4]))
        zf.writestr("scanned/expenses-field-office.pdf", expense_pdf(REPORTS[4:5], scanned={0}))
    return buf.getvalue()


def expected(report):
    """What volunteers should agree on for a report (tests and the demo's own check)."""
    amounts = {}
    for _d, category, amount in report["items"]:
        amounts[category] = amounts.get(category, 0) + float(amount.replace(",", ""))
    return {"employee": report["employee"], "total": round(_total(report), 2),
            "category": max(amounts, key=amounts.get), "approver": report["approver"] or None}

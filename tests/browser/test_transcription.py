"""PDF transcription in real Chromium: a guest transcribes two pages of an expense-report PDF (one
with the keyboard only), their answer is the third on a page and makes its total verified, and the
organiser's results table shows it. Screenshots of the work page at desktop and phone sizes are
kept with pytest-playwright's artefacts: test-results/<test>/ (or --output DIR)."""
import os

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from citizen.demo import documents as demo_documents
from citizen.campaigns import results as results_svc
from citizen.campaigns import services as campaigns
from citizen.campaigns.models import Answer, Task
from citizen.extensions import db
from tests.browser.conftest import PHONE
from tests.browser.pages import ManagePage, SignIn, WorkPage, settle

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PASSWORD = "a-known-password"


@pytest.fixture
def expenses(app, org, make_user):
    """A published campaign of two report pages, each already answered twice elsewhere with totals
    that disagree; returns (slug, organiser e-mail)."""
    user = make_user(email="olu@example.org", role="organiser", password=PASSWORD, name="Olu")
    c = campaigns.create_campaign(org.id, user, {
        "title": "Transcribe expense reports", "kind": "transcription", "redundancy": 3,
        "settings": {"fields": demo_documents.FIELDS, "agree": 2, "max_answers": 5},
        "quality": {"min_ms": 0}})  # a test types faster than a person reads: every answer counts
    campaigns.import_tasks(c, "expenses.pdf", demo_documents.expense_pdf(demo_documents.REPORTS[:2]))
    campaigns.publish(c)
    tasks = db.session.execute(select(Task.id, Task.payload).where(Task.campaign_id == c.id)).all()
    paper = []
    for task_id, payload in tasks:
        report = demo_documents.REPORTS[payload["page"] - 1]
        for who, total in (("sheet-a", "365.80"), ("sheet-b", "365.00")):
            paper.append({"task_id": task_id, "contributor": who, "value": {"fields": {
                "employee": report["employee"], "date": report["date"], "total": total, "category": "Travel",
                "approver": report["approver"] or None}}})
    results_svc.import_answers(c, paper)
    db.session.commit()
    slug, email = c.slug, user.email
    db.session.close()  # SQLite: a session left in a transaction would hold the write lock
    return slug, email


def shoot(page, output_path, name):
    settle(page)
    page.wait_for_timeout(300)
    os.makedirs(output_path, exist_ok=True)
    path = os.path.join(output_path, f"{name}.png")
    page.screenshot(path=path)
    print("screenshot:", path)


def test_guest_transcribes_two_pages_and_verifies_a_total(page, expenses, output_path, browser):
    slug, email = expenses
    page.set_viewport_size(DESKTOP)
    work = WorkPage(page).open(slug)
    page.wait_for_function(WorkPage.TRANSCRIPTION_READY)  # the page image has arrived and the form can be used
    expect(page.get_by_label("Employee")).to_be_focused()  # keyboard users type at once
    expect(work.document_regions).to_have_count(5)  # the fields' regions
    form, image = work.form.bounding_box(), work.document.bounding_box()
    assert form["x"] >= image["x"] + image["width"] - 1, (form, image)  # beside the page on a desktop
    shoot(page, output_path, "work-transcription-desktop")
    first = work.where.inner_text()
    report = demo_documents.REPORTS[int(first.rsplit(" ", 1)[1]) - 1]

    # Keyboard only: type, Tab to the next field, Space ticks "not on this page", Enter sends.
    kb = page.keyboard
    kb.type(report["employee"])
    kb.press("Tab")
    kb.type(report["date"])
    kb.press("Tab")
    kb.type("365,80")
    kb.press("Tab")
    kb.type("T")  # a focused select jumps to the first choice starting with T: Travel
    kb.press("Tab")
    if report["approver"]:
        kb.type(report["approver"])
    else:
        kb.press("Tab")
        kb.press("Space")
        expect(page.get_by_label("Approved by")).to_be_disabled()
    kb.press("Enter")
    work.expect_done(1)
    second = work.next_document_page(first)
    assert second != first

    # The other page with the mouse; a mistake first: the server names the field.
    other = demo_documents.REPORTS[int(second.rsplit(" ", 1)[1]) - 1]
    page.get_by_label("Employee").fill(other["employee"])
    page.get_by_label("Report date").fill("the 45th")
    page.get_by_label("Total claimed").fill("365.80")
    page.get_by_label("Main category").select_option("Travel")
    if other["approver"]:
        page.get_by_label("Approved by").fill(other["approver"])
    else:
        page.get_by_label("Not on this page").check()
    page.get_by_role("button", name="Submit").click()
    expect(work.message).to_contain_text("Report date")
    page.get_by_label("Report date").fill(other["date"])
    page.get_by_role("button", name="Submit").click()
    work.expect_done(2)
    expect(page.get_by_role("heading", name="All done here!")).to_be_visible()

    rows = db.session.execute(select(Answer.value).where(Answer.source != "import")).scalars().all()
    db.session.close()
    assert sorted(v["fields"]["total"] for v in rows) == [365.8, 365.8]

    # The organiser's results: the third answer made each total verified.
    organiser = browser.new_context(base_url=page.url.split("/campaigns/")[0])
    try:
        op = organiser.new_page()
        SignIn(op).sign_in(email, PASSWORD)
        table = ManagePage(op).open(slug).results_table
        expect(table.locator("tbody tr")).to_have_count(2)
        totals = table.locator("td[data-field=total]")
        for i in range(2):
            expect(totals.nth(i)).to_contain_text("365.8")
            expect(totals.nth(i)).to_contain_text("verified")
            expect(totals.nth(i)).to_have_class("tx-verified")
        href = table.locator("tbody tr").first.locator("th a").get_attribute("href")
        assert href.startswith("/media/") and href.endswith(".jpg")
    finally:
        organiser.close()


def test_work_page_on_a_phone(phone, expenses, output_path):
    slug, _email = expenses
    work = WorkPage(phone).open(slug)
    phone.wait_for_function(WorkPage.TRANSCRIPTION_READY)
    width = PHONE["width"]
    image, form = work.document.bounding_box(), work.form.bounding_box()
    assert image["width"] >= width * 0.9 and image["height"] >= 300, image
    assert form["y"] >= image["y"] + image["height"] - 1  # the form below the page
    assert phone.evaluate("document.documentElement.scrollWidth") <= width
    expect(phone.get_by_label("Employee")).not_to_be_focused()  # no keyboard popping up over the page
    shoot(phone, output_path, "work-transcription-phone")
    phone.get_by_label("Employee").scroll_into_view_if_needed()
    submit = phone.get_by_role("button", name="Submit").bounding_box()
    assert submit["height"] >= 44 and submit["width"] >= width * 0.8
    # Typing: the page stays in view above the field, and the field above the sticky Submit, for every field.
    fields = phone.locator(".tx-field input[type=text]")
    for i in range(fields.count()):
        fields.nth(i).focus()
        phone.wait_for_timeout(100)
        page, field = work.document.bounding_box(), fields.nth(i).bounding_box()
        submit = phone.get_by_role("button", name="Submit").bounding_box()
        assert page["y"] >= -1 and page["height"] >= 140, (i, page)  # held at the top of the screen
        assert field["y"] >= page["y"] + page["height"] - 1, (i, field, page)
        assert field["y"] + field["height"] <= min(submit["y"], PHONE["height"]) + 1, (i, field, submit)
    fields.first.type("Ana")
    shoot(phone, output_path, "work-transcription-phone-typing")

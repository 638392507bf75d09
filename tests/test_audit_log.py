"""The audit log as people read it (issue 19): moderators read their own organisation's entries (never another's,
never the alert settings' secrets), and before/after is shown as readable differences, not raw JSON."""
import csv
import io

from citizen.accounts import audit
from citizen.accounts import services as accounts
from citizen.extensions import db
from citizen.moderation.audit_display import differences
from tests.helpers import html, signed_in


def _entries(org, organiser):
    audit.record(organiser, org.id, "close", "campaign", 7, before={"status": "published"}, after={"status": "closed"})
    audit.record(organiser, org.id, "alert_settings", "organisation", org.slug, "", None,
                 {"webhook_url": "https://hooks.example.org/SECRET-TOKEN", "emails": "alerts@example.org",
                  "secret_changed": True})
    audit.record(organiser, org.id, "change_role", "member", 3, before={"member": "Mo", "roles": ["moderator"]},
                 after={"member": "Mo", "roles": ["organiser"]})
    db.session.commit()


def test_moderators_read_their_organisations_entries_as_differences(app, org, organiser, make_user):
    make_user("mod@example.org", "moderator")
    elsewhere = accounts.get_or_create_organisation("other-org", "Other Org")
    audit.record(organiser, elsewhere.id, "close", "campaign", 99, before={"status": "published"},
                 after={"status": "closed"}, reason="Not yours to read")
    _entries(org, organiser)
    mod = signed_in(app, "mod@example.org")
    page = html(mod.get("/moderation/audit"))
    assert "Not yours to read" not in page and 'href="/moderation/audit?org=test-org"' in page  # in the nav
    assert "<del>published</del>" in page and "<ins>closed</ins>" in page and "Status" in page
    assert "<del>moderator</del>" in page and "<ins>organiser</ins>" in page and "changed a role" in page
    assert ">Mo</td>" in page  # the member by name, not "member 3"
    assert "{&#34;" not in page and '{"' not in page  # no raw JSON
    assert "SECRET-TOKEN" not in page and "alerts@example.org" not in page and "hidden: organisers only" in page
    assert mod.get("/moderation/audit?org=other-org").status_code == 403
    rows = list(csv.DictReader(io.StringIO(mod.get("/moderation/audit.csv").get_data(as_text=True))))
    assert [r["action"] for r in rows] == ["close", "alert_settings", "change_role"]
    assert "SECRET-TOKEN" not in rows[1]["after"] and "hidden" in rows[1]["after"]
    boss = signed_in(app, organiser.email)
    assert "SECRET-TOKEN" in html(boss.get("/moderation/audit"))  # organisers see what they set
    assert "SECRET-TOKEN" in boss.get("/moderation/audit.csv").get_data(as_text=True)


def test_differences_are_readable():
    assert differences({"status": "published"}, {"status": "closed"}) == [
        {"field": "Status", "before": "published", "after": "closed", "change": "changed"}]
    rows = differences(None, {"override": {"answer": "no", "marks": None}, "tasks": ["t1", "t2"], "ok": True})
    assert [(r["field"], r["after"], r["change"]) for r in rows] == [
        ("Override › Answer", "no", "added"), ("Override › Marks", "—", "added"), ("Tasks", "t1, t2", "added"),
        ("Ok", "yes", "added")]
    assert differences({"suspended": True, "note": "x"}, {"suspended": False})[1]["change"] == "removed"
    same = differences({"member": "Mo"}, {"member": "Mo"})
    assert same == [{"field": "Member", "before": "Mo", "after": "Mo", "change": "same"}]
    long = differences(None, {"reason": "x" * 5000, "ids": list(range(100))})
    assert len(long[0]["after"]) == 200 and long[1]["after"].endswith("(+80)")
    assert differences(None, None) == []
    joined = differences({"member": "Mo", "roles": []}, {"member": "Mo", "roles": ["moderator"]})
    assert joined == [{"field": "Roles", "before": "—", "after": "moderator", "change": "added"}]
    assert differences({"roles": ["organiser"]}, {"roles": []})[0]["change"] == "removed"
    assert differences(None, {"webhook_url": "https://x/secret"}, organiser=False)[0]["after"] == \
        "hidden: organisers only"

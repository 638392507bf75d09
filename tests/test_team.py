"""The team page (issue 19): organisers invite organisers and moderators by a one-time code or link (stored hashed,
expiring, single use; e-mailed only when a mail server is configured), people accept it after signing in or
registering, organisers change roles and remove people (never the last organiser), each change in the audit log,
and every form is CSRF-checked."""
import re
import smtplib
from datetime import timedelta

import pytest
from sqlalchemy import select

from citizen.accounts.audit import AuditLog
from citizen.accounts.models import Membership, User
from citizen.extensions import db
from citizen.team import services as team
from citizen.team.models import Invitation
from tests.helpers import count, html, sign_in, signed_in

LINK = re.compile(r'value="(https?://[^"]*/team/join\?code=([A-Z0-9]+))"')


def _invite(client, role="moderator", email="", status=200):
    r = client.post("/team/invite", data={"role": role, "email": email})
    page = html(r, status)
    found = LINK.search(page)
    return (found.group(1), found.group(2), page) if found else (None, None, page)


def _entries(action):
    return db.session.execute(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).scalars().all()


def _roles(email, org):
    db.session.expire_all()
    user = db.session.execute(select(User).where(User.email == email)).scalar_one()
    return sorted(user.role_in(org.id))


def test_an_organiser_invites_a_moderator_who_registers_and_joins(app, client, organiser, org):
    sign_in(client, organiser.email)
    assert "Invite someone" in html(client.get("/team/"))
    link, code, page = _invite(client, "moderator")
    assert link.startswith("http://localhost/team/join?code=")  # PUBLIC_URL's origin, not the request's Host
    assert "It is shown only now" in page and "This site sends no e-mail" in page
    inv = db.session.execute(select(Invitation)).scalar_one()
    assert code not in (inv.code_hash, inv.email) and len(inv.code_hash) == 64  # only the hash is kept
    assert _entries("invite")[0].after["role"] == "moderator"

    newcomer = app.test_client()
    page = html(newcomer.get(f"/team/join?code={code}"))
    assert "You are invited to join Test Org as moderator." in page and "Create an account" in page
    r = newcomer.post(f"/account/register?next=/team/join%3Fcode%3D{code}",
                      data={"name": "Mo", "email": "mo@example.org", "password": "long enough"})
    r = newcomer.post(r.headers["Location"], data={"email": "mo@example.org", "password": "long enough"})
    assert r.headers["Location"].endswith(f"/team/join?code={code}")
    assert "Join Test Org" in html(newcomer.get(f"/team/join?code={code}"))
    assert count(Invitation, Invitation.used_at.is_(None)) == 1  # looking spends nothing
    r = newcomer.post("/team/join", data={"code": code.lower()[:4] + "-" + code.lower()[4:]})  # as typed
    assert r.status_code == 302 and "/moderation/" in r.headers["Location"]
    assert _roles("mo@example.org", org) == ["moderator"]
    joined = _entries("join")[0]
    assert joined.after["roles"] == ["moderator"] and joined.user_name == "Mo"
    # Single use: the same code again (by anyone) does nothing.
    other = signed_in(app, organiser.email)
    r = other.post("/team/join", data={"code": code}, follow_redirects=True)
    assert "does not work" in r.get_data(as_text=True) and _roles(organiser.email, org) == ["organiser"]


def test_codes_expire_can_be_withdrawn_and_unknown_ones_say_nothing_more(app, client, organiser, make_user):
    make_user("vera@example.org")
    sign_in(client, organiser.email)
    _link, code, _page = _invite(client, "organiser")
    _link, code2, _page = _invite(client, "moderator")
    inv = db.session.execute(select(Invitation).where(Invitation.role == "organiser")).scalar_one()
    inv.expires_at = inv.expires_at - timedelta(days=8)
    db.session.commit()
    vera = signed_in(app, "vera@example.org")
    for bad in (code, "AAAA-BBBB-CCCC-DDDD", "x" * 5000, "<script>"):
        assert "does not work" in html(vera.get("/team/join", query_string={"code": bad}), 404)
        r = vera.post("/team/join", data={"code": bad}, follow_redirects=True)
        assert "does not work" in r.get_data(as_text=True)
    inv2 = db.session.execute(select(Invitation).where(Invitation.role == "moderator")).scalar_one()
    client.post(f"/team/invitations/{inv2.id}/withdraw", data={"org": "test-org"})
    assert "does not work" in html(vera.get(f"/team/join?code={code2}"), 404)
    assert count(Membership, Membership.user_id == db.session.execute(
        select(User.id).where(User.email == "vera@example.org")).scalar_one()) == 0
    assert len(_entries("withdraw_invitation")) == 1


def test_invitation_e_mail_is_sent_only_with_a_mail_server(make_app, make_user, monkeypatch):
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            sent.append({"host": host})

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def send_message(self, msg):
            sent[-1]["to"], sent[-1]["body"] = msg["To"], msg.get_content()

    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    app = make_app(MAIL_SERVER="mail.example.org", PUBLIC_URL="https://citizen.example.org")
    with app.app_context():
        from citizen.accounts import services as accounts
        org = accounts.get_or_create_organisation("ngo", "NGO")
        accounts.grant(accounts.register_user("boss@example.org", "Boss", "password123"), org, "organiser")
        db.session.commit()
        client = signed_in(app, "boss@example.org")
        link, _code, page = _invite(client, "moderator", "helper@example.org")
        assert "It was e-mailed to helper@example.org" in page
        assert sent[0]["to"] == "helper@example.org" and link in sent[0]["body"]
        assert link.startswith("https://citizen.example.org/team/join?code=")
        page = html(client.post("/team/invite", data={"role": "moderator", "email": "not an address"}), 422)
        assert "does not look like an e-mail address" in page and count(Invitation) == 1


def test_roles_change_and_people_are_removed_but_never_the_last_organiser(client, organiser, make_user, org):
    mod = make_user("mod@example.org", "moderator", name="Mod")
    sign_in(client, organiser.email)
    page = html(client.get("/team/"))
    assert "Mod" in page and "mod@example.org" not in page  # names only: addresses stay private
    r = client.post(f"/team/members/{mod.id}/role", data={"org": "test-org", "role": "organiser"},
                    follow_redirects=True)
    assert "Mod is now organiser." in r.get_data(as_text=True) and _roles("mod@example.org", org) == ["organiser"]
    change = _entries("change_role")[0]
    assert change.before == {"member": "Mod", "roles": ["moderator"]} and change.after["roles"] == ["organiser"]
    r = client.post(f"/team/members/{mod.id}/role", data={"org": "test-org", "role": "admin"}, follow_redirects=True)
    assert "Choose a role" in r.get_data(as_text=True) and _roles("mod@example.org", org) == ["organiser"]
    r = client.post(f"/team/members/{mod.id}/remove", data={"org": "test-org"}, follow_redirects=True)
    assert "Mod was removed from the team." in r.get_data(as_text=True) and _roles("mod@example.org", org) == []
    assert _entries("remove_member")[0].before["roles"] == ["organiser"]
    # Now the organiser is the only one: neither a demotion nor leaving is allowed.
    for path, data in ((f"/team/members/{organiser.id}/role", {"role": "moderator"}),
                       (f"/team/members/{organiser.id}/remove", {})):
        r = client.post(path, data={"org": "test-org", **data}, follow_redirects=True)
        assert "needs an organiser" in r.get_data(as_text=True)
        assert _roles(organiser.email, org) == ["organiser"]
    r = client.post(f"/team/members/{mod.id}/remove", data={"org": "test-org"}, follow_redirects=True)
    assert "not in this team" in r.get_data(as_text=True)


def test_only_organisers_of_the_organisation_manage_its_team(app, make_user, organiser):
    from citizen.accounts import services as accounts
    make_user("mod@example.org", "moderator")
    other_org = accounts.get_or_create_organisation("other", "Other")
    outsider = make_user("boss@example.org")
    accounts.grant(outsider, other_org, "organiser")
    db.session.commit()
    mod = signed_in(app, "mod@example.org")
    assert mod.get("/team/").status_code == 403
    assert mod.post("/team/invite", data={"role": "organiser"}).status_code == 403
    boss = signed_in(app, "boss@example.org")
    assert "Other" in html(boss.get("/team/")) and "organiser@example.org" not in html(boss.get("/team/"))
    assert boss.get("/team/?org=test-org").status_code == 403
    assert boss.post(f"/team/members/{organiser.id}/remove", data={"org": "test-org"}).status_code == 403
    assert boss.post(f"/team/members/{organiser.id}/remove", data={"org": "other"}).status_code == 302
    assert "organiser" in organiser.role_in(db.session.execute(
        select(Membership.organisation_id).where(Membership.user_id == organiser.id)).scalar_one())
    assert app.test_client().get("/team/").status_code == 302  # anonymous: to the sign-in page
    assert count(Invitation) == 0


@pytest.mark.parametrize("path", ["/team/invite", "/team/join", "/team/members/1/role", "/team/members/1/remove",
                                  "/team/invitations/1/withdraw"])
def test_every_team_form_is_csrf_checked(make_app, path):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        from citizen.accounts import services as accounts
        org = accounts.get_or_create_organisation("ngo", "NGO")
        accounts.grant(accounts.register_user("boss@example.org", "Boss", "password123"), org, "organiser")
        db.session.commit()
        client = app.test_client()
        login = html(client.get("/account/login"))
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
        client.post("/account/login", data={"email": "boss@example.org", "password": "password123",
                                            "csrf_token": token})
        r = client.post(path, data={"role": "moderator", "org": "ngo", "code": "A" * 16})
        assert r.status_code == 400 and count(Invitation) == 0 and count(AuditLog) == 0


def test_code_format():
    code = team.new_code()
    assert team.clean_code(team.show_code(code).lower()) == code and team.clean_code(code + "A") is None
    assert team.clean_code("O" * 16) is None  # not in the alphabet: never issued

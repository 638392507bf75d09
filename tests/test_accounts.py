"""Sessions, tokens, guests and the guest limit (issue 15, 4b): sign-out and a new password end every session
(session and remember-me cookies replayed afterwards open nothing); API tokens expire, are listed and revoked (page
and CLI); a guest whose person registered no longer acts as the account; sign-in costs a password check for
unknown e-mails too; the guest limit counts IPv6 per /64, says when to retry, and an event code lifts it."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from citizen.accounts import events
from citizen.accounts import services as accounts
from citizen.accounts.models import ApiToken, Contributor, EventCode, User, utcnow
from citizen.campaigns.models import Answer
from citizen.extensions import db
from tests.helpers import count, guest_id, html, sign_in


def _cookie(client, name):
    c = client.get_cookie(name)
    return c.value if c else None


def _signed_in_as(app, cookies):
    """A fresh browser holding only these cookies: does /organise/ open (200), or send it to sign in (302)?"""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    r = other.get("/organise/")
    assert r.status_code in (200, 302), r.status_code
    return r.status_code == 200


# --- 1. Sign-out and password change end every session ---------------------------------------------------------

def test_old_session_and_remember_cookies_open_nothing_after_sign_out(app, client, organiser):
    sign_in(client, organiser.email)
    old_session, old_remember = _cookie(client, "session"), _cookie(client, "remember_token")
    assert old_session and old_remember
    assert _signed_in_as(app, {"session": old_session}) and _signed_in_as(app, {"remember_token": old_remember})
    other_device = app.test_client()
    sign_in(other_device, organiser.email)
    assert other_device.get("/organise/").status_code == 200

    assert client.post("/account/logout").status_code == 302
    assert not _signed_in_as(app, {"session": old_session})
    assert not _signed_in_as(app, {"remember_token": old_remember})
    assert not _signed_in_as(app, {"session": old_session, "remember_token": old_remember})
    assert other_device.get("/organise/").status_code == 302, "sign out is sign out everywhere"
    sign_in(client, organiser.email)
    assert client.get("/organise/").status_code == 200, "signing in again works"


def test_a_new_password_ends_other_sessions_and_keeps_this_one(app, client, organiser):
    sign_in(client, organiser.email)
    old_session, old_remember = _cookie(client, "session"), _cookie(client, "remember_token")
    other_device = app.test_client()
    sign_in(other_device, organiser.email)

    r = client.post("/account/password", data={"current": "wrong-one", "new": "a new password"})
    assert r.status_code == 422 and "not your current password" in r.get_data(as_text=True)
    assert _signed_in_as(app, {"session": old_session})

    r = client.post("/account/password", data={"current": "password123", "new": "a new password"})
    assert r.status_code == 302
    assert client.get("/organise/").status_code == 200, "this browser stays signed in"
    assert _signed_in_as(app, {"remember_token": _cookie(client, "remember_token")})
    assert not _signed_in_as(app, {"session": old_session})
    assert not _signed_in_as(app, {"remember_token": old_remember})
    assert other_device.get("/organise/").status_code == 302
    assert app.test_client().post("/account/login", data={"email": organiser.email,
                                                          "password": "password123"}).status_code == 200
    sign_in(app.test_client(), organiser.email, "a new password")


def test_session_ids_that_name_nobody(app, organiser):
    from citizen.accounts.services import user_for_session
    good = organiser.get_id()
    assert user_for_session(good).id == organiser.id
    for bad in (str(organiser.id), f"{organiser.id}:", f"{organiser.id}:x", f"{2**63}:{organiser.session_token}",
                f"-1:{organiser.session_token}", "", None, "x" * 10_000, good + "\x00"):
        assert user_for_session(bad) is None, bad


def test_cli_signs_out_and_sets_a_password(app, client, organiser):
    sign_in(client, organiser.email)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "sign-out", organiser.email]).exit_code == 0
    assert client.get("/organise/").status_code == 302
    result = runner.invoke(args=["users", "set-password", organiser.email], input="brand new pw\nbrand new pw\n")
    assert result.exit_code == 0, result.output
    sign_in(client, organiser.email, "brand new pw")


# --- 2. API tokens: expiry, list, revoke -------------------------------------------------------------------------

def _api(client, token):
    return client.post("/api/v1/campaigns", json={}, headers={"Authorization": f"Bearer {token}"})


def test_tokens_are_made_listed_and_revoked_on_the_account_page(app, client, organiser):
    sign_in(client, organiser.email)
    r = client.post("/account/tokens", data={"label": "nightly import", "days": "30"})
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    page = r.get_data(as_text=True)
    token = page.split('<code id="new-token">')[1].split("</code>")[0]
    assert token.startswith("ctz_")
    row = db.session.execute(select(ApiToken).where(ApiToken.label == "nightly import")).scalar_one()
    assert row.token_hash != token and token not in row.token_hash
    assert timedelta(days=29) < row.expires_at - utcnow() <= timedelta(days=30)
    db.session.rollback()

    assert _api(app.test_client(), token).status_code == 422, "a valid organiser token passes authorisation"
    listing = html(client.get("/account/"))
    assert "nightly import" in listing and token not in listing, "the secret is never shown again"
    assert "active" in listing

    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).last_used_at is not None, "last use is kept"
    db.session.rollback()
    assert client.post(f"/account/tokens/{row.id}/revoke").status_code == 302
    r = _api(app.test_client(), token)
    assert r.status_code == 401 and r.get_json()["code"] == "token_revoked" and "revoked" in r.get_json()["message"]
    assert "revoked" in html(client.get("/account/"))


@pytest.mark.parametrize("days", ["0", "366", "-1", str(2**63), "abc", "9" * 5000])
def test_token_lifetime_is_bounded(client, organiser, days):
    sign_in(client, organiser.email)
    assert client.post("/account/tokens", data={"label": "x", "days": days}).status_code == 422
    assert count(ApiToken) == 0
    with pytest.raises(accounts.InvalidInput):
        accounts.create_api_token(organiser, "x", days)


def test_nobody_revokes_someone_elses_token(app, client, organiser, make_user):
    token = accounts.create_api_token(organiser, "mine")
    db.session.commit()
    token_id = db.session.execute(select(ApiToken.id)).scalar_one()
    make_user("other@example.org", "organiser")
    sign_in(client, "other@example.org")
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 404
    assert _api(app.test_client(), token).status_code == 422


def test_an_expired_token_is_a_401_that_says_so(app, organiser):
    token = accounts.create_api_token(organiser, "old", days=1)
    db.session.execute(ApiToken.__table__.update().values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    r = _api(app.test_client(), token)
    assert r.status_code == 401 and r.get_json()["code"] == "token_expired" and "expired" in r.get_json()["message"]
    r = _api(app.test_client(), "ctz_" + "x" * 43)
    assert r.status_code == 401 and r.get_json()["code"] == "unauthorized"


def test_cli_makes_lists_and_revokes_tokens(app, organiser):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "token", organiser.email, "--label", "cron", "--days", "7"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert runner.invoke(args=["users", "token", organiser.email, "--days", "366"]).exit_code != 0
    listing = runner.invoke(args=["users", "tokens", organiser.email]).output
    assert "cron" in listing and "active" in listing and token not in listing
    token_id = listing.split("\t")[0]
    assert runner.invoke(args=["users", "revoke-token", token_id]).exit_code == 0
    assert "revoked" in runner.invoke(args=["users", "tokens", organiser.email]).output
    assert runner.invoke(args=["users", "revoke-token", str(2**31)]).exit_code != 0
    assert _api(app.test_client(), token).status_code == 401


# --- 3. A guest whose person registered no longer acts as the account ---------------------------------------------

def test_the_guest_cookie_of_someone_who_registered_is_no_longer_theirs(app, client, make_campaign):
    slug = make_campaign(tasks=3).slug
    first = client.post(f"/api/v1/campaigns/{slug}/tasks/next").get_json()["id"]
    assert client.post(f"/api/v1/tasks/{first}/answers", json={"value": "yes"}).status_code == 201
    assert client.post("/me", data={"display_name": "Gus the guest"}).status_code == 302
    assert "Gus the guest" in html(client.get("/me"))
    guest_cookie = _cookie(client, "session")
    guest = guest_id(client)
    client.post("/account/register", data={"name": "Gus", "email": "gus@example.org", "password": "password123"})
    sign_in(client, "gus@example.org")
    user = db.session.execute(select(User).where(User.email == "gus@example.org")).scalar_one()
    assert db.session.get(Contributor, guest).user_id == user.id
    db.session.rollback()

    replay = app.test_client()
    replay.set_cookie("session", guest_cookie)
    assert "Gus the guest" not in html(replay.get("/me")), "the old cookie shows nothing of the account"
    second = replay.post(f"/api/v1/campaigns/{slug}/tasks/next")
    with replay.session_transaction() as s:
        assert s.get("guest_id") != guest, "the old cookie does not carry the account's contributor"
    replay2 = app.test_client()
    replay2.set_cookie("session", guest_cookie)
    task = second.get_json()["id"] if second.status_code == 200 else first
    r = replay2.post(f"/api/v1/tasks/{task}/answers", json={"value": "no"})
    assert r.status_code == 401
    assert count(Answer, Answer.contributor_id == guest) == 1


def test_the_guest_token_of_someone_who_registered_is_refused(app, client, make_campaign, make_user):
    slug = make_campaign(tasks=3).slug
    token = app.test_client().post("/api/v1/guests").get_json()["token"]
    h = {"Authorization": f"Bearer {token}"}
    tid = client.get(f"/api/v1/campaigns/{slug}/tasks/next", headers=h).get_json()["id"]
    assert client.post(f"/api/v1/tasks/{tid}/answers", json={"value": "yes"}, headers=h).status_code == 201
    guest_id = accounts.guest_id_from_token(token)
    user = make_user("gus@example.org")
    accounts.adopt_guest(user, guest_id)  # what signing in does with the guest of this browser
    db.session.commit()
    r = client.get(f"/api/v1/campaigns/{slug}/tasks/next", headers=h)
    assert r.status_code == 401 and r.get_json()["code"] == "token_revoked"
    assert count(Answer, Answer.contributor_id == guest_id) == 1


def test_a_guest_not_adopted_keeps_working(app, client, make_campaign):
    slug = make_campaign(tasks=3).slug
    h = {"Authorization": "Bearer " + app.test_client().post("/api/v1/guests").get_json()["token"]}
    assert client.get(f"/api/v1/campaigns/{slug}/tasks/next", headers=h).status_code == 200


# --- 4. Sign-in costs the same for known and unknown e-mails ------------------------------------------------------

def test_sign_in_checks_a_password_hash_for_unknown_e_mails_too(client, make_user, monkeypatch):
    make_user("known@example.org")
    calls = []
    real = accounts.check_password_hash

    def spy(pwhash, password):
        calls.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(accounts, "check_password_hash", spy)
    for email in ("known@example.org", "unknown@example.org", "x" * 240 + "@example.org"):
        calls.clear()
        r = client.post("/account/login", data={"email": email, "password": "not the password"})
        assert r.status_code == 200 and "do not match an account" in r.get_data(as_text=True)
        assert len(calls) == 1, email
        assert calls[0].split("$")[0] == real.__globals__["generate_password_hash"]("x").split("$")[0], \
            "the dummy hash is made like real ones (same method and cost)"
    calls.clear()
    sign_in(client, "known@example.org")
    assert len(calls) == 1


# --- 5. The guest limit: per IPv4 address or IPv6 /64, Retry-After, event codes -------------------------------------

def test_address_keys():
    """What every limit counts (network.address_key, also the key of Flask-Limiter's limits)."""
    assert events.address_key("203.0.113.7") == "203.0.113.7"
    assert events.address_key("2001:db8:1:2:aaaa::1") == events.address_key("2001:db8:1:2:ffff:ffff:ffff:ffff")
    assert events.address_key("2001:db8:1:2::1") != events.address_key("2001:db8:1:3::1")
    assert events.address_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert events.address_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert events.address_key("fe80::1%eth0") == "fe80::/64"
    assert events.address_key(None) == "unknown" and len(events.address_key("x" * 1000)) == 64


@pytest.fixture
def limited(make_app, make_campaign, organiser):
    slug, email = make_campaign(tasks=20).slug, organiser.email
    db.session.commit()  # on SQLite every transaction holds the write lock: end this one before the app below
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", GUEST_RATE_LIMIT="2 per hour")
    return app, slug, email


def _from(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_the_guest_limit_counts_an_ipv6_64_once_and_says_when_to_retry(limited):
    app, slug, _email = limited
    with app.app_context():
        assert _from(app, "2001:db8:1:2::1").post("/api/v1/guests").status_code == 201
        assert _from(app, "2001:db8:1:2::2").post("/api/v1/guests").status_code == 201
        r = _from(app, "2001:db8:1:2:ffff::9").post("/api/v1/guests")
        assert r.status_code == 429 and r.get_json()["code"] == "rate_limited"
        assert 1 <= int(r.headers["Retry-After"]) <= 3600
        assert "minutes" in r.get_json()["message"] and "event code" in r.get_json()["message"]
        page = _from(app, "2001:db8:1:2::77").post("/wellbeing/preferences", data={})
        assert page.status_code == 429 and page.mimetype == "text/html" and page.headers["Retry-After"]
        assert "event code" in page.get_data(as_text=True)
        assert _from(app, "2001:db8:1:3::1").post("/api/v1/guests").status_code == 201, "another /64"


def test_an_event_code_lets_a_room_behind_one_address_in_up_to_its_maximum(limited):
    app, slug, email = limited
    with app.app_context():
        for _i in range(2):
            assert _from(app, "198.51.100.1").post("/api/v1/guests").status_code == 201
        assert _from(app, "198.51.100.1").post("/api/v1/guests").status_code == 429
        staff = app.test_client()
        sign_in(staff, email)
        r = staff.post(f"/organise/{slug}/event-codes", data={"max_guests": "3", "hours": "2"})
        assert r.status_code == 302
        code = db.session.execute(select(EventCode.code)).scalar_one()
        db.session.rollback()
        manage = html(staff.get(f"/organise/{slug}/"))
        assert f"/campaigns/{slug}?event={code}" in manage and "0 / 3" in manage

        # Two phones open the link and start; one script uses the API with the code.
        for _i in range(2):
            phone = _from(app, "198.51.100.1")
            assert phone.get(f"/campaigns/{slug}?event={code}").status_code == 200
            assert phone.post(f"/api/v1/campaigns/{slug}/tasks/next").status_code == 200
        assert _from(app, "198.51.100.1").post(f"/api/v1/guests?event={code.lower()}").status_code == 201
        # Full: the fourth falls back to the address limit, which is spent.
        late = _from(app, "198.51.100.1")
        late.get(f"/campaigns/{slug}?event={code}")
        assert late.post(f"/api/v1/campaigns/{slug}/tasks/next").status_code == 429
        db.session.expire_all()
        assert db.session.execute(select(EventCode.guests_made)).scalar_one() == 3
        db.session.rollback()
        assert "3 / 3" in html(staff.get(f"/organise/{slug}/"))


def test_an_ended_or_unknown_event_code_lifts_nothing(limited):
    app, slug, email = limited
    with app.app_context():
        campaign_id = db.session.execute(select(EventCode.campaign_id)).scalar()  # none yet
        assert campaign_id is None
        staff = app.test_client()
        sign_in(staff, email)
        staff.post(f"/organise/{slug}/event-codes", data={"max_guests": "50", "hours": "1"})
        row = db.session.execute(select(EventCode)).scalar_one()
        code, code_id = row.code, row.id
        db.session.rollback()
        assert staff.post(f"/organise/{slug}/event-codes/{code_id}/end").status_code == 302
        for _i in range(2):
            assert _from(app, "198.51.100.2").post(f"/api/v1/guests?event={code}").status_code == 201
        for bad in (code, "NOPE1234", "x" * 5000, ""):
            assert _from(app, "198.51.100.2").post(f"/api/v1/guests?event={bad}").status_code == 429
        assert _from(app, "198.51.100.2").post("/api/v1/guests?event=%00").status_code == 400  # NUL: refused early


@pytest.mark.parametrize("form", [{"max_guests": "0", "hours": "1"}, {"max_guests": str(2**31), "hours": "1"},
                                  {"max_guests": "10", "hours": "100000"}, {"max_guests": "ten", "hours": "1"}])
def test_event_code_limits_are_checked(client, organiser, make_campaign, form):
    slug = make_campaign().slug
    sign_in(client, organiser.email)
    r = client.post(f"/organise/{slug}/event-codes", data=form)
    assert r.status_code == 302
    assert count(EventCode) == 0


def test_only_the_campaigns_organisers_make_or_end_its_codes(client, make_campaign, make_user):
    slug = make_campaign().slug
    make_user("vol@example.org")
    sign_in(client, "vol@example.org")
    assert client.post(f"/organise/{slug}/event-codes", data={"max_guests": "5", "hours": "1"}).status_code == 403
    assert count(EventCode) == 0


def test_every_limit_counts_an_ipv6_64_once(make_app):
    """Flask-Limiter's limits (sign-in here) use the same key: rotating inside one /64 does not reset them."""
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    codes = [_from(app, f"2001:db8:5:6::{i:x}").post("/account/login", data={"email": "who@example.org",
                                                                             "password": "guess"}).status_code
             for i in range(21)]
    assert codes[:20] == [200] * 20 and codes[20] == 429
    assert _from(app, "2001:db8:5:7::1").post("/account/login", data={"email": "who@example.org",
                                                                      "password": "guess"}).status_code == 200

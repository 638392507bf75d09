"""Alerts that reach someone (issue 19): a campaign whose answers escalate is published only with an alert channel
that received a test; the response team's live page (a secret link, a cached feed of stored escalations, what
each viewer was shown); the moderator who confirms sees where the alert went; the queue links to the
escalation page."""
import json

import pytest
from sqlalchemy import select

from citizen.campaigns import services as campaigns
from citizen.errors import Conflict
from citizen.extensions import db
from citizen.moderation import channels, live
from citizen.accounts.audit import AuditLog
from citizen.moderation.models import AlertSettings, DeliveryAttempt, Escalation
from tests.helpers import answer_next, signed_in
from tests.test_moderation import PERSON, PHOTOS, Receiver, act

VIEWER = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def receiver(app):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True  # the receiver listens on 127.0.0.1 (tests only)
    made = []

    def factory(statuses=()):
        made.append(Receiver(statuses))
        return made[-1]
    yield factory
    for r in made:
        r.close()


@pytest.fixture
def draft(org, organiser):
    """A search-and-rescue campaign with its photos, not yet published ("person" answers escalate)."""
    c = campaigns.create_campaign(org.id, organiser, {"title": "Find the hiker", "kind": "search",
                                                      "redundancy": 3, "settings": {}})
    campaigns.import_tasks(c, "photos.json", json.dumps(PHOTOS))
    db.session.commit()
    return c


@pytest.fixture
def boss(app, organiser):
    return signed_in(app, "organiser@example.org")


def live_token(boss, org):
    assert boss.post("/moderation/settings/live-link").status_code == 302
    db.session.expire_all()
    return db.session.get(AlertSettings, org.id).live_token


def test_a_campaign_that_escalates_is_not_published_without_a_working_channel(app, client, boss, org, draft,
                                                                              organiser_token, make_campaign):
    with pytest.raises(Conflict) as refused:
        campaigns.publish(draft)
    assert refused.value.code == "no_alert_channel" and "send a test alert" in refused.value.message
    # The organiser's page says so and changes nothing; so does the API.
    r = boss.post(f"/organise/{draft.slug}/publish", follow_redirects=True)
    assert "no alert channel of the organisation works yet" in r.get_data(as_text=True)
    r = client.post(f"/api/v1/campaigns/{draft.slug}/publish", headers={"Authorization": f"Bearer {organiser_token}"})
    assert r.status_code == 409 and r.get_json()["code"] == "no_alert_channel"
    db.session.expire_all()
    assert draft.status == "draft"
    # A campaign without escalation rules publishes as before.
    assert make_campaign().status == "published"
    # A live page link alone is not enough: nobody has seen a test yet.
    token = live_token(boss, org)
    with pytest.raises(Conflict):
        campaigns.publish(draft)
    assert boss.post("/moderation/settings/test").status_code == 302
    page = boss.get("/moderation/settings").get_data(as_text=True)
    assert "waiting for the test to arrive" in page
    # The live page, open somewhere, shows the test and says so: the channel works, the campaign publishes.
    feed = client.get(f"/alerts/{token}/feed").get_json()
    assert feed["test_at"] and feed["items"] == []
    assert client.post(f"/alerts/{token}/seen", json={"viewer": VIEWER, "test": True}).get_json() == {"recorded": 1}
    assert client.post(f"/alerts/{token}/seen", json={"viewer": VIEWER, "test": True}).get_json() == {"recorded": 0}
    assert "works: the test arrived" in boss.get("/moderation/settings").get_data(as_text=True)
    r = boss.post(f"/organise/{draft.slug}/publish")
    db.session.expire_all()
    assert r.status_code == 302 and draft.status == "published"
    actions = [a.action for a in db.session.execute(select(AuditLog).order_by(AuditLog.id)).scalars()]
    assert actions[-2:] == ["alert_live_link", "alert_test"]


def test_a_webhook_test_alert_is_delivered_by_the_job_and_shown(app, boss, org, draft, receiver, monkeypatch):
    hook = receiver([503, 200])
    db.session.add(AlertSettings(organisation_id=org.id, webhook_url=hook.url, webhook_secret="s3cret"))
    db.session.commit()
    assert boss.post("/moderation/settings/test").status_code == 302
    assert len(hook.requests) == 1  # once: the organiser waits for this answer, no retry
    headers, body = hook.requests[0]
    event = json.loads(body)
    assert event["event"] == "test" and event["test"] is True and event["escalation"] is None
    assert headers["X-Citizen-Event"] == "test"
    from citizen.moderation import webhooks
    assert webhooks.verify("s3cret", body, headers["X-Citizen-Signature"])
    page = boss.get("/moderation/settings").get_data(as_text=True)
    assert "the test failed: HTTP 503" in page
    assert not channels.works(org.id)
    with pytest.raises(Conflict):
        campaigns.publish(draft)
    assert boss.post("/moderation/settings/test").status_code == 302
    assert channels.works(org.id)
    assert "works: the test arrived" in boss.get("/moderation/settings").get_data(as_text=True)
    campaigns.publish(draft)
    db.session.commit()
    # A channel changed after its test must be tested again.
    row = db.session.get(AlertSettings, org.id)
    row.updated_at = row.test_at.replace(year=row.test_at.year + 1)
    db.session.commit()
    assert not channels.works(org.id)


def test_without_a_channel_the_test_button_says_what_to_set(boss, org):
    r = boss.post("/moderation/settings/test", follow_redirects=True)
    assert "Set a channel first" in r.get_data(as_text=True)
    assert db.session.execute(select(DeliveryAttempt)).first() is None


def test_confirm_says_where_the_alert_went_and_the_live_page_shows_the_find(app, client, guest, boss, org, draft,
                                                                            receiver, make_user, monkeypatch):
    hook = receiver()
    token = live_token(boss, org)
    row = db.session.get(AlertSettings, org.id)
    row.webhook_url, row.webhook_secret = hook.url, "s"
    db.session.commit()
    assert boss.post("/moderation/settings/test").status_code == 302
    assert channels.works(org.id)  # the webhook answered 200
    campaigns.publish(draft)
    db.session.commit()
    task_id = answer_next(client, draft.slug, PERSON, guest(), duration_ms=5000)["id"]
    esc = db.session.execute(select(Escalation)).scalar_one()
    # The queue links to the escalation page.
    make_user("mod@example.org", "moderator", name="Mo")
    mod = signed_in(app, "mod@example.org")
    assert f'href="/moderation/escalations/{esc.id}"' in mod.get("/moderation/").get_data(as_text=True)
    assert client.get(f"/alerts/{token}/feed").get_json()["items"] == []  # open escalations are not sent out
    r = act(mod, f"escalation:{esc.id}", "confirm", reason="Seen")
    body = r.get_json()
    assert r.status_code == 200 and body["reached_nobody"] is False
    assert body["sent_to"].startswith("Sent to: webhook " + hook.url) and "live page (seen by 0)" in body["sent_to"]
    # The webhook job ran after the commit; the live page shows the find with its stored place.
    feed = client.get(f"/alerts/{token}/feed").get_json()
    place = {"lat": PHOTOS[0]["lat"], "lon": PHOTOS[0]["lon"]}
    [item] = feed["items"]
    assert (item["id"], item["label"], item["campaign"], item["task_id"]) == (esc.id, "person", "Find the hiker", task_id)
    assert item["place"]["source"] == "photo" and set(place) <= set(item["place"])
    db.session.expire_all()
    assert db.session.get(Escalation, esc.id).place == item["place"]
    assert client.post(f"/alerts/{token}/seen", json={"viewer": VIEWER, "ids": [esc.id]}).get_json() == {"recorded": 1}
    assert client.post(f"/alerts/{token}/seen", json={"viewer": "f" * 32, "ids": [esc.id, esc.id]}).get_json() == \
        {"recorded": 1}
    monkeypatch.setattr(live, "MAX_VIEWERS", 2)  # a leaked link cannot fill the delivery log
    assert client.post(f"/alerts/{token}/seen", json={"viewer": "e" * 32, "ids": [esc.id]}).get_json() == \
        {"recorded": 0}
    reached = mod.get(f"/moderation/escalations/{esc.id}/reached").get_json()
    assert reached["summary"].startswith(f"Sent to: webhook {hook.url} (delivered 200 at ")
    assert reached["summary"].endswith("live page (seen by 2)")
    page = mod.get(f"/moderation/escalations/{esc.id}").get_data(as_text=True)
    assert "Where the alert went" in page and "live page (seen by 2)" in page


def test_a_confirmation_that_reaches_nobody_says_so(app, client, guest, org, draft, make_user):
    campaigns.publish(draft, check_alerts=False)  # as the demo does: no channel at all
    db.session.commit()
    answer_next(client, draft.slug, PERSON, guest(), duration_ms=5000)
    esc = db.session.execute(select(Escalation)).scalar_one()
    make_user("mod@example.org", "moderator", name="Mo")
    mod = signed_in(app, "mod@example.org")
    body = act(mod, f"escalation:{esc.id}", "confirm", reason="Seen").get_json()
    assert body["reached_nobody"] is True and body["sent_to"].startswith("It reached nobody")
    page = mod.get(f"/moderation/escalations/{esc.id}").get_data(as_text=True)
    assert "It reached nobody" in page and "Set an alert channel" in page


def test_the_live_page_link_is_the_credential_and_its_inputs_are_bounded(app, client, boss, org, make_user):
    assert client.get("/alerts/" + "x" * 32).status_code == 404
    assert client.get("/alerts/" + "x" * 32 + "/feed").status_code == 404
    token = live_token(boss, org)
    r = client.get(f"/alerts/{token}")
    assert r.status_code == 200 and "Enable alerts" in r.get_data(as_text=True)
    assert 'name="referrer" content="no-referrer"' in r.get_data(as_text=True)
    for bad in ({"viewer": "not hex"}, {"viewer": VIEWER, "ids": list(range(21))}, {"viewer": VIEWER, "ids": "1"}):
        assert client.post(f"/alerts/{token}/seen", json=bad).status_code == 422
    # Ids of escalations that are not this organisation's confirmed ones are ignored.
    assert client.post(f"/alerts/{token}/seen", json={"viewer": VIEWER, "ids": [1, 2, 2 ** 40, True]}).get_json() == \
        {"recorded": 0}
    # A moderator cannot make links; a new link replaces the old one at once.
    make_user("mod@example.org", "moderator", name="Mo")
    assert signed_in(app, "mod@example.org").post("/moderation/settings/live-link").status_code == 403
    new = live_token(boss, org)
    assert new != token and client.get(f"/alerts/{token}/feed").status_code == 404
    assert client.get(f"/alerts/{new}/feed").status_code == 200
    assert boss.post("/moderation/settings/live-link", data={"remove": "1"}).status_code == 302
    assert client.get(f"/alerts/{new}").status_code == 404


def test_the_feed_is_read_from_the_cache_between_refreshes(app, client, boss, org, monkeypatch):
    token = live_token(boss, org)
    app.config["LIVE_FEED_CACHE_SECONDS"] = 60
    calls = []
    real = channels.confirmed_since
    monkeypatch.setattr(channels, "confirmed_since", lambda *a: calls.append(a) or real(*a))
    for _ in range(5):
        assert client.get(f"/alerts/{token}/feed").status_code == 200
    assert len(calls) == 1
    with app.app_context():
        live.forget(org.id)
    client.get(f"/alerts/{token}/feed")
    assert len(calls) == 2

"""Engagement: campaign numbers and chart, updates and notices, profiles and their privacy, recognition that
does not reward volume, the organiser's dashboard, share previews, the outcome setting, languages, demo history."""
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from sqlalchemy import func, select, update

from citizen.accounts import services as accounts
from citizen.accounts.models import utcnow
from citizen.campaigns import services as campaigns
from citizen.campaigns.models import Answer, Campaign, Participation
from citizen.engagement import charts, recognition, stats
from citizen.engagement.models import CampaignUpdate, VolunteerProfile
from citizen.errors import InvalidInput
from citizen.extensions import db
from tests import helpers
from tests.helpers import sign_in

TRANSLATIONS = Path(__file__).resolve().parents[1] / "citizen" / "translations"


def text(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)[:800]
    return response.get_data(as_text=True)


def truth(task):
    """The make_campaign tasks are "Task number i": even ones show a red roof."""
    return "yes" if int(task["text"].split()[-1]) % 2 == 0 else "no"


def work(client, slug, n, headers=None, wrong=False, duration=4000):
    """Answer n tasks of the campaign as the client's guest (or the bearer in headers), truly or, with wrong,
    always wrongly; returns the task ids."""
    def value(task):
        right = truth(task)
        return ("no" if right == "yes" else "yes") if wrong else right
    return helpers.work(client, slug, n, headers, value, duration_ms=duration)


# --- campaign page: numbers, chart, share preview ------------------------------------------------------

def test_numbers_count_tasks_volunteers_and_answers_of_the_week(app, make_campaign, guest):
    c = make_campaign(tasks=4, redundancy=2)
    client = app.test_client()
    first, second = guest(), guest()
    work(client, c.slug, 4, first)
    work(client, c.slug, 2, second)
    old = db.session.execute(select(Answer.id).order_by(Answer.id)).scalars().first()
    db.session.execute(update(Answer).where(Answer.id == old).values(created_at=utcnow() - timedelta(days=10)))
    db.session.commit()
    db.session.refresh(c)
    numbers = stats.campaign_numbers(c)
    assert (numbers["tasks_done"], numbers["tasks_total"], numbers["volunteers"]) == (2, 4, 2)
    assert (numbers["answers"], numbers["answers_week"]) == (6, 5)
    days = dict(numbers["per_day"])
    assert days[utcnow().date()] == 5 and days[(utcnow() - timedelta(days=10)).date()] == 1
    assert len(numbers["per_day"]) >= stats.CHART_DAYS_MIN and numbers["per_day"][-1][0] == utcnow().date()


def test_numbers_follow_new_answers_at_most_a_little_late(app, make_campaign, guest, monkeypatch):
    c = make_campaign(tasks=3)
    client = app.test_client()
    assert stats.campaign_numbers(c)["answers"] == 0
    work(client, c.slug, 1, guest())
    assert stats.campaign_numbers(c)["answers"] == 0  # a busy campaign page is not regrouped on every view
    monkeypatch.setattr(stats, "STALE_SECONDS", 0)
    assert stats.campaign_numbers(c)["answers"] == 1  # the cache knows the campaign's last answer id


def test_the_chart_is_an_accessible_svg_with_a_table():
    chart = charts.bar_chart([("1 May", "Wednesday 1 May", 3), ("2 May", "Thursday 2 May", 0),
                              ("3 May", "Friday 3 May", 12)], "c1", "Answers per day", "15 answers <b>in 3 days</b>.")
    svg = str(chart["svg"])
    assert svg.startswith('<svg class="chart" id="c1"') and 'role="img"' in svg
    assert 'aria-labelledby="c1-t c1-d"' in svg and '<title id="c1-t">Answers per day</title>' in svg
    assert "&lt;b&gt;" in svg and "<b>" not in svg  # text is escaped
    assert svg.count("<rect") == 2  # empty days draw no bar
    assert chart["rows"] == [("Wednesday 1 May", 3), ("Thursday 2 May", 0), ("Friday 3 May", 12)]
    assert chart["total"] == 15
    assert charts.nice_scale(12) == (15, 5) and charts.nice_scale(10) == (10, 2) and charts.nice_scale(0) == (4, 1)
    assert charts.nice_scale(101) == (150, 50) and charts.nice_scale(9_999) == (10_000, 2_000)


def test_campaign_page_shows_numbers_chart_outcome_and_share_preview(client, make_campaign, guest):
    c = make_campaign(tasks=3, summary="Count the boats in the harbour.",
                      outcome="The harbour master gets **the count** <script>alert(1)</script>")
    work(client, c.slug, 2, guest())
    page = text(client.get(f"/campaigns/{c.slug}"))
    assert "Answers this week" in page and "Volunteers" in page and "Run by" in page
    assert '<svg class="chart" id="answers-per-day"' in page and "Show these numbers as a table" in page
    assert "What happens with the results" in page and "<strong>the count</strong>" in page
    assert "<script>alert" not in page
    assert '<meta property="og:title" content="Find red roofs">' in page
    assert '<meta property="og:description" content="Count the boats in the harbour.">' in page
    assert f'<meta property="og:url" content="http://localhost/campaigns/{c.slug}">' in page
    image = re.search(r'<meta property="og:image" content="([^"]+)">', page).group(1)
    assert image == "http://localhost/static/img/share.png"  # text tasks have no picture
    assert client.get(image.replace("http://localhost", "")).status_code == 200
    assert 'name="twitter:card" content="summary_large_image"' in page


def test_outcome_is_cleaned_with_the_other_settings(app, org, organiser):
    c = campaigns.create_campaign(org.id, organiser, {"title": "T", "kind": "question", "outcome": "  *Maps* for rangers ",
                                                      "settings": {"question": "Q?", "options": ["Yes", "No"]}})
    assert c.settings["outcome"] == "*Maps* for rangers" and c.settings["outcome_html"] == "<p><em>Maps</em> for rangers</p>"
    with pytest.raises(InvalidInput) as err:
        campaigns.update_campaign(c, {"title": "T", "outcome": "x" * 2001,
                                      "settings": {"question": "Q?", "options": ["Yes", "No"]}})
    assert err.value.details[0]["field"] == "outcome"
    campaigns.update_campaign(c, {"title": "T", "settings": {"question": "Q?", "options": ["Yes", "No"]}})
    assert "outcome" not in c.settings


# --- home ----------------------------------------------------------------------------------------------

def test_home_shows_pictures_start_buttons_and_finished_campaigns(client, make_campaign, guest):
    photos = make_campaign(tasks=0, publish=False, title="Photos of roofs")
    campaigns.import_tasks(photos, "t.json", json.dumps([{"image_url": "/media/x/roof.jpg", "alt": "A roof"}]))
    campaigns.publish(photos)
    graphic = make_campaign(tasks=0, publish=False, title="Hard to look at",
                            wellbeing={"level": "graphic", "categories": ["injury"]})
    campaigns.import_tasks(graphic, "t.json", json.dumps([{"image_url": "/media/x/hurt.jpg"}]))
    campaigns.publish(graphic)
    done = make_campaign(tasks=1, redundancy=1, title="Finished count", outcome="Boats were **counted**.")
    work(client, done.slug, 1, guest())
    campaigns.close(done)
    db.session.commit()
    page = text(client.get("/"))
    assert '<img src="/media/x/roof.jpg"' in page and "/media/x/hurt.jpg" not in page  # a warning campaign: its icon
    assert page.count('class="kind-icon"') >= 2
    assert f'href="/campaigns/{photos.slug}/work"' in page and ">Start</a>" in page
    finished = page[page.index("Finished campaigns"):]
    assert "Finished count" in finished and "Boats were <strong>counted</strong>." in finished
    assert "1 of 1 tasks done." in finished
    assert f'href="/campaigns/{done.slug}/work"' not in page


# --- updates and notices -------------------------------------------------------------------------------

def test_organisers_post_sanitised_updates_others_cannot(app, make_campaign, make_user, organiser):
    c = make_campaign(tasks=2)
    volunteer = app.test_client()
    r = volunteer.post(f"/organise/{c.slug}/updates", data={"title": "Hi", "body": "x"})
    assert r.status_code == 302 and "/account/login" in r.headers["Location"]
    make_user("vol@example.org")
    sign_in(volunteer, "vol@example.org")
    assert volunteer.post(f"/organise/{c.slug}/updates", data={"title": "Hi", "body": "x"}).status_code == 403

    staff = app.test_client()
    sign_in(staff, "organiser@example.org")
    manage = text(staff.get(f"/organise/{c.slug}/"))
    assert 'action="/organise/' + c.slug + '/updates"' in manage and "Updates for volunteers" in manage
    page = text(staff.post(f"/organise/{c.slug}/updates", data={"title": "", "body": ""}), 422)
    assert "Give the update a title." in page and "Write what you want to tell the volunteers." in page
    r = staff.post(f"/organise/{c.slug}/updates", data={
        "title": "Halfway <there>", "body": "We are **halfway**.\n\n<script>alert(1)</script><img src=x onerror=alert(2)>"})
    assert r.status_code == 302
    posted = db.session.execute(select(CampaignUpdate)).scalar_one()
    assert "<script>" not in posted.body_html and "<img" not in posted.body_html
    assert "<strong>halfway</strong>" in posted.body_html
    page = text(app.test_client().get(f"/campaigns/{c.slug}"))
    assert "Halfway &lt;there&gt;" in page and "<strong>halfway</strong>" in page and "alert(1)</script>" not in page
    r = staff.post(f"/organise/{c.slug}/updates/{posted.id}/delete")
    assert r.status_code == 302 and db.session.execute(select(func.count(CampaignUpdate.id))).scalar() == 0


def test_opted_in_volunteers_see_a_notice_once(app, make_campaign, organiser):
    c = make_campaign(tasks=3)
    other = make_campaign(tasks=1, title="Other campaign")
    volunteer, bystander = app.test_client(), app.test_client()
    work(volunteer, c.slug, 1)
    work(bystander, c.slug, 1)
    r = volunteer.post("/me", data={"display_name": "", "notify_updates": "on"})
    assert r.status_code == 302
    from citizen.engagement import updates
    updates.post_update(c, organiser, "We found the shelters", "Thank you!")
    updates.post_update(other, organiser, "Not yours", "-")
    db.session.commit()
    page = text(volunteer.get("/"))
    assert "News from a campaign you helped" in page and "We found the shelters" in page and "Not yours" not in page
    assert "We found the shelters" not in text(volunteer.get("/"))  # shown once
    assert "We found the shelters" not in text(bystander.get("/"))  # did not ask


class FakeSMTP:
    sent = []

    def __init__(self, host, port, timeout=None):
        self.host = host

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, user, password):
        pass

    def send_message(self, msg):
        FakeSMTP.sent.append(msg)


def test_update_emails_go_to_opted_in_account_holders_only_with_a_mail_server(make_app, make_campaign, make_user,
                                                                              organiser, monkeypatch):
    import smtplib
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    FakeSMTP.sent = []
    slug = make_campaign(tasks=4).slug
    db.session.close()  # on SQLite an open session would hold the write lock the other app needs
    app = make_app(MAIL_SERVER="smtp.example.org")
    with app.app_context():
        make_user("vera@example.org", name="Vera")
        for email, notify in (("vera@example.org", True), ("organiser@example.org", False)):
            client = app.test_client()
            sign_in(client, email)
            work(client, slug, 1)
            assert client.post("/me", data={"notify_updates": "on"} if notify else {}).status_code == 302
        guest = app.test_client()  # opted in, but a guest has no e-mail address
        work(guest, slug, 1)
        guest.post("/me", data={"notify_updates": "on"})
        staff = app.test_client()
        sign_in(staff, "organiser@example.org")
        assert staff.post(f"/organise/{slug}/updates", data={"title": "News", "body": "Body **text**"}).status_code == 302
    assert [m["To"] for m in FakeSMTP.sent] == ["vera@example.org"]
    assert "News" in FakeSMTP.sent[0]["Subject"] and f"/campaigns/{slug}" in FakeSMTP.sent[0].get_content()
    assert db.session.execute(select(CampaignUpdate.emailed)).scalar_one() == 1
    db.session.close()

    FakeSMTP.sent = []
    staff = make_app().test_client()  # no MAIL_SERVER: nothing is sent, nothing complains
    sign_in(staff, "organiser@example.org")
    assert staff.post(f"/organise/{slug}/updates", data={"title": "Quiet", "body": "x"}).status_code == 302
    assert FakeSMTP.sent == []


# --- profiles ------------------------------------------------------------------------------------------

def test_profile_is_private_until_the_volunteer_makes_it_public(app, make_campaign, monkeypatch):
    c = make_campaign(tasks=5)
    client = app.test_client()
    assert "You have not answered any task yet" in text(client.get("/me"))
    from citizen import clock
    ticks = [clock.now()]
    monkeypatch.setattr(clock, "now", lambda: ticks.append(ticks[-1] + timedelta(seconds=90)) or ticks[-1])
    work(client, c.slug, 3, duration=90_000)  # 90 s between taking each task and answering it, as the server saw
    page = text(client.get("/me"))
    assert "Your contributions" in page and c.title in page and "4 min" in page  # 3 x 90 s
    assert "This page is private" in page
    profile_id = lambda: db.session.execute(select(VolunteerProfile.public_id)).scalar()  # noqa: E731

    page = text(client.post("/me", data={"public": "on"}), 422)  # a public profile needs a name
    assert "Choose a display name first" in page and profile_id() is None
    assert client.post("/me", data={"display_name": "Ada L.", "notify_updates": "on"}).status_code == 302
    public_id = profile_id()
    assert public_id and text(app.test_client().get(f"/volunteers/{public_id}"), 404)
    assert text(app.test_client().get(f"/volunteers/{public_id}/certificate"), 404)

    assert client.post("/me", data={"display_name": "Ada L.", "public": "on"}).status_code == 302
    page = text(app.test_client().get(f"/volunteers/{public_id}"))
    assert "Contributions of Ada L." in page and c.title in page and "Your settings" not in page
    cert = text(app.test_client().get(f"/volunteers/{public_id}/certificate"))
    assert "Certificate of contribution" in cert and "Ada L." in cert and "gave 3 answers" in cert
    assert "@media print" in text(app.test_client().get("/static/css/site.css"))

    assert client.post("/me", data={"display_name": "Ada L."}).status_code == 302  # private again
    text(app.test_client().get(f"/volunteers/{public_id}"), 404)
    text(app.test_client().get("/volunteers/nobody-here"), 404)


def test_profile_settings_need_the_csrf_token(make_app, make_campaign):
    slug = make_campaign(tasks=2).slug
    db.session.rollback()  # the second app below needs SQLite's write lock
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get(f"/campaigns/{slug}/work").get_data(as_text=True))
    assert client.post(f"/api/v1/campaigns/{slug}/tasks/next", headers={"X-CSRFToken": token.group(1)}).status_code == 200
    assert client.post("/me", data={"display_name": "X", "public": "on"}).status_code == 400
    assert db.session.execute(select(func.count()).select_from(VolunteerProfile)).scalar() == 0


def test_profile_shows_agreement_gold_accuracy_and_milestones(app, make_campaign, guest):
    c = make_campaign(tasks=12, redundancy=3)
    client = app.test_client()
    work(client, c.slug, 12)
    for h in [guest() for _ in range(2)]:
        work(client, c.slug, 12, h)
    cid = db.session.execute(select(Answer.contributor_id).order_by(Answer.id)).scalars().first()
    db.session.execute(update(Participation).where(Participation.contributor_id == cid).values(
        gold_total=4, gold_correct=3))
    c.status = "closed"  # a volunteer's live record on known-answer tasks shows once the campaign is closed
    db.session.commit()
    page = text(client.get("/me"))
    assert "100&nbsp;%" in page and "on 12 decided tasks" in page  # every task complete with a clear answer
    assert "75&nbsp;%" in page and "(of 4)" in page  # known-answer tasks
    assert "10 answers" in page and "Next: 50 answers" in page and "38 to go" in page
    assert "Certificate of contribution" in page
    cert = text(client.get("/me/certificate"))
    assert "gave 12 answers" in cert and "to 1 volunteer campaign" in cert and "Print or save as PDF" in cert


# --- recognition ---------------------------------------------------------------------------------------

def _profile(cid, name, listed=True, public=False):
    from citizen.engagement import profiles
    profiles.save_preferences(cid, {"display_name": name, "show_in_recognition": listed, "public": public})


def test_recognition_is_opt_in_and_ranks_agreement_within_the_cap_not_volume(app, make_campaign, guest):
    c = make_campaign(tasks=6, redundancy=5)
    client = app.test_client()
    headers = [guest() for _ in range(5)]
    careful, second, unlisted, helper, careless = headers
    for h, n in ((careful, 6), (unlisted, 6), (helper, 6), (second, 5)):
        work(client, c.slug, n, h)
    work(client, c.slug, 6, careless, wrong=True, duration=200)  # fast and wrong: weight 0
    ids = [accounts.resolve_bearer(h["Authorization"][7:])[1] for h in headers]
    _profile(ids[0], "Careful Cat", public=True)
    _profile(ids[1], "Second Sam")
    _profile(ids[2], "Hidden Hal", listed=False)
    _profile(ids[4], "Max Volume")
    db.session.commit()
    top = recognition.top_contributors(c)
    assert [t["name"] for t in top] == ["Careful Cat", "Second Sam"], top
    assert top[0]["agreeing"] >= 5 and top[0]["score"] > top[1]["score"] > 0
    assert top[0]["public_id"] and top[1]["public_id"] is None
    page = text(client.get(f"/campaigns/{c.slug}"))
    assert "Careful Cat" in page and "Hidden Hal" not in page and "Max Volume" not in page
    assert f'href="/volunteers/{top[0]["public_id"]}"' in page

    # Within the caps: a lower answer cap counts at most that many agreeing answers per person.
    c.settings = {**c.settings, "quality": {**c.settings["quality"], "cap_answers": 4}}
    db.session.commit()
    assert [(t["name"], t["agreeing"]) for t in recognition.top_contributors(c)][0][1] == 4


def test_nobody_is_listed_without_asking(app, make_campaign, guest):
    c = make_campaign(tasks=6, redundancy=3)
    client = app.test_client()
    for _ in range(3):
        work(client, c.slug, 6, guest())
    assert recognition.top_contributors(c) == []
    assert "Thank you</h2>" not in text(client.get(f"/campaigns/{c.slug}"))


# --- the organiser's dashboard -------------------------------------------------------------------------

def test_dashboard_shows_rate_active_volunteers_and_stuck_tasks(app, make_campaign, make_user, guest):
    c = make_campaign(tasks=2, redundancy=2)
    client = app.test_client()
    first, second = guest(), guest()
    work(client, c.slug, 2, first)
    work(client, c.slug, 2, second, wrong=True)  # both tasks: one "yes", one "no": a tie each
    anonymous = app.test_client().get(f"/organise/{c.slug}/dashboard")
    assert anonymous.status_code == 302
    make_user("vol@example.org")
    other = app.test_client()
    sign_in(other, "vol@example.org")
    assert other.get(f"/organise/{c.slug}/dashboard").status_code == 403
    staff = app.test_client()
    sign_in(staff, "organiser@example.org")
    page = text(staff.get(f"/organise/{c.slug}/dashboard"))
    assert "Volunteers active now" in page and re.search(r"Volunteers active now</dt><dd>2</dd>", page)
    assert '<svg class="chart" id="answers-per-hour"' in page and "4 answers in the last 24 hours (UTC)." in page
    assert "2 tasks got all their answers, and volunteers disagree on them." in page and "a tie" in page
    assert "50 %" in page
    assert f'href="/organise/{c.slug}/dashboard"' in text(staff.get(f"/organise/{c.slug}/"))
    assert stats.active_now(c) == 2
    db.session.execute(update(Participation).values(last_at=utcnow() - timedelta(minutes=11)))
    db.session.commit()
    assert stats.active_now(c) == 0


# --- languages -----------------------------------------------------------------------------------------

def test_pages_follow_accept_language_and_the_chosen_language_wins(client, make_campaign):
    c = make_campaign(tasks=2)
    en = text(client.get("/", headers={"Accept-Language": "en"}))
    es = text(client.get("/", headers={"Accept-Language": "es-ES,es;q=0.9"}))
    fr = text(client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"}))
    assert "Open campaigns" in en and '<html lang="en">' in en
    assert "Campañas abiertas" in es and ">Empezar</a>" in es and '<html lang="es">' in es
    assert "Campagnes en cours" in fr and ">Commencer</a>" in fr and '<html lang="fr">' in fr
    assert 'href="/?lang=fr" lang="fr" hreflang="fr"' in en and ">Français</a>" in en
    assert "Campagnes en cours" in text(client.get("/?lang=fr", headers={"Accept-Language": "es"}))
    show = text(client.get(f"/campaigns/{c.slug}", headers={"Accept-Language": "es"}))  # kept in the session
    assert "contributions au fil du temps" in show and 'aria-current="true">Français' in show
    assert "Aidez en quelques clics" in text(client.get("/?lang=xx"))  # unknown codes change nothing
    assert "Help with a few clicks" in text(client.get("/?lang=en", headers={"Accept-Language": "fr"}))


def test_work_page_error_pages_and_messages_are_translated(client, make_campaign):
    c = make_campaign(tasks=2)
    work_page = text(client.get(f"/campaigns/{c.slug}/work", headers={"Accept-Language": "es"}))
    assert "¿Qué estoy mirando?" in work_page and 'data-send-failed="No se pudo enviar' in work_page
    assert "Saltar" in work_page and "hechas, ¡gracias!" in work_page
    missing = text(client.get("/campaigns/nope", headers={"Accept-Language": "fr"}), 404)
    assert "Introuvable" in missing and "Il n’y a pas de campagne à cette adresse." in missing
    r = client.get("/api/v1/campaigns/nope", headers={"Accept-Language": "es"})
    assert r.get_json()["message"] == "No hay ninguna campaña en esta dirección."
    login = text(client.get("/account/login", headers={"Accept-Language": "fr"}))
    assert "Mot de passe" in login and "Se connecter" in login


@pytest.mark.parametrize("lang", ["es", "fr"])
def test_catalogues_are_compiled_complete_for_volunteers_and_keep_placeholders(lang):
    po = read_po(open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb"), locale=lang)
    mo = read_mo(open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo", "rb"))
    key = lambda m: m.id if isinstance(m.id, str) else tuple(m.id)  # noqa: E731
    assert {key(m) for m in mo if m.id and m.string} == {key(m) for m in po if m.id and m.string}, "compile the .po"
    placeholder = re.compile(r"%%|%\([a-z_]+\)[sdrf]|%\([a-z_]+\)\.\d+f|%[sd]")
    translated = 0
    for m in po:
        if not m.id or not m.string:
            continue
        translated += 1
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        for source, target in zip(ids + ids[-1:] * (len(strings) - len(ids)), strings):
            assert set(placeholder.findall(target)) <= set(placeholder.findall(source)) | {"%(num)d"}, (source, target)
    assert translated >= 400
    volunteer_texts = ["Start", "Skip", "What am I looking at?", "All done here!", "Open campaigns", "Sign in",
                       "Your profile", "Certificate of contribution", "Content warning", "Time for a break?",
                       "We could not find that page.", "Not sure", "Put a pin", "Not on this page",
                       "Answers per day", "Thank you", "Finished campaigns"]
    catalogue = {m.id: m.string for m in po if m.id}
    assert [t for t in volunteer_texts if not catalogue.get(t)] == []


# --- demo history --------------------------------------------------------------------------------------

def test_demo_history_is_spread_over_two_weeks_and_loaded_once(app, org, organiser, make_campaign):
    from citizen.demo.history import load_history
    make_campaign(tasks=20, slug="red-roofs", title="Find the red roofs")
    assert "red-roofs" in load_history(org, organiser)
    db.session.commit()
    red = db.session.execute(select(Campaign).where(Campaign.slug == "red-roofs")).scalar_one()
    moments = db.session.execute(select(Answer.created_at).where(Answer.campaign_id == red.id)).scalars().all()
    assert len(moments) >= 40
    assert len({m.date() for m in moments}) >= 7 and min(moments) > utcnow() - timedelta(days=15)
    assert max(moments) <= utcnow()
    assert red.settings.get("outcome_html")
    assert db.session.execute(select(CampaignUpdate.title).where(CampaignUpdate.campaign_id == red.id)).scalar()
    finished = db.session.execute(select(Campaign).where(Campaign.status == "closed")).scalar_one()
    assert finished.tasks_done == finished.tasks_total and finished.settings.get("outcome")
    public = db.session.execute(select(func.count()).select_from(VolunteerProfile).where(
        VolunteerProfile.public.is_(True))).scalar()
    assert public >= 3
    counts = [db.session.execute(select(func.count()).select_from(t)).scalar() for t in (Answer, CampaignUpdate)]
    assert load_history(org, organiser) == []
    db.session.commit()
    assert [db.session.execute(select(func.count()).select_from(t)).scalar() for t in (Answer, CampaignUpdate)] == counts


def test_unanimous_tasks_waiting_for_evidence_are_not_stuck(app, make_campaign, guest):
    from citizen.engagement.dashboard import stuck_tasks
    c = make_campaign(tasks=2, redundancy=2)
    client = app.test_client()
    for _ in range(2):
        work(client, c.slug, 2, guest())  # too few answers each for Dawid-Skene to decide, but all agree
    assert stuck_tasks(c) == {"count": 0, "tasks": []}

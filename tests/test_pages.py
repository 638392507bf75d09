"""The site's pages on the Flask test client: public pages, accounts, the work page's cookie API
calls (with and without CSRF), and the organiser's pages."""
import io
import re

from sqlalchemy import select

from citizen.accounts.models import Contributor, User
from citizen.campaigns.models import Answer, Campaign, Task
from citizen.extensions import db
from tests.helpers import campaign, count, html, sign_in


def test_home_lists_published_campaigns(client, make_campaign):
    make_campaign(title="Count the boats")
    make_campaign(title="Secret draft", publish=False)
    page = html(client.get("/"))
    assert "Count the boats" in page and "Secret draft" not in page


def test_campaign_page_renders_sanitised_markdown(client, make_campaign):
    c = make_campaign(description="Look for **red** roofs.\n\n<script>alert(1)</script>\n\n"
                                  '<a href="https://example.org" onclick="steal()">More</a>',
                      tutorial='Step one <img src="x" onerror="steal()">')
    page = html(client.get(f"/campaigns/{c.slug}"))
    assert "<strong>red</strong>" in page and ">More</a>" in page and "Step one" in page
    for bad in ("<script", "onclick", "onerror", "<img", "steal()"):
        assert bad not in page


def test_work_page_uses_the_kind_template_and_script(client, make_campaign):
    c = make_campaign()
    page = html(client.get(f"/campaigns/{c.slug}/work"))
    assert 'id="q-options"' in page and 'data-kind="question"' in page
    assert "/static/kinds/question/question.js" in page and "/static/js/work.js" in page
    assert client.get("/static/kinds/question/question.js").status_code == 200  # served from the kind's folder
    assert client.get("/static/kinds/question/../__init__.py").status_code == 404
    assert f'data-next-url="/api/v1/campaigns/{c.slug}/tasks/next"' in page


def test_drafts_and_unknown_paths_are_html_404s_but_api_404s_are_json(client, make_campaign):
    c = make_campaign(publish=False)
    for path in ("/no-such-page", f"/campaigns/{c.slug}", f"/campaigns/{c.slug}/work", "/campaigns/nope"):
        assert "Not found" in html(client.get(path), 404)
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.is_json and r.get_json()["code"] == "not_found" and r.get_json()["message"]


def test_register_creates_the_user_then_they_sign_in(client):
    r = client.post("/account/register", data={"name": "Vera", "email": "Vera@Example.org", "password": "long enough"})
    assert r.status_code == 302 and "/account/login" in r.headers["Location"]
    assert count(User, User.email == "vera@example.org") == 1
    page = html(client.get(r.headers["Location"]))
    assert "If this address is new, your account is ready" in page and "Sign out" not in page
    sign_in(client, "vera@example.org", "long enough")
    assert "Sign out" in html(client.get("/"))


def test_registration_does_not_say_which_e_mails_have_accounts(make_app, make_user):
    """A taken e-mail gets exactly the answer a new one gets (status, location, message, no session): and the
    existing account is untouched (its password still works, the new one does not)."""
    make_user("taken@example.org", password="original-pass")
    db.session.remove()
    answers = []
    for email in ("taken@example.org", "fresh@example.org"):
        client = make_app().test_client()
        r = client.post("/account/register?next=/data/", data={"name": "Ann", "email": email, "password": "chosen-pass"})
        with client.session_transaction() as s:
            keys = sorted(k for k in s.keys() if k not in ("_flashes", "csrf_token"))
        answers.append((r.status_code, r.headers["Location"], keys,
                        re.sub(r'content="[^"]{40,}"|value="[^"]{40,}"', "CSRF",  # random per session
                               html(client.get(r.headers["Location"])))))
    assert answers[0] == answers[1]
    assert count(User) == 2
    client = make_app().test_client()
    r = client.post("/account/login", data={"email": "taken@example.org", "password": "chosen-pass"})
    assert r.status_code == 200
    sign_in(client, "taken@example.org", "original-pass")


def test_login_with_a_wrong_password_shows_an_error(client, make_user):
    make_user("vol@example.org")
    page = html(client.post("/account/login", data={"email": "vol@example.org", "password": "wrong-password"}))
    assert "do not match an account" in page and "Sign out" not in page
    sign_in(client, "vol@example.org")
    assert "Sign out" in html(client.get("/"))


def test_signing_in_goes_back_to_a_page_of_this_site_only(client, make_user):
    make_user("vol@example.org")
    form = {"email": "vol@example.org", "password": "password123"}
    for target, where in [("/data/", "/data/"), ("//evil.example/", "/"), ("/\\evil.example/", "/"),
                          ("/\t/evil.example/", "/"), ("https://evil.example/", "/"), ("/%0a/evil.example", "/%0a/evil.example")]:
        client.post("/account/logout")
        r = client.post("/account/login", query_string={"next": target}, data=form)
        assert r.status_code == 302 and r.headers["Location"] == where, (target, r.headers.get("Location"))


def test_a_guest_who_registers_keeps_their_answers(client, make_campaign):
    c = make_campaign(tasks=2)
    r = client.post(f"/api/v1/campaigns/{c.slug}/tasks/next")
    assert r.status_code == 200
    with client.session_transaction() as session:
        guest_id = session["guest_id"]
    first = r.get_json()["id"]
    assert client.post(f"/api/v1/tasks/{first}/answers", json={"value": "yes"}).status_code == 201
    r = client.post("/account/register", data={"name": "Gus", "email": "gus@example.org", "password": "password123"})
    assert r.status_code == 302
    sign_in(client, "gus@example.org")
    user = db.session.execute(select(User).where(User.email == "gus@example.org")).scalar_one()
    assert db.session.get(Contributor, guest_id).user_id == user.id
    assert count(Answer, Answer.contributor_id == guest_id, Answer.source == "web") == 1
    r = client.post(f"/api/v1/campaigns/{c.slug}/tasks/next")
    assert r.status_code == 200 and r.get_json()["id"] != first and r.get_json()["done"] == 1


def test_cookie_posts_need_the_csrf_token_but_bearer_posts_do_not(make_app, make_campaign):
    slug = make_campaign(tasks=3).slug
    db.session.rollback()  # the second app below needs SQLite's write lock
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    token = re.search(r'name="csrf-token" content="([^"]+)"', html(client.get(f"/campaigns/{slug}/work"))).group(1)
    tid = client.post(f"/api/v1/campaigns/{slug}/tasks/next", headers={"X-CSRFToken": token}).get_json()["id"]
    r = client.post(f"/api/v1/tasks/{tid}/answers", json={"value": "yes"})
    assert r.status_code == 400 and r.get_json()["code"] == "csrf" and r.get_json()["message"]
    assert count(Answer) == 0
    r = client.post(f"/api/v1/tasks/{tid}/answers", json={"value": "yes"}, headers={"X-CSRFToken": token})
    assert r.status_code == 201
    h = {"Authorization": "Bearer " + client.post("/api/v1/guests").get_json()["token"]}
    other = make_app(WTF_CSRF_ENABLED=True).test_client()  # no cookie at all
    tid = other.get(f"/api/v1/campaigns/{slug}/tasks/next", headers=h).get_json()["id"]
    assert other.post(f"/api/v1/tasks/{tid}/answers", json={"value": "no"}, headers=h).status_code == 201
    assert count(Answer) == 2


def test_organiser_pages_need_an_organiser(client, make_user, organiser):
    r = client.get("/organise/")
    assert r.status_code == 302 and "/account/login" in r.headers["Location"]
    make_user("vol@example.org")
    sign_in(client, "vol@example.org")
    html(client.get("/organise/"), 403)
    html(client.get("/organise/new"), 403)
    client.post("/account/logout")
    sign_in(client, organiser.email)
    assert "Organise" in html(client.get("/organise/"))


FORM = {"title": "Count the boats", "summary": "Boats after the storm", "kind": "question", "redundancy": "2",
        "licence": "CC0-1.0", "question": "Is there a boat?", "options": "Yes\nNo\nNot sure\n"}


def test_create_a_campaign_through_the_form(client, organiser):
    sign_in(client, organiser.email)
    r = client.post("/organise/new", data=FORM)
    assert r.status_code == 302 and r.headers["Location"].endswith("/organise/count-the-boats/")
    c = campaign("count-the-boats")
    assert (c.status, c.redundancy, c.licence, c.created_by_id) == ("draft", 2, "CC0-1.0", organiser.id)
    assert c.settings["question"] == "Is there a boat?"
    assert [o["value"] for o in c.settings["options"]] == ["yes", "no", "not-sure"]


def test_a_bad_form_shows_inline_errors_and_creates_nothing(client, organiser):
    sign_in(client, organiser.email)
    page = html(client.post("/organise/new", data={**FORM, "title": "", "redundancy": "0", "options": "Only one"}))
    assert 'id="title-error"' in page and 'id="redundancy-error"' in page and 'id="options-error"' in page
    assert "Give the campaign a title." in page
    assert 'value="Is there a boat?"' in page  # what was typed is kept
    assert count(Campaign) == 0


def upload(client, slug, text):
    return client.post(f"/organise/{slug}/", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(text.encode()), "tasks.csv")})


def test_import_on_the_manage_page_is_all_or_nothing(client, organiser, make_campaign):
    c = make_campaign(tasks=0, publish=False)
    sign_in(client, organiser.email)
    page = html(upload(client, c.slug, "external_id,text,image_url\na,Fine,\nb,,ftp://example.org/x.jpg\n"), 422)
    assert "Nothing was imported" in page and "Line 3" in page and "image_url" in page
    assert campaign(c.slug).tasks_total == 0 and count(Task) == 0
    r = upload(client, c.slug, "external_id,text\na,One\nb,Two\n")
    assert r.status_code == 302
    page = html(client.get(r.headers["Location"]))
    assert "2 tasks imported" in page and "One" in page
    assert campaign(c.slug).tasks_total == 2 and count(Task) == 2


def test_publish_from_the_manage_page(client, organiser, make_campaign):
    empty, ready = make_campaign(tasks=0, publish=False), make_campaign(tasks=2, publish=False, title="Ready")
    sign_in(client, organiser.email)
    r = client.post(f"/organise/{empty.slug}/publish", follow_redirects=True)
    assert "Import some tasks before publishing" in html(r) and campaign(empty.slug).status == "draft"
    r = client.post(f"/organise/{ready.slug}/publish")
    assert r.status_code == 302 and campaign(ready.slug).status == "published"
    assert campaign(ready.slug).published_at is not None
    assert "Ready" in html(client.get("/"))

"""The one set of helpers for tests that act as the app's clients: guests, signing in, taking and answering tasks,
counting rows. Test files import these instead of keeping their own copies.

Who sends a volunteer request (`who` below) is one of:
- None: the test client's own session (a guest made by its cookie, or the account signed in on it);
- a dict of headers, e.g. a guest's bearer token from `new_guest` or the `guest` fixture;
- a (headers, environ) pair from `guest_at`, for requests that come from one address and one browser.
"""
import uuid

from sqlalchemy import func, select

from citizen.campaigns.models import Campaign
from citizen.extensions import db

API = "/api/v1"
PASSWORD = "password123"  # the conftest make_user default


def bearer(token):
    return {"Authorization": "Bearer " + token}


def _split(who):
    """(headers, environ) of a `who`; both fresh dicts the caller may change."""
    if who is None:
        return {}, {}
    if isinstance(who, tuple):
        headers, env = who
        return dict(headers), dict(env or {})
    return dict(who), {}


# --- guests and accounts ---------------------------------------------------------------------------------------

def new_guest(client):
    """Headers of a new guest contributor (a fresh bearer token)."""
    r = client.post(f"{API}/guests")
    assert r.status_code == 201, r.get_data(as_text=True)
    return bearer(r.get_json()["token"])


def guest_at(client, address, agent="UA", language=None):
    """A new guest made from `address` with this browser (User-Agent, Accept-Language): its (headers, environ),
    which every later request of this guest sends too."""
    browser = {"User-Agent": agent, **({"Accept-Language": language} if language is not None else {})}
    r = client.post(f"{API}/guests", environ_base={"REMOTE_ADDR": address}, headers=browser)
    assert r.status_code == 201, r.get_data(as_text=True)
    return {**bearer(r.get_json()["token"]), **browser}, {"REMOTE_ADDR": address}


def guest_id(client):
    """The contributor id of the guest the client's session made."""
    with client.session_transaction() as session:
        return session["guest_id"]


def sign_in(client, email, password=PASSWORD):
    """Sign the client in with the login form (redirected on success)."""
    r = client.post("/account/login", data={"email": email, "password": password})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    return client


def signed_in(app, email, password=PASSWORD):
    """A new test client signed in as `email`."""
    return sign_in(app.test_client(), email, password)


# --- the volunteer loop ----------------------------------------------------------------------------------------

def take(client, slug, who=None, exclude=()):
    """Ask for the next task of `slug`: the raw response (200 with a task, 204 when there is none, or an error).
    With a bearer token this is the API's GET; without, the work page's POST on the client's cookie session
    (which makes its guest on first use; a cookie's GET is refused)."""
    headers, env = _split(who)
    ask = client.get if "Authorization" in headers else client.post
    return ask(f"{API}/campaigns/{slug}/tasks/next", headers=headers, environ_base=env,
               query_string={"exclude": ",".join(map(str, exclude))} if exclude else None)


def next_task(client, slug, who=None, exclude=()):
    """The next task of `slug` (it must be handed one)."""
    r = take(client, slug, who, exclude)
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    return r.get_json()


def next_task_or_none(client, slug, who=None, exclude=()):
    """The next task of `slug`, or None when there is none for this volunteer (204)."""
    r = take(client, slug, who, exclude)
    assert r.status_code in (200, 204), r.get_data(as_text=True)[:500]
    return r.get_json() if r.status_code == 200 else None


def submit(client, task_id, value="yes", who=None, key=True, **extra):
    """Send an answer to a leased task: the raw response. Like the work page, each answer carries a new
    Idempotency-Key; pass key="..." to send a given one (a retry), or key=None to send none."""
    headers, env = _split(who)
    if key is True:
        key = str(uuid.uuid4())
    if key:
        headers["Idempotency-Key"] = key
    return client.post(f"{API}/tasks/{task_id}/answers", json={"value": value, **extra}, headers=headers,
                       environ_base=env)


def answer_next(client, slug, value="yes", who=None, **extra):
    """Take the next task of `slug` and answer it with `value` (both must succeed); returns the task."""
    task = next_task(client, slug, who)
    r = submit(client, task["id"], value, who, **extra)
    assert r.status_code == 201, r.get_data(as_text=True)[:500]
    return task


def try_answer(client, slug, value="yes", who=None, **extra):
    """Take the next task of `slug` and answer it: the answer's response, or next-task's when it hands no task
    (204 when none is left, 429 when refused)."""
    r = take(client, slug, who)
    if r.status_code != 200:
        return r
    return submit(client, r.get_json()["id"], value, who, **extra)


def work(client, slug, n, who=None, value="yes", **extra):
    """Answer up to n tasks of `slug` in a row, as a volunteer does, stopping early when none is left (204);
    `value` is the answer, or a function of the task giving it. Returns the ids of the tasks answered."""
    done = []
    for _ in range(n):
        r = take(client, slug, who)
        if r.status_code == 204:
            break
        assert r.status_code == 200, r.get_data(as_text=True)[:500]
        task = r.get_json()
        s = submit(client, task["id"], value(task) if callable(value) else value, who, **extra)
        assert s.status_code == 201, s.get_data(as_text=True)[:500]
        done.append(task["id"])
    return done


def skip(client, task_id, who=None):
    headers, env = _split(who)
    return client.post(f"{API}/tasks/{task_id}/skip", headers=headers, environ_base=env)


# --- pages ------------------------------------------------------------------------------------------------------

def html(r, status=200):
    """The text of an HTML page response (with the expected status)."""
    assert r.status_code == status, r.get_data(as_text=True)[:500]
    assert r.mimetype == "text/html"
    return r.get_data(as_text=True)


# --- the database ----------------------------------------------------------------------------------------------

def count(model, *where):
    """Rows of `model` matching `where`, read afresh; the read's transaction is ended (on SQLite every
    transaction holds the write lock, BEGIN IMMEDIATE, which the app's own requests would wait for)."""
    db.session.expire_all()
    n = db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()
    db.session.rollback()
    return n


def campaign(slug):
    """The campaign `slug`, read afresh."""
    db.session.expire_all()
    return db.session.execute(select(Campaign).where(Campaign.slug == slug)).scalar_one()


def alert_channel(org, viewer="ab" * 16):
    """Give an organisation an alert channel that works, as a response team would: a live page link, a test alert,
    and the live page open to show it (what publishing a campaign whose answers escalate asks). Returns the live
    page's token."""
    from citizen.moderation import channels, live
    token = channels.new_live_link(org.id)
    channels.send_test(org)
    db.session.commit()
    live.seen(token, {"viewer": viewer, "test": True})
    db.session.commit()
    return token

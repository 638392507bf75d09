"""Whole numbers from strangers (issue 15, 4b.6): every route with an integer in its path, swept from app.url_map
(a new route is covered without listing it), and the integer query and form arguments, with 2**31, 2**63 and -1:
a 404 or a 400, never a 500 (PostgreSQL: integer out of range; SQLite: Python int too large). And a busy SQLite
database is a 503 with Retry-After, the answer the work page retries."""
import sqlite3

import pytest
from sqlalchemy import event
from werkzeug.routing import IntegerConverter

from citizen.extensions import db
from citizen.moderation.models import Escalation
from tests.helpers import sign_in

HOSTILE = (2**31, 2**63, -1, "2147483648", "9" * 5000, "\u0661\u0662")  # the last: Arabic-Indic digits


def _int_rules(app):
    for rule in app.url_map.iter_rules():
        ints = [name for name, conv in rule._converters.items() if isinstance(conv, IntegerConverter)]
        if ints:
            yield rule, ints


def _path(rule, ints, value):
    out = rule.rule
    for name, conv in rule._converters.items():
        start = out.index("<")
        end = out.index(">", start)
        out = out[:start] + (str(value) if name in ints else "x") + out[end + 1:]
    return out


def test_the_sweep_finds_the_routes_of_the_issue(app):
    paths = {rule.rule for rule, _ints in _int_rules(app)}
    assert "/moderation/escalations/<int:escalation_id>" in paths
    assert "/moderation/suspensions/<int:suspension_id>/lift" in paths
    assert "/organise/<slug>/updates/<int:update_id>/delete" in paths
    assert any(p.startswith("/api/v1/tasks/") for p in paths)


@pytest.mark.parametrize("value", HOSTILE)
def test_every_route_with_an_integer_answers_404_to_a_number_no_column_can_hold(client, make_user, value):
    make_user("admin@example.org", "organiser").is_admin = True
    db.session.commit()
    sign_in(client, "admin@example.org")
    checked = 0
    for rule, ints in _int_rules(client.application):
        path = _path(rule, ints, value)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            r = client.open(path, method=method, json={} if path.startswith("/api/") else None,
                            headers={"Accept": "application/json"} if path.startswith("/api/") else {})
            assert r.status_code == 404, (method, path, r.status_code, r.get_data(as_text=True)[:300])
            checked += 1
    assert checked >= 5


@pytest.fixture
def moderator_client(client, make_user, organiser):
    make_user("mod@example.org", "moderator")
    sign_in(client, organiser.email)
    return client


@pytest.mark.parametrize("value", [str(2**31), str(2**63), "-1", "abc", "1e3", "\u0661"])
def test_integer_query_arguments_of_moderation_pages_are_400_not_500(moderator_client, value):
    for path in (f"/moderation/poll?after={value}", f"/moderation/audit?before={value}"):
        r = moderator_client.get(path, headers={"Accept": "application/json"})
        assert r.status_code == 400, (path, r.status_code, r.get_data(as_text=True)[:300])
        assert r.get_json()["code"] == "bad_request"
        assert "whole number" in r.get_json()["message"]
        page = moderator_client.get(path)
        assert page.status_code == 400 and page.mimetype == "text/html"


def test_integer_query_arguments_still_work_in_range(moderator_client):
    assert moderator_client.get("/moderation/poll?after=2147483647").status_code == 200
    assert moderator_client.get("/moderation/audit?before=2147483647").status_code == 200
    assert moderator_client.get("/moderation/audit?before=").status_code == 200


@pytest.mark.parametrize("kind", ["flag", "disagreement", "escalation"])
@pytest.mark.parametrize("value", [str(2**31), str(2**63), "-1", "0x10"])
def test_acting_on_an_item_with_an_impossible_id_is_404(moderator_client, kind, value):
    r = moderator_client.post("/moderation/act", json={"item": f"{kind}:{value}", "action": "dismiss",
                                                       "reason": "test"})
    assert r.status_code == 404, r.get_data(as_text=True)[:300]
    assert db.session.query(Escalation).count() == 0


def test_the_organisation_field_of_a_new_campaign_is_checked(client, make_user):
    """An admin without an organisation names one in the form: letters or 2**31 are a 400, not a 500."""
    make_user("admin@example.org").is_admin = True
    db.session.commit()
    sign_in(client, "admin@example.org")
    for value in ("abc", str(2**31), str(2**63)):
        r = client.post("/organise/new", data={"title": "T", "summary": "S", "kind": "question", "redundancy": "2",
                                               "organisation_id": value})
        assert r.status_code == 400, (value, r.status_code, r.get_data(as_text=True)[:300])


def test_a_busy_sqlite_database_is_a_503_with_retry_after(make_app, make_campaign, tmp_path):
    """Another process holds SQLite's write lock longer than busy_timeout: the driver's raw OperationalError
    ("database is locked") is a 503 + Retry-After (the work page sends the answer again), not a 500."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's lock")
    slug = make_campaign(tasks=2).slug
    db.session.remove()
    app = make_app()
    with app.app_context():
        @event.listens_for(db.engine, "connect")
        def _short_wait(dbapi_conn, _record):  # runs after tune_sqlite's: wait 50 ms, not 10 s
            dbapi_conn.execute("PRAGMA busy_timeout=50")
        db.engine.dispose()
        path = db.engine.url.database
    client = app.test_client()
    tid = client.post(f"/api/v1/campaigns/{slug}/tasks/next")
    assert tid.status_code == 200
    tid = tid.get_json()["id"]
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        r = client.post(f"/api/v1/tasks/{tid}/answers", json={"value": "yes"})
        assert r.status_code == 503, r.get_data(as_text=True)[:500]
        assert r.headers["Retry-After"] == "1" and r.get_json()["code"] == "unavailable"
        page = client.get(f"/campaigns/{slug}")
        assert page.status_code == 503 and page.headers["Retry-After"] == "1" and page.mimetype == "text/html"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert client.post(f"/api/v1/tasks/{tid}/answers", json={"value": "yes"}).status_code == 201

"""Test harness: each test gets a fresh database built by the real migrations.

SQLite (always): one template database is migrated once per session and copied per test.
PostgreSQL (when CITIZEN_TEST_DATABASE_URL is set): migrated once per session, emptied per test.

Under pytest-xdist (`make test` runs `-n auto`) every worker is a session of its own: its own temporary folder
(so its own SQLite files) and, on PostgreSQL, its own database, `<database>_<worker>` (e.g. test_gw0), created
next to CITIZEN_TEST_DATABASE_URL's on first use. No worker ever sees another's rows.
"""
import json
import os
import shutil
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, make_url, text

from citizen import create_app
from citizen.config import Defaults
from citizen.accounts import services as accounts
from citizen.campaigns import services as campaigns
from citizen.extensions import db
from tests.helpers import alert_channel, new_guest



def worker_database_url(url, worker):
    """The database URL a pytest-xdist worker uses: `url` itself outside xdist, else its database name
    suffixed with the worker id (gw0, gw1, ...)."""
    if not url or not worker:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


PG_URL = worker_database_url(os.environ.get("CITIZEN_TEST_DATABASE_URL"), os.environ.get("PYTEST_XDIST_WORKER"))
CLOCK_STEP = timedelta(seconds=2)  # more than the default minimum time per task (1.5 s)


def pytest_sessionstart(session):
    """pytest-playwright empties its output folder (test-results/: screenshots) as a session starts. Under
    pytest-xdist every worker is a session, and a worker starting late would delete what another has just
    written: the folder is emptied here once, by the process that runs or distributes the tests."""
    output = session.config.getoption("--output", default=None)
    if output and not os.environ.get("PYTEST_XDIST_WORKER"):
        shutil.rmtree(output, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def delete_output_dir():
    """Replaces pytest-playwright's fixture of this name (which empties the output folder in every worker):
    pytest_sessionstart above does it once."""


@pytest.fixture(autouse=True)
def patient_clock(monkeypatch):
    """The server measures an answer's duration from its lease (citizen.clock), and test clients answer at once:
    every reading of the volunteer loop's clock moves it CLOCK_STEP on, so a test volunteer takes a few seconds per
    task. Tests that need another pace set citizen.clock.now themselves (see tests/test_controls16.py)."""
    from citizen import clock
    real, steps = clock.now, [0]

    def now():
        steps[0] += 1
        return real() + steps[0] * CLOCK_STEP
    monkeypatch.setattr(clock, "now", now)


def base_config(tmp_path, uri):
    return {"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "JOBS_SYNC": True, "JOBS_QUEUE_URL": "memory://", "BUILD_MIN_SECONDS": 0, "MEDIA_FOLDER": str(tmp_path / "media"),
            "EXPORTS_FOLDER": str(tmp_path / "exports"),  # builds and files are per campaign id: never another test's
            "PRIVATE_FOLDER": str(tmp_path / "private"),
            "SERVER_NAME": None, "PUBLIC_URL": "http://localhost",  # the test client's host: links in pages match
            "KINDS": Defaults.KINDS + ["tests.kinds.compare:CompareKind"]}  # an example kind, one folder (tests/kinds/)


def _migrate(uri, tmp_path):
    app = create_app(base_config(tmp_path, uri))
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        db.engine.dispose()


def _create_database_if_missing(url):
    """CREATE DATABASE for a worker's URL, connected to the server's maintenance database `postgres`."""
    target = make_url(url)
    server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                  {"name": target.database}).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        server.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("db")
    if PG_URL:
        _create_database_if_missing(PG_URL)
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public;"))
        engine.dispose()
        _migrate(PG_URL, tmp)
        return PG_URL
    path = tmp / "template.db"
    _migrate("sqlite:///" + str(path), tmp)
    return path


def _empty_postgres(app):
    with app.app_context():
        tables = [t.name for t in db.metadata.sorted_tables]
        with db.engine.begin() as conn:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))


@pytest.fixture
def db_uri(database_template, tmp_path):
    if PG_URL:
        return PG_URL
    path = tmp_path / "test.db"
    shutil.copy(database_template, path)
    return "sqlite:///" + str(path)


@pytest.fixture
def make_app(db_uri, tmp_path):
    """make_app(**config) -> a new app on this test's database (several share it)."""
    apps = []

    def factory(**overrides):
        app = create_app({**base_config(tmp_path, db_uri), **overrides})
        if PG_URL and not apps:
            _empty_postgres(app)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def org(app):
    o = accounts.get_or_create_organisation("test-org", "Test Org")
    db.session.commit()
    return o


@pytest.fixture
def make_user(app, org):
    def factory(email="someone@example.org", role=None, password="password123", name="Someone"):
        user = accounts.register_user(email, name, password)
        if role:
            accounts.grant(user, org, role)
        db.session.commit()
        return user
    return factory


@pytest.fixture
def organiser(make_user):
    return make_user("organiser@example.org", "organiser")


@pytest.fixture
def organiser_token(organiser):
    token = accounts.create_api_token(organiser)
    db.session.commit()
    return token


QUESTION = {"question": "Is there a red roof?", "options": [
    {"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}, {"value": "unsure", "label": "Not sure"}]}


@pytest.fixture
def make_campaign(app, org, organiser):
    """make_campaign(tasks=5, redundancy=3, publish=True, **fields) -> a question campaign."""
    def factory(tasks=5, redundancy=3, publish=True, **fields):
        data = {"title": "Find red roofs", "kind": "question", "redundancy": redundancy,
                "settings": QUESTION, "summary": "Test campaign", **fields}
        c = campaigns.create_campaign(org.id, organiser, data)
        if tasks:
            rows = [{"external_id": f"t{i}", "text": f"Task number {i}"} for i in range(tasks)]
            campaigns.import_tasks(c, "tasks.json", json.dumps(rows))
        if publish:
            if fields.get("escalate_on"):  # answers that alert the team: a working alert channel first
                alert_channel(org)
            campaigns.publish(c)
        db.session.commit()
        return c
    return factory


@pytest.fixture
def guest(client):
    """guest() -> headers of a new guest contributor (a fresh bearer token each call)."""
    return lambda: new_guest(client)

"""Security headers, production-mode settings, rate limits on sign-in and guest creation, the proxy setting
and what a lost database connection answers."""
import json
import re

import pytest
from sqlalchemy.exc import OperationalError

from citizen import create_app
from citizen.accounts.models import Contributor
from citizen.campaigns import services as campaigns
from citizen.extensions import db
from citizen.security import ProductionSettingsError
from tests.conftest import base_config
from tests.helpers import sign_in
from tests.test_map_kinds import AREA, TILES

GOOD_SECRET = "x" * 48


def nonce_of(response):
    match = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
    return match.group(1)


def test_pages_and_api_carry_security_headers(client, make_campaign):
    make_campaign()
    page = client.get("/")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    api = client.get("/api/v1/campaigns")
    assert api.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert nonce_of(page) != nonce_of(client.get("/")), "a nonce is never reused"


def test_every_inline_script_carries_the_nonce_and_no_inline_handlers(app, client, org, organiser):
    c = campaigns.create_campaign(org.id, organiser, {"title": "Forest", "kind": "deforestation", "settings": TILES})
    campaigns.import_tasks(c, "area.geojson", json.dumps(AREA).encode())
    campaigns.publish(c)
    db.session.commit()
    sign_in(client, "organiser@example.org")
    seen = 0
    for url in (f"/campaigns/{c.slug}", f"/organise/{c.slug}/", f"/campaigns/{c.slug}/work", "/data/"):
        r = client.get(url)
        assert r.status_code == 200, url
        html, nonce = r.get_data(as_text=True), nonce_of(r)
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
        seen += len(inline)
        for attrs in inline:
            if 'type="application/json"' in attrs:
                continue  # data, not code: the CSP does not run it either way
            assert f'nonce="{nonce}"' in attrs, (url, attrs)
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", html), url
    assert seen, "the campaign and manage pages have their folium map scripts inline"


@pytest.mark.parametrize("secret", ["dev-only-change-me", "test-secret", "short-but-random-9f8a"])
def test_production_mode_refuses_a_default_or_short_secret(tmp_path, db_uri, secret):
    with pytest.raises(ProductionSettingsError, match="CITIZEN_SECRET_KEY"):
        create_app({**base_config(tmp_path, db_uri), "PRODUCTION": True, "SECRET_KEY": secret,
                    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"})


def test_production_mode_refuses_per_process_rate_limits(tmp_path, db_uri):
    with pytest.raises(ProductionSettingsError, match="RATELIMIT_STORAGE_URI"):
        create_app({**base_config(tmp_path, db_uri), "PRODUCTION": True, "SECRET_KEY": GOOD_SECRET,
                    "RATELIMIT_STORAGE_URI": "memory://"})


def test_production_mode_secures_cookies_and_reconnects(make_app):
    app = make_app(PRODUCTION=True, SECRET_KEY=GOOD_SECRET, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0",
                   PUBLIC_URL="https://citizen.example.org")
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    r = app.test_client().get("/api/v1/campaigns", base_url="https://citizen.example.org")
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")
    assert not make_app().config["SESSION_COOKIE_SECURE"], "plain `make run` on http keeps working"


def test_a_lost_database_connection_answers_503_with_retry_after(app, client):
    @app.get("/api/v1/test-database-gone")
    def gone():
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    r = client.get("/api/v1/test-database-gone")
    assert r.status_code == 503 and r.get_json()["code"] == "unavailable"
    assert r.headers["Retry-After"] == "1"


def test_guest_creation_is_rate_limited_whichever_way_a_guest_is_made(make_app, make_campaign):
    slug = make_campaign().slug
    db.session.commit()  # on SQLite every transaction takes the write lock: end this one
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", GUEST_RATE_LIMIT="2 per hour")
    with app.app_context():
        client = app.test_client()
        assert client.post("/api/v1/guests").status_code == 201
        assert client.post(f"/api/v1/campaigns/{slug}/tasks/next").status_code == 200  # cookie guest
        before = db.session.query(Contributor).count()
        refused = app.test_client().post(f"/api/v1/campaigns/{slug}/tasks/next")
        assert refused.status_code == 429 and refused.get_json()["code"] == "rate_limited"
        assert client.post("/api/v1/guests").status_code == 429
        assert db.session.query(Contributor).count() == before, "nothing made when refused"
        assert client.post(f"/api/v1/campaigns/{slug}/tasks/next").status_code == 200, \
            "a volunteer who already has a guest identity is not affected"


def test_sign_in_attempts_are_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    client = app.test_client()
    codes = [client.post("/account/login", data={"email": "who@example.org", "password": "guess"}).status_code
             for _ in range(21)]
    assert codes[:20] == [200] * 20 and codes[20] == 429


@pytest.mark.parametrize("proxies, linked", [(0, False), (1, True)])
def test_forwarded_addresses_count_only_behind_a_configured_proxy(make_app, proxies, linked):
    """Without PROXY_FIX anyone could pick their address with a header; loopback gives no signature."""
    app = make_app(PROXY_FIX=proxies)
    with app.app_context():
        token = app.test_client().post("/api/v1/guests", headers={"X-Forwarded-For": "203.0.113.7"},
                                       environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_json()["token"]
        guest = db.session.query(Contributor).order_by(Contributor.id.desc()).first()
        assert token and (guest.network_sig is not None) == linked


def test_nul_characters_in_paths_queries_and_forms_are_refused_before_the_database(client, organiser):
    """PostgreSQL refuses NUL in text; SQLite would store it: both answer the same, with a 4xx."""
    sign_in(client, "organiser@example.org")
    assert client.get("/campaigns/a%00b").status_code == 404
    assert client.get("/data/x%00/").status_code == 404
    assert client.get("/moderation/?campaign=a%00").status_code == 400
    r = client.post("/organise/new", data={"title": "Bad\x00title", "kind": "question"})
    assert r.status_code == 400 and "NUL" in r.get_data(as_text=True)
    assert client.get("/organise/").status_code == 200 and "Bad" not in client.get("/organise/").get_data(as_text=True)

"""Security headers on every response, and the settings production mode insists on.

Pages load scripts only from /static/ or inline blocks carrying the request's nonce (the folium maps);
no inline event handlers. Map tiles may come from the organiser's imagery server, so images are the one
resource type allowed from anywhere.
"""
import logging
import secrets

from flask import abort, g, request
from flask_babel import gettext as _
from werkzeug.middleware.proxy_fix import ProxyFix
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

# Keys that appear in our docs, in Flask's tutorial or in copy-pasted configs: never acceptable in production.
KNOWN_SECRETS = {"dev-only-change-me", "dev", "secret", "change-me", "changeme", "test-secret", "secret-key"}
MIN_SECRET_LENGTH = 32

PAGE_POLICY = ("default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
               "img-src * data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; "
               "worker-src 'self'; manifest-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
# Anything else (JSON, CSV, media): nothing may run if someone opens it as a document.
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class ProductionSettingsError(RuntimeError):
    """Production mode was asked for with a setting that would be unsafe or break with several workers."""


def csp_nonce():
    """The nonce of this request's Content-Security-Policy, for <script nonce="..."> in templates."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


DEV_PUBLIC_URL = "http://127.0.0.1:5000"


def public_origin(value):
    """(scheme, host, port-or-None) of a PUBLIC_URL; raises ValueError when it is not scheme://host[:port]."""
    parts = urlsplit(str(value or "").strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc \
            or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(value)
    return parts.scheme, parts.hostname, parts.port


def check_production(config):
    """Refuse to start production mode on a default secret or on per-process rate-limit counters, on a missing
    PUBLIC_URL or with WEBHOOK_ALLOW_PRIVATE; switch on what production needs (secure cookies, reconnecting
    database pool, TRUSTED_HOSTS from PUBLIC_URL)."""
    if not config.get("PRODUCTION"):
        return
    key = config.get("SECRET_KEY") or ""
    if key in KNOWN_SECRETS or len(key) < MIN_SECRET_LENGTH:
        raise ProductionSettingsError(
            "Production mode needs a secret key of its own: set CITIZEN_SECRET_KEY to at least "
            f"{MIN_SECRET_LENGTH} random characters, e.g. the output of "
            "python -c 'import secrets; print(secrets.token_hex(32))'.")
    if str(config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory://"):
        raise ProductionSettingsError(
            "Production mode runs several workers, and in-memory rate limits would count per worker: set "
            "CITIZEN_RATELIMIT_STORAGE_URI to redis://127.0.0.1:6379/0 (or your Redis).")
    if config.get("WEBHOOK_ALLOW_PRIVATE"):
        raise ProductionSettingsError(
            "WEBHOOK_ALLOW_PRIVATE is for tests: with it organisers' webhooks could reach inside your network. "
            "Remove it (CITIZEN_WEBHOOK_ALLOW_PRIVATE) in production mode.")
    try:
        _scheme, host, _port = public_origin(config.get("PUBLIC_URL"))
    except ValueError:
        host = None
    if not host or str(config.get("PUBLIC_URL")).rstrip("/") == DEV_PUBLIC_URL:
        raise ProductionSettingsError(
            "Production mode needs the address people reach this site at, for the links in e-mails, webhooks "
            "and open data: set CITIZEN_PUBLIC_URL, e.g. https://citizen.example.org (scheme and host, no path).")
    extra = config.get("TRUSTED_HOSTS_EXTRA") or ""
    extra = [h.strip() for h in (extra.split(",") if isinstance(extra, str) else extra) if h.strip()]
    if config.get("TRUSTED_HOSTS") is None:
        config["TRUSTED_HOSTS"] = [host] + extra  # any other Host header: 400 (Flask 3.1)
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        log.warning("Production mode on SQLite: writers queue one at a time; use PostgreSQL for real load.")
    for name in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if config.get(name) is None:
            config[name] = True
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options.setdefault("pool_pre_ping", True)  # a restarted database costs one failed check, not an error page
    config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def register(app):
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    from citizen.urls import external_url
    app.jinja_env.globals["external_url"] = external_url  # links meant to leave the page (PUBLIC_URL)
    proxies = int(app.config.get("PROXY_FIX") or 0)
    if proxies:
        # Behind a reverse proxy: the client's address (device signatures, rate limits) and scheme come
        # from X-Forwarded-*; trusting them without a proxy would let anyone pick their address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    csp = app.config.get("CSP_ENABLED", True)
    hsts = app.config.get("PRODUCTION")

    @app.before_request
    def fresh_nonce():
        g.pop("csp_nonce", None)  # g can outlive a request (an app context kept open by a script or test)

    @app.before_request
    def refuse_nul():
        # PostgreSQL refuses NUL in text: a path, query or form carrying one is answered here (404 or 400)
        # instead of failing in the database with a 500. The API's JSON bodies are checked by api.body.
        if "\x00" in request.path:
            abort(404)
        fields = [*request.args.lists(), *(request.form.lists() if request.mimetype in FORM_TYPES else ())]
        # (a multipart part without a name has the key None)
        if any("\x00" in (key or "") or any("\x00" in (v or "") for v in values) for key, values in fields):
            abort(400, description=_("Part of what was sent contains a NUL character, which cannot be stored."))

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        if csp:
            policy = PAGE_POLICY.format(nonce=csp_nonce()) if response.mimetype == "text/html" else OTHER_POLICY
            headers.setdefault("Content-Security-Policy", policy)
        if hsts and request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

"""Default settings. instance/config.py and CITIZEN_* environment variables override them."""
import os


class Defaults:
    SECRET_KEY = "dev-only-change-me"
    # Production mode (CITIZEN_PRODUCTION=true, set by `make serve-prod`): refuses a default SECRET_KEY and
    # per-process rate limits, sends cookies only over HTTPS, reconnects to a restarted database by itself.
    PRODUCTION = False
    # Where people reach this site (scheme://host[:port], no path). Every link that leaves a page response (webhook
    # payloads, e-mails, datapackage.json and README links, share tags) is built from it, never from the request's
    # Host header. Production mode requires it and answers 400 to any other Host (Flask's TRUSTED_HOSTS, set from
    # it plus TRUSTED_HOSTS_EXTRA: more names, comma-separated, e.g. CITIZEN_TRUSTED_HOSTS="www.example.org").
    PUBLIC_URL = "http://127.0.0.1:5000"
    TRUSTED_HOSTS_EXTRA = ""
    # Tests only (production mode refuses it): webhooks may go to private addresses and any port (a receiver on
    # 127.0.0.1). Never set it on a server: organisers could make it reach inside the network.
    WEBHOOK_ALLOW_PRIVATE = False
    # Number of reverse proxies in front of the app whose X-Forwarded-For/-Proto to trust (0: none).
    PROXY_FIX = 0
    # Content-Security-Policy on every response (pages: scripts from /static/ or with the request's nonce).
    CSP_ENABLED = True
    SESSION_COOKIE_SECURE = None  # None: True in production mode, False otherwise
    REMEMBER_COOKIE_SECURE = None
    SQLALCHEMY_DATABASE_URI = None  # set by create_app: sqlite in the instance folder
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 256 * 1024 * 1024  # a ZIP of drone photos
    BABEL_DEFAULT_LOCALE = "en"
    LANGUAGES = ["en", "es", "fr"]  # citizen/translations/<code>/LC_MESSAGES/messages.po (and .mo)
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # New guests per address (POST /api/v1/guests and first visits without a cookie share it): room for a
    # training session on one Wi-Fi, not for a script minting accounts. Sign-in and sign-up have their own.
    GUEST_RATE_LIMIT = "100 per hour"
    # Campaign kinds, as "module:Class"; create_app registers exactly these.
    KINDS = ["citizen.campaigns.kinds.question:QuestionKind",
             "citizen.campaigns.kinds.deforestation:DeforestationKind",
             "citizen.campaigns.kinds.damage:DamageKind",
             "citizen.campaigns.kinds.transcription:TranscriptionKind",
             "citizen.campaigns.kinds.search:SearchKind"]
    # A task handed to a volunteer is held for them this long before its slot is offered to others.
    LEASE_SECONDS = 15 * 60
    # How many tasks one contributor may hold at once in a campaign (the one shown and one prefetched).
    MAX_LEASES = 2
    IMPORT_MAX_ROWS = 200_000
    IMPORT_MAX_ERRORS = 20
    # PDF transcription: limits per document and per import; uploads of up to PDF_RENDER_SYNC_PAGES
    # pages are rendered on the request, larger ones in a job (see citizen.campaigns.transcripts).
    PDF_MAX_PAGES = 500
    PDF_MAX_BYTES = 50 * 1024 * 1024
    PDF_MAX_IMPORT_PAGES = 5000
    PDF_RENDER_SYNC_PAGES = 20
    MEDIA_FOLDER = None  # set by create_app: instance/media
    # Long work (PDF rendering, exports) runs in a thread pool off the request; True runs it at once
    # in the caller's thread (tests, CLI).
    JOBS_SYNC = False
    # Exposure budget for sensitive items (citizen.wellbeing): break_after, hard_limit (weighted views: graphic
    # 1, extreme 3), window_minutes, cooldown_minutes; empty takes content_warnings' defaults (5, 10, 30, 20).
    WELLBEING_BUDGET = {}
    # Blurred copies for up to this many rated tasks are made during the import; more, in a job.
    WELLBEING_BLUR_SYNC = 20
    # Moderation (citizen.moderation): escalation webhooks are tried this many times, waiting BACKOFF, 2x, 4x...
    # seconds between tries (each try a new attempt of the job, one at a time per organisation); new suspensions reach other processes' hot path within SUSPENSION_REFRESH seconds;
    # the queue page asks for new escalations every POLL_SECONDS.
    MODERATION_WEBHOOK_ATTEMPTS = 5
    MODERATION_WEBHOOK_BACKOFF = 2.0
    MODERATION_WEBHOOK_TIMEOUT = 5  # seconds to connect, and again to read
    MODERATION_SUSPENSION_REFRESH = 2.0
    MODERATION_POLL_SECONDS = 3
    # E-mail of escalations and of campaign updates (smtplib): nothing is sent while MAIL_SERVER is empty.
    MAIL_SERVER = ""
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_FROM = "citizen@localhost"


def from_environment(prefix="CITIZEN_"):
    """CITIZEN_FOO=bar becomes FOO="bar"; integers and booleans are converted."""
    out = {}
    for key, value in os.environ.items():
        if not key.startswith(prefix) or key.startswith(prefix + "TEST_"):
            continue
        name = key[len(prefix):]
        if value.lower() in ("true", "false"):
            out[name] = value.lower() == "true"
        elif value.isdigit():
            out[name] = int(value)
        else:
            out[name] = value
    if "TRUSTED_HOSTS" in out:  # CITIZEN_TRUSTED_HOSTS: extra names; Flask's TRUSTED_HOSTS is built from them
        out["TRUSTED_HOSTS_EXTRA"] = str(out.pop("TRUSTED_HOSTS"))
    if "DATABASE_URL" in out:
        out["SQLALCHEMY_DATABASE_URI"] = out.pop("DATABASE_URL")
    return out

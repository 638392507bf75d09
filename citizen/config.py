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
    MAX_CONTENT_LENGTH = 256 * 1024 * 1024  # a ZIP of drone photos: file uploads only (citizen.body_limits)
    API_MAX_BODY = 1024 * 1024  # a JSON request of the API
    FORM_MAX_BODY = 1024 * 1024  # an HTML form post without a file
    IMPORT_MAX_BODY = 32 * 1024 * 1024  # a bulk task import (JSON or CSV body) or answer import
    BABEL_DEFAULT_LOCALE = "en"
    LANGUAGES = ["en", "es", "fr"]  # citizen/translations/<code>/LC_MESSAGES/messages.po (and .mo)
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # New guests per address (an IPv4 address or an IPv6 /64; POST /api/v1/guests and first visits without a cookie
    # share it): a class or a small training session on one Wi-Fi at once (the burst), a slow refill over the day
    # for carrier NAT, not a script minting accounts. Bigger events use a campaign's event code (accounts.events),
    # which lifts this limit for the guests it makes. Sign-in and sign-up have their own limits.
    GUEST_RATE_LIMIT = "30 per hour;300 per day"
    # The same count per IPv4 /24 or IPv6 /48 (citizen.network.wider_network_key): one holder of a block of
    # addresses (a hosting customer, a proxy pool's subnet) cannot multiply the allowance by its addresses. A school's
    # /24 still lets a couple of classes in per hour; more at once use an event code.
    GUEST_NETWORK_RATE_LIMIT = "60 per hour;600 per day"
    # Campaign kinds, as "module:Class"; create_app registers exactly these.
    KINDS = ["citizen.kinds.question:QuestionKind",
             "citizen.kinds.deforestation:DeforestationKind",
             "citizen.kinds.damage:DamageKind",
             "citizen.kinds.transcription:TranscriptionKind",
             "citizen.kinds.search:SearchKind",
             "citizen.kinds.boxes:BoxesKind",
             "citizen.kinds.field:FieldKind"]
    # A task handed to a volunteer is held for them this long before its slot is offered to others. Short, so
    # visitors who open the work page and leave do not lock a small campaign: the page says "still here" while
    # the volunteer is active (each time the lease lasts LEASE_SECONDS more, up to LEASE_MAX_SECONDS after it
    # was taken) and gives its tasks back when it is hidden or closed. An answer sent after the lease ran out
    # is still taken while the task has room.
    LEASE_SECONDS = 120
    LEASE_MAX_SECONDS = 15 * 60
    # How many tasks one contributor may hold at once in a campaign (the one shown and one prefetched).
    MAX_LEASES = 2
    IMPORT_MAX_ROWS = 200_000
    IMPORT_MAX_ERRORS = 20
    # PDF transcription: limits per document and per import; uploads of up to PDF_RENDER_SYNC_PAGES
    # pages are rendered on the request, larger ones in a job (see citizen.kinds.transcription.transcripts).
    PDF_MAX_PAGES = 500
    PDF_MAX_BYTES = 50 * 1024 * 1024
    PDF_MAX_IMPORT_PAGES = 5000
    PDF_RENDER_SYNC_PAGES = 20
    MEDIA_FOLDER = None  # set by create_app: instance/media
    UPLOADS_FOLDER = None  # the organiser's previews kept until confirmed (None: instance/uploads)
    PRIVATE_FOLDER = None  # files never served under /media/: volunteers' field photos (None: instance/private)
    # Where files live (citizen.storage): empty for the local folders (MEDIA_FOLDER, EXPORTS_FOLDER: instance/exports,
    # UPLOADS_FOLDER), or "s3://bucket/prefix" for an S3-compatible object store (MinIO, Garage...) that every web
    # server and worker of a deployment shares. STORAGE_ACCESS_KEY/SECRET_KEY empty: boto3's own chain (AWS_* variables).
    STORAGE_URL = ""
    STORAGE_ENDPOINT = ""  # e.g. http://127.0.0.1:9000 (empty: AWS)
    STORAGE_REGION = "us-east-1"
    STORAGE_ACCESS_KEY = ""
    STORAGE_SECRET_KEY = ""
    STORAGE_PUBLIC_ENDPOINT = ""  # the store as browsers reach it, when presigned URLs are used (empty: the endpoint)
    # With an object store, /media/ streams files through the app (the same headers as a local file: nosniff, the
    # sandbox CSP) unless this is a number of seconds: then, after the same checks, it redirects to a presigned URL
    # valid that long (set it only when the store is on an origin of its own). GeoPackages are redirected to one
    # valid STORAGE_EXPORTS_REDIRECT seconds (0: streamed through the app too).
    STORAGE_MEDIA_REDIRECT = 0
    STORAGE_EXPORTS_REDIRECT = 300
    # Campaign-wide results (citizen.campaigns.builds: batch consensus, influence report, maps) are built again at
    # most this often while answers keep coming; public pages serve the last complete build meanwhile. A build of
    # a campaign with tens of thousands of answers takes seconds of CPU in a web worker's job pool: once a minute
    # keeps it to a few per cent of a core during a busy campaign.
    BUILD_MIN_SECONDS = 60
    # ... and at least this many times as long as the last build took (a build of 20 s waits 200 s): builds hold at
    # most about a tenth of one thread, however large the campaign.
    BUILD_SPACING = 10
    # Long work (PDF rendering, exports, webhooks) runs off the request in a worker process (`flask jobs work`; see
    # docs/jobs.md). True runs it at once in the caller's thread once its transaction commits (tests, CLI).
    JOBS_SYNC = False
    # Where job messages wait: redis://host:6379/1, postgresql://..., sqlite:///path, memory:// (one process). Empty:
    # a SQLite file in the instance folder (`make run`); several machines need Redis or PostgreSQL.
    JOBS_QUEUE_URL = ""
    JOBS_WORKER_THREADS = 2  # per `flask jobs work` process (--threads)
    # A worker holds the job it runs for JOBS_LEASE_SECONDS, moved on every third of it while it lives; every
    # JOBS_SWEEP_SECONDS each worker sends again jobs whose worker died (lease run out) or whose message went missing
    # (still pending JOBS_RESEND_SECONDS after it was sent). A killed worker's job runs again within lease + sweep.
    JOBS_LEASE_SECONDS = 30
    JOBS_SWEEP_SECONDS = 15
    JOBS_RESEND_SECONDS = 60
    # An organiser's previewed upload never confirmed is deleted by a workers' chore after this many hours.
    UPLOADS_KEEP_HOURS = 24
    # Exposure budget for sensitive items (citizen.wellbeing): break_after, hard_limit (weighted views: graphic
    # 1, extreme 3), window_minutes, cooldown_minutes; empty takes content_warnings' defaults (5, 10, 30, 20).
    WELLBEING_BUDGET = {}
    # Content flags ("more upsetting than rated"): per contributor at most FLAG_LIMIT per FLAG_LIMIT_SECONDS and
    # FLAG_DAILY_PER_CAMPAIGN per campaign and day. A flag alone withholds nothing: the campaign's flag_threshold
    # (3 by default) of independent flaggers (distinct device signatures) re-rates an item; moderators see each
    # flag at once.
    FLAG_LIMIT = 10
    FLAG_LIMIT_SECONDS = 600
    FLAG_DAILY_PER_CAMPAIGN = 50
    # Talk (citizen.talk): per signed-in author at most TALK_POST_LIMIT posts per TALK_POST_SECONDS and
    # TALK_POSTS_PER_DAY a day; at most TALK_REPORTS_PER_DAY reports of posts a day per account.
    TALK_POST_LIMIT = 5
    TALK_POST_SECONDS = 60
    TALK_POSTS_PER_DAY = 100
    TALK_REPORTS_PER_DAY = 30
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
    LIVE_POLL_SECONDS = 5          # the response team's live page checks for new finds this often
    LIVE_FEED_CACHE_SECONDS = 2.0  # its feed is read from the database at most this often per organisation
    # E-mail of escalations and of campaign updates (smtplib): nothing is sent while MAIL_SERVER is empty.
    MAIL_SERVER = ""
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_FROM = "citizen@localhost"
    # The demo's offline imagery tiles (/tiles/demo/...), which the demo campaigns of `make run` use; an instance
    # without the demo sets CITIZEN_DEMO=false (its campaigns then use real tile servers).
    DEMO = True
    # A reference basemap the organiser's draw-an-area map offers besides the campaign's imagery and the offline
    # country outlines: a tile address the organisation may use (its own tile server, or a provider whose terms
    # allow it), as https://tiles.example.org/{z}/{x}/{y}.png. Empty: none (the site fetches no outside map).
    REFERENCE_TILES = ""
    REFERENCE_ATTRIBUTION = ""


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

"""Flask extensions, created unbound; create_app binds them."""
from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import JSON, MetaData, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase

from citizen.network import remote_network

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login = LoginManager()
csrf = CSRFProtect()
# Every limit counts per network (an IPv4 address or an IPv6 /64: the rest of an IPv6 address is free to rotate).
limiter = Limiter(key_func=remote_network, default_limits=[])


@limiter.request_filter
def _api_counts_its_own_limits():
    """The API's one limit (new guests, see accounts.auth) is counted where a guest is made: spare every other
    API request Flask-Limiter's per-request lookup (a few percent of the volunteer loop's time)."""
    return request.path.startswith("/api/")
babel = Babel()

# JSON everywhere, JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")
# For optional JSON values: Python None is stored as SQL NULL (not JSON null), so IS NULL finds it.
NullableJSON = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def tune_sqlite(engine):
    """WAL and immediate write locks: SQLite then serialises writers instead of failing them
    with 'database is locked' half-way through a transaction."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        # A campaign of a million tasks does not fit SQLite's default 2 MB page cache.
        cur.execute("PRAGMA cache_size=-65536")
        cur.execute("PRAGMA mmap_size=268435456")
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.execute("PRAGMA busy_timeout=10000")
        # Checkpoint the WAL every ~40 MB instead of ~4 MB: hot pages (tasks, indexes) rewritten many
        # times are copied back once, and the checkpoint's fsync is paid ten times less often.
        cur.execute("PRAGMA wal_autocheckpoint=10000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # Straight to the driver: this runs once per request on the hot path.
        conn.connection.dbapi_connection.execute("BEGIN IMMEDIATE")

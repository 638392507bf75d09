"""What every benchmark needs: a fresh, migrated SQLite database in a temporary folder."""
import tempfile

from citizen import create_app


def fresh_app(name, **config):
    """A citizen app on a new migrated SQLite database (rate limits off); returns (app, folder).
    `config` adds or overrides settings (JOBS_SYNC, ...). Jobs go to an in-memory queue that no worker reads (a
    benchmark measures its own process; builds and renders are a worker's work), never to the instance's queue."""
    folder = tempfile.mkdtemp(prefix=f"citizen-{name}-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db", "SECRET_KEY": "bench",
                      "RATELIMIT_ENABLED": False, "MEDIA_FOLDER": folder, "WTF_CSRF_ENABLED": False,
                      "JOBS_QUEUE_URL": "memory://", **config})
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
    return app, folder

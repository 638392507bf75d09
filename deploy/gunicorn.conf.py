"""gunicorn settings for production mode (`make serve-prod`); environment variables override the defaults.

The app is loaded once in the master and forked: a worker killed by the OOM killer or by `kill -9` is
replaced in milliseconds, and all workers share one SECRET_KEY and configuration. Each worker opens its own
database connections after the fork.
"""
import gc
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
# Threads keep connections alive between a volunteer's requests; the work itself is short database calls.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
preload_app = True
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))  # PDF previews and ZIP uploads can take a while
graceful_timeout = 30
keepalive = 5
# The reverse proxy adds X-Forwarded-*; the app trusts them only with CITIZEN_PROXY_FIX set (see README).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")


def post_fork(server, worker):
    """Connections opened while the master loaded the app must not be shared between processes. The loaded
    app's objects are moved out of the garbage collector's sight (gc.freeze): its full collections then
    walk only what requests create, and pages shared with the master stay shared."""
    gc.freeze()
    app = server.app.wsgi()
    sqlalchemy = app.extensions.get("sqlalchemy")
    if sqlalchemy is not None:
        with app.app_context():
            for engine in sqlalchemy.engines.values():
                engine.dispose(close=False)

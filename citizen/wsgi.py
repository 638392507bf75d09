"""The WSGI entry point for gunicorn and other servers: `gunicorn -c deploy/gunicorn.conf.py citizen.wsgi:app`."""
from citizen import create_app

app = create_app()

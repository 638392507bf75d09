"""Links that leave a page response (webhooks, e-mails, open data files, share tags) start with PUBLIC_URL,
never with the Host header of whoever made the request."""
from flask import current_app, url_for


def public_url():
    """The configured origin people reach this site at, without a trailing slash."""
    return str(current_app.config.get("PUBLIC_URL") or "").rstrip("/")


def external_url(endpoint, **values):
    """url_for(endpoint, **values) as an absolute link on PUBLIC_URL."""
    return public_url() + url_for(endpoint, **values)

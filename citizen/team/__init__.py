"""Team: an organisation's organisers invite organisers and moderators (a one-time code or link, e-mailed when a
mail server is configured), change their roles and remove them, from a page; every change in the audit log.

- `models`    invitations (only a hash of the code is kept; expiring, single use).
- `services`  invite, accept, change a role, remove (never the last organiser), each written to the audit log.
- `mail`      the invitation e-mail (smtplib; nothing is sent while MAIL_SERVER is empty).
- `views`     /team/ (organisers) and /team/join (whoever has a code).
"""


def init_app(app):
    """Plug the team pages in (called by create_app)."""
    from citizen.team import views
    app.register_blueprint(views.bp)

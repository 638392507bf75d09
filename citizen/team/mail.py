"""The invitation e-mail: sent while the organiser waits (a few seconds at most), only when MAIL_SERVER is
configured. The code is never stored, so it cannot wait in a job queue: when the mail cannot go, the page shows
the link to pass on instead."""
import logging
import smtplib
from email.message import EmailMessage

from flask import current_app
from flask_babel import gettext as _

log = logging.getLogger(__name__)


def can_send():
    return bool(current_app.config.get("MAIL_SERVER"))


def send_invitation(to, organisation, role, link, inviter):
    """True when the mail server took the message."""
    cfg = current_app.config
    if not cfg.get("MAIL_SERVER") or not to:
        return False
    try:  # a header the mail library refuses (a line break in a name) is a message not sent, like a refusal
        msg = EmailMessage()
        msg["From"], msg["To"] = cfg.get("MAIL_FROM") or "citizen@localhost", to
        msg["Subject"] = _("%(name)s invites you to %(org)s", name=inviter, org=organisation)
        msg.set_content("\n".join([
            _("%(name)s invites you to join %(org)s as %(role)s.", name=inviter, org=organisation, role=role),
            _("Open this link, sign in or create an account, and join:"), link,
            _("The link works once and expires in a week. If you did not expect it, ignore this message."), ""]))
        with smtplib.SMTP(cfg["MAIL_SERVER"], int(cfg.get("MAIL_PORT") or 25), timeout=10) as smtp:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
            smtp.send_message(msg)
    except Exception as exc:  # the organiser is shown the link instead
        log.warning("invitation e-mail not sent: %s", exc)
        return False
    return True

"""Telling an organisation about an escalation, off the request: the "moderation.notify" job.

Webhook: a POST of the event's JSON to the organisation's URL, signed with HMAC-SHA256 of the exact body bytes
under the organisation's secret, in `X-Citizen-Signature: sha256=<hex>` (receivers compute the same over the
raw body and compare in constant time; `X-Citizen-Delivery` is stable across retries, for de-duplication).
Any answer but a 2xx (a redirect included: it is not followed) is a failure; a failure is tried again after
MODERATION_WEBHOOK_BACKOFF, then twice, four times... as long, up to MODERATION_WEBHOOK_ATTEMPTS tries, each try
a new attempt of the job (nothing sleeps in a shared worker). The address must be public (citizen.outbound checks
it again at each try, connecting only to the address it checked). Every attempt is a DeliveryAttempt row,
committed at once, so the delivery log shows it while the job still runs.

E-mail: to the organisation's alert addresses (else its organisers) through MAIL_SERVER with smtplib; when no
MAIL_SERVER is configured nothing is sent and a log line says so.
"""
import hashlib
import hmac
import json
import logging
import smtplib
import time
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select

from citizen import outbound
from citizen.accounts.models import Membership, User, utcnow
from citizen.extensions import db
from citizen.jobs import services as jobs
from citizen.moderation.escalations import event_json
from citizen.moderation.hot import NOTIFY_JOB
from citizen.moderation.models import AlertSettings, DeliveryAttempt, Escalation

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Citizen-Signature"


class DeliveryFailed(Exception):
    """Every attempt of a webhook failed (the job is marked failed; the log has each attempt)."""


def sign(secret, body):
    """The signature header's value for these body bytes."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret, body, header):
    """What a receiver does: True when `header` is the signature of `body` under `secret`."""
    return hmac.compare_digest(sign(secret, body), header or "")


class Subject:
    """What a delivery is about: an escalation's organisation and id, or (a test alert) an organisation alone."""

    def __init__(self, organisation_id, escalation_id=None):
        self.organisation_id, self.id = organisation_id, escalation_id


def _record(escalation, channel, event, target, attempt, started, status=None, ok=False, error=""):
    db.session.add(DeliveryAttempt(organisation_id=escalation.organisation_id, escalation_id=escalation.id,
                                   channel=channel, event=event, target=target[:1000], attempt=attempt,
                                   status_code=status, ok=ok, error=str(error)[:500],
                                   duration_ms=int((time.monotonic() - started) * 1000), created_at=utcnow()))
    db.session.commit()


REFUSED = "refused: address not allowed"
UNDELIVERED = "could not deliver"


def deliver_webhook(escalation, settings, payload, attempt=1):
    """One POST of `payload` to the organisation's webhook (through citizen.outbound: public addresses, ports
    80/443, no redirects). Returns "ok", "retry" (a failure worth trying again) or "refused" (the address is
    not allowed: trying again would not help). The delivery log says only the status code, "could not
    deliver" or "refused: address not allowed": never which port was closed nor what the receiver answered."""
    cfg = current_app.config
    body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "citizen-webhooks/1",
               "X-Citizen-Event": payload["event"], "X-Citizen-Delivery": payload["delivery"],
               SIGNATURE_HEADER: sign(settings.webhook_secret or "", body)}
    url = settings.webhook_url
    db.session.commit()  # no transaction (on SQLite: no write lock) held while the network is waited on
    started = time.monotonic()
    try:
        status = outbound.post(url, body, headers, timeout=float(cfg.get("MODERATION_WEBHOOK_TIMEOUT", 5)))
    except outbound.Refused:
        _record(escalation, "webhook", payload["event"], url, attempt, started, None, False, REFUSED)
        return "refused"
    except Exception as exc:  # refused, timed out, reset, bad certificate: all are one failed attempt
        log.info("webhook of escalation %s, attempt %s: %s", escalation.id or "test", attempt, type(exc).__name__)
        _record(escalation, "webhook", payload["event"], url, attempt, started, None, False, UNDELIVERED)
        return "retry"
    ok = 200 <= status < 300
    _record(escalation, "webhook", payload["event"], url, attempt, started, status, ok, "" if ok else f"HTTP {status}")
    return "ok" if ok else "retry"


def _recipients(settings, organisation_id):
    listed = [a.strip() for a in (settings.emails if settings else "").replace(";", ",").replace("\n", ",").split(",")]
    listed = [a for a in listed if "@" in a]
    if listed:
        return listed
    return list(db.session.execute(select(User.email).join(Membership, Membership.user_id == User.id).where(
        Membership.organisation_id == organisation_id, Membership.role == "organiser")).scalars())


def send_email(escalation, settings, payload):
    """E-mail the event when MAIL_SERVER is configured. Returns "sent", "failed", "skipped" or "nobody"."""
    cfg = current_app.config
    if not cfg.get("MAIL_SERVER"):
        log.info("escalation %s not e-mailed: MAIL_SERVER is not configured", escalation.id)
        return "skipped"
    to = _recipients(settings, escalation.organisation_id)
    if not to:
        return "nobody"
    esc = payload["escalation"]
    verb = "confirmed" if payload["event"].endswith("confirmed") else "needs a moderator"
    place = esc["location"]
    return _mail(escalation, payload["event"], to,
                 f"[citizen] Escalation {esc['id']} {verb}: {esc['answer']} in {esc['campaign']['title']}",
                 "\n".join([
        f"A volunteer answered \"{esc['answer']}\" on task {esc['task']['id']} of \"{esc['campaign']['title']}\".",
        f"Status: {esc['status']}." + (f" Reason: {esc['reason']}" if esc["reason"] else ""),
        f"Location: {place['lat']:.6f}, {place['lon']:.6f} ({place['source']})" if place else "Location: unknown",
        f"Review it: {esc['url']}", ""]))


def _mail(escalation, event, to, subject, text):
    """Send one e-mail through MAIL_SERVER and log it as a delivery attempt: "sent" or "failed"."""
    cfg = current_app.config
    msg = EmailMessage()
    msg["From"], msg["To"] = cfg.get("MAIL_FROM") or "citizen@localhost", ", ".join(to)
    msg["Subject"] = subject
    msg.set_content(text)
    db.session.commit()  # no transaction held while the mail server is waited on
    started = time.monotonic()
    try:
        with smtplib.SMTP(cfg["MAIL_SERVER"], int(cfg.get("MAIL_PORT") or 25), timeout=10) as smtp:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
            smtp.send_message(msg)
    except Exception as exc:
        log.warning("escalation %s: e-mail failed: %s", escalation.id or "test", exc)
        _record(escalation, "email", event, ", ".join(to), 1, started, None, False, f"{type(exc).__name__}: {exc}")
        return "failed"
    _record(escalation, "email", event, ", ".join(to), 1, started, None, True)
    return "sent"


def notify_job(job, progress):
    """Webhook and e-mail for one escalation event (params: escalation_id, event, base_url). One run is one
    attempt: the e-mail goes with the first; a failed webhook delivery is tried again as a new attempt after
    MODERATION_WEBHOOK_BACKOFF, 2x, 4x... seconds (jobs.Retry: no worker sleeps), up to
    MODERATION_WEBHOOK_ATTEMPTS attempts. The job runs on its organisation's lane (see hot.notify)."""
    escalation = db.session.get(Escalation, job.params["escalation_id"])
    if escalation is None:
        return {"skipped": "the escalation is gone"}
    cfg = current_app.config
    settings = db.session.get(AlertSettings, escalation.organisation_id)
    if job.attempt == 1 or "payload" not in job.params:
        payload = event_json(escalation, job.params["event"], job.params.get("base_url", ""))
        email = send_email(escalation, settings, payload)
        # Later attempts send these same bytes (same signature, same sent_at) and report this e-mail outcome.
        job.params = {**job.params, "email": email, "payload": payload}
        db.session.commit()
    payload = job.params["payload"]
    out = {"email": job.params.get("email")}
    if settings is not None and settings.webhook_url:
        outcome = deliver_webhook(escalation, settings, payload, job.attempt)
        out["webhook"] = outcome == "ok"
        attempts = max(1, int(cfg.get("MODERATION_WEBHOOK_ATTEMPTS", 5)))
        if outcome == "retry" and job.attempt < attempts:
            backoff = float(cfg.get("MODERATION_WEBHOOK_BACKOFF", 2.0))
            raise jobs.Retry(backoff * 2 ** (job.attempt - 1),
                             f"attempt {job.attempt} of {attempts} failed; see the delivery log")
        if outcome != "ok":
            raise DeliveryFailed(f"the webhook did not accept escalation {escalation.id} "
                                 f"({job.params['event']}); see the delivery log")
    return out


TEST_JOB = "moderation.test_alert"


def test_payload(organisation, base_url=""):
    """The JSON of a test alert: the shape of an escalation event, marked as a test, with no escalation."""
    return {"event": "test", "delivery": f"test-{organisation.id}-{utcnow():%Y%m%dT%H%M%S%f}",
            "sent_at": utcnow().isoformat(timespec="seconds") + "Z", "organisation": organisation.slug,
            "test": True, "escalation": None,
            "settings_url": f"{(base_url or '').rstrip('/')}/moderation/settings?org={organisation.slug}"}


def test_job(job, progress):
    """A test alert on every channel but the live page (which picks it up itself): one webhook POST (no retry:
    the organiser waits for the answer) and one e-mail. Params: organisation_id, base_url."""
    from citizen.accounts.models import Organisation
    org = db.session.get(Organisation, job.params["organisation_id"])
    settings = db.session.get(AlertSettings, org.id) if org else None
    if settings is None:
        return {"skipped": "no alert settings"}
    subject, payload, out = Subject(org.id), test_payload(org, job.params.get("base_url", "")), {}
    if settings.webhook_url:
        out["webhook"] = deliver_webhook(subject, settings, payload) == "ok"
    if current_app.config.get("MAIL_SERVER"):
        to = _recipients(settings, org.id)
        if to:
            out["email"] = _mail(subject, "test", to, f"[citizen] Test alert for {org.name}", "\n".join([
                f"This is a test alert for {org.name}: when a moderator confirms a find, an alert like this one",
                "reaches this address with the place to go to.", f"Alert settings: {payload['settings_url']}", ""]))
    return out

"""Updates organisers post on a campaign, and how volunteers who asked to be told hear of them: a notice on
their next visit to the site and, when the site can send e-mail (MAIL_SERVER) and they have an account,
an e-mail. Without MAIL_SERVER nothing is sent and nothing complains."""
import logging
import smtplib
from email.message import EmailMessage

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, func, select

from citizen.accounts.models import Contributor, User
from citizen.campaigns.models import Campaign, Participation
from citizen.text import render_markdown
from citizen.engagement.models import CampaignUpdate, VolunteerProfile
from citizen.errors import InvalidInput, NotFound
from citizen.extensions import db
from citizen.jobs import services as jobs

log = logging.getLogger(__name__)
MAIL_JOB = "engagement.update_mail"
MAX_TITLE, MAX_BODY = 200, 20_000
NOTICE_LIMIT = 3


def post_update(campaign, user, title, body, base_url=""):
    """Store an update (Markdown sanitised with bleach) and, when e-mail is configured, send it to the
    opted-in volunteers of the campaign once the caller commits. Raises InvalidInput naming the fields."""
    title, body = str(title or "").strip(), str(body or "").strip()
    errors = []
    if not title:
        errors.append({"field": "title", "message": _("Give the update a title.")})
    elif len(title) > MAX_TITLE:
        errors.append({"field": "title", "message": _("Keep the title under %(max)d characters.", max=MAX_TITLE)})
    if not body:
        errors.append({"field": "body", "message": _("Write what you want to tell the volunteers.")})
    elif len(body) > MAX_BODY:
        errors.append({"field": "body", "message": _("Keep the update under %(max)d characters.", max=MAX_BODY)})
    if errors:
        raise InvalidInput(errors[0]["message"], details=errors)
    update = CampaignUpdate(campaign_id=campaign.id, author_id=getattr(user, "id", None), title=title,
                            body_md=body, body_html=render_markdown(body))
    db.session.add(update)
    db.session.flush()
    if current_app.config.get("MAIL_SERVER"):
        jobs.start_after_commit(MAIL_JOB, campaign.id, {"update_id": update.id, "base_url": base_url})
    return update


def delete_update(campaign, update_id):
    update = db.session.get(CampaignUpdate, update_id)
    if update is None or update.campaign_id != campaign.id:
        raise NotFound(_("There is no such update."))
    db.session.delete(update)
    db.session.flush()


def campaign_updates(campaign, limit=20):
    return db.session.execute(select(CampaignUpdate).where(CampaignUpdate.campaign_id == campaign.id)
                              .order_by(CampaignUpdate.id.desc()).limit(limit)).scalars().all()


def _opted_in(campaign_id):
    """Contributors of the campaign who asked to hear about updates."""
    return (select(VolunteerProfile.contributor_id).join(Participation, and_(
        Participation.contributor_id == VolunteerProfile.contributor_id, Participation.campaign_id == campaign_id))
        .where(VolunteerProfile.notify_updates.is_(True), Participation.answer_count > 0))


def recipients(campaign_id):
    """E-mail addresses of opted-in volunteers of the campaign who have an account."""
    return list(db.session.execute(select(User.email).join(Contributor, Contributor.user_id == User.id).where(
        Contributor.id.in_(_opted_in(campaign_id)))).scalars())


def notices(contributor_id):
    """Updates posted since this volunteer last saw one, in campaigns they answered, if they asked to be told.
    Marks them seen (the caller commits). [] in one primary-key look-up for everybody else."""
    profile = db.session.get(VolunteerProfile, contributor_id) if contributor_id is not None else None
    if profile is None or not profile.notify_updates:
        return []
    rows = db.session.execute(
        select(CampaignUpdate, Campaign.slug, Campaign.title).join(Campaign, Campaign.id == CampaignUpdate.campaign_id)
        .join(Participation, and_(Participation.campaign_id == CampaignUpdate.campaign_id,
                                  Participation.contributor_id == contributor_id))
        .where(CampaignUpdate.id > profile.seen_update_id, Participation.answer_count > 0)
        .order_by(CampaignUpdate.id.desc()).limit(NOTICE_LIMIT)).all()
    if rows:
        profile.seen_update_id = db.session.execute(select(func.max(CampaignUpdate.id))).scalar_one()
    return [{"title": u.title, "created_at": u.created_at, "slug": slug, "campaign": title} for u, slug, title in rows]


def mail_job(job, progress):
    """E-mail one update to the campaign's opted-in volunteers (params: update_id, base_url), in one SMTP session."""
    cfg = current_app.config
    update = db.session.get(CampaignUpdate, job.params["update_id"])
    if update is None:
        return {"skipped": "the update is gone"}
    if not cfg.get("MAIL_SERVER"):
        return {"skipped": "MAIL_SERVER is not configured"}
    campaign = db.session.get(Campaign, update.campaign_id)
    to = recipients(campaign.id)
    if not to:
        return {"sent": 0}
    base = job.params.get("base_url", "").rstrip("/")
    sent = 0
    with smtplib.SMTP(cfg["MAIL_SERVER"], int(cfg.get("MAIL_PORT") or 25), timeout=10) as smtp:
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
        for n, address in enumerate(to, start=1):
            msg = EmailMessage()
            msg["From"], msg["To"] = cfg.get("MAIL_FROM") or "citizen@localhost", address
            msg["Subject"] = f"[citizen] {campaign.title}: {update.title}"
            msg.set_content("\n".join([
                update.title, "", update.body_md, "",
                _("Read it on the campaign page: %(url)s", url=f"{base}/campaigns/{campaign.slug}"),
                _("You get this because you asked to hear about updates. To stop, change it in your profile: %(url)s",
                  url=f"{base}/me"), ""]))
            try:
                smtp.send_message(msg)
                sent += 1
            except smtplib.SMTPException as exc:  # one refused address does not stop the others
                log.warning("update %s: e-mail to a volunteer failed: %s", update.id, exc)
            progress(n, len(to))
    update.emailed = sent
    db.session.commit()
    return {"sent": sent, "of": len(to)}

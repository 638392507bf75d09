"""Moderating posts. Anyone signed in reports a post (once per post, a few a day); the organisation's moderators
and organisers hide a post (and show it again), and suspend its author in the campaign. Each moderator action
is written to the organisation's audit log (citizen.moderation.access.audit) with its reason."""
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, or_, select, update

from citizen.accounts.models import utcnow
from citizen.campaigns.models import Campaign
from citizen.errors import Conflict, InvalidInput, RateLimited, Unauthorized
from citizen.extensions import db
from citizen.moderation import access as moderation
from citizen.moderation import suspensions
from citizen.moderation.models import OPEN, ContentReport
from citizen.talk.models import TalkPost, TalkReport
from citizen.talk.services import NEEDS_EXPERT, get_post

REASONS = ("abusive", "spam", "personal_data")
MAX_REASON = 1000
LISTED = 100  # posts on the moderators' discussion page


def report(post_id, user, data):
    """A signed-in person reports a post: {"reason": abusive | spam | personal_data}."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise Unauthorized(_("Sign in to report a post."))
    reason = data.get("reason")
    if reason not in REASONS:
        message = _("Say what is wrong: abusive, spam or personal_data.")
        raise InvalidInput(message, details=[{"field": "reason", "message": message}])
    post, _campaign = get_post(post_id)
    now = utcnow()
    cfg = current_app.config
    if cfg.get("RATELIMIT_ENABLED", True) and db.session.execute(
            select(func.count()).select_from(TalkReport).where(
                TalkReport.user_id == user.id, TalkReport.created_at >= now - timedelta(days=1))).scalar() \
            >= cfg["TALK_REPORTS_PER_DAY"]:
        raise RateLimited(_("You have reported as many posts as one person may in a day: thank you. Moderators are "
                            "looking at them."), retry_after=3600, code="too_many_reports")
    if db.session.execute(select(TalkReport.id).where(TalkReport.post_id == post.id,
                                                      TalkReport.user_id == user.id)).first():
        raise Conflict(_("You have already reported this post. Thank you."), code="already_reported")
    db.session.add(TalkReport(post_id=post.id, user_id=user.id, reason=reason, created_at=now))
    post.reports = TalkPost.reports + 1
    db.session.flush()
    return {"post_id": post.id, "reason": reason}


def _reason(text):
    reason = str(text or "").strip()[:MAX_REASON]
    if not reason:
        message = _("Say why, in a few words: the audit log keeps it.")
        raise InvalidInput(message, details=[{"field": "reason", "message": message}])
    return reason


def _moderated_post(user, post_id):
    post, campaign = get_post(post_id)
    moderation.require_moderator(user, campaign.organisation_id)
    return post, campaign


def hide(user, post_id, reason):
    """Hide a post (kept for the audit log, shown to staff only); its open reports are settled."""
    post, campaign = _moderated_post(user, post_id)
    reason = _reason(reason)
    if post.hidden_at is not None:
        raise Conflict(_("This post is already hidden."), code="already_hidden")
    post.hidden_at, post.hidden_by_id = utcnow(), user.id
    settled = _settle_reports(post)
    moderation.audit(user, campaign.organisation_id, "hide", "post", post.id, reason,
                     {"hidden": False, "open_reports": settled},
                     {"hidden": True, "task": post.task_id, "author": post.author}, campaign.id)
    db.session.flush()
    return post


def restore(user, post_id, reason):
    """Show a hidden post again."""
    post, campaign = _moderated_post(user, post_id)
    reason = _reason(reason)
    if post.hidden_at is None:
        raise Conflict(_("This post is not hidden."), code="not_hidden")
    post.hidden_at = post.hidden_by_id = None
    moderation.audit(user, campaign.organisation_id, "show", "post", post.id, reason, {"hidden": True},
                     {"hidden": False, "task": post.task_id, "author": post.author}, campaign.id)
    db.session.flush()
    return post


def dismiss(user, post_id, reason=""):
    """The reports on a post need nothing: they are settled, the post stays."""
    post, campaign = _moderated_post(user, post_id)
    settled = _settle_reports(post)
    moderation.audit(user, campaign.organisation_id, "dismiss", "post", post.id, str(reason or "")[:MAX_REASON],
                     {"open_reports": settled}, {"open_reports": 0}, campaign.id)
    db.session.flush()
    return post


def suspend_author(user, post_id, reason):
    """Suspend the post's author in its campaign (moderation's suspension: their answers stop counting, and they
    cannot post there), and hide the post."""
    post, campaign = _moderated_post(user, post_id)
    reason = _reason(reason)
    if post.contributor_id is None:
        raise Conflict(_("The author of this post has deleted their account."), code="no_author")
    suspensions.suspend(user, campaign.organisation_id, [post.contributor_id], campaign.id, reason)
    if post.hidden_at is None:
        hide(user, post.id, reason)
    return post


def _settle_reports(post):
    post.reports = 0
    return db.session.execute(update(TalkReport).where(TalkReport.post_id == post.id,
                                                       TalkReport.resolved_at.is_(None))
                              .values(resolved_at=utcnow())).rowcount


def waiting(organisation_id):
    """Posts of the organisation's campaigns with open reports, or tagged as needing an expert while their task's
    report is open (a moderator's dismissal in the queue settles it), newest first: [(post, campaign)]."""
    asked = exists().where(ContentReport.task_id == TalkPost.task_id, ContentReport.reason == NEEDS_EXPERT,
                           ContentReport.status == OPEN)
    return db.session.execute(
        select(TalkPost, Campaign).join(Campaign, Campaign.id == TalkPost.campaign_id)
        .where(Campaign.organisation_id == organisation_id, TalkPost.hidden_at.is_(None),
               or_(TalkPost.reports > 0, and_(TalkPost.needs_expert.is_(True), asked)))
        .order_by(TalkPost.id.desc()).limit(LISTED)).all()

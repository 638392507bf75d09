"""What talk's pages show and the actions their forms send, built from the services (the views only render)."""
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from citizen.campaigns.models import Campaign
from citizen.campaigns.services import get_campaign, is_staff
from citizen.extensions import db
from citizen.talk import moderate, notify, services
from citizen.talk.names import staff_of

ACTIONS = ("report", "hide", "show", "dismiss", "suspend")


def thread_url(slug, task_id=None):
    if task_id is None:
        return url_for("talk.campaign_thread", slug=slug)
    return url_for("talk.task_thread", slug=slug, task_id=task_id)


def slug_of(post):
    return db.session.get(Campaign, post.campaign_id).slug


def safe_next(url):
    """Only a path of this site (a form's way back), never another site's address."""
    return isinstance(url, str) and url.startswith("/") and not url.startswith("//") and "\\" not in url


def thread_page(slug, task_id, user, args):
    campaign = get_campaign(slug, user)
    task = services.thread_task(campaign, task_id, user)
    out = services.page(campaign, task, user, args.get("after"))
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    media = services.task_media(campaign, task)
    return {"campaign": campaign, "task": task, "posts": out["posts"], "next_after": out["next_after"],
            "staff": out["staff"], "signed_in": signed_in, "image_url": media[0] if media else None,
            "handles": sorted(set(staff_of(campaign.organisation_id).values())) if signed_in else [],
            "max_body": services.MAX_BODY, "reasons": moderate.REASONS, "after": args.get("after")}


def act(user, post_id, action, form):
    """One form action on a post: (post, what to tell the person)."""
    reason = form.get("reason", "")
    if action == "report":
        moderate.report(post_id, user, {"reason": form.get("reason")})
        post, _campaign = services.get_post(post_id)
        return post, _("Thank you: the moderators will look at this post.")
    if action == "hide":
        return moderate.hide(user, post_id, reason), _("Post hidden. The audit log keeps why.")
    if action == "show":
        return moderate.restore(user, post_id, reason), _("Post shown again.")
    if action == "dismiss":
        return moderate.dismiss(user, post_id, reason), _("Reports settled: the post stays.")
    return (moderate.suspend_author(user, post_id, reason),
            _("The author is suspended in this campaign, and the post hidden."))


def inbox():
    """The signed-in visitor's notifications, for their profile page (a template global: engagement's profile
    shows it without importing talk)."""
    if not current_user.is_authenticated:
        return None
    return {"items": notify.inbox(current_user), "unread": len(notify.unread(current_user))}


def is_campaign_staff(campaign):
    return is_staff(current_user, campaign)

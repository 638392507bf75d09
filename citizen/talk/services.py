"""Threads: reading a page of one, and writing a post.

A campaign has one thread of its own and one per task. Anyone who may see the campaign reads them (guests too);
writing needs a signed-in account (a post is signed, can be reported, and its author can be suspended and told
of replies: a guest is none of these for long). Every write is bounded before it touches anything: a body of at
most MAX_BODY characters, at most MAX_MENTIONS people named, a few posts per author in a while
(TALK_POST_LIMIT per TALK_POST_SECONDS, TALK_POSTS_PER_DAY a day). Suspended contributors cannot post where
their answers do not count. A post tagged "needs an expert" (the box, or #needs-expert in its text) puts its
task in the moderators' queue."""
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from citizen.accounts import services as accounts
from citizen.accounts.models import utcnow
from citizen.campaigns import hooks
from citizen.campaigns.models import PUBLISHED, TRAINING_RAND, Campaign, Task
from citizen.campaigns.services import is_staff
from citizen.errors import Forbidden, InvalidInput, NotFound, RateLimited, Unauthorized
from citizen.extensions import db
from citizen.kinds import get_kind
from citizen.moderation.models import OPEN, ContentReport
from citizen.numbers import MAX_INT, parse_int
from citizen.talk import names, notify
from citizen.talk.models import TalkPost
from citizen.text import render_untrusted
from citizen.wellbeing import services as wellbeing

MAX_BODY = 5000         # characters of one post
PAGE_SIZE = 50          # posts per page of a thread
NEEDS_EXPERT = "needs_expert"  # the moderation report a tagged post opens on its task
NEEDS_EXPERT_TAG = "#needs-expert"


def _signed_in(user):
    return user is not None and getattr(user, "is_authenticated", False)


def require_account(user, guest=False):
    """Writing needs an account: a guest (a known identity, not enough) is refused, anyone else asked to sign in."""
    if _signed_in(user):
        return
    if guest:
        raise Forbidden(_("Guests can read the discussion: create an account or sign in to write."),
                        code="account_needed")
    raise Unauthorized(_("Sign in to take part in the discussion: anyone can read it."))


def thread_task(campaign, task_id, user):
    """The task of a task thread (None for the campaign's own thread): one of the campaign's tasks, and a task a
    moderator hid only for its staff."""
    if task_id is None:
        return None
    task = db.session.get(Task, task_id) if parse_int(task_id) is not None else None
    if task is None or task.campaign_id != campaign.id or task.rand == TRAINING_RAND or (
            (task.consensus or {}).get("hidden") and not is_staff(user, campaign)):
        raise NotFound(_("There is no such task in this campaign."))
    return task


def task_media(campaign, task):
    """The task's own media addresses: the only images a post in its thread may show. None in a campaign with
    rated content: a picture there is shown only behind its warning and the viewer's consent (the work page)."""
    if task is None or wellbeing.is_active(campaign.settings):
        return []
    kind = get_kind(campaign.kind)
    return [u for u in kind.media_urls(kind.task_json(task.payload, campaign.settings)) if isinstance(u, str)]


def post_json(post, staff=False):
    """A post as readers get it. A hidden post keeps its place and says so; only staff still read it."""
    shown = post.hidden_at is None or staff
    return {"id": post.id, "author": post.author, "staff_role": post.staff_role or None,
            "created_at": post.created_at.isoformat(timespec="seconds") + "Z",
            "html": post.body_html if shown else None, "needs_expert": post.needs_expert,
            "hidden": post.hidden_at is not None, "task_id": post.task_id}


def page(campaign, task, user, after=None):
    """A page of a thread, oldest first: {"posts": [...], "next_after": id or None}; ?after=<post id> pages on."""
    if after is None or after == "":
        after = 0
    elif parse_int(after) is None:
        message = _("after must be a post id: a whole number from 0 to %(high)d.", high=MAX_INT)
        raise InvalidInput(message, details=[{"field": "after", "message": message}])
    after = parse_int(after)
    query = select(TalkPost).where(TalkPost.campaign_id == campaign.id, TalkPost.id > after)
    query = query.where(TalkPost.task_id.is_(None) if task is None else TalkPost.task_id == task.id)
    rows = db.session.execute(query.order_by(TalkPost.id).limit(PAGE_SIZE + 1)).scalars().all()
    staff = is_staff(user, campaign)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return {"posts": [post_json(p, staff) for p in rows], "next_after": rows[-1].id if more else None,
            "staff": staff}


def _body(data):
    body = data.get("body")
    if not isinstance(body, str):
        message = _("Write your post as text.")
        raise InvalidInput(message, details=[{"field": "body", "message": message}])
    body = body.replace("\r\n", "\n").strip()
    if not body:
        message = _("Write something before you post.")
        raise InvalidInput(message, details=[{"field": "body", "message": message}])
    if len(body) > MAX_BODY:
        message = _("Keep a post under %(n)d characters (this one has %(m)d).", n=MAX_BODY, m=len(body))
        raise InvalidInput(message, details=[{"field": "body", "message": message}])
    return body


def _check_allowance(user, now):
    """A few posts per author in a while (429 saying when to try again): a script cannot fill a thread."""
    cfg = current_app.config
    if not cfg.get("RATELIMIT_ENABLED", True):
        return
    count = select(func.count()).select_from(TalkPost).where(TalkPost.user_id == user.id)
    seconds = cfg["TALK_POST_SECONDS"]
    if db.session.execute(count.where(TalkPost.created_at >= now - timedelta(seconds=seconds))).scalar() \
            >= cfg["TALK_POST_LIMIT"]:
        raise RateLimited(_("You have posted %(n)d times in the last %(s)d seconds. Please wait a moment before "
                            "posting again.", n=cfg["TALK_POST_LIMIT"], s=seconds), retry_after=seconds,
                          code="too_many_posts")
    if db.session.execute(count.where(TalkPost.created_at >= now - timedelta(days=1))).scalar() \
            >= cfg["TALK_POSTS_PER_DAY"]:
        raise RateLimited(_("You have posted as much as one person may in a day. Thank you for taking part: you "
                            "can post again tomorrow."), retry_after=3600, code="too_many_posts")


def _may_write(campaign, user, contributor_id):
    if campaign.status != PUBLISHED and not is_staff(user, campaign):
        raise Forbidden(_("This campaign is not open: its discussion is read-only."), code="campaign_not_open")
    if contributor_id in hooks.suspended(db.session.connection(), campaign.id):
        raise Forbidden(_("Your account is suspended in this campaign: you cannot post here."), code="suspended")


def write(campaign, task, user, data):
    """A new post by a signed-in account in a campaign's thread (task None) or a task's. data: {"body":
    Markdown, "needs_expert": bool}. Returns the post."""
    require_account(user)
    body = _body(data)
    flag = data.get("needs_expert", False)
    if not isinstance(flag, bool):
        raise InvalidInput(_("needs_expert is true or false."), details=[{"field": "needs_expert",
                                                                          "message": _("not true or false")}])
    mentioned = notify.mentioned_staff(campaign, body)  # refuses too many names before anything is written
    now = utcnow()
    _check_allowance(user, now)
    contributor = accounts.contributor_for_user(user)
    _may_write(campaign, user, contributor.id)
    role = names.staff_role(user, campaign.organisation_id)
    needs_expert = task is not None and (flag or NEEDS_EXPERT_TAG in body.lower())
    post = TalkPost(campaign_id=campaign.id, task_id=task.id if task else None, user_id=user.id,
                    contributor_id=contributor.id, author=names.author(user, contributor.id, campaign.id, role),
                    staff_role=role, body=body, body_html=render_untrusted(body, images=task_media(campaign, task)),
                    needs_expert=needs_expert, created_at=now)
    db.session.add(post)
    db.session.flush()
    if needs_expert:
        _to_queue(task, contributor.id, post, now)
    notify.after_post(post, user, mentioned, bool(role))
    db.session.flush()
    return post


def _to_queue(task, contributor_id, post, now):
    """Open (or open again) this volunteer's "needs an expert" report on the task: the moderation queue lists the
    task under reported content, with the post's first words."""
    note = _("Asked in the discussion (post %(id)d): %(text)s", id=post.id, text=post.body[:300])[:500]
    report = db.session.execute(select(ContentReport).where(
        ContentReport.task_id == task.id, ContentReport.contributor_id == contributor_id,
        ContentReport.reason == NEEDS_EXPERT)).scalar_one_or_none()
    if report is None:
        db.session.add(ContentReport(task_id=task.id, campaign_id=task.campaign_id, contributor_id=contributor_id,
                                     reason=NEEDS_EXPERT, note=note, created_at=now))
    elif report.status != OPEN:
        report.status, report.note, report.created_at = OPEN, note, now
        report.resolved_by_id = report.resolved_at = None


def get_post(post_id):
    post = db.session.get(TalkPost, post_id) if parse_int(post_id) is not None else None
    if post is None:
        raise NotFound(_("There is no such post."))
    return post, db.session.get(Campaign, post.campaign_id)

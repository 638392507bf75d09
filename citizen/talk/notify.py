"""Notifications a post leaves: @mentions of the organisation's staff (@moderators names them all), and, when
staff write in a thread, a note to the volunteers who wrote there before. Bounded per post (MAX_MENTIONS names,
REPLY_FANOUT earlier authors). Read on the account's profile page."""
import re

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from citizen.accounts.models import utcnow
from citizen.campaigns.models import Campaign
from citizen.errors import InvalidInput
from citizen.extensions import db
from citizen.talk import names
from citizen.talk.models import MENTION, REPLY, TalkNotification, TalkPost

MAX_MENTIONS = 5      # distinct @names in one post
REPLY_FANOUT = 20     # earlier authors told of a staff reply
INBOX = 20            # notifications shown on the profile
GROUP = "moderators"  # @moderators: every organiser and moderator of the organisation
# A name after @ at the start or after a space or punctuation (not inside an e-mail address); one bounded run.
_MENTION = re.compile(r"(?<![\w@.])@([a-z0-9][a-z0-9-]{0,29})", re.IGNORECASE)


def mentioned_staff(campaign, body):
    """The staff user ids a post names (InvalidInput beyond MAX_MENTIONS distinct names). Names that are no one's
    handle are left as text."""
    wanted = {m.lower() for m in _MENTION.findall(body)}
    if len(wanted) > MAX_MENTIONS:
        message = _("Mention at most %(n)d people in one post.", n=MAX_MENTIONS)
        raise InvalidInput(message, details=[{"field": "body", "message": message}])
    if not wanted:
        return set()
    staff = names.staff_of(campaign.organisation_id)
    if GROUP in wanted:
        return set(staff)
    return {uid for uid, h in staff.items() if h in wanted}


def after_post(post, user, mentioned, by_staff):
    """Store the notifications of a new post (never one to its own author)."""
    told = set()
    for uid in sorted(mentioned - {user.id}):
        db.session.add(TalkNotification(user_id=uid, post_id=post.id, reason=MENTION, created_at=post.created_at))
        told.add(uid)
    if not by_staff:
        return
    query = select(TalkPost.user_id).where(TalkPost.campaign_id == post.campaign_id, TalkPost.id < post.id,
                                           TalkPost.user_id.is_not(None), TalkPost.user_id != user.id)
    query = query.where(TalkPost.task_id.is_(None) if post.task_id is None else TalkPost.task_id == post.task_id)
    earlier = db.session.execute(query.group_by(TalkPost.user_id)
                                 .order_by(func.max(TalkPost.id).desc())
                                 .limit(REPLY_FANOUT + len(told))).scalars()
    for uid in [u for u in earlier if u not in told][:REPLY_FANOUT]:
        db.session.add(TalkNotification(user_id=uid, post_id=post.id, reason=REPLY, created_at=post.created_at))


def inbox(user):
    """The account's latest notifications, with the post and its thread: [{reason, unread, post, campaign}]."""
    rows = db.session.execute(
        select(TalkNotification, TalkPost, Campaign.slug, Campaign.title)
        .join(TalkPost, TalkPost.id == TalkNotification.post_id)
        .join(Campaign, Campaign.id == TalkPost.campaign_id)
        .where(TalkNotification.user_id == user.id).order_by(TalkNotification.id.desc()).limit(INBOX)).all()
    return [{"reason": n.reason, "unread": n.read_at is None, "author": p.author, "campaign_slug": slug,
             "campaign_title": title, "task_id": p.task_id, "post_id": p.id, "created_at": n.created_at,
             "excerpt": "" if p.hidden_at else p.body[:140]} for n, p, slug, title in rows]


def unread(user):
    return db.session.execute(select(TalkNotification.id).where(
        TalkNotification.user_id == user.id, TalkNotification.read_at.is_(None)).limit(INBOX + 1)).scalars().all()


def mark_read(user):
    return db.session.execute(update(TalkNotification).where(
        TalkNotification.user_id == user.id, TalkNotification.read_at.is_(None)).values(read_at=utcnow())).rowcount

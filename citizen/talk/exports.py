"""The campaign's discussions as open data, only when its organiser chooses (the campaign form's "publish the
discussions" box; off by default): `talk.csv` beside results.csv, one row per visible post.

Never personal data: authors are pseudonyms of talk's own (keyed apart from the answers' pseudonyms, so a post's
public display name never ties to a row of answers.csv: citizen.talk.names), staff by role only; in the text every
word holding an @ (an e-mail address, an @mention) is replaced. Hidden posts are left out. The posts' Markdown is
published as written otherwise (a volunteer who types a phone number into a post publishes it: the form says so).
The file is read a chunk of posts at a time, each on a connection given back at once: a slow download holds no
transaction (on SQLite, the write lock every answer needs).
"""
import hashlib
import hmac

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from citizen.campaigns.models import Task
from citizen.errors import InvalidInput
from citizen.exports.csv_export import stream
from citizen.exports.extra import ExtraFile
from citizen.exports.rows import batches
from citizen.extensions import db
from citizen.talk.models import TalkPost

NAME = "talk.csv"
SETTING = "talk_export"
COLUMNS = ["post_id", "task_id", "task_external_id", "created_at", "author", "staff_role", "needs_expert", "text"]
DESCRIPTION = _l("The campaign's discussions, one row per post (hidden posts left out): task_id is empty for the "
                 "campaign's own thread; author is a pseudonym of the discussions' own (not the one of "
                 "answers.csv) or empty for staff, whose role is given; words with an @ (e-mail addresses, "
                 "mentions) are removed from the text.")
CHUNK = 1000


def clean_section(data, raw_settings, kind, settings):
    raw = data.get(SETTING, raw_settings.get(SETTING))
    if raw in (None, "", False):
        return {}
    if raw is not True:
        message = _("Publishing the discussions is yes or no.")
        raise InvalidInput(message, details=[{"field": SETTING, "message": message}])
    return {SETTING: True}


def section_from_form(form):
    return {SETTING: form.get(SETTING) == "1"}


def redact(text):
    """The post's text with every word that holds an @ replaced: "[e-mail removed]" when a dot follows the @, else
    "@…" (a mention, however it is wrapped: **@name**, (cc:@name), hi,@name). Words are runs of non-space
    characters, found in one pass; the spaces between them are kept as they were."""
    out, word = [], []

    def flush():
        if word:
            token = "".join(word)
            at = token.find("@")
            if at >= 0:
                token = "[e-mail removed]" if "." in token[at + 1:].rstrip(".,;:!?)]*_") else "@…"
            out.append(token)
            word.clear()
    for ch in text or "":
        if ch.isspace():
            flush()
            out.append(ch)
        else:
            word.append(ch)
    flush()
    return "".join(out)


def author(campaign_id, contributor_id):
    """A volunteer's pseudonym in the campaign's talk.csv: stable, keyed apart from answers.csv's."""
    key = current_app.config["SECRET_KEY"].encode()
    return "t-" + hmac.new(key, f"talk:{campaign_id}:{contributor_id}".encode(), hashlib.sha256).hexdigest()[:10]


def _visible(campaign_id):
    return (TalkPost.campaign_id == campaign_id) & TalkPost.hidden_at.is_(None)


def state(campaign):
    """(tag, last change) of the file, in one query over the campaign's posts: the tag changes with every post
    written or hidden (the count and newest id of the visible posts, the latest hiding); the last change is the
    newest post or the latest hiding."""
    visible = TalkPost.hidden_at.is_(None)
    n, last, newest, hidden = db.session.execute(select(
        func.count(TalkPost.id).filter(visible), func.max(TalkPost.id).filter(visible),
        func.max(TalkPost.created_at).filter(visible), func.max(TalkPost.hidden_at))
        .where(TalkPost.campaign_id == campaign.id)).one()
    tag = f"t{n}.{last or 0}.{hidden.strftime('%Y%m%d%H%M%S') if hidden else 0}"
    return tag, max((t for t in (newest, hidden) if t is not None), default=None)


def write(campaign):
    """talk.csv as byte chunks, a chunk of posts at a time in id order, each read on its own short connection
    (exports.rows.batches, exports.csv_export.stream). The campaign's id is read now: inside the stream, the campaign
    row (expired by the request's end_read) would be read again on the request's session, whose transaction would
    then last the whole download."""
    campaign_id = campaign.id

    def query(after):
        return (select(TalkPost.id, TalkPost.task_id, Task.external_id, TalkPost.created_at, TalkPost.contributor_id,
                       TalkPost.staff_role, TalkPost.needs_expert, TalkPost.body)
                .outerjoin(Task, Task.id == TalkPost.task_id)
                .where(_visible(campaign_id), TalkPost.id > after).order_by(TalkPost.id).limit(CHUNK))
    lines = ([p.id, p.task_id or "", p.external_id or "", p.created_at.isoformat() + "Z",
              "" if p.staff_role or p.contributor_id is None else author(campaign_id, p.contributor_id),
              p.staff_role or "", "true" if p.needs_expert else "false", redact(p.body)]
             for posts in batches(query) for p in posts)
    return stream(COLUMNS, lines)


FILE = ExtraFile(NAME, lambda: str(DESCRIPTION), "text/csv", "csv",
                 lambda campaign: bool((campaign.settings or {}).get(SETTING)), write, state)

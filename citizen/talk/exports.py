"""The campaign's discussions as open data, only when its organiser chooses (the campaign form's "publish the
discussions" box; off by default): `talk.csv` beside results.csv, one row per visible post.

Never personal data: authors are the campaign's pseudonyms (the same as in answers.csv) or "organiser"/"moderator"
for staff, never a name or handle; in the text, e-mail addresses and @mentions are replaced. Hidden posts are left
out. The posts' own Markdown is published as written otherwise (a volunteer who types a phone number into a post
publishes it: the form says so).
"""
import csv
import io

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from citizen.accounts.signatures import pseudonym
from citizen.campaigns.models import Task
from citizen.errors import InvalidInput
from citizen.exports.extra import ExtraFile
from citizen.extensions import db
from citizen.spreadsheet import safe_row
from citizen.talk.models import TalkPost

NAME = "talk.csv"
SETTING = "talk_export"
COLUMNS = ["post_id", "task_id", "task_external_id", "created_at", "author", "staff_role", "needs_expert", "text"]
DESCRIPTION = _l("The campaign's discussions, one row per post (hidden posts left out): task_id is empty for the "
                 "campaign's own thread; author is a pseudonym (the same as in answers.csv) or empty for staff, "
                 "whose role is given; e-mail addresses and @mentions are removed from the text.")
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
    """The post's text without e-mail addresses and @mentions (a word at a time: linear, no pattern)."""
    out = []
    for line in (text or "").split("\n"):
        words = []
        for word in line.split(" "):
            core = word.strip(".,;:!?()[]<>\"'")
            if core.startswith("@") and len(core) > 1:
                word = word.replace(core, "@…")
            elif "@" in core and "." in core.rsplit("@", 1)[-1]:
                word = word.replace(core, "[e-mail removed]")  # open data: the same words in every language
            words.append(word)
        out.append(" ".join(words))
    return "\n".join(out)


def _visible(campaign_id):
    return (TalkPost.campaign_id == campaign_id) & TalkPost.hidden_at.is_(None)


def tag(campaign):
    """Changes with every post written or hidden: the count and newest id of the visible posts, the latest hiding."""
    n, last = db.session.execute(select(func.count(TalkPost.id), func.max(TalkPost.id))
                                 .where(_visible(campaign.id))).one()
    hidden = db.session.execute(select(func.max(TalkPost.hidden_at)).where(TalkPost.campaign_id == campaign.id)).scalar()
    return f"t{n}.{last or 0}.{hidden.strftime('%Y%m%d%H%M%S') if hidden else 0}"


def write(campaign):
    """talk.csv as byte chunks, read a chunk of posts at a time in id order."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(COLUMNS)
    after = 0
    while True:
        posts = db.session.execute(
            select(TalkPost.id, TalkPost.task_id, Task.external_id, TalkPost.created_at, TalkPost.contributor_id,
                   TalkPost.staff_role, TalkPost.needs_expert, TalkPost.body)
            .outerjoin(Task, Task.id == TalkPost.task_id)
            .where(_visible(campaign.id), TalkPost.id > after).order_by(TalkPost.id).limit(CHUNK)).all()
        for p in posts:
            author = "" if p.staff_role or p.contributor_id is None else pseudonym(campaign.id, p.contributor_id)
            writer.writerow(safe_row([p.id, p.task_id or "", p.external_id or "", p.created_at.isoformat() + "Z",
                                      author, p.staff_role or "", "true" if p.needs_expert else "false",
                                      redact(p.body)]))
        yield buf.getvalue().encode()
        buf.seek(0)
        buf.truncate()
        if len(posts) < CHUNK:
            return
        after = posts[-1].id


FILE = ExtraFile(NAME, lambda: str(DESCRIPTION), "text/csv", "csv",
                 lambda campaign: bool((campaign.settings or {}).get(SETTING)), write, tag)

"""What the export files are made of: which campaigns a person may download, the version of a
campaign's data (for ETag / Last-Modified and the GeoPackage cache), the columns of each file, and
their rows read from the database in batches.

Rows are read by keyset pagination (`id > last id ORDER BY id LIMIT n`), each batch on a connection
of its own that is given back before the rows are handed on. Memory stays flat however large the
campaign, and no transaction is held while a slow client downloads: on SQLite every transaction
takes the write lock (citizen.extensions.tune_sqlite), so holding one for a whole download would
stop volunteers' answers.

Nothing personal is selected: answers are read without their contributor's account, and the
contributor id is turned into the campaign's pseudonym before it leaves this module.
"""
import json
from dataclasses import dataclass

from flask_login import current_user
from sqlalchemy import Text, cast, or_, select, type_coerce

from citizen.campaigns import services as campaigns
from citizen.campaigns import tally
from citizen.kinds import get_kind
from citizen.campaigns.models import CLOSED, DRAFT, HIDDEN_RAND, PUBLISHED, Answer, Campaign, Task
from citizen.errors import NotFound
from citizen.exports import precision
from citizen.extensions import db
from citizen.campaigns import disclosure
from citizen.campaigns import builds
from citizen.accounts.signatures import pseudonym
from citizen.quality import controls
from citizen.quality.threads import one_thread
from citizen.urls import public_url
from citizen.wellbeing import public

BATCH = 5000        # rows per query
PUBLIC = (PUBLISHED, CLOSED)


@dataclass(frozen=True)
class Column:
    name: str
    type: str           # a Frictionless Table Schema type: string, integer, number, boolean, datetime
    description: str


RESULT_COLUMNS = [
    Column("task_id", "integer", "The task's number in citizen (answers.csv refers to it)."),
    Column("external_id", "string", "The organiser's own reference for the task (a file name, a grid cell, a page)."),
    Column("answer", "string", "The result: the moderators' decision where there is one (see override), else the "
                               "volunteers' consensus. JSON for structured answers (transcribed fields). Empty while "
                               "there is none (no answers yet, or a tie)."),
    Column("crowd_answer", "string", "The volunteers' consensus answer, before any moderator's decision."),
    Column("confidence", "number", "How sure the consensus is, from 0 to 1: the Dawid-Skene posterior of the answer "
                                   "for kinds with fixed answers, else the share of answers behind it."),
    Column("answers", "integer", "Number of answers the task received."),
    Column("redundancy", "integer", "Number of answers the task asks for."),
    Column("agreement", "number", "Share of the task's answers that gave the leading answer, from 0 to 1 "
                                  "(for transcription: the lowest share among the fields)."),
    Column("decided", "boolean", "true when the consensus reaches the campaign's confidence threshold "
                                 "(transcription: every field verified or marked as not on the page)."),
    Column("complete", "boolean", "true when the task has all the answers it asks for."),
    Column("method", "string", "What decided the answer (or would): dawid-skene (the model weighing each volunteer "
                               "by their record), unanimous (every counted volunteer, at least three, gave it), gold "
                               "(a known-answer task, shown once the campaign is closed), agreement (enough volunteers "
                               "agreed; transcription: field by field), majority (plain vote share, when no answer "
                               "carries weight yet: never decided by itself) or moderator (a moderator's decision)."),
    Column("gold", "boolean", "true for a known-answer task used to check volunteers. Filled in once the campaign is "
                              "closed: published earlier, it would let anyone recognise the checks."),
    Column("override", "string", "The answer a moderator decided on (accepting the consensus or replacing it); "
                                 "empty when there is none."),
]
MEDIA_NOTE = "media_note"
MARKS_COLUMN = Column("consensus_marks", "integer", "Number of marks (points, areas) that enough volunteers agreed "
                                                    "on; the marks themselves are in results.geojson and results.gpkg.")

ANSWER_COLUMNS = [
    Column("answer_id", "integer", "The answer's number in citizen."),
    Column("task_id", "integer", "The task answered (task_id in results.csv)."),
    Column("external_id", "string", "The organiser's own reference for the task."),
    Column("contributor", "string", "The volunteer, as a pseudonym that is stable within this campaign and differs "
                                    "between campaigns. It reveals nothing about the person."),
    Column("answer", "string", "The answer chosen, for kinds with fixed answers (empty for transcription)."),
    Column("value", "string", "The answer as stored: text, or JSON for structured answers (marks as GeoJSON, "
                              "transcribed fields)."),
    Column("created_at", "datetime", "When the answer was received (UTC)."),
    Column("duration_ms", "integer", "Time the volunteer spent on the task, in milliseconds (empty when unknown)."),
    Column("source", "string", "web (this site), api (an app or script using the API) or import (collected "
                                "elsewhere, e.g. on paper, and imported by the organisers)."),
    Column("counted", "boolean", "false when the answer carries no weight in the consensus (it is kept): it came "
                                 "faster than the campaign's minimum time, its volunteer is suspended, another "
                                 "answer from the same device counts, or it was given to a blurred item left "
                                 "unrevealed where the campaign does not count those."),
    Column("revealed", "boolean", "For an item shown blurred (upsetting content): true when the volunteer revealed "
                                  "it before answering, false when they answered without seeing it. Empty when "
                                  "nothing was held back."),
    Column("voter_weight", "number", "Weight of this volunteer (or of their group of linked accounts) in the "
                                     "Dawid-Skene consensus: 0 means their answers do not count, at most 3. "
                                     "Empty for kinds without fixed answers."),
]


# --- who may read what ------------------------------------------------------------------------
def is_public(campaign):
    return campaign.status == PUBLISHED or (campaign.status == CLOSED and campaign.published_at is not None)


def public_campaigns():
    """Campaigns whose data anyone may download: published ones, and closed ones that were published."""
    return db.session.execute(
        select(Campaign).where(or_(Campaign.status == PUBLISHED,
                                   (Campaign.status == CLOSED) & Campaign.published_at.is_not(None)))
        .order_by(Campaign.published_at.desc(), Campaign.id.desc())).scalars().all()


def own_unpublished(user):
    """Drafts (and never-published campaigns) whose data only this organiser may see."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    query = select(Campaign).where(Campaign.published_at.is_(None) | (Campaign.status == DRAFT))
    if not user.is_admin:
        query = query.where(Campaign.organisation_id.in_(user.organisation_ids or [-1]))
    return db.session.execute(query.order_by(Campaign.created_at.desc())).scalars().all()


def data_campaign(slug, user=None):
    """The campaign at `slug` if `user` may download its data: anyone for a published campaign,
    only its organisers otherwise (others get NotFound, as for the campaign page)."""
    user = current_user if user is None else user
    campaign = campaigns.get_campaign(slug, user)
    if not is_public(campaign) and not campaigns.can_manage(user, campaign):
        raise NotFound()
    return campaign


# --- cells --------------------------------------------------------------------------------------
def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def as_text(value):
    """A value as it goes into a CSV cell: JSON for structures, true/false for booleans."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def infer_type(values):
    """The Table Schema type of a column from its Python values (None and "" are missing): boolean,
    integer, number, or string. Anything structured or mixed is a string (JSON in the files)."""
    seen = set()
    for v in values:
        if v is None or v == "":
            continue
        seen.add(bool if isinstance(v, bool) else int if isinstance(v, int) else float
                 if isinstance(v, float) else str)
        if str in seen:
            return "string"
    if seen == {bool}:
        return "boolean"
    if seen == {int}:
        return "integer"
    if seen and seen <= {int, float}:
        return "number"
    return "string"


def end_read():
    """End the session's read transaction (a commit: exports run in GET requests, jobs and the CLI,
    none of which has changes pending). On SQLite every transaction holds the write lock, and a
    download goes on for as long as the client takes."""
    db.session.commit()


def batches(make_query):
    """Rows of make_query(after_id) batch by batch, each read on a connection given back at once."""
    after = 0
    while True:
        with db.engine.connect() as conn:
            rows = conn.execute(make_query(after)).all()
        if not rows:
            return
        yield rows
        after = rows[-1].id


# --- results: one row per task ------------------------------------------------------------------
class Results:
    """The results of one campaign: `columns`, and `rows()` yielding per task
    (values {column: value}, geometry or None, consensus marks FeatureCollection or None, marks crs).

    Built once per download: it reads the campaign row and the batch consensus now, so the rows
    that follow need nothing but the tasks table."""

    def __init__(self, campaign):
        self.campaign_id = campaign.id
        self.kind = get_kind(campaign.kind)
        self.settings = campaign.settings or {}
        # Which tasks were gold, and their true answer counts, only once the campaign is closed
        # (citizen.campaigns.disclosure).
        self.show_gold = disclosure.reveals_gold(campaign.status)
        self.decided_at = controls.of(self.settings)["confidence"]
        self.spatial = self.kind.spatial
        self.base_url = public_url()  # media links in the files are absolute (PUBLIC_URL, never a Host header)
        taken = {c.name for c in RESULT_COLUMNS} | {MARKS_COLUMN.name}
        self.kind_columns = []
        for name, description, _fn in self.kind.export_columns(self.settings):
            out = name if name not in taken else f"{self.kind.id}_{name}"
            taken.add(out)
            self.kind_columns.append((name, Column(out, "string", description)))
        self.columns = RESULT_COLUMNS + ([MARKS_COLUMN] if self.spatial else []) + [c for _n, c in self.kind_columns]
        # Links to a task's media are what the consent rules let anyone see (citizen.wellbeing.public).
        self.media = any(n in self.kind.media_columns for n, _c in self.kind_columns)
        if self.media:
            taken.add(MEDIA_NOTE)
            self.columns = self.columns + [Column(MEDIA_NOTE, "string", public.NOTE_DESCRIPTION)]
        self._ratings = None
        self._batch = None
        self._batch_loaded = False

    def typed_columns(self, sample=500):
        """The columns with the kind's own ones typed from their values in the first `sample` tasks
        (transcribed fields, coordinates): boolean, number or string. Whole numbers are typed
        `number`, not `integer`: a later row with a decimal must not break a schema."""
        fixed = {c.name for c in RESULT_COLUMNS} | {MARKS_COLUMN.name, MEDIA_NOTE}
        if all(c.name in fixed for c in self.columns):
            return list(self.columns)
        rows = [values for values, *_rest in self.rows(limit=sample, batch_consensus=False)]
        out = []
        for c in self.columns:
            if c.name not in fixed:
                found = infer_type([r.get(c.name) for r in rows])
                c = Column(c.name, "number" if found == "integer" else found, c.description)
            out.append(c)
        return out

    def batch_results(self):
        """Dawid-Skene over linked-account clusters (None for kinds without fixed answers)."""
        if not self._batch_loaded:
            campaign = db.session.get(Campaign, self.campaign_id)
            self._batch = builds.consensus(campaign)  # the last complete build (None for other kinds)
            self._batch_loaded = True
        return self._batch

    def rows(self, limit=None, batch_consensus=True, with_result=False):
        """The rows in task id order (the first `limit`). Without `batch_consensus` the Dawid-Skene
        columns are left empty (datapackage.json samples the kind's columns: no need to wait for it).
        With `with_result`, (values, the task's stored result) per task: what a kind's own files read."""
        by_task = (self.batch_results() or {}).get("results", {}) if batch_consensus else {}
        end_read()  # the batches below read on connections of their own
        seen = 0
        query = lambda after: (  # noqa: E731
            select(Task.id, Task.external_id, Task.payload, Task.result, Task.answer_count, Task.redundancy,
                   # only these keys of the tally: a map task's tally holds every answer's marks
                   Task.consensus["override"].label("override"), Task.consensus["crs"].label("crs"),
                   Task.gold.is_not(None).label("is_gold"))
            .where(Task.campaign_id == self.campaign_id, Task.id > after, Task.rand > HIDDEN_RAND)  # hidden: gone
            .order_by(Task.id).limit(BATCH if limit is None else min(BATCH, limit)))
        for rows in batches(query):
            if self.media:
                self._ratings = public.ratings(self.campaign_id, self.settings, [r.id for r in rows])
                end_read()
            with one_thread():
                done = [self._row(r, by_task.get(r.id), with_result) for r in rows]
            for row in done:
                yield row
                seen += 1
                if limit is not None and seen >= limit:
                    return

    def _row(self, r, ds, with_result=False):
        state = {"override": r.override, "crs": r.crs}
        res = tally.stored(r.result)  # computed when the answers came, never on a read
        answers = disclosure.published_answers(r.answer_count, r.redundancy, self.show_gold)
        complete = answers >= r.redundancy
        answered = r.answer_count > 0
        if r.is_gold and not self.show_gold and ds is not None:  # the crowd's answer, never the known one
            ds = disclosure.crowd_batch_row(ds, res, self.decided_at)
        if ds is not None:  # Dawid-Skene (kinds with fixed answers)
            answer, confidence, decided = ds["answer"], ds["confidence"], ds["decided"]
            method = ds.get("method") or "dawid-skene"  # what decided it (citizen.campaigns.batch)
        else:  # the kind's own rule (transcription: field by field), or a plain vote share that decides nothing
            answer, confidence = res.get("answer"), res.get("share") if answered else None
            method, decided = self.kind.verdict(res, answered)
            if res.get("decided") and not decided:  # settled on the hot path (citizen.campaigns.tally.settle)
                method, decided = "agreement", True
        override = state.get("override")
        if isinstance(override, dict):  # citizen.moderation: {"answer", "by", "reason", "at", "action"}
            override = override.get("answer")
        values = {
            "task_id": r.id, "external_id": r.external_id or "",
            "answer": answer if override is None else override, "crowd_answer": answer, "confidence": confidence,
            "answers": answers, "redundancy": r.redundancy,
            "agreement": res.get("share") if answered else None, "decided": bool(decided) or override is not None,
            "complete": complete, "method": "moderator" if override is not None else method if answered else "",
            "gold": bool(r.is_gold) if self.show_gold else None, "override": override,
        }
        crs = state.get("crs") or self.kind.crs(r.payload)
        marks = precision.rounded(self.kind.result_marks(res), precision.digits(crs)) if self.spatial else None
        if self.spatial:
            values["consensus_marks"] = len((marks or {}).get("features", []))
        kind_values = self.kind.export_row(self.settings, r.payload, res)
        if self.media:
            if self._ratings is not None:
                values[MEDIA_NOTE] = public.public_media(self.settings, r.payload, self._ratings.get(r.id), kind_values,
                                                       self.kind.media_columns)
            else:
                values[MEDIA_NOTE] = ""
        for name, column in self.kind_columns:
            value = kind_values.get(name)
            if name in self.kind.media_columns and isinstance(value, str) and value.startswith("/") \
                    and not value.startswith("//"):
                value = self.base_url + value  # a link that works from a downloaded file
            values[column.name] = value
        geometry = precision.rounded(self.kind.map_geometry(r.payload)) if self.spatial else None
        return (values, res) if with_result else (values, geometry, marks, crs)


# --- answers: one row per answer ----------------------------------------------------------------
class Answers:
    """Every answer of one campaign up to `upto` (the last answer id of the version being served,
    so the file matches its ETag even while answers keep arriving)."""

    columns = ANSWER_COLUMNS

    def __init__(self, campaign, upto):
        self.campaign_id = campaign.id
        self.kind = get_kind(campaign.kind)
        self.upto = upto
        self._weights = None
        self._categorical = bool(self.kind.answer_labels(campaign.settings or {}))
        self.show_gold = disclosure.reveals_gold(campaign.status)

    def gold_answers_shown(self):
        """While the campaign is open: {gold task id: ids of its first `redundancy` answers}, the only answers of
        gold tasks the file lists (citizen.campaigns.disclosure: a gold task, shown to every newcomer, would stand
        out by its many answers). None once the campaign is closed: every answer is listed."""
        if self.show_gold:
            return None
        shown = {}
        for task_id, answer_id, redundancy in db.session.execute(
                select(Answer.task_id, Answer.id, Task.redundancy).join(Task, Task.id == Answer.task_id)
                .where(Answer.campaign_id == self.campaign_id, Task.gold.is_not(None), Answer.id <= self.upto)
                .order_by(Answer.task_id, Answer.id)):
            kept = shown.setdefault(task_id, set())
            if len(kept) < redundancy:
                kept.add(answer_id)
        return shown

    def voter_weights(self):
        """{contributor id: Dawid-Skene weight of the contributor's cluster}: the batch consensus is
        cached per campaign until a new answer arrives, so results and answers share one run."""
        if self._weights is None:
            self._weights = {}
            if self._categorical:
                agg = builds.consensus(db.session.get(Campaign, self.campaign_id)) or {}
                for members, weight in (agg.get("voter_weight") or {}).items():
                    for cid in members:
                        self._weights[cid] = round(weight, 4)
        return self._weights

    def rows(self):
        """Tuples in ANSWER_COLUMNS order, CSV-ready (strings and numbers).

        The value and the time are read as the database stores them where it can (SQLite: JSON
        text and "YYYY-MM-DD HH:MM:SS" text) and written without a round trip through Python
        objects: a million answers cost seconds, not minutes."""
        weights = self.voter_weights()
        gold_shown = self.gold_answers_shown() or {}
        end_read()  # the batches below read on connections of their own
        names = {}
        label_of = self.kind.label_of
        categorical = self._categorical
        # A field visit: no pseudonym nor voter weight (either would link a volunteer's visits into their track), and
        # the answers without the device's position.
        whereabouts = self.kind.whereabouts
        loads = json.loads
        query = lambda after: (  # noqa: E731
            select(Answer.id, Answer.task_id, Task.external_id, Answer.contributor_id,
                   cast(Answer.value, Text).label("value"), type_coerce(Answer.created_at, Text).label("at"),
                   Answer.duration_ms, Answer.source, Answer.weight, Answer.revealed)
            .join(Task, Task.id == Answer.task_id)
            .where(Answer.campaign_id == self.campaign_id, Answer.id > after, Answer.id <= self.upto,
                   Task.rand > HIDDEN_RAND)  # the answers to a task a moderator hid are gone with it
            .order_by(Answer.id).limit(BATCH))
        for rows in batches(query):
            for r in rows:
                if r.task_id in gold_shown and r.id not in gold_shown[r.task_id]:
                    continue
                name = "" if whereabouts else names.get(r.contributor_id)
                if name is None:
                    if len(names) > 100_000:  # bounded: a campaign may have a million guests
                        names.clear()
                    name = names[r.contributor_id] = pseudonym(self.campaign_id, r.contributor_id)
                raw = r.value
                value = loads(raw)
                if whereabouts:
                    value = self.kind.public_value(value)
                    raw = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
                if isinstance(value, str):
                    text = value
                elif "\\u" not in raw:
                    text = raw
                else:  # escaped non-ASCII letters: written out readable
                    text = as_text(value)
                label = label_of(value) if categorical else None
                at = r.at
                at = f"{at[:10]}T{at[11:19]}Z" if isinstance(at, str) else iso(at)
                yield (r.id, r.task_id, r.external_id or "", name, label or "", text, at,
                       "" if r.duration_ms is None else r.duration_ms, r.source,
                       "true" if r.weight > 0 else "false", "" if r.revealed is None else str(r.revealed).lower(),
                       "" if whereabouts else weights.get(r.contributor_id, ""))

"""The campaign-kind contract; the registry create_app fills from config["KINDS"] is citizen.kinds.registry.

A kind is a class in a folder of its own (citizen/kinds/<id>/: the class, templates/, static/, its jobs);
every campaign names one by its `id`. The volunteer loop, import, scheduling, consensus bookkeeping and
exports are shared machinery: a kind only says what is particular to it, and declares what the core may
rely on (its capabilities, below): the core never asks which kind it is, nor sniffs payloads or results.
"""
import csv
import io
import json

from citizen.errors import InvalidInput
from citizen.kinds.capabilities import Capabilities
from citizen.quality import consensus
from citizen.kinds import columns as claimed_columns
from flask_babel import gettext as _


GOLD_KEY = "_gold"  # carried in an imported row's payload until the task row takes it as Task.gold
# A task's result before any answer (Kind.result's shape: answer, count, share, answers, tied): what readers show
# of a task with no stored result (citizen.campaigns.tally.stored).
EMPTY_RESULT = {"answer": None, "count": 0, "share": 0.0, "answers": 0, "tied": False}


class RowError(ValueError):
    """A problem with one row of an import; `line` is 1-based as a spreadsheet shows it."""

    def __init__(self, line, message):
        super().__init__(message)
        self.line = line
        self.message = message


class Kind(Capabilities):
    """Base class and contract of a campaign kind.

    Subclasses set `id`, `label`, `script` (a file of the kind's static/ folder that renders a task JSON
    into the kind's templates/task.html and reports the answer), implement the clean_* methods, and declare
    their capabilities (citizen.kinds.capabilities). Aggregation defaults to a majority tally over the
    answer value; kinds with structured answers override `add_to_consensus` and `result`.

    Files of the kind's folder (or of the folders of the classes it inherits from) are reached by name:
    templates as "kinds/<id>/<name>" (task.html, settings.html, icon.svg, and the manage page's optional
    manage_head.html, manage_import.html, manage.html, manage_scripts.html), static files by `kind_asset`.
    """

    id = ""
    label = ""
    script = ""
    styles = ()    # CSS files the work page loads for this kind: "vendor/..." (the app's libraries) or its own
    scripts = ()   # JS files loaded before `script`, named the same way
    import_help = ""  # what the organiser's import form accepts

    def template(self, name):
        """The Jinja name of one of the kind's templates (citizen.kinds.registry resolves it to its folder)."""
        return f"kinds/{self.id}/{name}"

    @property
    def task_template(self):
        return self.template("task.html")

    @property
    def settings_template(self):
        return self.template("settings.html")

    def init_app(self, app):
        """Register what the kind runs besides its pure functions (jobs, routes, manage-page context):
        called once by create_app through citizen.kinds.registry, never as a side effect of an import."""

    # --- campaign settings --------------------------------------------------------------------
    def default_settings(self):
        return {}

    def clean_settings(self, raw):
        """Validate the organiser's kind settings; return the normalised dict or raise InvalidInput."""
        return dict(raw or {})

    def settings_from_form(self, form):
        """Turn the kind's fields of the campaign form into the raw settings dict."""
        return {}

    # --- splitting a source into tasks --------------------------------------------------------
    def clean_task(self, payload, settings):
        """Validate one task's payload; return the stored payload or raise ValueError(message)."""
        raise NotImplementedError

    def tasks_from_rows(self, rows, settings):
        """Turn parsed rows [(line, dict)] into ([(line, external_id, payload)], [errors]);
        every bad row is reported as {"line", "message"} so the organiser can fix them all at once."""
        out, errors = [], []
        for line, row in rows:
            if not isinstance(row, dict):
                errors.append({"line": line, "message": _("each task must be an object with named fields")})
                continue
            row = dict(row)
            external_id = row.pop("external_id", None)
            gold = row.pop("gold", None)
            claimed = claimed_columns.take(row)  # columns a feature reads (wellbeing: sensitivity, categories)
            try:
                payload = self.clean_task(row, settings)
                if gold not in (None, ""):
                    payload[GOLD_KEY] = self.clean_gold(gold, settings)
                claimed_columns.parse(claimed, payload)
            except ValueError as exc:
                errors.append({"line": line, "message": str(exc)})
                continue
            out.append((line, None if external_id in (None, "") else str(external_id)[:200], payload))
        return out, errors

    def tasks_from_upload(self, filename, data, settings, media):
        """Split an uploaded file into ([(line, external_id, payload)], [errors]). The default reads
        CSV or JSON rows; map and document kinds override this to read areas of interest, photos or
        PDFs, saving files through `media` (a citizen.storage.media.MediaStore; a dry run in previews).
        A file that cannot be read at all raises RowError. Any error fails the whole import; a kind
        that leaves bad parts of an upload out while the rest imports (a ZIP of PDFs) returns a third
        list, warnings [{"line", "message"}], which the organiser is shown."""
        return self.tasks_from_rows(parse_rows(filename, data), settings)

    def task_ready(self, payload):
        """False for a task whose media is still being prepared (a PDF page not rendered yet): it is
        stored unavailable, so never handed out, until the kind's job makes it available."""
        return True

    def after_import(self, campaign, rows):
        """Called once an import's tasks are stored (flushed, not committed): start the work that
        makes tasks that were not `task_ready` available (citizen.jobs)."""

    # --- the volunteer's side -----------------------------------------------------------------
    def task_json(self, payload, settings):
        """What a volunteer's client receives for a task (besides id and kind). Keys starting with "_"
        (the task's content rating) are the server's own and never sent."""
        return {k: v for k, v in payload.items() if not k.startswith("_")}

    def clean_answer(self, value, payload, settings):
        """Validate an answer value; return what is stored or raise InvalidInput. It runs under the task's
        lock, on a value check_limits has already passed."""
        raise NotImplementedError

    # Limits of an answer value when a kind states none of its own (check_limits): text as long as a
    # transcribed text may be sent, and a few hundred values in all.
    MAX_ANSWER_STRING = 1000
    MAX_ANSWER_ITEMS = 500

    def check_limits(self, value, settings):
        """Refuse (InvalidInput) an answer value larger than this campaign's answers can be, by cheap checks
        that need no task (its payload, its consensus): the answer services call it before any lock is taken
        (the submit path, the answer import), so clean_answer only ever sees values of bounded size. The
        limits are those of answer_schema."""
        if _oversized(value, self.MAX_ANSWER_STRING, [self.MAX_ANSWER_ITEMS]):
            raise invalid(_("This answer is larger than any answer here can be."), "value")

    def answer_schema(self, settings=None):
        """The JSON Schema of an answer value, with its limits (maxLength, maxItems, maximum...), as the
        OpenAPI document states it; with a campaign's settings, the schema of that campaign's answers.
        clean_answer (after check_limits) is what enforces it."""
        return {"description": "an answer value", "maxLength": self.MAX_ANSWER_STRING,
                "maxItems": self.MAX_ANSWER_ITEMS, "maxProperties": self.MAX_ANSWER_ITEMS}

    # --- categorical answers (Dawid-Skene, gold) -----------------------------------------------
    def answer_labels(self, settings):
        """The categorical answers of this kind, or None when answers are not categorical."""
        return None

    def label_of(self, value):
        """The categorical answer inside a stored answer value."""
        return value if isinstance(value, str) else None

    # Answers that escalate a task to moderators at once, whatever the organiser sets (search and rescue:
    # "person"); the organiser adds their own in settings["escalate_on"] (citizen.moderation.rules).
    critical_answers = frozenset()

    def critical(self, settings):
        """The answer labels that escalate a task: read on every answer, so a dict lookup when none are set."""
        rule = settings.get("escalate_on")
        return self.critical_answers.union(rule) if rule else self.critical_answers

    def clean_gold(self, gold, settings):
        """A gold (known) answer given in an import: one of answer_labels."""
        labels = self.answer_labels(settings) or []
        if gold not in labels:
            raise ValueError(_("gold must be one of the answers: %(labels)s", labels=", ".join(labels)))
        return gold

    # --- known answers for training (citizen.training) -----------------------------------------
    def clean_known(self, known, payload, settings):
        """A training task's known answer as the organiser gives it (for a categorical kind, one of its answers);
        raises ValueError with a message for the organiser."""
        return self.clean_gold(known, settings)

    def known_matches(self, value, known, settings):
        """Whether a cleaned answer agrees with a training task's known answer."""
        return self.label_of(value) == known

    def prediction_rows(self, filename, text, tasks, settings, model=None):
        """A model's output in a format of the kind's own (COCO for boxes) as rows of the predictions import:
        ([(line, {task_id, model, answer, confidence})], errors), or None when the file is not in that format
        (the generic JSON lines, JSON list or CSV then apply). `tasks`: [(task_id, external_id, payload)]."""
        return None

    def compare_known(self, value, known, settings):
        """For kinds whose answers are more than right or wrong: counts comparing a model's answer (`known`) with the
        crowd's (`value`), summed over tasks by the model outcomes (boxes: true and false positives, misses, IoU).
        None: right or wrong (known_matches) says it all."""
        return None

    def known_text(self, known, settings):
        """The known answer as volunteers read it in training feedback ("the experts marked this as ...")."""
        return str(self.answer_names(settings).get(known, known))

    # --- aggregation --------------------------------------------------------------------------
    def add_to_consensus(self, state, value, weight=1.0):
        return consensus.add_vote(state, value, weight)

    def result(self, state, settings=None):
        """The task's result from its consensus state: at least answer, count, share, answers, tied."""
        return consensus.majority(state)

    def answers_wanted(self, state, settings, redundancy):
        """How many answers a task should get, given its consensus state after an answer: its
        redundancy, or more while volunteers disagree (transcription raises it up to a maximum).
        Applied by the kind's own sweep (citizen.kinds.transcription.transcripts.ask_for_more_answers)."""
        return redundancy

    # --- exports ------------------------------------------------------------------------------
    def export_columns(self, settings):
        """[(column name, description, function(task payload) -> value)] added to results exports.
        A function marked with @result_column takes (payload, result) instead, result being
        `self.result(task consensus, settings)`: use export_row to get a task's values."""
        return []

    def export_row(self, settings, payload, result):
        """{column: value} of export_columns for one task."""
        return {name: (fn(payload, result) if getattr(fn, "needs_result", False) else fn(payload))
                for name, _description, fn in self.export_columns(settings)}


def _oversized(value, max_string, budget):
    """Whether value holds a string longer than max_string, or more than budget[0] values in all
    (keys count as values; read without recursion, whatever the nesting)."""
    stack, left = [value], budget[0]
    while stack:
        item = stack.pop()
        left -= 1
        if left < 0:
            return True
        if isinstance(item, str):
            if len(item) > max_string:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def result_column(fn):
    """Mark an export column function as taking (payload, result)."""
    fn.needs_result = True
    return fn


def clean_image_url(url):
    url = (url or "").strip()
    if not url:
        return None
    if url.startswith(("https://", "http://", "/media/", "/static/")) and not any(c in url for c in "\"'<> "):
        return url
    raise ValueError(_("image_url must start with https://, http://, /media/ or /static/"))


CSV_FIELD_LIMIT = 128 * 1024


def delimiter(text):
    """The CSV's separator, read off its header line: "," as most spreadsheets write, ";" as Excel does where
    the decimal mark is a comma (Spanish, French, German...), or a tab. Counted outside quotes, on the first line
    only (at most CSV_FIELD_LIMIT characters): csv.Sniffer would scan the whole file with regular expressions."""
    counts, quoted = {",": 0, ";": 0, "\t": 0}, False
    for char in text[:CSV_FIELD_LIMIT]:
        if char == '"':
            quoted = not quoted
        elif char in "\r\n" and not quoted:
            break
        elif char in counts and not quoted:
            counts[char] += 1
    best = max(counts, key=lambda c: (counts[c], c == ","))
    return best if counts[best] else ","


def parse_rows(filename, data):
    """Parse CSV (header row) or JSON (a list, or {"tasks": [...]}) into [(line, dict)]."""
    name = (filename or "").lower()
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    if name.endswith(".json") or text.lstrip().startswith(("[", "{")):
        try:
            doc = json.loads(text)
        except RecursionError:  # "[[[[..." a hundred thousand deep
            raise RowError(1, _("this JSON is nested too deeply to be a list of tasks")) from None
        except ValueError as exc:  # JSONDecodeError, or an integer of more than 4300 digits (no .msg)
            raise RowError(getattr(exc, "lineno", 1), _("this is not valid JSON (%(error)s)", error=getattr(
                exc, "msg", None) or _("a number with too many digits"))) from None
        items = doc.get("tasks") if isinstance(doc, dict) else doc
        if not isinstance(items, list):
            raise RowError(1, _('JSON must be a list of tasks, or an object with a "tasks" list'))
        return [(i + 1, item) for i, item in enumerate(items)]
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter(text))
    rows = []
    try:
        if not reader.fieldnames:
            raise RowError(1, _("the file is empty; the first line must name the columns"))
        for row in reader:
            if None in row:
                raise RowError(reader.line_num, _("this line has more values than the header has columns"))
            clean = {k.strip(): (v or "").strip() for k, v in row.items() if k and (v or "").strip()}
            # Our own limit: csv.field_size_limit() is process-wide, and libraries raise it on import.
            if any(len(v) > CSV_FIELD_LIMIT for v in clean.values()):
                raise csv.Error(_("a value longer than %(n)d characters", n=CSV_FIELD_LIMIT))
            if clean:
                rows.append((reader.line_num, clean))
    except csv.Error as exc:  # a field over csv.field_size_limit() (128 KB), an unclosed quote at the end
        raise RowError(reader.line_num or 1, _("this line cannot be read as CSV (%(error)s)", error=str(exc))) from None
    return rows


def invalid(message, field=None):
    return InvalidInput(message, details=[{"field": field, "message": message}] if field else None)


from citizen.kinds.registry import all_kinds, get_kind, init_app, load_kinds  # noqa: E402,F401  (the registry's API)

"""predictions.csv in the open data of a campaign with a model's predictions: each prediction beside the crowd's
verified answer, and which results came from the model alone. Read a chunk at a time on short connections
(exports.rows.batches), like every other file."""
import json

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from citizen.campaigns.models import CLOSED, HIDDEN_RAND, Answer, Task
from citizen.exports.csv_export import stream
from citizen.exports.extra import ExtraFile
from citizen.exports.rows import batches
from citizen.extensions import db
from citizen.kinds import get_kind
from citizen.predictions.models import Prediction
from citizen.predictions.services import crowd_answer

NAME = "predictions.csv"
COLUMNS = ["task_id", "task_external_id", "model", "prediction", "confidence", "audit", "left_to_model",
           "crowd_answer", "crowd_answers", "agrees"]
DESCRIPTION = _l("Published once the campaign is closed. A model's predictions beside the volunteers' verified answers, one row per prediction: model is "
                 "the model's version; audit true marks the random audit sample, shown to volunteers without the "
                 "prediction, on which the model's accuracy is estimated without bias; left_to_model true marks a "
                 "task no volunteer was shown because the model was confident enough (its result is the model's "
                 "alone); crowd_answer is empty until the volunteers' answer is verified; agrees compares the two.")
CHUNK = 1000


def state(campaign):
    n, last, newest = db.session.execute(select(func.count(Prediction.id), func.max(Prediction.id),
                                                func.max(Prediction.created_at))
                                         .where(Prediction.campaign_id == campaign.id)).one()
    answers = db.session.execute(select(func.max(Answer.id)).where(Answer.campaign_id == campaign.id)).scalar()
    return f"p{n}.{last or 0}.{answers or 0}", newest


def write(campaign):
    campaign_id, kind, settings = campaign.id, get_kind(campaign.kind), dict(campaign.settings or {})

    def query(after):
        return (select(Prediction.id, Prediction.task_id, Task.external_id, Prediction.model, Prediction.answer,
                       Prediction.confidence, Prediction.audit, Prediction.skipped, Task.result, Task.answer_count,
                       Task.redundancy).join(Task, Task.id == Prediction.task_id)
                .where(Prediction.campaign_id == campaign_id, Task.rand > HIDDEN_RAND, Prediction.id > after)
                .order_by(Prediction.id).limit(CHUNK))

    def cell(value):
        return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))

    def line(p):
        crowd = crowd_answer(p.result, p.answer_count, p.redundancy)
        return [p.task_id, p.external_id or "", p.model, cell(p.answer), round(p.confidence, 4),
                "true" if p.audit else "false", "true" if p.skipped else "false",
                "" if crowd is None else cell(crowd), p.answer_count,
                "" if crowd is None else ("true" if kind.known_matches(crowd, p.answer, settings) else "false")]
    return stream(COLUMNS, (line(p) for rows in batches(query) for p in rows))


def note(campaign):
    """The methodology's section on the model: which results came from it alone, which volunteers checked, and how
    the audit sample estimates its error."""
    from citizen.predictions import services
    r = services.routing(campaign)
    if not r["model"]:
        return []
    models = {m["model"]: m for m in services.outcomes(campaign)}
    m = models.get(r["model"]) or {}
    lines = ["## A model's predictions", "",
             f"A model's predictions (version `{r['model']}`, {m.get('predictions', 0)} tasks) routed the work: "
             + ("volunteers saw the tasks the model was least sure of first. " if r["strategy"] == "uncertainty" else
                "volunteers saw first the tasks on which model versions disagreed, then the least sure. "
                if r["strategy"] == "disagreement" else "volunteers saw the tasks in a random order. ")
             + ("They were shown the model's prediction as a starting point, except on the audit sample. "
                if r["show"] else "They were never shown the model's predictions. "),
             "",
             f"- **Results from the model alone**: {m.get('alone', 0)} tasks"
             + (f" (confidence of at least {r['skip_above']:g}): no volunteer saw them; `predictions.csv` marks them "
                "`left_to_model`." if r["skip_above"] is not None else "."),
             f"- **Checked by volunteers**: {m.get('verified', 0)} tasks with a verified answer so far; "
             f"the model agreed on {m.get('agreement_all') if m.get('agreement_all') is not None else '-'} of them "
             "(not an estimate of its accuracy: the routing chose them).",
             f"- **Audit sample**: {m.get('audit', 0)} tasks ({r['audit']:.0%} of them, drawn at random by a keyed "
             "hash of the task) were shown without the prediction. The model's accuracy is estimated as its agreement "
             "with the volunteers' verified answers on that sample"
             + (f": **{m['accuracy']:.1%}**, 95 % Wilson interval {m['interval'][0]:.1%} to {m['interval'][1]:.1%}, "
                f"from {m['audit_verified']} tasks." if m.get("accuracy") is not None else
                ": no audit task is verified yet.")
             + " The volunteers' answers have errors of their own, so the estimate is a little below the model's "
               "true accuracy.",
             "- `predictions.csv` (once the campaign is closed) gives every prediction beside the verified answer."]
    return lines


def _enabled(campaign):
    """Published once the campaign is closed, like which tasks were gold: while it is open the file would tell which
    tasks have no prediction (the known-answer ones) and which are in the audit sample."""
    return bool((campaign.settings or {}).get("routing")) and campaign.status == CLOSED


FILE = ExtraFile(NAME, lambda: str(DESCRIPTION), "text/csv", "csv", _enabled, write, state)

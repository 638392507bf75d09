"""A model in the loop: its predictions come in, route the work, are shown or not, and are measured.

- `import_predictions`: JSON lines, a JSON list, or a CSV (task_id or external_id, model, answer, confidence); the
  answer in the kind's own answer schema (a category, boxes...), cleaned by the kind as a known answer is. All or
  nothing, every bad line listed; a task's prediction by the same model version is replaced.
- `route`: the organiser's strategy, written into the scheduling order the volunteer loop already reads
  (Task.rand), so serving stays one indexed range scan:
  - "uncertainty": the routing model's tasks by rising confidence; newcomers start at the head of the order
    (Campaign.settings["routing"]["ordered"]), so the work goes where the model is least sure first;
  - "disagreement": tasks on which the other imported model versions disagree with the routing model first, each
    part least confident first;
  - "random": the tasks' own random order;
  - an audit sample (a stated share, drawn by a keyed hash of the task: stable across re-routing) keeps random
    places in the order and is never shown with its prediction: the model's accuracy is estimated on it without
    anchoring and without the bias of the routing;
  - "skip when confident": an unanswered task outside the audit sample whose confidence reaches the threshold is not
    handed out at all (its result is the model's alone, and the open data says so).
- `outcomes`: per model version, the agreement with the crowd's result on the audit sample with a 95 % Wilson
  interval, the confusion matrix, and the tasks where model and crowd disagree most (for moderators).
- `verified`: the crowd's labels with the model's prediction beside them, polled with a cursor (the last answer id
  seen): a training pipeline fetches what was verified since it last asked.
"""
import csv
import hashlib
import hmac
import io
import json
import math

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from citizen.campaigns import tally
from citizen.campaigns.models import HIDDEN_RAND, Answer, Campaign, Task
from citizen.errors import InvalidInput
from citizen.extensions import db
from citizen.kinds import get_kind
from citizen.predictions.models import Prediction

MAX_ROWS = 50000        # predictions in one import
MAX_ERRORS = 20
MAX_MODEL = 100         # characters of a model version
STRATEGIES = ("uncertainty", "disagreement", "random")
DISAGREEMENTS = 20      # listed for moderators
SHOWN = "_prediction"   # the payload key of the prediction shown with a task
Z95 = 1.959964


# --- import ---------------------------------------------------------------------------------------------------------
def _rows(filename, data):
    """[(line, dict)] from JSON lines, a JSON list or a CSV."""
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    name = (filename or "").lower()
    stripped = text.lstrip()
    if name.endswith(".csv") or not stripped[:1] in ("{", "["):
        try:
            return [(n + 2, dict(r)) for n, r in enumerate(csv.DictReader(io.StringIO(text)))]
        except csv.Error as exc:
            raise InvalidInput(_("This CSV cannot be read: %(why)s", why=str(exc)[:200])) from None
    if stripped.startswith("["):
        try:
            items = json.loads(text)
        except (ValueError, RecursionError):
            raise InvalidInput(_("This is not valid JSON.")) from None
        return list(enumerate(items, 1))
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                out.append((n, json.loads(line)))
            except (ValueError, RecursionError):
                out.append((n, None))
    return out


def _kind_rows(campaign, filename, data, model, tasks):
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    try:
        out = get_kind(campaign.kind).prediction_rows(filename, text, tasks, campaign.settings or {}, model)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    if out is None:
        return None
    rows, errors = out
    if errors:
        raise InvalidInput(_("No prediction was stored: fix these lines."), details=errors)
    return rows


def _confidence(raw):
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) and 0 <= value <= 1 else None


def import_predictions(campaign, filename, data, model=None):
    """Store a file of predictions; returns how many. Raises InvalidInput listing the bad lines (nothing stored).
    A kind may take its own format (COCO for boxes: Kind.prediction_rows), whose model version `model` names when
    the file does not."""
    # The tasks a prediction may name, read once: ordinary ones (not gold, training or hidden).
    tasks = db.session.execute(select(Task.id, Task.external_id, Task.payload).where(
        Task.campaign_id == campaign.id, Task.rand > HIDDEN_RAND, Task.gold.is_(None))).all()
    rows = _kind_rows(campaign, filename, data, model, tasks)
    if rows is None:
        rows = _rows(filename, data)
    if len(rows) > MAX_ROWS:
        raise InvalidInput(_("At most %(n)d predictions in one file.", n=MAX_ROWS))
    kind, settings = get_kind(campaign.kind), campaign.settings or {}
    by_ext = {external_id: task_id for task_id, external_id, _payload in tasks if external_id is not None}
    payloads = {task_id: payload for task_id, _external_id, payload in tasks}
    clean, errors = {}, []
    for line, row in rows:
        if len(errors) >= MAX_ERRORS:
            break
        if not isinstance(row, dict):
            errors.append({"line": line, "message": _("each prediction is an object with task_id or external_id, "
                                                      "model, answer and confidence")})
            continue
        ref = row.get("task_id")
        task_id = by_ext.get(str(row.get("external_id"))) if row.get("external_id") not in (None, "") else (
            int(ref) if str(ref or "").isdigit() and len(str(ref)) < 10 else None)
        model = str(row.get("model") or "").strip()
        confidence = _confidence(row.get("confidence"))
        if task_id not in payloads:
            errors.append({"line": line, "message": _("no such task in this campaign (or a known-answer, training "
                                                      "or hidden one)")})
        elif not model or len(model) > MAX_MODEL:
            errors.append({"line": line, "message": _("give the model's version (at most %(n)d characters)",
                                                      n=MAX_MODEL)})
        elif confidence is None:
            errors.append({"line": line, "message": _("confidence must be a number from 0 to 1")})
        else:
            try:
                answer = kind.clean_known(row.get("answer"), payloads[task_id], settings)
            except (ValueError, InvalidInput) as exc:
                errors.append({"line": line, "message": str(getattr(exc, "message", exc))})
                continue
            clean[(task_id, model)] = (answer, confidence)
    if errors:
        raise InvalidInput(_("No prediction was stored: fix these lines."), details=errors)
    if not clean:
        raise InvalidInput(_("The file holds no prediction."))
    existing = {(p.task_id, p.model): p for p in db.session.execute(select(Prediction).where(
        Prediction.campaign_id == campaign.id, Prediction.model.in_({m for _t, m in clean}))).scalars()}
    for (task_id, model), (answer, confidence) in clean.items():
        row = existing.get((task_id, model))
        if row is None:
            db.session.add(Prediction(campaign_id=campaign.id, task_id=task_id, model=model, answer=answer,
                                      confidence=confidence))
        else:
            row.answer, row.confidence = answer, confidence
    db.session.flush()
    if not (campaign.settings or {}).get("routing"):  # the first model routes the work until the organiser says
        set_routing(campaign, {"model": next(iter(clean))[1]})
    else:
        route(campaign)
    return len(clean)


# --- routing --------------------------------------------------------------------------------------------------------
def models(campaign):
    """[(model, predictions, mean confidence)] of the campaign, by name."""
    return db.session.execute(select(Prediction.model, func.count(), func.avg(Prediction.confidence)).where(
        Prediction.campaign_id == campaign.id).group_by(Prediction.model).order_by(Prediction.model)).all()


def routing(campaign):
    r = (campaign.settings or {}).get("routing") or {}
    return {"model": r.get("model"), "strategy": r.get("strategy", "uncertainty"), "audit": r.get("audit", 0.1),
            "skip_above": r.get("skip_above"), "show": bool(r.get("show"))}


def _share(raw, name, allow_none=False):
    if allow_none and raw in (None, ""):
        return None
    value = _confidence(raw)
    if value is None:
        message = _("%(name)s must be a number from 0 to 1.", name=name)
        raise InvalidInput(message, details=[{"field": name, "message": message}])
    return value


def set_routing(campaign, data):
    """The organiser's routing: model (one of the campaign's), strategy, audit share, skip threshold, show."""
    current = routing(campaign)
    model = data.get("model", current["model"])
    if model not in {m for m, _n, _c in models(campaign)}:
        raise InvalidInput(_("Choose one of the model versions whose predictions you imported."))
    strategy = data.get("strategy", current["strategy"])
    if strategy not in STRATEGIES:
        raise InvalidInput(_("Choose least confident first, disagreement between models first, or random order."))
    new = {"model": model, "strategy": strategy, "audit": _share(data.get("audit", current["audit"]), "audit"),
           "skip_above": _share(data.get("skip_above", current["skip_above"]), "skip_above", allow_none=True),
           "show": bool(data.get("show", current["show"])), "ordered": strategy != "random"}
    campaign.settings = {**(campaign.settings or {}), "routing": new}
    db.session.flush()
    route(campaign)
    return new


def _unit(campaign_id, task_id, salt):
    """A stable number in [0, 1) for a task: the audit draw and its place in the order, keyed with the server's
    secret (nobody outside can tell which tasks the audit sample holds)."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"{salt}:{campaign_id}:{task_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def route(campaign):
    """Write the campaign's routing into the scheduling order (see the module's docstring). Tasks an earlier routing
    left to a model are work again unless this one leaves them too."""
    r = routing(campaign)
    if not r["model"]:
        return
    rows = db.session.execute(select(Prediction.id, Prediction.task_id, Prediction.confidence, Prediction.answer,
                                     Task.payload, Task.answer_count,
                                     Task.lease_count).join(Task, Task.id == Prediction.task_id).where(
        Prediction.campaign_id == campaign.id, Prediction.model == r["model"], Task.rand >= 0)).all()
    alone_now = set(db.session.execute(select(Prediction.task_id).join(Task, Task.id == Prediction.task_id).where(
        Prediction.campaign_id == campaign.id, Prediction.skipped.is_(True), Task.rand >= 0)).scalars())
    audit = {p.task_id for p in rows if _unit(campaign.id, p.task_id, "audit") < r["audit"]}
    split = _disputed(campaign, r["model"], rows) if r["strategy"] == "disagreement" else set()
    ranked = sorted((p for p in rows if p.task_id not in audit),
                    key=lambda p: (p.task_id not in split, p.confidence, p.task_id))
    places = {p.task_id: (i + 0.5) / (len(ranked) + 1) for i, p in enumerate(ranked)}
    alone = {p.task_id for p in rows if r["skip_above"] is not None and p.task_id not in audit
             and p.confidence >= r["skip_above"] and not p.answer_count and not p.lease_count}
    changes = {}
    for p in rows:
        random_place = r["strategy"] == "random" or p.task_id in audit
        changes[p.task_id] = {"rand": _unit(campaign.id, p.task_id, "place") if random_place else places[p.task_id]}
    # The prediction to show travels in the task's payload under a key of the server's own (never sent as is: Kind.
    # task_json leaves "_" keys out), so that the loop reads it with the task, without a query of its own.
    kind, settings = get_kind(campaign.kind), campaign.settings or {}
    for p in rows:
        shown = {"answer": p.answer, "confidence": round(p.confidence, 3),
                 "label": kind.known_text(p.answer, settings)} if r["show"] and p.task_id not in audit else None
        if (p.payload or {}).get(SHOWN) != shown:
            payload = {k: v for k, v in (p.payload or {}).items() if k != SHOWN}
            changes.setdefault(p.task_id, {})["payload"] = {**payload, SHOWN: shown} if shown else payload
    for task_id in alone - alone_now:  # the model's alone: never handed out, no longer holding progress back
        changes.setdefault(task_id, {}).update(available=False, redundancy=0)
    for task_id in alone_now - alone:
        changes.setdefault(task_id, {}).update(available=True, redundancy=campaign.redundancy)
    _bulk(Task, [{"id": task_id, **change} for task_id, change in changes.items()])
    db.session.execute(update(Prediction).where(Prediction.campaign_id == campaign.id,
                                                Prediction.skipped.is_(True)).values(skipped=False))
    _bulk(Prediction, [{"id": p.id, "audit": p.task_id in audit, "skipped": p.task_id in alone} for p in rows])
    done_delta = len(alone - alone_now) - len(alone_now - alone)
    if done_delta:
        db.session.execute(update(Campaign).where(Campaign.id == campaign.id).values(
            tasks_done=Campaign.tasks_done + done_delta))
    db.session.expire_all()  # the rows just written in bulk are read afresh


def _disputed(campaign, model, rows):
    """The tasks where another model version's prediction differs from the routing model's."""
    kind, settings = get_kind(campaign.kind), campaign.settings or {}
    mine = {p.task_id: p.answer for p in rows}
    return {task_id for task_id, answer in db.session.execute(select(Prediction.task_id, Prediction.answer).where(
        Prediction.campaign_id == campaign.id, Prediction.model != model))
        if task_id in mine and not kind.known_matches(answer, mine[task_id], settings)}


def _bulk(model, params, chunk=5000):
    """UPDATEs by primary key, grouped by the columns they set, a chunk at a time."""
    for start in range(0, len(params), chunk):
        part = params[start:start + chunk]
        for keys in {tuple(sorted(p)) for p in part}:
            db.session.execute(update(model), [p for p in part if tuple(sorted(p)) == keys])


# --- the volunteer loop's hooks -------------------------------------------------------------------------------------
def prediction_shown(payload):
    """Whether this task is shown with a prediction (routing put it in the payload: the campaign shows them, and the
    task has one of the routing model outside the audit sample): stored with each answer."""
    return SHOWN in (payload or {})


def annotate_task(body, payload):
    """The task JSON with the routing model's prediction as a starting point (never for the audit sample)."""
    shown = (payload or {}).get(SHOWN)
    return {**body, "prediction": shown} if shown else body


# --- outcomes -------------------------------------------------------------------------------------------------------
def wilson(agree, n):
    """(low, high) of the 95 % Wilson interval of a proportion; None without data."""
    if not n:
        return None
    p = agree / n
    centre = (p + Z95 ** 2 / (2 * n)) / (1 + Z95 ** 2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95 ** 2 / (4 * n * n)) / (1 + Z95 ** 2 / n)
    return round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)


def crowd_answer(result, answers, redundancy):
    """The crowd's answer of a task, once it is verified (all its answers in, or decided early); else None."""
    res = tally.stored(result)
    if not answers or res.get("answer") is None or not (answers >= redundancy or res.get("decided")):
        return None
    return res["answer"]


def _label(kind, value):
    """The category of an answer or of a result's answer (a map kind's result is its grade alone)."""
    label = kind.label_of(value)
    return value if label is None and isinstance(value, str) else label


def outcomes(campaign):
    """Per model version: agreement with the crowd on the audit sample (the unbiased estimate) with its interval,
    on every verified task (biased by the routing, for comparison), the confusion matrix of the audit sample (kinds
    with categories), the disagreements sorted by the model's confidence, and how many tasks the model decided
    alone."""
    kind, settings = get_kind(campaign.kind), campaign.settings or {}
    labels = kind.answer_labels(settings)
    rows = db.session.execute(select(Prediction.model, Prediction.answer, Prediction.confidence, Prediction.audit,
                                     Prediction.skipped, Task.id, Task.external_id, Task.result, Task.answer_count,
                                     Task.redundancy).join(Task, Task.id == Prediction.task_id).where(
        Prediction.campaign_id == campaign.id, Task.rand > HIDDEN_RAND)).all()
    out = {}
    for r in rows:
        m = out.setdefault(r.model, {"model": r.model, "predictions": 0, "audit": 0, "audit_verified": 0,
                                     "audit_agree": 0, "verified": 0, "agree": 0, "alone": 0, "confusion": {},
                                     "disagreements": [], "counts": {}})
        m["predictions"] += 1
        m["audit"] += int(r.audit)
        m["alone"] += int(r.skipped)
        crowd = crowd_answer(r.result, r.answer_count, r.redundancy)
        if crowd is None:
            continue
        agrees = bool(kind.known_matches(crowd, r.answer, settings))
        m["verified"] += 1
        m["agree"] += int(agrees)
        if r.audit:
            m["audit_verified"] += 1
            m["audit_agree"] += int(agrees)
            if labels:
                key = (str(_label(kind, r.answer)), str(_label(kind, crowd)))
                m["confusion"][key] = m["confusion"].get(key, 0) + 1
            for name, n in (kind.compare_known(crowd, r.answer, settings) or {}).items():
                m["counts"][name] = m["counts"].get(name, 0) + n
        if not agrees:
            m["disagreements"].append({"task_id": r.id, "reference": r.external_id or f"#{r.id}",
                                       "model": kind.known_text(r.answer, settings),
                                       "crowd": kind.known_text(crowd, settings), "confidence": r.confidence})
    for m in out.values():
        m["accuracy"] = round(m["audit_agree"] / m["audit_verified"], 4) if m["audit_verified"] else None
        m["interval"] = wilson(m["audit_agree"], m["audit_verified"])
        m["agreement_all"] = round(m["agree"] / m["verified"], 4) if m["verified"] else None
        m["disagreements"] = sorted(m["disagreements"], key=lambda d: -d["confidence"])[:DISAGREEMENTS]
        m["labels"] = list(labels or [])
        m["confusion"] = [{"model": a, "crowd": b, "n": n} for (a, b), n in sorted(m["confusion"].items())]
        c = m.pop("counts")
        if c.get("fields"):  # transcription: the share of the settled fields the model read the same
            m["fields"] = {"accuracy": round(c["right"] / c["fields"], 4), "fields": c["fields"]}
        if c.get("tp") is not None:  # boxes: precision, recall and mean IoU on the audit sample
            m["boxes"] = {"precision": round(c["tp"] / (c["tp"] + c["fp"]), 4) if c["tp"] + c["fp"] else None,
                          "recall": round(c["tp"] / (c["tp"] + c["fn"]), 4) if c["tp"] + c["fn"] else None,
                          "mean_iou": round(c["iou"] / c["tp"], 4) if c["tp"] else None,
                          "matched": c["tp"], "model_boxes": c["tp"] + c["fp"], "crowd_boxes": c["tp"] + c["fn"]}
    return list(out.values())


# --- verified labels ------------------------------------------------------------------------------------------------
def verified(campaign, after=0, limit=500):
    """The tasks whose latest answer came after the cursor `after` (an answer id) and whose crowd result is verified,
    with the routing model's prediction beside it; ({"labels": [...], "next": cursor})."""
    kind, settings = get_kind(campaign.kind), campaign.settings or {}
    latest = (select(Answer.task_id, func.max(Answer.id).label("last")).where(
        Answer.campaign_id == campaign.id, Answer.id > after).group_by(Answer.task_id).subquery())
    rows = db.session.execute(select(Task.id, Task.external_id, Task.result, Task.answer_count, Task.redundancy,
                                     latest.c.last).join(latest, latest.c.task_id == Task.id)
                              .where(Task.rand > HIDDEN_RAND, Task.gold.is_(None))
                              .order_by(latest.c.last).limit(limit)).all()
    model = routing(campaign)["model"]
    preds = {p.task_id: p for p in db.session.execute(select(Prediction).where(
        Prediction.task_id.in_([r.id for r in rows]), Prediction.model == model)).scalars()} if model else {}
    labels, cursor = [], after
    for r in rows:
        cursor = r.last
        crowd = crowd_answer(r.result, r.answer_count, r.redundancy)
        if crowd is None:
            continue
        p = preds.get(r.id)
        res = tally.stored(r.result)
        labels.append({"task_id": r.id, "external_id": r.external_id, "answer": crowd, "share": res.get("share"),
                       "answers": r.answer_count, "model": p.model if p else None,
                       "prediction": p.answer if p else None, "confidence": p.confidence if p else None,
                       "audit": p.audit if p else None,
                       "agrees": bool(kind.known_matches(crowd, p.answer, settings)) if p else None})
    return {"labels": labels, "next": cursor}

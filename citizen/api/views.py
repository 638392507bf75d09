"""API v1 views: parse, call one service, return JSON. Errors are mapped in citizen.handlers."""
import math
import re
import time

from flask import Blueprint, current_app, request
from limits import parse

from citizen.accounts import services as accounts
from citizen.accounts import auth
from citizen.api.body import json_object
from citizen.api.openapi import MAX_ID, TASK_ROUTE_ID, spec
from citizen.campaigns import results as results_svc
from citizen.campaigns import changes, hooks, scheduler, texts
from citizen.campaigns import services as campaigns
from citizen.kinds import get_kind
from citizen.errors import InvalidInput, MethodNotAllowed, NotFound, NotOpen, RateLimited, Unauthorized
from citizen.campaigns import report
from citizen.extensions import db, limiter
from citizen.storable import unstorable
from citizen.urls import external_url
from flask_babel import gettext as _

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.url_value_preprocessor
def no_such_slug(_endpoint, values):
    # A NUL (%00) can be in no slug, and PostgreSQL refuses it even in a lookup: 404 here, not a 500 there.
    if values and any(isinstance(v, str) and unstorable(v) is not None for v in values.values()):
        raise NotFound(_("There is no campaign at this address."))


def _int_arg(name, default, low, high):
    """A whole-number query argument in [low, high]; anything else is a 422 naming it (not a silent default)."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        message = _("%(name)s must be a whole number from %(low)d to %(high)d.", name=name, low=low, high=high)
        raise InvalidInput(message, details=[{"field": name, "message": message}])
    return int(raw)


def campaign_json(c):
    return {"slug": c.slug, "kind": c.kind, "title": c.title, "summary": c.summary, "status": c.status,
            "licence": c.licence, "redundancy": c.redundancy, "tasks_total": c.tasks_total,
            "tasks_done": c.tasks_done, "progress": c.progress,
            "url": external_url("campaigns.show", slug=c.slug)}


def task_json(campaign, task_id, payload, done):
    kind = get_kind(campaign.kind)
    settings = texts.kind_settings(kind, campaign.settings)  # the question in the volunteer's language
    return {"id": task_id, "kind": campaign.kind, "campaign": campaign.slug,
            **kind.task_json(payload, settings), "done": done}


@bp.get("/openapi.json")
def openapi():
    return spec(current_app.extensions["citizen.kinds"])


@bp.post("/guests")
def create_guest():
    auth.spend_guest_allowance(request.args.get("event"))  # ?event=CODE: a campaign's event code
    token = accounts.create_guest(*auth.request_signatures())[1]
    db.session.commit()
    return {"token": token}, 201


@bp.get("/campaigns")
def list_campaigns():
    return {"campaigns": [campaign_json(c) for c in campaigns.published_campaigns()]}


@bp.post("/campaigns")
def create_campaign():
    user = auth.organiser()
    body = json_object()
    org_ids = user.organisation_ids
    org_id = body["organisation_id"] if body.get("organisation_id") is not None else (
        org_ids[0] if len(org_ids) == 1 else None)
    if org_id is None:
        raise InvalidInput(_("Name the organisation_id: this account organises several."),
                           details=[{"field": "organisation_id", "message": _("missing")}])
    if not isinstance(org_id, int) or isinstance(org_id, bool) or not 1 <= org_id <= MAX_ID:
        raise InvalidInput(_("organisation_id must be the id of an organisation."),
                           details=[{"field": "organisation_id", "message": _("not an id")}])
    campaign = campaigns.create_campaign(org_id, user, body)
    db.session.commit()
    return {"slug": campaign.slug, "status": campaign.status}, 201


@bp.get("/campaigns/<slug>")
def show_campaign(slug):
    return campaign_json(campaigns.get_campaign(slug, auth.caller()[0]))


@bp.post("/campaigns/<slug>/tasks")
def import_tasks(slug):
    campaign = campaigns.managed_campaign(slug, auth.organiser())
    upload = request.files.get("file")
    if upload:
        name, data = upload.filename, upload.read()
    else:
        name, data = "tasks.json", request.get_data()
    warnings = []  # parts of the upload left out while the rest imports (a damaged PDF in a ZIP)
    n = campaigns.import_tasks(campaign, name, data, current_app.config["IMPORT_MAX_ROWS"],
                               current_app.config["IMPORT_MAX_ERRORS"], warnings)
    db.session.commit()
    return {"imported": n, "tasks_total": campaign.tasks_total, **({"warnings": warnings} if warnings else {})}, 201


@bp.post("/campaigns/<slug>/publish")
def publish(slug):
    campaign = campaigns.publish(campaigns.managed_campaign(slug, auth.organiser()))
    db.session.commit()
    return campaign_json(campaign)


MAX_EXCLUDE = 10          # task ids a caller may name in ?exclude= (the work page names one: the task on screen)
MAX_EXCLUDE_CHARS = 120  # ten int4 ids with their commas fit


TASK_LIST = re.compile(r"([0-9]{1,10}(,[0-9]{1,10}){0,%d})?" % (MAX_EXCLUDE - 1), re.ASCII)  # as in the OpenAPI


def _task_ids(raw, field):
    """A comma-separated list of at most MAX_EXCLUDE task ids (ASCII digits, up to 10 each, no spaces, no empty
    items; empty means none), checked before any lock; anything else is a 422 naming the field. An id beyond
    int4, which the OpenAPI pattern allows, names no task: it is left out."""
    if not (isinstance(raw, str) and len(raw) <= MAX_EXCLUDE_CHARS and TASK_LIST.fullmatch(raw)):
        message = _("%(field)s must list at most %(n)d task ids, separated by commas.", field=field, n=MAX_EXCLUDE)
        raise InvalidInput(message, details=[{"field": field, "message": message}])
    return [int(x) for x in raw.split(",") if x and int(x) <= MAX_ID]


def _exclude():
    """?exclude=: ids of tasks already on the caller's screen, to be skipped. It only ever skips tasks: it
    never lets anyone hold more than MAX_LEASES (see scheduler.next_task)."""
    return _task_ids(request.args.get("exclude", ""), "exclude")


@bp.get("/campaigns/<slug>/tasks/next")
def next_task_get(slug):
    """The API's contract for scripts and apps: a GET with a Bearer token (which a page of another site
    cannot send). A browser's cookie never takes a lease or makes a guest on a GET: a cross-site <img>
    would hand out tasks; the work page asks with a POST carrying its CSRF token."""
    if not auth._bearer():
        raise MethodNotAllowed(_("Ask for the next task with POST (the work page does), or send a Bearer token."),
                               code="use_post")
    return _next_task(slug, create_guest=False)


@bp.post("/campaigns/<slug>/tasks/next")
def next_task(slug):
    return _next_task(slug, create_guest=True)


def _next_task(slug, create_guest):
    exclude = _exclude()
    cid = auth.contributor_id(create_guest=create_guest)
    try:
        campaign, task = scheduler.next_task(slug, cid, exclude)
    except hooks.TrainingDue as due:  # a training task first (citizen.training), shielded like any task
        body = hooks.shield_task(due.campaign, cid, due.body)
        db.session.commit()
        return body
    except NotOpen:
        # A draft exists only for its organisers (they hear it takes no answers yet); others find nothing.
        campaigns.get_campaign(slug, auth.caller()[0])
        raise
    # Blurred copy instead of the original, warning, reveal URL (unchanged when nothing is rated).
    body = task and hooks.shield_task(campaign, cid, task_json(campaign, *task))
    if body and (campaign.settings.get("routing") or {}).get("show"):
        body = hooks.annotate_task(body, task[1])  # the model's prediction as a starting point (citizen.predictions)
    db.session.commit()
    if task is None:
        return "", 204
    return body


@bp.post("/campaigns/<slug>/leases/extend")
def extend_leases(slug):
    """The work page says "still here" (at most about once a minute while the volunteer is active): the
    caller's live leases in the campaign last LEASE_SECONDS more (up to LEASE_MAX_SECONDS in all)."""
    n = scheduler.extend_leases(slug, auth.contributor_id())
    db.session.commit()
    return {"extended": n}


@bp.post("/campaigns/<slug>/leases/release")
def release_leases(slug):
    """The work page was hidden or closed (navigator.sendBeacon, its body a form with the csrf_token): every
    task the caller holds in the campaign (the one on screen, the one fetched ahead) goes back at once."""
    n = scheduler.release_leases(slug, auth.contributor_id())
    db.session.commit()
    return {"released": n}


def _answer_body():
    """The JSON body of an answer: an object with a `value` (its kind checks the rest)."""
    body = json_object()
    if "value" not in body:
        raise InvalidInput(_('Send the answer as {"value": ...}.'), details=[{"field": "value", "message": _("missing")}])
    return body


@bp.post(f"/tasks/{TASK_ROUTE_ID}/answers")
def submit_answer(task_id):
    cid = auth.contributor_id()
    body = _answer_body()
    duration = body.get("duration_ms")
    if duration is not None and (not isinstance(duration, int) or isinstance(duration, bool)
                                 or not 0 <= duration <= MAX_ID):
        raise InvalidInput(_("duration_ms must be a whole number of milliseconds."))
    key = request.headers.get("Idempotency-Key", "").strip()[:200] or None
    if key is not None and unstorable(key) is not None:
        raise InvalidInput(_("The Idempotency-Key may not contain NUL characters."),
                           details=[{"field": "Idempotency-Key", "message": _("NUL character")}])
    status, out = scheduler.submit_answer(task_id, cid, body["value"], duration, key,
                                          source="api" if auth._bearer() else "web")
    db.session.commit()
    return out, status


CHANGE_LIMIT = "6 per 10 minutes"  # changes per contributor: each folds a task's answers again


def _spend_change(contributor_id):
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    item = parse(CHANGE_LIMIT)
    if not limiter.limiter.hit(item, "answer-changes", str(contributor_id)):
        reset = limiter.limiter.get_window_stats(item, "answer-changes", str(contributor_id)).reset_time
        raise RateLimited(_("You have changed several answers in the last minutes. Please wait a little."),
                          retry_after=max(1, math.ceil(reset - time.time())))


@bp.put(f"/tasks/{TASK_ROUTE_ID}/answers/mine")
def change_answer(task_id):
    """Back on the work page: the caller's last answer, changed within minutes (citizen.campaigns.changes)."""
    cid = auth.contributor_id()
    body = _answer_body()
    _spend_change(cid)
    out = changes.change_answer(task_id, cid, body["value"])
    db.session.commit()
    return out


@bp.post(f"/tasks/{TASK_ROUTE_ID}/skip")
def skip_task(task_id):
    scheduler.skip_task(task_id, auth.contributor_id())
    db.session.commit()
    return {"skipped": task_id}


@bp.post("/campaigns/<slug>/answers/import")
def import_answers(slug):
    campaign = campaigns.managed_campaign(slug, auth.organiser())
    n = results_svc.import_answers(campaign, json_object().get("answers"))
    db.session.commit()
    return {"imported": n}, 201


@bp.get("/campaigns/<slug>/quality")
def quality_report(slug):
    """Linked accounts with their evidence, the influence report, flagged contributors (staff only)."""
    user, contributor = auth.caller()
    if user is None and contributor is None:
        raise Unauthorized()
    return report.campaign_report(campaigns.reviewed_campaign(slug, user))


@bp.get("/campaigns/<slug>/results")
def results(slug):
    user = auth.caller()[0]
    campaign = campaigns.get_campaign(slug, user)
    after = _int_arg("after", 0, 0, MAX_ID)
    limit = _int_arg("limit", 500, 1, 5000)
    return results_svc.results_body(campaign, after, limit, include_hidden=campaigns.is_staff(user, campaign))

"""API v1 views: parse, call one service, return JSON. Errors are mapped in citizen.handlers."""
from flask import Blueprint, current_app, request, url_for

from citizen.accounts import services as accounts
from citizen.api import auth
from citizen.api.openapi import spec
from citizen.campaigns import results as results_svc
from citizen.campaigns import scheduler
from citizen.campaigns import services as campaigns
from citizen.campaigns.kinds import get_kind
from citizen.errors import InvalidInput, Unauthorized
from citizen.quality import report
from citizen.extensions import db, limiter
from citizen.wellbeing import serving as wellbeing
from flask_babel import gettext as _

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _json_body():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput(_("Send a JSON object in the request body (Content-Type: application/json)."))
    return body


def campaign_json(c):
    return {"slug": c.slug, "kind": c.kind, "title": c.title, "summary": c.summary, "status": c.status,
            "licence": c.licence, "redundancy": c.redundancy, "tasks_total": c.tasks_total,
            "tasks_done": c.tasks_done, "progress": c.progress,
            "url": url_for("campaigns.show", slug=c.slug, _external=True)}


def task_json(campaign, task_id, payload, done):
    kind = get_kind(campaign.kind)
    return {"id": task_id, "kind": campaign.kind, "campaign": campaign.slug,
            **kind.task_json(payload, campaign.settings), "done": done}


@bp.get("/openapi.json")
def openapi():
    return spec()


@bp.post("/guests")
@limiter.limit(lambda: current_app.config["GUEST_RATE_LIMIT"])
def create_guest():
    token = accounts.create_guest(*auth.request_signatures())[1]
    db.session.commit()
    return {"token": token}, 201


@bp.get("/campaigns")
def list_campaigns():
    return {"campaigns": [campaign_json(c) for c in campaigns.published_campaigns()]}


@bp.post("/campaigns")
def create_campaign():
    user = auth.organiser()
    body = _json_body()
    org_ids = user.organisation_ids
    org_id = body.get("organisation_id") or (org_ids[0] if len(org_ids) == 1 else None)
    if org_id is None:
        raise InvalidInput(_("Name the organisation_id: this account organises several."))
    campaign = campaigns.create_campaign(int(org_id), user, body)
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


@bp.get("/campaigns/<slug>/tasks/next")
def next_task(slug):
    cid = auth.contributor_id(create_guest=True)
    exclude = [int(x) for x in request.args.get("exclude", "").split(",") if x.strip().isdigit()]
    campaign, task = scheduler.next_task(slug, cid, exclude)
    # Blurred copy instead of the original, warning, reveal URL (unchanged when nothing is rated).
    body = task and wellbeing.shield_task(campaign, cid, task_json(campaign, *task))
    db.session.commit()
    if task is None:
        return "", 204
    return body


@bp.post("/tasks/<int:task_id>/answers")
def submit_answer(task_id):
    cid = auth.contributor_id()
    body = _json_body()
    if "value" not in body:
        raise InvalidInput(_('Send the answer as {"value": ...}.'), details=[{"field": "value", "message": _("missing")}])
    duration = body.get("duration_ms")
    if duration is not None and (not isinstance(duration, int) or isinstance(duration, bool) or duration < 0):
        raise InvalidInput(_("duration_ms must be a whole number of milliseconds."))
    key = request.headers.get("Idempotency-Key", "").strip()[:200] or None
    status, out = scheduler.submit_answer(task_id, cid, body["value"], duration, key,
                                          source="api" if auth._bearer() else "web")
    db.session.commit()
    return out, status


@bp.post("/tasks/<int:task_id>/skip")
def skip_task(task_id):
    scheduler.skip_task(task_id, auth.contributor_id())
    db.session.commit()
    return {"skipped": task_id}


@bp.post("/campaigns/<slug>/answers/import")
def import_answers(slug):
    campaign = campaigns.managed_campaign(slug, auth.organiser())
    n = results_svc.import_answers(campaign, _json_body().get("answers"))
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
    campaign = campaigns.get_campaign(slug, auth.caller()[0])
    after = request.args.get("after", 0, type=int)
    limit = max(1, min(request.args.get("limit", 500, type=int), 5000))
    rows = results_svc.results_page(campaign, after, limit)
    return {"campaign": campaign.slug, "results": rows,
            "next_after": rows[-1]["task_id"] if len(rows) == limit else None}

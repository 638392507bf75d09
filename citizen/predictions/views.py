"""A model in the loop: the predictions API (organisers' and their models' API tokens), and the organisers' page
(routing, the model's estimated accuracy, where model and crowd disagree)."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from citizen.accounts import auth
from citizen.campaigns import services as campaigns
from citizen.campaigns.models import MAX_INT
from citizen.errors import InvalidInput, Unauthorized
from citizen.extensions import db
from citizen.numbers import int_arg
from citizen.predictions import services

bp = Blueprint("predictions", __name__, url_prefix="/organise")
api_bp = Blueprint("predictions_api", __name__, url_prefix="/api/v1")


def _upload():
    upload = request.files.get("file")
    if upload:
        return upload.filename, upload.read(current_app.config.get("MAX_CONTENT_LENGTH") or -1)
    return ("predictions.csv" if (request.mimetype or "").endswith("csv") else "predictions.jsonl"), request.get_data()


@api_bp.post("/campaigns/<slug>/predictions")
def import_predictions(slug):
    """Predictions as JSON lines, a JSON list or CSV (task_id or external_id, model, answer, confidence)."""
    campaign = campaigns.managed_campaign(slug, auth.organiser())
    model = (request.args.get("model") or "").strip()[:services.MAX_MODEL] or None
    n = services.import_predictions(campaign, *_upload(), model=model)
    db.session.commit()
    return {"imported": n, "routing": services.routing(campaign)}, 201


@api_bp.put("/campaigns/<slug>/predictions/routing")
def set_routing(slug):
    campaign = campaigns.managed_campaign(slug, auth.organiser())
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput(_("Send the routing as a JSON object."))
    services.set_routing(campaign, body)
    db.session.commit()
    return services.routing(campaign)


def _reviewed(slug):
    user, contributor = auth.caller()
    if user is None and contributor is None:
        raise Unauthorized()
    return campaigns.reviewed_campaign(slug, user)


@api_bp.get("/campaigns/<slug>/predictions/outcomes")
def outcomes(slug):
    """Per model version: accuracy on the audit sample with its interval, confusion matrix, disagreements."""
    return {"models": services.outcomes(_reviewed(slug))}


@api_bp.get("/campaigns/<slug>/predictions/verified")
def verified(slug):
    """Labels verified by the crowd since the cursor `after`, with the model's prediction beside each."""
    campaign = campaigns.managed_campaign(slug, auth.organiser())
    return services.verified(campaign, int_arg(request.args, "after", 0, high=MAX_INT),
                             int_arg(request.args, "limit", 500, low=1, high=1000))


@bp.get("/<slug>/model")
@login_required
def manage(slug):
    campaign = campaigns.reviewed_campaign(slug, current_user)
    return render_template("predictions/manage.html", campaign=campaign, models=services.models(campaign),
                           routing=services.routing(campaign), outcomes=services.outcomes(campaign),
                           can_manage=campaigns.can_manage(current_user, campaign))


def _back(slug, anchor):
    return redirect(url_for(".manage", slug=slug) + anchor)


@bp.post("/<slug>/model/predictions")
@login_required
def upload(slug):
    campaign = campaigns.managed_campaign(slug, current_user)
    upload = request.files.get("file")
    if not upload or not upload.filename:
        flash(_("Choose a file of predictions."), "error")
        return _back(slug, "#import-h")
    try:
        n = services.import_predictions(campaign, upload.filename, upload.read())
    except InvalidInput as exc:
        db.session.rollback()
        lines = "; ".join(f"{_('Line %(n)s', n=d['line'])}: {d['message']}" for d in exc.details or [] if "line" in d)
        flash(f"{exc.message} {lines}".strip(), "error")
        return _back(slug, "#import-h")
    db.session.commit()
    flash(_("%(n)d predictions stored; the work is routed again.", n=n))
    return _back(slug, "#routing-h")


@bp.post("/<slug>/model/routing")
@login_required
def routing(slug):
    campaign = campaigns.managed_campaign(slug, current_user)
    form = request.form
    try:
        services.set_routing(campaign, {
            "model": form.get("model"), "strategy": form.get("strategy"),
            "audit": (int(form["audit"]) / 100) if (form.get("audit") or "").isdigit() else form.get("audit"),
            "skip_above": (int(form["skip_above"]) / 100) if (form.get("skip_above") or "").isdigit()
            else form.get("skip_above") or None,
            "show": form.get("show") == "1"})
    except InvalidInput as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _back(slug, "#routing-h")
    db.session.commit()
    flash(_("Routing saved."))
    return _back(slug, "#routing-h")

"""Training: the volunteers' answers (JSON API) and the organisers' page (training tasks, rules, pass rates)."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from citizen.accounts import auth
from citizen.api.body import json_object
from citizen.api.openapi import TASK_ROUTE_ID
from citizen.campaigns import services as campaigns
from citizen.errors import InvalidInput
from citizen.extensions import db
from citizen.kinds import get_kind
from citizen.training import services
from citizen.training.models import STAGES

bp = Blueprint("training", __name__, url_prefix="/organise")
api_bp = Blueprint("training_api", __name__, url_prefix="/api/v1")


@api_bp.post(f"/training/{TASK_ROUTE_ID}/answers")
def answer(task_id):
    """An answer to the training task the caller is at (next-task handed it out with a `training` object)."""
    cid = auth.contributor_id()
    body = json_object()
    if "value" not in body:
        raise InvalidInput(_('Send the answer as {"value": ...}.'), details=[{"field": "value", "message": _("missing")}])
    out = services.answer(task_id, cid, body["value"])
    db.session.commit()
    return out


@api_bp.get("/campaigns/<slug>/training")
def state(slug):
    """The caller's training in a campaign: its stages, where they are, their qualification runs."""
    cid = auth.contributor_id()
    return services.state_of(campaigns.get_campaign(slug, auth.caller()[0]), cid)


@bp.get("/<slug>/training")
@login_required
def manage(slug):
    """Organisers and moderators: the training tasks, pass rates, most failed tasks and who retrains."""
    campaign = campaigns.reviewed_campaign(slug, current_user)
    kind = get_kind(campaign.kind)
    choices = [(v, kind.answer_names(campaign.settings or {}).get(v, v))
               for v in kind.answer_labels(campaign.settings or {}) or []]
    return render_template("training/manage.html", campaign=campaign, info=services.overview(campaign),
                           can_manage=campaigns.can_manage(current_user, campaign), choices=choices,
                           stages=STAGES)


def _done(slug, message, anchor):
    db.session.commit()
    flash(message)
    return redirect(url_for(".manage", slug=slug) + anchor)


def _refused(slug, exc, anchor):
    db.session.rollback()
    flash(exc.message, "error")
    return redirect(url_for(".manage", slug=slug) + anchor)


@bp.post("/<slug>/training/tasks")
@login_required
def add(slug):
    campaign = campaigns.managed_campaign(slug, current_user)
    form = request.form
    try:
        services.add(campaign, form.get("task", ""), form.get("stage", ""), form.get("answer", ""),
                     form.get("explanation", ""), current_user)
    except InvalidInput as exc:
        return _refused(slug, exc, "#add-h")
    return _done(slug, _("Training task added: volunteers meet it before they work."), "#tasks-h")


@bp.post("/<slug>/training/tasks/<int:task_id>/remove")
@login_required
def remove(slug, task_id):
    campaign = campaigns.managed_campaign(slug, current_user)
    services.remove(campaign, task_id, current_user)
    return _done(slug, _("The task is back among the campaign's tasks."), "#tasks-h")


@bp.post("/<slug>/training/rules")
@login_required
def rules(slug):
    campaign = campaigns.managed_campaign(slug, current_user)
    try:
        services.set_rules(campaign, request.form.get("pass_mark"), request.form.get("retrain_below"), current_user)
    except InvalidInput as exc:
        return _refused(slug, exc, "#rules-h")
    return _done(slug, _("Training rules saved."), "#rules-h")

"""/moderation/: the queue, the experts' view of an escalation, suspensions, alert settings and the audit log;
and POST /api/v1/tasks/<id>/reports for volunteers. Views parse, call a service, render or return JSON."""
from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from citizen.accounts import auth
from citizen.api.body import json_object
from citizen.api.openapi import TASK_ROUTE_ID
from citizen.errors import Unauthorized
from citizen.extensions import db
from citizen.moderation import access, pages, services, suspensions

bp = Blueprint("moderation", __name__, url_prefix="/moderation")
api_bp = Blueprint("moderation_api", __name__, url_prefix="/api/v1")


@bp.before_request
def _staff_only():
    """Signed-in moderators and organisers only. Anonymous visitors get a 401 page with a way to sign in (not a
    redirect: the queue is closed, and says so); scripts asking for JSON get a JSON 401."""
    if not current_user.is_authenticated:
        if request.accept_mimetypes.best == "application/json" or request.is_json:
            return Unauthorized(_("Sign in as a moderator or organiser.")).to_json(), 401
        return render_template("moderation/sign_in.html"), 401
    access.organisation_for(current_user, request.args.get("org"))


@bp.get("/")
def queue():
    view = pages.queue_page(current_user, request.args)
    db.session.commit()  # blurred copies made for this moderator's view are kept
    return render_template("moderation/queue.html", **view)


@bp.get("/poll")
def poll():
    """New open escalations after `after` (an escalation id), rendered: the queue shows them at once."""
    items, last = pages.new_escalations(current_user, request.args)
    html = [render_template("moderation/_item.html", item=item) for item in items]
    db.session.commit()
    return {"items": [{"key": i["key"], "html": h} for i, h in zip(items, html)], "last": last}


@bp.post("/act")
def act():
    out = services.act(current_user, json_object())
    db.session.commit()
    return out


@bp.get("/escalations/<int:escalation_id>")
def escalation(escalation_id):
    view = pages.escalation_page(current_user, escalation_id)
    db.session.commit()
    return render_template("moderation/escalation.html", **view)


@bp.get("/suspensions")
def suspension_list():
    return render_template("moderation/suspensions.html", **pages.suspensions_page(current_user, request.args))


@bp.post("/suspensions/<int:suspension_id>/lift")
def lift(suspension_id):
    s = suspensions.lift(current_user, suspension_id, request.form.get("reason", ""))
    db.session.commit()
    return pages.back_to(url_for(".suspension_list", org=pages.org_slug(s.organisation_id)),
                         _("Suspension lifted: their answers count again and the results were recomputed."))


@bp.route("/settings", methods=["GET", "POST"])
def alert_settings():
    view = pages.settings_page(current_user, request.args.get("org"), request.form if request.method == "POST" else None)
    if view.get("saved"):
        db.session.commit()
        return pages.back_to(url_for(".alert_settings", org=view["org"].slug), _("Alert settings saved."))
    return render_template("moderation/settings.html", **view)


@bp.get("/audit")
def audit_log():
    return render_template("moderation/audit.html", **pages.audit_page(current_user, request.args))


@bp.get("/audit.csv")
def audit_csv():
    org, rows = pages.audit_csv(current_user, request.args.get("org"))
    return Response(rows, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="audit-{org.slug}.csv"'})


@api_bp.post(f"/tasks/{TASK_ROUTE_ID}/reports")
def report(task_id):
    """A volunteer reports an item: {"reason": "abusive" | "personal_data", "note": "..."}."""
    out = services.report_task(task_id, auth.contributor_id(), json_object())
    db.session.commit()
    return out, 201

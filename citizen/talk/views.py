"""Talk's pages and API. Pages: a campaign's discussion (/campaigns/<slug>/talk), a task's
(/campaigns/<slug>/tasks/<id>/talk), the forms that post, report, hide, show and suspend, and the moderators'
list of posts waiting (/talk/moderation). API: the same threads as JSON, reports and hiding. Views parse, call a
service, render or return JSON."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from citizen.accounts import auth
from citizen.api.body import json_object
from citizen.api.openapi import TASK_ROUTE_ID
from citizen.campaigns.services import get_campaign
from citizen.errors import Conflict, Forbidden, InvalidInput, RateLimited
from citizen.extensions import db
from citizen.moderation import access as moderation
from citizen.talk import moderate, notify, pages, services

bp = Blueprint("talk", __name__)
api_bp = Blueprint("talk_api", __name__, url_prefix="/api/v1")


# --- pages -----------------------------------------------------------------------------------------------

# One rule per address for both methods: Werkzeug answers an id past int4 with 404 then, not 405.
@bp.route("/campaigns/<slug>/talk", methods=["GET", "POST"])
def campaign_thread(slug):
    return _thread(slug, None)


@bp.route("/campaigns/<slug>/tasks/<int:task_id>/talk", methods=["GET", "POST"])
def task_thread(slug, task_id):
    return _thread(slug, task_id)


def _thread(slug, task_id):
    if request.method == "GET":
        return render_template("talk/thread.html", **pages.thread_page(slug, task_id, current_user, request.args))
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.path))
    campaign = get_campaign(slug, current_user)
    task = services.thread_task(campaign, task_id, current_user)
    data = {"body": request.form.get("body", ""), "needs_expert": request.form.get("needs_expert") == "on"}
    try:
        post = services.write(campaign, task, current_user, data)
    except (InvalidInput, RateLimited, Forbidden) as error:  # the form again, with what was written and why not
        db.session.rollback()
        view = pages.thread_page(slug, task_id, current_user, request.args)
        return render_template("talk/thread.html", **view, error=error.message, draft=data), error.status
    db.session.commit()
    return redirect(pages.thread_url(campaign.slug, task_id) + f"#post-{post.id}")


@bp.post("/talk/posts/<int:post_id>/<action>")
def act_from_form(post_id, action):
    if action not in pages.ACTIONS:
        abort(404)
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.form.get("next") or request.path))
    try:
        post, message = pages.act(current_user, post_id, action, request.form)
    except (Conflict, InvalidInput, RateLimited) as error:  # said on the page it came from; refusals are pages
        db.session.rollback()
        flash(error.message, "error")
        return redirect(_back(request.form.get("next")))
    db.session.commit()
    flash(message)
    return redirect(_back(request.form.get("next"), post))


def _back(next_url, post=None):
    if pages.safe_next(next_url):
        return next_url
    return pages.thread_url(pages.slug_of(post), post.task_id) + f"#post-{post.id}" if post else url_for(
        "campaigns.home")


@bp.get("/talk/moderation")
def moderation_page():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.full_path))
    org = moderation.organisation_for(current_user, request.args.get("org"))
    return render_template("talk/moderation.html", org=org, orgs=moderation.organisations(current_user),
                           waiting=moderate.waiting(org.id))


@bp.post("/me/talk/read")
def read_notifications():
    if current_user.is_authenticated:
        notify.mark_read(current_user)
        db.session.commit()
    return redirect(url_for("engagement.me") + "#talk-h")


# --- API -------------------------------------------------------------------------------------------------

def _account():
    """The signed-in account calling (token or session); a guest is refused (403), anyone else asked to sign in."""
    user, contributor = auth.caller()
    if user is None:
        services.require_account(None, guest=contributor is not None)
    return user


# One rule per address for both methods: Werkzeug answers an id past int4 with 404 then, not 405.
@api_bp.route("/campaigns/<slug>/talk", methods=["GET", "POST"])
@api_bp.route(f"/campaigns/<slug>/tasks/{TASK_ROUTE_ID}/talk", methods=["GET", "POST"])
def thread_api(slug, task_id=None):
    if request.method == "POST":
        return _write(slug, task_id)
    user = auth.caller()[0]
    campaign = get_campaign(slug, user)
    task = services.thread_task(campaign, task_id, user)
    out = services.page(campaign, task, user, request.args.get("after"))
    return {"campaign": campaign.slug, "task_id": task_id, "posts": out["posts"], "next_after": out["next_after"]}


def _write(slug, task_id):
    user = _account()
    campaign = get_campaign(slug, user)
    task = services.thread_task(campaign, task_id, user)
    post = services.write(campaign, task, user, json_object())
    db.session.commit()
    return services.post_json(post, staff=True), 201


@api_bp.post("/talk/posts/<int:post_id>/reports")
def report_post(post_id):
    out = moderate.report(post_id, _account(), json_object())
    db.session.commit()
    return out, 201


@api_bp.post("/talk/posts/<int:post_id>/hide")
def hide_post(post_id):
    post = moderate.hide(_account(), post_id, json_object().get("reason"))
    db.session.commit()
    return services.post_json(post, staff=True)

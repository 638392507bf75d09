"""Wellbeing pages and API: content settings for volunteers (guests too), reveal, flags, ratings.

`bp` is the settings page; `api_bp` the JSON endpoints under /api/v1 (bearer tokens, or the site's cookie with
its CSRF token, as the rest of the API).
"""
from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from citizen.accounts import auth
from citizen.api.body import json_object
from citizen.api.openapi import TASK_ROUTE_ID
from citizen.errors import Forbidden
from citizen.extensions import db
from citizen.wellbeing import ratings, serving, services
from content_warnings import Action, Category, Sensitivity, warning_text

bp = Blueprint("wellbeing", __name__, url_prefix="/wellbeing")
api_bp = Blueprint("wellbeing_api", __name__, url_prefix="/api/v1")

CHOICES = [(Action.BLUR.value, "blur"), (Action.SHOW.value, "show"), (Action.WITHHOLD.value, "withhold")]


def _safe_next(target):
    """Only a path on this site (no scheme, no host) is a place to go back to."""
    parts = urlsplit(target or "")
    if not target or parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/preferences", methods=["GET", "POST"])
def preferences():
    back = _safe_next(request.values.get("next"))
    if request.method == "POST":
        cid = auth.contributor_id(create_guest=True)
        data = {"choices": {c.value: request.form.get("choice-" + c.value, Action.BLUR.value) for c in Category},
                "extreme_opt_in": request.form.get("extreme_opt_in") == "on"}
        services.save_preferences(cid, data)
        db.session.commit()
        flash(_("Your content settings are saved. They apply to every campaign."))
        return redirect(back or url_for(".preferences"))
    cid = auth.caller()[1]
    return render_template("wellbeing/preferences.html", prefs=services.preferences_json(services.preferences(cid)),
                           categories=ratings.CATEGORY_CHOICES, back=back)


@bp.before_app_request
def _forget_previous_request():
    # g lives on the app context, which can outlive one request (tests, scripts): memos are per request.
    for name in ("preferences", "views", "items"):
        g.pop("wellbeing_" + name, None)


@bp.app_context_processor
def _template_helpers():
    return {"wellbeing_form": ratings.form_values, "wellbeing_notice": campaign_notice,
            "wellbeing_levels": ratings.LEVEL_CHOICES, "wellbeing_categories": ratings.CATEGORY_CHOICES}


def campaign_notice(campaign):
    """What the campaign page and the work page say before a volunteer starts: the warning in plain words,
    what happens to such items, and the organiser's resources. None for campaigns without rated content."""
    wb = (campaign.settings or {}).get(ratings.SETTINGS_KEY) or {}
    if not wb.get("active"):
        return None
    rating = ratings.campaign_rating(campaign.settings)
    if rating.level >= Sensitivity.GRAPHIC:
        handling = _("These images are blurred until you choose to see each one, and you can skip any of them. "
                     "Extremely graphic images are never shown unless you ask for them in your content settings.")
    elif rating.level == Sensitivity.MILD:
        handling = _("You can skip any item, and choose what you are shown in your content settings.")
    else:
        handling = _("Some items in this campaign have been marked as upsetting. They are blurred until you choose "
                     "to see them, and you can skip any of them.")
    return {"warning": warning_text(rating, _) or _("Some items may be upsetting."), "handling": handling,
            "level": rating.level.label, "resources_html": wb.get("resources_html") or ""}


# --- API -------------------------------------------------------------------------------------------------


@api_bp.get("/me/preferences")
def get_preferences():
    return services.preferences_json(services.preferences(auth.caller()[1]))


@api_bp.put("/me/preferences")
def put_preferences():
    cid = auth.contributor_id(create_guest=True)
    prefs = services.save_preferences(cid, json_object())
    db.session.commit()
    return services.preferences_json(prefs)


@api_bp.get("/me/wellbeing")
def my_budget():
    cid = auth.caller()[1]
    state = services.budget(cid) if cid is not None else None
    return {"budget": services.budget_json(state) if state else None}


@api_bp.post(f"/tasks/{TASK_ROUTE_ID}/reveal")
def reveal(task_id):
    user, cid = auth.caller()
    if cid is None:
        cid = auth.contributor_id()
    out = serving.reveal(task_id, cid, user)
    db.session.commit()
    return out


@api_bp.post(f"/tasks/{TASK_ROUTE_ID}/flags")
def flag(task_id):
    cid = auth.contributor_id()
    out = services.flag_task(task_id, cid, json_object())
    db.session.commit()
    return out, 201


@api_bp.post(f"/tasks/{TASK_ROUTE_ID}/rating")
def rate(task_id):
    user, cid = auth.caller()
    if user is None and cid is not None:
        raise Forbidden(_("Guests cannot rate items: sign in as a moderator or organiser of this campaign."))
    out = services.rate_task(task_id, user, json_object())
    db.session.commit()
    return out

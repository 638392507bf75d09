"""Engagement pages: a volunteer's profile (/me, and /volunteers/<id> when they chose public) with its
certificate, the organiser's dashboard and updates; and, on every page, the language switch and notices."""
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale, refresh
from flask_babel import gettext as _
from flask_login import current_user, login_required

from citizen.accounts.models import utcnow
from citizen.accounts import auth
from citizen.campaigns import services as campaigns
from citizen.engagement import languages, pages, profiles, updates
from citizen.errors import InvalidInput
from citizen.extensions import db
from citizen.urls import public_url

bp = Blueprint("engagement", __name__)


@bp.before_app_request
def _language():
    # The locale is cached on g, which can outlive one request (tests and scripts keep an app context open).
    refresh()
    languages.remember_choice()
    g.pop("engagement_notices_seen", None)


@bp.app_context_processor
def _helpers():
    return {"language_choices": languages.choices, "engagement_notices": _notices, "get_locale": get_locale,
            "campaign_updates": updates.campaign_updates}


def _notices():
    """Called by base.html: updates the visitor asked to hear about, shown once."""
    if request.path.startswith(("/api/", "/static/")):
        return []
    found = updates.notices(profiles.current_contributor_id())
    if found:
        g.engagement_notices_seen = True
    return found


@bp.after_app_request
def _keep_notices_seen(response):
    if g.pop("engagement_notices_seen", False) and response.status_code < 400:
        db.session.commit()
    return response


@bp.app_template_filter("duration")
def duration(ms):
    """A time given, in words: "3 h 20 min", "45 min", "under a minute"."""
    minutes = int((ms or 0) // 60000)
    if minutes < 1:
        return _("under a minute")
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return _("%(m)d min", m=minutes)
    return _("%(h)d h %(m)d min", h=hours, m=minutes) if minutes else _("%(h)d h", h=hours)


# --- the volunteer's profile -------------------------------------------------------------------------

def _profile_page(contributor_id, profile, own, errors=None, form=None):
    name = (profile.display_name if profile else "") or (profiles.account_name(contributor_id) if own else "")
    return render_template("engagement/profile.html", summary=profiles.summary(contributor_id), profile=profile,
                           own=own, name=name, errors=errors or {}, form=form)


@bp.get("/me")
def me():
    cid = profiles.current_contributor_id()
    return _profile_page(cid, profiles.get_profile(cid), own=True)


@bp.post("/me")
def save_me():
    cid = auth.contributor_id(create_guest=True)
    data = {"display_name": request.form.get("display_name", ""), "public": request.form.get("public") == "on",
            "notify_updates": request.form.get("notify_updates") == "on",
            "show_in_recognition": request.form.get("show_in_recognition") == "on"}
    try:
        profiles.save_preferences(cid, data)
    except InvalidInput as exc:
        db.session.rollback()
        errors = {d["field"]: d["message"] for d in exc.details}
        return _profile_page(cid, profiles.get_profile(cid), own=True, errors=errors, form=data), 422
    db.session.commit()
    flash(_("Your profile settings are saved."))
    return redirect(url_for(".me"))


@bp.get("/me/certificate")
def my_certificate():
    cid = profiles.current_contributor_id()
    profile = profiles.get_profile(cid)
    name = (profile.display_name if profile else "") or profiles.account_name(cid) or ""
    return render_template("engagement/certificate.html", summary=profiles.summary(cid), name=name, public_id=None,
                           today=utcnow())


@bp.get("/volunteers/<public_id>")
def volunteer(public_id):
    profile = profiles.by_public_id(public_id)
    return _profile_page(profile.contributor_id, profile, own=False)


@bp.get("/volunteers/<public_id>/certificate")
def volunteer_certificate(public_id):
    profile = profiles.by_public_id(public_id)
    return render_template("engagement/certificate.html", summary=profiles.summary(profile.contributor_id),
                           name=profile.display_name, public_id=profile.public_id, today=utcnow())


# --- organisers --------------------------------------------------------------------------------------

@bp.get("/organise/<slug>/dashboard")
@login_required
def dashboard(slug):
    campaign = campaigns.managed_campaign(slug, current_user)
    return render_template("engagement/dashboard.html", campaign=campaign, **pages.dashboard_page(campaign))


@bp.post("/organise/<slug>/updates")
@login_required
def post_update(slug):
    """From the manage page or the dashboard; a mistake shows the dashboard with the text kept."""
    campaign = campaigns.managed_campaign(slug, current_user)
    title, body = request.form.get("title", ""), request.form.get("body", "")
    try:
        updates.post_update(campaign, current_user, title, body, base_url=public_url())
    except InvalidInput as exc:
        db.session.rollback()
        return render_template("engagement/dashboard.html", campaign=campaign, **pages.dashboard_page(campaign),
                               update_form={"title": title, "body": body},
                               update_errors={d["field"]: d["message"] for d in exc.details}), 422
    db.session.commit()
    flash(_("Update posted. It is on the campaign page, and volunteers who asked are told."))
    return redirect(_back(slug))


def _back(slug):
    if request.form.get("back") == "dashboard":
        return url_for(".dashboard", slug=slug, _anchor="updates-h")
    return url_for("organise.manage", slug=slug, _anchor="updates-h")


@bp.post("/organise/<slug>/updates/<int:update_id>/delete")
@login_required
def delete_update(slug, update_id):
    updates.delete_update(campaigns.managed_campaign(slug, current_user), update_id)
    db.session.commit()
    flash(_("Update deleted."))
    return redirect(_back(slug))

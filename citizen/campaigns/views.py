"""Public pages: home, a campaign's page, and the work page where volunteers answer tasks."""
from flask import Blueprint, current_app, render_template, send_from_directory
from flask_login import current_user

from citizen.campaigns import services
from citizen.campaigns.kinds import get_kind

bp = Blueprint("campaigns", __name__)


@bp.get("/")
def home():
    return render_template("home.html", campaigns=services.published_campaigns())


@bp.get("/campaigns/<slug>")
def show(slug):
    campaign = services.get_campaign(slug, current_user)
    return render_template("campaigns/show.html", campaign=campaign,
                           can_manage=services.can_manage(current_user, campaign))


@bp.get("/campaigns/<slug>/work")
def work(slug):
    campaign = services.get_campaign(slug, current_user)
    return render_template("campaigns/work.html", campaign=campaign, kind=get_kind(campaign.kind))


@bp.get("/media/<path:name>")
def media(name):
    return send_from_directory(current_app.config["MEDIA_FOLDER"], name, max_age=86400)

"""Public pages: home, a campaign's page, and the work page where volunteers answer tasks."""
from functools import lru_cache

from flask import Blueprint, abort, current_app, make_response, render_template, send_from_directory
from flask_login import current_user

from citizen import demo_imagery
from citizen.campaigns import previews, services
from citizen.campaigns.kinds import get_kind
from citizen.engagement import cards as engagement_cards
from citizen.engagement import pages as engagement_pages

bp = Blueprint("campaigns", __name__)


@bp.get("/")
def home():
    return render_template("home.html", **engagement_cards.home())


@bp.get("/campaigns/<slug>")
def show(slug):
    campaign = services.get_campaign(slug, current_user)
    maps = previews.campaign_maps(campaign)
    return render_template("campaigns/show.html", campaign=campaign, maps=maps,
                           can_manage=services.can_manage(current_user, campaign),
                           page=engagement_pages.campaign_page(campaign))


@bp.get("/campaigns/<slug>/work")
def work(slug):
    campaign = services.get_campaign(slug, current_user)
    return render_template("campaigns/work.html", campaign=campaign, kind=get_kind(campaign.kind))


@bp.get("/media/<path:name>")
def media(name):
    return send_from_directory(current_app.config["MEDIA_FOLDER"], name, max_age=86400)


@lru_cache(maxsize=4096)
def _demo_tile(layer, z, x, y):
    return demo_imagery.render_tile(layer, z, x, y)


@bp.get("/tiles/demo/<layer>/<int:z>/<int:x>/<int:y>.png")
def demo_tile(layer, z, x, y):
    """Imagery drawn by the demo, so map campaigns work offline (see citizen.demo_imagery)."""
    try:
        png = _demo_tile(layer, z, x, y)
    except ValueError:
        abort(404)
    response = make_response(png)
    response.headers["Content-Type"] = "image/png"
    response.cache_control.public = True
    response.cache_control.max_age = 7 * 86400
    return response

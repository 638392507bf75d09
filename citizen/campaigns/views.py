"""Public pages: home, a campaign's page, and the work page where volunteers answer tasks."""
from flask import Blueprint, current_app, make_response, render_template, request, session
from flask_login import current_user
from sqlalchemy import select

from citizen.accounts.models import Contributor
from citizen.accounts.auth import GUEST_SESSION_KEY, caller
from citizen import storage
from citizen.campaigns import builds, media_access, pages, services, texts
from citizen.errors import NotFound
from citizen.kinds import get_kind
from citizen.extensions import db

bp = Blueprint("campaigns", __name__)


@bp.get("/")
def home():
    page = pages.home()
    page["campaigns"] = [texts.localized(c) for c in page.get("campaigns") or []]
    return render_template("home.html", **page)


@bp.get("/campaigns/<slug>")
def show(slug):
    campaign = services.get_campaign(slug, current_user)
    maps = builds.maps(campaign)  # made by a job per data version (citizen.campaigns.builds), never on the request
    return render_template("campaigns/show.html", campaign=texts.localized(campaign), maps=maps,
                           can_manage=services.can_manage(current_user, campaign),
                           page=pages.campaign_page(campaign))  # citizen.campaigns.pages


@bp.get("/campaigns/<slug>/work")
def work(slug):
    campaign = services.get_campaign(slug, current_user)
    kind = get_kind(campaign.kind)
    response = make_response(render_template("campaigns/work.html", campaign=texts.localized(campaign), kind=kind))
    if kind.permissions:  # the field kind's page asks for the position (every other page is refused it)
        allowed = {feature: "(self)" for feature in kind.permissions}
        response.headers["Permissions-Policy"] = ", ".join(
            f"{f}={allowed.get(f, '()')}" for f in ("camera", "microphone", "geolocation", "payment"))
    return response


# What a stored file may do if someone opens it as a page: nothing (no script, no plugin, no framing).
MEDIA_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"


def _viewer():
    """The contributor asking for a file (bearer token, signed-in user or guest cookie), or None; asked only for
    a file that is not public, and never creating anything (a GET makes no contributor)."""
    if request.headers.get("Authorization"):
        return caller()[1]
    if current_user.is_authenticated:
        return db.session.execute(select(Contributor.id).where(Contributor.user_id == current_user.id)).scalar()
    return session.get(GUEST_SESSION_KEY)


@bp.get("/media/<path:name>")
def media(name):
    """A stored image or PDF, served only as the type its content is (see citizen.campaigns.media_access):
    images inline, PDFs as a download (a browser renders a PDF as a document). From an object store, streamed
    through here with the same headers, or with STORAGE_MEDIA_REDIRECT a redirect to a short-lived presigned
    URL, made only after the visitor passed the checks."""
    key, mimetype = media_access.media_file(name, current_user, _viewer)
    pdf = mimetype == "application/pdf"
    store = storage.media_store()
    seconds = current_app.config.get("STORAGE_MEDIA_REDIRECT") or None
    response = storage.send(store, key, mimetype, as_attachment=pdf, max_age=86400,
                            redirect_seconds=int(seconds) if seconds else None)
    if response is None:  # gone between the check and now
        raise NotFound()
    if response.status_code in (301, 302, 303, 307, 308):
        return response
    if media_access.campaign_of(name) is not None:  # may be withheld later (a moderator hides its task)
        response.cache_control.public = False
        response.cache_control.private = True
        response.cache_control.max_age = 3600
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = MEDIA_POLICY
    return response

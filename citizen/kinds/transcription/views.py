"""The transcription kind's organiser routes (its manage panel's): render progress, render again, more answers.

Registered by TranscriptionKind.init_app under the organiser's URLs (/organise/<slug>/...), with the same
guard as the organiser's pages: signed in, and an organiser of the campaign."""
from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from citizen.extensions import db
from citizen.kinds.registry import managed_campaign
from citizen.kinds.transcription import transcripts

bp = Blueprint("transcription", __name__, url_prefix="/organise")


@bp.before_request
@login_required
def _organisers_only():
    if not (current_user.is_admin or current_user.organisation_ids):
        abort(403)


@bp.get("/<slug>/render.json")
def render_status(slug):
    """How far the rendering of a transcription campaign's PDF pages got (polled by its manage page)."""
    return transcripts.render_status(managed_campaign(slug, current_user)) or {"status": "none"}


@bp.post("/<slug>/render")
def render_again(slug):
    """Render the pages still waiting (a render job that failed or whose process stopped)."""
    transcripts.start_rendering(managed_campaign(slug, current_user), None)
    db.session.commit()
    flash(_("Rendering the pages that were still waiting."))
    return redirect(url_for("organise.manage", slug=slug))


@bp.post("/<slug>/more-answers")
def more_answers(slug):
    """Hand disputed pages out again, up to the campaign's most answers per task."""
    campaign = managed_campaign(slug, current_user)
    n = transcripts.ask_for_more_answers(campaign)
    db.session.commit()
    flash(ngettext("%(num)d disputed page is handed out again.", "%(num)d disputed pages are handed out again.", n))
    return redirect(url_for("organise.manage", slug=slug))

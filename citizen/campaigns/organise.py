"""Organiser pages: the dashboard, create and edit a campaign, import tasks, preview, publish."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from citizen import storage
from citizen.accounts import events
from citizen.accounts.models import utcnow
from citizen.campaigns import gold, previews, sections, services, task_admin, texts, uploads
from citizen.campaigns.forms import CampaignForm, ImportForm
from citizen.ingest import photos
from citizen.kinds import all_kinds, get_kind
from citizen.kinds import registry as kind_registry
from citizen.errors import CitizenError, InvalidInput
from citizen.numbers import int_arg
from citizen.campaigns import report
from citizen.quality import controls
from citizen.extensions import db

bp = Blueprint("organise", __name__, url_prefix="/organise")


@bp.before_request
@login_required
def _organisers_only():
    if not (current_user.is_admin or current_user.organisation_ids):
        abort(403)


def _form(campaign=None):
    form = CampaignForm(obj=None)
    form.kind.choices = [(k.id, str(k.label)) for k in all_kinds().values()]
    form.licence.choices = list(services.LICENCES.items())
    if campaign is not None and request.method == "GET":
        form.process(data={"title": campaign.title, "summary": campaign.summary, "kind": campaign.kind,
                           "description": campaign.description_md, "tutorial": campaign.tutorial_md,
                           "redundancy": campaign.redundancy, "licence": campaign.licence})
    return form


def _data(form, kind):
    return {"title": form.title.data, "summary": form.summary.data, "description": form.description.data,
            "tutorial": form.tutorial.data, "kind": kind.id, "redundancy": request.form.get("redundancy"),
            "licence": form.licence.data, "settings": kind.settings_from_form(request.form),
            "quality": {name: request.form.get("quality." + name) for name in controls.FIELDS},
            **sections.from_form(request.form)}


def _show_errors(form, exc):
    """Attach the service's errors to the form's fields; return the others (the kind's settings
    fields) by field name, for the kind's settings template to show beside its inputs."""
    rest = {}
    for d in exc.details or [{"field": None, "message": exc.message}]:
        field = getattr(form, d.get("field") or "", None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [d["message"]]
        else:
            rest[d.get("field") or "form"] = d["message"]
    return rest


@bp.get("/")
def index():
    ids = current_user.organisation_ids
    return render_template("organise/index.html", campaigns=services.campaigns_of(ids))


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = _form()
    kind = get_kind(request.values.get("kind") or "question")
    errors = {}
    if form.validate_on_submit():
        try:
            campaign = services.create_campaign(current_user.organisation_ids[0] if current_user.organisation_ids
                                                else int_arg(request.form, "organisation_id", 0),
                                                current_user, _data(form, kind))
        except InvalidInput as exc:
            errors = _show_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Campaign created as a draft. Now import its tasks."))
            return redirect(url_for(".manage", slug=campaign.slug))
    return render_template("organise/form.html", form=form, kind=kind, settings_sections=sections.templates(),
                           settings=request.form or kind.default_settings(),
                           campaign=None, settings_errors=errors, all_kinds=all_kinds().values(),
                           quality_fields=controls.FIELDS)


@bp.route("/<slug>/edit", methods=["GET", "POST"])
def edit(slug):
    campaign = services.managed_campaign(slug, current_user)
    kind = get_kind(campaign.kind)
    form = _form(campaign)
    form.kind.data = campaign.kind
    errors = {}
    if form.validate_on_submit():
        try:
            services.update_campaign(campaign, _data(form, kind))
        except InvalidInput as exc:
            errors = _show_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Saved."))
            return redirect(url_for(".manage", slug=campaign.slug))
    settings = request.form if request.method == "POST" else campaign.settings
    return render_template("organise/form.html", form=form, kind=kind, settings_sections=sections.templates(),
                           settings=settings, campaign=campaign,
                           settings_errors=errors, quality_fields=controls.FIELDS)


def _upload(form, campaign):
    """The file the organiser sent: an upload, an area drawn on the map, or the file kept from
    their preview. Raises InvalidInput when there is none."""
    if request.form.get("stash"):
        kept = uploads.take(campaign.id, request.form["stash"],
                            remove=request.form.get("action") in ("import", "replace"))
        if kept:
            return kept
        raise InvalidInput(_("That preview has expired or was already imported. Send the file again."))
    upload = form.file.data
    if upload and upload.filename:
        return upload.filename, upload.read()
    if request.form.get("area", "").strip():
        return "drawn.geojson", request.form["area"].encode()
    raise InvalidInput(_("Choose a file to import%(or_draw)s.",
                         or_draw=_(", or draw the area on the map") if get_kind(campaign.kind).scripts else ""))


def _import_or_preview(campaign, form):
    """Returns (preview or None, errors); a real import (or a replacement of every task) commits and flashes."""
    cfg = current_app.config
    warnings = []  # files the kind left out while the rest imports (a damaged PDF in a ZIP), ids already there
    action = request.form.get("action")
    try:
        filename, data = _upload(form, campaign)
        if action == "preview":
            replacing = bool(campaign.tasks_total) and not task_admin.has_answers(campaign)  # both are offered
            images = []  # the first images the import would store: the preview shows their thumbnails
            rows = services.preview_tasks(campaign, filename, data, cfg["IMPORT_MAX_ROWS"], cfg["IMPORT_MAX_ERRORS"],
                                          warnings, replacing, skip_duplicates=True, images=images)
            token = request.form.get("stash") or uploads.stash(campaign.id, filename, data)
            thumbs = uploads.keep_thumbnails(campaign.id, token, images, services.PREVIEW_IMAGES)
            return {**previews.import_preview(campaign, rows, token, filename, thumbs), "warnings": warnings}, []

        def run():
            return services.import_tasks(campaign, filename, data, cfg["IMPORT_MAX_ROWS"], cfg["IMPORT_MAX_ERRORS"],
                                         warnings, skip_duplicates=True)
        gone = set()
        if action == "replace":
            n, gone = task_admin.replace_tasks(current_user, campaign, run)
        else:
            n = run()
    except CitizenError as exc:
        db.session.rollback()
        return None, exc.details or [{"message": exc.message}]
    db.session.commit()
    task_admin.remove_media(gone)
    flash(_("The tasks were replaced: %(n)d tasks now.", n=n) if action == "replace"
          else _("%(n)d tasks imported.", n=n))
    for w in warnings:
        flash(_("Left out, line %(line)s: %(message)s", line=w["line"], message=w["message"]), "error")
    return None, None


@bp.route("/<slug>/", methods=["GET", "POST"])
def manage(slug):
    campaign = services.managed_campaign(slug, current_user)
    form = ImportForm()
    preview, import_errors = None, []
    if form.validate_on_submit():
        preview, import_errors = _import_or_preview(campaign, form)
        if import_errors is None:
            return redirect(url_for(".manage", slug=slug))
    kind = get_kind(campaign.kind)
    samples = [{"id": t.id, **kind.task_json(t.payload, campaign.settings)} for t in services.sample_tasks(campaign)]
    # A refused upload answers 422 (the page again, with what was wrong), not 200 as if it had worked.
    return render_template("organise/manage.html", campaign=campaign, form=form, import_errors=import_errors,
                           previews=samples, kind=kind, preview=preview,
                           overview=previews.overview_map(campaign) if campaign.tasks_total else None,
                           extra=kind_registry.manage_context(kind, campaign),
                           places=previews.task_places(campaign),  # the draw-an-area map's "Go to"
                           tasks=task_admin.task_list(campaign, int_arg(request.args, "after", 0)),
                           can_replace=bool(campaign.tasks_total) and not task_admin.has_answers(campaign),
                           ), 422 if import_errors else 200


@bp.get("/<slug>/preview/<token>/<int:n>.jpg")
def preview_thumbnail(slug, token, n):
    """A thumbnail of the import preview (kept beside the stashed upload): this campaign's organisers only."""
    campaign = services.managed_campaign(slug, current_user)
    key = uploads.thumbnail_key(campaign.id, token, n) if n < services.PREVIEW_IMAGES else None
    if key is None or not storage.uploads_store().exists(key):
        abort(404)
    return storage.send(storage.uploads_store(), key, "image/jpeg", max_age=0)


@bp.get("/<slug>/quality")
def quality(slug):
    campaign = services.managed_campaign(slug, current_user)
    return render_template("organise/quality.html", campaign=campaign, report=report.campaign_report(campaign),
                           fields=controls.FIELDS)


@bp.post("/<slug>/publish")
def publish(slug):
    campaign = services.managed_campaign(slug, current_user)
    try:
        services.publish(campaign)
    except CitizenError as exc:
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("Published. Volunteers can now find it on the home page."))
    return redirect(url_for(".manage", slug=slug))


@bp.app_context_processor
def _event_code_helpers():
    return {"event_codes_of": events.codes, "event_now": utcnow,
            "event_limits": {"max_guests": events.MAX_GUESTS, "max_hours": events.MAX_HOURS,
                             "default_guests": events.DEFAULT_GUESTS, "default_hours": events.DEFAULT_HOURS}}


@bp.app_context_processor
def _gold_helpers():
    return {"gold_choices": gold.choices, "gold_tasks": gold.listed}


@bp.post("/<slug>/event-codes")
def create_event_code(slug):
    """A new event code: guests made from its link count against it, not against their shared address."""
    campaign = services.managed_campaign(slug, current_user)
    try:
        events.create_code(campaign, current_user, request.form.get("max_guests", ""), request.form.get("hours", ""))
    except InvalidInput as exc:
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("Event code made: share its link below."))
    return redirect(url_for(".manage", slug=slug) + "#event-codes-h")


@bp.post("/<slug>/event-codes/<int:code_id>/end")
def end_event_code(slug, code_id):
    events.end_code(services.managed_campaign(slug, current_user), code_id)
    db.session.commit()
    flash(_("Event code ended: its link now works like the ordinary campaign link."))
    return redirect(url_for(".manage", slug=slug) + "#event-codes-h")


@bp.post("/<slug>/gold")
def mark_gold(slug):
    """Make a task a known-answer (gold) task (citizen.campaigns.gold), or (with `remove`) an ordinary one again."""
    campaign = services.managed_campaign(slug, current_user)
    try:
        if request.form.get("remove"):
            gold.unmark(campaign, request.form.get("remove", ""), current_user)
            message = _("The task is an ordinary task again.")
        else:
            gold.mark(campaign, request.form.get("task", ""), request.form.get("answer", ""), current_user)
            message = _("Known answer saved: volunteers are checked against it.")
    except InvalidInput as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(message)
    return redirect(url_for(".manage", slug=slug) + "#gold-h")


@bp.post("/<slug>/guide-images")
def guide_image(slug):
    """An example image for the field guide ("what am I looking at?"), uploaded from the manage page."""
    campaign = services.managed_campaign(slug, current_user)
    upload = request.files.get("image")
    if not upload or not upload.filename:
        flash(_("Choose an image to add to the field guide."), "error")
    else:
        try:
            url = services.add_guide_image(campaign, upload.filename, upload.read(photos.MAX_PHOTO_BYTES + 1))
        except InvalidInput as exc:
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(_("Added. Show it in the field guide with ![what it shows](%(url)s) (Edit, then Field guide).",
                    url=url))
    return redirect(url_for(".manage", slug=slug) + "#guide-h")


@bp.route("/<slug>/translations", methods=["GET", "POST"])
def translations(slug):
    """The campaign's own words in the site's other languages (citizen.campaigns.texts), one language a page."""
    campaign = services.managed_campaign(slug, current_user)
    kind = get_kind(campaign.kind)
    langs = texts.languages(campaign)
    # ?into=, not ?lang= (which switches the organiser's own pages into that language: citizen.engagement.languages)
    lang = request.values.get("into") or (langs[0] if langs else "")
    if lang not in langs:
        abort(404)
    errors = {}
    if request.method == "POST":
        try:
            texts.save(campaign, lang, request.form)
        except InvalidInput as exc:
            errors = {d["field"]: d["message"] for d in exc.details}
        else:
            db.session.commit()
            flash(_("Saved. Volunteers reading this language see these words."))
            return redirect(url_for(".translations", slug=slug, into=lang))
    values = request.form if request.method == "POST" else texts.entry(campaign, lang)
    originals = [("title", _("Title"), campaign.title, False), ("summary", _("Summary"), campaign.summary, False),
                 ("description_md", _("Description (Markdown)"), campaign.description_md, True),
                 ("tutorial_md", _("Field guide: what am I looking at? (Markdown)"), campaign.tutorial_md, True)]
    kind_texts = [("kind." + key, _("Question") if key == "question" else _("Answer “%(label)s”", label=text), text)
                  for key, text in kind.texts(campaign.settings).items()]
    return render_template("organise/translations.html", campaign=campaign, lang=lang, langs=langs,
                           names={code: texts.language_name(code) for code in langs}, values=values, errors=errors,
                           originals=originals, kind_texts=kind_texts)


@bp.route("/<slug>/close", methods=["GET", "POST"])
def close(slug):
    """Closing asks first (a page that says what it does and that it can be undone); the POST closes."""
    campaign = services.managed_campaign(slug, current_user)
    if request.method == "GET" or request.form.get("confirm") != "yes":
        return render_template("organise/close.html", campaign=campaign)
    try:
        task_admin.close(current_user, campaign)
    except CitizenError as exc:
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("Closed. No more answers are taken. You can reopen it below."))
    return redirect(url_for(".manage", slug=slug) + "#publish-h")


@bp.post("/<slug>/reopen")
def reopen(slug):
    campaign = services.managed_campaign(slug, current_user)
    try:
        task_admin.reopen(current_user, campaign)
    except CitizenError as exc:
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("Reopened: volunteers can answer again.") if campaign.status == "published"
              else _("Reopened as a draft."))
    return redirect(url_for(".manage", slug=slug) + "#publish-h")


@bp.post("/<slug>/tasks/delete")
def delete_tasks(slug):
    """Delete the selected unanswered tasks (all or none) and, once committed, their files."""
    campaign = services.managed_campaign(slug, current_user)
    try:
        n, gone = task_admin.delete_tasks(current_user, campaign, task_admin.parse_ids(request.form.getlist("task")))
    except CitizenError as exc:
        db.session.rollback()
        problems = exc.details or [{"message": exc.message}]
        for d in problems[:5]:  # the session cookie holds a few lines, not one per task
            flash(d["message"], "error")
        if len(problems) > 5:
            flash(_("…and %(n)d more tasks like these.", n=len(problems) - 5), "error")
        return redirect(url_for(".manage", slug=slug) + "#tasks-h")
    db.session.commit()
    task_admin.remove_media(gone)
    flash(ngettext("%(num)d task deleted.", "%(num)d tasks deleted.", n))
    return redirect(url_for(".manage", slug=slug) + "#tasks-h")

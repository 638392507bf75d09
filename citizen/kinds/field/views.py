"""The field kind's routes: the volunteers' API (nearby sites, photo uploads, proposals) and the staff's view of
photos (blurred first). Registered by FieldKind.init_app."""
from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from citizen import body_limits, storage
from citizen.accounts import auth
from citizen.errors import InvalidInput, NotFound
from citizen.extensions import csrf, db
from citizen.kinds.field import MAX_PHOTO_BYTES, photos, proposals, sites
from citizen.kinds.registry import reviewed_campaign
from citizen.storable import unstorable

api_bp = Blueprint("field", __name__, url_prefix="/api/v1")
staff_bp = Blueprint("field_staff", __name__, url_prefix="/organise")
TASK_ID = "<int(max=2147483647):task_id>"


def init_app(app):
    from citizen.jobs import worker
    from citizen.kinds.field import models as _models  # noqa: F401  (its tables belong to the schema)
    worker.register_chore("field-stale-uploads", _sweep, every_seconds=3600)
    # a whole phone photo (with the multipart envelope), or one chunk of it
    body_limits.register(app, "field.photo_whole", MAX_PHOTO_BYTES + 64 * 1024)
    body_limits.register(app, "field.photo_upload", photos.CHUNK_BYTES + 16 * 1024)
    app.register_blueprint(api_bp)
    app.register_blueprint(staff_bp)
    csrf.exempt(api_bp)  # cookie callers are CSRF-checked by citizen.accounts.auth, as on the rest of /api/v1


def _sweep(app):
    """Uploads of photos left unfinished for days: their chunks and rows go (a worker's chore)."""
    n = photos.sweep()
    db.session.commit()
    return n


def _degrees(name, limit):
    raw = request.args.get(name, "")
    try:
        value = float(raw)
    except ValueError:
        value = None
    if value is None or not -limit <= value <= limit:
        message = _("%(name)s must be a number of degrees from -%(limit)d to %(limit)d.", name=name, limit=limit)
        raise InvalidInput(message, details=[{"field": name, "message": message}])
    return value


def _caller_id():
    """The calling contributor's id, or None for a visitor not known yet (reading sites needs no identity)."""
    return auth.caller()[1]


@api_bp.get("/campaigns/<slug>/nearby")
def nearby(slug):
    """The open sites nearest to ?lat=&lon= (at most ?limit=, 20 by default), with distance and bearing."""
    campaign = sites.published(slug)
    lat, lon = _degrees("lat", 90), _degrees("lon", 180)
    raw = request.args.get("limit") or "20"
    if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= sites.MAX_LIMIT):
        message = _("limit must be a whole number from 1 to %(max)d.", max=sites.MAX_LIMIT)
        raise InvalidInput(message, details=[{"field": "limit", "message": message}])
    return sites.nearby(campaign, lat, lon, int(raw), _caller_id())


@api_bp.get("/campaigns/<slug>/sites")
def sites_in_box(slug):
    """The open sites inside ?bbox=west,south,east,north (at most 500): an area saved for offline use."""
    campaign = sites.published(slug)
    parts = (request.args.get("bbox") or "").split(",")
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        west = None
    if west is None or not (-180 <= west < east <= 180 and -90 <= south < north <= 90) or \
            east - west > 1 or north - south > 1:
        message = _("bbox is west,south,east,north in degrees, at most one degree wide and high.")
        raise InvalidInput(message, details=[{"field": "bbox", "message": message}])
    return sites.in_box(campaign, west, south, east, north, _caller_id())


@api_bp.route(f"/tasks/{TASK_ID}/photos/<upload_id>", methods=["GET", "PUT"])
def photo_upload(task_id, upload_id):
    """GET: how much of the photo arrived. PUT: one chunk of it (Content-Range: bytes first-last/total, at most
    1 MiB): resumable uploads. One rule for both methods: werkzeug answers 405, not 404, for an id past int4 when a
    sibling rule of other methods shares the path."""
    if request.method == "GET":  # a visitor not known yet has sent nothing: the queue then starts at 0
        return photos.status(task_id, auth.caller()[1], upload_id)
    cid = auth.contributor_id(create_guest=True)
    status, body = photos.receive_chunk(task_id, cid, upload_id, request.headers.get("Content-Range"),
                                        request.get_data(cache=False))
    db.session.commit()
    return body, status


@api_bp.post(f"/tasks/{TASK_ID}/photos")
def photo_whole(task_id):
    """A whole photo as multipart/form-data (field `photo`) or as the raw body (image/jpeg, png, webp)."""
    cid = auth.contributor_id(create_guest=True)
    upload = request.files.get("photo")
    data = upload.read() if upload else request.get_data(cache=False)
    if not data:
        message = _("Send the photo as multipart/form-data in a field named photo.")
        raise InvalidInput(message, details=[{"field": "photo", "message": message}])
    status, body = photos.receive_whole(task_id, cid, data)
    db.session.commit()
    return body, status


@api_bp.post("/campaigns/<slug>/proposals")
def propose(slug):
    """A site that is not on the map, where the volunteer stands: {"name", "value": a visit}."""
    cid = auth.contributor_id(create_guest=True)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput(_("Send the proposal as a JSON object."))
    key = (request.headers.get("Idempotency-Key") or "").strip()[:200]
    if unstorable(key) is not None:
        raise InvalidInput(_("The Idempotency-Key may not contain NUL characters."))
    status, out = proposals.propose(sites.published(slug), cid, body, key)
    db.session.commit()
    return out, status


@api_bp.post("/campaigns/<slug>/proposals/<int(max=2147483647):proposal_id>/confirm")
def confirm(slug, proposal_id):
    """{"exists": true or false, "position": {...}}: a volunteer on the spot says whether the proposed site is
    there."""
    cid = auth.contributor_id(create_guest=True)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("exists"), bool):
        raise InvalidInput(_('Send {"exists": true} or {"exists": false}.'))
    out = proposals.confirm(sites.published(slug), proposal_id, cid, body["exists"], body.get("position"))
    db.session.commit()
    return out


# --- staff ---------------------------------------------------------------------------------------------------------
@staff_bp.before_request
@login_required
def _signed_in():
    """Staff pages: signed in first (a visitor goes to the sign-in page), then the campaign's own check."""


def _staff_campaign(slug):
    """The campaign, for its organisers and moderators (who see volunteers' photos and settle proposals)."""
    return reviewed_campaign(slug, current_user)


@staff_bp.get("/<slug>/field/photos/<path:key>")
def photo(slug, key):
    """A volunteer's photo for the campaign's staff: its blurred copy, or the photo itself with ?show=1."""
    campaign = _staff_campaign(slug)
    store, stored = photos.photo_file(key, campaign, original=request.args.get("show") == "1")
    response = storage.send(store, stored, "image/jpeg", max_age=0)
    if response is None:
        raise NotFound()
    response.headers["Cache-Control"] = "private, no-store"
    return response


@staff_bp.post("/<slug>/field/photos/<path:key>/remove")
def remove(slug, key):
    """Take a volunteer's photo down (a face, a licence plate, abuse): its files go."""
    photos.remove_photo(key, _staff_campaign(slug))
    db.session.commit()
    if request.is_json:
        return {"removed": True}
    flash(_("The photo was taken down."))
    return redirect(url_for("organise.manage", slug=slug))


@staff_bp.post("/<slug>/field/proposals/<int(max=2147483647):proposal_id>")
def decide(slug, proposal_id):
    """Accept (it becomes a site) or reject a proposed site: form or JSON field `decision`."""
    campaign = _staff_campaign(slug)
    decision = (request.get_json(silent=True) or {}).get("decision") or request.form.get("decision")
    out = proposals.decide(campaign, proposal_id, decision)
    db.session.commit()
    if request.is_json:
        return out
    flash(_("The proposed site was accepted.") if decision == "accept" else _("The proposed site was rejected."))
    return redirect(url_for("organise.manage", slug=slug))


def manage_context(campaign):
    """The manage panel: proposals waiting, the latest visits with their photos."""
    return proposals.panel(campaign)

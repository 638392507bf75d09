"""Field data collection: volunteers walk to places (a trash site, a shop front, a shelter after a flood), take
photos there and answer the organiser's questions, often offline.

A task is a site:

    {"name": "Bin 12, Market Street", "lat": 36.2, "lon": 36.16, "geometry": {GeoJSON of a small area} or absent,
     "proposed": true when a volunteer proposed it (citizen.kinds.field.proposals)}

imported from CSV or JSON rows (name, lat, lon), GeoJSON or GeoPackage (points, or small areas placed at their
centre). An answer is a visit:

    {"position": {"lat", "lon", "accuracy"}, "photos": [photo tokens], "fields": {name: value or null},
     "at": when the visit was made on the phone (ISO 8601, optional: offline visits are sent later)}

Photos are uploaded first (citizen.kinds.field.photos) and named in the answer by a token the server signed: what
the server learnt of the photo (its EXIF position and time) travels in the token, so that checking an answer
needs no query. A visit is *held* (kept, weight 0, listed for moderators) when the device was farther from the site
than the organiser's radius plus its reported accuracy, when the position is too imprecise, or when a photo was
taken elsewhere or long before; a moderator's acceptance makes it count (`accepted`). Visits of one site closer in
time than the organiser's minimum gap are one check: the later one is kept in the history but does not add to the
agreement. Questions are agreed field by field as in transcription (kinds._shared.agreement).
"""
import base64
import hashlib
import hmac
import json
import math
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from citizen import clock
from citizen.errors import InvalidInput
from citizen.kinds import Kind, invalid, parse_rows, result_column
from citizen.kinds._shared import agreement, fields, normalise
from citizen.kinds._shared.settings import whole_number
from citizen.kinds.field import places
from citizen.kinds.field.places import collapse

HELD = ("too_far", "imprecise", "photo_elsewhere", "old_photo")
MAX_PHOTOS = 5
MAX_TOKEN = 400        # characters of a photo token
MAX_PHOTO_BYTES = 15_000_000
OLD_PHOTO = timedelta(hours=36)  # a photo taken this long before (or after) the visit: time zones fit inside
HISTORY = 10           # visits kept in a site's state for its history (the answers keep all of them)
EXAMPLE_FIELDS = ("state | State of the site | choice: clean, overflowing, gone | | What do you see?\n"
                  "waste | Main kind of waste | choice: household, construction, green, mixed | optional |\n"
                  "bags | Bags or items left around it | number | optional |")


def haversine_m(lat1, lon1, lat2, lon2):
    """Metres between two WGS84 points (a sphere of the mean Earth radius: within 0.5 % anywhere)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371008.8 * math.asin(min(1.0, math.sqrt(a)))


def bearing_deg(lat1, lon1, lat2, lon2):
    """The initial compass bearing from point 1 to point 2, 0-360 degrees (0 = north)."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return (math.degrees(math.atan2(y, x)) + 360) % 360


# --- photo tokens: signed by the server at upload, checked with the answer -----------------------------------------
def _sign(text):
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, b"field-photo:" + text.encode(), hashlib.sha256).hexdigest()[:32]


def site_key(payload):
    """What binds a photo to its site: a photo uploaded for one site is refused in another's answer."""
    return f"{float(payload['lat']):.6f},{float(payload['lon']):.6f}"


def photo_token(key, payload, lat=None, lon=None, taken=None):
    """The token of a stored photo: its storage key, the site it was taken for, and its EXIF position and time."""
    body = {"k": key, "s": site_key(payload)}
    if lat is not None and lon is not None:
        body.update(la=round(lat, 6), lo=round(lon, 6))
    if taken:
        body["t"] = taken
    text = base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{text}.{_sign(text)}"


def read_token(token, payload):
    """The photo a token names ({"k", "la", "lo", "t"}), or None when the server did not sign it for this site."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN or token.count(".") != 1:
        return None
    text, sig = token.split(".")
    if not hmac.compare_digest(sig, _sign(text)):
        return None
    try:
        body = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except ValueError:
        return None
    return body if isinstance(body, dict) and body.get("s") == site_key(payload) else None


def _number(raw, name, low, high):
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw) or not low <= raw <= high:
        raise invalid(_("%(name)s must be a number from %(low)s to %(high)s.", name=name, low=low, high=high), name)
    return float(raw)


def _moment(raw):
    """A client's ISO 8601 time as naive UTC, or None when absent or not believable (the server's time is used)."""
    if not isinstance(raw, str) or len(raw) > 40:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = (moment - moment.utcoffset()).replace(tzinfo=None)
    now = clock.now()
    return moment if now - timedelta(days=14) <= moment <= now + timedelta(minutes=5) else None


class FieldKind(Kind):
    id = "field"
    label = _l("Field visits (go to places, take photos, answer questions)")
    script = "field.js"
    styles = ("vendor/leaflet/leaflet.css", "field.css")
    scripts = ("vendor/leaflet/leaflet.js", "js/tiles.js")
    consensus = ("per-field",)
    spatial = True
    timed = False  # a visit's time is spent walking, not reading: no minimum time applies
    permissions = ("geolocation",)
    whereabouts = True  # answers.csv: no pseudonym or voter weight, the answers without the position
    picked = True  # volunteers choose the site they walk to (nearby); the visit's position is checked instead
    import_help = _l("Upload the sites to visit: a CSV with name, lat and lon columns (WGS84 degrees), GeoJSON "
                     "points or small areas, or a GeoPackage. An area is placed at its centre.")

    def init_app(self, app):
        """The kind's tables, its volunteers' API (nearby sites, photo uploads, proposals) and the organiser's
        panel (proposals to accept, the latest state of each site with its photos)."""
        from citizen.kinds import registry
        from citizen.kinds.field import views
        views.init_app(app)
        registry.register_manage_context(app, self.id, views.manage_context)

    # --- settings -------------------------------------------------------------------------------------------------
    def default_settings(self):
        return {"fields": fields.parse_fields(EXAMPLE_FIELDS), "radius_m": 50, "accuracy_limit_m": 100,
                "photos_min": 1, "photos_max": 3, "min_gap_minutes": 0, "proposals": False, "confirmations": 2,
                "agree": 2, "max_answers": 5, "tiles": "", "attribution": ""}

    def settings_from_form(self, form):
        keys = ("fields", "radius_m", "accuracy_limit_m", "photos_min", "photos_max", "min_gap_minutes",
                "confirmations", "agree", "max_answers", "tiles", "attribution")
        return {**{k: form.get(k, "") for k in keys}, "proposals": bool(form.get("proposals"))}

    def clean_settings(self, raw):
        raw = raw or {}
        out, errors = {}, []

        def check(name, fn):
            try:
                out[name] = fn()
            except ValueError as exc:
                errors.append({"field": name, "message": str(exc)})

        check("fields", lambda: fields.parse_fields(raw.get("fields") or EXAMPLE_FIELDS))
        check("radius_m", lambda: whole_number(raw.get("radius_m"), 5, 5000, 50, _(
            "How close volunteers must be: a whole number of metres from 5 to 5000.")))
        check("accuracy_limit_m", lambda: whole_number(raw.get("accuracy_limit_m"), 5, 5000, 100, _(
            "The least precise position accepted: a whole number of metres from 5 to 5000.")))
        check("photos_min", lambda: whole_number(raw.get("photos_min"), 0, MAX_PHOTOS, 1, _(
            "Photos needed: a whole number from 0 to %(max)d.", max=MAX_PHOTOS)))
        check("photos_max", lambda: whole_number(raw.get("photos_max"), 1, MAX_PHOTOS, 3, _(
            "Most photos: a whole number from 1 to %(max)d.", max=MAX_PHOTOS)))
        check("min_gap_minutes", lambda: whole_number(raw.get("min_gap_minutes"), 0, 60 * 24 * 30, 0, _(
            "Time between visits: a whole number of minutes, at most 30 days.")))
        check("confirmations", lambda: whole_number(raw.get("confirmations"), 1, 10, 2, _(
            "Confirmations of a proposed site: a whole number from 1 to 10.")))
        check("agree", lambda: whole_number(raw.get("agree"), 1, 20, 2, _(
            "Answers that must agree: a whole number from 1 to 20.")))
        check("max_answers", lambda: whole_number(raw.get("max_answers"), 1, 50, 5, _(
            "Most answers per task: a whole number from 1 to 50.")))
        check("tiles", lambda: places.clean_tiles(raw.get("tiles")))
        out["attribution"] = collapse(str(raw.get("attribution") or ""))[:200]
        out["proposals"] = raw.get("proposals") in (True, "1", "true", "on", 1)
        if {"photos_min", "photos_max"} <= set(out) and out["photos_max"] < out["photos_min"]:
            errors.append({"field": "photos_max", "message": _("Most photos must be at least the photos needed.")})
        if {"agree", "max_answers"} <= set(out) and out["max_answers"] < out["agree"]:
            errors.append({"field": "max_answers", "message": _(
                "Most answers per task must be at least the answers that must agree (%(k)d).", k=out["agree"])})
        if errors:
            raise InvalidInput(errors[0]["message"], details=errors)
        out["fields_text"] = fields.as_text(out["fields"])
        return out

    # --- sources ----------------------------------------------------------------------------------------------------
    def tasks_from_upload(self, filename, data, settings, media):
        name = (filename or "").lower()
        if name.endswith((".geojson", ".gpkg")) or (name.endswith(".json") and places.looks_geojson(data)):
            rows, errors = places.from_geodata(filename, data)
            return self.tasks_from_rows(rows, settings) if not errors else ([], errors)
        return self.tasks_from_rows(parse_rows(filename, data), settings)

    def clean_task(self, payload, settings):
        return places.clean_site(payload)

    def after_import(self, campaign, rows):
        from citizen.kinds.field import sites  # the kind's site index: the database, off the pure contract
        sites.index_campaign(campaign.id)

    # --- the volunteer's side ---------------------------------------------------------------------------------------
    def page_config(self, settings):
        """What the work page's script needs (the kind's own flow: nearby sites, photos, the form)."""
        s = settings or {}
        return {"fields": [{k: f.get(k) for k in ("name", "label", "type", "help", "choices", "optional")}
                           for f in s.get("fields") or []],
                "radius_m": s.get("radius_m", 50), "accuracy_limit_m": s.get("accuracy_limit_m", 100),
                "photos": {"min": s.get("photos_min", 1), "max": s.get("photos_max", 3)},
                "max_photo_bytes": MAX_PHOTO_BYTES, "tiles": s.get("tiles") or None,
                "attribution": s.get("attribution") or "", "proposals": bool(s.get("proposals")),
                "center": (s.get("extent") or {}).get("center"), "bounds": (s.get("extent") or {}).get("bounds")}

    def task_json(self, payload, settings):
        return {"question": _("Visit this place and report what you see"), "name": payload.get("name"),
                "lat": payload.get("lat"), "lon": payload.get("lon"), "geometry": payload.get("geometry"),
                "fields": self.page_config(settings)["fields"]}

    def check_limits(self, value, settings):
        if not isinstance(value, dict):
            raise invalid(_('Send {"position": {...}, "photos": [...], "fields": {...}}.'), "value")
        unknown = set(value) - {"position", "photos", "fields", "at"}
        if unknown:
            raise invalid(_("unknown field(s): %(fields)s", fields=", ".join(sorted(str(k)[:40] for k in unknown))[:200]),
                          "value")
        photos = value.get("photos", [])
        if not isinstance(photos, list) or len(photos) > MAX_PHOTOS or any(
                not isinstance(p, str) or len(p) > MAX_TOKEN for p in photos):
            raise invalid(_("photos: at most %(n)d photo tokens from the photo upload.", n=MAX_PHOTOS), "photos")
        position = value.get("position")
        if not isinstance(position, dict) or len(position) > 5:
            raise invalid(_('Send the position where you are: {"lat", "lon", "accuracy"} in degrees and metres.'),
                          "position")
        given = value.get("fields", {})
        if not isinstance(given, dict) or len(given) > fields.MAX_FIELDS or any(
                len(str(k)) > fields.MAX_NAME or (isinstance(v, str) and len(v) > normalise.MAX_TEXT_SENT)
                or isinstance(v, (dict, list)) for k, v in given.items()):
            raise invalid(_('Send {"fields": {"<name>": "<value>" or null}}, one entry per field of the form.'),
                          "fields")

    def clean_answer(self, value, payload, settings):
        position = value["position"]
        lat = _number(position.get("lat"), "lat", -90, 90)
        lon = _number(position.get("lon"), "lon", -180, 180)
        accuracy = _number(position.get("accuracy", 0), "accuracy", 0, 100000)
        photos = []
        for token in value.get("photos") or []:
            photo = read_token(token, payload)
            if photo is None:
                raise invalid(_("A photo of this answer was not uploaded for this site: upload it again."), "photos")
            photos.append({k: photo[k] for k in ("k", "la", "lo", "t") if k in photo})
        if len({p["k"] for p in photos}) != len(photos):
            raise invalid(_("The same photo is named twice."), "photos")
        low, high = int(settings.get("photos_min", 1)), int(settings.get("photos_max", 3))
        if not low <= len(photos) <= high:
            raise invalid(_("Take from %(low)d to %(high)d photos of the site.", low=low, high=high), "photos")
        try:
            values, _typed = fields.clean_values({"fields": value.get("fields") or {}}, settings["fields"])
        except ValueError as exc:
            raise InvalidInput(exc.args[0][0]["message"], details=exc.args[0]) from None
        at = _moment(value.get("at")) or clock.now()
        out = {"position": {"lat": lat, "lon": lon, "accuracy": accuracy}, "photos": photos, "fields": values,
               "at": at.isoformat(timespec="seconds") + "Z",
               "received": clock.now().isoformat(timespec="seconds") + "Z"}
        out["distance_m"] = round(haversine_m(lat, lon, payload["lat"], payload["lon"]), 1)
        if settings.get("min_gap_minutes"):  # read by add_to_consensus, which sees no settings
            out["gap"] = int(settings["min_gap_minutes"])
        held = self._checks(out, at, payload, settings)
        if held:
            out["held"] = held
        return out

    def _checks(self, visit, at, payload, settings):
        """Why a visit waits for a moderator (HELD), or []: where the device was, and where and when its photos
        were taken."""
        radius, limit = settings.get("radius_m", 50), settings.get("accuracy_limit_m", 100)
        accuracy = visit["position"]["accuracy"]
        reasons = []
        if accuracy > limit:
            reasons.append("imprecise")
        if visit["distance_m"] > radius + min(accuracy, limit) + places.site_extent_m(payload):
            reasons.append("too_far")
        for photo in visit["photos"]:
            if "la" in photo and haversine_m(photo["la"], photo["lo"], payload["lat"], payload["lon"]) > \
                    radius + limit + places.site_extent_m(payload):
                reasons.append("photo_elsewhere")
            taken = _exif_time(photo.get("t"))
            if taken is not None and abs(at - taken) > OLD_PHOTO:
                reasons.append("old_photo")
        return list(dict.fromkeys(reasons))

    def held(self, value):
        """The reasons a stored visit waits for a moderator ([] once a moderator accepted it)."""
        if not isinstance(value, dict) or value.get("accepted"):
            return []
        return list(value.get("held") or [])

    def public_value(self, value):
        """The visit's answers to the questions, without where the phone was, its photos or the time."""
        return {"fields": (value or {}).get("fields") or {}} if isinstance(value, dict) else value

    def api_paths(self):
        from citizen.kinds.field import openapi
        return openapi.paths()

    def accept_held(self, value):
        return {**value, "accepted": True}

    def held_count(self, state):
        return (state or {}).get("held_n", 0)

    def answer_links(self, slug, value):
        from flask import url_for
        photos = (value or {}).get("photos") or [] if isinstance(value, dict) else []
        return [(_("Photo %(n)d", n=n), url_for("field_staff.photo", slug=slug, key=p["k"]))
                for n, p in enumerate(photos, start=1) if isinstance(p, dict) and p.get("k")]

    def answer_schema(self, settings=None):
        value = {"anyOf": [{"type": "string", "maxLength": normalise.MAX_TEXT_SENT}, {"type": "number"},
                           {"type": "null"}]}
        return {"type": "object", "required": ["position", "fields"],
                "description": "field: a visit to the site: where the device was, the photos (tokens returned by "
                               "the photo upload, POST /api/v1/tasks/{task_id}/photos as multipart/form-data or "
                               "resumable PUT /api/v1/tasks/{task_id}/photos/{upload_id}), and the form's answers. "
                               "A visit from farther than the campaign's radius plus the position's accuracy, "
                               "or with photos taken elsewhere or long before, is kept but held for a moderator "
                               "(the response says `counted: false` and `held`).",
                "properties": {
                    "position": {"type": "object", "required": ["lat", "lon"], "description":
                                 "the device's position when reporting (WGS84 latitude and longitude in degrees) and "
                                 "its accuracy in metres, as the browser's geolocation gives them",
                                 "properties": {"lat": {"type": "number", "minimum": -90, "maximum": 90},
                                                "lon": {"type": "number", "minimum": -180, "maximum": 180},
                                                "accuracy": {"type": "number", "minimum": 0, "maximum": 100000}}},
                    "photos": {"type": "array", "maxItems": MAX_PHOTOS,
                               "items": {"type": "string", "maxLength": MAX_TOKEN},
                               "description": "photo tokens from the photo upload of this task"},
                    "fields": {"type": "object", "maxProperties": fields.MAX_FIELDS, "additionalProperties": value},
                    "at": {"type": "string", "format": "date-time",
                           "description": "when the visit was made (a visit made offline is sent later)"}}}

    # --- aggregation ------------------------------------------------------------------------------------------------
    def add_to_consensus(self, state, value, weight=1.0):
        """The form's agreement (as transcription's), and the site's history: the latest counted visit and the last
        HISTORY visits. A visit closer in time to the last counted one than the campaign's gap (which clean_answer
        wrote into the visit) adds nothing."""
        at, received = value.get("at"), value.get("received")
        gap = timedelta(minutes=value.get("gap", 0))
        counted = weight > 0 and not self.held(value)
        # One check when the visits' own times are close, or when they reached the server close together (the
        # times a phone gives can be set at will; honest reports sent late from one phone are one volunteer's).
        for mine, last in ((at, state.get("last_at")), (received, state.get("last_received"))):
            if counted and gap and mine and last and abs(_parse_z(mine) - _parse_z(last)) < gap:
                counted = False
        keys = [p["k"] for p in value.get("photos") or [] if isinstance(p, dict) and p.get("k")]
        seen = state.get("photo_keys", [])
        reused = bool(set(keys) & set(seen))  # a photo shared between accounts: one visit, counted once
        counted = counted and not reused
        new = agreement.add_answer(state, value.get("fields") or {}, weight if counted else 0.0)
        visit = {"at": at, "counted": counted, "held": self.held(value), "photos": len(keys),
                 "distance_m": value.get("distance_m"), **({"reused_photo": True} if reused else {})}
        new.update(photo_keys=(seen + [k for k in keys if k not in seen])[-5 * 50:], history=([*state.get("history", []), visit])[-HISTORY:],
                   visits=state.get("visits", 0) + 1, held_n=state.get("held_n", 0) + bool(visit["held"]))
        if counted:
            new.update(last_at=at, last_received=received, latest={"at": at, "fields": value.get("fields") or {}})
        else:
            new.update({k: state[k] for k in ("last_at", "last_received", "latest") if k in state})
        return new

    def result(self, state, settings=None):
        s = settings or {}
        out = agreement.result(state or {}, s.get("fields") or [], int(s.get("agree") or 2),
                               int(s.get("max_answers") or 5))
        out.update(visits=(state or {}).get("visits", 0), held=(state or {}).get("held_n", 0),
                   last_visit=(state or {}).get("last_at"), latest=(state or {}).get("latest"),
                   history=(state or {}).get("history", []))
        return out

    def answers_wanted(self, state, settings, redundancy):
        return agreement.answers_wanted(state or {}, settings.get("fields") or [], int(settings.get("agree") or 2),
                                        int(settings.get("max_answers") or 5), redundancy)

    # --- maps, results and exports ----------------------------------------------------------------------------------
    def basemap(self, settings):
        return (settings or {}).get("tiles") or None, (settings or {}).get("attribution", "")

    def map_geometry(self, payload):
        if payload.get("geometry"):
            return payload["geometry"]
        return {"type": "Point", "coordinates": [payload["lon"], payload["lat"]]} if "lat" in payload else None

    def place(self, payload, value=None):
        return {"lat": payload["lat"], "lon": payload["lon"], "source": "site"} if "lat" in payload else None

    def result_fields(self, result):
        if "fields" not in result:
            return {}
        # (the per-visit history stays out: its times and distances would tell where and when volunteers were)
        return {k: result.get(k) for k in ("fields", "status", "needs_review", "visits", "held", "last_visit",
                                           "latest")}

    def verdict(self, result, answered):
        return "agreement", result.get("status") == "verified"

    def disputed(self, result):
        return result.get("status") == "disputed"

    def answer_display(self, value, payload=None):
        if not isinstance(value, dict):
            return {}
        parts = [f"{k}: {v}" for k, v in list((value.get("fields") or {}).items())[:6]]
        where = _("%(m)s m from the site (±%(a)s m)", m=round(value.get("distance_m") or 0),
                  a=round((value.get("position") or {}).get("accuracy") or 0))
        held = ", ".join(held_label(r) for r in self.held(value))
        return {"label": "; ".join(parts + [where] + ([_("held: %(why)s", why=held)] if held else []))}

    def result_display(self, result, payload=None):
        if "fields" not in result:
            return {}
        return {"status": result.get("status"), "visits": result.get("visits"), "last_visit": result.get("last_visit"),
                "fields": {n: {k: f.get(k) for k in ("value", "status", "agreement")}
                           for n, f in (result.get("fields") or {}).items()}}

    def methodology_collection(self, settings, redundancy):
        s = settings or {}
        gap = s.get("min_gap_minutes") or 0
        return [f"- Each site asks for **{redundancy}** visits by different volunteers (up to **{s.get('max_answers', 5)}** "
                f"while their answers disagree). A visit carries the phone's position and its accuracy, and "
                f"{s.get('photos_min', 1)} to {s.get('photos_max', 3)} photos. A visit from farther than "
                f"**{s.get('radius_m', 50)} m** (plus the position's reported accuracy, counted up to "
                f"{s.get('accuracy_limit_m', 100)} m), with a position less precise than that, or with a photo "
                f"whose own position or time does not fit, is kept but counts only once a moderator accepts it."
                + (f" Visits less than {gap} minutes after the last counted visit of the same site are one check."
                   if gap else "")
                + " The open data give the site's position, never the volunteers': their positions and photos are "
                  "seen only by the campaign's staff."]

    def methodology_consensus(self, settings):
        s = settings or {}
        return [f"Question by question: an answer is *verified* when at least {s.get('agree', 2)} counted visits agree "
                f"on it and no other answer has as many. `last_visit` is the latest counted visit; the state of a site "
                f"is the agreed answers of its visits."]

    def export_columns(self, settings):
        cols = [
            ("name", "The site's name", lambda p: p.get("name", "")),
            ("lat", "The site's latitude (WGS84), not a volunteer's position", lambda p: p.get("lat", "")),
            ("lon", "The site's longitude (WGS84), not a volunteer's position", lambda p: p.get("lon", "")),
            ("status", "verified (every question settled), disputed or pending",
             result_column(lambda p, r: r.get("status", "pending"))),
            ("visits", "Visits reported, counted or not", result_column(lambda p, r: r.get("visits", 0))),
            ("last_visit", "When the latest counted visit was made (UTC)",
             result_column(lambda p, r: r.get("last_visit") or "")),
        ]
        for f in settings.get("fields") or []:
            cols += [(f["name"], f"{f['label']}: the agreed answer", _field_column(f["name"], "value")),
                     (f"{f['name']}_agreement", f"{f['label']}: share of visits behind it",
                      _field_column(f["name"], "agreement"))]
        return cols


def held_label(reason):
    return {"too_far": _("too far from the site"), "imprecise": _("position too imprecise"),
            "photo_elsewhere": _("a photo taken elsewhere"), "old_photo": _("a photo taken at another time")
            }.get(reason, reason)


def _field_column(name, key):
    @result_column
    def value(payload, result):
        got = (result.get("fields") or {}).get(name, {}).get(key)
        return "" if got is None else got
    return value


def _parse_z(text):
    return datetime.fromisoformat(text.rstrip("Z"))


def _exif_time(text):
    """A photo's EXIF time as the token carries it ("2026:12:07 10:15:00", the camera's local time), or None."""
    try:
        return datetime.strptime(text, "%Y:%m:%d %H:%M:%S") if text else None
    except (TypeError, ValueError):
        return None

"""Shared machinery of the map kinds (deforestation spotting, damage mapping).

A task is either a map cell (a grid square of an area of interest, over one or two XYZ imagery
layers: "before" and "after") or a photo (shown in pixel coordinates, placed on the overview map
by its EXIF position). A volunteer answers with one of the kind's grades and may mark what they
see as points and polygons. Answer values are stored as

    {"answer": "<grade>", "marks": <GeoJSON FeatureCollection>, "crs": "lonlat" | "pixel"}

where pixel coordinates are [x, y] from the photo's top-left corner, y downwards. The tally of
grades is kept incrementally on the task; the marks are kept beside it and clustered into
consensus features (citizen.quality.spatial) when results are read.
"""
import math

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from citizen.kinds import Kind, RowError, clean_image_url, invalid
from citizen.ingest import archives, areas, photos
from citizen.kinds._map import footprint, predictions_in, tiles
from citizen.kinds._shared import marks as marks_mod
from citizen.text import clean_attribution, render_markdown
from citizen.errors import InvalidInput
from citizen.quality import consensus, spatial

AREA_SUFFIXES = (".geojson", ".json", ".gpkg")
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
MAX_GRADE = 40  # characters of a grade's value
CELL_MARGIN = 0.25  # marks may reach a quarter of a cell beyond its edge (a clearing across the border)
MIN_CELL_KM, MAX_CELL_KM = 0.1, 50.0


def _tile_template(raw, field, required):
    url = str(raw or "").strip()
    if not url:
        if required:
            raise ValueError(_("Give the address of the imagery tiles, with {z}, {x} and {y} in it."))
        return ""
    return tiles.normalise(url)  # a TileError (a ValueError) says what is wrong


def _english(text):
    """The English words of a lazily translated text (its message id)."""
    args = getattr(text, "_args", None)
    return args[0] if args else str(text)


def _float(raw, field, low, high, default, message):
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ValueError(message) from None
    if not low <= value <= high:
        raise ValueError(message)
    return value


class MapKind(Kind):
    """Base of the map kinds: subclasses set id, label, `grades` [(value, label)], the question
    and which sources they accept (`accepts_photos`)."""

    script = "map.js"
    media_fields = ("image_url",)
    media_columns = {"image_url": True}
    spatial = True
    consensus = ("categorical", "spatial")
    styles = ("vendor/leaflet/leaflet.css", "vendor/leaflet-draw/leaflet.draw.css",
              "vendor/leaflet-side-by-side/layout.css", "vendor/leaflet-side-by-side/range.css", "map.css")
    scripts = ("vendor/leaflet/leaflet.js", "js/tiles.js", "vendor/leaflet-draw/leaflet.draw.js",
               "vendor/leaflet-side-by-side/leaflet-side-by-side.js")
    grades = ()
    question = ""
    accepts_photos = False
    import_help = _l("Upload the area of interest (GeoJSON, GeoPackage, or a zipped Shapefile) or draw it "
                     "on the map; it is split into square cells of the size set in the campaign settings, "
                     "trimmed to the area. Each cell is a task.")

    def init_app(self, app):
        """The organiser's tile check (one route for both map kinds)."""
        from citizen.kinds._map import views
        if views.bp.name not in app.blueprints:
            app.register_blueprint(views.bp)

    # --- settings -----------------------------------------------------------------------------
    def default_settings(self):
        return {"tiles_before": "", "tiles_after": "", "attribution": "", "cell_km": 1.0, "min_support": 2,
                "guidance": "", "question": ""}  # empty: the kind's question, in each volunteer's language

    def settings_from_form(self, form):
        keys = ("tiles_before", "tiles_after", "attribution", "cell_km", "min_support", "guidance", "question")
        return {k: form.get(k, "") for k in keys}

    def clean_settings(self, raw):
        raw = raw or {}
        out, errors = {}, []

        def check(field, fn):
            try:
                out[field] = fn()
            except ValueError as exc:
                errors.append({"field": field, "message": str(exc)})

        check("tiles_after", lambda: _tile_template(raw.get("tiles_after"), "tiles_after", not self.accepts_photos))
        check("tiles_before", lambda: _tile_template(raw.get("tiles_before"), "tiles_before", False))
        check("cell_km", lambda: _float(raw.get("cell_km"), "cell_km", MIN_CELL_KM, MAX_CELL_KM, 1.0,
                                        _("Cell size must be a number of kilometres from 0.1 to 50.")))
        check("min_support", lambda: int(_float(raw.get("min_support"), "min_support", 1, 50, 2,
                                                _("Volunteers needed to agree on a mark: a whole number from 1 to 50."))))
        # Shown as HTML on every map of the campaign (Leaflet's attribution control): sanitised once, here.
        out["attribution"] = clean_attribution(str(raw.get("attribution") or "").strip()[:300])
        out["guidance"] = str(raw.get("guidance") or "").strip()[:5000]
        out["guidance_html"] = render_markdown(out["guidance"])
        question = str(raw.get("question") or "").strip()[:300]
        # The kind's own question is kept as "the default" (empty), never as English text: each volunteer reads it
        # in their language. Campaigns saved before stored the English words: those count as the default too.
        out["question"] = "" if question in (_english(self.question), str(self.question)) else question
        if errors:
            raise InvalidInput(errors[0]["message"], details=errors)
        return out

    # --- sources ------------------------------------------------------------------------------
    def tasks_from_upload(self, filename, data, settings, media):
        name = (filename or "").lower()
        if self.accepts_photos and (name.endswith(PHOTO_SUFFIXES) or (name.endswith(".zip") and not _has_shapefile(data))):
            return self._photo_tasks(filename, data, media)
        if name.endswith(AREA_SUFFIXES + (".zip",)) or name == "drawn":
            if name.endswith(".json") and _looks_like_task_list(data):
                return super().tasks_from_upload(filename, data, settings, media)
            return self._cell_tasks(filename, data, settings)
        return super().tasks_from_upload(filename, data, settings, media)

    def _cell_tasks(self, filename, data, settings):
        try:
            area = areas.read_area(filename, data)
            cells = areas.split_grid(area, float(settings.get("cell_km") or 1.0))
        except areas.AreaError as exc:
            raise RowError(1, str(exc)) from None
        return [(i + 1, cell["cell"], {k: cell[k] for k in ("cell", "geometry", "bbox", "center")})
                for i, cell in enumerate(cells)], []

    def _photo_tasks(self, filename, data, media):
        try:
            return photos.photo_tasks(filename, data, media)
        except photos.PhotoError as exc:
            raise RowError(1, str(exc)) from None

    def clean_task(self, payload, settings):
        """A task given as a row of JSON: a cell {"geometry": Polygon} or, for photo kinds,
        {"image_url", "width", "height", optional "lat", "lon"}."""
        if "geometry" in payload:
            try:
                geom = areas.read_area("task.geojson", _json_bytes(payload["geometry"]))
            except areas.AreaError as exc:
                raise ValueError(str(exc)) from None
            west, south, east, north = geom.bounds
            return {"cell": str(payload.get("cell") or "")[:40], "geometry": areas.area_geojson(geom),
                    "bbox": [round(v, 7) for v in (west, south, east, north)],
                    "center": [round((west + east) / 2, 7), round((south + north) / 2, 7)]}
        if self.accepts_photos and "image_url" in payload:
            out = {"image_url": clean_image_url(payload.get("image_url"))}
            for key in ("width", "height"):
                try:
                    out[key] = int(payload.get(key))
                except (TypeError, ValueError):
                    raise ValueError(_("a photo task needs its width and height in pixels")) from None
                if not 1 <= out[key] <= 20000:
                    raise ValueError(_("a photo task needs its width and height in pixels"))
            if payload.get("lat") not in (None, "") and payload.get("lon") not in (None, ""):
                lat, lon = float(payload["lat"]), float(payload["lon"])
                if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                    raise ValueError(_("lat and lon must be degrees (latitude -90 to 90, longitude -180 to 180)"))
                out.update(lat=lat, lon=lon)
            if payload.get("footprint") not in (None, "", []):
                try:  # where the photo's corners lie: a pin on it then has a place (Kind.place)
                    out["footprint"] = footprint.clean_footprint(payload["footprint"])
                except footprint.FootprintError as exc:
                    raise ValueError(str(exc)) from None
            return out
        raise ValueError(_("a task needs a geometry (a map cell)") if not self.accepts_photos
                         else _("a task needs a geometry (a map cell) or an image_url with width and height"))

    # --- the volunteer's side -----------------------------------------------------------------
    def task_json(self, payload, settings):
        asked = settings.get("question")
        out = {"question": str(self.question) if not asked or asked == _english(self.question) else asked,
               "options": [v for v, _label in self.grades], "labels": [str(label) for _v, label in self.grades],
               "mark_types": ["Point", "Polygon"]}
        if "image_url" in payload:
            out.update(mode="photo", **{k: payload[k] for k in ("image_url", "width", "height") if k in payload})
            for key in ("lat", "lon"):
                if key in payload:
                    out[key] = payload[key]
        else:
            out.update(mode="map", geometry=payload["geometry"], bbox=payload["bbox"], cell=payload.get("cell", ""),
                       tiles={"before": settings.get("tiles_before", ""), "after": settings.get("tiles_after", "")},
                       attribution=settings.get("attribution", ""))
        return out

    def frame(self, payload):
        """The box every mark must fall in, and the coordinate system of the task."""
        if "image_url" in payload:
            return (0, 0, payload["width"], payload["height"]), "pixel"
        west, south, east, north = payload["bbox"]
        dx, dy = (east - west) * CELL_MARGIN, (north - south) * CELL_MARGIN
        return (west - dx, south - dy, east + dx, north + dy), "lonlat"

    def clean_answer(self, value, payload, settings):
        if isinstance(value, str):  # one of the task's `options` alone: that grade, nothing marked
            value = {"answer": value}
        if not isinstance(value, dict):
            raise invalid(_('Send {"answer": ..., "marks": ...}: the grade and what you marked.'), "value")
        errors = []
        grades = [v for v, _label in self.grades]
        if value.get("answer") not in grades:
            errors.append({"field": "answer", "message": _("Choose one of the offered answers: %(options)s",
                                                           options=", ".join(grades))})
        box, crs = self.frame(payload)
        clean_marks = None
        try:
            clean_marks = marks_mod.clean_marks(value.get("marks"), box, precision=7 if crs == "lonlat" else 1)
        except ValueError as exc:
            errors.append({"field": "marks", "message": str(exc)})
        if errors:
            raise InvalidInput(errors[0]["message"], details=errors)
        return {"answer": value["answer"], "marks": clean_marks, "crs": crs}

    def check_limits(self, value, settings):
        grade = value.get("answer") if isinstance(value, dict) else value
        if isinstance(grade, str) and len(grade) > MAX_GRADE:
            raise invalid(_("Choose one of the offered answers: %(options)s",
                            options=", ".join(v for v, _label in self.grades)), "answer")
        if not isinstance(value, dict):
            return  # anything else is refused by clean_answer, cheaply
        try:
            marks_mod.check_size(value.get("marks"))
        except marks_mod.MarkError as exc:
            raise invalid(exc.message, "marks") from None

    def answer_schema(self, settings=None):
        grades = [v for v, _label in self.grades]
        position = {"type": "array", "minItems": 2, "maxItems": 3, "items": {"type": "number"},
                    "description": "[longitude, latitude] on a map cell, [x, y] pixels from a photo's top-left"}
        point = {"type": "object", "required": ["type", "coordinates"],
                 "properties": {"type": {"const": "Point"}, "coordinates": position}}
        polygon = {"type": "object", "required": ["type", "coordinates"], "properties": {
            "type": {"const": "Polygon"},
            "coordinates": {"type": "array", "minItems": 1, "maxItems": 1, "description": "one ring, no holes",
                            "items": {"type": "array", "minItems": 3,
                                      "maxItems": marks_mod.MAX_VERTICES_PER_POLYGON + 1, "items": position}}}}
        marks = {"type": "object", "required": ["type"], "description": (
            f"GeoJSON FeatureCollection: at most {marks_mod.MAX_MARKS} marks, "
            f"{marks_mod.MAX_VERTICES_PER_POLYGON} corners per polygon and "
            f"{marks_mod.MAX_VERTICES_PER_ANSWER} corners in all (a point counts as one)"),
            "properties": {"type": {"const": "FeatureCollection"}, "features": {
                "type": "array", "maxItems": marks_mod.MAX_MARKS, "items": {
                    "type": "object", "required": ["type", "geometry"], "properties": {
                        "type": {"const": "Feature"}, "geometry": {"anyOf": [point, polygon]}}}}}}
        grade = {"type": "string", "enum": grades}
        return {"description": f"{self.id}: the grade, alone or with what was marked", "anyOf": [
            grade, {"type": "object", "required": ["answer"], "properties": {
                "answer": grade, "marks": {"anyOf": [{"type": "null"}, marks]}}}]}

    def task_schema(self):
        text, number = {"type": "string"}, {"type": "number"}
        return {"question": text, "options": {"type": "array", "items": text, "description": "the grades"},
                "labels": {"type": "array", "items": text}, "mark_types": {"type": "array", "items": text},
                "mode": {"enum": ["map", "photo"]}, "image_url": text, "width": {"type": "integer"},
                "height": {"type": "integer"}, "lat": number, "lon": number,
                "geometry": {"type": "object", "description": "the cell (GeoJSON Polygon, WGS84)"},
                "bbox": {"type": "array", "items": number}, "cell": text,
                "tiles": {"type": "object", "description": "imagery tile templates: before, after"},
                "attribution": text}

    def answer_labels(self, settings):
        return [v for v, _label in self.grades]

    # --- known answers and predictions: the grade decides; a prediction may carry its marks -----------------------
    def clean_known(self, known, payload, settings):
        """A grade (training, gold), or a model's whole answer {answer, marks} (citizen.predictions)."""
        if isinstance(known, dict):
            try:
                return self.clean_answer(known, payload, settings)
            except InvalidInput as exc:
                raise ValueError(exc.message) from None
        return self.clean_gold(known, settings)

    def known_matches(self, value, known, settings):
        grade = known.get("answer") if isinstance(known, dict) else known
        return self.label_of(value) == grade or (isinstance(value, str) and value == grade)

    def known_text(self, known, settings):
        grade = known.get("answer") if isinstance(known, dict) else known
        return str(self.answer_names(settings).get(grade, grade))

    def prediction_rows(self, filename, text, tasks, settings, model=None):
        """A model's GeoJSON output: grades and marks per task (citizen.kinds._map.predictions_in)."""
        doc = predictions_in.parse(text) if text.lstrip()[:1] == "{" else None
        return None if doc is None else predictions_in.rows(doc, tasks, model)

    def label_of(self, value):
        return value.get("answer") if isinstance(value, dict) else None

    # --- aggregation --------------------------------------------------------------------------
    def add_to_consensus(self, state, value, weight=1.0):
        """Tally the grade; keep each counted answer's marks (numbered by arrival: one answer is one
        contributor) for the spatial consensus, within the task's budget (marks.MAX_VERTICES_PER_TASK,
        MAX_MARKS_PER_TASK). "z" counts the answers that carry no weight and "unkept" those whose marks would
        have gone past the budget: the consensus of the marks counts neither for nor against a mark; their
        grade counts as any other (with its weight)."""
        new = consensus.add_vote(state, value["answer"], weight)
        kept = list(state.get("marks", []))
        if weight <= 0:  # kept with the answer, never counted: neither its marks nor its absence of marks
            new["z"] = state.get("z", 0) + 1
        elif value["marks"]["features"]:
            marks_now, corners_now = state.get("kept_size") or _kept_size(kept)
            added, corners = marks_mod.count(value["marks"])
            if marks_now + added <= marks_mod.MAX_MARKS_PER_TASK and \
                    corners_now + corners <= marks_mod.MAX_VERTICES_PER_TASK:
                kept.append([new["n"], value["marks"]])
                new["kept_size"] = [marks_now + added, corners_now + corners]
            else:
                new["unkept"] = state.get("unkept", 0) + 1
        for key in ("kept_size", "unkept", "z"):
            if key in state and key not in new:
                new[key] = state[key]
        new["marks"] = kept
        new["crs"] = value.get("crs", state.get("crs", "lonlat"))
        return new

    def result(self, state, settings=None):
        out = consensus.majority(state)
        marks = [(who, fc) for who, fc in state.get("marks", [])]
        # Contributors who marked nothing still count towards agreement: pad with empty sets.
        # Answers whose marks went past the task's budget (add_to_consensus) take no part.
        marks += [(f"none-{i}", {"type": "FeatureCollection", "features": []})
                  for i in range(state.get("n", 0) - state.get("z", 0) - state.get("unkept", 0) - len(marks))]
        out["features"] = spatial.consensus_features(
            marks, metric="pixel" if state.get("crs") == "pixel" else "lonlat",
            min_support=int((settings or {}).get("min_support") or 2))
        return out

    # --- maps and exports ---------------------------------------------------------------------
    def map_geometry(self, payload):
        """Where a task sits on the overview map: the cell, or the photo's position (or None)."""
        if "geometry" in payload:
            return payload["geometry"]
        if payload.get("lat") is not None:
            return {"type": "Point", "coordinates": [payload["lon"], payload["lat"]]}
        return None

    def place(self, payload, value=None):
        """Where rescuers should go: the first point the critical answer marked, on a map cell (in degrees
        already) or on a photo whose footprint is known (its pixels placed by the footprint, source
        "photo_mark"; the photo's GPS position rides along as "photo"); else the photo's GPS position; else the
        centre of the map cell; None when it has no place."""
        point = _first_point(value)
        if point is not None and value.get("crs") == "lonlat":
            return {"lat": point[1], "lon": point[0], "source": "mark"}
        if point is not None and payload.get("footprint") and payload.get("width") and payload.get("height"):
            pinned = footprint.pixel_to_lonlat(payload["footprint"], payload["width"], payload["height"], *point)
            if pinned is not None:
                out = {"lat": pinned[1], "lon": pinned[0], "source": "photo_mark"}
                if payload.get("lat") is not None and payload.get("lon") is not None:
                    out["photo"] = {"lat": payload["lat"], "lon": payload["lon"]}
                return out
        if payload.get("lat") is not None and payload.get("lon") is not None:
            return {"lat": payload["lat"], "lon": payload["lon"], "source": "photo"}
        if payload.get("center"):
            lon, lat = payload["center"]
            return {"lat": lat, "lon": lon, "source": "cell"}
        return None

    def crs(self, payload):
        return self.frame(payload)[1]

    def picture(self, payload, settings):
        """The photo, or a tile of the imagery around a map cell."""
        tiles = (settings or {}).get("tiles_after")
        if payload.get("image_url") or not (tiles and payload.get("center") and payload.get("bbox")):
            return super().picture(payload, settings)
        lon, lat = payload["center"]
        return _tile(tiles, lon, lat, _cell_zoom(payload["bbox"]))

    # --- the typed result ---------------------------------------------------------------------
    def result_fields(self, result):
        return {"features": result["features"]} if "features" in result else {}

    def result_marks(self, result):
        return result.get("features")

    def example(self):
        settings = {"tiles_after": "https://tiles.example.org/{z}/{x}/{y}.png"}
        if self.accepts_photos:
            return {"settings": settings, "payload": {"image_url": "/media/example/drone.jpg", "width": 800,
                                                      "height": 600, "lat": 1.0, "lon": 2.0, "name": "drone.jpg"}}
        cell = {"type": "Polygon", "coordinates": [[[0, 0], [0.01, 0], [0.01, 0.01], [0, 0.01], [0, 0]]]}
        return {"settings": settings, "payload": {"cell": "r1c1", "geometry": cell, "bbox": [0, 0, 0.01, 0.01],
                                                  "center": [0.005, 0.005]}}

    def answer_names(self, settings):
        return {value: str(label) for value, label in self.grades}

    def answer_display(self, value, payload=None):
        return {"marks": value["marks"], "crs": value.get("crs", "lonlat")} \
            if isinstance(value, dict) and "marks" in value else {}

    def result_display(self, result, payload=None):
        return self.result_fields(result)

    def methodology_more(self, settings):
        s = settings or {}
        return ["", f"Marks (points and areas drawn on the map or the photo) are combined by **spatial consensus**: "
                    f"points within 10 m (25 px on photos) of each other are clustered (DBSCAN, a volunteer's own "
                    f"points never linking each other), areas are grouped by overlap (intersection over union of at "
                    f"least 0.3); a mark is kept when at least {s.get('min_support', 2)} volunteers agree on it. "
                    f"Each kept mark has `support` (volunteers behind it) and `agreement` (their share, or the mean "
                    f"overlap of the areas).",
                "", f"Limits: an answer holds at most {marks_mod.MAX_MARKS} marks, "
                    f"{marks_mod.MAX_VERTICES_PER_POLYGON} corners per area and {marks_mod.MAX_VERTICES_PER_ANSWER} "
                    f"corners in all. A task keeps the marks of its answers up to {marks_mod.MAX_VERTICES_PER_TASK} "
                    f"corners ({marks_mod.MAX_MARKS_PER_TASK} marks) in all; the marks of answers beyond that are not "
                    f"kept and take no part in the spatial consensus (neither for nor against a mark), while their "
                    f"grade counts like any other."]

    def export_columns(self, settings):
        return [
            ("cell", "Grid cell (row and column) of a map task", lambda p: p.get("cell", "")),
            ("image_url", "The photo volunteers looked at (photo tasks)", lambda p: p.get("image_url", "")),
            ("longitude", "Centre or photo position, longitude (WGS84)",
             lambda p: p["center"][0] if "center" in p else p.get("lon", "")),
            ("latitude", "Centre or photo position, latitude (WGS84)",
             lambda p: p["center"][1] if "center" in p else p.get("lat", "")),
        ]


def _first_point(value):
    """(x, y) of the first point an answer marked (degrees or pixels, as its crs says), or None."""
    marks = value.get("marks") if isinstance(value, dict) else None
    for feature in (marks or {}).get("features", []) if isinstance(marks, dict) else []:
        geometry = (feature or {}).get("geometry") or {}
        if geometry.get("type") == "Point":
            return tuple(geometry["coordinates"][:2])
    return None


def _tile(template, lon, lat, zoom):
    """The tile under a point, from a tile template (Web Mercator)."""
    return tiles.tile_under(template, lon, lat, zoom)


def _cell_zoom(bbox):
    """A zoom at which one 256 px tile shows about the cell and its surroundings."""
    width = max(abs(bbox[2] - bbox[0]), abs(bbox[3] - bbox[1]) * 1.5, 1e-6)
    return max(2, min(18, int(math.floor(math.log2(360.0 / width))) - 1))


def _kept_size(kept):
    """(marks, corners) of the marks a task keeps (states stored before kept_size was recorded)."""
    sizes = [marks_mod.count(fc) for _who, fc in kept]
    return sum(m for m, _c in sizes), sum(c for _m, c in sizes)


def _json_bytes(value):
    import json
    return json.dumps(value).encode()


def _looks_like_task_list(data):
    head = data[:2000].lstrip() if isinstance(data, bytes) else data[:2000].lstrip().encode()
    return head.startswith(b"[") or b'"tasks"' in head


def _has_shapefile(data):
    import io
    import zipfile
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return any(n.lower().endswith(".shp") for n in zf.namelist())
    except archives.BROKEN:  # the photo reader then says the zip is broken
        return False

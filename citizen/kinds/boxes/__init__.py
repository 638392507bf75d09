"""Boxes: volunteers draw a box around each object of the organiser's classes on an image (faces with their
visibility, damaged roofs, vehicles, animals in camera-trap photos), or say there is none.

A task's payload: {"image_url", "width", "height", "name"?, "alt"?} (photos uploaded one by one or in a ZIP, as
the photo kinds take them, or URLs with their size in pixels in a CSV or JSON list).

An answer value: {"boxes": [{"x", "y", "w", "h", "class", "attributes": {name: value}}]}. x and y are the box's
top-left corner and w, h its width and height, all as FRACTIONS of the image's width and height (0..1, y
downwards): they do not depend on the size the image was shown at, and a box's pixels are x * width etc.
`{"boxes": []}` is the answer "none here". At most MAX_BOXES boxes. The consensus (boxes.consensus) runs over
the counted answers each time one comes, on at most MAX_BOXES_PER_TASK boxes a task.
"""
import json
import math

from scipy.optimize import linear_sum_assignment

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from citizen.errors import InvalidInput
from citizen.ingest import photos
from citizen.kinds import Kind, RowError, _oversized, clean_image_url, invalid
from citizen.kinds.boxes import coco_in
from citizen.kinds.boxes import consensus as box_consensus
from citizen.kinds.boxes import files, settings as box_settings

MAX_BOXES = 200            # boxes in one answer
MAX_BOXES_PER_TASK = 1000  # boxes a task keeps for its consensus (answers beyond are kept, not counted in it)
MIN_SIZE = 0.001           # a box's width and height, as a fraction of the image's (2 px on a 2048 px photo)
REVIEW_BELOW = 0.6         # an agreed object's class share below which its task goes to moderators
DIGITS = 5                 # decimals kept of a fraction (a fiftieth of a pixel on a 2048 px photo)
BOX_KEYS = frozenset({"x", "y", "w", "h", "class", "attributes"})
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".zip")


class BoxesKind(Kind):
    id = "boxes"
    label = _l("Boxes on images (draw a box around each object, with its class)")
    script = "boxes.js"
    styles = ("boxes.css",)
    media_fields = ("image_url",)
    media_columns = {"image_url": True}
    alt_field = "alt"
    consensus = ("boxes",)
    import_help = _l("Upload photos (JPEG, PNG or WebP, or a ZIP of them), or a CSV or JSON list with image_url, "
                     "width and height (the image's size in pixels) and optionally alt. Each image is a task.")

    # --- settings -----------------------------------------------------------------------------
    def default_settings(self):
        return {"question": "", "classes": [], "attributes": [], "iou": 0.5}

    def settings_from_form(self, form):
        return {k: form.get(k, "") for k in ("question", "classes", "attributes", "iou")}

    def clean_settings(self, raw):
        out, errors = box_settings.clean(raw)
        if errors:
            raise InvalidInput(errors[0]["message"], details=errors)
        return out

    # --- tasks --------------------------------------------------------------------------------
    def tasks_from_upload(self, filename, data, settings, media):
        if (filename or "").lower().endswith(PHOTO_SUFFIXES):
            try:
                found = photos.photo_tasks(filename, data, media)
            except photos.PhotoError as exc:
                raise RowError(1, str(exc)) from None
            for _line, _name, payload in found[0]:  # a photo's GPS position is no business of a box
                payload.pop("lat", None)
                payload.pop("lon", None)
            return found
        return super().tasks_from_upload(filename, data, settings, media)

    def clean_task(self, payload, settings):
        unknown = set(payload) - {"image_url", "width", "height", "alt", "name"}
        if unknown:
            raise ValueError(_("unknown field(s): %(fields)s", fields=", ".join(sorted(unknown))))
        out = {"image_url": clean_image_url(payload.get("image_url"))}
        if not out["image_url"]:
            raise ValueError(_("a task needs an image_url with its width and height in pixels"))
        for key in ("width", "height"):
            try:
                out[key] = int(payload.get(key))
            except (TypeError, ValueError):
                raise ValueError(_("a task needs an image_url with its width and height in pixels")) from None
            if not 1 <= out[key] <= 20000:
                raise ValueError(_("a task needs an image_url with its width and height in pixels"))
        for key in ("alt", "name"):
            if payload.get(key):
                out[key] = str(payload[key]).strip()[:300]
        return out

    def task_json(self, payload, settings):
        out = {k: payload[k] for k in ("image_url", "width", "height", "alt") if k in payload}
        out["mode"] = "photo"  # a photo in pixels, as the moderators' viewer draws it
        out["question"] = settings.get("question") or str(_("Draw a box around each object you see."))
        out["classes"] = [{k: c[k] for k in ("value", "name", "colour", "key", "help", "example") if k in c}
                          for c in settings.get("classes") or []]
        out["attributes"] = settings.get("attributes") or []
        return out

    # --- answers ------------------------------------------------------------------------------
    def check_limits(self, value, settings):
        boxes = value.get("boxes") if isinstance(value, dict) else value
        if not isinstance(boxes, list):
            raise invalid(_('Send {"boxes": [...]}: the boxes you drew, or an empty list when there is none.'),
                          "boxes")
        if len(boxes) > MAX_BOXES:
            raise invalid(_("At most %(n)d boxes on one image.", n=MAX_BOXES), "boxes")
        if _oversized(value, 100, [MAX_BOXES * 40 + 10]):
            raise invalid(_("This answer is larger than any answer here can be."), "boxes")

    def clean_answer(self, value, payload, settings):
        self.check_limits(value, settings)
        boxes = value.get("boxes") if isinstance(value, dict) else value
        if isinstance(value, dict) and set(value) - {"boxes"}:
            raise invalid(_('Send {"boxes": [...]}: the boxes you drew, or an empty list when there is none.'),
                          "boxes")
        classes = {c["value"] for c in settings.get("classes") or []}
        attributes = {a["name"]: {v["value"] for v in a["values"]} for a in settings.get("attributes") or []}
        return {"boxes": [_clean_box(box, i + 1, classes, attributes) for i, box in enumerate(boxes)]}

    def answer_schema(self, settings=None):
        number = {"type": "number", "minimum": 0, "maximum": 1}
        klass = {"type": "string", "maxLength": 40, "description": "the value of one of the campaign's classes"}
        attrs = {"type": "object", "maxProperties": box_settings.MAX_ATTRIBUTES,
                 "additionalProperties": {"type": "string", "maxLength": 40},
                 "description": "attribute name -> one of its values"}
        if settings and settings.get("classes"):
            klass["enum"] = [c["value"] for c in settings["classes"]]
        if settings and settings.get("attributes"):
            attrs["properties"] = {a["name"]: {"enum": [v["value"] for v in a["values"]]}
                                   for a in settings["attributes"]}
            attrs["additionalProperties"] = False
        box = {"type": "object", "required": ["x", "y", "w", "h", "class"], "additionalProperties": False,
               "properties": {"x": {**number, "description": "left edge, fraction of the image's width"},
                              "y": {**number, "description": "top edge, fraction of the image's height"},
                              "w": {**number, "exclusiveMinimum": 0, "description": "width, fraction of the image's"},
                              "h": {**number, "exclusiveMinimum": 0, "description": "height, fraction of the "
                                                                                    "image's"},
                              "class": klass, "attributes": attrs}}
        boxes = {"type": "array", "maxItems": MAX_BOXES, "items": box}
        return {"description": f"boxes: the boxes drawn on the image, coordinates as fractions (0..1) of its width "
                               f"and height from its top-left corner; x + w and y + h at most 1; an empty list means "
                               f"'none here'; at most {MAX_BOXES} boxes",
                "anyOf": [{"type": "object", "required": ["boxes"], "additionalProperties": False,
                           "properties": {"boxes": boxes}}, boxes]}

    def task_schema(self):
        text = {"type": "string"}
        return {"question": text, "mode": {"const": "photo"}, "image_url": text, "alt": text, "width": {"type": "integer"},
                "height": {"type": "integer"},
                "classes": {"type": "array", "items": {"type": "object"},
                            "description": "the classes to box: value, name, colour, key, help"},
                "attributes": {"type": "array", "items": {"type": "object"},
                               "description": "attributes of each box: name, label, values [{value, label}]"}}

    # --- known answers for training ----------------------------------------------------------
    def clean_known(self, known, payload, settings):
        """The boxes an organiser drew or wrote for a training image: the answer format (JSON text accepted)."""
        if isinstance(known, str):
            try:
                known = json.loads(known)
            except (ValueError, RecursionError):
                raise ValueError(_('Give the known boxes as JSON: {"boxes": [{"x": 0.1, "y": 0.2, "w": 0.3, '
                                   '"h": 0.4, "class": "..."}]}, or {"boxes": []} for none.')) from None
        try:
            return self.clean_answer(known, payload, settings)
        except InvalidInput as exc:
            raise ValueError(exc.message) from None

    def clean_gold(self, gold, settings):
        """A known answer in an import's gold column (known-answer boxes): the boxes as JSON, as for training."""
        return self.clean_known(gold, None, settings)

    def known_matches(self, value, known, settings):
        """Every known box found by a drawn box of the same class overlapping it by at least the campaign's IoU
        (0.5 by default), one to one, and no drawn box left over."""
        drawn, wanted = value.get("boxes") or [], known.get("boxes") or []
        if len(drawn) != len(wanted):
            return False
        if not wanted:
            return True
        ious = box_consensus.iou_matrix([_corners(b) for b in drawn], [_corners(b) for b in wanted])
        rows, cols = linear_sum_assignment(-ious)
        least = float((settings or {}).get("iou") or 0.5)
        return all(ious[r, c] >= least and drawn[r]["class"] == wanted[c]["class"] for r, c in zip(rows, cols))

    def prediction_rows(self, filename, text, tasks, settings, model=None):
        """A detector's COCO output (citizen.kinds.boxes.coco_in)."""
        doc = coco_in.parse(text) if text.lstrip()[:1] in ("{", "[") else None
        if not coco_in.looks_like_coco(doc):
            return None
        return coco_in.rows(doc, tasks, settings or {}, model)

    def compare_known(self, value, known, settings):
        """{tp, fp, fn, iou}: a model's boxes (`known`) against the crowd's (`value`), matched one to one by overlap
        (at least the campaign's IoU) and class; iou sums the matched pairs' overlap."""
        crowd, model = value.get("boxes") or [], (known or {}).get("boxes") or []
        tp, iou = 0, 0.0
        if crowd and model:
            ious = box_consensus.iou_matrix([_corners(b) for b in model], [_corners(b) for b in crowd])
            rows, cols = linear_sum_assignment(-ious)
            least = float((settings or {}).get("iou") or 0.5)
            for r, c in zip(rows, cols):
                if ious[r, c] >= least and model[r]["class"] == crowd[c]["class"]:
                    tp, iou = tp + 1, iou + float(ious[r, c])
        return {"tp": tp, "fp": len(model) - tp, "fn": len(crowd) - tp, "iou": iou}

    def known_text(self, known, settings):
        boxes = known.get("boxes") if isinstance(known, dict) else None
        if not boxes:
            return str(_("none here"))
        names = {c["value"]: c.get("name") or c["value"] for c in (settings or {}).get("classes") or []}
        return _summary([{**b, "class": names.get(b.get("class"), b.get("class"))} for b in boxes])

    # --- aggregation --------------------------------------------------------------------------
    def add_to_consensus(self, state, value, weight=1.0):
        """Count the answer and keep its boxes (compact, with the weight it carries) for the consensus, within the
        task's budget. "z" counts the answers of weight 0, "unkept" those whose boxes went past the budget."""
        n = state.get("n", 0) + 1
        new = {"n": n, "a": list(state.get("a", [])), "kept": state.get("kept", 0)}
        for key in ("z", "unkept"):
            if key in state:
                new[key] = state[key]
        boxes = value.get("boxes") or []
        if weight <= 0:
            new["z"] = new.get("z", 0) + 1
        elif new["kept"] + len(boxes) > MAX_BOXES_PER_TASK:
            new["unkept"] = new.get("unkept", 0) + 1
        else:
            new["kept"] += len(boxes)
            new["a"].append([n, round(float(weight), 4), [[b["x"], b["y"], b["w"], b["h"], b["class"],
                                                           b.get("attributes") or {}] for b in boxes]])
        return new

    def result(self, state, settings=None):
        s = settings or {}
        objects = box_consensus.consensus_boxes([(who, weight, boxes) for who, weight, boxes in state.get("a", [])],
                                                min_iou=float(s.get("iou") or 0.5), digits=DIGITS)
        counted = len(state.get("a", []))
        sure = [o for o in objects if not o["uncertain"]]
        agreement = round(sum(o["agreement"] for o in sure) / len(sure), 4) if sure else None
        return {"answer": {"boxes": [{k: o[k] for k in ("x", "y", "w", "h", "class", "attributes")} for o in sure]},
                "count": counted, "share": agreement if agreement is not None else 0.0, "answers": state.get("n", 0),
                "tied": False, "objects": objects, "voters": counted, "uncertain": len(objects) - len(sure),
                # for moderators once all answers are in: objects seen by too few, or classes split
                "needs_review": bool(len(sure) < len(objects) or any(o["class_share"] < REVIEW_BELOW for o in sure))}

    def result_fields(self, result):
        return {k: result[k] for k in ("objects", "voters", "uncertain", "needs_review") if k in result}

    def verdict(self, result, answered):
        return "box consensus", bool(answered) and result.get("voters", 0) >= box_consensus.MIN_SUPPORT \
            and not result.get("uncertain")

    def disputed(self, result):
        return bool(result.get("uncertain"))

    def answer_display(self, value, payload=None):
        """A volunteer's boxes as the moderators' photo viewer draws marks: polygons in the photo's pixels."""
        boxes = value.get("boxes") if isinstance(value, dict) else None
        if not isinstance(boxes, list):
            return {}
        return {"label": _summary(boxes) if boxes else str(_("none here")), "crs": "pixel",
                "marks": _as_marks(boxes, payload)}

    def result_display(self, result, payload=None):
        """The consensus boxes (certain ones) drawn over the volunteers', and every object found with its support."""
        objects = result.get("objects") or []
        sure = [o for o in objects if not o["uncertain"]]
        summary = _summary(sure) if sure else str(_("none here"))
        if result.get("uncertain"):
            summary += " · " + str(_("%(n)d uncertain", n=result["uncertain"]))
        return {"answer": summary, "objects": objects, "uncertain": result.get("uncertain", 0),
                "features": _as_marks([o for o in objects if not o["uncertain"]], payload)}

    reviewable = True  # moderators adjust, delete or add agreed boxes in the work page's own editor

    def example(self):
        return {"settings": {"classes": ["Face"]},
                "payload": {"image_url": "/media/example/frame.jpg", "width": 800, "height": 600, "alt": "A frame"}}

    # --- the methodology note -----------------------------------------------------------------
    def methodology_collection(self, settings, redundancy):
        s = settings or {}
        classes = ", ".join(f"`{c['value']}` ({c['name']})" for c in s.get("classes") or [])
        attributes = "; ".join(f"`{a['name']}`: " + ", ".join(f"`{v['value']}`" for v in a["values"])
                               for a in s.get("attributes") or [])
        return [f"- Each image is shown to **{redundancy}** volunteers, who draw a box around each object of the "
                f"classes {classes}" + (f", setting its attributes ({attributes})" if attributes else "") +
                f", or answer that there is none. Coordinates are fractions of the image's width and height from "
                f"its top-left corner. An answer holds at most {MAX_BOXES} boxes; an image keeps the boxes of its "
                f"answers up to {MAX_BOXES_PER_TASK} in all (answers beyond take no part in its consensus)."]

    def methodology_consensus(self, settings):
        iou = (settings or {}).get("iou") or 0.5
        return [f"Boxes from different volunteers are matched into objects by their overlap (intersection over "
                f"union of at least {iou}; an optimal assignment per volunteer, so one volunteer counts once per "
                f"object). An object's box is the weighted median of its boxes' edges; its `support` is the number "
                f"of volunteers who drew it, `agreement` the mean overlap of their boxes with it. Its class and "
                f"attributes are weighted votes. Each answer carries the weight the quality controls give it (0 for "
                f"answers that came too fast, suspended volunteers and a second account on one device). An object "
                f"drawn by fewer than 2 volunteers, or by less than half of the image's volunteers (by weight), is "
                f"`uncertain`: it is in the COCO file with `uncertain: true`, and not in `answer`."]

    # --- exports ------------------------------------------------------------------------------
    def export_columns(self, settings):
        return [("image_url", "The image volunteers looked at", lambda p: p.get("image_url", "")),
                ("width", "The image's width in pixels", lambda p: p.get("width", "")),
                ("height", "The image's height in pixels", lambda p: p.get("height", "")),
                ("file_name", "The image's file name as uploaded", lambda p: p.get("name", ""))]

    def export_files(self, settings):
        return files.FILES

    def write_export_file(self, name, settings, rows):
        return files.write(name, settings or {}, rows)


def _number(box, key, line):
    value = box.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise invalid(_("Box %(n)d: %(key)s must be a number from 0 to 1.", n=line, key=key), "boxes")
    return float(value)


def _clean_box(box, line, classes, attributes):
    if not isinstance(box, dict) or set(box) - BOX_KEYS:
        raise invalid(_("Box %(n)d: give x, y, w, h, class and optionally attributes.", n=line), "boxes")
    x, y, w, h = (_number(box, k, line) for k in ("x", "y", "w", "h"))
    if not (0 <= x <= 1 and 0 <= y <= 1 and MIN_SIZE <= w <= 1 and MIN_SIZE <= h <= 1
            and x + w <= 1 + 1e-6 and y + h <= 1 + 1e-6):
        raise invalid(_("Box %(n)d is not inside the image (x, y, w and h are fractions of its size, from 0 to 1).",
                        n=line), "boxes")
    if not isinstance(box.get("class"), str) or box["class"] not in classes:
        raise invalid(_("Box %(n)d: choose one of the classes: %(classes)s", n=line,
                        classes=", ".join(sorted(classes))), "boxes")
    given = box.get("attributes", {})
    if not isinstance(given, dict):
        raise invalid(_("Box %(n)d: attributes must be an object of name: value.", n=line), "boxes")
    clean = {}
    for name, value in given.items():
        if name not in attributes or not isinstance(value, str) or value not in attributes[name]:
            raise invalid(_("Box %(n)d: %(name)s is not an attribute of this campaign, or not one of its values.",
                            n=line, name=str(name)[:40]), "boxes")
        clean[name] = value
    x, y = round(x, DIGITS), round(y, DIGITS)
    return {"x": x, "y": y, "w": round(min(w, 1 - x), DIGITS), "h": round(min(h, 1 - y), DIGITS),
            "class": box["class"], "attributes": clean}


def _corners(box):
    return [box["x"], box["y"], box["x"] + box["w"], box["y"] + box["h"]]


def _as_marks(boxes, payload):
    """Boxes as a GeoJSON FeatureCollection of rectangles in the photo's pixels (y downwards)."""
    width, height = (payload or {}).get("width") or 1, (payload or {}).get("height") or 1
    features = []
    for b in boxes:
        if not isinstance(b, dict) or not all(isinstance(b.get(k), (int, float)) for k in ("x", "y", "w", "h")):
            continue
        x1, y1 = round(b["x"] * width, 1), round(b["y"] * height, 1)
        x2, y2 = round((b["x"] + b["w"]) * width, 1), round((b["y"] + b["h"]) * height, 1)
        features.append({"type": "Feature", "properties": {"class": b.get("class")}, "geometry": {
            "type": "Polygon", "coordinates": [[[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]]]}})
    return {"type": "FeatureCollection", "features": features}


def _summary(boxes):
    counts = {}
    for b in boxes:
        counts[b.get("class")] = counts.get(b.get("class"), 0) + 1
    return ", ".join(f"{name} ×{n}" for name, n in counts.items())

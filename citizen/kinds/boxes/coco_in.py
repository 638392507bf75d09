"""A detector's output in the COCO format as predictions for a boxes campaign (citizen.predictions): the format
detection models write (a results list of {image_id, category_id, bbox, score}, or a whole COCO document with its
images, categories and annotations).

- Images are matched to tasks by their file name: the task's reference (external_id), the photo's name, or the last
  part of its address. An image of the document with no box is the prediction "none here". A bare results list
  (no images) names tasks by id: image_id is the task's id, as the campaign's boxes-coco.json numbers its images.
- bbox is [x, y, width, height] in pixels of the image (the COCO image's width and height, else the task's), turned
  into the answer's fractions; a category is matched to a class by its name (the class's value or name).
- A task's confidence is its least sure box's score (where one box is doubtful, a person should look); an image
  with no box takes the document's `score` for it if it gives one, else 0.5: a detector rarely says how sure it is
  that nothing is there.
- The model's version is the document's info.version, unless the request names one.
Rows come out as the generic import takes them ({task_id, model, answer, confidence}), each with the line of its image
in the document; the kind's own checks (clean_known) then apply to every answer."""
import json
import math
import posixpath

from flask_babel import gettext as _

MAX_IMAGES = 50000


def _name(payload, external_id):
    names = {external_id, payload.get("name")}
    if payload.get("image_url"):
        names.add(posixpath.basename(str(payload["image_url"]).split("?")[0]))
    return {n for n in names if n}


def looks_like_coco(doc):
    if isinstance(doc, dict):
        return isinstance(doc.get("annotations"), list) and isinstance(doc.get("images"), list)
    return isinstance(doc, list) and bool(doc) and all(isinstance(a, dict) and "bbox" in a and "image_id" in a
                                                        for a in doc[:50])


def rows(doc, tasks, settings, model=None):
    """[(line, row)] for the generic predictions import, from a parsed COCO document; `tasks` is [(task_id,
    external_id, payload)]. Raises ValueError with a message for the organiser."""
    if isinstance(doc, list):
        doc = {"annotations": doc, "images": []}
    images = {img.get("id"): img for img in doc.get("images") or [] if isinstance(img, dict)}
    if len(images) > MAX_IMAGES:
        raise ValueError(_("At most %(n)d images in one file.", n=MAX_IMAGES))
    model = model or str(((doc.get("info") or {}) if isinstance(doc.get("info"), dict) else {}).get("version") or "")
    if not model:
        raise ValueError(_("Name the model's version: info.version in the COCO document, or ?model= in the address."))
    by_name = {}
    for task_id, external_id, payload in tasks:
        for name in _name(payload or {}, external_id):
            by_name.setdefault(name, (task_id, payload or {}))
    classes = {}
    for c in settings.get("classes") or []:
        classes[c["value"]] = classes[str(c.get("name") or c["value"])] = c["value"]
    categories = {cat.get("id"): classes.get(str(cat.get("name"))) for cat in doc.get("categories") or []
                  if isinstance(cat, dict)}
    found, errors = {}, []
    if not images:  # a results list: image_id is the task's id, as boxes-coco.json numbers its images
        by_id = {task_id: payload or {} for task_id, _external_id, payload in tasks}
        for line, a in enumerate(doc.get("annotations") or [], 1):
            image_id = a.get("image_id") if isinstance(a, dict) else None
            if image_id in by_id and image_id not in found:
                found[image_id] = {"line": line, "task": (image_id, by_id[image_id]), "image": {}, "boxes": [],
                                   "scores": []}
    for line, image in enumerate(images.values(), 1):  # every image listed: "none here" unless boxes follow
        match = by_name.get(str(image.get("file_name") or ""))
        if match is None:
            errors.append({"line": line, "message": _("image %(name)s is no task of this campaign",
                                                      name=str(image.get("file_name"))[:100])})
            continue
        found[image.get("id")] = {"line": line, "task": match, "image": image, "boxes": [], "scores": []}
    for n, a in enumerate(doc.get("annotations") or [], 1):
        if len(errors) >= 20:
            break
        entry = found.get(a.get("image_id")) if isinstance(a, dict) else None
        if entry is None:
            if isinstance(a, dict) and a.get("image_id") in images:
                continue  # its image was reported already
            errors.append({"line": n, "message": _("annotation %(n)d names no image of the file", n=n)})
            continue
        image, payload = entry["image"], entry["task"][1]
        width, height = image.get("width") or payload.get("width"), image.get("height") or payload.get("height")
        bbox, score = a.get("bbox"), a.get("score", 1.0)
        klass = classes.get(str(a.get("category_name"))) or categories.get(a.get("category_id"))
        if not (isinstance(bbox, list) and len(bbox) == 4 and all(isinstance(v, (int, float)) and math.isfinite(v)
                                                                  for v in bbox) and width and height):
            errors.append({"line": n, "message": _("annotation %(n)d: bbox must be [x, y, width, height] in pixels",
                                                   n=n)})
        elif klass is None:
            errors.append({"line": n, "message": _("annotation %(n)d: its category is none of the campaign's classes",
                                                   n=n)})
        else:
            x, y, w, h = bbox
            entry["boxes"].append({"x": max(0.0, x / width), "y": max(0.0, y / height),
                                   "w": min(w / width, 1 - max(0.0, x / width)),
                                   "h": min(h / height, 1 - max(0.0, y / height)), "class": klass})
            entry["scores"].append(score)
    if errors:
        return None, errors
    out = []
    for entry in found.values():
        scores = [s for s in entry["scores"] if isinstance(s, (int, float))]
        confidence = min(scores) if scores else entry["image"].get("score", 0.5)
        out.append((entry["line"], {"task_id": entry["task"][0], "model": model, "confidence": confidence,
                                    "answer": {"boxes": entry["boxes"]}}))
    return out, []


def parse(text):
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None

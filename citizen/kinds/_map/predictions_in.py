"""A model's output as GeoJSON for the map kinds (citizen.predictions): what a damage classifier or a deforestation
alert system writes, a FeatureCollection whose features say, for a task, its grade and what the model marked.

Each feature's properties: the task (`task_id`, `external_id`, or `cell`, the grid cell's name), `answer` (the
grade, one of the campaign's), `confidence` (0 to 1) and optionally `model`. Features of one task make one
prediction: their geometries (points and polygons, in the task's coordinates) are its marks; a feature without a
geometry gives the grade alone. The task's confidence is its least sure feature's; the grade is the first given.
The model's version is a feature's `model`, the collection's `model`, or the request's ?model=."""
import json
import math

from flask_babel import gettext as _

MAX_FEATURES = 200000


def parse(text):
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return doc if isinstance(doc, dict) and doc.get("type") == "FeatureCollection" else None


def rows(doc, tasks, model=None):
    """([(line, row)], errors) for the generic predictions import; `tasks` is [(task_id, external_id, payload)]."""
    features = doc.get("features")
    if not isinstance(features, list) or len(features) > MAX_FEATURES:
        return None, [{"line": 1, "message": _("features must be a list of at most %(n)d features",
                                               n=MAX_FEATURES)}]
    by_ref = {}
    for task_id, external_id, payload in tasks:
        by_ref[("task_id", task_id)] = task_id
        if external_id:
            by_ref[("external_id", external_id)] = task_id
        if (payload or {}).get("cell"):
            by_ref[("cell", payload["cell"])] = task_id
    default_model = model or (str(doc.get("model")) if doc.get("model") else None)
    found, errors = {}, []
    for n, feature in enumerate(features, 1):
        if len(errors) >= 20:
            break
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            errors.append({"line": n, "message": _("feature %(n)d has no properties", n=n)})
            continue
        task_id = next((by_ref[(k, props[k])] for k in ("task_id", "external_id", "cell")
                        if k in props and (k, props[k]) in by_ref), None)
        confidence = props.get("confidence")
        version = str(props.get("model") or default_model or "").strip()
        if task_id is None:
            errors.append({"line": n, "message": _("feature %(n)d names no task of this campaign (task_id, "
                                                   "external_id or cell)", n=n)})
        elif not isinstance(confidence, (int, float)) or not math.isfinite(confidence) or not 0 <= confidence <= 1:
            errors.append({"line": n, "message": _("feature %(n)d: confidence must be a number from 0 to 1", n=n)})
        elif not version:
            errors.append({"line": n, "message": _("feature %(n)d: name the model's version (model)", n=n)})
        else:
            entry = found.setdefault((task_id, version), {"line": n, "answer": props.get("answer"),
                                                          "confidence": confidence, "marks": []})
            entry["confidence"] = min(entry["confidence"], confidence)
            if entry["answer"] is None:
                entry["answer"] = props.get("answer")
            if feature.get("geometry"):
                entry["marks"].append({"type": "Feature", "properties": {}, "geometry": feature["geometry"]})
    if errors:
        return None, errors
    return [(e["line"], {"task_id": task_id, "model": version, "confidence": e["confidence"],
                         "answer": {"answer": e["answer"],
                                    "marks": {"type": "FeatureCollection", "features": e["marks"]}}})
            for (task_id, version), e in found.items()], []

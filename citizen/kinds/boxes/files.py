"""The boxes kind's own open data files: boxes-coco.json (COCO object detection) and boxes.csv (one row per box).

Both are written as they are read: `rows()` yields, per task in task order, (values, result): the task's row of
results.csv as the exports made it (task_id, external_id, image_url with the public's media rules applied, width,
height, file_name, override) and its stored result. COCO lists every image before any annotation, so rows() is
read twice rather than holding a campaign's boxes in memory.

Boxes are the consensus objects, uncertain ones included (marked so): a moderator's decision, where there is one,
replaces them (its boxes carry `"source": "moderator"`). COCO's bbox is [x, y, width, height] in pixels.
"""
import csv
import io
import json

from citizen.spreadsheet import safe_row

COCO, CSV = "boxes-coco.json", "boxes.csv"
FILES = [
    (COCO, "Boxes in the COCO object-detection format (images, categories, annotations): one annotation per "
           "consensus box, in pixels, with its support, agreement, class share, attributes and whether it is "
           "uncertain in `attributes`.", "application/json", "json"),
    (CSV, "One row per consensus box: the image, its class, its position as fractions of the image and in pixels, "
          "support, weight, agreement, class share, uncertain, and one column per attribute.", "text/csv", "csv"),
]
FLUSH = 256 * 1024


def _boxes(values, result):
    """The boxes of one task: a moderator's, else the consensus objects."""
    override = values.get("override")
    if isinstance(override, dict) and isinstance(override.get("boxes"), list):
        return [{**b, "source": "moderator"} for b in override["boxes"] if isinstance(b, dict)]
    return list((result or {}).get("objects") or [])


def _pixels(box, values):
    width, height = values.get("width") or 0, values.get("height") or 0
    return [round(box["x"] * width, 1), round(box["y"] * height, 1), round(box["w"] * width, 1),
            round(box["h"] * height, 1)]


def write(name, settings, rows):
    if name == COCO:
        return _coco(settings, rows)
    if name == CSV:
        return _csv(settings, rows)
    raise KeyError(name)


def _coco(settings, rows):
    classes = settings.get("classes") or []
    category = {c["value"]: i + 1 for i, c in enumerate(classes)}
    head = {"info": {"description": "citizen: consensus boxes", "version": "1.0"}, "licenses": [],
            "categories": [{"id": category[c["value"]], "name": c["value"], "supercategory": "",
                            "display_name": c["name"]} for c in classes]}
    yield (json.dumps(head, ensure_ascii=False)[:-1] + ', "images": [').encode()
    buf, first = [], True
    for values, _result in rows():
        image = {"id": values["task_id"], "file_name": values.get("file_name") or values.get("external_id") or "",
                 "width": values.get("width") or 0, "height": values.get("height") or 0,
                 "coco_url": values.get("image_url") or ""}
        buf.append(("" if first else ",") + json.dumps(image, ensure_ascii=False))
        first = False
        if sum(map(len, buf)) > FLUSH:
            yield "".join(buf).encode()
            buf = []
    buf.append('], "annotations": [')
    n = 0
    for values, result in rows():
        for box in _boxes(values, result):
            if box.get("class") not in category:
                continue
            n += 1
            bbox = _pixels(box, values)
            extra = {k: box[k] for k in ("support", "weight", "agreement", "class_share", "uncertain", "source")
                     if k in box}
            annotation = {"id": n, "image_id": values["task_id"], "category_id": category[box["class"]],
                          "bbox": bbox, "area": round(bbox[2] * bbox[3], 1), "iscrowd": 0,
                          "attributes": {**(box.get("attributes") or {}), **extra}}
            buf.append(("" if n == 1 else ",") + json.dumps(annotation, ensure_ascii=False))
        if sum(map(len, buf)) > FLUSH:
            yield "".join(buf).encode()
            buf = []
    buf.append("]}")
    yield "".join(buf).encode()


def _csv(settings, rows):
    names = [a["name"] for a in settings.get("attributes") or []]
    header = ["task_id", "external_id", "image_url", "box", "class", "x", "y", "w", "h", "x_px", "y_px", "w_px",
              "h_px", "support", "weight", "agreement", "class_share", "uncertain", "source"] + \
             [f"attribute_{n}" for n in names]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for values, result in rows():
        for i, box in enumerate(_boxes(values, result)):
            flags = ["true" if box.get("uncertain") else "false" if "uncertain" in box else ""]
            writer.writerow(safe_row([values["task_id"], values.get("external_id") or "", values.get("image_url") or "",
                                      i + 1, box.get("class"), box["x"], box["y"], box["w"], box["h"],
                                      *_pixels(box, values), box.get("support", ""), box.get("weight", ""),
                                      box.get("agreement", ""), box.get("class_share", ""), *flags,
                                      box.get("source", "consensus")]
                                     + [(box.get("attributes") or {}).get(n, "") for n in names]))
        if out.tell() > FLUSH:
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode()

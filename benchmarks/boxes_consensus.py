"""How good is the boxes kind's consensus? Synthetic noisy volunteers drawn from a known truth.

No public image-box set with several annotators per image ships in a package this project can install (the package
lists were searched: annotation tools and format converters, no crowd data), so the truth and the volunteers are
generated, from a seed:

- images with 0-8 objects each (boxes of 2-30 % of the image's side, three classes, a `visibility` attribute);
- a pool of volunteers, each image drawn by `--voters` of them: honest volunteers jitter each edge (normal, 5 % of
  the box's size, some sloppier), miss an object (12 %), add a false box (20 % per image), pick the wrong class
  (10 %) and attribute (15 %); spammers (`--spam`, 10 % of the pool) draw 0-4 random boxes of random classes.

Measured against the truth (a match: IoU >= 0.5, one truth box per predicted box, optimal assignment): precision,
recall, F1 and mean IoU of the matched boxes, and the share of matched boxes with the right class and attribute, for
- consensus: citizen.kinds.boxes.consensus (certain objects only, as `answer` holds them), all weights 1;
- consensus + uncertain: every object it found;
- best volunteer: the honest volunteer with the best F1 over the images they drew, told by the truth (an oracle:
  no one can pick them so in practice);
- union: every box of every volunteer.

    python -m benchmarks.boxes_consensus [--images 400] [--voters 5] [--seed 1]

The last line printed is JSON.
"""
import argparse
import json
import time

import numpy as np
from scipy.optimize import linear_sum_assignment

from citizen.kinds.boxes.consensus import consensus_boxes, iou_matrix

CLASSES = ("roof", "car", "person")
VISIBILITY = ("full", "partly-hidden", "turned-away", "too-small")


def truth_images(rng, n):
    images = []
    for _ in range(n):
        boxes = []
        for _k in range(int(rng.integers(0, 9))):
            w, h = rng.uniform(0.02, 0.3, 2)
            x, y = rng.uniform(0, 1 - w), rng.uniform(0, 1 - h)
            boxes.append([x, y, w, h, str(rng.choice(CLASSES)), {"visibility": str(rng.choice(VISIBILITY))}])
        images.append(boxes)
    return images


def clip(x, y, w, h):
    x1, y1 = min(max(x, 0.0), 0.999), min(max(y, 0.0), 0.999)
    x2, y2 = min(max(x + w, x1 + 0.001), 1.0), min(max(y + h, y1 + 0.001), 1.0)
    return [x1, y1, x2 - x1, y2 - y1]


def random_box(rng):
    w, h = rng.uniform(0.02, 0.3, 2)
    return clip(rng.uniform(0, 1 - w), rng.uniform(0, 1 - h), w, h) + [
        str(rng.choice(CLASSES)), {"visibility": str(rng.choice(VISIBILITY))}]


def draw(rng, truth, volunteer):
    if volunteer["spammer"]:
        return [random_box(rng) for _ in range(int(rng.integers(0, 5)))]
    out, jitter = [], volunteer["jitter"]
    for x, y, w, h, cls, attrs in truth:
        if rng.random() < volunteer["miss"]:
            continue
        dx1, dx2 = rng.normal(0, jitter * w, 2)
        dy1, dy2 = rng.normal(0, jitter * h, 2)
        cls = str(rng.choice([c for c in CLASSES if c != cls])) if rng.random() < 0.10 else cls
        vis = attrs["visibility"]
        if rng.random() < 0.15:
            vis = str(rng.choice([v for v in VISIBILITY if v != vis]))
        out.append(clip(x + dx1, y + dy1, w + dx2 - dx1, h + dy2 - dy1) + [cls, {"visibility": vis}])
    if rng.random() < volunteer["false"]:
        out.append(random_box(rng))
    rng.shuffle(out)
    return out


def volunteers(rng, n, spam):
    pool = []
    for i in range(n):
        pool.append({"id": f"v{i}", "spammer": rng.random() < spam, "jitter": float(rng.uniform(0.03, 0.08)),
                     "miss": float(rng.uniform(0.05, 0.2)), "false": float(rng.uniform(0.1, 0.3))})
    return pool


class Score:
    def __init__(self):
        self.tp = self.fp = self.fn = 0
        self.ious, self.cls, self.attr = [], [], []

    def add(self, predicted, truth):
        if predicted and truth:
            corners = lambda bs: [[b[0], b[1], b[0] + b[2], b[1] + b[3]] for b in bs]  # noqa: E731
            ious = iou_matrix(corners(predicted), corners(truth))
            rows, cols = linear_sum_assignment(-ious)
            pairs = [(r, c) for r, c in zip(rows, cols) if ious[r, c] >= 0.5]
        else:
            pairs = []
        self.tp += len(pairs)
        self.fp += len(predicted) - len(pairs)
        self.fn += len(truth) - len(pairs)
        for r, c in pairs:
            self.ious.append(float(ious[r, c]))
            self.cls.append(predicted[r][4] == truth[c][4])
            self.attr.append((predicted[r][5] or {}).get("visibility") == truth[c][5]["visibility"])

    def figures(self):
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        mean = lambda xs: round(float(np.mean(xs)), 4) if xs else None  # noqa: E731
        return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
                "mean_iou": mean(self.ious), "class_right": mean(self.cls), "attribute_right": mean(self.attr)}


def as_list(objects):
    return [[o["x"], o["y"], o["w"], o["h"], o["class"], o["attributes"]] for o in objects]


def run(images=400, voters=5, pool=40, spam=0.1, seed=1):
    rng = np.random.default_rng(seed)
    truth = truth_images(rng, images)
    people = volunteers(rng, pool, spam)
    scores = {name: Score() for name in ("consensus", "consensus_with_uncertain", "union")}
    per_volunteer = {p["id"]: Score() for p in people}
    started, objects_total = time.perf_counter(), 0
    consensus_seconds = 0.0
    for boxes in truth:
        chosen = rng.choice(len(people), size=voters, replace=False)
        answers = [(people[i]["id"], 1.0, draw(rng, boxes, people[i])) for i in chosen]
        for who, _w, drawn in answers:
            per_volunteer[who].add(drawn, boxes)
        t0 = time.perf_counter()
        objects = consensus_boxes(answers)
        consensus_seconds += time.perf_counter() - t0
        objects_total += len(objects)
        scores["consensus"].add(as_list([o for o in objects if not o["uncertain"]]), boxes)
        scores["consensus_with_uncertain"].add(as_list(objects), boxes)
        scores["union"].add([b for _who, _w, drawn in answers for b in drawn], boxes)
    honest = [p["id"] for p in people if not p["spammer"] and per_volunteer[p["id"]].tp + per_volunteer[p["id"]].fn]
    best = max(honest, key=lambda v: per_volunteer[v].figures()["f1"])
    out = {name: s.figures() for name, s in scores.items()}
    out["best_volunteer"] = per_volunteer[best].figures()
    out["setup"] = {"images": images, "truth_boxes": sum(map(len, truth)), "voters_per_image": voters,
                    "pool": pool, "spammers": sum(p["spammer"] for p in people), "seed": seed,
                    "consensus_ms_per_image": round(consensus_seconds / images * 1000, 3),
                    "seconds": round(time.perf_counter() - started, 2)}
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=400)
    parser.add_argument("--voters", type=int, default=5)
    parser.add_argument("--pool", type=int, default=40)
    parser.add_argument("--spam", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    out = run(args.images, args.voters, args.pool, args.spam, args.seed)
    print(f"{'':26} precision  recall     F1  mean IoU  class ok  attribute ok")
    for name in ("consensus", "consensus_with_uncertain", "best_volunteer", "union"):
        f = out[name]
        print(f"{name:26} {f['precision']:9.3f} {f['recall']:7.3f} {f['f1']:6.3f} {f['mean_iou'] or 0:9.3f} "
              f"{f['class_right'] or 0:9.3f} {f['attribute_right'] or 0:13.3f}")
    print(f"setup: {out['setup']}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()

"""Consensus of boxes drawn by several volunteers on one image: a pure function (no Flask, no database).

Input: one entry per counted answer, `(voter, weight, boxes)`, a box being `[x, y, w, h, class, attributes]` in
fractions of the image (x, y the top-left corner). IoU does not change when the axes are scaled, so fractions
match boxes exactly as pixels would.

1. Matching. Voters are taken heaviest first; each voter's boxes are matched to the objects found so far by an
   optimal assignment (Hungarian method, scipy's linear_sum_assignment) on their IoU with each object's current
   consensus box; a pair counts when its IoU reaches `min_iou` (0.5). A volunteer counts once per object: two of
   their boxes never join the same object. A box matched to nothing starts an object of its own. A second round
   matches every voter again against the final consensus boxes, so the order of voters matters less.
2. Each object's consensus box is the weighted median of its boxes' edges (left, top, right, bottom); its
   `support` the number of distinct voters behind it, `weight` their weights' sum, `agreement` the mean IoU of its
   boxes with the consensus box. Class and each attribute are weighted votes among the boxes (`class_share`).
3. An object is `uncertain` when fewer than 2 voters drew it, or its weight is under half the weight of all the
   task's counted voters (those who drew nothing count too: they saw no object there).
"""
import numpy as np
from scipy.optimize import linear_sum_assignment

MIN_SUPPORT = 2


def iou_matrix(a, b):
    """IoU of every box of a against every box of b (arrays of [x1, y1, x2, y2])."""
    a, b = np.asarray(a, float).reshape(-1, 4), np.asarray(b, float).reshape(-1, 4)
    ix = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = ix * iy
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def weighted_median(values, weights):
    """The value below and above which half the weight lies (the middle of the two middle values on an even split).
    Pure Python: an object has a handful of boxes, where numpy's call overhead is most of the work."""
    pairs = sorted(zip(values, weights))
    half, seen = sum(w for _v, w in pairs) / 2.0, 0.0
    for i, (value, weight) in enumerate(pairs):
        seen += weight
        if seen >= half - 1e-12 * half:
            if abs(seen - half) <= 1e-9 * half and i + 1 < len(pairs):
                return float((value + pairs[i + 1][0]) / 2.0)
            return float(value)
    return float(pairs[-1][0])


def iou(a, b):
    """IoU of two boxes [x1, y1, x2, y2]."""
    ix = min(a[2], b[2]) - max(a[0], b[0])
    iy = min(a[3], b[3]) - max(a[1], b[1])
    if ix <= 0 or iy <= 0:
        return 0.0
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _corners(box):
    x, y, w, h = (float(v) for v in box[:4])
    return [x, y, x + w, y + h]


def _vote(pairs):
    """(winner, share) of a weighted vote [(value, weight)], ties to the first given; (None, 0) when empty."""
    tally = {}
    for value, weight in pairs:
        if value is not None:
            tally[value] = tally.get(value, 0.0) + weight
    if not tally:
        return None, 0.0
    best = max(tally, key=tally.get)
    return best, round(tally[best] / sum(tally.values()), 4)


class _Object:
    def __init__(self):
        self.members = {}  # voter index -> (corners, weight, box)
        self.box = None

    def refresh(self):
        members = list(self.members.values())
        if len(members) == 1:
            self.box = [float(c) for c in members[0][0]]
            return
        weights = [max(m[1], 1e-9) for m in members]
        self.box = [weighted_median([m[0][i] for m in members], weights) for i in range(4)]


def _assign(objects, voters, order, min_iou):
    for v in order:
        _weight, boxes = voters[v]
        if not boxes:
            continue
        mine = [_corners(b) for b in boxes]
        taken = set()
        if objects:
            ious = iou_matrix(mine, [o.box for o in objects])
            rows, cols = linear_sum_assignment(-ious)
            for r, c in zip(rows, cols):
                if ious[r, c] >= min_iou:
                    objects[c].members[v] = (mine[r], voters[v][0], boxes[r])
                    taken.add(r)
        fresh = []
        for r in range(len(boxes)):
            if r not in taken:
                obj = _Object()
                obj.members[v] = (mine[r], voters[v][0], boxes[r])
                fresh.append(obj)
        for obj in objects + fresh:
            if v in obj.members:
                obj.refresh()
        objects.extend(fresh)
    return objects


def consensus_boxes(answers, min_iou=0.5, digits=5):
    """The objects of one image from its answers [(voter, weight, boxes)] (answers of weight 0 take no part; a voter
    given twice counts once, with their first answer). Returns a list of dicts, largest support first:
    {"x", "y", "w", "h", "class", "class_share", "attributes", "support", "weight", "agreement", "uncertain"}."""
    voters, seen = [], set()
    for voter, weight, boxes in answers:
        if weight > 0 and voter not in seen:
            seen.add(voter)
            voters.append((float(weight), [b for b in boxes or [] if b[2] > 0 and b[3] > 0]))
    if not voters:
        return []
    total = sum(w for w, _b in voters)
    order = sorted(range(len(voters)), key=lambda v: -voters[v][0])
    objects = _assign([], voters, order, min_iou)
    # Second round: every voter matched again against the consensus boxes of the first.
    anchors = []
    for obj in objects:
        if len(obj.members) >= 2:
            anchor = _Object()
            anchor.box = obj.box
            anchors.append(anchor)
    if anchors:
        objects = [o for o in _assign(anchors, voters, order, min_iou) if o.members]
    out = []
    for obj in objects:
        members = list(obj.members.values())
        weight = sum(m[1] for m in members)
        x1, y1, x2, y2 = obj.box
        agreement = sum(iou(obj.box, m[0]) for m in members) / len(members)
        cls, share = _vote([(m[2][4], m[1]) for m in members])
        names = sorted({k for m in members for k in (m[2][5] or {})})
        attributes = {n: _vote([((m[2][5] or {}).get(n), m[1]) for m in members])[0] for n in names}
        out.append({"x": round(x1, digits), "y": round(y1, digits), "w": round(x2 - x1, digits),
                    "h": round(y2 - y1, digits), "class": cls, "class_share": share, "attributes": attributes,
                    "support": len(members), "weight": round(weight, 4), "agreement": round(agreement, 4),
                    "uncertain": len(members) < MIN_SUPPORT or weight < total / 2.0})
    out.sort(key=lambda o: (-o["weight"], o["y"], o["x"]))
    return out

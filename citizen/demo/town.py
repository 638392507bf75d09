"""The town layers of the demo's imagery: streets and buildings, before and after the damage."""
import math
import random

import numpy as np
from PIL import Image, ImageDraw

from citizen.demo.tiles import (DAMAGE_LEVELS, TILE, _PAD, _axes, _bbox, _draw_lines, _fbm, _frame, _geo_polygon,
    _hits, _inside, _lattice, _shift, _to_px, _view)


# ---------------------------------------------------------------------------------------------- town

_T_LON, _T_LAT = 36.16, 36.20
_TOWN_K = math.cos(math.radians(_T_LAT))
_t_ll = _frame(_T_LON, _T_LAT)
_TOWN_M = [(-780, -520), (-150, -650), (560, -600), (770, -150), (700, 420), (250, 610), (-420, 580), (-760, 160)]
TOWN_AREA = _geo_polygon(zip(*_t_ll(*np.array(_TOWN_M, float).T)))
_SUN = (-0.3, 0.52)  # shadow (east, north) per metre of height: sun high in the south-south-east
_GRID = math.radians(12)  # street grid rotation; the shadow hexagon below relies on it being small and positive


class _Geom:
    """Accumulates lon/lat points so that one projection per tile serves every shape."""

    def __init__(self):
        self.pts = []
        self.n = 0

    def add(self, lonlat):
        lonlat = np.asarray(lonlat, float).reshape(-1, 2)
        self.pts.append(lonlat)
        self.n += len(lonlat)
        return self.n - len(lonlat), self.n


def _make_town():
    """Blocks, buildings, damage and trees from one seed. Shapes are stored as draw operations per building:
    (target, kind, start, end, fill, size_m, min_px_per_m) over one shared array of lon/lat points."""
    rng = random.Random(20230206)
    ca, sa = math.cos(_GRID), math.sin(_GRID)
    en = lambda u, v: (u * ca - v * sa, u * sa + v * ca)
    to_ll = lambda pts: np.stack(_t_ll(*np.array([en(u, v) for u, v in pts]).T), -1)
    rect = lambda u0, v0, u1, v1: [(u0, v0), (u1, v0), (u1, v1), (u0, v1)]
    us, vs = [-1150.0], [-950.0]
    while us[-1] < 1150:
        us.append(us[-1] + rng.uniform(88, 128))
    while vs[-1] < 950:
        vs.append(vs[-1] + rng.uniform(58, 84))
    usw = [17 if i % 4 == 1 else 9 for i in range(len(us))]
    vsw = [16 if i % 5 == 2 else 8 for i in range(len(vs))]
    blocks, kinds, yards, builds, trees, tents = [], [], [], [], [], []
    for i in range(len(us) - 1):
        for j in range(len(vs) - 1):
            outer = rect(us[i], vs[j], us[i + 1], vs[j + 1])
            if not all(_inside(en(u, v), _TOWN_M) for u, v in outer):
                continue
            u0, u1 = us[i] + usw[i] / 2, us[i + 1] - usw[i + 1] / 2
            v0, v1 = vs[j] + vsw[j] / 2, vs[j + 1] - vsw[j + 1] / 2
            r = math.hypot(*en((u0 + u1) / 2, (v0 + v1) / 2)) / 750
            roll = rng.random()
            kind = "park" if roll < 0.06 else "orchard" if (r > 0.72 and roll < 0.45) else "built"
            blocks.append([outer, rect(u0, v0, u1, v1), rect(u0 + 2.5, v0 + 2.5, u1 - 2.5, v1 - 2.5)])
            kinds.append(kind)
            if kind == "park":
                trees += [(rng.uniform(u0 + 4, u1 - 4), rng.uniform(v0 + 4, v1 - 4), rng.uniform(2.5, 5.5))
                          for _ in range(rng.randint(14, 26))]
                if r < 0.6:  # after the earthquake, people camp in the parks near the centre
                    tents += [rect(u, v, u + 4, v + 3) for u in np.arange(u0 + 6, u1 - 8, 7)
                              for v in np.arange(v0 + 6, v1 - 7, 6) if rng.random() < 0.7]
                continue
            if kind == "orchard":
                trees += [(u + rng.uniform(-0.6, 0.6), v + rng.uniform(-0.6, 0.6), rng.uniform(1.6, 2.4))
                          for u in np.arange(u0 + 5, u1 - 4, 8.5) for v in np.arange(v0 + 5, v1 - 4, 8.5)]
                continue
            p_built = max(0.25, 0.97 - 0.5 * r * r)
            depth_max = min(17.0, (v1 - v0) / 2 - 4)
            if v1 - v0 - 2 * depth_max > 14:
                yards.append(rect(u0 + 4, v0 + depth_max + 5, u1 - 4, v1 - depth_max - 5))
                trees += [(rng.uniform(u0 + 6, u1 - 6), rng.uniform(v0 + depth_max + 7, v1 - depth_max - 7),
                           rng.uniform(2, 4.5)) for _ in range(rng.randint(0, 5))]
            for side in (0, 1):
                u = u0 + rng.uniform(0, 2)
                while u1 - u > 11:
                    lw = min(rng.uniform(15, 26), u1 - u)
                    if rng.random() < p_built:
                        bw, bd, setback = lw - rng.uniform(2, 5), rng.uniform(10, depth_max), rng.uniform(0.5, 3)
                        a = v0 + setback if side == 0 else v1 - setback - bd
                        ub = u + rng.uniform(0.5, lw - bw - 0.5)
                        floors = max(1, min(8, int(rng.gauss(6.5 - 4 * r, 1.5))))
                        builds.append(((ub, a, ub + bw, a + bd), side, floors))
                    else:
                        trees += [(u + rng.uniform(3, lw - 3), (v0 + 8) if side == 0 else (v1 - 8),
                                   rng.uniform(2.5, 4.5)) for _ in range(rng.randint(1, 2))]
                    u += lw
    # damage: worse near a NE-SW fault trace and in tall buildings; fixed shares by rank
    scores = []
    for (ua, va, ub, vb), _, floors in builds:
        e, n = en((ua + ub) / 2, (va + vb) / 2)
        scores.append(rng.random() + 1.1 * math.exp(-(abs(0.8 * e - 0.6 * n + 120) / 260) ** 2) + 0.05 * floors)
    damage = [None] * len(builds)
    for rank, k in enumerate(sorted(range(len(builds)), key=lambda k: -scores[k])):
        q = rank / len(builds)
        damage[k] = "destroyed" if q < 0.15 else "major" if q < 0.32 else "minor" if q < 0.54 else "none"
    g = _Geom()
    model = {"kinds": kinds, "damage": damage, "ops": [],
             "blocks": np.array([[to_ll(p) for p in b] for b in blocks]),
             "yards": [g.add(to_ll(y)) for y in yards], "tents": [g.add(to_ll(t)) for t in tents],
             "corners": np.array([to_ll(rect(*r)) for r, _, _ in builds])}
    for k, ((ua, va, ub, vb), side, floors) in enumerate(builds):
        rb = random.Random(k * 7919 + 17)
        st = lambda pts: g.add(to_ll([(ua + s * (ub - ua), va + t * (vb - va)) for s, t in pts]))
        roof = rb.choices(["flat", "tile", "white"], [0.58, 0.3, 0.12])[0]
        jit = rb.uniform(-14, 14)
        col = tuple(int(c + jit) for c in {"flat": (168, 166, 160), "tile": (176, 88, 62),
                                           "white": (222, 220, 214)}[roof])
        dark = tuple(int(c * 0.8) for c in col)
        h = floors * 3.1
        c = [(ua, va), (ub, va), (ub, vb), (ua, vb)]
        d = (h * (_SUN[0] * ca + _SUN[1] * sa), h * (-_SUN[0] * sa + _SUN[1] * ca))
        shadow = [c[0], c[1], c[2], (ub + d[0], vb + d[1]), (ua + d[0], vb + d[1]), (ua + d[0], va + d[1])]
        shade = [("shade", "poly", *g.add(to_ll(shadow)), 255, 0, 0)]
        if roof == "tile":
            halves = ([(0, 0), (1, 0), (1, 0.5), (0, 0.5)], [(0, 0.5), (1, 0.5), (1, 1), (0, 1)]) \
                if ub - ua >= vb - va else ([(0, 0), (0.5, 0), (0.5, 1), (0, 1)], [(0.5, 0), (1, 0), (1, 1), (0.5, 1)])
            roof_ops = [("rgb", "poly", *st(halves[0]), dark, 0, 0), ("rgb", "poly", *st(halves[1]), col, 0, 0)]
        else:
            s0, t0 = rb.uniform(0.1, 0.6), rb.uniform(0.1, 0.6)
            roof_ops = [("rgb", "poly", *st([(0, 0), (1, 0), (1, 1), (0, 1)]), col, 0, 0),
                        ("rgb", "outline", *st([(0, 0), (1, 0), (1, 1), (0, 1)]), dark, 0, 0.45),
                        ("rgb", "dot", *st([(rb.uniform(0.15, 0.85), rb.uniform(0.2, 0.8))]), (236, 236, 232), 0.8,
                         0.5),
                        ("rgb", "poly", *st([(s0, t0), (s0 + 0.25, t0), (s0 + 0.25, t0 + 0.12), (s0, t0 + 0.12)]),
                         (52, 58, 74), 0, 0.5)]
        before = shade + roof_ops
        level = DAMAGE_LEVELS.index(damage[k])
        front = -0.15 if side == 0 else 1.15
        rubble = tuple(int(0.3 * a + 0.7 * b) for a, b in zip(col, (172, 162, 146)))
        after = list(before) if level < 3 else []
        if level in (1, 2):
            if rb.random() < (0.2 if level == 1 else 0.1):
                s0, t0 = rb.uniform(0.05, 0.45), rb.uniform(0.05, 0.45)
                after.append(("rgb", "poly", *st([(s0, t0), (s0 + rb.uniform(0.3, 0.5), t0), (s0 + 0.45, t0 + 0.45),
                                                  (s0, t0 + 0.5)]), (40, 96, 168), 0, 0))
            for _ in range(rb.randint(2, 3)):
                s, t = rb.uniform(0.1, 0.9), rb.choice([0.0, 1.0])
                pts = [(s, t)]
                for _ in range(3):
                    s, t = s + rb.uniform(-0.15, 0.15), t + (0.18 if t < 0.5 else -0.18) * rb.uniform(0.6, 1.4)
                    pts.append((s, t))
                after.append(("rgb", "line", *st(pts), (58, 54, 50), 0.5, 0.4))
            for _ in range(rb.randint(2, 4) * level):
                after.append(("rubble", "dot", *st([(rb.uniform(0, 1), front + rb.uniform(-0.08, 0.08))]), rubble,
                              rb.uniform(0.6, 1.6), 0.25))
        if level == 2:
            a, b = rb.uniform(0.5, 0.8), rb.uniform(0.5, 0.8)
            sec = [(0, 0), (a, 0)] + [(a * (1 - f) + rb.uniform(-0.08, 0.08), b * f + rb.uniform(-0.06, 0.06))
                                      for f in (0.3, 0.6, 0.85)] + [(0, b)]
            flip = rb.random() < 0.5
            sec = [((1 - s) if flip else s, (1 - t) if side == 1 else t) for s, t in sec]
            after.insert(len(after) - 1, ("rubble", "poly", *st(sec), _shift(rubble, 0.72), 0, 0))
        if level == 3:
            ds, dt = rb.uniform(-0.06, 0.06), (-0.08 if side == 0 else 0.08)
            blob = [(0.5 + ds + math.cos(a) * rb.uniform(0.5, 0.8), 0.5 + dt + math.sin(a) * rb.uniform(0.5, 0.85))
                    for a in np.linspace(0, 2 * math.pi, 11, endpoint=False)]
            after.append(("rubble", "poly", *st(blob), rubble, 0, 0))
            for _ in range(rb.randint(1, 3)):  # slabs of roof lying tilted on the heap
                s0, t0, a = rb.uniform(0.15, 0.6), rb.uniform(0.15, 0.6), rb.uniform(-0.5, 0.5)
                ds, dt = rb.uniform(0.2, 0.35), rb.uniform(0.15, 0.3)
                slab = [(s0, t0), (s0 + ds, t0 + a * ds), (s0 + ds - a * dt, t0 + a * ds + dt), (s0 - a * dt, t0 + dt)]
                after.append(("slab", "poly", *st(slab), _shift(col, rb.uniform(0.7, 0.95)), 0, 0))
        model["ops"].append((before, after))
    model["geom"] = np.concatenate(g.pts)
    model["trees"] = np.array([[*_t_ll(*en(u, v)), r] for u, v, r in trees], float)
    model["tree_shade"] = np.array([random.Random(i).uniform(0.8, 1.2) for i in range(len(trees))])
    model["block_bb"] = np.array([_bbox(b[0]) for b in model["blocks"]])
    model["bld_bb"] = np.array([_bbox(c, 0.0003) for c in model["corners"]])
    model["tree_bb"] = np.concatenate([model["trees"][:, :2] - 1e-4, model["trees"][:, :2] + 1e-4], -1)
    model["highways"] = [np.stack(_t_ll(*np.array(p, float).T), -1) for p in
                         ([(-9000, -2600), (-2500, -750), (0, 0)], [(0, 0), (2400, 900), (9000, 3600)])]
    model["hw_bb"] = np.array([_bbox(h, 0.0005) for h in model["highways"]])
    return model


_TOWN = _make_town()
BUILDINGS = [{"id": f"b{k:04d}", "damage": _TOWN["damage"][k], "polygon": _geo_polygon(c)}
             for k, c in enumerate(_TOWN["corners"])]
_FIELDS = np.float32([(96, 124, 62), (128, 148, 78), (186, 168, 116), (146, 118, 86), (162, 152, 102),
                      (110, 130, 70), (172, 140, 98)])


def _fields(xs, ys, mpp):
    """Patchwork of fields on a rotated grid; rows of fields have their own width and offset."""
    texture = (1 + _fbm(xs, ys, mpp, [(40, 1), (12, 0.6), (4, 0.4)], 75))[..., None]
    fade = min(1.0, max(0.0, (120 / mpp - 2) / 4))
    if fade == 0:
        return np.broadcast_to(_FIELDS.mean(axis=0), (len(ys), len(xs), 3)) * texture
    ca, sa = math.cos(math.radians(25)), math.sin(math.radians(25))
    u = xs[None, :] * ca + ys[:, None] * sa
    v = -xs[None, :] * sa + ys[:, None] * ca
    jv = np.floor(v / 120).astype(np.int64)
    j0 = jv.min()
    rows = np.arange(j0, jv.max() + 1)
    width = (140 + 120 * _lattice(rows, rows * 0, 71))[jv - j0]
    uu = u + _lattice(rows, rows * 0, 72)[jv - j0] * width
    iu = np.floor(uu / width).astype(np.int64)
    h = _lattice(iu, jv, 73)  # per pixel: rows have different widths, so there is no small grid of cells
    img = _FIELDS[(h * 7 * len(_FIELDS)).astype(int) % len(_FIELDS)] * (0.9 + 0.2 * h)[..., None]
    du, dv = uu - iu * width, v - jv * 120
    furrow = np.where(h > 0.5, np.cos(du * (2 * math.pi / 6)), np.cos(dv * (2 * math.pi / 6)))
    img *= (1 + min(1.0, max(0.0, (6 / mpp - 2) / 2)) * 0.05 * furrow)[..., None]
    img[np.minimum(np.minimum(du, width - du), np.minimum(dv, 120 - dv)) < max(2.0, 0.6 * mpp)] *= 0.82
    img = img * 0.8 + np.float32([150, 146, 120]) * 0.2  # muted: the town is what matters here
    return (img * fade + _FIELDS.mean(axis=0) * (1 - fade)) * texture


def _draw_ops(d, ops, P, ppm, only, fills=None):
    for target, kind, a, b, fill, size_m, min_ppm in ops:
        if ppm < min_ppm or target not in only:
            continue
        fill = fills[target] if fills else fill
        if kind == "poly":
            d.polygon(P[a:b].ravel().tolist(), fill=fill)
        elif kind == "outline":
            d.polygon(P[a:b].ravel().tolist(), outline=fill)
        elif kind == "line":
            d.line(P[a:b].ravel().tolist(), fill=fill, width=max(1, int(size_m * ppm)))
        else:
            (x, y), r = P[a], max(0.7, size_m * ppm)
            d.ellipse([x - r, y - r, x + r, y + r], fill=fill)


def _render_town(z, x, y, after):
    size, ox, oy = TILE + 2 * _PAD, x * TILE - _PAD, y * TILE - _PAD
    xs, ys, mpp = _axes(z, ox, oy, size, _TOWN_K)
    ppm, view, T = 1 / mpp, _view(z, ox, oy, size), _TOWN
    im = Image.fromarray(np.clip(_fields(xs, ys, mpp), 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(im)
    _draw_lines(d, T["highways"], T["hw_bb"], view, z, ox, oy, max(1, round(11 * ppm)), (92, 92, 94), size)
    blocks = _hits(T["block_bb"], view)
    blds = _hits(T["bld_bb"], view)
    trees = _hits(T["tree_bb"], view)
    if not (len(blocks) or len(blds) or len(trees)):
        return np.asarray(im)[_PAD:-_PAD, _PAD:-_PAD]
    P = _to_px(T["geom"], z, ox, oy)
    bpx = _to_px(T["blocks"][blocks], z, ox, oy)
    for p in bpx:
        d.polygon(p[0].ravel().tolist(), fill=(84, 85, 88))
    ground = {"built": (192, 180, 154), "park": (104, 134, 66), "orchard": (158, 136, 98)}
    for b, p in zip(blocks, bpx):
        d.polygon(p[1].ravel().tolist(), fill=(176, 172, 164))
        d.polygon(p[2].ravel().tolist(), fill=ground[T["kinds"][b]])
    for a, b in T["yards"]:
        d.polygon(P[a:b].ravel().tolist(), fill=(132, 142, 86))
    shade = Image.new("L", (size, size))
    sd = ImageDraw.Draw(shade)
    tpx = _to_px(T["trees"][trees, :2], z, ox, oy)
    tr = T["trees"][trees, 2] * ppm
    off = np.array([_SUN[0], -_SUN[1]]) * 5 * ppm
    for (cx, cy), r in zip(tpx + off, tr):
        if r >= 0.5:
            sd.ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
    state = 1 if after else 0
    for b in blds:
        _draw_ops(sd, T["ops"][b][state], P, ppm, ("shade",))
    arr = np.asarray(im, np.float32) * (1 - 0.5 * np.asarray(shade, np.float32) / 255)[..., None]
    im = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    rubble = Image.new("L", (size, size))
    d, rd = ImageDraw.Draw(im), ImageDraw.Draw(rubble)
    for (cx, cy), r, k in zip(tpx, tr, trees):
        if r >= 0.5:
            g = T["tree_shade"][k]
            d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(int(54 * g), int(80 * g), int(38 * g)))
            if r >= 2:
                hr, hx, hy = r * 0.55, cx + r * 0.2, cy + r * 0.25
                d.ellipse([hx - hr, hy - hr, hx + hr, hy + hr], fill=(int(74 * g), int(102 * g), int(48 * g)))
    if after:
        for a, b in T["tents"]:
            d.polygon(P[a:b].ravel().tolist(), fill=(236, 238, 240) if a % 3 else (60, 110, 180))
    for b in blds:
        # rubble is drawn in its colour and in a mask that later adds the broken texture
        _draw_ops(d, T["ops"][b][state], P, ppm, only=("rgb", "rubble", "slab"))
        _draw_ops(rd, T["ops"][b][state], P, ppm, only=("rubble", "slab"), fills={"rubble": 255, "slab": 0})
    arr = np.asarray(im, np.float32)
    mask = np.asarray(rubble) > 127
    if mask.any():
        # broken concrete is granular at every zoom: white noise on global pixels plus metre-scale lumps
        grain = _lattice(np.arange(ox, ox + size)[None, :], np.arange(oy, oy + size)[:, None], 81 + z)[mask] - 0.5
        rt = 0.6 * grain + _fbm(xs, ys, mpp, [(3, 1), (1.5, 0.7)], 82)[mask]
        arr[mask] *= np.clip(0.95 + 1.1 * rt, 0.4, 1.5)[:, None]
        arr[mask] = np.where((rt < -0.33)[:, None], np.float32([62, 56, 50]), arr[mask])
    arr *= (1 + _fbm(xs, ys, mpp, [(6, 0.6), (2.5, 1), (1.2, 0.6)], 83) * 0.25)[..., None]
    return np.clip(arr[_PAD:-_PAD, _PAD:-_PAD], 0, 255).astype(np.uint8)

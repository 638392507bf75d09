"""The forest layers of the demo's imagery: before and after the clearings."""
import math
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from citizen.demo.tiles import (TILE, _PAD, _axes, _bbox, _draw_lines, _fbm, _flat, _frame, _geo_polygon, _hits,
    _lattice, _lerp, _paint, _to_px, _view)


# ---------------------------------------------------------------------------------------------- forest

_F_LON, _F_LAT = -62.20, -9.90
_FOREST_K = math.cos(math.radians(_F_LAT))
_f_ll = _frame(_F_LON, _F_LAT)
_FOREST_M = [(-6000, -3200), (-2400, -4100), (2800, -3900), (6100, -2500), (5700, 1300), (4100, 3900),
             (-1300, 4000), (-5300, 3100), (-6200, 200)]
_CROWNS = np.float32([(46, 82, 34), (58, 94, 38), (38, 70, 30), (70, 100, 44), (50, 88, 46), (44, 76, 40),
                      (62, 90, 34), (98, 108, 52), (70, 88, 56), (54, 84, 30), (42, 78, 36), (60, 98, 46)])


def _road_n(e):
    return -600 + 0.12 * e + 350 * np.sin(e / 1700) + 120 * np.sin(e / 530)


def _river_e(n):
    return -3300 + 0.18 * n + 620 * np.sin(n / 900) + 260 * np.sin(n / 370 + 1)


def _ll(e, n):
    return np.stack(_f_ll(e, n), axis=-1)


def _make_forest():
    rng = random.Random(1999)
    t = np.arange(-12000, 12000, 25.0)
    clearings, logging = [], []
    # (east, offset north of the road, size across, elongation, squareness: 2 = ellipse, 4 = ranch plot)
    for e0, off, size, elong, sq in [(-400, 480, 250, 1.3, 2.5), (1100, -720, 480, 1.5, 4), (2200, 640, 350, 1.2, 3),
                                     (3300, -1550, 290, 1.7, 4), (3900, 1700, 470, 1.25, 3.5),
                                     (4900, -660, 400, 1.4, 2.2), (600, 2100, 180, 1.1, 2)]:
        n0 = float(_road_n(e0)) + off
        rx, ry, rot, k = size / 2, size / 2 / elong, rng.uniform(-0.6, 0.6), 28
        jit = [rng.uniform(-1, 1) for _ in range(k)]
        jit = [0.13 * (jit[i - 2] + 2 * jit[i - 1] + 3 * jit[i] + 2 * jit[(i + 1) % k] + jit[(i + 2) % k]) / 3
               for i in range(k)]
        ring = []
        for i in range(k):
            a = 2 * math.pi * i / k
            c, s_ = math.cos(a), math.sin(a)
            r = (abs(c) ** sq + abs(s_) ** sq) ** (-1 / sq) * (1 + jit[i])
            px, py = rx * r * c, ry * r * s_
            ring.append((e0 + px * math.cos(rot) - py * math.sin(rot), n0 + px * math.sin(rot) + py * math.cos(rot)))
        clearings.append(ring)
        # a new track from the clearing back to the road, wandering a little
        e1, steps = e0 + rng.uniform(-250, 250), np.linspace(0, 1, 17)
        es = e0 + (e1 - e0) * steps + np.sin(steps * math.pi) * rng.uniform(-120, 120)
        logging.append(_ll(es, n0 + (float(_road_n(e1)) - n0) * steps))
    e0, n0 = clearings[4][0]  # a spur that runs past its clearing into intact forest
    steps = np.linspace(0, 1, 12)
    logging.append(_ll(e0 + 760 * steps + 60 * np.sin(steps * 5), n0 + 520 * steps ** 1.3))
    # old pastures along the road, cleared long before both dates: the same in both layers
    pastures = [[(e, float(_road_n(e)) + off + rng.uniform(-30, 30)) for e, off in
                 ((-2700, -60), (-2200, -40), (-1500, -50), (-1450, -520), (-1900, -760), (-2650, -650))],
                [(e, float(_road_n(e)) + off + rng.uniform(-30, 30)) for e, off in
                 ((-2100, 60), (-1300, 50), (-1250, 480), (-1700, 620), (-2150, 420))]]
    return _ll(_river_e(t), t), _ll(t, _road_n(t)), clearings, logging, [_ll(*np.array(p).T) for p in pastures]


_RIVER, _ROAD, _CLEAR_M, _LOGGING, _PASTURES = _make_forest()
_PASTURE_BB = np.array([_bbox(p, 0.0003) for p in _PASTURES])
FOREST_AREA = _geo_polygon(zip(*_f_ll(*np.array(_FOREST_M, float).T)))
CLEARINGS = [_geo_polygon(zip(*_f_ll(*np.array(r).T))) for r in _CLEAR_M]
LOGGING_ROADS = [{"type": "LineString", "coordinates": np.round(line, 7).tolist()} for line in _LOGGING]
_CLEAR_LL = [np.array(c["coordinates"][0]) for c in CLEARINGS]
_CLEAR_BB = np.array([_bbox(c, 0.0005) for c in _CLEAR_LL])
_LOG_BB = np.array([_bbox(line, 0.0003) for line in _LOGGING])
_RIVER_BB = _bbox(_RIVER, 0.002)[None]
_ROAD_BB = _bbox(_ROAD, 0.001)[None]


def _crowns(xs, ys, cs, seed, sun):
    """Tree crowns: one disc of its own radius per cell of a jittered lattice; each pixel belongs to the crown
    nearest in units of that crown's radius (a weighted Worley diagram), lit from the sun side, dark gaps between."""
    cx, cy = np.floor(xs / cs).astype(np.int64), np.floor(ys / cs).astype(np.int64)
    gx, gy = np.arange(cx.min() - 1, cx.max() + 2), np.arange(cy.min() - 1, cy.max() + 2)
    X, Y = (xs - gx[0] * cs).astype(np.float32)[None, :], (ys - gy[0] * cs).astype(np.float32)[:, None]
    mpp = xs[1] - xs[0]
    if cs / mpp > 6:  # wavy crown borders where they are large enough to show
        X = X + _fbm(xs, ys, mpp, [(cs / 3, 1), (cs / 7, 0.5)], seed + 6) * (0.5 * cs)
        Y = Y + _fbm(xs, ys, mpp, [(cs / 3, 1), (cs / 7, 0.5)], seed + 7) * (0.5 * cs)
    h = [_lattice(gx[None, :], gy[:, None], seed + i) for i in range(4)]
    fx = (np.arange(len(gx), dtype=np.float32)[None, :] + 0.1 + 0.8 * h[0]) * cs
    fy = (np.arange(len(gy), dtype=np.float32)[:, None] + 0.1 + 0.8 * h[1]) * cs
    inv_r2 = 1 / (cs * (0.4 + 0.75 * h[2] ** 2)) ** 2
    ci, cj = cx - gx[0], cy - gy[0]
    shape = (len(ys), len(xs))
    d1, d2 = np.full(shape, np.inf, np.float32), np.full(shape, np.inf, np.float32)
    n1x, n1y, n1 = np.zeros(shape, np.float32), np.zeros(shape, np.float32), np.zeros(shape, np.int64)
    for dj in (-1, 0, 1):
        rx, ry, rr = fx[cj + dj], fy[cj + dj], inv_r2[cj + dj]
        for di in (-1, 0, 1):
            px, py = rx[:, ci + di], ry[:, ci + di]
            d = ((X - px) ** 2 + (Y - py) ** 2) * rr[:, ci + di]
            closer = d < d1
            d2 = np.where(closer, d1, np.minimum(d2, d))
            d1 = np.where(closer, d, d1)
            n1x, n1y = np.where(closer, px, n1x), np.where(closer, py, n1y)
            n1 = np.where(closer, (cj + dj)[:, None] * len(gx) + (ci + di)[None, :], n1)
    dome = np.clip(1 - d1, 0, 1)
    light = ((X - n1x) * sun[0] + (Y - n1y) * sun[1]) * np.sqrt(inv_r2.ravel()[n1])
    crevice = np.clip((np.sqrt(d2) - np.sqrt(d1)) / 0.12, 0, 1)
    clumps = _fbm(xs, ys, mpp, [(cs / 4, 1), (cs / 8, 0.7)], seed + 5)  # leaf clumps inside a crown
    bright = (0.4 + 0.4 * np.sqrt(dome) + 0.5 * light * dome) * (0.65 + 0.35 * crevice) * (1 + 1.4 * clumps)
    img = _CROWNS[(h[3].ravel()[n1] * len(_CROWNS)).astype(int)] * bright[..., None]
    img[dome <= 0] = (16, 32, 15)
    return img


def _render_forest(z, x, y, after):
    size, ox, oy = TILE + 2 * _PAD, x * TILE - _PAD, y * TILE - _PAD
    xs, ys, mpp = _axes(z, ox, oy, size, _FOREST_K)
    view = _view(z, ox, oy, size)
    big = _fbm(xs, ys, mpp, [(1400, 1), (520, 0.7), (190, 0.4)], 1)
    mid = _fbm(xs, ys, mpp, [(70, 1), (32, 0.6)], 3)
    fine = _fbm(xs, ys, mpp, [(13, 1), (6.5, 0.6)], 2)
    img = _lerp((30, 58, 27), (58, 88, 36), 0.5 + 1.8 * big) * (0.95 + 0.5 * mid + 1.2 * fine)[..., None]
    fade = min(1.0, max(0.0, (12 / mpp - 1.5) / 2))
    if fade > 0:  # individual crowns once they are a few pixels wide
        crowns = _crowns(xs, ys, 12.0, 11, (0.45, -0.9)) * (1 + 1.2 * big + 0.4 * mid)[..., None]
        img = img * (1 - fade) + crowns * fade
    hit = _hits(_PASTURE_BB, view)
    if len(hit):
        m = Image.new("L", (size, size))
        for i in hit:
            ImageDraw.Draw(m).polygon(_flat(_to_px(_PASTURES[i], z, ox, oy)), fill=255)
        grass = (np.asarray(m) > 127) & ~(_fbm(xs, ys, mpp, [(45, 1), (15, 0.5)], 12) > 0.27)  # clumps of trees
        _paint(img, grass, (104, 126, 58), (150, 152, 86), 0.5 + 2.5 * mid + 1.5 * fine)
    w = lambda m: max(1, int(round(m / mpp)))
    masks = {}
    for name, line, bb, width in (("bank", _RIVER, _RIVER_BB, 95), ("water", _RIVER, _RIVER_BB, 62),
                                  ("verge", _ROAD, _ROAD_BB, 34), ("road", _ROAD, _ROAD_BB, 9)):
        m = Image.new("L", (size, size))
        _draw_lines(ImageDraw.Draw(m), [line], bb, view, z, ox, oy, w(width), 255, size)
        masks[name] = np.asarray(m) > 127
    _paint(img, masks["bank"] & ~masks["water"], (78, 92, 52), (128, 124, 84), 0.5 + 2 * mid + fine)
    _paint(img, masks["water"], (116, 96, 68), (152, 122, 86), 0.5 + 2.5 * big + 0.6 * fine)
    _paint(img, masks["verge"] & ~masks["road"], (86, 116, 50), (132, 142, 72), 0.5 + 2.5 * mid + 2 * fine)
    _paint(img, masks["road"], (150, 92, 58), (194, 130, 86), 0.5 + 2 * fine)
    if after:
        _clearings(img, xs, ys, mpp, z, ox, oy, view)
    return np.clip(img[_PAD:-_PAD, _PAD:-_PAD], 0, 255).astype(np.uint8)


def _clearings(img, xs, ys, mpp, z, ox, oy, view):
    size = img.shape[0]
    hit = _hits(_CLEAR_BB, view)
    if len(hit):
        m = Image.new("L", (size, size))
        d = ImageDraw.Draw(m)
        for i in hit:
            d.polygon(_flat(_to_px(_CLEAR_LL[i], z, ox, oy)), fill=255)
        soft = np.asarray(m.filter(ImageFilter.GaussianBlur(min(8.0, max(0.6, 14 / mpp)))), np.float32) / 255
        edge = _fbm(xs, ys, mpp, [(45, 1), (17, 0.7), (7, 0.4)], 5)
        bare = soft + 0.9 * edge > 0.5
        bare &= ~((_fbm(xs, ys, mpp, [(16, 1), (8, 0.5)], 9) > 0.3) & (soft > 0.8))  # a few trees left standing
        soil_t = _fbm(xs, ys, mpp, [(120, 1), (40, 0.8), (9, 0.5), (3, 0.4)], 6)
        soil = _lerp((126, 92, 62), (190, 152, 108), 0.5 + 2.2 * soil_t[bare])
        burnt = _fbm(xs, ys, mpp, [(90, 1), (30, 0.5), (8, 0.3)], 7)[bare]
        ash = np.clip(-1 - 10 * burnt, 0, 1)[:, None]  # burnt patches: grey-black ash
        soil = soil * (1 - ash) + np.float32([52, 46, 40]) * ash
        logs = _fbm(xs, ys, mpp, [(4, 1), (2, 0.5)], 8)[bare] > 0.18  # felled trunks and slash
        soil[logs] = soil[logs] * 0.55 + np.float32([40, 32, 24]) * 0.45
        img[bare] = soil
        k = max(1, min(_PAD - 1, int(round(22 / mpp))))
        sun_side = np.zeros_like(bare)  # forest wall between this pixel and the north-east sun casts a shadow
        sun_side[k:, :-max(1, k // 2)] = bare[:-k, max(1, k // 2):]
        img[bare & ~sun_side] *= 0.5
    t = Image.new("L", (size, size))
    _draw_lines(ImageDraw.Draw(t), _LOGGING, _LOG_BB, view, z, ox, oy, max(1, int(round(6 / mpp))), 255, size)
    track = np.asarray(t) > 127
    _paint(img, track, (150, 108, 74), (190, 150, 106), 0.5 + 3 * _fbm(xs, ys, mpp, [(8, 1), (3, 1)], 10))

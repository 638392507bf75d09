"""Offline demo imagery for `make run`: procedural web-map tiles and drone photos (no network, no Flask).

Tiles are pure functions of (layer, z, x, y). Every colour comes from world coordinates (value noise hashed on a
global lattice) and every shape is projected from lon/lat, so neighbouring tiles join without seams and the same
request always yields the same bytes. Shapes are drawn on a canvas padded by `_PAD` pixels and cropped, so blurs
and shadows near a tile edge see the same neighbourhood as in the next tile.

Public: LAYERS, MAX_ZOOM, DAMAGE_LEVELS, FOREST_AREA, CLEARINGS, LOGGING_ROADS, TOWN_AREA, BUILDINGS,
lonlat_to_pixel, tile_bounds, render_tile, drone_photo.
"""
import io
import math
import operator
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

TILE = 256
MAX_ZOOM = 18
LAYERS = ("forest-before", "forest-after", "town-before", "town-after")
DAMAGE_LEVELS = ("none", "minor", "major", "destroyed")
_PAD = 24
_MAX_LAT = 85.05112877980659
_EARTH = 40075016.686  # equatorial circumference (m)
_U32 = np.uint64(0xFFFFFFFF)


# ---------------------------------------------------------------------------------------------- projection

def lonlat_to_pixel(lon, lat, z):
    """Global Web Mercator pixel coordinates (origin top-left of the world, 256 * 2**z pixels across)."""
    n = TILE * 2.0 ** z
    s = math.sin(math.radians(max(-_MAX_LAT, min(_MAX_LAT, lat))))
    return (lon + 180.0) / 360.0 * n, (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * n


def _pixel_to_lonlat(px, py, z):
    n = TILE * 2.0 ** z
    return px / n * 360.0 - 180.0, math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * py / n))))


def _check_tile(z, x, y):
    try:
        if any(isinstance(v, bool) for v in (z, x, y)):
            raise TypeError
        z, x, y = operator.index(z), operator.index(x), operator.index(y)
    except TypeError:
        raise ValueError("z, x and y must be integers") from None
    if not 0 <= z <= MAX_ZOOM:
        raise ValueError(f"zoom {z} out of range 0..{MAX_ZOOM}")
    if not (0 <= x < 2 ** z and 0 <= y < 2 ** z):
        raise ValueError(f"tile {x}/{y} out of range at zoom {z}")
    return z, x, y


def tile_bounds(z, x, y):
    """(west, south, east, north) in degrees of the XYZ tile z/x/y."""
    z, x, y = _check_tile(z, x, y)
    west, north = _pixel_to_lonlat(x * TILE, y * TILE, z)
    east, south = _pixel_to_lonlat((x + 1) * TILE, (y + 1) * TILE, z)
    return west, south, east, north


def _to_px(lonlat, z, ox, oy):
    """Vectorised lon/lat (..., 2) -> canvas pixels (..., 2) for a canvas whose top-left is global pixel (ox, oy)."""
    n = TILE * 2.0 ** z
    s = np.sin(np.radians(np.clip(lonlat[..., 1], -_MAX_LAT, _MAX_LAT)))
    out = np.empty(lonlat.shape, dtype=np.float64)
    out[..., 0] = (lonlat[..., 0] + 180.0) / 360.0 * n - ox
    out[..., 1] = (0.5 - np.log((1 + s) / (1 - s)) / (4 * math.pi)) * n - oy
    return out


def _frame(lon0, lat0):
    """Local metres (east, north) -> lon/lat around (lon0, lat0); exact enough for a few km."""
    kx, ky = 1 / (111320.0 * math.cos(math.radians(lat0))), 1 / 110574.0
    return lambda e, n: (lon0 + np.asarray(e) * kx, lat0 + np.asarray(n) * ky)


def _geo_polygon(ring):
    ring = [[round(float(a), 7), round(float(b), 7)] for a, b in ring]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


def _inside(p, poly):
    x, y, hit = p[0], p[1], False
    for (x1, y1), (x2, y2) in zip(poly, poly[1:] + poly[:1]):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            hit = not hit
    return hit


# ---------------------------------------------------------------------------------------------- noise

def _lattice(ix, iy, seed):
    """Hash of integer lattice points -> float32 in [0, 1)."""
    ix, iy = np.asarray(ix).astype(np.int64).astype(np.uint64), np.asarray(iy).astype(np.int64).astype(np.uint64)
    h = (ix * np.uint64(0x27D4EB2F) + iy * np.uint64(0x165667B1)
         + np.uint64(seed * 0x9E3779B9 & 0xFFFFFFFF)) & _U32
    h ^= h >> np.uint64(15)
    h = (h * np.uint64(0x85EBCA6B)) & _U32
    h ^= h >> np.uint64(13)
    h = (h * np.uint64(0xC2B2AE35)) & _U32
    h ^= h >> np.uint64(16)
    return h.astype(np.float32) * np.float32(1 / 4294967296)


def _vnoise(xs, ys, wl, seed):
    """Value noise of wavelength wl over the grid xs (columns) x ys (rows), both in world metres."""
    fx, fy = xs / wl, ys / wl
    ix, iy = np.floor(fx), np.floor(fy)
    tx, ty = (fx - ix).astype(np.float32), (fy - iy).astype(np.float32)
    tx, ty = tx * tx * (3 - 2 * tx), ty * ty * (3 - 2 * ty)
    ix, iy = ix.astype(np.int64), iy.astype(np.int64)
    gx, gy = np.arange(ix.min(), ix.max() + 2), np.arange(iy.min(), iy.max() + 2)
    g = _lattice(gx[None, :], gy[:, None], seed)
    cx, cy = ix - gx[0], iy - gy[0]
    rows = g[:, cx] * (1 - tx) + g[:, cx + 1] * tx
    return rows[cy] * (1 - ty)[:, None] + rows[cy + 1] * ty[:, None]


def _fbm(xs, ys, mpp, octaves, seed):
    """Sum of centred value-noise octaves [(wavelength_m, amplitude)]; octaves finer than ~2 px fade out so far
    zooms do not alias. Result is roughly within +-0.5."""
    total = np.zeros((len(ys), len(xs)), np.float32)
    norm = sum(a for _, a in octaves)
    for i, (wl, amp) in enumerate(octaves):
        fade = min(1.0, max(0.0, (wl / mpp - 1.2) / 2.0))
        if fade > 0:
            total += (_vnoise(xs, ys, wl, seed * 31 + i) - 0.5) * (amp * fade / norm)
    return total


def _axes(z, ox, oy, size, k):
    """World-metre coordinates of the canvas pixel centres (k scales Mercator metres to local ground metres)."""
    mpp = _EARTH * k / (TILE * 2.0 ** z)
    return (ox + np.arange(size) + 0.5) * mpp, (oy + np.arange(size) + 0.5) * mpp, mpp


def _lerp(a, b, t):
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    return a + (b - a) * np.clip(t, 0, 1)[..., None]


def _shift(c, f, rnd=None, jit=0):
    """Colour c scaled by f, plus an optional random jitter."""
    j = rnd.uniform(-jit, jit) if rnd else 0
    return tuple(max(0, min(255, int(v * f + j))) for v in c)


def _bbox(lonlat, margin_deg=0.0):
    return np.concatenate([lonlat.min(axis=-2) - margin_deg, lonlat.max(axis=-2) + margin_deg], axis=-1)


def _hits(bboxes, view):
    w, s, e, n = view
    return np.nonzero((bboxes[:, 0] <= e) & (bboxes[:, 2] >= w) & (bboxes[:, 1] <= n) & (bboxes[:, 3] >= s))[0]


def _view(z, ox, oy, size):
    w, n = _pixel_to_lonlat(ox, oy, z)
    e, s = _pixel_to_lonlat(ox + size, oy + size, z)
    return w, s, e, n


def _flat(points):
    return np.asarray(points, np.float64).ravel().tolist()


def _draw_lines(draw, lines, bboxes, view, z, ox, oy, width, fill, size):
    """Draw polylines, keeping only the segments near the canvas (long rivers would cost a joint per vertex)."""
    m = width + 4
    for i in _hits(bboxes, view):
        pts = _to_px(lines[i], z, ox, oy)
        a, b = pts[:-1], pts[1:]
        near = ((np.maximum(a[:, 0], b[:, 0]) > -m) & (np.minimum(a[:, 0], b[:, 0]) < size + m)
                & (np.maximum(a[:, 1], b[:, 1]) > -m) & (np.minimum(a[:, 1], b[:, 1]) < size + m))
        segs = np.nonzero(near)[0]
        for run in np.split(segs, np.nonzero(np.diff(segs) > 1)[0] + 1):
            if len(run):
                draw.line(_flat(pts[run[0]:run[-1] + 2]), fill=fill, width=width,
                          joint="curve" if width > 3 else None)


def _paint(img, mask, c0, c1, t):
    """img[mask] = lerp(c0, c1, t[mask]): only the masked pixels are computed."""
    if mask.any():
        img[mask] = _lerp(c0, c1, t[mask])


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


def render_tile(layer, z, x, y):
    """PNG bytes of one 256x256 XYZ tile of a demo layer. ValueError for an unknown layer or tile."""
    if layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r}; expected one of {', '.join(LAYERS)}")
    z, x, y = _check_tile(z, x, y)
    render = _render_forest if layer.startswith("forest") else _render_town
    buf = io.BytesIO()
    Image.fromarray(render(z, x, y, layer.endswith("after"))).save(buf, "PNG", compress_level=3)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------- drone photos

_WALLS = [(232, 222, 200), (222, 204, 176), (240, 236, 228), (206, 188, 164), (226, 212, 192), (214, 196, 184)]
_PITCHED = [(172, 86, 60), (152, 72, 52), (188, 104, 70), (124, 74, 56), (100, 104, 112)]
_DEBRIS = [(150, 146, 140), (178, 172, 162), (122, 118, 112), (166, 100, 74), (198, 186, 162), (112, 86, 64),
           (92, 90, 88), (206, 200, 190)]
_CARS = [(200, 200, 204), (30, 32, 36), (150, 24, 28), (40, 70, 130), (220, 220, 214), (110, 112, 116),
         (180, 150, 60)]


def _fragment(d, rnd, x, y, r, colour, shadow=True):
    n, a0 = rnd.randint(3, 6), rnd.uniform(0, 2 * math.pi)
    pts = [(x + r * rnd.uniform(0.45, 1) * math.cos(a0 + 2 * math.pi * i / n),
            y + 0.8 * r * rnd.uniform(0.45, 1) * math.sin(a0 + 2 * math.pi * i / n)) for i in range(n)]
    if shadow:
        d.polygon([(px + 0.25 * r, py + 0.3 * r) for px, py in pts], fill=(48, 44, 40))
    d.polygon(pts, fill=colour)


def _crack(d, rnd, x, y, angle, length, width, colour, bounds=None, branch=True):
    """A jagged crack that wanders from (x, y) and stops at the edge of bounds (x0, y0, x1, y1)."""
    pts = [(x, y)]
    for _ in range(max(2, int(length / 9))):
        angle += rnd.uniform(-0.7, 0.7)
        x, y = x + 9 * math.cos(angle), y + 9 * math.sin(angle)
        if bounds and not (bounds[0] < x < bounds[2] and bounds[1] < y < bounds[3]):
            break
        pts.append((x, y))
        if branch and rnd.random() < 0.15:
            _crack(d, rnd, x, y, angle + rnd.choice([-1, 1]) * 0.9, length * 0.35, max(1, width - 1), colour,
                   bounds, False)
    if len(pts) > 1:
        d.line(pts, fill=colour, width=width, joint="curve")


def _rubble(d, rnd, box, count, k, palette, weight=1.0):
    """Fragments scattered in the ellipse inscribed in box, denser and bigger towards its centre."""
    x0, y0, x1, y1 = box
    cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    for _ in range(count):
        a, r = rnd.uniform(0, 2 * math.pi), math.sqrt(rnd.random()) ** 1.4
        size = k * rnd.uniform(2, 7) * (1 + 2.5 * weight * (1 - r) * rnd.random() ** 2)
        colour = _shift(rnd.choice(palette), rnd.uniform(0.75, 1.15), rnd, 8)
        _fragment(d, rnd, cx + rx * r * math.cos(a), cy + ry * r * math.sin(a), size, colour)


def _house_plan(rnd, W, H, n, street_top):
    slot = W * 0.94 / n
    plans = []
    for i in range(n):
        w = min(slot * rnd.uniform(0.62, 0.84), 0.34 * W)
        x0 = W * 0.03 + slot * i + rnd.uniform(0, slot - w)
        storeys = rnd.choice([1, 1, 2, 2, 3])
        wall_h = (0.045 + 0.045 * storeys) * H
        yb = street_top - 0.035 * H - rnd.uniform(0.02, 0.07) * H
        depth = min(rnd.uniform(0.2, 0.3) * H, max(0.14 * H, 1.15 * w))
        top = max(0.03 * H, yb - wall_h - depth)
        plans.append({"x0": x0, "x1": x0 + w, "top": top, "eave": yb - wall_h, "yb": yb, "storeys": storeys,
                      "roof": rnd.choice(["gable", "hip", "flat", "flat", "gable"]),
                      "roof_col": _shift(rnd.choice(_PITCHED), 1, rnd, 10), "wall": rnd.choice(_WALLS)})
    return plans


def _draw_house(d, rnd, p, k):
    x0, x1, top, eave, yb = p["x0"], p["x1"], p["top"], p["eave"], p["yb"]
    d.rectangle([x0 + 4 * k, eave, x1 - 4 * k, yb], fill=p["wall"])
    d.rectangle([x0 + 4 * k, yb - 5 * k, x1 - 4 * k, yb], fill=_shift(p["wall"], 0.8))  # plinth
    floor_h = (yb - eave) / p["storeys"]
    cols = max(2, int((x1 - x0) / (70 * k)))
    for s in range(p["storeys"]):
        for c in range(cols):
            wx = x0 + (x1 - x0) * (c + 0.5) / cols
            wy = eave + floor_h * (s + 0.3)
            if s == p["storeys"] - 1 and c == cols // 2:
                d.rectangle([wx - 11 * k, yb - floor_h * 0.72, wx + 11 * k, yb], fill=(96, 64, 44))  # door
                continue
            d.rectangle([wx - 13 * k, wy, wx + 13 * k, wy + floor_h * 0.42], fill=(236, 236, 232))
            d.rectangle([wx - 11 * k, wy + 2 * k, wx + 11 * k, wy + floor_h * 0.42 - 2 * k], fill=(54, 66, 80))
    col = p["roof_col"]
    if p["roof"] == "flat":
        grey = _shift((176, 174, 168), 1, rnd, 12)
        d.rectangle([x0, top, x1, eave], fill=_shift(grey, 1.08))
        d.rectangle([x0 + 6 * k, top + 6 * k, x1 - 6 * k, eave - 6 * k], fill=grey)
        tx, ty = x0 + (x1 - x0) * rnd.uniform(0.15, 0.4), top + (eave - top) * rnd.uniform(0.25, 0.6)
        d.ellipse([tx - 16 * k, ty - 16 * k, tx + 16 * k, ty + 16 * k], fill=(236, 236, 232), outline=(150, 150, 150))
        sx, sy = x0 + (x1 - x0) * rnd.uniform(0.5, 0.7), top + (eave - top) * rnd.uniform(0.2, 0.5)
        d.rectangle([sx, sy, sx + 60 * k, sy + 34 * k], fill=(40, 50, 72), outline=(180, 180, 184), width=2)
        for i in range(1, 4):
            d.line([(sx + 15 * k * i, sy), (sx + 15 * k * i, sy + 34 * k)], fill=(120, 126, 140))
        return
    ridge, inset = top + (eave - top) * 0.42, 0
    if p["roof"] == "gable":
        faces = [([(x0, top), (x1, top), (x1, ridge), (x0, ridge)], 1.1),
                 ([(x0, ridge), (x1, ridge), (x1, eave + 3 * k), (x0, eave + 3 * k)], 0.9)]
    else:
        inset = min((eave - top) * 0.45, 0.4 * (x1 - x0))
        faces = [([(x0, top), (x1, top), (x1 - inset, ridge), (x0 + inset, ridge)], 1.1),
                 ([(x0 + inset, ridge), (x1 - inset, ridge), (x1, eave + 3 * k), (x0, eave + 3 * k)], 0.9),
                 ([(x0, top), (x0 + inset, ridge), (x0, eave + 3 * k)], 1.0),
                 ([(x1, top), (x1 - inset, ridge), (x1, eave + 3 * k)], 0.78)]
    for pts, f in faces:
        d.polygon(pts, fill=_shift(col, f))
    step = max(4, int(8 * k))
    for y in np.arange(top + step, eave, step):  # tile courses
        d.line([(x0 + 2, y), (x1 - 2, y)], fill=_shift(col, 0.8 if y > ridge else 0.9), width=1)
    d.line([(x0, ridge), (x1, ridge)] if p["roof"] == "gable" else [(x0 + inset, ridge), (x1 - inset, ridge)],
           fill=_shift(col, 1.25), width=max(2, int(4 * k)))


def _damage_house(d, rnd, p, level, k):
    x0, x1, top, eave, yb = p["x0"], p["x1"], p["top"], p["eave"], p["yb"]
    w = x1 - x0
    roof_palette = [p["roof_col"], _shift(p["roof_col"], 0.8)] if p["roof"] != "flat" else [(176, 174, 168)]
    palette = _DEBRIS * 2 + roof_palette * 2 + [p["wall"]] * 3
    roof_box, wall_box = (x0 + 2, top + 2, x1 - 2, eave - 2), (x0 + 6 * k, eave + 2, x1 - 6 * k, yb - 2)
    box = [x0, top, x1, yb]
    if level == 3:
        heap = [x0 - 0.06 * w, top + 0.25 * (eave - top), x1 + 0.06 * w, yb + 0.07 * (yb - top)]
        hx, hy = (heap[0] + heap[2]) / 2, (heap[1] + heap[3]) / 2
        rx, ry = (heap[2] - heap[0]) / 2, (heap[3] - heap[1]) / 2
        outline = [(hx + rx * rnd.uniform(0.85, 1.05) * math.cos(a), hy + ry * rnd.uniform(0.8, 1.05) * math.sin(a))
                   for a in np.linspace(0, 2 * math.pi, 24, endpoint=False)]
        d.polygon(outline, fill=(150, 142, 130))
        for f, col in ((0.75, (160, 152, 140)), (0.5, (172, 164, 150))):  # the heap is lit on top
            d.polygon([(hx + (x - hx) * f - 0.08 * rx, hy + (y - hy) * f - 0.1 * ry) for x, y in outline], fill=col)
        for _ in range(int(w * (yb - top) / (25 * k * k))):  # dust and gravel
            a, r = rnd.uniform(0, 2 * math.pi), math.sqrt(rnd.random())
            _fragment(d, rnd, hx + rx * r * math.cos(a), hy + ry * r * math.sin(a), rnd.uniform(1.5, 3.5) * k,
                      _shift(rnd.choice(_DEBRIS), rnd.uniform(0.8, 1.1)), False)
        for side in rnd.sample([0, 1], rnd.randint(1, 2)):  # a wall stub still standing
            sx = x0 + 4 * k if side == 0 else x1 - 4 * k - w * 0.3
            stub_top = [(sx + w * 0.3 * f, yb - (yb - eave) * rnd.uniform(0.3, 0.9)) for f in np.linspace(0, 1, 6)]
            d.polygon(stub_top + [(sx + w * 0.3, yb), (sx, yb)], fill=_shift(p["wall"], 0.92))
        _rubble(d, rnd, heap, int(w * (yb - top) / (110 * k * k)), k, palette, 1.2)
        for _ in range(rnd.randint(6, 12)):  # voids, broken beams, bent rebar
            vx, vy = hx + rnd.uniform(-0.7, 0.7) * rx, hy + rnd.uniform(-0.6, 0.6) * ry
            _fragment(d, rnd, vx, vy, rnd.uniform(4, 10) * k, (42, 38, 34), False)
            if rnd.random() < 0.5:
                a, ln = rnd.uniform(0, math.pi), rnd.uniform(20, 50) * k
                d.line([(vx, vy), (vx + ln * math.cos(a), vy + ln * math.sin(a))], fill=(110, 80, 54),
                       width=max(2, int(rnd.uniform(3, 5) * k)))
            _crack(d, rnd, vx, vy, rnd.uniform(0, 6.3), rnd.uniform(20, 50) * k, 1, (56, 48, 42), branch=False)
        for _ in range(rnd.randint(2, 4)):  # slabs of roof or floor, tilted, lying on top
            cx, cy = hx + rnd.uniform(-0.55, 0.55) * rx, hy + rnd.uniform(-0.55, 0.45) * ry
            sw, sh, a = rnd.uniform(0.07, 0.15) * w, rnd.uniform(0.05, 0.1) * w, rnd.uniform(-0.6, 0.6)
            pts = [(cx + dx * math.cos(a) - dy * math.sin(a), cy + dx * math.sin(a) + dy * math.cos(a))
                   for dx, dy in ((-sw, -sh), (sw, -sh * rnd.uniform(0.5, 1)), (sw, sh), (-sw * 0.8, sh))]
            d.polygon([(x + 5 * k, y + 6 * k) for x, y in pts], fill=(50, 46, 42))
            d.polygon(pts, fill=_shift(rnd.choice(roof_palette + [(168, 166, 160)]), rnd.uniform(0.8, 1.1)))
            _crack(d, rnd, *pts[0], a + 0.4, sw, max(1, int(2 * k)), (70, 64, 58), branch=False)
        for _ in range(rnd.randint(3, 7)):  # belongings: cloth, plastic
            _fragment(d, rnd, hx + rnd.uniform(-0.7, 0.7) * rx, hy + rnd.uniform(-0.6, 0.6) * ry, rnd.uniform(4, 9) * k,
                      rnd.choice([(40, 80, 160), (170, 40, 40), (50, 130, 70), (210, 180, 50), (230, 230, 230)]))
        return [heap[0], heap[1], heap[2], heap[3]]
    for _ in range(rnd.randint(2, 4) if level else 0):  # cracks across the roof and the wall
        _crack(d, rnd, rnd.uniform(x0 + 0.1 * w, x1 - 0.1 * w), rnd.uniform(top, eave), rnd.uniform(0, 6.3),
               rnd.uniform(60, 160) * k, max(1, int(2.5 * k)), (52, 46, 42), roof_box)
        _crack(d, rnd, rnd.uniform(x0 + 0.1 * w, x1 - 0.1 * w), rnd.uniform(eave + 5, yb - 5), rnd.uniform(0.8, 2.3),
               rnd.uniform(40, 90) * k, max(1, int(2 * k)), (80, 72, 64), wall_box)
    for _ in range(rnd.randint(3, 6) if level == 1 else 0):  # missing tiles or spalled patches
        mx, my = rnd.uniform(x0 + 0.1 * w, x1 - 0.1 * w), rnd.uniform(top + 0.1 * (eave - top), eave - 10 * k)
        mw, mh = rnd.uniform(14, 34) * k, rnd.uniform(10, 22) * k
        d.polygon([(mx, my), (mx + mw, my + rnd.uniform(-3, 3) * k), (mx + mw * 0.9, my + mh), (mx - 2 * k, my + mh)],
                  fill=(70, 52, 40) if p["roof"] != "flat" else (120, 116, 108))
        d.line([(mx + mw * 0.3, my), (mx + mw * 0.3, my + mh)], fill=(140, 104, 68), width=max(1, int(2 * k)))
    if level == 2:  # one side of the house has come down
        left = rnd.random() < 0.5
        frac = rnd.uniform(0.3, 0.55)
        edge_x = x0 + w * frac if left else x1 - w * frac
        cut = [(edge_x + rnd.uniform(-0.06, 0.06) * w, y) for y in np.linspace(top - 2, yb - (yb - eave) * 0.3, 7)]
        outer = x0 - 2 if left else x1 + 2
        section = cut + [(outer, yb - (yb - eave) * 0.25), (outer, top - 2)]
        d.polygon(section, fill=(70, 62, 54))
        sx0, sx1 = (outer, edge_x) if left else (edge_x, outer)
        _rubble(d, rnd, [sx0 - 0.05 * w, top, sx1 + 0.05 * w, yb], int(abs(sx1 - sx0) * (yb - top) / (60 * k * k)), k,
                palette, 1.0)
        for _ in range(rnd.randint(3, 6)):  # broken rafters hanging into the hole
            y = rnd.uniform(top, eave)
            x = edge_x + rnd.uniform(-8, 8) * k
            d.line([(x, y), (x + (-1 if left else 1) * rnd.uniform(30, 80) * k, y + rnd.uniform(10, 60) * k)],
                   fill=(112, 80, 52), width=max(2, int(5 * k)))
        d.line(cut, fill=(206, 200, 190), width=max(1, int(3 * k)))
        spill = [sx0 - 0.1 * w, yb - 0.05 * (yb - top), sx1 + 0.1 * w, yb + 0.12 * (yb - top)]
        _rubble(d, rnd, spill, int(abs(sx1 - sx0) * 0.25 * (yb - top) / (60 * k * k)) + 20, k, palette, 0.6)
        box = [min(box[0], spill[0]), top, max(box[2], spill[2]), spill[3]]
    elif level == 1:  # fallen tiles and plaster at the foot of the wall
        _rubble(d, rnd, [x0, yb - 6 * k, x1, yb + 0.05 * (yb - top)], rnd.randint(15, 35), k * 0.6, palette, 0.2)
    return box


def _tree(d, rnd, x, y, r):
    base = _shift(rnd.choice([(56, 86, 40), (70, 100, 44), (48, 76, 38), (84, 104, 50)]), 1, rnd, 8)
    for i in range(rnd.randint(7, 12)):
        a, q = rnd.uniform(0, 2 * math.pi), rnd.uniform(0, 0.55) * r
        cx, cy, cr = x + q * math.cos(a), y + q * math.sin(a), r * rnd.uniform(0.35, 0.55)
        d.ellipse([cx - cr, cy - cr, cx + cr, cy + cr], fill=_shift(base, 0.75 + 0.1 * i / 4))
    for _ in range(rnd.randint(4, 7)):  # sunlit side, upper left
        a, q = rnd.uniform(2.6, 4.8), rnd.uniform(0.2, 0.6) * r
        cx, cy, cr = x + q * math.cos(a), y + q * math.sin(a), r * rnd.uniform(0.18, 0.32)
        d.ellipse([cx - cr, cy - cr, cx + cr, cy + cr], fill=_shift(base, rnd.uniform(1.15, 1.35)))


def _car(d, sd, rnd, x, y, k, heading):
    length, width = rnd.uniform(82, 96) * k, rnd.uniform(38, 42) * k
    col = rnd.choice(_CARS)
    sd.rounded_rectangle([x + 6 * k, y + 8 * k, x + length + 6 * k, y + width + 8 * k], radius=10 * k, fill=255)
    d.rounded_rectangle([x, y, x + length, y + width], radius=10 * k, fill=col)
    front = (x + length * 0.62, x + length * 0.78) if heading > 0 else (x + length * 0.22, x + length * 0.38)
    rear = (x + length * 0.12, x + length * 0.2) if heading > 0 else (x + length * 0.8, x + length * 0.88)
    for a, b in (front, rear):
        d.polygon([(a, y + 5 * k), (b, y + 4 * k), (b, y + width - 4 * k), (a, y + width - 5 * k)], fill=(36, 42, 52))
    a, b = sorted((front[0], rear[1])) if heading > 0 else sorted((front[1], rear[0]))
    d.rectangle([a + 3 * k, y + 7 * k, b - 3 * k, y + width - 7 * k], fill=_shift(col, 1.08))


def drone_photo(seed, damage, size=(1024, 768)):
    """A synthetic drone photo (JPEG bytes, no EXIF) of 2-5 houses along a street, and the houses' boxes.

    `damage` sets how damaged the worst house is: the house nearest the centre has exactly that level and the
    others the same or one level less. Boxes are pixel rectangles {"x", "y", "w", "h", "damage"}, left to right,
    clipped to the image. The same seed gives the same street at every damage level.
    """
    if damage not in DAMAGE_LEVELS:
        raise ValueError(f"unknown damage {damage!r}; expected one of {', '.join(DAMAGE_LEVELS)}")
    W, H = int(size[0]), int(size[1])
    if W < 160 or H < 120:
        raise ValueError("drone photos are at least 160x120 pixels")
    rnd, k, level = random.Random(seed), min(W / 1024, H / 768), DAMAGE_LEVELS.index(damage)
    mpp = 0.05 / k  # about 5 cm per pixel at 1024x768
    xs, ys = np.arange(W) * mpp + (seed % 997) * 100.0, np.arange(H) * mpp
    grass = _fbm(xs, ys, mpp, [(8, 1), (2.5, 0.7), (0.7, 0.5), (0.25, 0.4)], 201)
    img = _lerp((74, 102, 48), (132, 148, 78), 0.5 + 2 * grass)
    dirt = _fbm(xs, ys, mpp, [(4, 1), (1.5, 0.6)], 202) > 0.2
    img[dirt] = _lerp((120, 106, 80), (164, 146, 110), 0.5 + 3 * grass[dirt])
    street_top = int(H * rnd.uniform(0.64, 0.72))
    walk, lanes = int(0.035 * H), int(H * rnd.uniform(0.13, 0.16))
    fine = _fbm(xs, ys, mpp, [(1.5, 1), (0.4, 1), (0.15, 0.8)], 203)
    rows = slice(street_top, street_top + walk)
    img[rows] = _lerp((156, 152, 144), (190, 186, 178), 0.5 + 2 * fine[rows])
    rows = slice(street_top + walk, street_top + walk + lanes)
    img[rows] = _lerp((62, 64, 68), (104, 104, 106), 0.5 + 2.5 * fine[rows])
    rows = slice(street_top + walk + lanes, street_top + 2 * walk + lanes)
    img[rows] = _lerp((156, 152, 144), (190, 186, 178), 0.5 + 2 * fine[rows])
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(im)
    shade = Image.new("L", (W, H))
    sd = ImageDraw.Draw(shade)
    for y in (street_top, street_top + 2 * walk + lanes - 1):
        for x in range(0, W, int(48 * k)):
            d.line([(x, y), (x, y + walk)], fill=(140, 136, 128))
    for y in (street_top + walk, street_top + walk + lanes):
        d.line([(0, y), (W, y)], fill=(206, 204, 198), width=max(2, int(5 * k)))
    mid = street_top + walk + lanes // 2
    for x in range(int(rnd.uniform(0, 60) * k), W, int(110 * k)):
        d.rectangle([x, mid - 2 * k, x + 55 * k, mid + 2 * k], fill=(224, 222, 210))
    n = rnd.randint(2, 5)
    plans = _house_plan(rnd, W, H, n, street_top)
    main = min(range(n), key=lambda i: abs((plans[i]["x0"] + plans[i]["x1"]) / 2 - W / 2))
    levels = [level if i == main else max(0, level - rnd.choice([0, 0, 1])) for i in range(n)]
    for p, lv in zip(plans, levels):
        d.rectangle([(p["x0"] + p["x1"]) / 2 - 22 * k, p["yb"], (p["x0"] + p["x1"]) / 2 + 22 * k, street_top],
                    fill=(172, 164, 150))  # path to the door
        if lv == 3:  # a low heap casts a short shadow
            sd.ellipse([p["x0"] + 10 * k, p["top"] + 0.3 * (p["yb"] - p["top"]), p["x1"] + 22 * k, p["yb"] + 24 * k],
                       fill=180)
        else:
            drop = (p["yb"] - p["eave"]) * 0.45 + 14 * k
            sd.polygon([(p["x1"], p["top"]), (p["x1"] + drop, p["top"] + drop * 0.5),
                        (p["x1"] + drop, p["yb"] + drop * 0.5), (p["x0"] + drop, p["yb"] + drop * 0.5),
                        (p["x0"], p["yb"])], fill=255)
    trees = []
    for _ in range(rnd.randint(3, 8)):
        for _attempt in range(20):
            r = rnd.uniform(28, 62) * k
            x, y = rnd.uniform(0, W), rnd.uniform(0, street_top - r * 0.5)
            if all(not (p["x0"] - r * 0.6 < x < p["x1"] + r * 0.6 and p["top"] - r * 0.6 < y < p["yb"] + r * 0.6)
                   for p in plans):
                trees.append((x, y, r))
                break
    for x, y, r in trees:
        sd.ellipse([x - 0.5 * r, y - 0.65 * r, x + 1.5 * r, y + 1.35 * r], fill=255)
    cars = []
    for _ in range(rnd.randint(1, 4)):
        lane_y = street_top + walk + (lanes * 0.12 if rnd.random() < 0.5 else lanes * 0.55)
        x = rnd.uniform(-20, W - 80 * k)
        if all(abs(x - cx) > 110 * k or abs(lane_y - cy) > 10 for cx, cy in cars):
            cars.append((x, lane_y))
    arr = np.asarray(im, np.float32)
    arr *= (1 - 0.45 * np.asarray(shade.filter(ImageFilter.GaussianBlur(3 * k)), np.float32) / 255)[..., None]
    im = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(im)
    shade = Image.new("L", (W, H))
    sd = ImageDraw.Draw(shade)
    boxes = []
    for i, (p, lv) in enumerate(zip(plans, levels)):
        hr = random.Random(seed * 131 + i * 7 + lv)
        if lv < 3:
            _draw_house(d, random.Random(seed * 131 + i), p, k)
        box = _damage_house(d, hr, p, lv, k)
        x0, y0, x1, y1 = max(0, box[0]), max(0, box[1]), min(W, box[2]), min(H, box[3])
        boxes.append({"x": int(x0), "y": int(y0), "w": int(x1 - x0), "h": int(y1 - y0), "damage": DAMAGE_LEVELS[lv]})
    for x, y, r in trees:
        _tree(d, random.Random(int(x * 7 + y)), x, y, r)
    for x, y in cars:
        _car(d, sd, rnd, x, y, k, rnd.choice([-1, 1]))
    arr = np.asarray(im, np.float32)
    arr *= (1 - 0.35 * np.asarray(shade.filter(ImageFilter.GaussianBlur(2 * k)), np.float32) / 255)[..., None]
    arr *= (1 + 0.35 * _fbm(xs, ys, mpp, [(0.5, 1), (0.2, 1), (0.1, 0.6)], 204))[..., None]  # grain of surfaces
    if level >= 2:  # dust settles on everything
        haze = 0.05 * level
        arr = arr * (1 - haze) + np.float32([196, 186, 168]) * haze
    yy, xx = np.mgrid[0:H, 0:W]
    vignette = 1 - 0.22 * (((xx - W / 2) / (W / 2)) ** 2 + ((yy - H / 2) / (H / 2)) ** 2) / 2
    arr = arr * vignette[..., None] * np.float32([1.02, 1.0, 0.96])
    arr += np.random.default_rng(seed % 2 ** 32).normal(0, 2.5, arr.shape).astype(np.float32)
    out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.5 * k))
    buf = io.BytesIO()
    out.save(buf, "JPEG", quality=88)
    return buf.getvalue(), boxes

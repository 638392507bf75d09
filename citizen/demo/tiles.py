"""Projection, value noise and drawing helpers shared by the demo's tile layers."""
import math
import operator

import numpy as np


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

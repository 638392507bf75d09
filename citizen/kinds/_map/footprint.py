"""A photo's footprint: where its four corners lie on the ground, and the place of any pixel inside it.

A footprint is four [lon, lat] positions (WGS84) of the photo's corners in image order: top-left (pixel 0, 0),
top-right (width, 0), bottom-right (width, height), bottom-left (0, height), as a drone's flight software or a
photogrammetry tool gives them. A tilted camera sees a trapezoid, not a rectangle, so a pixel is placed by the
projective map (homography) of the image rectangle onto that quadrilateral (Heckbert, "Fundamentals of Texture
Mapping", 1989, square to quadrilateral), worked out on a local plane around the footprint (east and north
distances, longitudes shrunk by the cosine of the latitude), which is exact enough for a footprint of a few
hundred metres and why footprints larger than MAX_SPAN degrees are refused. Pure functions, no database.
"""
import json
import math

MAX_SPAN = 0.5        # degrees: a drone photo covers far less; beyond this the local plane is no longer honest
MAX_TEXT = 400        # characters of a footprint given as text (a CSV cell)


class FootprintError(ValueError):
    pass


def clean_footprint(raw):
    """Four [lon, lat] corners (a list, or its JSON text), rounded to 7 decimals; FootprintError when they are
    not four finite positions within MAX_SPAN degrees forming a convex quadrilateral in image order."""
    if isinstance(raw, str):
        if len(raw) > MAX_TEXT:
            raise FootprintError("a footprint is four [lon, lat] corners")
        try:
            raw = json.loads(raw)
        except ValueError:
            raise FootprintError("a footprint is four [lon, lat] corners (JSON)") from None
    if not isinstance(raw, (list, tuple)) or len(raw) != 4:
        raise FootprintError("a footprint is four [lon, lat] corners: top-left, top-right, bottom-right, bottom-left")
    corners = []
    for corner in raw:
        if not isinstance(corner, (list, tuple)) or len(corner) != 2 or \
                not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in corner):
            raise FootprintError("each corner of a footprint is [lon, lat]")
        lon, lat = float(corner[0]), float(corner[1])
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -85 <= lat <= 85):
            raise FootprintError("footprint corners are degrees (longitude -180 to 180, latitude -85 to 85)")
        corners.append([round(lon, 7), round(lat, 7)])
    lons, lats = [c[0] for c in corners], [c[1] for c in corners]
    if max(lons) - min(lons) > MAX_SPAN or max(lats) - min(lats) > MAX_SPAN:
        raise FootprintError(f"a footprint spans at most {MAX_SPAN} degrees")
    if _homography(_local(corners)[0]) is None:
        raise FootprintError("the footprint's corners must go round the photo in order (top-left, top-right, "
                             "bottom-right, bottom-left) and enclose an area")
    return corners


def _local(corners):
    """The corners on a local plane around their mean (x east, y north, in degrees of latitude)."""
    lon0 = sum(c[0] for c in corners) / 4
    lat0 = sum(c[1] for c in corners) / 4
    k = math.cos(math.radians(lat0))
    return [((lon - lon0) * k, lat - lat0) for lon, lat in corners], (lon0, lat0, k)


def _cross(o, a, b):
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _homography(quad):
    """(a, b, c, d, e, f, g, h) mapping (u, v) of the unit square onto quad, or None for a quadrilateral that
    is not convex in this order (crossed, folded or flat): x = (a u + b v + c) / (g u + h v + 1), y likewise."""
    turns = [_cross(quad[i], quad[(i + 1) % 4], quad[(i + 2) % 4]) for i in range(4)]
    scale = max(abs(v) for p in quad for v in p) or 1.0
    if not (all(t > 1e-12 * scale ** 2 for t in turns) or all(t < -1e-12 * scale ** 2 for t in turns)):
        return None
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = quad
    sx, sy = x0 - x1 + x2 - x3, y0 - y1 + y2 - y3
    if abs(sx) < 1e-15 and abs(sy) < 1e-15:  # a parallelogram: an affine map
        return x1 - x0, x3 - x0, x0, y1 - y0, y3 - y0, y0, 0.0, 0.0
    dx1, dx2, dy1, dy2 = x1 - x2, x3 - x2, y1 - y2, y3 - y2
    den = dx1 * dy2 - dx2 * dy1
    g = (sx * dy2 - dx2 * sy) / den
    h = (dx1 * sy - sx * dy1) / den
    return x1 - x0 + g * x1, x3 - x0 + h * x3, x0, y1 - y0 + g * y1, y3 - y0 + h * y3, y0, g, h


def pixel_to_lonlat(footprint, width, height, x, y):
    """The [lon, lat] of pixel (x, y) of a width x height photo whose corners lie at `footprint` (cleaned), or
    None when the pixel is outside the photo."""
    if not (0 <= x <= width and 0 <= y <= height) or width <= 0 or height <= 0:
        return None
    quad, (lon0, lat0, k) = _local(footprint)
    hom = _homography(quad)
    if hom is None:
        return None
    a, b, c, d, e, f, g, h = hom
    u, v = x / width, y / height
    w = g * u + h * v + 1.0
    px, py = (a * u + b * v + c) / w, (d * u + e * v + f) / w
    return [round(lon0 + px / k, 7), round(lat0 + py, 7)]

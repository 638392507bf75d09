"""Validation of the marks a volunteer draws on a map cell or a photo, stored as a GeoJSON FeatureCollection.

Marks are checked strictly and never repaired: a refused mark comes back to the volunteer with a message
naming it ("Mark 2: ..."), so they can redraw it while the picture is still in front of them.
"""
import math

import shapely
from flask_babel import gettext as _

SUPPORTED = ("Point", "LineString", "Polygon")

# Limits of what one volunteer may draw, far above what a person draws by hand (a damaged building is an
# outline of four to a few tens of corners, a clearing a few dozen; a search pin is one position) and low
# enough that checking, storing and clustering the worst answer they allow stays cheap. Nine answers of 50
# polygons of 500 corners each once made the public campaign page take 15 s.
MAX_VERTICES_PER_POLYGON = 100  # corners of one polygon (positions of one line)
MAX_MARKS = 50                  # marks in one answer
MAX_VERTICES_PER_ANSWER = 500   # corners of all the marks of one answer (a point counts as one)
# What a task keeps of its answers' marks for the spatial consensus (citizen.kinds._map): the
# marks of an answer that would take the task past either budget are not kept; its grade still counts.
MAX_VERTICES_PER_TASK = 2500
MAX_MARKS_PER_TASK = 250


class MarkError(ValueError):
    """A mark that cannot be stored; `mark` is its 1-based number (None for the collection as a whole)."""

    def __init__(self, message, mark=None):
        super().__init__(message)
        self.message = message
        self.mark = mark


def empty_marks():
    """An empty FeatureCollection, the value of "nothing drawn"."""
    return {"type": "FeatureCollection", "features": []}


def count(marks):
    """(marks, corners) of a FeatureCollection as sent, without looking at any coordinate: a polygon's
    closing position is not a corner, a point is one. Whatever is not in the expected format counts as
    nothing here (clean_marks says what is wrong with it)."""
    features = marks.get("features") if isinstance(marks, dict) else None
    if not isinstance(features, list):
        return 0, 0
    corners = 0
    for feature in features:
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
        if not isinstance(coordinates, list):
            continue
        if geometry.get("type") == "Point":
            corners += 1
        elif geometry.get("type") == "Polygon":
            for ring in coordinates:
                if isinstance(ring, list) and ring:
                    corners += len(ring) - (len(ring) > 1 and ring[0] == ring[-1])
        else:
            corners += len(coordinates)
    return len(features), corners


def check_size(marks, max_features=MAX_MARKS, max_corners=MAX_VERTICES_PER_ANSWER):
    """Refuse (MarkError) an answer with more marks or corners than one answer may hold; cheap (it counts,
    it does not read coordinates), so it runs before any lock is taken."""
    features, corners = count(marks)
    if features > max_features:
        raise MarkError(_("There are %(count)d marks: draw at most %(max)d.", count=features, max=max_features))
    if corners > max_corners:
        raise MarkError(_("The marks have %(count)d corners in all: draw them more simply (at most %(max)d).",
                          count=corners, max=max_corners))


def clean_marks(marks, frame, allowed=("Point", "Polygon"), max_features=MAX_MARKS,
                max_vertices=MAX_VERTICES_PER_POLYGON, precision=7, max_corners=MAX_VERTICES_PER_ANSWER):
    """Check the marks sent by a client and return them as a normalised FeatureCollection.

    `frame` is (minx, miny, maxx, maxy): every position must lie inside it (a map cell's lon/lat bbox
    plus a margin, or a photo's pixel box 0..width, 0..height). `allowed` lists the geometry types
    accepted (from Point, LineString, Polygon). At most `max_features` marks, `max_vertices` corners
    per polygon or line and `max_corners` in all, counted before any geometry is built.
    Polygons must have one ring (no holes), at least three
    distinct corners, an area and edges that do not cross; an unclosed ring is closed. Coordinates are
    rounded to `precision` decimals (7 for lon/lat, 1 for pixels) and properties are dropped.
    Returns {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
    "geometry": {...}}]}; None or an empty collection gives an empty one. Raises MarkError.
    """
    unknown = set(allowed) - set(SUPPORTED)
    if unknown:
        raise ValueError(f"unsupported mark types: {sorted(unknown)}")
    if marks is None:
        return empty_marks()
    if not isinstance(marks, dict) or marks.get("type") != "FeatureCollection":
        raise MarkError(_("The marks are not in the expected format (a GeoJSON FeatureCollection)."))
    features = marks.get("features", [])
    if not isinstance(features, list):
        raise MarkError(_("The marks are not in the expected format (a GeoJSON FeatureCollection)."))
    check_size(marks, max_features, max_corners)
    out = []
    for number, feature in enumerate(features, start=1):
        geometry = _clean_feature(number, feature, frame, allowed, max_vertices, precision)
        out.append({"type": "Feature", "properties": {}, "geometry": geometry})
    return {"type": "FeatureCollection", "features": out}


def _clean_feature(n, feature, frame, allowed, max_vertices, precision):
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise MarkError(_("Mark %(n)d is not a GeoJSON Feature.", n=n), n)
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or "coordinates" not in geometry:
        raise MarkError(_("Mark %(n)d has no shape.", n=n), n)
    kind = geometry.get("type")
    if kind not in allowed:
        names = ", ".join(_type_name(t) for t in allowed)
        raise MarkError(_("Mark %(n)d is a %(kind)s; only these marks can be drawn here: %(allowed)s.",
                          n=n, kind=_type_name(kind), allowed=names), n)
    coordinates = geometry["coordinates"]
    if kind == "Point":
        return {"type": "Point", "coordinates": _position(n, coordinates, frame, precision)}
    if kind == "LineString":
        line = _positions(n, coordinates, frame, precision, max_vertices)
        if len(_distinct(line)) < 2:
            raise MarkError(_("Mark %(n)d: a line needs at least two different points.", n=n), n)
        return {"type": "LineString", "coordinates": line}
    return {"type": "Polygon", "coordinates": [_ring(n, coordinates, frame, precision, max_vertices)]}


def _ring(n, rings, frame, precision, max_vertices):
    if not isinstance(rings, list) or not rings or not all(
            isinstance(r, list) and r and all(isinstance(p, (list, tuple)) for p in r) for r in rings):
        raise MarkError(_("Mark %(n)d: the polygon's coordinates are not in the expected format.", n=n), n)
    if len(rings) > 1:
        raise MarkError(_("Mark %(n)d has a hole; holes are not supported: draw the outer outline only.", n=n), n)
    if len(rings[0]) > max_vertices + 1:  # + 1: the closing position repeats the first corner
        raise MarkError(_("Mark %(n)d has more than %(max)d corners: draw it more simply.", n=n, max=max_vertices), n)
    ring = _positions(n, rings[0], frame, precision, max_vertices + 1)
    if ring[0] != ring[-1]:
        ring.append(list(ring[0]))
    if len(ring) - 1 > max_vertices:
        raise MarkError(_("Mark %(n)d has more than %(max)d corners: draw it more simply.", n=n, max=max_vertices), n)
    if len(_distinct(ring)) < 3:
        raise MarkError(_("Mark %(n)d: a polygon needs at least three different corners.", n=n), n)
    polygon = shapely.Polygon(ring)
    if polygon.convex_hull.area == 0:  # not polygon.area: a bow-tie's two halves cancel out to zero
        raise MarkError(_("Mark %(n)d: the polygon has no area (its corners are on one line).", n=n), n)
    if not polygon.is_valid:
        reason = shapely.is_valid_reason(polygon)
        if "Self-intersection" in reason or "Ring Self-intersection" in reason:
            raise MarkError(_("Mark %(n)d: the polygon's edges cross each other.", n=n), n)
        raise MarkError(_("Mark %(n)d: the polygon is not a simple outline (%(reason)s).", n=n,
                          reason=reason.split("[")[0].strip()), n)
    return ring


def _positions(n, coordinates, frame, precision, max_vertices):
    if not isinstance(coordinates, list) or not coordinates:
        raise MarkError(_("Mark %(n)d: the coordinates are not in the expected format.", n=n), n)
    if len(coordinates) > max_vertices:
        raise MarkError(_("Mark %(n)d has more than %(max)d corners: draw it more simply.", n=n, max=max_vertices), n)
    out = []
    for position in coordinates:
        p = _position(n, position, frame, precision)
        if not out or out[-1] != p:  # a double click leaves a repeated corner: drop it
            out.append(p)
    return out


def _position(n, position, frame, precision):
    # Two numbers (a third, altitude, is dropped); bools are ints in Python, so refuse them explicitly.
    if not isinstance(position, (list, tuple)) or len(position) not in (2, 3) or not all(
            type(v) in (int, float) and math.isfinite(v) for v in position):
        raise MarkError(_("Mark %(n)d: the coordinates are not valid numbers.", n=n), n)
    x, y = float(position[0]), float(position[1])
    minx, miny, maxx, maxy = frame
    if not (minx <= x <= maxx and miny <= y <= maxy):
        raise MarkError(_("Mark %(n)d is outside the area of this task.", n=n), n)
    return [round(x, precision), round(y, precision)]


def _distinct(positions):
    return {tuple(p) for p in positions}


def _type_name(kind):
    names = {"Point": _("point"), "LineString": _("line"), "Polygon": _("polygon")}
    return names.get(kind) or _("shape of type %(kind)s", kind=str(kind)[:30])

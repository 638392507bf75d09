"""A field campaign's sites as the organiser gives them (rows, GeoJSON, GeoPackage): pure checks, no database."""
import json
import math

from flask_babel import gettext as _

from citizen.ingest import places as readers
from citizen.kinds._map import tiles
from citizen.kinds._shared import normalise

MAX_NAME = 200
MAX_NOTE = 500
NAME_KEYS = ("name", "title", "label", "site")
NOTE_KEYS = ("description", "note", "address")


def collapse(text):
    """Text on one line, runs of whitespace as one space (control characters go too)."""
    return " ".join(str(text).split())


def _degrees(raw, name, limit):
    try:
        value = float(str(raw).strip().replace(",", ".")) if not isinstance(raw, (int, float)) else float(raw)
    except ValueError:
        value = float("nan")
    if isinstance(raw, bool) or not math.isfinite(value) or not -limit <= value <= limit:
        raise ValueError(_("%(name)s must be a number of degrees from -%(limit)d to %(limit)d (WGS84).",
                           name=name, limit=limit))
    return round(value, 7)


def clean_site(payload):
    """A site {"name", "lat", "lon", "note"?, "geometry"?} from an import row; ValueError with a message."""
    row = {str(k).strip().lower(): v for k, v in payload.items()}
    known = {"lat", "latitude", "lon", "lng", "longitude", "geometry", *NAME_KEYS, *NOTE_KEYS}
    unknown = sorted(set(row) - known)
    if unknown:
        raise ValueError(_("unknown field(s): %(fields)s (a site has name, lat, lon and an optional description)",
                           fields=", ".join(unknown)[:200]))
    lat = next((row[k] for k in ("lat", "latitude") if row.get(k) not in (None, "")), None)
    lon = next((row[k] for k in ("lon", "lng", "longitude") if row.get(k) not in (None, "")), None)
    if lat is None or lon is None:
        raise ValueError(_("a site needs lat and lon (WGS84 degrees), or a point in GeoJSON"))
    site = {"lat": _degrees(lat, "lat", 90), "lon": _degrees(lon, "lon", 180)}
    name = next((row[k] for k in NAME_KEYS if row.get(k) not in (None, "")), None)
    site["name"] = collapse(str(name))[:MAX_NAME] if name is not None else \
        f"{site['lat']:.5f}, {site['lon']:.5f}"
    note = next((row[k] for k in NOTE_KEYS if row.get(k) not in (None, "")), None)
    if note is not None:
        site["note"] = collapse(str(note))[:MAX_NOTE]
    geometry = row.get("geometry")
    if isinstance(geometry, dict) and geometry.get("type") in ("Polygon", "MultiPolygon") \
            and len(json.dumps(geometry)) <= 20000:
        site["geometry"] = geometry
    return site


def looks_geojson(data):
    head = bytes(data[:2000]).lstrip()
    return head.startswith(b"{") and b'"type"' in head


def from_geodata(filename, data):
    """Import rows [(line, row)] of the features of a GeoJSON or GeoPackage file, or ([], errors)."""
    try:
        found = readers.read_places(filename, data)
    except readers.PlaceError as exc:
        return [], [{"line": 1, "message": str(exc)}]
    rows, errors = [], []
    for line, (props, lon, lat, outline) in enumerate(found, start=1):
        if lon is None:
            errors.append({"line": line, "message": _("feature %(n)d is not a point or an area", n=line)})
            continue
        row = {k: props.get(k) for k in (*NAME_KEYS, *NOTE_KEYS) if props.get(k) not in (None, "")}
        row.update(lat=lat, lon=lon, **({"geometry": outline} if outline else {}))
        for key in ("id", "external_id", "ref"):
            if props.get(key) not in (None, ""):
                row["external_id"] = str(props[key])[:200]
                break
        rows.append((line, row))
    return rows, errors


def clean_tiles(raw):
    """The basemap's tile template ("" for none); ValueError with the tile checker's message."""
    if not str(raw or "").strip():
        return ""
    try:
        return tiles.normalise(raw)
    except tiles.TileError as exc:
        raise ValueError(str(exc)) from None


def site_extent_m(payload):
    """How far the edge of a site's area reaches from its point (0 for a point): a visit anywhere on the area counts."""
    geometry = payload.get("geometry")
    if not geometry:
        return 0.0
    from citizen.kinds.field import haversine_m
    coords = []

    def walk(c):
        if isinstance(c, (list, tuple)) and c and isinstance(c[0], (int, float)):
            coords.append(c)
        elif isinstance(c, (list, tuple)):
            for item in c:
                walk(item)
    walk(geometry.get("coordinates"))
    return max((haversine_m(payload["lat"], payload["lon"], c[1], c[0]) for c in coords[:500]), default=0.0)

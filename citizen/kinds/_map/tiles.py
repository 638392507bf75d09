"""Imagery tile addresses of the map kinds: what an organiser may paste, and the address of one tile.

Accepted, normalised to one template that `L.citizenTiles` (static/js/tiles.js) and `address` both read:
- XYZ templates with {z}, {x} and {y} (or {-y}, TMS) in any order, with an optional {s} (subdomains a, b, c):
  OpenStreetMap-style servers, ESRI World Imagery and Wayback (`.../tile/{z}/{y}/{x}`);
- quadkey templates with {q} (Bing);
- WMTS templates with {TileMatrix}, {TileRow} and {TileCol} (for a Web Mercator tile matrix set such as
  GoogleMapsCompatible), rewritten to {z}, {y} and {x};
- WMS GetMap addresses (`...?SERVICE=WMS&REQUEST=GetMap&LAYERS=...`): the box, size and projection are set
  per tile (EPSG:3857, 256 px) through {bbox-epsg-3857}, the placeholder QGIS and MapLibre use.
Placeholders are found with plain string scans: a regular expression over a 500-character address could
backtrack for a time that grows with a power of its length.
"""
import math
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask_babel import gettext as _

MAX_TILE_URL = 500  # characters of a tile address
KNOWN = {"z", "x", "y", "-y", "s", "q", "bbox-epsg-3857"}
WMTS = {"tilematrix": "z", "tilecol": "x", "tilerow": "y"}
HALF_WORLD = 20037508.342789244  # metres, Web Mercator


class TileError(ValueError):
    """A tile address that cannot be used; the message is meant for the organiser."""


def placeholders(url):
    """The {names} in url, in order (plain scanning)."""
    out, start = [], url.find("{")
    while start >= 0:
        end = url.find("}", start + 1)
        if end < 0:
            raise TileError(_("The tile address has a { without its }."))
        out.append(url[start + 1:end])
        start = url.find("{", end + 1)
    return out


def normalise(raw):
    """The tile template to store for what the organiser pasted; TileError with a plain message."""
    url = str(raw or "").strip()
    if len(url) > MAX_TILE_URL:
        raise TileError(_("A tile address has at most %(max)d characters.", max=MAX_TILE_URL))
    if not url.startswith(("https://", "http://", "/")) or any(c.isspace() or c in "\"'<>\\" for c in url):
        raise TileError(_("A tile address starts with https:// or / and has no spaces or quotes, for example "
                          "https://tiles.example.org/{z}/{x}/{y}.png"))
    if _is_wms(url):
        url = _wms_template(url)
    for name in placeholders(url):
        if name.lower() in WMTS:
            url = url.replace("{" + name + "}", "{" + WMTS[name.lower()] + "}")
    names = placeholders(url)
    unknown = [n for n in names if n not in KNOWN]
    if unknown:
        if any(n.lower() == "tilematrixset" for n in unknown):
            raise TileError(_("Write the tile matrix set's name in place of {TileMatrixSet} (a Web Mercator set, "
                              "such as GoogleMapsCompatible)."))
        raise TileError(_("The tile address has a placeholder this site does not know: {%(name)s}. Use {z}, {x} "
                          "and {y} (or {-y}), {s}, {q} (quadkey) or a WMS/WMTS address.", name=unknown[0][:40]))
    if not ("q" in names or "bbox-epsg-3857" in names
            or ("z" in names and "x" in names and ("y" in names or "-y" in names))):
        raise TileError(_("A tile address needs {z}, {x} and {y} (in any order), or {q} for a quadkey, or a WMS "
                          "or WMTS address, for example https://tiles.example.org/{z}/{x}/{y}.png"))
    return url


def _is_wms(url):
    query = {k.lower(): v.lower() for k, v in parse_qsl(urlsplit(url).query)}
    return query.get("service") == "wms" or query.get("request") == "getmap"


def _wms_template(url):
    """A GetMap address for one 256 px Web Mercator tile of a WMS server, the box left as {bbox-epsg-3857}."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k.lower() not in ("bbox", "width", "height", "srs", "crs", "service", "request")]
    lower = {k.lower(): v for k, v in query}
    if not lower.get("layers"):
        raise TileError(_("A WMS address needs LAYERS=... (the layer to show)."))
    version = lower.get("version") or "1.1.1"
    if "version" not in lower:
        query.append(("VERSION", version))
    if "format" not in lower:
        query.append(("FORMAT", "image/png"))
    if "styles" not in lower:
        query.append(("STYLES", ""))
    query += [("SERVICE", "WMS"), ("REQUEST", "GetMap"), ("WIDTH", "256"), ("HEIGHT", "256"),
              ("CRS" if version.startswith("1.3") else "SRS", "EPSG:3857")]
    return urlunsplit(parts._replace(query=urlencode(query) + "&BBOX={bbox-epsg-3857}"))


def quadkey(x, y, z):
    """Bing's quadkey of tile (x, y) at zoom z."""
    digits = []
    for i in range(z, 0, -1):
        mask = 1 << (i - 1)
        digits.append(str((1 if x & mask else 0) + (2 if y & mask else 0)))
    return "".join(digits)


def bbox_3857(x, y, z):
    """"minx,miny,maxx,maxy" in metres (EPSG:3857) of tile (x, y) at zoom z."""
    size = 2 * HALF_WORLD / 2 ** z
    minx, maxy = -HALF_WORLD + x * size, HALF_WORLD - y * size
    return ",".join(f"{v:.6f}" for v in (minx, maxy - size, minx + size, maxy))


def address(template, x, y, z):
    """The address of tile (x, y, z) (XYZ numbering, y from the north) under a normalised template."""
    values = {"z": z, "x": x, "y": y, "-y": 2 ** z - 1 - y, "s": "a", "q": quadkey(x, y, z),
              "bbox-epsg-3857": bbox_3857(x, y, z)}
    for name, value in values.items():
        template = template.replace("{" + name + "}", str(value))
    return template


def tile_under(template, lon, lat, zoom):
    """The address of the tile under a point (Web Mercator)."""
    n = 2 ** zoom
    x = min(n - 1, max(0, int((lon + 180.0) % 360.0 / 360.0 * n)))
    lat_r = math.radians(max(-85.0, min(85.0, lat)))
    y = min(n - 1, max(0, int((1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0 * n)))
    return address(template, x, y, zoom)

"""Areas of interest and the task grid of map campaigns (deforestation, damage).

An organiser uploads or draws an area; `split_grid` lays square cells of a chosen size over it (like
the HOT Tasking Manager) and trims them to the area, so each cell becomes one task.

No uploaded file may make the server fetch anything. GeoJSON (uploads and task rows' geometries) never reaches
GDAL: it is parsed here with json and shapely, and a "crs" member is accepted only as an EPSG name (a "link"
CRS, a URL, any other kind is refused). GDAL opens only GeoPackages (checked by their SQLite header and
application id, so an XML/VRT/KML file named .gpkg is refused before GDAL guesses its driver) and Shapefiles
(.shp header checked; a .prj naming a URL or a /vsi path is refused), from files this module wrote itself.
And GDAL's network is off for the whole process (`no_network`): no /vsicurl/, no HTTP fetch of a CRS, no PROJ
grid downloads.
"""
import io
import json
import math
import numbers
import os
import re
import tempfile
import warnings
import zipfile

import numpy as np
import pyogrio
import shapely
from flask_babel import gettext as _
from pyproj import CRS, Geod, Transformer

from citizen.ingest import archives

MIN_CELL_KM, MAX_CELL_KM = 0.1, 50
SLIVER = 0.01  # trimmed cells smaller than this share of a full cell are dropped
PRECISION = 7  # ~1 cm at the equator
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_MAX_UNZIPPED = 200_000_000
_MAX_PARTS = 500  # files of Shapefile layers in one zip (each .shp is opened with GDAL)
_GEOD = Geod(ellps="WGS84")
_WGS84 = CRS.from_epsg(4326)


class AreaError(ValueError):
    """An area file or grid request that cannot be used; the message is meant for the organiser."""


# GDAL's HTTP client (CPLHTTPFetch, /vsicurl/ and friends) goes through a proxy of a scheme curl does not know,
# so it fails before connecting; /vsicurl/ refuses every file name; no retries, short timeouts; PROJ never
# downloads grids. (A NO_PROXY environment variable would make curl skip the proxy: the other layers above,
# GeoJSON parsed without GDAL and only checked GeoPackage and Shapefile files opened, do not depend on it.)
GDAL_NO_NETWORK = {
    "GDAL_HTTP_PROXY": "citizen-no-network://0.0.0.0:1",
    "GDAL_HTTPS_PROXY": "citizen-no-network://0.0.0.0:1",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".citizen-no-network",
    "CPL_VSIL_CURL_ALLOWED_FILENAME": "/citizen-no-network",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_CONNECTTIMEOUT": "1",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "GDAL_ALLOW_REMOTE_RESOURCE_TO_ACCESS_LOCAL_FILE": "NO",
    "PROJ_NETWORK": "OFF",
}


def no_network():
    """Switch GDAL's and PROJ's network access off for this process (idempotent; run at import)."""
    pyogrio.set_gdal_config_options(GDAL_NO_NETWORK)
    try:
        from pyproj import network
        network.set_network_enabled(False)
    except ImportError:  # pragma: no cover  (pyproj without network support)
        pass


no_network()
_REMOTE = re.compile(r"(?i)(?:[a-z][a-z0-9+.-]{0,20}://|/vsi[a-z0-9_]{0,20}/|\\\\)")  # a URL, a GDAL virtual path, a UNC path
_GPKG_HEADER = b"SQLite format 3\x00"
_GPKG_IDS = (b"GPKG", b"GP10", b"GP11")
_SHP_HEADER = b"\x00\x00\x27\x0a"
# GeoJSON "crs" names taken as longitude/latitude; other EPSG codes are reprojected by pyproj (offline).
_LONLAT_NAMES = {"urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:ogc::crs84", "epsg:4326", "urn:ogc:def:crs:epsg::4326",
                 "urn:ogc:def:crs:epsg:4326", "crs84", "ogc:crs84"}
_EPSG_NAME = re.compile(r"^(?:epsg:|urn:ogc:def:crs:epsg:[0-9.]{0,10}:)([0-9]{1,6})$")


def read_area(filename, data):
    """Read an uploaded area (GeoJSON, GeoPackage or zipped Shapefile) as one polygon in EPSG:4326.

    All polygon features of all layers are united; points and lines are ignored. Invalid polygons are
    repaired with shapely.make_valid when the repair keeps an area. An area across the 180th meridian (given
    split there, as RFC 7946 asks, or with longitudes past 180) comes back in one piece, its longitudes
    continuous (some beyond 180 or below -180): `split_grid` cuts its cells at the meridian again. The area's
    size is not limited here: the number of tasks of its grid is (`split_grid`). Raises AreaError with a plain
    message.
    """
    name = os.path.basename(filename or "") or "area"
    ext = os.path.splitext(name)[1].lower()
    if ext not in (".geojson", ".json", ".gpkg", ".zip"):
        raise AreaError(_("%(name)s: upload the area as GeoJSON (.geojson), GeoPackage (.gpkg) or a zipped "
                          "Shapefile (.zip).", name=name))
    if ext in (".geojson", ".json"):
        parts = _geojson_polygons(name, data)
    else:
        with tempfile.TemporaryDirectory(prefix="citizen-area-") as tmp:
            if ext == ".gpkg":
                if data[:16] != _GPKG_HEADER or data[68:72] not in _GPKG_IDS:
                    raise AreaError(_("Could not read %(name)s: it is not a valid GeoJSON, GeoPackage or "
                                      "Shapefile.", name=name))
                paths = [_write(tmp, "area.gpkg", data)]
            else:
                paths = _unzip_shapefiles(name, data, tmp)
            parts = []
            for path in paths:
                parts.extend(_read_polygons(name, path, tmp))
    if not parts:
        raise AreaError(_("The file has no polygon: draw or upload the area as a polygon."))
    geom = shapely.union_all(parts)
    if geom.is_empty or geom.area == 0:
        raise AreaError(_("%(name)s: the area is empty.", name=name))
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        geom = _polygonal(geom)
    return _across_antimeridian(geom)


def _unwrapped(poly):
    """A polygon whose rings jump across the 180th meridian (179.9 then -179.9) with continuous longitudes."""
    def ring(coords):
        xy = np.asarray(coords)
        if len(xy) < 2 or np.abs(np.diff(xy[:, 0])).max() <= 180:
            return xy
        steps = (np.diff(xy[:, 0]) + 180) % 360 - 180
        return np.column_stack([np.concatenate([[xy[0, 0]], xy[0, 0] + np.cumsum(steps)]), xy[:, 1]])
    return shapely.Polygon(ring(poly.exterior.coords), [ring(r.coords) for r in poly.interiors])


def _across_antimeridian(geom):
    """The area with continuous longitudes when it crosses the 180th meridian, else as it is: parts given
    east of -180 (just past the meridian) are moved by 360 degrees when that makes the area narrower."""
    parts = _polygon_parts(geom)
    minx, _s, maxx, _n = geom.bounds
    if maxx - minx <= 180 or len(parts) < 2:
        return geom
    moved = [shapely.transform(p, lambda c: c + [360.0, 0.0]) if p.centroid.x < 0 else p for p in parts]
    joined = shapely.union_all(moved)
    if joined.bounds[2] - joined.bounds[0] >= maxx - minx:
        return geom
    return joined if joined.geom_type in ("Polygon", "MultiPolygon") else _polygonal(joined)
    return geom


def _write(folder, name, data):
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def _unzip_shapefiles(name, data, folder):
    """Extract the Shapefile parts of a zip (flattened, size-capped); return the .shp paths."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()
                   and os.path.splitext(m.filename)[1].lower() in _SHAPEFILE_PARTS
                   and not os.path.basename(m.filename).startswith(".") and "__MACOSX" not in m.filename]
        for m in members:  # names are flattened below anyway, but such a zip was made to attack
            if archives.unsafe(m.filename) or archives.is_link(m):
                raise AreaError(_("%(name)s: %(file)s has an unsafe path (absolute, with .. or a link): "
                                  "nothing was extracted.", name=name, file=m.filename[:200]))
        if len(members) > _MAX_PARTS:
            raise AreaError(_("%(name)s holds %(count)d Shapefile parts: at most %(max)d.", name=name,
                              count=len(members), max=_MAX_PARTS))
        if sum(m.file_size for m in members) > _MAX_UNZIPPED:
            raise AreaError(_("%(name)s is too large once unzipped.", name=name))
        shps, folders = [], {}
        for member in members:
            # Flatten names (never trusting the zip's paths), keeping each part's stem so that
            # .shp/.shx/.dbf/.prj of one layer still match up.
            stem, part = os.path.splitext(os.path.basename(member.filename))
            stem = f"{folders.setdefault(os.path.dirname(member.filename), len(folders))}_{_safe(stem)}"
            with archive.open(member) as src:
                blob = src.read(_MAX_UNZIPPED + 1)
            if len(blob) > _MAX_UNZIPPED:
                raise AreaError(_("%(name)s is too large once unzipped.", name=name))
            if part.lower() == ".shp" and blob[:4] != _SHP_HEADER:
                raise AreaError(_("Could not read %(name)s: it is not a valid GeoJSON, GeoPackage or Shapefile.",
                                  name=name))
            if part.lower() in (".prj", ".cpg") and _REMOTE.search(blob.decode("latin-1")):
                raise AreaError(_("%(name)s: %(file)s names a web address or another file; give the coordinate "
                                  "system itself (WKT, as GIS software writes it).", name=name,
                                  file=os.path.basename(member.filename)[:200]))
            path = _write(folder, stem + part.lower(), blob)
            if part.lower() == ".shp":
                shps.append(path)
    except archives.BROKEN as exc:
        if isinstance(exc, AreaError):
            raise
        raise AreaError(_("Could not read %(name)s: it is not a valid zip file.", name=name)) from exc
    if not shps:
        raise AreaError(_("%(name)s holds no Shapefile (.shp with its .shx, .dbf and .prj).", name=name))
    return sorted(shps)


def _safe(text):
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)[:60] or "layer"


def _read_polygons(name, path, folder):
    """Polygons of every layer of one data source (a file this module wrote in `folder`), in EPSG:4326."""
    real = os.path.realpath(path)
    if not real.startswith(os.path.realpath(folder) + os.sep) or _REMOTE.search(path):
        raise AreaError(_("Could not read %(name)s.", name=name))  # never a /vsicurl/, URL or outside path
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layers = [row[0] for row in pyogrio.list_layers(path)]
            frames = [pyogrio.read_dataframe(path, layer=layer) for layer in layers]
    except Exception as exc:  # GDAL raises many kinds of errors for a broken upload
        raise AreaError(_("Could not read %(name)s: it is not a valid GeoJSON, GeoPackage or Shapefile.",
                          name=name)) from exc
    parts = []
    for frame in frames:
        if "geometry" not in frame or frame.empty:
            continue
        parts.extend(_lonlat_polygons(name, np.asarray(frame.geometry.values, dtype=object), frame.crs))
    return parts


def _geojson_crs(name, crs):
    """None (longitude/latitude) or the pyproj CRS a GeoJSON "crs" member names; refuses links and URLs."""
    if crs is None:
        return None
    props = crs.get("properties") if isinstance(crs, dict) else None
    value = props.get("name") if isinstance(props, dict) else None
    if not isinstance(crs, dict) or crs.get("type") != "name" or not isinstance(value, str) or len(value) > 80:
        raise AreaError(_("%(name)s: its \"crs\" must name an EPSG code (links to coordinate systems are not "
                          "followed); better, remove it and give longitude and latitude.", name=name))
    value = value.strip().lower()
    if value in _LONLAT_NAMES:
        return None
    match = _EPSG_NAME.match(value)
    if not match:
        raise AreaError(_("%(name)s: its \"crs\" must name an EPSG code (links to coordinate systems are not "
                          "followed); better, remove it and give longitude and latitude.", name=name))
    try:
        return CRS.from_epsg(int(match.group(1)))
    except Exception as exc:  # pyproj.exceptions.CRSError: an unknown code
        raise AreaError(_("%(name)s: unknown coordinate system %(crs)s.", name=name, crs=value)) from exc


def _geojson_polygons(name, data):
    """Polygons of a GeoJSON document (FeatureCollection, Feature or bare geometry), parsed without GDAL."""
    from shapely.geometry import shape
    unreadable = _("Could not read %(name)s: it is not a valid GeoJSON, GeoPackage or Shapefile.", name=name)
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError, UnicodeDecodeError):
        raise AreaError(unreadable) from None
    if not isinstance(doc, dict):
        raise AreaError(unreadable)
    crs = _geojson_crs(name, doc.get("crs"))
    if doc.get("type") == "FeatureCollection":
        features = doc.get("features")
        if not isinstance(features, list):
            raise AreaError(unreadable)
    else:
        features = [doc]
    geoms = []
    for feature in features:
        if not isinstance(feature, dict):
            raise AreaError(unreadable)
        if "crs" in feature:
            _geojson_crs(name, feature["crs"])  # refused when it is a link; else the collection's one applies
        geometry = feature.get("geometry") if feature.get("type") == "Feature" else feature
        if geometry is None:
            continue
        if not isinstance(geometry, dict):
            raise AreaError(unreadable)
        if "crs" in geometry:
            _geojson_crs(name, geometry["crs"])
        try:
            geoms.append(shape(geometry))
        except Exception:  # shapely raises several kinds for a malformed geometry
            raise AreaError(unreadable) from None
    return _lonlat_polygons(name, np.asarray(geoms, dtype=object), crs)


def _lonlat_polygons(name, geoms, crs):
    """The polygons among `geoms` (in `crs`, None when unknown), in EPSG:4326 and repaired."""
    if not len(geoms):
        return []
    geoms = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
    polys = [p for g in geoms for p in _polygon_parts(g)]
    if not polys:
        return []
    if crs is None:
        minx, miny, maxx, maxy = shapely.total_bounds(polys)
        if not (-540 <= minx <= maxx <= 540 and maxx - minx <= 360 and -90 <= miny <= maxy <= 90):
            raise AreaError(_("%(name)s has no coordinate system and its coordinates are not longitude and "
                              "latitude: add a .prj file or export it in EPSG:4326.", name=name))
    elif not CRS(crs).equals(_WGS84, ignore_axis_order=True):
        tr = Transformer.from_crs(crs, _WGS84, always_xy=True)
        polys = list(shapely.transform(np.asarray(polys, dtype=object), lambda c: np.column_stack(
            tr.transform(c[:, 0], c[:, 1]))))
    parts = []
    for poly in polys:
        poly = _unwrapped(poly)
        if not poly.is_valid:
            poly = _polygonal(shapely.make_valid(poly))
        parts.append(poly)
    return parts


def _polygon_parts(geom):
    if geom.geom_type == "Polygon":
        return [geom]
    if geom.geom_type in ("MultiPolygon", "GeometryCollection"):
        return [p for g in shapely.get_parts(geom) for p in _polygon_parts(g)]
    return []


def _polygonal(geom):
    """The polygonal part of a repaired geometry; an AreaError when nothing with an area is left."""
    polys = _polygon_parts(geom)
    if not polys or sum(p.area for p in polys) == 0:
        raise AreaError(_("The area's outline crosses itself and cannot be repaired: redraw it."))
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def area_km2(geom):
    """Geodesic area of a lon/lat (EPSG:4326) polygon or multipolygon, in km² (WGS84 ellipsoid)."""
    total = 0.0
    for poly in _polygon_parts(geom):
        total += abs(_GEOD.polygon_area_perimeter(*poly.exterior.xy)[0])
        total -= sum(abs(_GEOD.polygon_area_perimeter(*ring.xy)[0]) for ring in poly.interiors)
    return total / 1e6


def area_geojson(geom):
    """A GeoJSON geometry dict of `geom`, coordinates rounded to 7 decimals."""
    return json.loads(shapely.to_geojson(_rounded(geom)))


def _rounded(geoms):
    return shapely.transform(geoms, lambda c: np.round(c, PRECISION))


def local_grid(area, cell_km):
    """(cell size in m, the area in a local azimuthal equidistant projection centred on it, a function taking that
    projection's coordinates back to lon/lat). Cells laid out there are true squares on the ground anywhere on
    Earth. Raises AreaError for a cell size outside MIN_CELL_KM-MAX_CELL_KM or an area without a polygon."""
    if isinstance(cell_km, bool) or not isinstance(cell_km, numbers.Real) or not math.isfinite(cell_km) \
            or not MIN_CELL_KM <= cell_km <= MAX_CELL_KM:
        raise AreaError(_("Choose a cell size between %(min)s and %(max)s km.", min=MIN_CELL_KM, max=MAX_CELL_KM))
    if area is None or area.is_empty or not _polygon_parts(area):
        raise AreaError(_("The file has no polygon: draw or upload the area as a polygon."))
    lon0, lat0 = shapely.centroid(shapely.envelope(area)).coords[0]
    # lon0 may lie past 180 (an area across the meridian, see read_area): PROJ takes it modulo 360.
    local = CRS.from_proj4(f"+proj=aeqd +lat_0={lat0:.6f} +lon_0={lon0:.6f} +datum=WGS84 +units=m +no_defs")
    forward = Transformer.from_crs(_WGS84, local, always_xy=True)
    back = Transformer.from_crs(local, _WGS84, always_xy=True)
    metric = shapely.transform(area, lambda c: np.column_stack(forward.transform(c[:, 0], c[:, 1])))

    def to_lonlat(c):  # longitudes kept within 180 degrees of lon0, like the area's own
        lon, lat = back.transform(c[:, 0], c[:, 1])
        return np.column_stack([lon0 + (np.asarray(lon) - lon0 + 180.0) % 360.0 - 180.0, lat])
    return float(cell_km) * 1000, metric, to_lonlat


def _row_counts(metric, size):
    """A grid of `size` over a metric area, row by row: (top of each row, the area's strip in it, first and last
    column, cells per row). Only the columns between the area's west and east edges within a row count."""
    minx, miny, maxx, maxy = metric.bounds
    nrows = max(1, math.ceil((maxy - miny) / size))
    tops = maxy - size * np.arange(nrows)
    strips = shapely.intersection(shapely.box(minx, tops - size, maxx, tops), metric)
    hit = ~shapely.is_empty(strips)
    sb = shapely.bounds(strips)
    first = np.where(hit, np.floor((sb[:, 0] - minx) / size), 0).astype(np.int64)
    last = np.where(hit, np.ceil((sb[:, 2] - minx) / size), 0).astype(np.int64)
    return tops, strips, first, last, np.maximum(last - first, 0)


def split_grid(area, cell_km, max_cells=50_000):
    """Split a lon/lat area into square cells of `cell_km` km, trimmed to the area.

    Cells are laid out in a local azimuthal equidistant projection centred on the area (so they are true
    squares on the ground anywhere on Earth) from its north-west corner; trimmed cells smaller than 1 % of
    a cell are dropped. Returns dicts {"cell": "r{row}c{col}" (1-based), "geometry" (GeoJSON, EPSG:4326),
    "bbox": [west, south, east, north], "center": [lon, lat] (of the bbox)} in row-major order.
    Raises AreaError for a cell size outside 0.1-50 km or a grid of more than `max_cells` cells
    (estimated from the area's extent row by row, before any cell is built).
    """
    size, metric, to_lonlat = local_grid(area, cell_km)
    minx, miny, maxx, maxy = metric.bounds

    def refuse(count):
        smallest = math.ceil(math.sqrt(metric.area / max_cells) / 100) / 10  # km, rounded up to 100 m
        if smallest <= MAX_CELL_KM:
            raise AreaError(_("This would make about %(count)s tasks, more than the limit of %(limit)s: choose "
                              "cells of at least %(km)s km, or split the area into %(parts)d campaigns (or stages "
                              "of one campaign, imported one after another).", count=f"{count:,}",
                              limit=f"{max_cells:,}", km=f"{smallest:g}", parts=math.ceil(count / max_cells)))
        raise AreaError(_("This would make about %(count)s tasks, more than the limit of %(limit)s even with the "
                          "largest cells (%(max)s km): split the area into %(parts)d campaigns or stages.",
                          count=f"{count:,}", limit=f"{max_cells:,}", max=MAX_CELL_KM,
                          parts=math.ceil(count / max_cells)))

    if metric.area / size**2 > max_cells:
        refuse(math.ceil(metric.area / size**2))
    nrows = max(1, math.ceil((maxy - miny) / size))
    tops, strips, first, last, counts = _row_counts(metric, size)
    if counts.sum() > max_cells:
        refuse(int(counts.sum()))
    rows = np.repeat(np.arange(nrows), counts)
    cols = np.concatenate([np.arange(f, f + n) for f, n in zip(first, counts)]) if counts.sum() else \
        np.zeros(0, np.int64)
    x0, y1 = minx + cols * size, maxy - rows * size
    boxes = shapely.box(x0, y1 - size, x0 + size, y1)
    shapely.prepare(metric)
    whole = shapely.contains_properly(metric, boxes)
    cells = boxes.copy()
    # Trim against the cell's own row of the area: far fewer vertices than the whole outline.
    cells[~whole] = shapely.intersection(boxes[~whole], strips[rows[~whole]])
    keep = shapely.area(cells) >= SLIVER * size**2
    cells, rows, cols = cells[keep], rows[keep], cols[keep]
    cells = shapely.transform(cells, to_lonlat)
    cells, rows, cols, names = _cut_at_antimeridian(cells, rows, cols)
    cells = _rounded(cells)
    bounds = np.round(shapely.bounds(cells), PRECISION)
    geojson = shapely.to_geojson(cells)
    out = []
    for i in range(len(cells)):
        w, s, e, n = (float(v) for v in bounds[i])
        geometry = json.loads(geojson[i])
        if geometry["type"] == "GeometryCollection":  # a cell touching the area along a line as well
            geometry = area_geojson(_polygonal(cells[i]))
        out.append({"cell": names[i], "geometry": geometry, "bbox": [w, s, e, n],
                    "center": [round((w + e) / 2, PRECISION), round((s + n) / 2, PRECISION)]})
    return out


def _cut_at_antimeridian(cells, rows, cols):
    """Cells (lon/lat, longitudes continuous) with every part beyond the 180th meridian moved back by 360
    degrees: a cell across it becomes two tasks, "r3c7" west of the meridian and "r3c7-2" east of it (RFC
    7946: no geometry crosses the meridian). Returns (cells, rows, cols, names); slivers are dropped."""
    names = [f"r{r + 1}c{c + 1}" for r, c in zip(rows, cols)]
    minx, maxx = shapely.bounds(cells)[:, 0], shapely.bounds(cells)[:, 2]
    if len(cells) == 0 or (minx.min() >= -180 and maxx.max() <= 180):
        return cells, rows, cols, names
    world = shapely.box(-180, -90, 180, 90)
    east, west = shapely.box(180, -90, 540, 90), shapely.box(-540, -90, -180, 90)
    out, out_rows, out_cols, out_names = [], [], [], []
    for cell, r, c, name in zip(cells, rows, cols, names):
        pieces = [shapely.intersection(cell, world),
                  shapely.transform(shapely.intersection(cell, east), lambda xy: xy - [360.0, 0.0]),
                  shapely.transform(shapely.intersection(cell, west), lambda xy: xy + [360.0, 0.0])]
        whole = shapely.area(cell)
        kept = [p for p in pieces if not p.is_empty and shapely.area(p) >= SLIVER * whole]
        for k, piece in enumerate(kept):
            out.append(piece if piece.geom_type in ("Polygon", "MultiPolygon") else _polygonal(piece))
            out_rows.append(r)
            out_cols.append(c)
            out_names.append(name if k == 0 else f"{name}-{k + 1}")
    return np.asarray(out, dtype=object), np.asarray(out_rows), np.asarray(out_cols), out_names


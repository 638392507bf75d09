"""Places to visit from GeoJSON or a GeoPackage (the field kind's sites): each feature's properties and its point in
longitude/latitude; an area (a polygon) comes with its outline and is placed at a point inside it.

The same rules as areas of interest (citizen.ingest.areas): GeoJSON is parsed with json and shapely, never by GDAL;
a "crs" member may only name an EPSG code; GDAL opens only a file whose SQLite header and application id say it is a
GeoPackage, written by this module, with GDAL's network off.
"""
import json
import tempfile
import warnings

import numpy as np
import pyogrio
import shapely
from flask_babel import gettext as _
from pyproj import CRS, Transformer
from shapely.geometry import mapping, shape

from citizen.ingest import areas

MAX_PLACES = 200_000
MAX_AREA_VERTICES = 200  # an area's outline kept with its site: a small area, not a district


class PlaceError(ValueError):
    """A file of places that cannot be read at all; the message is meant for the organiser."""


def read_places(filename, data, max_places=MAX_PLACES):
    """[(properties, lon, lat, outline GeoJSON or None)] of the features of a GeoJSON or GeoPackage file, in WGS84.
    Features without a geometry, or with a line, are skipped. Raises PlaceError."""
    name = (filename or "places").rsplit("/", 1)[-1]
    unreadable = _("Could not read %(name)s: it is not a valid GeoJSON or GeoPackage.", name=name)
    if name.lower().endswith(".gpkg"):
        props, geoms, crs = _geopackage(name, data, unreadable)
    else:
        props, geoms, crs = _geojson(name, data, unreadable)
    if len(geoms) > max_places:
        raise PlaceError(_("%(name)s has %(n)d places; at most %(max)d can be imported at once.", name=name,
                           n=len(geoms), max=max_places))
    if crs is not None and not CRS(crs).equals(areas._WGS84, ignore_axis_order=True):
        tr = Transformer.from_crs(crs, areas._WGS84, always_xy=True)
        geoms = list(shapely.transform(np.asarray(geoms, dtype=object), lambda c: np.column_stack(
            tr.transform(c[:, 0], c[:, 1]))))
    out = []
    for prop, geom in zip(props, geoms):
        if geom is None or geom.is_empty or geom.geom_type not in ("Point", "Polygon", "MultiPolygon"):
            out.append((prop, None, None, None))
            continue
        if geom.geom_type == "Point":
            out.append((prop, geom.x, geom.y, None))
            continue
        point = geom.representative_point() if not geom.is_valid else geom.centroid
        if not geom.contains(point):
            point = geom.representative_point()
        simple = geom.simplify(0.00001) if shapely.get_num_coordinates(geom) > MAX_AREA_VERTICES else geom
        outline = mapping(simple) if shapely.get_num_coordinates(simple) <= MAX_AREA_VERTICES else None
        out.append((prop, point.x, point.y, outline and json.loads(json.dumps(outline))))
    return out


def _geojson(name, data, unreadable):
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError, UnicodeDecodeError):
        raise PlaceError(unreadable) from None
    if not isinstance(doc, dict):
        raise PlaceError(unreadable)
    try:
        crs = areas._geojson_crs(name, doc.get("crs"))
    except areas.AreaError as exc:
        raise PlaceError(str(exc)) from None
    features = doc.get("features") if doc.get("type") == "FeatureCollection" else [doc]
    if not isinstance(features, list):
        raise PlaceError(unreadable)
    props, geoms = [], []
    for feature in features:
        if not isinstance(feature, dict):
            raise PlaceError(unreadable)
        geometry = feature.get("geometry") if feature.get("type") == "Feature" else feature
        prop = feature.get("properties") if feature.get("type") == "Feature" else {}
        try:
            geoms.append(shape(geometry) if isinstance(geometry, dict) else None)
        except Exception:  # shapely raises several kinds for a malformed geometry
            geoms.append(None)
        props.append(prop if isinstance(prop, dict) else {})
    return props, geoms, crs


def _geopackage(name, data, unreadable):
    if data[:16] != areas._GPKG_HEADER or data[68:72] not in areas._GPKG_IDS:
        raise PlaceError(unreadable)
    with tempfile.TemporaryDirectory(prefix="citizen-places-") as tmp:
        path = areas._write(tmp, "places.gpkg", data)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                frames = [pyogrio.read_dataframe(path, layer=row[0]) for row in pyogrio.list_layers(path)]
        except Exception as exc:  # GDAL raises many kinds of errors for a broken upload
            raise PlaceError(unreadable) from exc
    props, geoms, crs = [], [], None
    for frame in frames:
        if "geometry" not in frame or frame.empty:
            continue
        if frame.crs is not None:
            if crs is not None and not CRS(crs).equals(CRS(frame.crs)):
                raise PlaceError(_("%(name)s: its layers have different coordinate systems.", name=name))
            crs = frame.crs
        columns = [c for c in frame.columns if c != "geometry"]
        for record, geom in zip(frame[columns].to_dict("records"), frame.geometry.values):
            props.append({k: (None if v is None or (isinstance(v, float) and v != v) else v)
                          for k, v in record.items()})
            geoms.append(geom)
    return props, geoms, crs

"""Server-side Leaflet maps (folium) that load only the vendored assets in static/vendor/.

folium.Map links Leaflet, jQuery, Bootstrap and font-awesome from CDNs, adds OpenStreetMap tiles and styles
`html, body`; LocalMap keeps only the local Leaflet files and a style scoped to the map's own element.
Avoid folium features that pull more assets (Icon/awesome markers, plugins, TopoJson, Vega, objects kept
in front, which calls jQuery): use CircleMarker and GeoJson.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Iterator, Optional, Sequence

import folium
from branca.element import Element, MacroElement
from flask import has_request_context, url_for
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from jinja2 import Template
from markupsafe import Markup, escape

Bounds = Sequence[Sequence[float]]  # [[south, west], [north, east]]
DEFAULT_CENTER, DEFAULT_ZOOM = [20.0, 0.0], 2
# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
STATE_COLOURS = {"open": "#d9d9d9", "in_progress": "#e69f00", "done": "#0072b2"}
STATE_NAMES = {"open": _l("Not started"), "in_progress": _l("In progress"), "done": _l("Done")}
RESULT_COLOUR = "#d55e00"
OUTLINE = "#333333"


def static_url(filename: str) -> str:
    """URL of a file in citizen/static: url_for inside a request, else the plain /static/ path.

    Outside a request url_for would build an absolute http:// URL (or fail without SERVER_NAME).
    """
    return url_for("static", filename=filename) if has_request_context() else "/static/" + filename


class LocalMap(folium.Map):
    """A folium.Map whose only resources are the vendored Leaflet script and stylesheet."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(tiles=None, **kwargs)
        # Instance lists: folium's class-level lists are shared and point at CDNs.
        self.default_js = [("leaflet", static_url("vendor/leaflet/leaflet.js")),
                           ("citizen_tiles", static_url("js/tiles.js"))]
        self.default_css = [("leaflet_css", static_url("vendor/leaflet/leaflet.css"))]

    def render(self, **kwargs: Any) -> None:
        super().render(**kwargs)
        # folium's header also sets html/body margins and a user-scalable=no viewport, which would
        # restyle the page the map is embedded in; keep only the rule for this map's element.
        header = self.get_root().header
        header._children.pop("meta_http", None)
        style = (f"<style>#{self.get_name()} {{ position: relative; width: {''.join(map(str, self.width))};"
                 f" height: {''.join(map(str, self.height))}; font-size: 1rem; }}</style>")
        header.add_child(Element(style), name=self.get_name())


class Tiles(MacroElement):
    """An imagery layer through L.citizenTiles (static/js/tiles.js): Leaflet's XYZ placeholders plus {q}
    (quadkey) and {bbox-epsg-3857} (WMS), as the map kinds accept them."""
    _template = Template("""{% macro script(this, kwargs) %}
        L.citizenTiles({{ this.url|tojson }}, {{ this.options|tojson }}).addTo({{ this._parent.get_name() }});
    {% endmacro %}""")

    def __init__(self, url: str, attribution: str = "", max_zoom: int = 19) -> None:
        super().__init__()
        self._name = "Tiles"
        self.url = url
        self.options = {"maxZoom": max_zoom, "name": "imagery", **({"attribution": attribution} if attribution else {})}


class Legend(MacroElement):
    """A Leaflet control in the map's corner showing the given (colour, label) pairs."""

    _template = Template("""{% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "map-legend");
                div.innerHTML = {{ this.html|tojson }};
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
    {% endmacro %}""")

    def __init__(self, items: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self._name = "Legend"
        rows = Markup("").join(Markup(
            '<div><span style="display:inline-block;width:1em;height:1em;margin-right:.4em;vertical-align:-.15em;'
            'border:1px solid {};background:{}"></span>{}</div>').format(OUTLINE, colour, label)
            for colour, label in items)
        self.html = str(Markup('<div style="background:#fff;padding:.4em .6em;border-radius:4px;'
                               'box-shadow:0 1px 4px rgba(0,0,0,.4);line-height:1.5">{}</div>').format(rows))


def base_map(bounds: Optional[Bounds] = None, tiles: Optional[str] = None, attribution: str = "",
             max_zoom: int = 19, height: str = "420px") -> folium.Map:
    """An empty map loading only local assets.

    tiles: an XYZ URL template such as "/tiles/demo/forest-after/{z}/{x}/{y}.png" or a remote https one;
    attribution is HTML shown in the map corner. Without bounds the map shows the whole world.
    """
    m = LocalMap(location=DEFAULT_CENTER, zoom_start=DEFAULT_ZOOM, height=height, max_zoom=max_zoom)
    if tiles:
        if not any(p in tiles for p in ("{z}", "{q}", "{bbox-epsg-3857}")):
            # folium would treat a bare name as a (remote) provider such as OpenStreetMap
            raise ValueError("tiles must be a tile URL template ({z}/{x}/{y}, {q} or {bbox-epsg-3857})")
        Tiles(tiles, attribution, max_zoom).add_to(m)
    if bounds:
        m.fit_bounds([list(bounds[0]), list(bounds[1])], max_zoom=min(max_zoom, 17))
    return m


def _positions(coords: Any) -> Iterator[tuple[float, float]]:
    if not isinstance(coords, (list, tuple)):
        return
    if len(coords) >= 2 and all(isinstance(c, (int, float)) for c in coords[:2]):
        yield coords[0], coords[1]
    else:
        for part in coords:
            yield from _positions(part)


def _geometries(geometry: Optional[dict]) -> Iterator[dict]:
    if geometry and geometry.get("type") == "GeometryCollection":
        for g in geometry.get("geometries", ()):
            yield from _geometries(g)
    elif geometry:
        yield geometry


def features_bounds(features: Sequence[dict]) -> Optional[list[list[float]]]:
    """[[south, west], [north, east]] around the features' geometries, or None when there are none."""
    points = [p for f in features for g in _geometries(f.get("geometry")) for p in _positions(g.get("coordinates"))]
    if not points:
        return None
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


def _feature_map(collection: Optional[dict], style: Callable[[dict, bool], dict], summary: Callable[[dict], str],
                 tiles: Optional[str], attribution: str, bounds: Optional[Bounds]) -> folium.Map:
    """A map fitted to the features, drawn with style(properties, is_point) and a tooltip of summary(properties).

    Only the geometry and the computed style and (escaped) summary reach the page, never other properties.
    """
    features = [f for f in (collection or {}).get("features") or () if f.get("geometry")]
    m = base_map(features_bounds(features) or bounds, tiles, attribution)
    if not features:
        return m
    data = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": f["geometry"], "properties": {
            "summary": str(escape(summary(props))),
            # fill: folium's CircleMarker template defaults to an unfilled ring
            "style": {"fill": True, **style(props, f["geometry"]["type"] in ("Point", "MultiPoint"))}}}
        for f in features for props in [f.get("properties") or {}]]}
    # No style_function: folium then applies properties.style, instead of also embedding a per-feature switch.
    folium.GeoJson(data, name="features", marker=folium.CircleMarker(radius=6),
                   tooltip=folium.GeoJsonTooltip(fields=["summary"], labels=False)).add_to(m)
    return m


def _state(props: dict) -> str:
    return props.get("state") if props.get("state") in STATE_COLOURS else "open"


def _progress_style(props: dict, is_point: bool) -> dict:
    colour = STATE_COLOURS[_state(props)]
    return {"color": OUTLINE, "weight": 1, "fillColor": colour, "fillOpacity": 0.9 if is_point else 0.55,
            **({"radius": 6} if is_point else {})}


def _progress_summary(props: dict) -> str:
    state = str(STATE_NAMES[_state(props)])
    return f"{props['label']} · {state}" if props.get("label") else state


def progress_map(cells: Optional[dict], tiles: Optional[str] = None, attribution: str = "",
                 bounds: Optional[Bounds] = None) -> folium.Map:
    """Campaign progress: task cells (polygons) and photo positions (points) coloured by state, with a legend.

    cells: a GeoJSON FeatureCollection whose properties have `state` ("open", "in_progress", "done") and
    `label`. The map fits the features; with none it fits `bounds` if given, else shows the world.
    """
    m = _feature_map(cells, _progress_style, _progress_summary, tiles, attribution, bounds)
    Legend([(STATE_COLOURS[s], str(STATE_NAMES[s])) for s in STATE_COLOURS]).add_to(m)
    return m


def _result_summary(props: dict) -> str:
    support = int(props.get("support") or 0)
    text = ngettext("Marked by %(num)d volunteer", "Marked by %(num)d volunteers", support)
    agreement = props.get("agreement")
    return text if agreement is None else _("%(text)s (agreement %(value).2f)", text=text, value=float(agreement))


def _result_style(props: dict, is_point: bool) -> dict:
    if not is_point:
        return {"color": RESULT_COLOUR, "weight": 3, "fillOpacity": 0.08}
    radius = min(4 + 3 * math.sqrt(max(int(props.get("support") or 1), 1)), 20)  # area grows with support
    return {"color": OUTLINE, "weight": 1, "fillColor": RESULT_COLOUR, "fillOpacity": 0.75, "radius": round(radius, 1)}


def results_map(features: Optional[dict], tiles: Optional[str] = None, attribution: str = "",
                bounds: Optional[Bounds] = None) -> folium.Map:
    """Consensus results: points sized by `support` (distinct contributors), polygons outlined.

    features: a GeoJSON FeatureCollection with properties `support`, optional `agreement` (0..1) and
    `task_id`; each shows "Marked by N volunteers (agreement 0.83)". Falls back to `bounds`, then the world.
    """
    return _feature_map(features, _result_style, _result_summary, tiles, attribution, bounds)


def embed(m: folium.Map) -> dict[str, Markup]:
    """The map's parts for a Jinja page: `header` in <head>, `html` where the map goes, `script` at the end
    of <body> (inside a <script> element), as in folium's Flask recipe."""
    root = m.get_root()
    root.render()
    return {"header": Markup(root.header.render()), "html": Markup(root.html.render()),
            "script": Markup(root.script.render())}

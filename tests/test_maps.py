"""Server-side maps: rendered from local assets only, with the feature data in the page."""
import os
import re

import pytest

from citizen import maps

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""")
VENDOR = os.path.join(os.path.dirname(maps.__file__), "static", "vendor")


def square(west, south, size=0.01):
    ring = [[west, south], [west + size, south], [west + size, south + size], [west, south + size], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def collection(*features):
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": geometry, "properties": props} for geometry, props in features]}


CELLS = collection(
    (square(-60.10, -3.20), {"state": "open", "label": "Cell A1"}),
    (square(-60.09, -3.20), {"state": "in_progress", "label": "Cell A2"}),
    (square(-60.08, -3.20), {"state": "done", "label": "Cell <A3>"}),
    ({"type": "Point", "coordinates": [-60.075, -3.195]}, {"state": "done", "label": "Photo 7"}),
)
MARKS = collection(
    ({"type": "Point", "coordinates": [-60.095, -3.195]}, {"support": 4, "agreement": 0.8333, "task_id": 12}),
    (square(-60.09, -3.19), {"support": 1, "task_id": 13, "secret": "contributor-42"}),
)
EMPTY = {"type": "FeatureCollection", "features": []}


def page(m):
    parts = maps.embed(m)
    return "\n".join(str(parts[k]) for k in ("header", "html", "script"))


def assert_local_only(out):
    assert "/static/vendor/leaflet/leaflet.js" in out
    assert "/static/vendor/leaflet/leaflet.css" in out
    assert not EXTERNAL.search(out), EXTERNAL.search(out)
    for word in ("cdn", "jquery", "bootstrap", "font-awesome", "fontawesome", "openstreetmap"):
        assert word not in out.lower()


@pytest.mark.parametrize("make", [
    lambda: maps.base_map(),
    lambda: maps.base_map(bounds=[[-3.2, -60.1], [-3.1, -60.0]], tiles="/tiles/demo/forest-after/{z}/{x}/{y}.png",
                          attribution="Demo imagery"),
    lambda: maps.progress_map(CELLS),
    lambda: maps.results_map(MARKS),
    lambda: maps.progress_map(EMPTY),
    lambda: maps.results_map(EMPTY, bounds=[[-3.2, -60.1], [-3.1, -60.0]]),
    lambda: maps.results_map({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": None,
                                                                          "properties": {"support": 2}}]}),
])
def test_maps_render_with_local_assets_only(make):
    out = page(make())
    assert_local_only(out)
    assert 'class="folium-map"' in out and "height: 420.0px" in out
    assert "html, body" not in out  # folium's page-wide styles would restyle the host page


def test_progress_map_shows_cells_states_and_legend():
    out = page(maps.progress_map(CELLS, tiles="/tiles/demo/forest-after/{z}/{x}/{y}.png", attribution="Demo"))
    assert "Cell A1" in out and "Photo 7" in out
    assert "Cell \\u0026lt;A3\\u0026gt;" in out  # labels are escaped before the tooltip sets innerHTML
    for colour in maps.STATE_COLOURS.values():
        assert colour in out
    assert "Not started" in out and "In progress" in out and "Done" in out
    assert "L.control" in out  # the legend
    assert "/tiles/demo/forest-after/{z}/{x}/{y}.png" in out
    assert "fitBounds" in out and "-60.1" in out and "-3.19" in out
    assert '"type": "Point"' in out and "CircleMarker" in out


def test_results_map_sizes_points_by_support_and_hides_other_properties():
    out = page(maps.results_map(MARKS))
    assert "Marked by 4 volunteers (agreement 0.83)" in out
    assert "Marked by 1 volunteer" in out and "agreement" not in out.split("Marked by 1 volunteer")[1][:20]
    assert maps.RESULT_COLOUR in out and "CircleMarker" in out
    assert "contributor-42" not in out
    assert maps._result_style({"support": 9}, True)["radius"] > maps._result_style({"support": 1}, True)["radius"]


def test_empty_maps_show_a_default_view():
    out = page(maps.progress_map(EMPTY, tiles="/tiles/demo/x/{z}/{x}/{y}.png", attribution="Demo"))
    assert "fitBounds" not in out and '"zoom": 2' in out and "L.citizenTiles" in out
    assert "fitBounds" in page(maps.results_map(None, bounds=[[-3.2, -60.1], [-3.1, -60.0]]))


def test_bounds_cover_all_geometries_and_skip_malformed_ones():
    (south, west), (north, east) = maps.features_bounds(CELLS["features"])
    assert (south, west, north, east) == pytest.approx((-3.2, -60.1, -3.19, -60.07))
    odd = [{"geometry": {"type": "Point", "coordinates": "x"}},
           {"geometry": {"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [5, 6]}]}}]
    assert maps.features_bounds(odd) == [[6, 5], [6, 5]]


def test_remote_tiles_only_inside_the_tile_layer():
    template = "https://tiles.example.org/{z}/{x}/{y}.png"
    out = page(maps.base_map(tiles=template, attribution="Example"))
    assert_local_only(out)
    assert re.search(r"L\.citizenTiles\(\s*" + re.escape('"' + template + '"'), out)
    assert out.count("tiles.example.org") == 1


def test_tiles_must_be_a_template_not_a_provider_name():
    with pytest.raises(ValueError):
        maps.base_map(tiles="OpenStreetMap")


def test_referenced_static_files_exist(app):
    with app.test_request_context():
        out = page(maps.progress_map(CELLS))
    static = app.static_url_path.rstrip("/") + "/"
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", out)
    vendor = [u for u in urls if u.startswith(static + "vendor/")]
    own = [u for u in urls if u.startswith(static + "js/")]  # js/tiles.js: the imagery layer
    assert len(vendor) == 2 and len(own) == 1 and len(vendor) + len(own) == len(urls)
    for url in vendor + own:
        assert os.path.isfile(os.path.join(app.static_folder, url[len(static):].split("?")[0])), url


def test_vendored_libraries_are_complete_and_offline():
    for name, files in {"leaflet": ["leaflet.js", "leaflet.css"],
                        "leaflet-draw": ["leaflet.draw.js", "leaflet.draw.css"],
                        "leaflet-side-by-side": ["leaflet-side-by-side.js", "layout.css", "range.css"]}.items():
        for filename in files + ["LICENSE"]:
            assert os.path.isfile(os.path.join(VENDOR, name, filename)), (name, filename)
    for folder, _, filenames in os.walk(VENDOR):
        for filename in filenames:
            if filename.endswith(".css"):
                with open(os.path.join(folder, filename), encoding="utf-8") as f:
                    for ref in re.findall(r"url\(\s*['\"]?([^'\")]+)", f.read()):
                        if ref.startswith("#"):  # old IE behaviour, not a file
                            continue
                        assert not re.match(r"(?:https?:)?//", ref), (filename, ref)
                        assert os.path.isfile(os.path.join(folder, ref)), (filename, ref)

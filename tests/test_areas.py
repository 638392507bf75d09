"""Areas of interest (GeoJSON, GeoPackage, zipped Shapefile) and the task grid."""
import io
import json
import math
import zipfile

import geopandas as gpd
import pytest
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import shape

from citizen.ingest.area_parts import split_parts
from citizen.ingest.areas import AreaError, area_geojson, area_km2, read_area, split_grid

# An irregular outline of a forest block in the Congo basin, about 21 km x 16 km (~257 km²).
FOREST = shapely.Polygon([(23.100, -1.200), (23.205, -1.215), (23.282, -1.170), (23.275, -1.105),
                          (23.230, -1.075), (23.160, -1.068), (23.118, -1.110), (23.092, -1.150)])


def feature_collection(*geoms):
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {"n": i}, "geometry": json.loads(shapely.to_geojson(g))}
                         for i, g in enumerate(geoms)]}


def zipped(folder, prefix=""):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for path in sorted(folder.iterdir()):
            z.write(path, prefix + path.name)
    return buf.getvalue()


def local_square(lon, lat, side_m):
    """A square of side_m metres (on the ground) centred on lon/lat, as lon/lat."""
    local = CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m")
    back = Transformer.from_crs(local, 4326, always_xy=True)
    h = side_m / 2
    return shapely.Polygon([back.transform(x, y) for x, y in [(-h, -h), (h, -h), (h, h), (-h, h)]])


def test_area_km2_is_geodesic():
    assert area_km2(shapely.box(0, 0, 1, 1)) == pytest.approx(12_308.8, rel=1e-3)
    assert area_km2(FOREST) == pytest.approx(257, rel=0.01)
    hole = shapely.box(0.25, 0.25, 0.75, 0.75).exterior.coords
    holed = shapely.Polygon(shapely.box(0, 0, 1, 1).exterior.coords, [hole])
    assert area_km2(holed) == pytest.approx(12_308.8 * 0.75, rel=1e-3)


@pytest.mark.parametrize("payload", [
    feature_collection(FOREST, shapely.Point(23.2, -1.1), shapely.LineString([(23.1, -1.1), (23.2, -1.2)])),
    feature_collection(FOREST)["features"][0],
    json.loads(shapely.to_geojson(FOREST)),
])
def test_read_geojson_collection_feature_or_bare_geometry(payload):
    area = read_area("forest.geojson", json.dumps(payload).encode())
    assert area.geom_type == "Polygon"
    assert area.symmetric_difference(FOREST).area < 1e-12


def test_read_geojson_unions_polygons():
    a, b = shapely.box(10, 10, 10.1, 10.1), shapely.box(10.05, 10, 10.2, 10.1)
    area = read_area("two.json", json.dumps(feature_collection(a, b)).encode())
    assert area.area == pytest.approx(shapely.union(a, b).area)


def test_points_only_is_refused():
    data = json.dumps(feature_collection(shapely.Point(1, 1), shapely.Point(2, 2))).encode()
    with pytest.raises(AreaError, match="no polygon"):
        read_area("points.geojson", data)


def test_bow_tie_is_repaired():
    bow = {"type": "Polygon", "coordinates": [[[0, 0], [0.1, 0.1], [0.1, 0], [0, 0.1], [0, 0]]]}
    area = read_area("bow.geojson", json.dumps(bow).encode())
    assert area.is_valid and area.area == pytest.approx(0.005)


def test_read_geopackage_reprojects(tmp_path):
    utm = gpd.GeoDataFrame({"name": ["forest"]}, geometry=[FOREST], crs=4326).to_crs(32735)
    utm.to_file(tmp_path / "forest.gpkg", layer="forest")
    area = read_area("forest.gpkg", (tmp_path / "forest.gpkg").read_bytes())
    assert area.symmetric_difference(FOREST).area / FOREST.area < 1e-6


def test_read_zipped_shapefile(tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    gpd.GeoDataFrame({"name": ["forest"]}, geometry=[FOREST], crs=4326).to_crs(32735).to_file(folder / "forest.shp")
    for prefix in ("", "export/"):
        area = read_area("forest.zip", zipped(folder, prefix))
        assert area.symmetric_difference(FOREST).area / FOREST.area < 1e-6


def test_shapefile_without_crs(tmp_path):
    lonlat, metres = tmp_path / "lonlat", tmp_path / "metres"
    lonlat.mkdir(), metres.mkdir()
    with pytest.warns(UserWarning, match="crs"):
        gpd.GeoDataFrame(geometry=[FOREST]).to_file(lonlat / "a.shp")
        gpd.GeoDataFrame(geometry=[shapely.box(500_000, 9_800_000, 510_000, 9_810_000)]).to_file(metres / "a.shp")
    assert read_area("a.zip", zipped(lonlat)).symmetric_difference(FOREST).area < 1e-12
    with pytest.raises(AreaError, match="no coordinate system"):
        read_area("a.zip", zipped(metres))


@pytest.mark.parametrize("name,data,message", [
    ("forest.geojson", b"{not json", "forest.geojson"),
    ("forest.gpkg", b"garbage", "forest.gpkg"),
    ("forest.zip", b"PK garbage", "forest.zip"),
    ("forest.kml", b"<kml/>", "GeoJSON"),
])
def test_unreadable_files_are_named(name, data, message):
    with pytest.raises(AreaError, match=message):
        read_area(name, data)


def test_zip_without_shapefile(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(AreaError, match="no Shapefile"):
        read_area("area.zip", buf.getvalue())


def test_a_country_sized_area_is_limited_by_its_tasks_not_its_size():
    """Brazil-sized (about 8.5 million km²): refused only when its cells would be too many, with the smallest
    cell size that fits and how many campaigns a split needs."""
    brazil = shapely.box(-74, -34, -35, 5)
    area = read_area("brazil.geojson", json.dumps(shapely.geometry.mapping(brazil)).encode())
    assert area_km2(area) > 8_000_000
    cells = split_grid(area, 50)
    assert 5_000 < len(cells) < 8_000
    with pytest.raises(AreaError, match=r"cells of at least 18\.\d km, or split the area into \d+ campaigns"):
        split_grid(area, 5)
    with pytest.raises(AreaError, match=r"even with the largest cells \(50 km\): split the area into 6 campaigns"):
        split_grid(area, 50, max_cells=1_200)


def test_an_area_too_large_for_one_campaign_is_cut_into_parts_that_each_fit():
    """A Brazil-sized box at 20 km cells (about 44,000 tasks) against a limit of 5,000: parts of about equal area, each under
    the limit once re-read from its GeoJSON (as an organiser imports it), together about the whole area's tasks."""
    brazil = read_area("brazil.geojson", json.dumps(shapely.geometry.mapping(shapely.box(-74, -34, -35, 5))).encode())
    with pytest.raises(AreaError):
        split_grid(brazil, 20, max_cells=5_000)
    parts = split_parts(brazil, 20, max_cells=5_000)
    assert 9 <= len(parts) <= 12  # 44,000 tasks at 20 km (the box is 18 million km²)
    counts = [len(split_grid(read_area("part.geojson", json.dumps(area_geojson(p)).encode()), 20, max_cells=5_000))
              for p in parts]
    assert max(counts) <= 5_000 and max(counts) < 1.25 * min(counts), counts
    assert sum(counts) == pytest.approx(len(split_grid(brazil, 20)), rel=0.06)  # the cut cells count twice
    with pytest.raises(AreaError, match="Even in 50 parts"):
        split_parts(brazil, 1)
    # Two squares 200 km apart: the grid counts each row's whole span, so the parts are cut by that count.
    two = read_area("two.geojson", json.dumps(feature_collection(shapely.box(10, 0, 10.5, 0.5),
                                                                 shapely.box(12.3, 0, 12.8, 0.5))).encode())
    pieces = split_parts(two, 0.2, max_cells=50_000)
    assert len(pieces) >= 2
    assert all(len(split_grid(read_area("p.geojson", json.dumps(area_geojson(p)).encode()), 0.2)) <= 50_000
               for p in pieces)
    dense = shapely.Point(11, 1).buffer(1.5, quad_segs=25_000)  # 100,000 vertices: the cuts use a simpler outline
    assert len(split_parts(read_area("d.geojson", json.dumps(area_geojson(dense)).encode()), 0.5)) >= 2


FIJI_SPLIT = {"type": "MultiPolygon", "coordinates": [  # RFC 7946: split at the meridian
    [[[177, -19], [180, -19], [180, -16], [177, -16], [177, -19]]],
    [[[-180, -19], [-178, -19], [-178, -16], [-180, -16], [-180, -19]]]]}
FIJI_JUMP = {"type": "Polygon", "coordinates": [[[177, -19], [-178, -19], [-178, -16], [177, -16], [177, -19]]]}
FIJI_PAST = {"type": "Polygon", "coordinates": [[[177, -19], [182, -19], [182, -16], [177, -16], [177, -19]]]}


@pytest.mark.parametrize("geometry", [FIJI_SPLIT, FIJI_JUMP, FIJI_PAST], ids=["split", "jump", "past-180"])
def test_an_area_across_the_antimeridian_gets_true_cells_cut_at_the_meridian(geometry):
    """Fiji, 5 by 3 degrees: about 440 cells of 20 km (not thousands stretched over 360 degrees), none crossing
    the meridian, every longitude within -180..180, the cells on the meridian cut in two named tasks."""
    area = read_area("fiji.geojson", json.dumps(geometry).encode())
    assert area_km2(area) == pytest.approx(176_300, rel=0.01)
    cells = split_grid(area, 20)
    full = area_km2(area) / 400
    assert full <= len(cells) < full * 1.15
    for cell in cells:
        west, south, east, north = cell["bbox"]
        assert -180 <= west < east <= 180 and east - west < 0.25, cell
        part = shape(cell["geometry"])
        assert part.geom_type == "Polygon" and area_km2(part) <= 400 * 1.01
    names = [c["cell"] for c in cells]
    assert len(set(names)) == len(names)
    halves = [n for n in names if n.endswith("-2")]
    assert halves and all(n[:-2] in names for n in halves)
    assert sum(area_km2(shape(c["geometry"])) for c in cells) == pytest.approx(area_km2(area), rel=0.01)


def test_square_grid_cell_count():
    cells = split_grid(local_square(27.0, -2.0, 10_000), 1)
    assert len(cells) == 100
    assert [c["cell"] for c in cells][:3] == ["r1c1", "r1c2", "r1c3"]
    assert all(area_km2(shape(c["geometry"])) == pytest.approx(1, rel=1e-3) for c in cells)
    # 10.5 km: an 11 x 11 grid whose last row and column are half cells
    cells = split_grid(local_square(27.0, -2.0, 10_500), 1)
    assert len(cells) == 121
    assert sorted(round(area_km2(shape(c["geometry"])), 2) for c in cells)[:21] == [0.25] + [0.5] * 20


def test_grid_is_trimmed_to_the_area():
    cells = split_grid(FOREST, 1)
    geoms = [shape(c["geometry"]) for c in cells]
    margin = FOREST.buffer(1e-6)
    assert all(g.within(margin) for g in geoms)
    assert area_km2(shapely.union_all(geoms)) == pytest.approx(area_km2(FOREST), rel=0.01)
    assert len({c["cell"] for c in cells}) == len(cells)
    order = [tuple(int(x) for x in c["cell"][1:].split("c")) for c in cells]
    assert order == sorted(order)
    assert min(c["bbox"][3] for c in cells if c["cell"].startswith("r1c")) == pytest.approx(FOREST.bounds[3], abs=0.01)
    for c, g in zip(cells, geoms):
        w, s, e, n = c["bbox"]
        assert w < e and s < n and (w, s, e, n) == pytest.approx(g.bounds, abs=1e-7)
        assert c["center"] == pytest.approx([(w + e) / 2, (s + n) / 2], abs=1e-7)
        assert area_km2(g) >= 0.01 * 0.999  # slivers are dropped
    text = json.dumps(cells)
    assert all(len(x.split(".")[1]) <= 7 for x in text.replace("[", " ").replace("]", " ").replace(",", " ").split()
               if "." in x and x[0] in "-0123456789")


def test_multipolygon_area():
    a, b = local_square(30.0, 1.0, 3_000), local_square(30.1, 1.0, 3_000)
    cells = split_grid(shapely.MultiPolygon([a, b]), 1)
    assert 18 <= len(cells) <= 32  # 9 per square when aligned with the grid, up to 16 when not
    geoms = [shape(c["geometry"]) for c in cells]
    assert all(g.within(a.buffer(1e-6)) or g.within(b.buffer(1e-6)) for g in geoms)
    assert area_km2(shapely.union_all(geoms)) == pytest.approx(18, rel=0.01)
    assert area_geojson(shapely.MultiPolygon([a, b]))["type"] == "MultiPolygon"


def test_too_many_cells_is_refused_before_building():
    with pytest.raises(AreaError, match=r"about [\d,]+ tasks.*cells of at least"):
        split_grid(FOREST, 0.1, max_cells=1_000)
    with pytest.raises(AreaError, match="25,"):  # ~25,700 cells for ~257 km² in 0.1 km cells
        split_grid(FOREST, 0.1, max_cells=10_000)
    with pytest.raises(AreaError, match="limit of 1,000"):
        split_grid(FOREST, 0.5, max_cells=1_000)
    assert len(split_grid(FOREST, 0.5, max_cells=1_200)) > 1_000


@pytest.mark.parametrize("size", [0, 0.05, 51, -1, math.nan, math.inf, "1", None, True])
def test_bad_cell_size(size):
    with pytest.raises(AreaError, match="cell size"):
        split_grid(FOREST, size)


def test_area_geojson_is_rounded():
    geo = area_geojson(shapely.box(0.123456789, 1, 2, 3.987654321))
    assert geo["type"] == "Polygon"
    flat = [v for ring in geo["coordinates"] for pos in ring for v in pos]
    assert 0.1234568 in flat and 3.9876543 in flat

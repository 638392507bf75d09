"""Validation of the marks volunteers draw on map cells and photos."""
import math

import pytest

from citizen.kinds._shared.marks import MarkError, clean_marks, empty_marks

CELL = (23.10, -1.20, 23.12, -1.18)  # a lon/lat cell bbox (the kind adds its margin)
PHOTO = (0, 0, 4000, 3000)  # pixel box of a 4000 x 3000 photo


def fc(*geometries, properties=None):
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": properties or {}, "geometry": g} for g in geometries]}


def point(x, y):
    return {"type": "Point", "coordinates": [x, y]}


def polygon(*ring):
    return {"type": "Polygon", "coordinates": [list(map(list, ring))]}


CLEARING = polygon((23.1012345678, -1.1912), (23.1051, -1.1915), (23.1049, -1.1871), (23.1015, -1.1868),
                   (23.1012345678, -1.1912))


def test_valid_point_and_polygon_pass_normalised():
    out = clean_marks(fc(point(23.11, -1.19), CLEARING, properties={"note": "<script>"}), CELL)
    assert out["type"] == "FeatureCollection"
    assert [f["geometry"]["type"] for f in out["features"]] == ["Point", "Polygon"]
    assert all(f == {"type": "Feature", "properties": {}, "geometry": f["geometry"]} for f in out["features"])
    ring = out["features"][1]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] == [23.1012346, -1.1912]
    assert len(ring) == 5


def test_pixels_round_to_one_decimal():
    out = clean_marks(fc(point(1234.56, 78.91), polygon((10, 10), (200.04, 10), (200, 150.27))), PHOTO, precision=1)
    assert out["features"][0]["geometry"]["coordinates"] == [1234.6, 78.9]
    assert out["features"][1]["geometry"]["coordinates"][0] == [[10, 10], [200.0, 10], [200, 150.3], [10, 10]]


@pytest.mark.parametrize("marks", [None, {"type": "FeatureCollection", "features": []},
                                   {"type": "FeatureCollection"}])
def test_nothing_drawn_is_an_empty_collection(marks):
    assert clean_marks(marks, CELL) == empty_marks() == {"type": "FeatureCollection", "features": []}


def test_unclosed_ring_is_closed():
    out = clean_marks(fc(polygon((0, 0), (10, 0), (10, 10), (0, 10))), PHOTO)
    assert out["features"][0]["geometry"]["coordinates"] == [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]]


def test_bow_tie_is_refused_as_self_intersecting():
    with pytest.raises(MarkError, match="Mark 2: the polygon's edges cross each other") as err:
        clean_marks(fc(point(0.5, 0.5), polygon((0, 0), (1, 1), (1, 0), (0, 1), (0, 0))), (0, 0, 1, 1))
    assert err.value.mark == 2


def test_outside_the_frame():
    with pytest.raises(MarkError, match="Mark 1 is outside the area of this task"):
        clean_marks(fc(point(23.2, -1.19)), CELL)
    with pytest.raises(MarkError, match="Mark 2 is outside"):
        clean_marks(fc(point(10, 10), polygon((10, 10), (4001, 10), (10, 20))), PHOTO)


def test_type_not_allowed():
    line = {"type": "LineString", "coordinates": [[0, 0], [10, 10]]}
    with pytest.raises(MarkError, match="Mark 1 is a line; only these marks can be drawn here: point, polygon"):
        clean_marks(fc(line), PHOTO)
    with pytest.raises(MarkError, match="Mark 1 is a polygon"):
        clean_marks(fc(polygon((0, 0), (10, 0), (10, 10))), PHOTO, allowed=("Point",))
    assert clean_marks(fc(line), PHOTO, allowed=("LineString",))["features"][0]["geometry"] == line
    with pytest.raises(MarkError, match="Mark 1 is a shape of type Circle"):
        clean_marks(fc({"type": "Circle", "coordinates": [1, 1]}), PHOTO)


def test_too_many_vertices_and_features():
    angles = [a / 100 * 2 * math.pi for a in range(100)]
    ring = [(math.cos(a) * 100 + 200, math.sin(a) * 100 + 200) for a in angles]
    assert clean_marks(fc(polygon(*ring)), PHOTO, max_vertices=100)
    with pytest.raises(MarkError, match="Mark 1 has more than 99 corners"):
        clean_marks(fc(polygon(*ring)), PHOTO, max_vertices=99)
    with pytest.raises(MarkError, match="There are 51 marks: draw at most 50"):
        clean_marks(fc(*[point(i, i) for i in range(51)]), PHOTO)
    assert len(clean_marks(fc(*[point(i, i) for i in range(50)]), PHOTO)["features"]) == 50


@pytest.mark.parametrize("coordinates", [
    [math.nan, 1], [1, math.inf], ["1", 2], [True, 1], [1], [1, 2, 3, 4], [[1, 2]], "1,2", None, {"x": 1},
])
def test_bad_point_coordinates(coordinates):
    with pytest.raises(MarkError, match="Mark 1: the coordinates are not valid numbers"):
        clean_marks(fc({"type": "Point", "coordinates": coordinates}), PHOTO)


@pytest.mark.parametrize("coordinates", [[], [[]], [[0, 0], [1, 0], [1, 1]], [[[0, 0], [1, "x"], [1, 1]]],
                                         [[[0, 0], [1, math.nan], [1, 1]]], "ring"])
def test_bad_polygon_coordinates(coordinates):
    with pytest.raises(MarkError, match="Mark 1: the"):
        clean_marks(fc({"type": "Polygon", "coordinates": coordinates}), PHOTO)


def test_degenerate_polygons():
    with pytest.raises(MarkError, match="at least three different corners"):
        clean_marks(fc(polygon((0, 0), (10, 10), (0, 0), (10, 10))), PHOTO)
    with pytest.raises(MarkError, match="has no area"):
        clean_marks(fc(polygon((0, 0), (5, 5), (10, 10))), PHOTO)
    with pytest.raises(MarkError, match="holes are not supported"):
        clean_marks(fc({"type": "Polygon", "coordinates": [[[0, 0], [9, 0], [9, 9], [0, 0]],
                                                            [[5, 1], [7, 1], [7, 3], [5, 1]]]}), PHOTO)
    # a ring touching itself at a vertex is not a simple outline either
    with pytest.raises(MarkError, match="Mark 1: the polygon"):
        clean_marks(fc(polygon((0, 0), (10, 0), (5, 5), (10, 10), (0, 10), (5, 5))), PHOTO)


@pytest.mark.parametrize("marks", [[], "[]", {"type": "Feature"}, {"type": "FeatureCollection", "features": {}}])
def test_not_a_feature_collection(marks):
    with pytest.raises(MarkError, match="expected format"):
        clean_marks(marks, PHOTO)


@pytest.mark.parametrize("feature,message", [
    ("x", "Mark 1 is not a GeoJSON Feature"),
    ({"type": "Point", "coordinates": [1, 1]}, "Mark 1 is not a GeoJSON Feature"),
    ({"type": "Feature"}, "Mark 1 has no shape"),
    ({"type": "Feature", "geometry": None}, "Mark 1 has no shape"),
    ({"type": "Feature", "geometry": {"type": "Point"}}, "Mark 1 has no shape"),
])
def test_bad_features(feature, message):
    with pytest.raises(MarkError, match=message):
        clean_marks({"type": "FeatureCollection", "features": [feature]}, PHOTO)


def test_repeated_corners_from_a_double_click_are_dropped():
    out = clean_marks(fc(polygon((0, 0), (10, 0), (10, 0), (10, 10), (0, 0))), PHOTO)
    assert out["features"][0]["geometry"]["coordinates"][0] == [[0, 0], [10, 0], [10, 10], [0, 0]]

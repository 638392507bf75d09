"""Spatial consensus of volunteers' point and polygon marks (pure Python, no app or database)."""
import math

import pytest
import shapely

from citizen.quality.spatial import consensus_features, point_clusters, polygon_clusters

LON0, LAT0 = 10.0, 45.0
M_LON = 1 / (111_320 * math.cos(math.radians(LAT0)))  # degrees per metre east
M_LAT = 1 / 110_540  # degrees per metre north


def at(east_m, north_m):
    return [LON0 + east_m * M_LON, LAT0 + north_m * M_LAT]


def fc(*geometries):
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "geometry": g, "properties": {}} for g in geometries]}


def pt(east_m, north_m):
    return {"type": "Point", "coordinates": at(east_m, north_m)}


def square(east_m, north_m, side=20.0):
    ring = [at(east_m, north_m), at(east_m + side, north_m), at(east_m + side, north_m + side),
            at(east_m, north_m + side), at(east_m, north_m)]
    return {"type": "Polygon", "coordinates": [ring]}


def distance_m(a, b):
    return math.hypot((a[0] - b[0]) / M_LON, (a[1] - b[1]) / M_LAT)


def props(result):
    return [f["properties"] for f in result["features"]]


# --- points ---------------------------------------------------------------------------------------------------

def test_three_contributors_on_one_building_give_one_point():
    marks = [("a", fc(pt(0, 0))), ("b", fc(pt(3, 1))), ("c", fc(pt(-1, 4)))]
    result = consensus_features(marks)
    assert result["type"] == "FeatureCollection"
    [feature] = result["features"]
    assert feature["geometry"]["type"] == "Point"
    assert feature["properties"] == {"kind": "point", "support": 3, "agreement": 1.0, "contributors": 3}
    assert distance_m(feature["geometry"]["coordinates"], at(0, 1)) < 3
    lon, lat = feature["geometry"]["coordinates"]
    assert round(lon, 7) == lon and round(lat, 7) == lat


def test_one_contributor_clicking_five_times_is_not_consensus():
    clicks = fc(*[pt(0.5 * i, 0) for i in range(5)])
    assert consensus_features([("a", clicks)])["features"] == []
    [feature] = consensus_features([("a", clicks), ("b", fc(pt(2, 2)))])["features"]
    assert feature["properties"]["support"] == 2
    assert feature["properties"]["agreement"] == 1.0
    # a's five clicks are averaged first, so the consensus sits halfway between a's mean (1, 0) and b.
    assert distance_m(feature["geometry"]["coordinates"], at(1.5, 1)) < 0.1


def test_two_buildings_100m_apart_give_two_points():
    marks = [(k, fc(pt(dx, dy), pt(100 + dy, dx))) for k, dx, dy in [("a", 0, 0), ("b", 2, 3), ("c", -3, 1)]]
    marks.append(("d", fc()))  # answered, marked nothing: counts as a contributor
    features = consensus_features(marks)["features"]
    assert len(features) == 2
    assert [p["support"] for p in props({"features": features})] == [3, 3]
    assert all(p["contributors"] == 4 and p["agreement"] == 0.75 for p in props({"features": features}))
    assert distance_m(features[0]["geometry"]["coordinates"], features[1]["geometry"]["coordinates"]) > 90


def test_one_contributors_line_of_clicks_does_not_chain_two_buildings():
    line = fc(*[pt(x, 0) for x in range(0, 101, 5)])
    marks = [("a", fc(pt(0, 1), pt(100, 1))), ("b", fc(pt(1, -1), pt(99, 0))), ("z", line)]
    result = consensus_features(marks)
    assert [p["support"] for p in props(result)] == [3, 3]


def test_chain_through_many_contributors_is_split_by_spread():
    marks = [(f"c{i}", fc(pt(8 * i, 0))) for i in range(8)]  # each 8 m from the next, eps 10 m: 56 m long
    clusters = point_clusters(marks, eps_m=10)
    assert len(clusters) > 1
    assert all(c.support < 8 for c in clusters)
    assert sum(c.support for c in clusters) <= 8


def test_pixel_metric_uses_eps_px():
    marks = [("a", fc({"type": "Point", "coordinates": [100, 100]})),
             ("b", fc({"type": "Point", "coordinates": [110, 104]})),
             ("c", fc({"type": "Point", "coordinates": [300, 300]}))]
    [feature] = consensus_features(marks, metric="pixel", eps_px=25)["features"]
    assert feature["geometry"]["coordinates"] == [105.0, 102.0]
    assert feature["properties"]["support"] == 2
    assert feature["properties"]["agreement"] == pytest.approx(0.6667)
    assert consensus_features(marks, metric="pixel", eps_px=5)["features"] == []


def test_point_clusters_report_members():
    marks = [("a", fc(pt(0, 0))), (7, fc(pt(1, 1))), ("c", fc(pt(500, 0)))]
    [cluster] = point_clusters(marks)
    assert cluster.members == ("a", 7) and cluster.support == 2


# --- polygons -------------------------------------------------------------------------------------------------

def test_overlapping_polygons_from_three_contributors_give_one_polygon():
    marks = [("a", fc(square(0, 0))), ("b", fc(square(2, 1))), ("c", fc(square(-1, 2))),
             ("d", fc(square(500, 500)))]
    [feature] = consensus_features(marks)["features"]
    assert feature["geometry"]["type"] == "Polygon"
    assert shapely.LinearRing(feature["geometry"]["coordinates"][0]).is_ccw  # GeoJSON right-hand rule
    p = feature["properties"]
    assert p["kind"] == "polygon" and p["support"] == 3 and p["contributors"] == 4
    assert 0.5 < p["agreement"] < 1.0
    [cluster] = polygon_clusters(marks)
    assert cluster.members == ("a", "b", "c")
    # majority area: about the 20 m square everyone drew, far from d's
    assert 300 < cluster.geometry.area / (M_LON * M_LAT) < 420


def test_identical_polygons_have_full_agreement():
    marks = [(k, fc(square(0, 0))) for k in "abc"]
    [feature] = consensus_features(marks)["features"]
    assert feature["properties"]["agreement"] == 1.0
    ring = feature["geometry"]["coordinates"][0]
    assert {tuple(c) for c in ring} == {tuple(round(v, 7) for v in c) for c in square(0, 0)["coordinates"][0]}


def test_same_contributor_overlapping_polygons_do_not_support_each_other():
    marks = [("a", fc(square(0, 0), square(1, 1))), ("b", fc()), ("c", fc(square(300, 0)))]
    assert consensus_features(marks)["features"] == []
    # with a second contributor the group has support 2, and a's best-matching polygon is the one kept
    marks[1] = ("b", fc(square(1, 1)))
    [cluster] = polygon_clusters(marks)
    assert cluster.support == 2 and cluster.agreement == 1.0


def test_degenerate_and_malformed_marks_are_skipped():
    bowtie = {"type": "Polygon", "coordinates": [[at(0, 0), at(20, 20), at(20, 0), at(0, 20), at(0, 0)]]}
    flat = {"type": "Polygon", "coordinates": [[at(0, 0), at(20, 0), at(0, 0), at(0, 0)]]}
    junk = [{"type": "Point", "coordinates": ["x"]}, {"type": "Point"}, None, {"type": "LineString",
            "coordinates": [at(0, 0), at(1, 1)]}]
    marks = [("a", fc(bowtie, flat, *junk)), ("b", fc(bowtie, flat)), ("c", {"features": "nope"}), ("d", None)]
    assert consensus_features(marks)["features"] == []


# --- empty input ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("marks", [[], [("a", fc()), ("b", fc())], [("a", {"type": "FeatureCollection"})]])
def test_empty_input_gives_empty_collection(marks):
    assert consensus_features(marks) == {"type": "FeatureCollection", "features": []}
    assert consensus_features(marks, metric="pixel") == {"type": "FeatureCollection", "features": []}


def test_unknown_metric_is_rejected():
    with pytest.raises(ValueError):
        consensus_features([], metric="furlongs")

"""Offline demo imagery: projection helpers, procedural XYZ tiles and drone photos (no app, no database)."""
import io
import math

import numpy as np
import pytest
from PIL import Image
from shapely.geometry import Point, box, shape
from shapely.strtree import STRtree

from citizen.demo import imagery as D


def tile_at(lon, lat, z):
    px, py = D.lonlat_to_pixel(lon, lat, z)
    return int(px // 256), int(py // 256)


def tile(layer, z, x, y):
    img = Image.open(io.BytesIO(D.render_tile(layer, z, x, y)))
    assert img.format == "PNG" and img.size == (256, 256)
    return np.asarray(img.convert("RGB"), dtype=float)


def metres(geom):
    """Width and height in metres of a lon/lat geometry's bounds."""
    w, s, e, n = geom.bounds
    return (e - w) * 111320 * math.cos(math.radians((s + n) / 2)), (n - s) * 110574


# ------------------------------------------------------------------------------------------------ helpers

def test_lonlat_to_pixel_known_points():
    assert D.lonlat_to_pixel(0, 0, 0) == pytest.approx((128, 128))
    assert D.lonlat_to_pixel(-180, 85.0511287798, 0) == pytest.approx((0, 0), abs=1e-6)
    assert D.lonlat_to_pixel(180, -85.0511287798, 0) == pytest.approx((256, 256), abs=1e-6)
    assert D.lonlat_to_pixel(90, 0, 2) == pytest.approx((768, 512))
    px, py = D.lonlat_to_pixel(-62.2, -9.9, 15)
    px1, py1 = D.lonlat_to_pixel(-62.2, -9.9, 16)
    assert (px1, py1) == pytest.approx((2 * px, 2 * py))
    assert D.lonlat_to_pixel(10, 50, 10)[1] < D.lonlat_to_pixel(10, 49, 10)[1]  # y grows southwards


def test_tile_bounds_match_projection():
    assert D.tile_bounds(0, 0, 0) == pytest.approx((-180, -85.0511287798, 180, 85.0511287798))
    assert D.tile_bounds(1, 0, 0) == pytest.approx((-180, 0, 0, 85.0511287798), abs=1e-9)
    w, s, e, n = D.tile_bounds(15, 10000, 17000)
    assert D.lonlat_to_pixel(w, n, 15) == pytest.approx((10000 * 256, 17000 * 256))
    assert D.lonlat_to_pixel(e, s, 15) == pytest.approx((10001 * 256, 17001 * 256))
    assert D.tile_bounds(15, 10001, 17000)[0] == pytest.approx(e)  # neighbours share their edge
    assert D.tile_bounds(15, 10000, 17001)[3] == pytest.approx(s)
    x, y = tile_at(36.16, 36.2, 17)
    w, s, e, n = D.tile_bounds(17, x, y)
    assert w <= 36.16 < e and s < 36.2 <= n


@pytest.mark.parametrize("args", [(-1, 0, 0), (19, 0, 0), (3, 8, 0), (3, 0, 8), (3, -1, 0), (3, 0, -1),
                                  ("3", 0, 0), (3, 1.5, 0), (True, 0, 0)])
def test_bad_tiles_are_rejected(args):
    with pytest.raises(ValueError):
        D.render_tile("forest-before", *args)
    with pytest.raises(ValueError):
        D.tile_bounds(*args)


def test_unknown_layer_is_rejected():
    with pytest.raises(ValueError):
        D.render_tile("satellite", 15, 0, 0)


# ------------------------------------------------------------------------------------------------ constants

def test_forest_area_and_clearings():
    area = shape(D.FOREST_AREA)
    assert D.FOREST_AREA["type"] == "Polygon" and area.is_valid
    assert 7 <= len(D.FOREST_AREA["coordinates"][0]) - 1 <= 9
    width, height = metres(area)
    assert 10000 < width < 14000 and 6500 < height < 9500
    assert -75 < area.centroid.x < -45 and -15 < area.centroid.y < 5  # the Amazon basin
    assert 5 <= len(D.CLEARINGS) <= 8
    clearings = [shape(c) for c in D.CLEARINGS]
    for c in clearings:
        assert c.is_valid and area.contains(c)
        assert 150 <= max(metres(c)) <= 600
    assert not any(a.intersects(b) for i, a in enumerate(clearings) for b in clearings[i + 1:])
    assert all(area.buffer(0.01).contains(shape(r)) for r in D.LOGGING_ROADS)


def test_town_area_and_buildings():
    town = shape(D.TOWN_AREA)
    assert D.TOWN_AREA["type"] == "Polygon" and town.is_valid
    width, height = metres(town)
    assert 1300 < width < 1700 and 1000 < height < 1400
    assert 100 <= len(D.BUILDINGS) <= 2000
    assert len({b["id"] for b in D.BUILDINGS}) == len(D.BUILDINGS)
    assert {b["damage"] for b in D.BUILDINGS} == set(D.DAMAGE_LEVELS)
    polygons = [shape(b["polygon"]) for b in D.BUILDINGS]
    assert all(p.is_valid and town.contains(p) for p in polygons)
    assert all(60 < p.area * 111320 * 110574 * math.cos(math.radians(36.2)) < 600 for p in polygons)
    tree = STRtree(polygons)
    overlaps = [(i, j) for i, p in enumerate(polygons) for j in tree.query(p, predicate="overlaps") if j != i]
    assert overlaps == []


def test_buildings_are_deterministic():
    import importlib
    again = importlib.reload(D)
    assert again.BUILDINGS == D.BUILDINGS and again.CLEARINGS == D.CLEARINGS


# ------------------------------------------------------------------------------------------------ tiles

@pytest.mark.parametrize("layer", D.LAYERS)
def test_every_layer_renders_valid_deterministic_tiles(layer):
    lon, lat = (-62.2, -9.9) if layer.startswith("forest") else (36.16, 36.2)
    for z in (0, 9, 15, 18):
        x, y = tile_at(lon, lat, z)
        data = D.render_tile(layer, z, x, y)
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert D.render_tile(layer, z, x, y) == data
        assert tile(layer, z, x, y).std() > 0 or z == 0


def seam(layer, z, lon, lat):
    """Mean colour difference across the border of two horizontally and two vertically adjacent tiles,
    and the typical difference between neighbouring pixel columns inside a tile."""
    x, y = tile_at(lon, lat, z)
    a, right, below = tile(layer, z, x, y), tile(layer, z, x + 1, y), tile(layer, z, x, y + 1)
    across = max(np.abs(a[:, -1] - right[:, 0]).mean(), np.abs(a[-1] - below[0]).mean())
    inside = np.median([np.abs(a[:, i] - a[:, i + 1]).mean() for i in range(255)])
    unrelated = np.abs(a[:, -1] - right[:, 128]).mean()
    return across, inside, unrelated


@pytest.mark.parametrize("layer, lon, lat, z", [
    ("forest-before", -62.23, -9.87, 15),                          # plain canopy
    ("forest-before", -62.20, -9.9054, 16),                        # the dirt road crosses tile borders
    ("forest-after", *np.array(D.CLEARINGS[1]["coordinates"][0]).mean(axis=0), 16),
    ("town-before", 36.16, 36.20, 17),                             # streets and buildings cross tile borders
    ("town-after", 36.16, 36.20, 16),
])
def test_tiles_join_without_seams(layer, lon, lat, z):
    across, inside, unrelated = seam(layer, z, lon, lat)
    assert across <= 1.5 * inside + 2
    assert across < 30
    assert unrelated > 1.5 * inside + 2  # the check can tell: columns that are not neighbours differ more


def test_clearings_show_on_after_only():
    lon, lat = shape(D.CLEARINGS[1]).centroid.coords[0]
    for z in (14, 16):
        x, y = tile_at(lon, lat, z)
        before, after = tile("forest-before", z, x, y), tile("forest-after", z, x, y)
        changed = np.abs(before - after).max(axis=2) > 30
        assert changed.mean() > (0.02 if z == 14 else 0.2)
        px, py = D.lonlat_to_pixel(lon, lat, z)
        cx, cy = int(px) % 256, int(py) % 256
        centre_b = before[max(0, cy - 4):cy + 4, max(0, cx - 4):cx + 4].reshape(-1, 3).mean(axis=0)
        centre_a = after[max(0, cy - 4):cy + 4, max(0, cx - 4):cx + 4].reshape(-1, 3).mean(axis=0)
        assert centre_b[1] > centre_b[0]  # green canopy before
        assert centre_a[0] > centre_a[1] and centre_a.mean() > centre_b.mean() + 30  # bright bare soil after


def test_tiles_far_from_clearings_are_identical():
    area, changes = shape(D.FOREST_AREA), [shape(c).buffer(0.002) for c in D.CLEARINGS + D.LOGGING_ROADS]
    spots = [(-62.235, -9.885), (-62.16, -9.91), (-61.5, -9.0)]  # inside the area twice, then far away
    for lon, lat in spots:
        x, y = tile_at(lon, lat, 16)
        bounds = box(*D.tile_bounds(16, x, y))
        assert not any(bounds.intersects(c) for c in changes)
        assert np.array_equal(tile("forest-before", 16, x, y), tile("forest-after", 16, x, y))
    assert area.contains(Point(spots[0])) and area.contains(Point(spots[1]))


def footprint_difference(building, z):
    """Mean colour change inside a building's footprint (its bounding box in the tile) between before and after."""
    poly = shape(building["polygon"])
    lon, lat = poly.centroid.coords[0]
    x, y = tile_at(lon, lat, z)
    before, after = tile("town-before", z, x, y), tile("town-after", z, x, y)
    w, s, e, n = poly.bounds
    x0, y0 = D.lonlat_to_pixel(w, n, z)
    x1, y1 = D.lonlat_to_pixel(e, s, z)
    cols = slice(max(0, int(x0) - x * 256), min(256, int(x1) - x * 256 + 1))
    rows = slice(max(0, int(y0) - y * 256), min(256, int(y1) - y * 256 + 1))
    return np.abs(before[rows, cols] - after[rows, cols]).mean()


def test_town_after_shows_damage_and_keeps_intact_buildings():
    destroyed = [b for b in D.BUILDINGS if b["damage"] == "destroyed"]
    for b in destroyed[:5]:
        assert footprint_difference(b, 17) > 25
        assert footprint_difference(b, 15) > 10
    major = [b for b in D.BUILDINGS if b["damage"] == "major"]
    assert np.mean([footprint_difference(b, 17) for b in major[:8]]) > 12
    damaged = STRtree([shape(b["polygon"]).buffer(0.0005) for b in D.BUILDINGS if b["damage"] != "none"])
    quiet = [b for b in D.BUILDINGS if b["damage"] == "none"
             and not len(damaged.query(shape(b["polygon"]), predicate="intersects"))]
    assert quiet, "expected some undamaged buildings away from any damage"
    for b in quiet[:5]:
        assert footprint_difference(b, 17) == 0


# ------------------------------------------------------------------------------------------------ drone photos

@pytest.mark.parametrize("damage", D.DAMAGE_LEVELS)
def test_drone_photo_is_a_jpeg_with_boxes(damage):
    data, boxes = D.drone_photo(7, damage)
    img = Image.open(io.BytesIO(data))
    assert img.format == "JPEG" and img.size == (1024, 768)
    assert len(img.getexif()) == 0
    assert 2 <= len(boxes) <= 5
    for b in boxes:
        assert set(b) == {"x", "y", "w", "h", "damage"}
        assert b["w"] > 20 and b["h"] > 20
        assert 0 <= b["x"] and b["x"] + b["w"] <= 1024 and 0 <= b["y"] and b["y"] + b["h"] <= 768
    levels = [D.DAMAGE_LEVELS.index(b["damage"]) for b in boxes]
    assert max(levels) == D.DAMAGE_LEVELS.index(damage) and min(levels) >= D.DAMAGE_LEVELS.index(damage) - 1
    assert D.drone_photo(7, damage) == (data, boxes)


def test_drone_photo_size_and_damage_change_the_picture():
    data, boxes = D.drone_photo(11, "destroyed", size=(640, 480))
    assert Image.open(io.BytesIO(data)).size == (640, 480)
    assert all(b["x"] + b["w"] <= 640 and b["y"] + b["h"] <= 480 for b in boxes)
    intact = np.asarray(Image.open(io.BytesIO(D.drone_photo(11, "none", size=(640, 480))[0])), float)
    wrecked = np.asarray(Image.open(io.BytesIO(data)), float)
    main = next(b for b in boxes if b["damage"] == "destroyed")
    region = (slice(main["y"], main["y"] + main["h"]), slice(main["x"], main["x"] + main["w"]))
    assert np.abs(intact[region] - wrecked[region]).mean() > 20
    with pytest.raises(ValueError):
        D.drone_photo(1, "catastrophic")

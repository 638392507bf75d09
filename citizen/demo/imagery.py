"""Offline demo imagery for `make run`: procedural web-map tiles and drone photos (no network, no Flask).

Tiles are pure functions of (layer, z, x, y). Every colour comes from world coordinates (value noise hashed on a
global lattice) and every shape is projected from lon/lat, so neighbouring tiles join without seams and the same
request always yields the same bytes. Shapes are drawn on a canvas padded by `_PAD` pixels and cropped, so blurs
and shadows near a tile edge see the same neighbourhood as in the next tile.

Public: LAYERS, MAX_ZOOM, DAMAGE_LEVELS, FOREST_AREA, CLEARINGS, LOGGING_ROADS, TOWN_AREA, BUILDINGS,
lonlat_to_pixel, tile_bounds, render_tile, drone_photo.
"""
import io

from PIL import Image

from citizen.demo.tiles import (DAMAGE_LEVELS, LAYERS, MAX_ZOOM, _check_tile, lonlat_to_pixel, tile_bounds)  # noqa: F401
from citizen.demo.forest import CLEARINGS, FOREST_AREA, LOGGING_ROADS, _render_forest  # noqa: F401
from citizen.demo.town import BUILDINGS, TOWN_AREA, _render_town  # noqa: F401
from citizen.demo.drone import drone_photo  # noqa: F401


def render_tile(layer, z, x, y):
    """PNG bytes of one 256x256 XYZ tile of a demo layer. ValueError for an unknown layer or tile."""
    if layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r}; expected one of {', '.join(LAYERS)}")
    z, x, y = _check_tile(z, x, y)
    render = _render_forest if layer.startswith("forest") else _render_town
    buf = io.BytesIO()
    Image.fromarray(render(z, x, y, layer.endswith("after"))).save(buf, "PNG", compress_level=3)
    return buf.getvalue()

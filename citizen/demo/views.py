"""The demo's imagery tiles, so map campaigns work offline. Registered by citizen.demo.init_app only when the demo is
enabled (config DEMO, true by default; CITIZEN_DEMO=false for an instance without it)."""
from functools import lru_cache

from flask import Blueprint, abort, make_response

from citizen.demo import imagery

bp = Blueprint("demo", __name__)


@lru_cache(maxsize=4096)
def _tile(layer, z, x, y):
    return imagery.render_tile(layer, z, x, y)


@bp.get("/tiles/demo/<layer>/<int:z>/<int:x>/<int:y>.png")
def tile(layer, z, x, y):
    """Imagery drawn by the demo, so map campaigns work offline (see citizen.demo.imagery)."""
    try:
        png = _tile(layer, z, x, y)
    except ValueError:
        abort(404)
    response = make_response(png)
    response.headers["Content-Type"] = "image/png"
    response.cache_control.public = True
    response.cache_control.max_age = 7 * 86400
    return response

"""The map kinds' organiser routes: check a tile address and give the address of one test tile; cut an area too
large for one campaign into parts that each fit (a GeoJSON file to import part by part, as campaigns or stages).

Nothing is fetched by the server: the organiser's browser loads the test tile, as volunteers' browsers will.
Registered once by MapKind.init_app (both map kinds share it)."""
import json

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from citizen.ingest import area_parts as cutting
from citizen.ingest import areas
from citizen.kinds import registry
from citizen.kinds._map import tiles

bp = Blueprint("map_tiles", __name__, url_prefix="/organise")
TEST_POINT = (10.0, 20.0)  # a test tile of the whole world when the organiser gives no place


@bp.before_request
@login_required
def _organisers_only():
    if not (current_user.is_admin or current_user.organisation_ids):
        abort(403)


@bp.get("/tile-check")
def tile_check():
    """{"template": the address as stored, "tile": one tile's address} or 422 {"error": what is wrong}."""
    try:
        template = tiles.normalise(request.args.get("url", "")[:tiles.MAX_TILE_URL + 1])
    except tiles.TileError as exc:
        return {"error": str(exc)}, 422
    lon, lat, zoom = _number("lon", TEST_POINT[0], -180, 180), _number("lat", TEST_POINT[1], -85, 85), 2
    if "lon" in request.args and "lat" in request.args:
        zoom = int(_number("zoom", 12, 0, 19))
    return {"template": template, "tile": tiles.tile_under(template, lon, lat, zoom), "zoom": zoom}


def _number(name, default, low, high):
    try:
        value = float(request.args.get(name, default))
    except (TypeError, ValueError):
        return default
    return min(high, max(low, value)) if value == value else default  # NaN: the default


@bp.post("/<slug>/area-parts")
def area_parts(slug):
    """The area of the manage page's import form (the uploaded file, else the drawn one) in parts that each fit the
    task limit at the campaign's cell size, as a GeoJSON download (one feature per part, numbered)."""
    campaign = registry.managed_campaign(slug, current_user)
    upload = request.files.get("file")
    filename, data = (upload.filename, upload.read()) if upload and upload.filename else (
        "drawn.geojson", request.form.get("area", "").encode())
    try:
        area = areas.read_area(filename, data)
        parts = cutting.split_parts(area, float((campaign.settings or {}).get("cell_km") or 1.0))
    except areas.AreaError as exc:
        flash(str(exc), "error")
        return redirect(url_for("organise.manage", slug=slug))
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"part": i + 1, "of": len(parts)}, "geometry": areas.area_geojson(part)}
        for i, part in enumerate(parts)]}
    return Response(json.dumps(doc), mimetype="application/geo+json",
                    headers={"Content-Disposition": f'attachment; filename="{campaign.slug}-area-parts.geojson"'})

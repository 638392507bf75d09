"""Imagery tile addresses the map kinds accept (citizen/kinds/_map/tiles.py) and the form's test tile."""
from urllib.parse import parse_qs, urlsplit

import pytest

from citizen.campaigns import services as campaigns
from citizen.errors import InvalidInput
from citizen.kinds._map import tiles

ESRI = "https://server.arcgisonline.com/ArcGIS/rest/services/World_Imagery/MapServer/tile/{z}/{y}/{x}"
WAYBACK = ("https://wayback.maptiles.arcgis.com/arcgis/rest/services/World_Imagery/WMTS/1.0.0/default028mm/"
           "MapServer/tile/10/{z}/{y}/{x}")
OSM = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"
BING = "https://ecn.t0.tiles.virtualearth.net/tiles/a{q}.jpeg?g=1"
TMS = "https://tms.example.org/layer/{z}/{x}/{-y}.png"
WMTS = "https://wmts.example.org/rest/ortho/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}.jpg"
WMS = "https://wms.example.org/ows?SERVICE=WMS&REQUEST=GetMap&VERSION=1.3.0&LAYERS=ortho&BBOX=1,2,3,4&WIDTH=512"


@pytest.mark.parametrize("url", [ESRI, WAYBACK, OSM, BING, TMS, "/tiles/demo/forest-after/{z}/{x}/{y}.png"])
def test_xyz_quadkey_and_tms_addresses_are_kept_as_given(url):
    assert tiles.normalise(url) == url


def test_tile_addresses_fill_every_placeholder():
    assert tiles.address(ESRI, 1, 2, 3).endswith("/tile/3/2/1")
    assert tiles.address(OSM, 4, 5, 6) == "https://a.tile.openstreetmap.org/6/4/5.png"
    assert tiles.address(BING, 3, 5, 3) == "https://ecn.t0.tiles.virtualearth.net/tiles/a213.jpeg?g=1"  # Bing's own example
    assert tiles.address(TMS, 0, 0, 1) == "https://tms.example.org/layer/1/0/1.png"  # y counted from the south


def test_wmts_placeholders_become_xyz_once_the_matrix_set_is_named():
    with pytest.raises(tiles.TileError, match="TileMatrixSet"):
        tiles.normalise(WMTS)
    named = tiles.normalise(WMTS.replace("{TileMatrixSet}", "GoogleMapsCompatible"))
    assert named == "https://wmts.example.org/rest/ortho/GoogleMapsCompatible/{z}/{y}/{x}.jpg"


def test_a_wms_address_asks_for_web_mercator_tiles_of_256_pixels():
    template = tiles.normalise(WMS)
    assert template.endswith("&BBOX={bbox-epsg-3857}")
    query = parse_qs(urlsplit(tiles.address(template, 0, 0, 0)).query)
    assert query["LAYERS"] == ["ortho"] and query["CRS"] == ["EPSG:3857"] and query["VERSION"] == ["1.3.0"]
    assert query["WIDTH"] == ["256"] and query["HEIGHT"] == ["256"] and query["REQUEST"] == ["GetMap"]
    minx, miny, maxx, maxy = map(float, query["BBOX"][0].split(","))
    assert minx == pytest.approx(-tiles.HALF_WORLD) and maxx == pytest.approx(tiles.HALF_WORLD)
    assert miny == pytest.approx(-tiles.HALF_WORLD) and maxy == pytest.approx(tiles.HALF_WORLD)
    old = tiles.normalise("https://wms.example.org/wms?service=wms&layers=a,b")  # 1.1.1 by default: SRS
    assert "SRS=EPSG%3A3857" in old and "layers=a%2Cb" in old  # the organiser's own parameters kept


@pytest.mark.parametrize("url, message", [
    ("https://example.org/tile.png", "needs {z}, {x} and {y}"),
    ("https://example.org/{z}/{x}.png", "needs {z}, {x} and {y}"),
    ("https://example.org/{z}/{x}/{y}/{foo}.png", "{foo}"),
    ("https://example.org/{z}/{x}/{y.png", "without its }"),
    ("javascript:alert(1)//{z}/{x}/{y}", "starts with https://"),
    ("https://example.org/{z}/{x}/{y}.png\" onerror=\"x", "no spaces or quotes"),
    ("https://wms.example.org/ows?SERVICE=WMS&REQUEST=GetMap", "LAYERS"),
    ("https://example.org/" + "{" * 600, "at most 500"),
    ("https://example.org/" + "{z}" * 160 + "{x}{y}", "at most 500"),
])
def test_unusable_addresses_say_what_is_wrong(url, message):
    with pytest.raises(tiles.TileError, match=message.replace("{", "\\{").replace("}", "\\}").replace("?", "\\?")):
        tiles.normalise(url)


def test_a_campaign_saves_an_esri_address_and_refuses_an_unknown_placeholder(app, org, organiser):
    c = campaigns.create_campaign(org.id, organiser, {"title": "Wayback", "kind": "damage",
                                                      "settings": {"tiles_after": WAYBACK, "tiles_before": BING}})
    assert c.settings["tiles_after"] == WAYBACK and c.settings["tiles_before"] == BING
    with pytest.raises(InvalidInput) as exc:
        campaigns.create_campaign(org.id, organiser, {"title": "F", "kind": "deforestation",
                                                      "settings": {"tiles_after": "https://x.org/{z}/{x}/{y}/{key}"}})
    assert exc.value.details[0]["field"] == "tiles_after" and "{key}" in exc.value.details[0]["message"]


def test_the_forms_test_tile_is_checked_for_organisers_only(app, client, organiser, make_user):
    assert client.get("/organise/tile-check?url=" + ESRI).status_code in (302, 401)
    make_user("vol@example.org")
    client.post("/account/login", data={"email": "vol@example.org", "password": "password123"})
    assert client.get("/organise/tile-check", query_string={"url": ESRI}).status_code == 403
    staff = app.test_client()
    staff.post("/account/login", data={"email": organiser.email, "password": "password123"})
    r = staff.get("/organise/tile-check", query_string={"url": WMS})
    assert r.status_code == 200 and "{bbox-epsg-3857}" in r.get_json()["template"]
    assert "BBOX=" in r.get_json()["tile"] and "{" not in r.get_json()["tile"]
    r = staff.get("/organise/tile-check", query_string={"url": ESRI, "lon": "178.4", "lat": "-18.1", "zoom": "12"})
    assert r.get_json()["tile"].endswith("/tile/12/2257/4077")  # z/y/x: Suva, Fiji
    r = staff.get("/organise/tile-check", query_string={"url": "https://example.org/tile.png"})
    assert r.status_code == 422 and "{z}" in r.get_json()["error"]
    page = staff.get("/organise/new?kind=damage").get_data(as_text=True)
    assert 'class="tile-check" data-for="tiles_after"' in page and "tile-check.js" in page

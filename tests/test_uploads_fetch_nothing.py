"""No file a user uploads may make the server fetch anything (issue 15, section 3): a GeoJSON "crs" link, a
VRT or KML dressed as a GeoPackage, a Shapefile .prj naming a URL, /vsicurl/ paths. A local HTTP server on
127.0.0.1 records every request; each upload below must leave it untouched."""
import io
import json
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import geopandas as gpd
import pyogrio
import pytest
import shapely

from citizen.campaigns import services as campaigns
from citizen.ingest import areas
from citizen.ingest.areas import AreaError, read_area
from citizen.campaigns.models import Task
from citizen.errors import CitizenError
from citizen.extensions import db

WKT = (b'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],'
       b'UNIT["degree",0.0174532925199433]]')
AREA = {"type": "Polygon", "coordinates": [[[10.0, 0.0], [10.036, 0.0], [10.036, 0.027], [10.0, 0.027], [10.0, 0.0]]]}


@pytest.fixture
def spy():
    """A server on 127.0.0.1 that answers every GET/HEAD with a WGS84 WKT and records the request."""
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(WKT)

        do_HEAD = do_GET

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    server.hits = hits
    yield server
    server.shutdown()
    server.server_close()


def linked(url, geometry=AREA):
    return {"type": "FeatureCollection", "crs": {"type": "link", "properties": {"href": url + "/crs.wkt",
                                                                                "type": "ogcwkt"}},
            "features": [{"type": "Feature", "properties": {}, "geometry": geometry}]}


def test_a_crs_link_in_an_area_file_is_refused_and_never_fetched(spy):
    for name in ("area.geojson", "area.json"):
        with pytest.raises(AreaError, match="crs"):
            read_area(name, json.dumps(linked(spy.url)).encode())
    # also inside a feature or a geometry, and as a "name" that is a URL
    nested = {"type": "Feature", "properties": {}, "geometry": {**AREA, "crs": {"type": "link", "properties": {
        "href": spy.url + "/g"}}}}
    with pytest.raises(AreaError, match="crs"):
        read_area("area.geojson", json.dumps(nested).encode())
    named = {**AREA, "crs": {"type": "name", "properties": {"name": spy.url + "/crs.wkt"}}}
    with pytest.raises(AreaError, match="crs"):
        read_area("area.geojson", json.dumps(named).encode())
    assert spy.hits == []


def test_named_crs_still_work_offline(spy):
    lonlat = {**AREA, "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}}
    assert read_area("area.geojson", json.dumps(lonlat).encode()).bounds == pytest.approx((10, 0, 10.036, 0.027))
    utm = shapely.box(500_000, 9_800_000, 510_000, 9_810_000)
    doc = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "EPSG:32735"}},
           "features": [{"type": "Feature", "properties": {}, "geometry": json.loads(shapely.to_geojson(utm))}]}
    area = read_area("utm.geojson", json.dumps(doc).encode())
    assert 26.9 < area.bounds[0] < 27.1 and -1.9 < area.bounds[1] < -1.7
    assert spy.hits == []


def test_files_dressed_as_a_geopackage_are_refused_before_gdal_guesses_a_driver(spy):
    vrt = (f'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/vsicurl/{spy.url}/a.geojson</SrcDataSource>'
           f'</OGRVRTLayer></OGRVRTDataSource>').encode()
    kml = (f'<kml xmlns="http://www.opengis.net/kml/2.2"><NetworkLink><Link><href>{spy.url}/n.kml</href></Link>'
           f'</NetworkLink></kml>').encode()
    for data in (vrt, kml, json.dumps(linked(spy.url)).encode(), b"SQLite format 3\x00" + b"\x00" * 200):
        with pytest.raises(AreaError, match="area.gpkg"):
            read_area("area.gpkg", data)
    assert spy.hits == []


def test_a_shapefile_prj_naming_a_url_is_refused(spy, tmp_path):
    gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.box(10, 0, 10.03, 0.02)], crs=4326).to_file(tmp_path / "a.shp")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for part in ("shp", "shx", "dbf"):
            z.write(tmp_path / f"a.{part}", f"a.{part}")
        z.writestr("a.prj", f"{spy.url}/crs.wkt")
    with pytest.raises(AreaError, match="web address"):
        read_area("a.zip", buf.getvalue())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:  # a VRT named .shp
        z.writestr("a.shp", f"<OGRVRTDataSource><OGRVRTLayer name='x'><SrcDataSource>/vsicurl/{spy.url}/b.json"
                            "</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>")
    with pytest.raises(AreaError):
        read_area("a.zip", buf.getvalue())
    assert spy.hits == []


def test_gdal_network_is_off_for_the_whole_process(spy, tmp_path, monkeypatch):
    """Even a GeoJSON handed straight to GDAL, and /vsicurl/ paths, reach nothing (the second layer)."""
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    path = tmp_path / "linked.geojson"
    path.write_text(json.dumps(linked(spy.url)))
    areas.no_network()
    try:
        pyogrio.read_dataframe(str(path))
    except Exception:  # noqa: BLE001  (refusing is as good as ignoring: what matters is no request)
        pass
    for vsi in ("/vsicurl/", "/vsicurl_streaming/"):
        with pytest.raises(Exception):
            pyogrio.list_layers(vsi + spy.url + "/x.geojson")
    assert spy.hits == []


def test_uploading_a_task_list_or_an_area_naming_the_server_makes_no_request(app, org, organiser, spy):
    c = campaigns.create_campaign(org.id, organiser, {"title": "Forest", "kind": "deforestation",
                                                      "settings": {
        "tiles_after": "/tiles/demo/forest-after/{z}/{x}/{y}.png", "cell_km": 1}})
    db.session.commit()
    tasks = [{"external_id": "t1", "geometry": {**AREA, "crs": {"type": "link", "properties": {
        "href": spy.url + "/crs.wkt"}}}}]
    with pytest.raises(CitizenError):
        campaigns.import_tasks(c, "tasks.json", json.dumps(tasks).encode())
    db.session.rollback()
    with pytest.raises(CitizenError):
        campaigns.import_tasks(c, "area.geojson", json.dumps(linked(spy.url)).encode())
    db.session.rollback()
    assert spy.hits == []
    assert db.session.query(Task).count() == 0
    campaigns.import_tasks(c, "area.geojson", json.dumps(AREA).encode())  # a plain area still works
    assert db.session.query(Task).count() == 12

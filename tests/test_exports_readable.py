"""Issue 19, "Results people can read", the open data files: the GeoPackage of an active campaign served from its
last complete build while the next builds, file names that agree with datapackage.json, rounded coordinates."""
import json

from citizen.campaigns import builds
from citizen.exports import precision
from citizen.extensions import db
from tests.test_exports import app, download, forest  # noqa: F401 (fixtures)


def _decimals(coords):
    if isinstance(coords, list):
        return max((_decimals(c) for c in coords), default=0)
    text = repr(coords)
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


def test_the_last_complete_geopackage_is_served_with_its_date_while_the_next_builds(app, client, forest):
    first = download(client, forest.slug, "results.gpkg")  # small campaign: built on the first request
    assert first.get_data()[:15] == b"SQLite format 3"
    app.config.update(JOBS_SYNC=False, EXPORTS_GPKG_SYNC_TASKS=0)
    builds.note_change(forest)  # new data (as a moderator's decision makes): the current version has no file yet
    db.session.commit()
    for _ in range(3):  # every poll gets the file, never a progress reply saved as results.gpkg
        again = client.get(f"/data/{forest.slug}/results.gpkg")
        assert again.status_code == 200 and again.get_data()[:15] == b"SQLite format 3"
        assert again.headers["ETag"] == first.headers["ETag"] and again.headers["Last-Modified"]  # that build's
        assert again.headers["Content-Disposition"] == f'attachment; filename="{forest.slug}-results.gpkg"'
    page = client.get(f"/data/{forest.slug}/").get_data(as_text=True)
    assert "Built " in page and "is being built; until then this one is served" in page


def test_a_browser_waiting_for_a_first_geopackage_gets_a_page_not_a_file(app, client, forest):
    app.config.update(JOBS_SYNC=False, EXPORTS_GPKG_SYNC_TASKS=0)
    r = client.get(f"/data/{forest.slug}/results.gpkg", headers={"Accept": "text/html,*/*;q=0.8"})
    assert r.status_code == 202 and r.headers["Refresh"] and r.mimetype == "text/html"
    assert "Content-Disposition" not in r.headers and "reloads by itself" in r.get_data(as_text=True)
    program = client.get(f"/data/{forest.slug}/results.gpkg", headers={"Accept": "*/*"})
    assert program.status_code == 202 and program.get_json()["status"] == "building"
    page = client.get(f"/data/{forest.slug}/").get_data(as_text=True)
    assert f'download="{forest.slug}-results.gpkg"' not in page  # no download link to a file not there yet


def test_every_file_answers_to_the_name_it_is_saved_under(client, forest):
    dp = download(client, forest.slug, "datapackage.json").get_json()
    for res in dp["resources"]:
        assert res["path"].startswith(f"{forest.slug}-")
        assert download(client, forest.slug, res["path"]).get_data() == download(
            client, forest.slug, res["path"][len(forest.slug) + 1:]).get_data() or res["path"].endswith(".md")
    readme = download(client, forest.slug, "README.md")
    assert readme.headers["Content-Disposition"] == f'inline; filename="{forest.slug}-README.md"'
    assert f"]({forest.slug}-results.csv)" in readme.get_data(as_text=True)
    assert client.get(f"/data/{forest.slug}/other-results.csv").status_code == 404


def test_coordinates_are_rounded_in_geojson_and_marks(client, forest):
    doc = json.loads(download(client, forest.slug, "results.geojson").get_data())
    geometries = [f["geometry"]["coordinates"] for f in doc["features"]]
    marks = [m["geometry"]["coordinates"] for f in doc["features"] for m in f["properties"]["marks"]["features"]]
    assert marks and max(_decimals(g) for g in geometries + marks) <= precision.LONLAT_DIGITS


def test_rounding_keeps_everything_but_coordinates():
    mark = {"type": "Feature", "properties": {"support": 0.123456789},
            "geometry": {"type": "Point", "coordinates": [12.3456789012, 41.987654321]}}
    out = precision.rounded({"type": "FeatureCollection", "features": [mark]}, 6)
    assert out["features"][0]["geometry"]["coordinates"] == [12.345679, 41.987654]
    assert out["features"][0]["properties"]["support"] == 0.123456789
    assert precision.rounded(None) is None and precision.digits("pixel") == 1

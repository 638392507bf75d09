"""results.geojson (streamed) and results.gpkg (a GeoPackage file, built off the request).

GeoJSON: one Feature per task, in task id order, as RFC 7946 says (WGS84 longitude/latitude, no
"crs" member). The geometry is the map cell, or the photo's position; null for tasks that have no
place (question and transcription campaigns, photos without GPS). The properties are the columns
of results.csv, plus, for map kinds, `marks`: the consensus marks of the task as a nested
FeatureCollection (each mark with `kind`, `support`, `agreement`, `contributors`) and `marks_crs`:
"lonlat" for map cells, "pixel" for photos (x, y in pixels from the photo's top-left corner). The
marks stay inside their task's feature rather than being features of their own because photo marks
are in pixels, not on the map: one feature per task keeps the file one row per task, like
results.csv. The GeoPackage has the map-cell marks as layers of their own.

GeoPackage: one layer per geometry type, because a GeoPackage layer holds one type:
`tasks_polygons` (map cells; MultiPolygon, as a cell trimmed to the area can be in pieces),
`tasks_points` (photos placed by GPS), `tasks` (no geometry: tasks without a place, as an
attribute table), and for map cells `marks_points` and `marks_polygons`
(one feature per consensus mark with its task_id, support and agreement). Empty layers are left
out. GDAL writes a GeoPackage as a file, not as a stream, so it is built (CHUNK features at a time,
memory stays flat) by the "exports.geopackage" job, with progress, into a scratch file, then put in
the exports store (citizen.storage) as <campaign id>/results-<data version>.gpkg and served from there
until the data changes; small campaigns (up to EXPORTS_GPKG_SYNC_TASKS tasks) are built on the request.
"""
import json
import os
import tempfile
from datetime import timedelta

from flask import current_app

from citizen import storage
from citizen.accounts.models import utcnow
from citizen.campaigns.models import Campaign
from citizen.campaigns.versions import data_version
from citizen.exports.rows import Column, Results, as_text
from citizen.extensions import db
from citizen.jobs import services as jobs
from citizen.jobs.models import PENDING, RUNNING

GPKG_JOB = "exports.geopackage"
INFLUENCE_JOB = "exports.influence"
DEFAULTS = {"EXPORTS_GPKG_SYNC_TASKS": 2000, "EXPORTS_INFLUENCE_SYNC_ANSWERS": 10_000}
STALE_JOB = timedelta(hours=1)  # a job "running" longer than this died with its process: start another
PROGRESS_EVERY = 1000
CHUNK = 10_000  # features per write


def setting(name):
    return current_app.config.get(name, DEFAULTS.get(name))


# --- GeoJSON, streamed ----------------------------------------------------------------------------
def results_geojson(campaign):
    """results.geojson as an iterator of byte chunks."""
    results = Results(campaign)
    head = {"type": "FeatureCollection", "name": campaign.slug, "title": campaign.title,
            "licence": campaign.licence, "attribution": campaign.organisation.name}
    opening = json.dumps(head, ensure_ascii=False)[:-1] + ', "features": [\n'

    def chunks():
        yield opening.encode()
        buf, first = [], True
        for values, geometry, marks, crs in results.rows():
            props = dict(values)
            if results.spatial:
                props["marks"] = marks or {"type": "FeatureCollection", "features": []}
                props["marks_crs"] = crs
            feature = {"type": "Feature", "id": values["task_id"], "geometry": geometry, "properties": props}
            buf.append(("" if first else ",\n") + json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
            first = False
            if len(buf) >= 500:
                yield "".join(buf).encode()
                buf = []
        buf.append("\n]}\n")
        yield "".join(buf).encode()

    return chunks()


# --- GeoPackage -----------------------------------------------------------------------------------
GPKG_TYPE = "application/geopackage+sqlite3"


def gpkg_key(campaign_id, version):
    """The exports store's key of a campaign's GeoPackage of one data version."""
    return f"{int(campaign_id)}/results-{version.tag}.gpkg"


def _family(geometry):
    kind = (geometry or {}).get("type", "")
    return "points" if "Point" in kind else "polygons" if "Polygon" in kind else "lines" if "Line" in kind else None


def _number(v):
    try:
        return float(v)
    except (TypeError, ValueError):  # a kind's column typed from its first rows, then a text: left empty
        return None


def _frame(rows, columns, geometries=None):
    """A (Geo)DataFrame of `rows` ({column: value}) with the columns' types (rows.Column)."""
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import shape

    data = {}
    for column in columns:
        values = [None if r.get(column.name) in (None, "") else r.get(column.name) for r in rows]
        if column.type == "boolean":
            data[column.name] = pd.array([None if v is None else bool(v) for v in values], dtype="boolean")
        elif column.type == "integer":
            data[column.name] = pd.array([None if v is None else int(v) for v in values], dtype="Int64")
        elif column.type == "number":
            data[column.name] = pd.array([None if v is None else _number(v) for v in values], dtype="Float64")
        else:
            data[column.name] = pd.Series([None if v is None else str(as_text(v)) for v in values], dtype=object)
    if geometries is None:
        return pd.DataFrame(data)
    return gpd.GeoDataFrame(data, geometry=[shape(g) for g in geometries], crs="EPSG:4326")


class _Layer:
    """One layer of the GeoPackage, written CHUNK features at a time."""

    def __init__(self, name, columns, spatial=True, multi=None):
        self.name, self.columns, self.spatial, self.multi = name, columns, spatial, multi
        self.rows, self.geoms, self.count = [], [], 0

    def add(self, row, geometry, path):
        self.rows.append(row)
        if self.spatial:
            self.geoms.append(geometry)
        if len(self.rows) >= CHUNK:
            self.flush(path)

    def flush(self, path, empty=False):
        import pyogrio
        if not self.rows and not empty:
            return
        frame = _frame(self.rows, self.columns, self.geoms if self.spatial else None)
        pyogrio.write_dataframe(frame, path, layer=self.name, driver="GPKG", append=os.path.exists(path),
                                promote_to_multi=self.multi)
        self.count += len(self.rows)
        self.rows, self.geoms = [], []


MARK_COLUMNS = [Column("task_id", "integer", ""), Column("kind", "string", ""), Column("support", "integer", ""),
                Column("agreement", "number", ""), Column("contributors", "integer", "")]


def build_geopackage(campaign, path, progress=None):
    """Write the campaign's results as a GeoPackage at `path`, layer by layer in chunks (memory stays
    flat), atomically: a half-written file is never served. Returns {"layers": {name: features}}."""
    results = Results(campaign)
    total = campaign.tasks_total or 0
    columns = results.typed_columns() + ([Column("marks", "string", ""), Column("marks_crs", "string", "")]
                                         if results.spatial else [])
    tasks = {"points": _Layer("tasks_points", columns), "polygons": _Layer("tasks_polygons", columns, multi=True),
             "lines": _Layer("tasks_lines", columns, multi=True), None: _Layer("tasks", columns, spatial=False)}
    marks = {"points": _Layer("marks_points", MARK_COLUMNS), "polygons": _Layer("marks_polygons", MARK_COLUMNS, multi=True)}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".gpkg", dir=os.path.dirname(path))
    os.close(fd)
    os.unlink(tmp)  # GDAL creates the file itself
    try:
        for done, (values, geometry, fc, crs) in enumerate(results.rows(), start=1):
            row = dict(values)
            if results.spatial:
                row["marks"] = fc or {"type": "FeatureCollection", "features": []}
                row["marks_crs"] = crs
            tasks[_family(geometry)].add(row, geometry, tmp)
            if crs == "lonlat" and fc:
                for mark in fc.get("features", []):
                    layer = marks.get(_family(mark.get("geometry")))
                    if layer is not None:
                        layer.add({"task_id": values["task_id"], **mark.get("properties", {})}, mark["geometry"], tmp)
            if progress and done % PROGRESS_EVERY == 0:
                progress(done, max(total, done))
        layers = list(tasks.values()) + list(marks.values())
        for layer in layers:
            layer.flush(tmp)
        if not os.path.exists(tmp):  # no task at all: an empty attribute table
            tasks[None].flush(tmp, empty=True)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    if progress:
        progress(total, total)
    return {"layers": {layer.name: layer.count for layer in layers if layer.count}}


def _forget_older(campaign_id, keep):
    store = storage.exports_store()
    for key, _stat in store.list(f"{int(campaign_id)}/results-"):
        if key != keep and key.endswith(".gpkg"):
            try:
                store.delete(key)
            except OSError:  # being sent to someone right now (Windows), or already gone
                pass


def build_current(campaign, progress=None):
    """Build the GeoPackage of the campaign's current data (unless it is already in the exports store), in a
    temporary folder, and put it in the store; returns its key."""
    version = data_version(campaign)
    key = gpkg_key(campaign.id, version)
    store = storage.exports_store()
    if not store.exists(key):
        with tempfile.TemporaryDirectory(prefix="citizen-gpkg-") as scratch:
            path = os.path.join(scratch, "results.gpkg")
            build_geopackage(campaign, path, progress)
            store.put_file(key, path, content_type=GPKG_TYPE)
    _forget_older(campaign.id, key)
    return key


def geopackage_job(job, progress):
    """Build the GeoPackage of the campaign's data as it is when the job runs (idempotent)."""
    campaign = db.session.get(Campaign, job.campaign_id)
    if campaign is None:
        return {}
    key = build_current(campaign, progress)
    found = storage.exports_store().stat(key)
    return {"file": key.rsplit("/", 1)[-1], "bytes": found.size if found else 0}


def influence_job(job, progress):
    """Jobs queued before citizen.quality.builds (now citizen.campaigns.builds): the campaign's build (batch
    consensus and influence report)."""
    from citizen.campaigns import builds

    campaign = db.session.get(Campaign, job.campaign_id)
    if campaign is not None:
        builds.build(campaign)
    return {}


def last_built(campaign_id):
    """(key, Stat) of the newest complete GeoPackage of a campaign, whatever its data version, or None."""
    found = [(k, st) for k, st in storage.exports_store().list(f"{int(campaign_id)}/results-") if k.endswith(".gpkg")]
    return max(found, key=lambda item: (item[1].modified, item[0])) if found else None


def file_tag(key):
    """The data version a GeoPackage file was built from (its name: results-<tag>.gpkg)."""
    return key.rsplit("/", 1)[-1][len("results-"):-len(".gpkg")]


def _building(campaign_id):
    job = jobs.latest(campaign_id, GPKG_JOB)
    return job if job is not None and job.status in (PENDING, RUNNING) and utcnow() - job.created_at < STALE_JOB \
        else None


def geopackage(campaign, version):
    """Where the GeoPackage stands: ("ready", key) or ("building", job). `key` is this version's file in the
    exports store, or while that one is being built the last complete one (never a wait for a file that existed
    a minute ago).

    A missing file is built by a job (one per campaign at a time); only a campaign that never had one waits for
    it, and a small one of those is built now."""
    store = storage.exports_store()
    key = gpkg_key(campaign.id, version)
    if store.exists(key):
        return "ready", key
    older = last_built(campaign.id)
    job = _building(campaign.id)
    if job is None:
        if older is None and (campaign.tasks_total or 0) <= setting("EXPORTS_GPKG_SYNC_TASKS"):
            db.session.commit()  # end the read transaction: on SQLite it holds the write lock
            return "ready", build_current(campaign)
        job = jobs.start(GPKG_JOB, campaign.id, {"tag": version.tag})
        db.session.commit()  # the job is sent (with JOBS_SYNC: run) once its row is committed
        if store.exists(key):  # JOBS_SYNC: already built
            return "ready", key
    if older is not None and store.exists(older[0]):
        return "ready", older[0]
    return "building", job


def geopackage_status(campaign, version):
    """For the data page: {"state": "ready" | "building" | "not_built", ...} without starting anything; "ready"
    with `updating` while a file of older data is served and the current one builds."""
    found = storage.exports_store().stat(gpkg_key(campaign.id, version))
    if found is not None:
        return {"state": "ready", "bytes": found.size}
    job = _building(campaign.id)
    older = last_built(campaign.id)
    if older is not None:
        return {"state": "ready", "bytes": older[1].size, "updating": job is not None}
    if job is not None:
        return {"state": "building", **job.as_json()}
    job = jobs.latest(campaign.id, GPKG_JOB)
    return {"state": "not_built", "failed": job.message if job is not None and job.status == "failed" else ""}

"""The field kind: the nearby-sites query on a city of 100,000 sites, and the photo upload path (photos/s per web
server, memory per upload).

    python -m benchmarks.field [--quick] [--databases sqlite,postgresql]

On SQLite (benchmarks.common.fresh_app) and on PostgreSQL: a scratch database `citizen_bench_field_<pid>` created
on the server of CITIZEN_BENCH_DATABASE_URL or CITIZEN_TEST_DATABASE_URL (else postgres@127.0.0.1:5432) and dropped
at the end; the `test` database and its users are not touched. A database that cannot be reached is reported as
skipped.

1. Nearby. A published field campaign of SITES sites over a 10 km x 10 km square (75 % uniform, 25 % in six dense
   clusters of 60-250 m), imported through the real path (campaigns.import_tasks with a CSV: the kind's index is
   filled by its after_import). 20 % of the sites, and the whole of one dense cluster ("a neighbourhood already
   done"), are complete (answer_count = redundancy: no longer open). Then GET /api/v1/campaigns/<slug>/nearby
   ?lat=&lon=&limit=20 through the Flask test client (in this process, as benchmarks/serve.py), by a guest with a
   bearer token, from POSITIONS positions in four groups: inside (uniform), dense (at a cluster's centre, the
   completed one included), edge (on the square's border, +-100 m) and outside (5 km beyond a side or a corner:
   5 km and more from every site). Reported: p50, p95, max in ms per group and overall, the SQL statements per
   request and the time spent in them; the slowest request's slowest statement with its plan (EXPLAIN QUERY PLAN on
   SQLite, EXPLAIN ANALYZE on PostgreSQL). Checked: on a sample of positions (every group), the 20 sites returned
   are exactly the 20 nearest open sites by haversine (brute force over every site, numpy).
   Goal: p95 well under 50 ms on each database.
2. Photos. A real web server in a subprocess: gunicorn with deploy/gunicorn.conf.py, ONE worker process with its
   default 4 threads (as production runs each worker), on the same database; a new server for every phase so that
   its memory figure starts clean. Phone photos of 4032 x 3024 px (gradients with noise, 3-5 MB JPEG, EXIF GPS by
   citizen.ingest.photos.with_gps) are sent by 1, 2 and 4 concurrent clients (threads of this process, http.client
   on loopback, a guest each): (a) whole, multipart POST /api/v1/tasks/<id>/photos (first tried once through the
   test client: when a photo this size is refused as multipart, the refusal is reported and whole photos are sent
   as the raw body, Content-Type image/jpeg, which the endpoint also takes); (b) resumable, 256 KiB PUT chunks to
   /api/v1/tasks/<id>/photos/<upload id>, as js/queue.js sends them. Reported per phase: photos/s (all photos /
   wall time), seconds per photo (first byte sent to its token received: p50, p95, max), and the server worker's
   memory: peak RSS during the phase (VmHWM, reset through /proc/<pid>/clear_refs after a warm-up upload of a small
   photo) minus its RSS before, divided by the concurrent uploads. Baseline, in the same run: the same photo through Pillow in this process,
   clean_copy alone (decode + re-encode) and the whole check the server does (read_photo + checked_copy +
   blurred_derivative), and the peak RSS growth of that pipeline for one photo in a fresh interpreter; the share of
   a photo's server time that is HTTP + storage + database is 1 - pipeline / (seconds per photo at one client).
   Every photo sent must come back with a token and be stored once (FieldPhoto rows; no chunk left behind).

Progress goes to stderr; then a table of every figure; the last line is one JSON object
{"nearby": {db: {...}}, "photos": {db: {...}}, "baseline": {...}, "goals": {...}}.
`--quick`: 5,000 sites, 60 positions, a few smaller photos, 2 clients only: a smoke run, not a measurement.
"""
import argparse
import gc
import http.client
import io
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import numpy as np

from benchmarks.common import fresh_app

CENTER = (36.2, 36.16)
HALF_M = 5000            # the square's half side
R_EARTH = 6371008.8
M_PER_DEG = 111195.0
CLUSTERS = [(0.0, 0.0, 60), (2500, -1800, 90), (-3000, 2200, 120), (-1500, -3500, 250), (3800, 3600, 150),
            (1200, 2700, 80)]  # (east m, north m, sigma m); the last one is completed whole
CLUSTER_SHARE = 0.25
COMPLETE_SHARE = 0.20
REDUNDANCY = 3
LIMIT = 20
GOAL_P95_MS = 50
FULL = {"sites": 100_000, "positions": 500, "checked": 100, "photo_size": (4032, 3024), "photos": 3,
        "clients": (1, 2, 4), "per_client": 5, "min_photos": 8}
QUICK = {"sites": 5_000, "positions": 60, "checked": 60, "photo_size": (1600, 1200), "photos": 1,
         "clients": (2,), "per_client": 1, "min_photos": 2}
CHUNK = 256 * 1024
GROUPS = ("inside", "dense", "edge", "outside")
FIELDS = "state | State | choice: clean, overflowing | | What do you see?"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def log(*args):
    print("#", *args, file=sys.stderr, flush=True)


def ms(values, q):
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 2) if values else None


# --- the city ------------------------------------------------------------------------------------------------------
def to_deg(east_m, north_m):
    lat = CENTER[0] + north_m / M_PER_DEG
    return lat, CENTER[1] + east_m / (M_PER_DEG * math.cos(math.radians(CENTER[0])))


def city(n, seed=1):
    """n sites as (lat, lon) rounded to 6 decimals, and the set of indexes complete (no longer open)."""
    rnd = random.Random(seed)
    points, in_cluster = [], {}
    n_cluster = int(n * CLUSTER_SHARE)
    for i in range(n):
        if i < n_cluster:
            c = i % len(CLUSTERS)
            ex, ny, sigma = CLUSTERS[c]
            e, m = rnd.gauss(ex, sigma), rnd.gauss(ny, sigma)
            e, m = max(-HALF_M, min(HALF_M, e)), max(-HALF_M, min(HALF_M, m))
            in_cluster[i] = c
        else:
            e, m = rnd.uniform(-HALF_M, HALF_M), rnd.uniform(-HALF_M, HALF_M)
        lat, lon = to_deg(e, m)
        points.append((round(lat, 6), round(lon, 6)))
    done = {i for i in range(n) if in_cluster.get(i) == len(CLUSTERS) - 1 or rnd.random() < COMPLETE_SHARE}
    return points, done


def positions(n, seed=2):
    """[(group, lat, lon)]: half inside, a fifth at cluster centres, a fifth on the border, a tenth 5 km out."""
    rnd = random.Random(seed)
    counts = {"inside": n // 2, "dense": n // 5, "edge": n // 5}
    counts["outside"] = n - sum(counts.values())
    out = []
    for _ in range(counts["inside"]):
        out.append(("inside", *to_deg(rnd.uniform(-HALF_M, HALF_M), rnd.uniform(-HALF_M, HALF_M))))
    for k in range(counts["dense"]):
        ex, ny, _sigma = CLUSTERS[k % len(CLUSTERS)]
        out.append(("dense", *to_deg(ex + rnd.uniform(-20, 20), ny + rnd.uniform(-20, 20))))
    for _ in range(counts["edge"]):
        along, off = rnd.uniform(-HALF_M, HALF_M), HALF_M + rnd.uniform(-100, 100)
        e, m = rnd.choice([(along, off), (along, -off), (off, along), (-off, along)])
        out.append(("edge", *to_deg(e, m)))
    for k in range(counts["outside"]):
        out_m = HALF_M + 5000
        if k % 3 == 2:  # beyond a corner
            e, m = rnd.choice([(1, 1), (1, -1), (-1, 1), (-1, -1)])
            e, m = e * (HALF_M + 3536), m * (HALF_M + 3536)
        else:
            along = rnd.uniform(-HALF_M, HALF_M)
            e, m = rnd.choice([(along, out_m), (along, -out_m), (out_m, along), (-out_m, along)])
        out.append(("outside", *to_deg(e, m)))
    rnd.shuffle(out)
    return out


def haversine_np(lat, lon, lats, lons):
    p1, p2 = math.radians(lat), np.radians(lats)
    dp, dl = p2 - p1, np.radians(lons - lon)
    a = np.sin(dp / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * R_EARTH * np.arcsin(np.minimum(1.0, np.sqrt(a)))


# --- databases -----------------------------------------------------------------------------------------------------
def pg_server_url():
    return os.environ.get("CITIZEN_BENCH_DATABASE_URL") or os.environ.get("CITIZEN_TEST_DATABASE_URL") or PG_DEFAULT


class Scratch:
    """A database for one benchmark run: a new SQLite file, or a new PostgreSQL database dropped by close()."""

    def __init__(self, name):
        self.name, self.pg_name, self.folder = name, None, None

    def open(self):
        from sqlalchemy import create_engine, make_url, text
        if self.name == "sqlite":
            self.app, self.folder = fresh_app("field")
            self.url = self.app.config["SQLALCHEMY_DATABASE_URI"]
            return self.app
        server = make_url(pg_server_url())
        self.pg_name = f"citizen_bench_field_{os.getpid()}"
        self.admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.pg_name}"'))
            conn.execute(text(f'CREATE DATABASE "{self.pg_name}"'))
        self.url = server.set(database=self.pg_name).render_as_string(hide_password=False)
        self.app, self.folder = fresh_app("field", SQLALCHEMY_DATABASE_URI=self.url)
        return self.app

    def close(self):
        from sqlalchemy import text
        try:
            with self.app.app_context():
                from citizen.extensions import db
                db.session.remove()
                db.engine.dispose()
        except Exception:  # noqa: BLE001  (open() failed half-way)
            pass
        if self.pg_name:
            with self.admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)'))
            self.admin.dispose()
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)


def reachable(name):
    if name == "sqlite":
        return None
    try:
        import psycopg  # noqa: F401
        from sqlalchemy import create_engine, make_url, text
        engine = create_engine(make_url(pg_server_url()).set(database="postgres"), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"


def new_campaign(title, csv_text):
    """A published field campaign with these sites, imported through campaigns.import_tasks; (campaign, seconds)."""
    from citizen.accounts import services as accounts
    from citizen.campaigns import services as campaigns
    from citizen.extensions import db
    org = accounts.get_or_create_organisation("bench", "Bench")
    c = campaigns.create_campaign(org.id, None, {
        "title": title, "kind": "field", "redundancy": REDUNDANCY,
        "settings": {"fields": FIELDS, "photos_min": 0, "photos_max": 3, "agree": 2, "max_answers": 5}})
    t = time.perf_counter()
    campaigns.import_tasks(c, "sites.csv", csv_text.encode())
    campaigns.publish(c)
    db.session.commit()
    return c, time.perf_counter() - t


# --- 1. nearby ------------------------------------------------------------------------------------------------------
class BoxMeter:
    """Wraps citizen.kinds.field.sites._open_sites (the box query, rows fetched included) to count its calls, rows
    and time per request; restored by remove(). Nothing of citizen is changed on disk."""

    def __init__(self):
        from citizen.kinds.field import sites
        self.sites, self.original = sites, sites._open_sites
        self.calls, self.rows, self.seconds, self.boxes = 0, 0, 0.0, []

        def timed(campaign_id, south, north, west, east, limit):
            t = time.perf_counter()
            rows = self.original(campaign_id, south, north, west, east, limit)
            self.seconds += time.perf_counter() - t
            self.calls += 1
            self.rows += len(rows)
            self.boxes.append((round((north - south) / 2, 5), len(rows)))
            return rows
        sites._open_sites = timed

    def reset(self):
        self.calls, self.rows, self.seconds, self.boxes = 0, 0, 0.0, []

    def remove(self):
        self.sites._open_sites = self.original


class SqlMeter:
    """Counts and times the statements the engine runs; keeps the slowest with its parameters."""

    def __init__(self, engine):
        from sqlalchemy import event
        self.engine, self.n, self.seconds, self.slowest, self._t = engine, 0, 0.0, None, None
        event.listen(engine, "before_cursor_execute", self.before)
        event.listen(engine, "after_cursor_execute", self.after)

    def before(self, conn, cursor, statement, parameters, context, executemany):
        self._t = time.perf_counter()

    def after(self, conn, cursor, statement, parameters, context, executemany):
        took = time.perf_counter() - self._t
        self.n += 1
        self.seconds += took
        if self.slowest is None or took > self.slowest[0]:
            self.slowest = (took, statement, parameters)

    def reset(self):
        self.n, self.seconds, self.slowest = 0, 0.0, None

    def remove(self):
        from sqlalchemy import event
        event.remove(self.engine, "before_cursor_execute", self.before)
        event.remove(self.engine, "after_cursor_execute", self.after)


def explain(engine, statement, parameters):
    """The plan of one statement as lines: EXPLAIN QUERY PLAN on SQLite, EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            return [str(r[-1]) for r in rows]
        rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).all()
        conn.rollback()
        return [r[0] for r in rows]


def nearby(app, cfg):
    from sqlalchemy import select, update

    from citizen.campaigns.models import Task
    from citizen.extensions import db
    from citizen.kinds.field.models import FieldSite
    points, done = city(cfg["sites"])
    csv_text = "name,lat,lon\n" + "".join(f"site {i},{lat:.6f},{lon:.6f}\n" for i, (lat, lon) in enumerate(points))
    with app.app_context():
        c, import_s = new_campaign("City", csv_text)
        slug, cid = c.slug, c.id
        index = {int(name.split()[1]): tid for tid, name in db.session.execute(
            select(FieldSite.task_id, FieldSite.name).where(FieldSite.campaign_id == cid))}
        assert len(index) == len(points), (len(index), len(points))
        ids = [index[i] for i in sorted(done)]
        for i in range(0, len(ids), 5000):
            db.session.execute(update(Task).where(Task.id.in_(ids[i:i + 5000])).values(answer_count=REDUNDANCY))
        db.session.commit()
        rows = db.session.execute(select(FieldSite.task_id, FieldSite.lat, FieldSite.lon,
                                         Task.answer_count < Task.redundancy)
                                  .join(Task, Task.id == FieldSite.task_id)
                                  .where(FieldSite.campaign_id == cid)).all()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")  # as autovacuum would soon after an import this size
        engine = db.engine
    n_sites, n_done = len(points), len(done)
    log(f"{n_sites} sites imported in {import_s:.1f} s ({n_done} complete)")
    open_rows = [r for r in rows if r[3]]
    o_ids = np.array([r[0] for r in open_rows])
    o_lat = np.array([r[1] for r in open_rows])
    o_lon = np.array([r[2] for r in open_rows])
    n_open = len(open_rows)
    del points, done, csv_text, index, ids, rows, open_rows  # the brute force keeps numpy arrays only

    client = app.test_client()
    guest = client.post("/api/v1/guests", environ_base={"REMOTE_ADDR": "198.51.100.7"}).get_json()["token"]
    head = {"Authorization": f"Bearer {guest}"}
    where = positions(cfg["positions"])
    with app.app_context():
        meter = SqlMeter(db.engine)
    boxes = BoxMeter()
    try:
        for _group, lat, lon in where[:20]:  # warm-up: caches, the first connection, compiled statements
            client.get(f"/api/v1/campaigns/{slug}/nearby?lat={lat}&lon={lon}&limit={LIMIT}", headers=head)
        times = {g: [] for g in GROUPS}
        statements, sql_s, box_s, box_calls, box_rows, answers, slowest = [], [], [], [], [], [], None
        # As a gunicorn worker after its fork (deploy/gunicorn.conf.py): what is loaded is frozen out of the
        # collector's sight, so a full collection walks only what requests make (not this process's setup).
        gc.collect()
        gc.freeze()
        for group, lat, lon in where:
            meter.reset()
            boxes.reset()
            t = time.perf_counter()
            r = client.get(f"/api/v1/campaigns/{slug}/nearby?lat={lat}&lon={lon}&limit={LIMIT}", headers=head)
            took = time.perf_counter() - t
            if r.status_code != 200:
                raise SystemExit(f"nearby: {r.status_code} {r.data[:200]!r}")
            times[group].append(took)
            statements.append(meter.n)
            sql_s.append(meter.seconds)
            box_s.append(boxes.seconds)
            box_calls.append(boxes.calls)
            box_rows.append(boxes.rows)
            answers.append((group, lat, lon, r.get_json()))
            if slowest is None or took > slowest[0]:
                slowest = (took, group, lat, lon, meter.n, meter.seconds, meter.slowest, boxes.seconds, boxes.rows,
                           list(boxes.boxes))
    finally:
        gc.unfreeze()
        meter.remove()
        boxes.remove()

    # Exactness: the 20 returned are the 20 nearest open sites (ties in distance: either order).
    step = max(1, len(answers) // cfg["checked"])
    checked, wrong, example = 0, 0, None
    wrong_in = {g: [0, 0] for g in GROUPS}  # [wrong, checked]
    position_of = {int(t): k for k, t in enumerate(o_ids)}
    for group, lat, lon, body in answers[::step]:
        d = haversine_np(lat, lon, o_lat, o_lon)
        best = np.argsort(d, kind="stable")[:LIMIT]
        want = [int(o_ids[k]) for k in best]
        got = [s["id"] for s in body["sites"]]
        got_d = [round(float(d[position_of[t]]), 3) if t in position_of else None for t in got]
        same = got == want or (None not in got_d and got_d == sorted(got_d) and len(set(got)) == len(got)
                               and got_d == [round(float(d[k]), 3) for k in best])  # ties: either order
        checked += 1
        wrong_in[group][1] += 1
        if not same:
            wrong += 1
            wrong_in[group][0] += 1
            if example is None:
                example = {"group": group, "lat": round(lat, 6), "lon": round(lon, 6), "returned": len(got),
                           "of_the_nearest_missing": len(set(want) - set(got)),
                           "not_open_returned": got_d.count(None), "nearest_m": round(float(d[best[0]])),
                           "kth_nearest_m": round(float(d[best[-1]])),
                           "farthest_returned_m": max((s["distance_m"] for s in body["sites"]), default=None)}
    every = [t for g in GROUPS for t in times[g]]
    took, group, lat, lon, n, sql, (q_s, statement, parameters), b_s, b_rows, b_list = slowest
    plan = explain(engine, statement, parameters)
    out = {"sites": n_sites, "open_sites": n_open, "complete_sites": n_done, "import_s": round(import_s, 1),
           "requests": len(every), "p50_ms": ms(every, 0.5), "p95_ms": ms(every, 0.95), "max_ms": ms(every, 1.0),
           "groups": {g: {"n": len(times[g]), "p50_ms": ms(times[g], 0.5), "p95_ms": ms(times[g], 0.95),
                          "max_ms": ms(times[g], 1.0)} for g in GROUPS},
           "statements_p50": statistics.median(statements), "statements_max": max(statements),
           "sql_p50_ms": ms(sql_s, 0.5), "sql_p95_ms": ms(sql_s, 0.95),
           "box_queries_p50": statistics.median(box_calls), "box_queries_max": max(box_calls),
           "box_rows_p50": statistics.median(box_rows), "box_rows_max": max(box_rows),
           "box_p50_ms": ms(box_s, 0.5), "box_p95_ms": ms(box_s, 0.95),
           "exact": {"checked": checked, "wrong": wrong, "example": example,
                     "wrong_by_group": {g: f"{w}/{n}" for g, (w, n) in wrong_in.items()}},
           "slowest": {"ms": round(took * 1000, 2), "group": group, "lat": round(lat, 6), "lon": round(lon, 6),
                       "statements": n, "sql_ms": round(sql * 1000, 2), "slowest_statement_ms": round(q_s * 1000, 2),
                       "box_ms": round(b_s * 1000, 2), "box_rows": b_rows, "boxes_half_deg_rows": b_list,
                       "statement": " ".join(statement.split()), "parameters": repr(parameters)[:300],
                       "plan": plan}}
    out["goal_met"] = out["p95_ms"] < GOAL_P95_MS
    with app.app_context():
        db.engine.dispose()
    return out


# --- 2. photos ------------------------------------------------------------------------------------------------------
def phone_photo(seed, size, lat, lon):
    """A JPEG of `size` px that does not compress to nothing (gradients and grain) with EXIF GPS and time."""
    from PIL import Image

    from citizen.ingest import photos as pictures
    w, h = size
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    k = 3 + seed
    base = np.stack([128 + 90 * np.sin(k * 6 * x + seed) * np.cos(4 * y),
                     128 + 80 * np.cos(k * 5 * y + x * 3),
                     110 + 60 * np.sin(k * 4 * (x + y))], -1)
    grain = rng.integers(-14, 15, size=(h, w, 3), dtype=np.int16)
    img = np.clip(base + grain, 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(img).save(out, "JPEG", quality=85)
    return pictures.with_gps(out.getvalue(), lat, lon, time.strftime("%Y:%m:%d %H:%M:%S"))


PIPELINE_MEMORY = r"""
import json, sys, io
from PIL import Image
from citizen.ingest import photos as pictures
from content_warnings import blurred_derivative
def status():
    with open("/proc/self/status") as fh:
        return {l.split(":")[0]: int(l.split()[1]) for l in fh if l.startswith(("VmRSS", "VmHWM"))}
def pipeline(data):
    info = pictures.read_photo(data)
    clean, _w, _h = pictures.checked_copy(data, 2048, 15_000_000, gps=(info["lat"], info["lon"]))
    blurred_derivative(clean, max_side=640)
small = io.BytesIO(); Image.new("RGB", (640, 480), (90, 140, 60)).save(small, "JPEG")
pipeline(pictures.with_gps(small.getvalue(), 36.2, 36.16))
data = open(sys.argv[1], "rb").read()
before = status()["VmRSS"]
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")
pipeline(data)
print(json.dumps({"peak_growth_kb": status()["VmHWM"] - before}))
"""


def baseline(photos_bytes, rounds):
    """Seconds of Pillow alone on these photos in this process, and one photo's peak RSS growth (fresh process)."""
    from citizen.ingest import photos as pictures
    from content_warnings import blurred_derivative
    clean_s, pipe_s = [], []
    for r in range(rounds):
        for data in photos_bytes:
            t = time.perf_counter()
            pictures.clean_copy(data, 2048, gps=CENTER)
            t1 = time.perf_counter()
            info = pictures.read_photo(data)
            clean, _w, _h = pictures.checked_copy(data, 2048, 15_000_000, gps=(info["lat"], info["lon"]))
            blurred_derivative(clean, max_side=640)
            t2 = time.perf_counter()
            clean_s.append(t1 - t)
            pipe_s.append(t2 - t1)
    with tempfile.NamedTemporaryFile(suffix=".jpg") as fh:
        fh.write(photos_bytes[0])
        fh.flush()
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        done = subprocess.run([sys.executable, "-c", PIPELINE_MEMORY, fh.name], cwd=root, capture_output=True,
                              text=True, timeout=120)
    memory = json.loads(done.stdout.strip().splitlines()[-1])["peak_growth_kb"] / 1024 if done.returncode == 0 \
        else None
    return {"clean_copy_s": round(statistics.median(clean_s), 3), "pipeline_s": round(statistics.median(pipe_s), 3),
            "pipeline_peak_mb": round(memory, 1) if memory is not None else None,
            "photo_mb": round(statistics.mean(len(p) for p in photos_bytes) / 1e6, 2)}


def proc_status(pid):
    with open(f"/proc/{pid}/status") as fh:
        return {line.split(":")[0]: int(line.split()[1]) for line in fh if line.startswith(("VmRSS", "VmHWM"))}


class Client:
    """One volunteer's phone: a keep-alive connection and a guest token."""

    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        status, body = self.request("POST", "/api/v1/guests", b"", {})
        assert status == 201 or status == 200, (status, body)
        self.head = {"Authorization": "Bearer " + body["token"]}

    def request(self, method, path, body, headers):
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                r = self.conn.getresponse()
                return r.status, json.loads(r.read() or b"null")
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # gunicorn closes an idle keep-alive connection after 5 s: open a new one and send again
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt == 2:
                    raise

    def whole(self, task_id, body, content_type):
        status, out = self.request("POST", f"/api/v1/tasks/{task_id}/photos", body, {
            **self.head, "Content-Type": content_type})
        if status != 201 or not out.get("photo"):
            raise RuntimeError(f"whole upload: {status} {out}")
        return out["photo"]

    def chunked(self, task_id, data):
        url, total, token = f"/api/v1/tasks/{task_id}/photos/{uuid.uuid4().hex}", len(data), None
        for first in range(0, total, CHUNK):
            part = data[first:first + CHUNK]
            status, out = self.request("PUT", url, part, {
                **self.head, "Content-Type": "application/octet-stream",
                "Content-Range": f"bytes {first}-{first + len(part) - 1}/{total}"})
            if status not in (200, 201):
                raise RuntimeError(f"chunk at {first}: {status} {out}")
            token = out.get("photo")
        if not token:
            raise RuntimeError("the last chunk gave no photo token")
        return token


def multipart(data):
    boundary = uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"photo.jpg\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n").encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def probe_multipart(app, task_id, data):
    """(status, message) of one whole photo sent as multipart/form-data (field `photo`), through the test client."""
    client = app.test_client()
    token = client.post("/api/v1/guests", environ_base={"REMOTE_ADDR": "198.51.100.9"}).get_json()["token"]
    r = client.post(f"/api/v1/tasks/{task_id}/photos", data={"photo": (io.BytesIO(data), "photo.jpg")},
                    headers={"Authorization": f"Bearer {token}"}, content_type="multipart/form-data")
    body = r.get_json(silent=True) or {}
    return r.status_code, body.get("message") or ("token" if body.get("photo") else "")


def server_env(scratch, folder):
    return {"CITIZEN_DATABASE_URL": scratch.url, "CITIZEN_SECRET_KEY": "bench", "CITIZEN_RATELIMIT_ENABLED": "false",
            "CITIZEN_JOBS_QUEUE_URL": "memory://", "CITIZEN_INSTANCE_PATH": folder, "CITIZEN_DEMO": "false",
            "CITIZEN_MEDIA_FOLDER": os.path.join(folder, "media"),
            "CITIZEN_UPLOADS_FOLDER": os.path.join(folder, "uploads"),
            "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "4"}


def phase(scratch, folder, task_ids, mode, clients, photos, small, n_photos, multipart_ok=True):
    """One server, `clients` concurrent clients sending n_photos photos in `mode` ("whole" or "chunked")."""
    from benchmarks.load import Gunicorn
    server = Gunicorn("citizen.wsgi:app", server_env(scratch, folder), os.path.join(folder, f"gunicorn-{mode}.log"))
    try:
        (pid,) = server.workers()
        phones = [Client(server.port) for _ in range(clients)]
        warm = Client(server.port)
        warm.whole(task_ids[0], *multipart(small))  # code paths loaded, the worker's pools made
        warm.chunked(task_ids[0], small)
        warm.conn.close()
        gc.collect()
        time.sleep(0.3)
        before = proc_status(pid)["VmRSS"]
        try:
            with open(f"/proc/{pid}/clear_refs", "w") as fh:
                fh.write("5")  # VmHWM := VmRSS
            reset = True
        except OSError:
            reset = False
        bodies = [multipart(p) if multipart_ok else (p, "image/jpeg") for p in photos] if mode == "whole" else None
        seconds, tokens, errors, lock = [], [], [], threading.Lock()
        left = [n_photos]

        def send(k, phone):
            i = 0
            while True:
                with lock:
                    if left[0] <= 0:
                        return
                    left[0] -= 1
                task = task_ids[(k * 7 + i) % len(task_ids)]
                t = time.perf_counter()
                try:
                    token = phone.whole(task, *bodies[i % len(bodies)]) if mode == "whole" else \
                        phone.chunked(task, photos[i % len(photos)])
                except Exception as exc:  # noqa: BLE001
                    with lock:
                        errors.append(str(exc)[:200])
                    return
                with lock:
                    seconds.append(time.perf_counter() - t)
                    tokens.append(token)
                i += 1

        threads = [threading.Thread(target=send, args=(k, p)) for k, p in enumerate(phones)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
        after = proc_status(pid)
        for p in phones:
            p.conn.close()
    finally:
        server.stop()
    if errors:
        raise SystemExit(f"{mode} uploads with {clients} clients failed: {errors[:3]}")
    growth = (after["VmHWM"] - before) / 1024
    label = mode if mode == "chunked" else "multipart" if multipart_ok else "raw body"
    return {"mode": label, "clients": clients, "photos": len(tokens), "wall_s": round(wall, 2),
            "photos_per_s": round(len(tokens) / wall, 2), "s_per_photo_p50": round(statistics.median(seconds), 3),
            "s_per_photo_p95": round(ms(seconds, 0.95) / 1000, 3), "s_per_photo_max": round(max(seconds), 3),
            "rss_before_mb": round(before / 1024, 1), "peak_growth_mb": round(growth, 1),
            "mb_per_upload": round(growth / clients, 1), "peak_reset": reset}


def photo_phases(scratch, app, cfg, photos, small):
    from sqlalchemy import func, select

    from citizen.extensions import db
    from citizen.kinds.field.models import FieldPhoto, FieldUpload
    db_name = scratch.name
    folder = tempfile.mkdtemp(prefix="citizen-field-server-")
    try:
        lat0, lon0 = CENTER
        csv_text = "name,lat,lon\n" + "".join(f"bin {i},{lat0 + i * 1e-4:.6f},{lon0:.6f}\n" for i in range(20))
        with app.app_context():
            c, _s = new_campaign("Photos", csv_text)
            from citizen.campaigns.models import Task
            task_ids = db.session.execute(select(Task.id).where(Task.campaign_id == c.id).order_by(Task.id)
                                          ).scalars().all()
            db.session.remove()
        with app.app_context():
            probe = probe_multipart(app, task_ids[-1], photos[0])
            db.session.remove()
        multipart_ok = probe[0] == 201
        if not multipart_ok:
            log(f"{db_name}: a {len(photos[0]) / 1e6:.1f} MB photo as multipart/form-data is refused: {probe}; whole "
                "photos are sent as the raw body (image/jpeg) instead, which the endpoint also takes")
        runs, sent = [], int(multipart_ok)
        for mode in ("whole", "chunked"):
            for clients in cfg["clients"]:
                n = max(cfg["min_photos"], clients * cfg["per_client"])
                run = phase(scratch, folder, task_ids, mode, clients, photos, small, n, multipart_ok)
                sent += n + 2  # and the warm-up's two
                log(f"{db_name} {mode} x{clients}: {run['photos_per_s']} photos/s, {run['s_per_photo_p50']} s each, "
                    f"+{run['peak_growth_mb']} MB peak ({run['mb_per_upload']} MB per upload)")
                runs.append(run)
        with app.app_context():
            stored = db.session.execute(select(func.count()).select_from(FieldPhoto)).scalar()
            unfinished = db.session.execute(select(func.count()).select_from(FieldUpload).where(
                FieldUpload.photo_id.is_(None))).scalar()
            db.session.remove()
        parts_left = sum(len(files) for _d, _s, files in os.walk(os.path.join(folder, "uploads", "field-parts")))
        return {"multipart_probe": {"status": probe[0], "message": probe[1], "photo_mb": round(len(photos[0]) / 1e6, 2)},
                "runs": runs, "sent": sent, "stored": stored, "unfinished_uploads": unfinished,
                "chunks_left": parts_left}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- report ---------------------------------------------------------------------------------------------------------
def table(out):
    lines = []
    for db_name, r in out["nearby"].items():
        if "skipped" in r:
            lines.append(f"nearby {db_name}: skipped ({r['skipped']})")
            continue
        lines.append(f"nearby on {r['sites']:,} sites ({r['open_sites']:,} open), {db_name}, test client, "
                     f"limit {LIMIT}: import {r['import_s']} s")
        lines.append(f"  {'group':<9}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
        for g, row in [("all", {"n": r["requests"], **{k: r[k] for k in ("p50_ms", "p95_ms", "max_ms")}}),
                       *r["groups"].items()]:
            lines.append(f"  {g:<9}{row['n']:>5}{row['p50_ms']:>9}{row['p95_ms']:>9}{row['max_ms']:>9}")
        e, s = r["exact"], r["slowest"]
        lines.append(f"  per request: SQL statements median {r['statements_p50']}, max {r['statements_max']}; "
                     f"time in cursor.execute p50 {r['sql_p50_ms']} ms, p95 {r['sql_p95_ms']} ms")
        lines.append(f"  box queries (sites._open_sites, rows fetched included) per request: median "
                     f"{r['box_queries_p50']}, max {r['box_queries_max']}; rows median {r['box_rows_p50']}, max "
                     f"{r['box_rows_max']}; time p50 {r['box_p50_ms']} ms, p95 {r['box_p95_ms']} ms")
        lines.append(f"  exact (20 nearest open sites, brute-force haversine): {e['checked'] - e['wrong']}/"
                     f"{e['checked']} right; wrong by group: {e['wrong_by_group']}")
        if e["example"]:
            lines.append(f"  first wrong: {e['example']}")
        lines.append(f"  slowest request: {s['ms']} ms ({s['group']}, {s['lat']}, {s['lon']}): {s['statements']} "
                     f"statements, {s['sql_ms']} ms in cursor.execute, box queries {s['box_ms']} ms for "
                     f"{s['box_rows']} rows; boxes (half side deg, rows): {s['boxes_half_deg_rows']}")
        lines.append(f"  its slowest statement ({s['slowest_statement_ms']} ms): {s['statement'][:160]}...; "
                     f"parameters {s['parameters']}; plan:")
        lines += [f"    {p}" for p in s["plan"]]
    b = out.get("baseline")
    if b:
        lines.append(f"photos: {b['photo_mb']} MB JPEGs; Pillow alone in-process: clean_copy {b['clean_copy_s']} s, "
                     f"whole check (read_photo + checked_copy + blur) {b['pipeline_s']} s, peak +{b['pipeline_peak_mb']}"
                     f" MB for one photo")
    for db_name, r in out["photos"].items():
        if "skipped" in r:
            lines.append(f"photos {db_name}: skipped ({r['skipped']})")
            continue
        lines.append(f"photos, {db_name}, gunicorn 1 worker x 4 threads: {r['sent']} sent, {r['stored']} stored, "
                     f"{r['unfinished_uploads']} unfinished, {r['chunks_left']} chunks left")
        lines.append(f"  {'mode':<10}{'clients':>7}{'photos':>7}{'photos/s':>10}{'s p50':>9}{'s p95':>8}{'s max':>8}{'RSS MB':>8}"
                     f"{'peak+MB':>9}{'MB/upl':>8}{'overhead':>9}")
        m = r["multipart_probe"]
        if m["status"] != 201:
            lines.append(f"  a {m['photo_mb']} MB photo as multipart/form-data: REFUSED {m['status']} ({m['message']}); "
                         "whole photos below are sent as the raw body (Content-Type: image/jpeg)")
        for run in r["runs"]:
            share = run.get("overhead_share")
            lines.append(f"  {run['mode']:<10}{run['clients']:>7}{run['photos']:>7}{run['photos_per_s']:>10}"
                         f"{run['s_per_photo_p50']:>9}{run['s_per_photo_p95']:>8}{run['s_per_photo_max']:>8}"
                         f"{run['rss_before_mb']:>8}{run['peak_growth_mb']:>9}"
                         f"{run['mb_per_upload']:>8}{'' if share is None else f'{share:.0%}':>9}")
    for db_name, g in out["goals"].items():
        lines.append(f"goal nearby p95 < {GOAL_P95_MS} ms on {db_name}: {g}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite,postgresql (default: both)")
    parser.add_argument("--skip", default="", help="nearby or photos: leave that part out")
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    names = [n.strip() for n in args.databases.split(",") if n.strip()]
    out = {"quick": args.quick, "nearby": {}, "photos": {}, "baseline": None, "goals": {}}
    missing = {n: reachable(n) for n in names}
    if "photos" not in args.skip:
        t = time.perf_counter()
        lat, lon = CENTER
        photos = [phone_photo(k, cfg["photo_size"], lat, lon) for k in range(cfg["photos"])]
        from PIL import Image

        from citizen.ingest import photos as pictures
        small = io.BytesIO()
        Image.new("RGB", (640, 480), (90, 140, 60)).save(small, "JPEG")
        small = pictures.with_gps(small.getvalue(), lat, lon)
        out["baseline"] = baseline(photos, rounds=1 if args.quick else 3)
        log(f"{len(photos)} photos of {cfg['photo_size']} px made and timed alone in {time.perf_counter() - t:.0f} s")
    for name in names:
        if missing[name]:
            out["nearby"][name] = out["photos"][name] = {"skipped": missing[name]}
            out["goals"][name] = "not measured"
            continue
        scratch = Scratch(name)
        app = scratch.open()
        try:
            if "nearby" not in args.skip:
                t = time.perf_counter()
                r = out["nearby"][name] = nearby(app, cfg)
                out["goals"][name] = f"{'met' if r['goal_met'] else 'NOT MET'} (p95 {r['p95_ms']} ms)"
                log(f"nearby {name}: p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, max {r['max_ms']} ms, exact "
                    f"{r['exact']['checked'] - r['exact']['wrong']}/{r['exact']['checked']} "
                    f"({time.perf_counter() - t:.0f} s)")
            if "photos" not in args.skip:
                r = out["photos"][name] = photo_phases(scratch, app, cfg, photos, small)
                for run in r["runs"]:
                    if run["clients"] == 1:
                        run["overhead_share"] = round(1 - out["baseline"]["pipeline_s"] / run["s_per_photo_p50"], 3)
        finally:
            scratch.close()
    print(table(out), flush=True)
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()

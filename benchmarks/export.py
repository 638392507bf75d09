"""Open data exports at scale: answers.csv and results.geojson (and results.csv, results.gpkg) of a
campaign with one million answers over 100,000 tasks, downloaded through the Flask test client
(results.gpkg: built as its job builds it, off the request).

The campaign is a deforestation campaign (map cells of about 1 km, four grades); every task has ten
answers from 2,000 guest contributors, one task in twenty with clearings marked by most of its
volunteers, 3 % of answers faster than the minimum time. The database is bulk-loaded (as
benchmarks/serve.py's _preload does: rows inserted directly, the per-task counters and consensus
set as the hot path would have left them) in a separate process, so that each export is measured
in a fresh process of its own: seconds, rows per second, time to the first byte and to the first
data row, and peak memory as the growth of the process's peak resident set (getrusage maxrss)
during the export, and the peak of the Python heap (tracemalloc, in a second, untimed run: the
resident set also holds SQLite's page cache and memory-mapped database pages). `--quick` runs 20,000 answers over 2,000 tasks. The last line printed is one
JSON object. (PyBossa exports 1M answers in 78 s using 3.7 GiB.)
"""
import argparse
import json
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta

FULL = (100_000, 10)   # tasks, answers per task
QUICK = (2_000, 10)
CONTRIBUTORS = 2_000
GRADES = ["cleared", "not_cleared", "unsure", "bad_imagery"]
CHUNK = 20_000
CELL = 0.009  # degrees: about 1 km at the equator


def _app(folder):
    from citizen import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db", "SECRET_KEY": "bench",
                       "RATELIMIT_ENABLED": False, "MEDIA_FOLDER": folder, "WTF_CSRF_ENABLED": False,
                       "EXPORTS_FOLDER": os.path.join(folder, "exports"), "JOBS_SYNC": True})


def _cell(i, side):
    row, col = divmod(i, side)
    west, south = 10.0 + col * CELL, -5.0 + row * CELL
    east, north = west + CELL, south + CELL
    return {"cell": f"r{row}c{col}", "bbox": [west, south, east, north],
            "center": [round(west + CELL / 2, 7), round(south + CELL / 2, 7)],
            "geometry": {"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north],
                                                             [west, north], [west, south]]]}}


def build(folder, tasks, per_task):
    """A migrated SQLite database with one published deforestation campaign, bulk-loaded."""
    from flask_migrate import upgrade
    from sqlalchemy import insert, select, update

    from citizen.accounts import services as accounts
    from citizen.accounts.models import Contributor
    from citizen.campaigns import services as campaigns
    from citizen.kinds import get_kind
    from citizen.campaigns.tally import result_of
    from citizen.campaigns.models import Answer, Participation, Task
    from citizen.extensions import db

    app = _app(folder)
    with app.app_context():
        upgrade()
        org = accounts.get_or_create_organisation("bench", "Bench")
        c = campaigns.create_campaign(org.id, None, {
            "title": "Bench clearings", "kind": "deforestation", "redundancy": per_task,
            "settings": {"tiles_after": "/tiles/demo/forest-after/{z}/{x}/{y}.png", "cell_km": 1}})
        kind = get_kind("deforestation")
        rnd = random.Random(1)
        side = int(tasks ** 0.5) + 1
        for start in range(0, tasks, CHUNK):
            db.session.execute(insert(Task), [
                {"campaign_id": c.id, "external_id": f"cell-{i}", "payload": _cell(i, side), "rand": rnd.random(),
                 "redundancy": per_task, "answer_count": 0, "lease_count": 0, "available": True, "consensus": {}}
                for i in range(start, min(tasks, start + CHUNK))])
        c.tasks_total = tasks
        db.session.execute(insert(Contributor), [{} for _ in range(CONTRIBUTORS)])
        first = db.session.execute(select(db.func.min(Contributor.id))).scalar()
        ids = db.session.execute(select(Task.id, Task.payload).where(Task.campaign_id == c.id)
                                 .order_by(Task.id)).all()
        t0 = datetime(2025, 1, 1)
        rows, counts, n = [], {}, 0
        for t_index, (task_id, payload) in enumerate(ids):
            state = {}
            marked = t_index % 20 == 0
            cx, cy = payload["center"]
            for k in range(per_task):
                person = first + (t_index * per_task + k * 7) % CONTRIBUTORS
                grade = "cleared" if marked and k % 5 else GRADES[(t_index + k) % 4 if k % 3 == 0 else 1]
                features = [{"type": "Feature", "properties": {}, "geometry": {
                    "type": "Point", "coordinates": [round(cx + rnd.uniform(-2e-5, 2e-5), 7),
                                                     round(cy + rnd.uniform(-2e-5, 2e-5), 7)]}}] if marked and k % 5 else []
                value = {"answer": grade, "marks": {"type": "FeatureCollection", "features": features}, "crs": "lonlat"}
                weight = 0.0 if rnd.random() < 0.03 else 1.0
                state = kind.add_to_consensus(state, value, weight)
                counts[person] = counts.get(person, 0) + 1
                n += 1
                rows.append({"task_id": task_id, "campaign_id": c.id, "contributor_id": person, "value": value,
                             "duration_ms": rnd.randint(800, 60_000), "source": "web", "weight": weight,
                             "created_at": t0 + timedelta(seconds=n)})
                if len(rows) >= CHUNK:
                    db.session.execute(insert(Answer), rows)
                    rows = []
            db.session.execute(update(Task).where(Task.id == task_id).values(
                answer_count=per_task, consensus=state, result=result_of(kind, state, c.settings), available=False))
        if rows:
            db.session.execute(insert(Answer), rows)
        db.session.execute(insert(Participation), [
            {"contributor_id": p, "campaign_id": c.id, "answer_count": k, "cursor": 0.5} for p, k in counts.items()])
        c.tasks_done = tasks
        campaigns.publish(c)
        db.session.commit()
        slug = c.slug
        db.session.remove()
        raw = db.engine.raw_connection()
        raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.close()
    return slug


def _maxrss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_geopackage(folder, slug, queue):
    """Build results.gpkg as the export job does (it is built off the request, then served as a file)."""
    from citizen.campaigns.models import Campaign
    from citizen import storage
    from citizen.exports import geo
    from citizen.extensions import db
    app = _app(folder)
    with app.app_context():
        import geopandas, pyogrio, sklearn.cluster, sklearn.neighbors  # noqa: F401,E401
        from citizen.quality import spatial  # noqa: F401
        campaign = db.session.execute(db.select(Campaign).where(Campaign.slug == slug)).scalar_one()
        store = storage.exports_store()
        for old, _stat in store.list(f"{campaign.id}/results-"):
            store.delete(old)  # built by an earlier run (--keep)
        base = _maxrss_mb()
        start = time.perf_counter()
        key = geo.build_current(campaign)
        seconds = time.perf_counter() - start
        queue.put({"file": "results.gpkg", "built_by": "job (off the request)", "seconds": round(seconds, 2),
                   "rows": campaign.tasks_total, "rows_per_s": round(campaign.tasks_total / seconds),
                   "bytes": store.stat(key).size, "peak_rss_mb": round(_maxrss_mb(), 1),
                   "peak_rss_growth_mb": round(_maxrss_mb() - base, 1)})


def measure(folder, slug, name, queue):
    """Download /data/<slug>/<name> in this (fresh) process; put the figures on `queue`."""
    if name == "results.gpkg":
        return measure_geopackage(folder, slug, queue)
    app = _app(folder)
    client = app.test_client()
    client.get("/data/")  # warm up: templates, the database connection
    import geopandas, pyogrio, sklearn.cluster, sklearn.neighbors  # noqa: F401,E401  (imports are not the export)
    from citizen.quality import spatial  # noqa: F401
    base = _maxrss_mb()
    start = time.perf_counter()
    resp = client.get(f"/data/{slug}/{name}", buffered=False)
    first_byte = first_row = None
    size = lines = 0
    for chunk in resp.response:
        now = time.perf_counter()
        if first_byte is None and chunk:
            first_byte = now - start
        size += len(chunk)
        lines += chunk.count(b"\n")
        if first_row is None and lines >= 2:
            first_row = now - start
    resp.close()
    seconds = time.perf_counter() - start
    rows = lines - 1 if name.endswith(".csv") else lines - 2  # header / FeatureCollection head and tail
    out = {"file": name, "status": resp.status_code, "streamed": resp.is_streamed, "seconds": round(seconds, 2),
           "rows": rows, "rows_per_s": round(rows / seconds) if rows else None, "bytes": size,
           "first_byte_s": round(first_byte or seconds, 3), "first_row_s": round(first_row or seconds, 3),
           "peak_rss_mb": round(_maxrss_mb(), 1), "peak_rss_growth_mb": round(_maxrss_mb() - base, 1)}
    # The resident set also counts SQLite's page cache (64 MB a connection) and its memory-mapped
    # file pages (up to 256 MB, shared with the OS page cache): the Python heap is measured again,
    # untimed, with tracemalloc, from cold caches.
    if name == "results.csv":  # the same work as results.geojson: its heap is measured there
        queue.put(out)
        return
    from citizen.campaigns import batch
    batch._cache.clear()
    tracemalloc.start()
    again = client.get(f"/data/{slug}/{name}", buffered=False)
    for _chunk in again.response:
        pass
    again.close()
    out["python_heap_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    tracemalloc.stop()
    queue.put(out)


def _in_child(target, *args):
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def _build_child(folder, tasks, per_task, queue):
    start = time.perf_counter()
    queue.put({"slug": build(folder, tasks, per_task), "seconds": round(time.perf_counter() - start, 1)})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 answers, for a smoke test")
    parser.add_argument("--files", default="answers.csv,results.geojson,results.csv,results.gpkg")
    parser.add_argument("--keep", metavar="DIR", help="build the database in DIR, or reuse the one there")
    args = parser.parse_args(argv)
    tasks, per_task = QUICK if args.quick else FULL
    folder = args.keep or tempfile.mkdtemp(prefix="citizen-export-bench-")
    if args.keep and os.path.exists(os.path.join(folder, "bench.slug")):
        with open(os.path.join(folder, "bench.slug")) as fh:
            built = {"slug": fh.read().strip(), "seconds": 0}
    else:
        os.makedirs(folder, exist_ok=True)
        built = _in_child(_build_child, folder, tasks, per_task)
        with open(os.path.join(folder, "bench.slug"), "w") as fh:
            fh.write(built["slug"])
    print(f"# loaded {tasks * per_task} answers over {tasks} tasks in {built['seconds']}s", file=sys.stderr, flush=True)
    runs = []
    for name in args.files.split(","):
        result = _in_child(measure, folder, built["slug"], name)
        print(f"# {result}", file=sys.stderr, flush=True)
        runs.append(result)
    print(json.dumps({"answers": tasks * per_task, "tasks": tasks, "contributors": CONTRIBUTORS,
                      "database": "sqlite", "exports": runs,
                      "pybossa_1m_answers": {"seconds": 78, "peak_memory_gib": 3.7}}))


if __name__ == "__main__":
    main()

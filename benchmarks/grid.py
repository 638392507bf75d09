"""Grid benchmark: split an area of interest into cells and create the tasks, in seconds.

The full run takes a real-shaped (irregular, 14-vertex) area of about 10,000 km² near the equator,
uploads it as GeoJSON to a new deforestation campaign on SQLite and imports it with 1 km cells,
the same path the organiser's "Import" button takes (read with geopandas, split, validate, insert).
It times the split alone and the whole import, median of three repetitions, each in a fresh
database. The last line is one JSON object.

    python -m benchmarks.grid            # ~10,000 km², 1 km cells
    python -m benchmarks.grid --quick    # ~400 km²
"""
import argparse
import json
import math
import statistics
import sys
import time

from benchmarks.common import fresh_app
from citizen.accounts import services as accounts
from citizen.campaigns import services as campaigns
from citizen.ingest import areas
from citizen.extensions import db


def outline(km2, scale=1.0):
    """An irregular polygon of `km2` square kilometres (a lumpy ellipse) at the equator."""
    radius_km = math.sqrt(km2 / math.pi / 1.3) * scale
    pts = []
    for i in range(14):
        a = 2 * math.pi * i / 14
        r = radius_km * (1 + 0.18 * math.sin(3 * a) + 0.08 * math.cos(5 * a))
        pts.append([round(-62.0 + 1.3 * r * math.cos(a) / 111.32, 6), round(-3.0 + r * math.sin(a) / 110.57, 6)])
    pts.append(pts[0])
    shape = {"type": "Polygon", "coordinates": [pts]}
    if scale == 1.0:  # the lumps change the area: rescale once so it is what was asked for
        got = areas.area_km2(areas.read_area("a.geojson", json.dumps(shape).encode()))
        return outline(km2, math.sqrt(km2 / got))
    return shape


def once(data, cell_km):
    app, _folder = fresh_app("grid")
    with app.app_context():
        org = accounts.get_or_create_organisation("bench", "Bench")
        c = campaigns.create_campaign(org.id, None, {
            "title": "Grid", "kind": "deforestation", "redundancy": 3,
            "settings": {"tiles_after": "/tiles/demo/forest-after/{z}/{x}/{y}.png", "cell_km": cell_km}})
        db.session.commit()
        t0 = time.perf_counter()
        area = areas.read_area("area.geojson", data)
        cells = areas.split_grid(area, cell_km)
        split_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        n = campaigns.import_tasks(c, "area.geojson", data)
        db.session.commit()
        import_s = time.perf_counter() - t0
        km2 = areas.area_km2(area)
        db.session.remove()
        db.engine.dispose()
    assert n == len(cells)
    return {"km2": round(km2), "cells": n, "split_s": split_s, "split_and_create_s": import_s}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cell-km", type=float, default=1.0)
    args = parser.parse_args(argv)
    km2 = 400 if args.quick else 10_000
    data = json.dumps(outline(km2)).encode()
    runs = [once(data, args.cell_km) for _ in range(1 if args.quick else 3)]
    for r in runs:
        print(f"# {r['km2']} km², {r['cells']} cells: split {r['split_s']:.2f}s, "
              f"split+create {r['split_and_create_s']:.2f}s", file=sys.stderr)
    print(json.dumps({"area_km2": runs[0]["km2"], "cell_km": args.cell_km, "tasks": runs[0]["cells"],
                      "split_s": round(statistics.median(r["split_s"] for r in runs), 3),
                      "split_and_create_s": round(statistics.median(r["split_and_create_s"] for r in runs), 3)}))


if __name__ == "__main__":
    main()

"""Hostile answers: what the worst answers the limits allow cost the public pages, the results API and the exports.

Two sets of campaigns in one fresh database (benchmarks.common.fresh_app), each a question campaign, a map
campaign (deforestation cells) and a transcription campaign:
- clean: ordinary answers (a grade, a point or nothing, short transcriptions);
- hostile: the worst answers the kinds' limits accept: on maps as many polygons per answer with as many vertices
  as citizen.kinds._shared.marks accepts (its MAX_* constants when it has them, else 50 x 500), all
  overlapping (every pair is compared); transcriptions with every field of a page filled with text of the longest
  length allowed, near-identical between volunteers (they differ in their last characters), and a money field of
  the longest valid length; question answers as fast as the minimum time allows.

Answers go through the real API (guests, next task, answer) with the Flask test client; jobs run in the app's
thread pool as in production (JOBS_SYNC off). Then, round after round, the public campaign page, GET
/api/v1/campaigns/<slug>/results and the exports (results.csv, results.geojson, datapackage.json, README.md) of
each campaign are requested; every other round starts with a new answer (so the requests come right after it,
while its campaign's build is pending or running). Reported per set: p95 in ms of pages, results API and exports
(and of the answers themselves). `--quick` for a small size. The last line is one JSON object
{"clean": {"page_p95_ms", "results_p95_ms", "export_p95_ms", ...}, "hostile": {...}, ...}.
Goal: hostile under 2x clean and under 100 ms p95 for pages and the results API.
"""
import argparse
import json
import math
import os
import sys
import time
import uuid

from benchmarks.common import fresh_app

FULL = {"question_tasks": 200, "map_tasks": 4, "tx_pages": 4, "answers": 5, "rounds": 30}
QUICK = {"question_tasks": 40, "map_tasks": 2, "tx_pages": 2, "answers": 3, "rounds": 10}
AREA = {"type": "Polygon", "coordinates": [[[10.0, 0.0], [10.018, 0.0], [10.018, 0.018], [10.0, 0.018], [10.0, 0.0]]]}
TILES = {"tiles_after": "/tiles/demo/forest-after/{z}/{x}/{y}.png",
         "tiles_before": "/tiles/demo/forest-before/{z}/{x}/{y}.png", "cell_km": 1}
QUESTION = {"question": "Is there a red roof?", "options": [
    {"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}, {"value": "unsure", "label": "Not sure"}]}
API = "/api/v1"


def limits():
    """The answer limits the kinds enforce, read from their modules (citizen.kinds._shared.marks, normalise,
    fields). The densest map answer is as many marks as an answer may carry, sharing its corner allowance
    (many small polygons: every pair of them is compared, which costs more than a few large ones)."""
    from citizen.kinds._shared import fields, marks, normalise
    per_answer = marks.MAX_MARKS
    vertices = min(marks.MAX_VERTICES_PER_POLYGON, marks.MAX_VERTICES_PER_ANSWER // per_answer)
    return {"marks_per_answer": per_answer, "vertices": max(3, vertices),
            "marks_per_task": marks.MAX_MARKS_PER_TASK, "fields": int(fields.MAX_FIELDS), "text": normalise.MAX_TEXT}


def longest_money():
    """The longest money value the kind accepts (bounded search: each try is a cheap call)."""
    from citizen.kinds._shared import normalise
    best = "12.50"
    for digits in (200, 120, 80, 60, 40, 30, 24, 18, 15, 12):
        body = "1" + "0" * (digits - 1)
        grouped = ",".join(reversed([body[max(0, i - 3):i] for i in range(len(body), 0, -3)]))
        for candidate in (f"EUR {grouped}.99", f"{body}.99", body):
            try:
                normalise.clean_number(candidate, "auto", money=True)
            except Exception:  # noqa: BLE001  (any refusal: try a shorter one)
                continue
            return candidate
    return best


def circle(cx, cy, r, n):
    """A valid polygon of n vertices (a circle)."""
    ring = [[round(cx + r * math.cos(2 * math.pi * k / n), 7), round(cy + r * math.sin(2 * math.pi * k / n), 7)]
            for k in range(n)]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


def fc(*geoms):
    return {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": g}
                                                      for g in geoms]}


class Bench:
    def __init__(self, quick):
        self.size = QUICK if quick else FULL
        self.app, self.folder = fresh_app("hostile", JOBS_SYNC=True, EXPORTS_FOLDER=None)
        self.app.config["EXPORTS_FOLDER"] = os.path.join(self.folder, "exports")
        self.client = self.app.test_client()
        self.limits = limits()
        self.money = longest_money()
        self.n_guest = 0
        self.dead = set()  # jobs given up on (see wait_for_jobs)

    # --- set-up ---------------------------------------------------------------------------------------
    def campaigns(self, label):
        from citizen.accounts import services as accounts
        from citizen.campaigns import services as campaigns
        from citizen.extensions import db
        from tests.pdf_samples import make_pdf
        s = self.size
        with self.app.app_context():
            org = accounts.get_or_create_organisation("bench", "Bench")
            user = accounts.register_user(f"{label}@example.org", "Bench", "password123")
            accounts.grant(user, org, "organiser")
            no_caps = {"quality": {"cap_share": 0}}
            out = {}
            q = campaigns.create_campaign(org.id, user, {"title": f"{label} question", "kind": "question",
                                                         "redundancy": s["answers"] + 2, "settings": QUESTION})
            rows = [{"external_id": f"t{i}", "text": f"Task {i}"} for i in range(s["question_tasks"])]
            campaigns.import_tasks(q, "tasks.json", json.dumps(rows))
            m = campaigns.create_campaign(org.id, user, {"title": f"{label} map", "kind": "deforestation",
                                                         "redundancy": s["answers"] + 2, "settings": TILES})
            campaigns.import_tasks(m, "area.geojson", json.dumps(AREA).encode())
            n_fields = self.limits["fields"]
            spec = "\n".join([f"f{i} | Field {i} | text | |" for i in range(n_fields - 1)] + ["amount | Amount | money | |"])
            t = campaigns.create_campaign(org.id, user, {"title": f"{label} transcription", "kind": "transcription",
                                                         "redundancy": s["answers"] + 2,
                                                         "settings": {"fields": spec, "agree": 2, "max_answers": 9}})
            campaigns.import_tasks(t, "pages.pdf", make_pdf(s["tx_pages"]))
            for c in (q, m, t):
                c.settings = {**c.settings, **no_caps}
                campaigns.publish(c)
                out[c.kind if c.kind != "deforestation" else "map"] = c.slug
            db.session.commit()
        return out

    def guest(self):
        self.n_guest += 1
        env = {"REMOTE_ADDR": f"10.{self.n_guest // 250}.{self.n_guest % 250}.9",
               "HTTP_USER_AGENT": f"bench {self.n_guest}"}
        r = self.client.post(f"{API}/guests", environ_base=env)
        assert r.status_code == 201, r.get_data(as_text=True)
        return {"Authorization": "Bearer " + r.get_json()["token"]}, env

    def value(self, kind, hostile, task, n):
        if kind == "question":
            return ["yes", "yes", "no"][n % 3]
        if kind == "map":
            west, south, east, north = task["bbox"]
            if not hostile:
                point = {"type": "Point", "coordinates": [west + (east - west) * 0.4, south + (north - south) * 0.4]}
                return {"answer": "cleared" if n % 2 == 0 else "not_cleared", "marks": fc(point) if n % 2 == 0 else fc()}
            k = self.limits["marks_per_answer"]
            if self.limits["marks_per_task"]:
                k = max(1, min(k, self.limits["marks_per_task"] // max(1, self.size["answers"] + 1)))
            cols = math.ceil(math.sqrt(k))
            w, h = (east - west) / (cols + 1), (north - south) / (cols + 1)
            shift = 0.05 * n / max(1, self.size["answers"])  # near-identical between volunteers: all pairs overlap
            polys = [circle(west + w * (1 + i % cols + shift), south + h * (1 + i // cols + shift),
                            min(w, h) * 0.45, self.limits["vertices"]) for i in range(k)]
            return {"answer": "cleared", "marks": fc(*polys)}
        fields = {f"f{i}": (f"Name {n % 2}" if not hostile else
                            ("x" * (self.limits["text"] - 3) + f"{n:03d}")[-self.limits["text"]:])
                  for i in range(self.limits["fields"] - 1)}
        fields["amount"] = "12.50" if not hostile else self.money
        return {"fields": fields}

    def answer(self, slug, kind, hostile, headers, env, n):
        r = self.client.get(f"{API}/campaigns/{slug}/tasks/next", headers=headers, environ_base=env)
        if r.status_code != 200:
            return None
        task = r.get_json()
        t0 = time.perf_counter()
        s = self.client.post(f"{API}/tasks/{task['id']}/answers",
                             json={"value": self.value(kind, hostile, task, n), "duration_ms": 5000},
                             headers={**headers, "Idempotency-Key": str(uuid.uuid4())}, environ_base=env)
        elapsed = (time.perf_counter() - t0) * 1000
        assert s.status_code == 201, (kind, s.status_code, s.get_data(as_text=True)[:300])
        return elapsed

    def fill(self, slugs, hostile):
        """Every task of the map and transcription campaigns gets `answers` answers; the question campaign too."""
        times = []
        for kind, slug in slugs.items():
            for n in range(self.size["answers"]):
                headers, env = self.guest()
                while True:
                    t = self.answer(slug, kind, hostile, headers, env, n)
                    if t is None:
                        break
                    times.append(t)
        return times

    def wait_for_jobs(self, timeout=180):
        """Until no job is pending or running (a job left "running" by a thread that died is not waited for)."""
        from citizen.extensions import db
        from citizen.jobs.models import Job
        end = time.monotonic() + timeout
        with self.app.app_context():
            while time.monotonic() < end:
                busy = db.session.execute(db.select(db.func.count()).select_from(Job).where(
                    Job.status.in_(("pending", "running")), Job.id.not_in(self.dead))).scalar()
                db.session.commit()
                if not busy:
                    return
                time.sleep(0.2)
            self.dead |= set(db.session.execute(db.select(Job.id).where(
                Job.status.in_(("pending", "running")))).scalars())
            db.session.commit()

    def job_counts(self):
        from citizen.extensions import db
        from citizen.jobs.models import Job
        with self.app.app_context():
            rows = db.session.execute(db.select(Job.status, db.func.count()).group_by(Job.status)).all()
            db.session.commit()
        return {status: n for status, n in rows}

    # --- measuring ------------------------------------------------------------------------------------
    def get(self, url):
        t0 = time.perf_counter()
        r = self.client.get(url)
        body = r.get_data()  # a streamed export is read to its end
        elapsed = (time.perf_counter() - t0) * 1000
        assert r.status_code in (200, 202), (url, r.status_code, body[:200])
        return elapsed

    def measure(self, slugs, hostile):
        out = {"page": [], "results": [], "export": [], "data_page": [], "answer": []}
        for round_ in range(self.size["rounds"]):
            if round_ % 2:  # right after a new answer to every campaign
                for kind, slug in slugs.items():
                    headers, env = self.guest()
                    t = self.answer(slug, kind, hostile, headers, env, round_)
                    if t is not None:
                        out["answer"].append(t)
            for kind, slug in slugs.items():
                out["page"].append(self.get(f"/campaigns/{slug}"))
                out["results"].append(self.get(f"{API}/campaigns/{slug}/results"))
                out["data_page"].append(self.get(f"/data/{slug}/"))
                for name in ("results.csv", "results.geojson", "datapackage.json", "README.md"):
                    out["export"].append(self.get(f"/data/{slug}/{name}"))
        return out


def p95(values):
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)], 2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sys.setrecursionlimit(10_000)
    bench = Bench(args.quick)
    sets = {"clean": bench.campaigns("clean"), "hostile": bench.campaigns("hostile")}
    bench.app.config["JOBS_SYNC"] = False  # from here on, as in production: jobs in the thread pool
    summary = {"limits": bench.limits, "money_chars": len(bench.money), "size": bench.size}
    fill = {}
    for label, slugs in sets.items():
        started = time.monotonic()
        fill[label] = bench.fill(slugs, label == "hostile")
        print(f"{label}: {len(fill[label])} answers stored in {time.monotonic() - started:.1f} s "
              f"(answer p95 {p95(fill[label])} ms)", flush=True)
    bench.wait_for_jobs()
    for label, slugs in sets.items():
        bench.get(f"{API}/campaigns/{slugs['question']}/results")  # the first build of each campaign
    bench.wait_for_jobs()
    for label, slugs in sets.items():
        for kind, slug in slugs.items():  # warm: templates compiled, caches filled
            bench.get(f"/campaigns/{slug}")
        got = bench.measure(slugs, label == "hostile")
        summary[label] = {"page_p95_ms": p95(got["page"]), "results_p95_ms": p95(got["results"]),
                          "export_p95_ms": p95(got["export"]), "data_page_p95_ms": p95(got["data_page"]),
                          "answer_p95_ms": p95(fill[label] + got["answer"]), "requests": sum(len(v) for v in got.values())}
        print(f"{label}: {json.dumps(summary[label])}", flush=True)
        bench.wait_for_jobs()
    ratio = {k: round(summary["hostile"][k] / summary["clean"][k], 2)
             for k in ("page_p95_ms", "results_p95_ms", "export_p95_ms") if summary["clean"][k]}
    summary["hostile_over_clean"] = ratio
    summary["jobs"] = bench.job_counts()  # builds that failed or were left running say so here
    print(json.dumps(summary))


if __name__ == "__main__":
    main()

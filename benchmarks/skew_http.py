"""The skew benchmark's side of the app: one campaign per run, reached only through the public HTTP
API with the Flask test client (setup through the services, as an organiser would through the UI).

`read_results` and `read_quality` are the only places that read what the app decided: adapt them
when the results or quality documents change.
"""
import json
import os
import shutil
import tempfile
import time
import uuid
from datetime import timedelta

from benchmarks.common import fresh_app
from citizen import create_app
from citizen.accounts import services as accounts
from citizen.campaigns import services as campaigns
from citizen.extensions import db

API = "/api/v1"
IMPORT_CHUNK = 5000


class _Pace:
    """The app's clock (citizen.clock.now) as the attackers live it: the server measures an answer's duration from
    its lease, so an attacker who wants weight must wait as long as a volunteer would. Each answer moves the clock
    on by the attacker's own thinking time instead of sleeping."""

    def __init__(self):
        from citizen import clock
        self.real, self.offset = clock.now, 0.0
        clock.now = lambda: self.real() + timedelta(milliseconds=self.offset)

    def wait(self, ms):
        self.offset += ms


_pace = []


def pace():
    if not _pace:
        _pace.append(_Pace())
    return _pace[0]
REDUNDANCY = 100  # room for attackers in both orders (honest answers first or last)
PREPARING = {"preparing", "pending", "queued", "running", "building"}
WAIT_S = 120.0
_template = []  # path of one migrated, empty SQLite database, copied for every run (migrating takes seconds)


def _fresh_app(**config):
    """A citizen app on a copy of a freshly migrated empty database (same settings as common.fresh_app)."""
    if not _template:
        app, folder = fresh_app("skew-template", **config)
        with app.app_context():
            from citizen.extensions import db as _db
            _db.engine.dispose()
        _template.append(os.path.join(folder, "bench.db"))
    folder = tempfile.mkdtemp(prefix="citizen-skew-")
    shutil.copyfile(_template[0], os.path.join(folder, "bench.db"))
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db", "SECRET_KEY": "bench",
                       "RATELIMIT_ENABLED": False, "MEDIA_FOLDER": folder, "WTF_CSRF_ENABLED": False,
                       # builds are per campaign id (always 1 here): each run its own, never a previous run's
                       "EXPORTS_FOLDER": os.path.join(folder, "exports"), **config}), folder


class Site:
    """A fresh app and database with one published `question` campaign over the set's tasks."""

    def __init__(self, crowd, gold):
        # PROXY_FIX=1: the client address is the last X-Forwarded-For entry, as behind one proxy; the
        # attackers set it (one device: one address; spread: one per account). JOBS_SYNC: jobs run at once.
        self.app, self.folder = _fresh_app(PROXY_FIX=1, JOBS_SYNC=True)
        self.crowd, self.client = crowd, self.app.test_client()
        with self.app.app_context():
            org = accounts.get_or_create_organisation("crowd", "Crowd bench")
            user = accounts.register_user("organiser@example.org", "Organiser", "password123")
            accounts.grant(user, org, "organiser")
            c = campaigns.create_campaign(org.id, user, {
                "title": f"Replay of {crowd.name}", "kind": "question", "redundancy": REDUNDANCY,
                "settings": {"question": "Which label?", "options": [
                    {"value": crowd.value_of[lab], "label": lab} for lab in crowd.labels]}})
            rows = [{"external_id": t, "text": f"Item {t}", **({"gold": crowd.value_of[crowd.truth[t]]}
                                                               if t in gold else {})} for t in crowd.tasks]
            campaigns.import_tasks(c, "tasks.json", json.dumps(rows))
            campaigns.publish(c)
            self.token = accounts.create_api_token(user, "bench")
            db.session.commit()
            self.slug = c.slug
        self.organiser = {"Authorization": "Bearer " + self.token}
        self.ref = {tid: row["external_id"] for tid, row in read_results(self).items()}  # task id -> external id
        spec = json.dumps(self.client.get(f"{API}/openapi.json").get_json() or {})
        self.takes_duration = "duration_ms" in spec

    def close(self):
        """Drop the run's database (a full run makes hundreds)."""
        with self.app.app_context():
            db.engine.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)

    def import_answers(self, answers):
        """Import [(worker, task, label)] as the organiser, in chunks; returns how many were stored."""
        n = 0
        for i in range(0, len(answers), IMPORT_CHUNK):
            chunk = [{"external_id": t, "contributor": "w" + w, "value": self.crowd.value_of[lab]}
                     for w, t, lab in answers[i:i + IMPORT_CHUNK]]
            r = self.client.post(f"{API}/campaigns/{self.slug}/answers/import", headers=self.organiser,
                                 json={"answers": chunk})
            assert r.status_code == 201, r.get_data(as_text=True)[:500]
            n += r.get_json()["imported"]
        return n


def _get_ready(client, url, headers=None):
    """GET a document, waiting briefly while the app says it is being prepared (202, 503 with
    Retry-After, or a "status" among PREPARING)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        r = client.get(url, headers=headers or {})
        body = r.get_json(silent=True) or {}
        preparing = r.status_code == 202 or (r.status_code == 503 and r.headers.get("Retry-After")) or (
            isinstance(body, dict) and str(body.get("status", "")).lower() in PREPARING)
        if not preparing:
            assert r.status_code == 200, f"{url}: {r.status_code} {r.get_data(as_text=True)[:300]}"
            return body
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} still being prepared after {WAIT_S:.0f} s")
        time.sleep(min(2.0, float(r.headers.get("Retry-After") or 0.5)))


def read_results(site, headers=None):
    """The public results, paginated: {task_id: {"external_id", "answer" (option value or None), "gold"}}."""
    out, after = {}, 0
    while after is not None:
        body = _get_ready(site.client, f"{API}/campaigns/{site.slug}/results?limit=5000&after={after}", headers)
        for row in body["results"]:
            out[row["task_id"]] = {"external_id": row["external_id"], "answer": row.get("answer"),
                                   "gold": bool(row.get("gold"))}
        after = body.get("next_after")
    return out


def read_quality(site):
    """The organiser's quality report, reduced to what the benchmark scores: the largest flip share of
    a single account and of a group (a detected cluster, or any group the report lists), and the
    clusters found. Reads today's document: `influence` rows {contributors, share}, `clusters` rows
    {members}; a `groups` list (rows with `share` and `members`/`contributors`) is read too if present."""
    body = _get_ready(site.client, f"{API}/campaigns/{site.slug}/quality", site.organiser)
    singles, groups = [0.0], [0.0]
    for row in body.get("influence") or []:
        (singles if len(row.get("contributors") or []) <= 1 else groups).append(float(row.get("share") or 0.0))
    for row in body.get("groups") or []:
        groups.append(float(row.get("share") or 0.0))
    clusters = [len(c.get("members") or []) for c in body.get("clusters") or []]
    return {"max_flip_single": round(max(singles), 4), "max_flip_group": round(max(groups), 4),
            "clusters": len(clusters), "largest_cluster": max(clusters, default=0),
            "decided": body.get("decided"), "flagged": sum(1 for r in body.get("influence") or [] if r.get("flagged"))}


class Attacker:
    """One guest account on a network (X-Forwarded-For) and a browser (User-Agent)."""

    def __init__(self, site, address, agent, rnd):
        self.site, self.rnd = site, rnd
        self.headers = {"User-Agent": agent, "Accept-Language": "en-US,en;q=0.9", "X-Forwarded-For": address}
        r = site.client.post(f"{API}/guests", headers=self.headers)
        assert r.status_code == 201, r.get_data(as_text=True)[:300]
        self.headers["Authorization"] = "Bearer " + r.get_json()["token"]
        self.done = False
        self.answered, self.skips, self.refused = set(), 0, 0

    def next(self):
        """The next task handed out as (task id, external id), or None (204, 429 ...: stopped)."""
        r = self.site.client.get(f"{API}/campaigns/{self.site.slug}/tasks/next", headers=self.headers)
        if r.status_code != 200:
            self.done = True
            return None
        tid = r.get_json()["id"]
        return tid, self.site.ref[tid]

    def answer(self, tid, value):
        """Submit; returns the response body when stored (201), else None (429 stops the account)."""
        body = {"value": value}
        thinking = self.rnd.randint(2500, 9000)
        pace().wait(thinking)  # the time between taking the task and answering it, as the server measures it
        if self.site.takes_duration:
            body["duration_ms"] = thinking
        r = self.site.client.post(f"{API}/tasks/{tid}/answers", json=body,
                                  headers={**self.headers, "Idempotency-Key": str(uuid.uuid4())})
        if r.status_code == 201:
            self.answered.add(tid)
            return r.get_json()
        self.refused += 1
        if r.status_code == 429:
            self.done = True
        return None

    def skip(self, tid):
        r = self.site.client.post(f"{API}/tasks/{tid}/skip", headers=self.headers)
        self.skips += int(r.status_code == 200)
        return r.status_code == 200

"""citizen as more than one machine, on this one: two web servers, two job workers, PostgreSQL, Redis and an S3
server, sharing nothing on disk.

    python -m benchmarks.cluster [--quick]

What runs, all on loopback:
- a private PostgreSQL cluster (benchmarks.load.PrivatePostgres), Redis (127.0.0.1:6379, database 12, emptied
  first) for rate limits and the job queue, and moto's S3 server (a subprocess) for media, previews and exports;
- web servers A and B: gunicorn (deploy/gunicorn.conf.py), each with its own instance folder (CITIZEN_INSTANCE_PATH);
- two job workers (`flask jobs work`), each with its own instance folder too.

Phases:
1. volunteers spread over both web servers, closed loop: answers/s and the p99 of a whole cycle (next task +
   answer); half the volunteers use A, half B;
2. an organiser uploads photos (a ZIP) and a 30-page PDF through server A while volunteers on server B get those
   tasks and fetch their images through B (a photo or page that B cannot serve counts in `media_missing`); the time
   from the PDF upload to its first workable page, with the workers idle and then busy with another PDF;
3. a worker killed with kill -9 in the middle of a PDF render: the render completes (by the other worker), no page
   is rendered twice into the store (pages stored before the kill keep their objects; no object is left over), no
   job is left running;
4. web server A killed with kill -9 (master and workers) during the closed loop: its volunteers go on on B,
   sending an unacknowledged answer again with its Idempotency-Key, as the work page does.

Afterwards every acknowledged answer is looked up. The last line is one JSON object with `answers_per_s`, `p99_ms`,
`acknowledged`, `stored`, `jobs_done`, `jobs_run_twice` (jobs claimed more often than they were attempted: run
again after a lost worker; the render killed on purpose is left out, it must run twice), `media_missing`,
`pages_rendered_twice`, `jobs_left_running` (running, or pending and due, once the workers had time to finish) and
the first-page times.
"""
import argparse
import asyncio
import io
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile

import httpx
from sqlalchemy import create_engine, text

from benchmarks.load import ROOT, Gunicorn, PrivatePostgres, free_port, log, pct

REDIS_DB = 12
BUCKET = "citizen-cluster"
OPTIONS = ["yes", "no", "unsure"]


class S3Server:
    """moto's standalone S3 server, a subprocess on a free loopback port."""

    def __init__(self, logfile):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(logfile, "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url, timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        import boto3
        self.client = boto3.client("s3", endpoint_url=self.url, region_name="us-east-1",
                                   aws_access_key_id="bench", aws_secret_access_key="bench")
        self.client.create_bucket(Bucket=BUCKET)

    def objects(self, prefix=""):
        """{key: (etag, last modified)} of every object under prefix."""
        out = {}
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
            for item in page.get("Contents", []):
                out[item["Key"]] = (item["ETag"], item["LastModified"])
        return out

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()


class Worker:
    """`flask jobs work` with its own instance folder."""

    def __init__(self, env, folder, logfile, threads=2):
        self.log = open(logfile, "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "citizen", "jobs", "work",
                                      "--threads", str(threads)], cwd=ROOT,
                                     env={**os.environ, **env, "CITIZEN_INSTANCE_PATH": folder},
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()


def cluster_env(pg, s3, secret):
    redis = f"redis://127.0.0.1:6379/{REDIS_DB}"
    return {"CITIZEN_PRODUCTION": "true", "CITIZEN_SECRET_KEY": secret, "CITIZEN_DATABASE_URL": pg.url("citizen"),
            "CITIZEN_PUBLIC_URL": "http://127.0.0.1", "CITIZEN_RATELIMIT_STORAGE_URI": redis,
            "CITIZEN_JOBS_QUEUE_URL": redis, "CITIZEN_STORAGE_URL": f"s3://{BUCKET}/",
            "CITIZEN_STORAGE_ENDPOINT": s3.url, "CITIZEN_STORAGE_REGION": "us-east-1",
            "CITIZEN_STORAGE_ACCESS_KEY": "bench", "CITIZEN_STORAGE_SECRET_KEY": "bench",
            "CITIZEN_RATELIMIT_ENABLED": "false",  # one client machine plays every volunteer
            "WEB_CONCURRENCY": "2"}


def setup(env, tasks, volunteers):
    """Migrate; a question campaign of `tasks` tasks, a photo campaign and two transcription campaigns (empty),
    the organiser's API token and guest tokens. Made by this process with the servers' configuration."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from citizen import create_app
        from citizen.accounts import services as accounts
        from citizen.campaigns import services as campaigns
        from citizen.extensions import db
        from benchmarks.serve import populate
        app = create_app(instance_path=tempfile.mkdtemp(prefix="citizen-cluster-setup-"))
        app.config["JOBS_SYNC"] = True
        with app.app_context():
            from flask_migrate import upgrade
            upgrade()
            slug = populate(tasks, 0, 3)
            org = accounts.get_or_create_organisation("bench", "Bench")
            organiser = accounts.register_user("organiser@bench.example", "Bench organiser", "organiser-password-1")
            accounts.grant(organiser, org, "organiser")
            token = accounts.create_api_token(organiser)
            made = {}
            fields = {"fields": "name | Name | text | | Who signed\namount | Amount | money | |"}
            for name, kind, settings in (("photos", "damage", {}),
                                         ("pdf-idle", "transcription", fields), ("pdf-busy", "transcription", fields),
                                         ("pdf-kill", "transcription", fields), ("pdf-load", "transcription", fields)):
                c = campaigns.create_campaign(org.id, organiser, {"title": name, "kind": kind, "redundancy": 2,
                                                                  "settings": settings})
                made[name] = c.slug
            guests = [accounts.create_guest()[1] for _ in range(volunteers)]
            db.session.commit()
            db.engine.dispose()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return slug, token, made, guests


def jpeg(i):
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (40 + i % 200, 90, 120)).save(out, "JPEG", quality=80)
    return out.getvalue()


def pdf(pages, label):
    from fpdf import FPDF
    doc = FPDF(format="A4")
    for i in range(pages):
        doc.add_page()
        doc.set_font("helvetica", size=14)
        doc.text(20, 30, f"{label}, page {i + 1}")
        for line in range(30):
            doc.text(20, 45 + line * 7, f"Item {line + 1}: {random.randint(1, 999)} EUR")
    return bytes(doc.output())


# --- volunteers ----------------------------------------------------------------------------------

class Ledger:
    def __init__(self):
        self.acked, self.pending, self.errors, self.latencies = {}, {}, 0, []


async def answer(client, bases, task_id, headers, key, ledger, until):
    """POST the answer to the first base; on a dropped connection or a 5xx, again with the same key (on the next
    base when there is one) until acknowledged or `until`."""
    ledger.pending[key] = task_id
    turn = 0
    while time.monotonic() < until:
        base = bases[turn % len(bases)]
        try:
            r = await client.post(f"{base}/api/v1/tasks/{task_id}/answers", headers={**headers, "Idempotency-Key": key},
                                  json={"value": random.choice(OPTIONS), "duration_ms": 2000})
            if r.status_code in (200, 201):
                ledger.acked[key] = r.json()["answer"]["id"]
                ledger.pending.pop(key, None)
                return True
            if r.status_code < 500:
                ledger.pending.pop(key, None)
                ledger.errors += 1
                return False
        except httpx.HTTPError:
            pass
        ledger.errors += 1
        turn += 1
        await asyncio.sleep(0.2)
    return False


async def volunteer(token, bases, slug, ledger, end, measure_from):
    headers = {"Authorization": "Bearer " + token}
    async with httpx.AsyncClient(timeout=10.0) as client:
        while time.monotonic() < end:
            t0 = time.monotonic()
            try:
                r = await client.get(f"{bases[0]}/api/v1/campaigns/{slug}/tasks/next", headers=headers)
            except httpx.HTTPError:
                ledger.errors += 1
                bases = bases[1:] + bases[:1] if len(bases) > 1 else bases  # this server is gone: the other one
                await asyncio.sleep(0.2)
                continue
            if r.status_code != 200:
                ledger.errors += r.status_code != 204
                await asyncio.sleep(0.2)
                continue
            if await answer(client, bases, r.json()["id"], headers, str(uuid.uuid4()), ledger, time.monotonic() + 30) \
                    and t0 >= measure_from:
                ledger.latencies.append(time.monotonic() - t0)


async def closed_loop(groups, slug, ledger, seconds, warmup=2.0, during=None):
    """groups: [(tokens, [base, fallback...])]; answers acknowledged per second after the warm-up."""
    start = time.monotonic()
    measure_from, end = start + warmup, start + warmup + seconds
    before = len(ledger.latencies)
    jobs = [asyncio.create_task(volunteer(t, list(bases), slug, ledger, end, measure_from))
            for tokens, bases in groups for t in tokens]
    if during:
        jobs.append(asyncio.create_task(during(start)))
    await asyncio.gather(*jobs)
    return (len(ledger.latencies) - before) / max(time.monotonic() - measure_from, 1e-9)


# --- media across servers ------------------------------------------------------------------------

def upload(base, token, slug, name, data):
    r = httpx.post(f"{base}/api/v1/campaigns/{slug}/tasks", headers={"Authorization": "Bearer " + token},
                   files={"file": (name, data)}, timeout=600)
    if r.status_code != 201:
        raise SystemExit(f"upload of {name} to {slug}: {r.status_code} {r.text[:300]}")
    httpx.post(f"{base}/api/v1/campaigns/{slug}/publish", headers={"Authorization": "Bearer " + token}, timeout=60)
    return r.json()


def fetch_media(base, guest, slug, tries=1, wait=0.0):
    """Take a task of the campaign on `base` and fetch every image it shows through `base`: (found, missing),
    or None when no task is workable yet."""
    headers = {"Authorization": "Bearer " + guest}
    for _ in range(tries):
        r = httpx.get(f"{base}/api/v1/campaigns/{slug}/tasks/next", headers=headers, timeout=30)
        if r.status_code == 200:
            task = r.json()
            urls = [task["image_url"]] if task.get("image_url") else [p["image_url"] for p in task.get("pages", [])]
            found = missing = 0
            for url in urls:
                got = httpx.get(url if url.startswith("http") else base + url, headers=headers, timeout=30,
                                follow_redirects=True)
                if got.status_code == 200 and got.content:
                    found += 1
                else:
                    missing += 1
            httpx.post(f"{base}/api/v1/campaigns/{slug}/leases/release", headers=headers, timeout=30)
            return found, missing
        time.sleep(wait)
    return None


def first_page_seconds(a, b, token, guest, slug, pages, label):
    """Upload a PDF through A; seconds until a volunteer on B gets one of its pages (and its image loads)."""
    data = pdf(pages, label)
    t0 = time.monotonic()
    upload(a, token, slug, f"{label}.pdf", data)
    deadline = t0 + 600
    while time.monotonic() < deadline:
        got = fetch_media(b, guest, slug)
        if got and got[0]:
            return round(time.monotonic() - t0, 2), got[1]
        time.sleep(0.1)
    return None, 1


def job_rows(url, campaign_slug=None):
    engine = create_engine(url)
    with engine.connect() as conn:
        query = ("SELECT j.id, j.name, j.status, j.runs, j.claimed_by, j.attempt, "
                 "(j.due_at IS NOT NULL AND j.due_at > now() AT TIME ZONE 'UTC') AS later FROM job j")
        if campaign_slug:
            query += " JOIN campaign c ON c.id = j.campaign_id WHERE c.slug = :slug"
        rows = conn.execute(text(query), {"slug": campaign_slug}).all()
    engine.dispose()
    return rows


def campaign_id(url, slug):
    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT id FROM campaign WHERE slug = :s"), {"s": slug}).scalar_one()
    engine.dispose()
    return found


def kill_mid_render(a, token, pg, s3, workers, slug, pages):
    """Upload a long PDF; once its render job has rendered some pages, kill -9 the worker that holds it. Returns
    what the store and the job table say after the other worker finished it."""
    url = pg.url("citizen")
    upload(a, token, slug, "long.pdf", pdf(pages, "Long report"))
    prefix = f"media/campaigns/{campaign_id(url, slug)}/"  # the media area of STORAGE_URL s3://BUCKET/
    deadline = time.monotonic() + 600
    holder = None
    while time.monotonic() < deadline:
        engine = create_engine(url)
        with engine.connect() as conn:
            row = conn.execute(text("SELECT j.id, j.status, j.done, j.total, j.claimed_by FROM job j JOIN campaign c "
                                    "ON c.id = j.campaign_id WHERE c.slug = :s ORDER BY j.id DESC LIMIT 1"),
                               {"s": slug}).first()
        engine.dispose()
        if row and row.status == "running" and row.total and row.done >= max(3, row.total // 5):
            pid = int(row.claimed_by.split(":")[1].split("/")[0])
            holder = next((w for w in workers if w.proc.pid == pid or pid in children(w.proc.pid)), None)
            break
        time.sleep(0.05)
    if holder is None:
        raise SystemExit("the render job was never seen running on a worker")
    before = s3.objects(prefix)
    log(f"kill -9 worker {holder.proc.pid} at {row.done}/{row.total} pages")
    holder.kill()
    workers.remove(holder)
    while time.monotonic() < deadline:
        status = job_rows(url, slug)[-1][2]
        if status in ("done", "failed"):
            break
        time.sleep(0.5)
    after = s3.objects(prefix)
    images = {k: v for k, v in after.items() if k.endswith(".jpg")}
    if not images:
        raise SystemExit(f"no page image under {prefix} in the store: the check would see nothing")
    rewritten = sum(1 for k, v in before.items() if k in after and after[k] != v)
    job = job_rows(url, slug)[-1]
    return {"status": job[2], "runs": job[3], "pages": pages, "page_objects": len(images),
            "pages_rendered_twice": rewritten + max(0, len(images) - pages)}


def children(pid):
    out = []
    for stat in os.listdir("/proc"):
        if stat.isdigit():
            try:
                with open(f"/proc/{stat}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(stat))
            except OSError:
                continue
    return out


def wait_for_workers(workers, timeout=300):
    """Until every worker's log says its consumer runs (create_app takes a while on a busy machine)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = 0
        for w in workers:
            w.log.flush()
            with open(w.log.name) as fh:
                ready += "Huey consumer started" in fh.read()
        if ready == len(workers):
            return
        time.sleep(0.5)
    raise SystemExit("the job workers did not start within 5 minutes")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short phases (a smoke run, not a measurement)")
    args = parser.parse_args(argv)
    # SIGTERM (a timeout, a Ctrl-C from a wrapper) ends through the `finally` below: no server left running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    volunteers, loop_s, kill_pages, failover_s = (20, 6, 60, 12) if args.quick else (40, 20, 150, 30)
    secret = uuid.uuid4().hex + uuid.uuid4().hex
    logs = tempfile.mkdtemp(prefix="citizen-cluster-")
    log(f"logs and instance folders in {logs}")
    import redis
    redis.Redis.from_url(f"redis://127.0.0.1:6379/{REDIS_DB}").flushdb()
    pg, s3, servers, workers = PrivatePostgres(), None, [], []
    out = {}
    try:
        pg.start()
        s3 = S3Server(os.path.join(logs, "s3.log"))
        env = cluster_env(pg, s3, secret)
        slug, token, made, guests = setup(env, 20_000, 3 * volunteers + 10)
        for name in ("a", "b"):
            folder = os.path.join(logs, f"web-{name}")
            servers.append(Gunicorn("citizen.wsgi:app", {**env, "CITIZEN_INSTANCE_PATH": folder},
                                    os.path.join(logs, f"web-{name}.log")))
        for name in ("1", "2"):
            workers.append(Worker(env, os.path.join(logs, f"worker-{name}"), os.path.join(logs, f"worker-{name}.log")))
        a, b = servers[0].base, servers[1].base
        wait_for_workers(workers)
        ledger, scratch = Ledger(), Ledger()
        half = volunteers // 2
        # 1. both servers (after a round that fills caches and connection pools, not measured)
        asyncio.run(closed_loop([(guests[:half], [a, b]), (guests[half:volunteers], [b, a])], slug, scratch, 3))
        rate = asyncio.run(closed_loop([(guests[:half], [a, b]), (guests[half:volunteers], [b, a])], slug, ledger,
                                       loop_s))
        out["answers_per_s"] = round(rate, 1)
        out["p99_ms"] = pct(ledger.latencies, 0.99)
        out["p50_ms"] = pct(ledger.latencies, 0.5)
        log(f"two web servers: {out['answers_per_s']} answers/s, p50 {out['p50_ms']} ms, p99 {out['p99_ms']} ms")
        # 2. media uploaded through A, worked through B
        helper = guests[-1]
        photos = io.BytesIO()
        with zipfile.ZipFile(photos, "w") as zf:
            for i in range(12):
                zf.writestr(f"DJI_{i:04d}.JPG", jpeg(i))
        upload(a, token, made["photos"], "flight.zip", photos.getvalue())
        missing = 0
        for i in range(6):
            got = fetch_media(b, guests[-2 - i], made["photos"], tries=20, wait=0.2)
            missing += 1 if got is None else got[1]
        out["first_page_s_idle"], lost = first_page_seconds(a, b, token, helper, made["pdf-idle"], 30, "Idle")
        missing += lost
        upload(a, token, made["pdf-load"], "load.pdf", pdf(120, "Load"))  # keeps the workers busy
        out["first_page_s_busy"], lost = first_page_seconds(a, b, token, guests[-8], made["pdf-busy"], 30, "Busy")
        missing += lost
        out["media_missing"] = missing
        log(f"media through B: {missing} missing; first page {out['first_page_s_idle']} s idle, "
            f"{out['first_page_s_busy']} s busy")
        # 3. a worker killed mid-render
        killed = kill_mid_render(a, token, pg, s3, workers, made["pdf-kill"], kill_pages)
        out["killed_render"] = killed
        out["pages_rendered_twice"] = killed["pages_rendered_twice"]
        # 4. web server A killed during the loop
        fresh = guests[volunteers:3 * volunteers]

        async def kill_a(start):
            await asyncio.sleep(failover_s / 3)
            log("kill -9 web server A (master and workers)")
            for pid in servers[0].workers():
                os.kill(pid, signal.SIGKILL)
            servers[0].proc.kill()

        failed_over = asyncio.run(closed_loop([(fresh[:half], [a, b]), (fresh[half:2 * half], [b, a])],
                                              slug, ledger, failover_s, during=kill_a))
        out["answers_per_s_during_failover"] = round(failed_over, 1)
        servers[0].log.close()
        servers.pop(0)
        # the last renders finish; then the books
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and any(r[2] == "running" or (r[2] == "pending" and not r[6])
                                                  for r in job_rows(pg.url("citizen"))):
            time.sleep(1)  # a retry due later (a build waiting for its spacing) is not waited for
        rows = job_rows(pg.url("citizen"))
        killed_ids = {r[0] for r in job_rows(pg.url("citizen"), made["pdf-kill"])}
        out["jobs_done"] = sum(1 for r in rows if r[2] == "done")
        out["jobs_failed"] = sum(1 for r in rows if r[2] == "failed")
        out["jobs_left_running"] = sum(1 for r in rows if r[2] == "running" or (r[2] == "pending" and not r[6]))
        out["jobs_waiting_for_a_retry"] = sum(1 for r in rows if r[2] == "pending" and r[6])
        # A claim is a run; a retry is a new attempt, so runs beyond attempts are runs again of the same attempt
        # (a worker lost mid-job). The render killed on purpose must be run again: it is left out.
        out["jobs_run_twice"] = sum(1 for r in rows if (r[3] or 0) > (r[5] or 1) and r[0] not in killed_ids)
        out["jobs"] = [{"id": r[0], "name": r[1], "status": r[2], "runs": r[3], "attempt": r[5]} for r in rows
                       if r[2] != "done" or (r[3] or 0) > 1]  # the ones to look at
        engine = create_engine(pg.url("citizen"))
        with engine.connect() as conn:
            ids = set(conn.execute(text("SELECT id FROM answer")).scalars())
        engine.dispose()
        acked = set(ledger.acked.values())
        question_ids = {i for i in ids}
        out["acknowledged"] = len(acked)
        out["stored"] = len(acked & question_ids)
        out["acknowledged_not_stored"] = len(acked - question_ids)
        out["unresolved"] = len(ledger.pending)
    finally:
        for w in workers:
            w.stop()
        for server in servers:
            server.stop()
        if s3:
            s3.stop()
        pg.stop()
    print(json.dumps(out))


if __name__ == "__main__":
    main()

"""Load over HTTP: citizen in production mode (gunicorn workers, PostgreSQL, Redis rate limits, one job worker on a
Redis queue running the builds the answers ask for) against
the floor of this machine (benchmarks/floor_app.py: the same stack with no logic), then with faults.

    python -m benchmarks.load [--quick]

Everything runs on loopback: a private PostgreSQL cluster in a temporary folder (so restarting it
disturbs nobody), gunicorn started with deploy/gunicorn.conf.py, and an asyncio/httpx client on the same
two cores. Phases, each bounded in time:

1. closed loop, floor and citizen in alternating rounds after a warm-up of one round each (medians):
   50 volunteers each doing next-task + submit as fast as answered;
2. open loop, floor then citizen: a new volunteer's cycle started every 10 ms whatever the server does
   (latency of a whole cycle: next-task + submit, including any queueing);
3. faults, citizen: the closed loop again while one gunicorn worker is killed with SIGKILL every 20 s and
   PostgreSQL is restarted once (immediate shutdown: a crash); the client retries a failed submission with
   the same Idempotency-Key until it is acknowledged, as the work page does;
4. recovery: a short closed loop that must see no error.

Afterwards every acknowledged answer is looked up: acknowledged == stored means none was lost and none
was stored twice. The last line is one JSON object.
"""
import argparse
import asyncio
import gc
import glob
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

import httpx
import redis
from sqlalchemy import create_engine, text

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VOLUNTEERS = 50
OPEN_INTERVAL = 0.010
OPTIONS = ["yes", "no", "unsure"]
REDIS = "redis://127.0.0.1:6379/0"
JOBS_QUEUE = "redis://127.0.0.1:6379/13"  # the job worker's queue (emptied first)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivatePostgres:
    """A throw-away PostgreSQL cluster on a free port, run as the postgres user when we are root."""

    def __init__(self):
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            raise SystemExit("benchmarks.load needs PostgreSQL's server binaries (initdb, pg_ctl): "
                             "apt-get install postgresql")
        self.bin = os.path.dirname(found[-1])
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="citizen-load-pg-")
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres")

    def _run(self, *args):
        subprocess.run([*self.as_user, os.path.join(self.bin, args[0]), *args[1:]], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self):
        data = os.path.join(self.dir, "data")
        self._run("initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync")
        self._run("pg_ctl", "-D", data, "-l", os.path.join(self.dir, "log"), "-w", "start", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=300")
        engine = create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for name in ("citizen", "floor"):
                conn.execute(text(f"CREATE DATABASE {name}"))
        engine.dispose()

    def restart(self):
        """Immediate shutdown (no checkpoint, like a crash) and start: recovery replays the WAL."""
        self._run("pg_ctl", "-D", os.path.join(self.dir, "data"), "-m", "immediate", "-w", "restart")

    def stop(self):
        try:
            self._run("pg_ctl", "-D", os.path.join(self.dir, "data"), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, name):
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"


class Gunicorn:
    """`gunicorn -c deploy/gunicorn.conf.py <app>` on a free loopback port."""

    def __init__(self, app, env, logfile):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(logfile, "w")  # the server's warnings (a killed worker, a lost connection)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", os.path.join(ROOT, "deploy", "gunicorn.conf.py"), app],
            cwd=ROOT, env={**os.environ, **env, "BIND": f"127.0.0.1:{self.port}", "LOG_LEVEL": "warning"},
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn {app} exited with {self.proc.returncode}")
            try:
                if httpx.get(self.base + "/api/v1/openapi.json", timeout=1).status_code < 500:
                    if len(self.workers()) >= 1:
                        return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"gunicorn {app} did not answer within 60 s")

    def workers(self):
        out = []
        for stat in glob.glob("/proc/[0-9]*/stat"):
            try:
                with open(stat) as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                out.append(int(stat.split("/")[2]))
        return out

    def kill_worker(self):
        pid = random.choice(self.workers())
        os.kill(pid, signal.SIGKILL)
        return pid

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class Ledger:
    """Every submission the client made, by Idempotency-Key: acknowledged (with the answer id) or not."""

    def __init__(self):
        self.sent, self.acked, self.pending, self.refused = set(), {}, {}, {}
        self.errors, self.retries = 0, 0


def pct(values, q):
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 1) if values else None


async def submit(client, base, task_id, headers, key, value, ledger, retry_until):
    """POST the answer; on a dropped connection or a 5xx, again with the same key until acknowledged
    (or until retry_until, after which the key waits for the drain). Returns True when acknowledged."""
    ledger.sent.add(key)
    ledger.pending[key] = (task_id, headers, value)
    while True:
        try:
            r = await client.post(f"{base}/api/v1/tasks/{task_id}/answers",
                                  json={"value": value, "duration_ms": 2000},
                                  headers={**headers, "Idempotency-Key": key})
            if r.status_code in (200, 201):
                ledger.acked[key] = r.json()["answer"]["id"]
                ledger.pending.pop(key, None)
                return True
            if r.status_code < 500:
                ledger.refused[key] = r.status_code
                ledger.pending.pop(key, None)
                ledger.errors += 1
                return False
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        ledger.errors += 1
        if time.monotonic() > retry_until:
            return False
        ledger.retries += 1
        await asyncio.sleep(0.2)


async def cycle(client, base, slug, headers, ledger, retry_until, rnd):
    """One volunteer cycle: next task, then the answer. Returns True when an answer was acknowledged."""
    try:
        r = await client.get(f"{base}/api/v1/campaigns/{slug}/tasks/next", headers=headers)
    except httpx.HTTPError:
        ledger.errors += 1
        return False
    if r.status_code != 200:
        if r.status_code != 204:
            ledger.errors += 1
        return False
    task_id = r.json()["id"]
    # Volunteers who mostly agree with the known answers ("yes"), as in benchmarks.serve: random answerers are
    # refused tasks (429 capped) once they prove no better than chance on gold (citizen.quality.controls.refusal).
    value = "yes" if rnd.random() < 0.8 else rnd.choice(OPTIONS)
    return await submit(client, base, task_id, headers, str(uuid.uuid4()), value, ledger, retry_until)


def new_client(connections):
    return httpx.AsyncClient(timeout=httpx.Timeout(10.0), limits=httpx.Limits(
        max_connections=connections, max_keepalive_connections=connections))


async def closed_loop(base, slug, tokens, seconds, ledger, warmup=2.0, retry=0.0, during=None):
    """len(tokens) volunteers, each cycling without pause; answers acknowledged per second after warm-up."""
    rnd = random.Random(1)
    counted = [0]
    start = time.monotonic()
    measure_from, end = start + warmup, start + warmup + seconds

    async def volunteer(token):
        # One client (connection pool) per volunteer, as each has their own browser; one shared pool
        # of 50 connections costs httpx more per request than the server spends on it.
        headers = {"Authorization": "Bearer " + token}
        async with new_client(2) as client:
            while time.monotonic() < end:
                if await cycle(client, base, slug, headers, ledger, time.monotonic() + retry, rnd) \
                        and time.monotonic() >= measure_from:
                    counted[0] += 1

    jobs = [asyncio.create_task(volunteer(t)) for t in tokens]
    if during:
        jobs.append(asyncio.create_task(during(start)))
    await asyncio.gather(*jobs)
    return counted[0] / (time.monotonic() - measure_from)


async def open_loop(base, slug, tokens, seconds, ledger):
    """A new volunteer's cycle every OPEN_INTERVAL seconds, on schedule whatever the answers take."""
    rnd = random.Random(2)
    latencies, done = [], []

    # One connection per cycle in flight, kept alive for the next cycles. Clients are made before the clock
    # starts: making one (httpx builds an SSL context) costs more than a cycle.
    made = [new_client(1) for _ in range(64)]
    idle = list(made)

    async def one(token):
        t0 = time.monotonic()
        if idle:
            client = idle.pop()
        else:
            client = new_client(1)
            made.append(client)
        try:
            ok = await cycle(client, base, slug, {"Authorization": "Bearer " + token}, ledger, 0, rnd)
        finally:
            idle.append(client)
        if ok:
            latencies.append(time.monotonic() - t0)
        done.append(ok)

    n = int(seconds / OPEN_INTERVAL)
    # The client's own garbage collection (its ledger holds tens of thousands of entries) would pause
    # the schedule and show up as server latency: none during the timed loop.
    gc.collect()
    gc.disable()
    start, jobs = time.monotonic(), []
    for i in range(n):
        delay = start + i * OPEN_INTERVAL - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        jobs.append(asyncio.create_task(one(tokens[i % len(tokens)])))
    await asyncio.gather(*jobs)
    gc.enable()
    for client in made:
        await client.aclose()
    return {"cycles": n, "answered": sum(done), "p50_ms": pct(latencies, 0.5), "p99_ms": pct(latencies, 0.99),
            "max_ms": pct(latencies, 1.0), "connections": len(made)}


async def drain(base, ledger):
    """Submissions left unacknowledged by the fault phase, sent again with their keys."""
    async with new_client(20) as client:
        for key, (task_id, headers, value) in list(ledger.pending.items()):
            await submit(client, base, task_id, headers, key, value, ledger, time.monotonic() + 30)


def setup_citizen(url, secret, tasks, volunteers):
    """Migrate, load one published question campaign (anti-skew controls on) and make guest tokens."""
    from citizen import create_app
    from citizen.accounts import services as accounts
    from citizen.extensions import db
    from benchmarks.serve import populate
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret, "JOBS_SYNC": True})
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        slug = populate(tasks, 0, 3)
        tokens = [accounts.create_guest()[1] for _ in range(volunteers)]
        db.session.commit()
        db.engine.dispose()
    return slug, tokens


def stored_answers(url):
    engine = create_engine(url)
    with engine.connect() as conn:
        ids = set(conn.execute(text("SELECT id FROM answer")).scalars())
        dup = conn.execute(text("SELECT count(*) FROM (SELECT task_id, contributor_id FROM answer "
                                "GROUP BY 1, 2 HAVING count(*) > 1) d")).scalar()
    engine.dispose()
    return ids, dup


def measure(floor, citizen, slug, tokens, ledger, rounds, closed_s, open_s):
    """Closed loop on the floor and on citizen in alternating rounds (medians: the machine drifts), then
    the open loop on each."""
    scratch, floor_rates, rates = Ledger(), [], []
    # Not measured: caches filled, prepared statements made, and citizen's volunteers past their first
    # answers (newcomers get more known-answer tasks; the open loop below measures newcomers).
    asyncio.run(closed_loop(floor.base, "floor", tokens["closed"], closed_s, scratch))
    asyncio.run(closed_loop(citizen.base, slug, tokens["closed"], closed_s, ledger))
    for _ in range(rounds):
        floor_rates.append(asyncio.run(closed_loop(floor.base, "floor", tokens["closed"], closed_s, scratch)))
        rates.append(asyncio.run(closed_loop(citizen.base, slug, tokens["closed"], closed_s, ledger)))
        log(f"closed loop: floor {floor_rates[-1]:.1f}, citizen {rates[-1]:.1f} answers/s")
    floor_open = asyncio.run(open_loop(floor.base, "floor", tokens["open"], open_s / 2, scratch))
    opened = asyncio.run(open_loop(citizen.base, slug, tokens["open"], open_s, ledger))
    out = {"floor_answers_per_s": round(statistics.median(floor_rates), 1),
           "answers_per_s": round(statistics.median(rates), 1),
           "closed_loop_rounds": {"floor": [round(r, 1) for r in floor_rates], "citizen": [round(r, 1) for r in rates]},
           "floor_open_loop_p99_ms": floor_open["p99_ms"], "floor_errors": scratch.errors,
           "open_loop_p99_ms": opened["p99_ms"], "open_loop_p50_ms": opened["p50_ms"],
           "open_loop_cycles": opened["cycles"], "open_loop_answered": opened["answered"], "errors": ledger.errors}
    out["ratio_to_floor"] = round(out["answers_per_s"] / out["floor_answers_per_s"], 2)
    return out


def faults(citizen, pg, slug, tokens, ledger, seconds, kill_every, restart_at):
    """The closed loop while workers are killed and PostgreSQL restarts; then the drain and a clean run."""
    seen = {"workers_killed": 0, "postgres_restarts": 0}

    async def inject(start):
        next_kill, restarted = start + kill_every, False
        while time.monotonic() < start + seconds:
            now = time.monotonic()
            if now >= next_kill:
                log("kill -9 worker", citizen.kill_worker())
                seen["workers_killed"] += 1
                next_kill += kill_every
            if not restarted and now >= start + restart_at:
                log("restarting PostgreSQL (immediate shutdown)")
                await asyncio.to_thread(pg.restart)
                seen["postgres_restarts"] += 1
                restarted = True
            await asyncio.sleep(0.1)

    errors_before = ledger.errors
    seen["answers_per_s"] = round(asyncio.run(closed_loop(
        citizen.base, slug, tokens["fault"], seconds - 2, ledger, retry=15.0, during=inject)), 1)
    seen["errors_seen"], seen["retries"] = ledger.errors - errors_before, ledger.retries
    seen["left_for_drain"] = len(ledger.pending)
    asyncio.run(drain(citizen.base, ledger))
    errors_before = ledger.errors
    recovered_rate = asyncio.run(closed_loop(citizen.base, slug, tokens["recover"], 5, ledger, warmup=1))
    seen["recovered"] = ledger.errors == errors_before and recovered_rate > 0
    seen["recovery_answers_per_s"] = round(recovered_rate, 1)
    return seen


def tally(url, ledger):
    """Every acknowledged answer looked up in the database, and every stored one in the acknowledgements."""
    ids, duplicates = stored_answers(url)
    acked = set(ledger.acked.values())
    return {"sent": len(ledger.sent), "acknowledged": len(ledger.acked), "stored": len(ids),
            "acknowledged_not_stored": len(acked - ids), "stored_not_acknowledged": len(ids - acked),
            "refused_4xx": len(ledger.refused), "unresolved": len(ledger.pending),
            "duplicate_answers": duplicates, "acknowledged_twice": len(ledger.acked) - len(acked)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short phases (a smoke run, not a measurement)")
    args = parser.parse_args(argv)
    # SIGTERM (a timeout, a Ctrl-C from a wrapper) ends through the `finally` below: no server left running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rounds, closed_s, open_s, fault_s = (1, 4, 3, 25) if args.quick else (5, 8, 20, 70)
    kill_every, restart_at = (10, 15) if args.quick else (20, 30)
    secret = uuid.uuid4().hex + uuid.uuid4().hex
    pg = PrivatePostgres()
    logs = tempfile.mkdtemp(prefix="citizen-load-logs-")
    log(f"server logs in {logs}")
    servers, worker = [], None
    try:
        pg.start()
        log(f"PostgreSQL on port {pg.port}; loading the campaign")
        n_open = int(open_s / OPEN_INTERVAL)
        slug, made = setup_citizen(pg.url("citizen"), secret, 20_000, 3 * VOLUNTEERS + n_open)
        tokens = {"closed": made[:VOLUNTEERS], "fault": made[VOLUNTEERS:2 * VOLUNTEERS],
                  "recover": made[2 * VOLUNTEERS:3 * VOLUNTEERS], "open": made[3 * VOLUNTEERS:]}
        os.environ["FLOOR_DATABASE_URL"] = pg.url("floor")  # read when floor_app is imported
        from benchmarks import floor_app
        floor_app.create_schema()
        servers.append(Gunicorn("benchmarks.floor_app:app", {"FLOOR_DATABASE_URL": pg.url("floor")},
                                os.path.join(logs, "floor.log")))
        env = {"CITIZEN_PRODUCTION": "true", "CITIZEN_SECRET_KEY": secret, "CITIZEN_DATABASE_URL": pg.url("citizen"),
               "CITIZEN_PUBLIC_URL": "http://127.0.0.1",  # production mode needs it; the port is not part of the host check
               "CITIZEN_RATELIMIT_STORAGE_URI": os.environ.get("CITIZEN_RATELIMIT_STORAGE_URI", REDIS),
               "CITIZEN_MEDIA_FOLDER": os.path.join(logs, "media"), "CITIZEN_INSTANCE_PATH": os.path.join(logs, "instance"),
               "CITIZEN_JOBS_QUEUE_URL": JOBS_QUEUE}  # the builds the answers ask for run in a worker beside
        redis.Redis.from_url(JOBS_QUEUE).flushdb()
        worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "citizen", "jobs", "work", "--threads", "1"],
                                  cwd=ROOT, env={**os.environ, **env}, stdout=open(os.path.join(logs, "worker.log"), "w"),
                                  stderr=subprocess.STDOUT)
        servers.append(Gunicorn("citizen.wsgi:app", env, os.path.join(logs, "citizen.log")))
        floor, citizen = servers
        ledger = Ledger()
        out = measure(floor, citizen, slug, tokens, ledger, rounds, closed_s, open_s)
        log("measured:", json.dumps(out))
        floor.stop()
        servers.remove(floor)
        out["faults"] = faults(citizen, pg, slug, tokens, ledger, fault_s, kill_every, restart_at)
        citizen.stop()
        servers.remove(citizen)
        out.update(tally(pg.url("citizen"), ledger))
    finally:
        for server in servers:
            server.stop()
        if worker is not None:
            worker.terminate()
            worker.wait(30)
        pg.stop()
    print(json.dumps(out))


if __name__ == "__main__":
    main()

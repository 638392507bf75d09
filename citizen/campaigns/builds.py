"""Campaign-wide results built by a job per data version, served from the last complete build.

What one task's answers decide is stored on the task as they arrive (citizen.campaigns.tally). What needs every
answer of a campaign is built here, off the request: the batch consensus (the model the gold picks over groups of
accounts, citizen.campaigns.batch, citizen.quality.pipeline), the influence report over voters and groups (leave-one-out,
citizen.quality.influence) and what the
organiser's quality page, the moderation queue, the API, the exports and the methodology note show of them.

- A build is one JSON file per campaign, <campaign id>/quality.json in the exports store (storage.exports_store():
  the local EXPORTS_FOLDER or an object store), replaced atomically: readers always see a complete build. It
  records the data version it was built from (citizen.campaigns.versions.data_version) and when.
- After an answer commits (and after an import, a suspension, a moderator's decision: anything that calls
  `request`), a rebuild is queued unless one is pending for the campaign already: at most one pending build per
  campaign; answers arriving while one builds queue the next. A process remembers the build it queued until that
  build starts, so answers in between cost no query at all.
- Readers (`consensus`, `report`, `influence_summary`) serve the last complete build whatever its version, and say
  when it was built and whether a newer one is coming (`status`); they queue a build when theirs is behind and none
  is pending. Only a campaign never built has nothing to show ("being prepared").
- With JOBS_SYNC (tests, the CLI) jobs run at once in the caller's thread: readers then build when behind, so they
  see fresh results, and the answer itself queues nothing (it would run inside the answer's request).
"""
import json
import threading
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from flask import current_app
from markupsafe import Markup
from sqlalchemy import select

from citizen import storage
from citizen.accounts.models import utcnow
from citizen.kinds import get_kind
from citizen.campaigns.models import Campaign
from citizen.campaigns.versions import data_version
from citizen.extensions import db
from citizen.jobs import services as jobs
from citizen.jobs.models import DONE, FAILED, PENDING, RUNNING, Job

JOB = "quality.build"
FILE = "quality.json"
STALE_JOB = timedelta(minutes=30)   # a build pending or running longer than this died with its process
REMEMBER = 60.0                     # seconds a process trusts its memory of the build it queued
KEEP_JOBS = 5                       # finished build jobs kept per campaign (the rest are deleted)
_queued = {}                        # {(database, campaign id): monotonic time this process queued a build}
_lock = threading.Lock()
_read = {}                          # {(store, key): (file's tag, monotonic time looked at, parsed build)}
REMOTE_REFRESH = 2.0                # seconds a process trusts the build it read from an object store (a HEAD each)
_muted = {}                         # {(database, campaign id, created): (monotonic time read, muted ids)}
MUTED_REFRESH = 2.0                 # seconds a process trusts the muted groups it read (the hot path: see muted)


def key(campaign_id):
    """The exports store's key of a campaign's build."""
    return f"{int(campaign_id)}/{FILE}"


def note_change(campaign):
    """Mark a campaign's data as changed when nothing else says so (a result set by hand, a suspension): every
    file gets a new ETag (citizen.campaigns.versions), the cached GeoPackage and this build are made again. The
    caller commits."""
    settings = dict(campaign.settings or {})
    settings["data_revision"] = int(settings.get("data_revision", 0)) + 1
    settings["data_changed_at"] = datetime.now(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds")
    campaign.settings = settings
    if has_builds(get_kind(campaign.kind), settings):
        request(campaign.id)  # the batch consensus and reports of the new version, once the caller commits


def has_builds(kind, settings):
    """Whether a campaign of this kind has anything to build: kinds with categorical answers (the batch
    consensus) and kinds on a map (the campaign page's maps)."""
    return bool(kind.answer_labels(settings or {})) or kind.spatial


# --- queueing -------------------------------------------------------------------------------------
def _memo_key(campaign_id):
    return (str(db.engine.url), int(campaign_id))


def _pending_job(campaign_id):
    return db.session.execute(select(Job.id).where(
        Job.campaign_id == campaign_id, Job.name == JOB, Job.status == PENDING,
        Job.created_at > utcnow() - STALE_JOB).limit(1)).scalar()


def request(campaign_id):
    """Queue a rebuild of the campaign once the caller's transaction commits, unless one is pending (the hot path:
    usually a dict lookup). Nothing with JOBS_SYNC: readers build when behind."""
    app = current_app
    if app.config.get("JOBS_SYNC"):
        return
    key, now = _memo_key(campaign_id), time.monotonic()
    with _lock:
        at = _queued.get(key)
        if at is not None and now - at < REMEMBER:
            return
        _queued[key] = now
    if _pending_job(campaign_id) is None:
        jobs.start_after_commit(JOB, campaign_id)


def _kick(campaign_id):
    """Start a build now (a reader found its build behind, or none): on a worker, or at once with JOBS_SYNC. Ends the
    caller's read transaction (a commit: the job is sent once its row is committed)."""
    if _pending_job(campaign_id) is not None:
        return
    with _lock:
        _queued[_memo_key(campaign_id)] = time.monotonic()
    jobs.start(JOB, campaign_id)
    db.session.commit()


# --- building -------------------------------------------------------------------------------------
def _too_soon(campaign_id):
    """Seconds to wait before the next build of this campaign may start (0: now). Under a steady stream of answers
    builds follow each other at most every BUILD_MIN_SECONDS: a campaign's builds take at most a share of the
    workers' time, however fast answers come (a build of a large campaign takes seconds)."""
    gap = float(current_app.config.get("BUILD_MIN_SECONDS", 0) or 0)
    if not gap or current_app.config.get("JOBS_SYNC"):
        return 0.0
    found = storage.exports_store().stat(key(campaign_id))
    if found is None:
        return 0.0  # never built: the first build at once
    age = time.time() - found.modified.timestamp()
    # And at most a 1/(1 + BUILD_SPACING) share of one thread: a build that took 20 s waits 200 s (it holds a worker
    # thread that PDF renders and webhooks also need, and in a single-process setup the volunteers' interpreter).
    last = (latest(campaign_id) or {}).get("seconds") or 0.0
    gap = max(gap, float(current_app.config.get("BUILD_SPACING", 0) or 0) * float(last))
    return max(0.0, gap - age)


def build_job(job, progress):
    """Build the campaign's results from its data as it is now (idempotent: nothing to do when the last build is
    of this version). Waits (a retry due later, still the one pending build) when the last build is too recent."""
    wait = _too_soon(job.campaign_id)
    if wait > 0:
        raise jobs.Retry(wait, "waiting for the minimum time between two builds")
    with _lock:
        _queued.pop(_memo_key(job.campaign_id), None)  # answers from now on queue the next build
    campaign = db.session.get(Campaign, job.campaign_id)
    if campaign is None:
        return {}
    out = build(campaign)
    _forget_old_jobs(campaign.id, job.id)
    return {"tag": out["tag"]}


def build(campaign):
    """Build and store the campaign's results for its current data version; returns the build."""
    from citizen.campaigns import batch
    version = data_version(campaign)
    current = latest(campaign.id)
    if current is not None and current.get("tag") == version.tag:
        return current
    started = time.monotonic()
    # A plain copy of the campaign row: the build ends its read transactions before computing (on SQLite every
    # transaction holds the write lock, and answers must not wait for a build), and an ORM row would be read again.
    snap = SimpleNamespace(id=campaign.id, kind=campaign.kind, settings=dict(campaign.settings or {}),
                           created_at=campaign.created_at, tasks_total=campaign.tasks_total,
                           redundancy=campaign.redundancy)
    out = {"tag": version.tag, "answers": version.answers, "last_answer_id": version.last_answer_id,
           "campaign_created_at": str(snap.created_at), "consensus": None, "report": {}, "influence_summary": {}, "maps": None}
    kind = get_kind(snap.kind)
    if kind.spatial:  # the campaign page's maps: progress per task, consensus marks
        from citizen.campaigns import previews
        out["maps"] = [m for m in (previews.overview_map(snap, release=True),
                                   previews.results_map(snap, release=True)) if m]
    if kind.answer_labels(snap.settings):
        data = batch.CampaignAnswers(snap)
        _end_read()
        agg = batch.consensus(snap, influence=True, data=data)
        out["consensus"] = _dump(agg)
        out["report"] = batch.aggregate_report(snap, agg, data=data)
        out["influence_summary"] = _summary(snap, agg)
    _end_read()
    out["built_at"] = utcnow().isoformat(timespec="seconds") + "Z"
    if out["influence_summary"]:
        out["influence_summary"].update(built_at=out["built_at"], data_version=version.tag)
    out["seconds"] = round(time.monotonic() - started, 3)
    _write(snap.id, out)
    return out


def _end_read():
    db.session.commit()  # nothing is pending in a build: this ends the read transaction


def _summary(campaign, agg):
    from citizen.quality import controls
    quality = controls.of(campaign.settings)
    influence = agg.get("influence") or []
    return {"voters_checked": len(influence), "largest_share": max((r["share"] for r in influence), default=0.0),
            "flagged": sum(1 for r in influence if r["flagged"]), "limit": quality["influence_limit"],
            "clusters": len(agg.get("clusters") or []),
            "groups_checked": sum(1 for r in influence if r.get("kind", "voter") != "voter"),
            "groups_flagged": sum(1 for r in influence if r.get("kind", "voter") != "voter" and r["flagged"]),
            "method": agg.get("method"), "iterations": agg.get("iterations"), "converged": agg.get("converged"),
            "linked_accounts": sum(len(c) for c in agg.get("clusters") or []),
            "decided": sum(1 for r in agg["results"].values() if r["decided"]), "results": len(agg["results"])}


def _dump(agg):
    """batch.consensus's answer as JSON (its keys are task ids and tuples of contributor ids)."""
    return {"results": [[tid, r] for tid, r in agg["results"].items()], "method": agg.get("method"),
            "clusters": agg.get("clusters") or [], "groups": agg.get("groups") or [],
            "iterations": agg.get("iterations"), "converged": agg.get("converged"),
            "model_scores": agg.get("model_scores") or {},
            "voter_weight": [[list(members), w] for members, w in (agg.get("voter_weight") or {}).items()],
            "influence": agg.get("influence")}


def _load(stored):
    """The inverse of _dump: batch.consensus's form."""
    if stored is None:
        return None
    return {"results": {int(tid): r for tid, r in stored["results"]}, "method": stored.get("method"),
            "clusters": stored.get("clusters") or [], "groups": stored.get("groups") or [],
            "iterations": stored.get("iterations"), "converged": stored.get("converged"),
            "model_scores": stored.get("model_scores") or {},
            "voter_weight": {tuple(members): w for members, w in stored.get("voter_weight") or []},
            "influence": stored.get("influence")}


def _write(campaign_id, out):
    store = storage.exports_store()
    # One put replaces the whole file (citizen.storage): a reader sees the old build or the new one, never half.
    store.put(key(campaign_id), json.dumps(out, separators=(",", ":")).encode(), content_type="application/json")
    _read.pop((store.ident, key(campaign_id)), None)  # this process reads the new build at once


def _forget_old_jobs(campaign_id, keep_id):
    old = db.session.execute(select(Job.id).where(
        Job.campaign_id == campaign_id, Job.name == JOB, Job.status.in_((DONE, FAILED)), Job.id != keep_id)
        .order_by(Job.id.desc()).offset(KEEP_JOBS)).scalars().all()
    if old:
        db.session.execute(db.delete(Job).where(Job.id.in_(old)))
        db.session.commit()


# --- reading --------------------------------------------------------------------------------------
def latest(campaign_id):
    """The last complete build of a campaign (any data version), or None; parsed once per file in a process (looked at
    again on every call in the local folder, at most every REMOTE_REFRESH seconds in an object store)."""
    store = storage.exports_store()
    target = key(campaign_id)
    memo = (store.ident, target)
    hit = _read.get(memo)
    now = time.monotonic()
    if hit is not None and not store.local and now - hit[1] < REMOTE_REFRESH:
        return hit[2]
    found = store.stat(target)
    if found is None:
        return None
    if hit is not None and hit[0] == found.tag:
        _read[memo] = (hit[0], now, hit[2])
        return hit[2]
    data = store.get(target)
    if data is None:
        return None
    parsed = json.loads(data)
    parsed["_consensus"] = _load(parsed.get("consensus"))
    if len(_read) > 64:
        _read.clear()
    _read[memo] = (found.tag, now, parsed)
    return parsed


def served(campaign, version_tag=None):
    """The build to serve for a campaign: the last complete one. A reader finding it behind the data (or none) and
    no build pending starts one (with JOBS_SYNC at once, so tests read fresh results). `version_tag`: the
    campaign's data version when the caller has it."""
    if not has_builds(get_kind(campaign.kind), campaign.settings):
        return None
    built = latest(campaign.id)
    if built is None or built.get("tag") != (version_tag or data_version(campaign).tag):
        _kick(campaign.id)
        built = latest(campaign.id)
    return built


def status(campaign, built=...):
    """{"built_at", "data_version", "current", "pending"}: what a reader is served and whether a newer build is
    coming; {"state": "preparing"} before the first build; None for kinds without builds."""
    if not has_builds(get_kind(campaign.kind), campaign.settings):
        return None
    built = latest(campaign.id) if built is ... else built
    pending = db.session.execute(select(Job.id).where(
        Job.campaign_id == campaign.id, Job.name == JOB, Job.status.in_((PENDING, RUNNING)),
        Job.created_at > utcnow() - STALE_JOB).limit(1)).scalar() is not None
    if built is None:
        return {"state": "preparing", "pending": pending}
    current = built.get("tag") == data_version(campaign).tag
    return {"state": "current" if current else "behind", "built_at": built.get("built_at"),
            "data_version": built.get("tag"), "answers": built.get("answers"), "pending": pending and not current}


def consensus(campaign):
    """batch.consensus(campaign) as of the last complete build (None before the first, or for other kinds)."""
    built = served(campaign)
    return None if built is None else built["_consensus"]


def report(campaign):
    """The aggregate part of the quality report (clusters, influence, decided) of the last build, or None."""
    built = served(campaign)
    return None if built is None else built.get("report")


def maps(campaign):
    """The campaign page's maps (HTML) as of the last build: [] before the first, or for kinds not on a map."""
    built = served(campaign)
    # Parts folium rendered at build time (citizen.maps.embed gave them as Markup); JSON keeps plain strings.
    return [{part: Markup(text) for part, text in m.items()} for m in ((built.get("maps") if built else None) or [])]


def groups_of(campaign_id):
    """{contributor id: (member ids...)} of the groups of accounts the last build counts as one voter (device
    groups and groups confirmed by coordinated deviation), {} before the first build. For the hot path's shared
    cap: a dict read from the build already parsed in this process (see `latest`), no query."""
    built = latest(campaign_id)
    if built is None:
        return {}
    cached = built.get("_groups_of")
    if cached is None:
        cached = {}
        for group in (built.get("_consensus") or {}).get("groups") or []:
            members = tuple(sorted(group["contributors"]))
            cached.update({m: members for m in members})
        built["_groups_of"] = cached
    return cached


def muted(campaign_id, created_at):
    """Contributor ids in the groups the last build found colluding (coordinated deviation): their answers are kept
    but count for nothing, so the hot path hands them no more tasks (their leases would only hold slots honest
    volunteers need). On the hot path: the build file is looked at every MUTED_REFRESH seconds per process at most
    (like suspensions), a set lookup otherwise; empty before a build and for a build of another campaign that had
    this id (a database made again: tests, benchmarks, a restore)."""
    key = (current_app.config["SQLALCHEMY_DATABASE_URI"], campaign_id, created_at)
    now = time.monotonic()
    hit = _muted.get(key)
    if hit is not None and now - hit[0] < MUTED_REFRESH:
        return hit[1]
    built = latest(campaign_id)
    out = frozenset()
    if built is not None and built.get("campaign_created_at") == str(created_at):
        out = built.get("_muted")
        if out is None:
            groups = (built.get("_consensus") or {}).get("groups") or []
            out = built["_muted"] = frozenset(m for g in groups if g.get("coordinated") for m in g["contributors"])
    if len(_muted) > 256:
        _muted.clear()
    _muted[key] = (now, out)
    return out


def influence_summary(campaign):
    built = served(campaign)
    return None if built is None else built.get("influence_summary")


def tag(campaign, version_tag=None):
    """The data version of the build served (for ETags: a file changes when its build does), or ""."""
    built = served(campaign, version_tag)
    return built.get("tag", "") if built else ""

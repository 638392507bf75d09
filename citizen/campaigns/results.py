"""Results per task (from the consensus kept on each task) and answers collected elsewhere."""
from sqlalchemy import select, tuple_, update

from citizen.accounts.models import utcnow
from citizen.accounts.services import external_contributors
from citizen.campaigns import tally
from citizen.kinds import get_kind
from citizen.campaigns.models import HIDDEN_RAND, MAX_INT, Answer, Campaign, Participation, Task
from citizen.campaigns.hot_sql import insert_ignoring
from citizen.errors import CitizenError, InvalidInput
from citizen.campaigns import disclosure, hooks
from citizen.campaigns import builds
from citizen.quality import controls
from citizen.extensions import db
from flask_babel import gettext as _

MAX_IMPORT = 10_000


def results_page(campaign, after=0, limit=500, include_hidden=False):
    """One page of results in task id order: [{task_id, external_id, answer, count, share, answers,
    redundancy, complete, tied}]; pass the last task_id as `after` for the next page. Tasks a moderator
    hid are left out unless `include_hidden` (the campaign's staff), where they are marked `hidden`."""
    batch_results = (builds.consensus(campaign) or {}).get("results", {})  # the last complete build
    query = (select(Task.id, Task.external_id, Task.answer_count, Task.redundancy, Task.result, Task.gold,
                    # only the moderator's keys of the tally: a map task's tally holds every answer's marks
                    Task.consensus["override"].label("override"), Task.consensus["hidden"].label("hidden"))
             .where(Task.campaign_id == campaign.id, Task.id > after))
    if not include_hidden:
        query = query.where(Task.rand > HIDDEN_RAND)
    rows = db.session.execute(query.order_by(Task.id).limit(limit)).all()
    # While the campaign is open the public cannot tell gold tasks from others (citizen.campaigns.disclosure).
    reveal = disclosure.reveals_gold(campaign.status, staff=include_hidden)
    decided_at = controls.of(campaign.settings)["confidence"]
    kind = get_kind(campaign.kind)
    out = []
    for r in rows:
        res = tally.stored(r.result)  # computed when the answers came, never on a read
        answers = disclosure.published_answers(r.answer_count, r.redundancy, reveal)
        row = {"task_id": r.id, "external_id": r.external_id, "answer": res["answer"],
               "count": disclosure.published_count(res["count"], res["share"], answers, r.answer_count),
               "share": res["share"], "answers": answers,
               "redundancy": r.redundancy, "complete": answers >= r.redundancy,
               "tied": res.get("tied", False)}
        row.update(kind.result_fields(res))  # the kind's own part: consensus marks, fields...
        hide_gold = r.gold is not None and not reveal
        if r.id in batch_results:  # categorical kinds: Dawid-Skene over linked-account clusters
            batch = batch_results[r.id]
            row.update(disclosure.crowd_batch_row(batch, res, decided_at) if hide_gold else batch, method="dawid-skene")
            if row["answer"] != res["answer"]:  # the tally's count and share are those of another answer
                row["count"] = row["share"] = None
        elif res.get("decided"):  # settled on the hot path (citizen.campaigns.tally.settle): later answers do not move it
            row["decided"] = True
        # Later answers would change what the hot path decided: moderators are asked (the queue). Where the batch
        # consensus exists it is still what is published: it weighs linked accounts and gold, which a decision by
        # the first few devices does not (a ring answering first would otherwise fix its answers).
        row["under_review"] = bool(res.get("under_review"))
        row["gold"] = (r.gold is not None) if reveal else None
        override = r.override
        if override:  # a moderator's decision (citizen.moderation) wins over the consensus
            row.update(override=override, answer=override["answer"])
        if r.hidden:
            row["hidden"] = True
        out.append(row)
    return out


def results_body(campaign, after=0, limit=500, include_hidden=False):
    """GET /api/v1/campaigns/<slug>/results: a page of results_page, and for kinds with a batch consensus
    `consensus_build` (when the Dawid-Skene columns were built, whether a newer build is coming)."""
    rows = results_page(campaign, after, limit, include_hidden)
    out = {"campaign": campaign.slug, "results": rows, "next_after": rows[-1]["task_id"] if len(rows) == limit else None}
    build = builds.status(campaign)
    if build is not None:
        out["consensus_build"] = build
    return out


def _resolve_tasks(campaign, items):
    ids = {i["task_id"] for i in items if _whole(i.get("task_id"))}
    refs = {str(i["external_id"]) for i in items if i.get("external_id") not in (None, "")}
    found = {}
    if ids:
        for r in db.session.execute(select(Task.id, Task.payload).where(
                Task.campaign_id == campaign.id, Task.id.in_(ids))):
            found[("id", r.id)] = (r.id, r.payload)
    if refs:
        for r in db.session.execute(select(Task.id, Task.external_id, Task.payload).where(
                Task.campaign_id == campaign.id, Task.external_id.in_(refs))):
            found[("ref", r.external_id)] = (r.id, r.payload)
    return found


def _whole(value, low=1):
    """A whole number from `low` that fits the database's integer columns (JSON may carry any size, or true)."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= MAX_INT


def import_answers(campaign, items):
    """Add answers collected elsewhere (paper, another platform). Each item names the task
    (`task_id` or `external_id`), a `contributor` reference, and a `value`. The kind's validation
    and the consensus apply; one answer per contributor per task holds. All or nothing.

    Imported answers are real work done elsewhere, so they are all kept even when a task ends up
    with more answers than its redundancy (the task then simply stops being handed out)."""
    if not isinstance(items, list) or not items:
        raise InvalidInput(_('Send {"answers": [...]} with at least one answer.'))
    if len(items) > MAX_IMPORT:
        raise InvalidInput(_("At most %(max)d answers per request.", max=MAX_IMPORT))
    kind = get_kind(campaign.kind)
    tasks = _resolve_tasks(campaign, [i for i in items if isinstance(i, dict)])
    errors, good, pairs = [], [], {}
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            errors.append({"line": n, "message": _("each answer must be an object")})
            continue
        key = ("id", item["task_id"]) if _whole(item.get("task_id")) else ("ref", str(item.get("external_id")))
        task_id, payload = tasks.get(key, (None, None))
        ref = item.get("contributor")
        ref = ref.strip()[:120] if isinstance(ref, str) else ""
        duration = item.get("duration_ms")
        if duration is not None and not _whole(duration, 0):
            errors.append({"line": n, "message": _("duration_ms must be a whole number of milliseconds")})
        elif task_id is None:
            errors.append({"line": n, "message": _("no task with this task_id or external_id in this campaign")})
        elif not ref:
            errors.append({"line": n, "message": _("name the contributor (any stable reference, e.g. a sheet initial)")})
        elif (task_id, ref) in pairs:
            errors.append({"line": n, "message": _("same task and contributor as answer %(n)d", n=pairs[(task_id, ref)])})
        else:
            try:
                kind.check_limits(item.get("value"), campaign.settings)
                value = kind.clean_answer(item.get("value"), payload, campaign.settings)
            except CitizenError as exc:
                errors.append({"line": n, "message": exc.message})
                continue
            pairs[(task_id, ref)] = n
            good.append((n, task_id, ref, value, duration))
    contributors = external_contributors(campaign.organisation_id, {g[2] for g in good}) if good else {}
    if good:
        existing = set(db.session.execute(select(Answer.task_id, Answer.contributor_id).where(
            tuple_(Answer.task_id, Answer.contributor_id).in_([(g[1], contributors[g[2]]) for g in good]))).all())
        for n, task_id, ref, _value, _duration in good:
            if (task_id, contributors[ref]) in existing:
                errors.append({"line": n, "message": _("%(ref)r already has an answer to this task", ref=ref)})
    if errors:
        errors.sort(key=lambda e: e["line"])
        raise InvalidInput(_("Nothing was imported. Answer %(n)d: %(message)s", n=errors[0]["line"], message=errors[0]["message"]),
                           details=errors[:20])
    _store_imported(campaign, kind, good, contributors)
    if builds.has_builds(kind, campaign.settings):
        builds.request(campaign.id)
    return len(good)


def _store_imported(campaign, kind, good, contributors):
    """Store the answers and fold each into its task's tally with the volunteer loop's rule (citizen.campaigns.tally):
    tasks in id order under their row locks, each task's answers in the order they were sent."""
    now = utcnow()
    quality = controls.of(campaign.settings)
    conn = db.session.connection()
    suspended = hooks.suspended(conn, campaign.id)
    critical = kind.critical(campaign.settings)
    labelled = bool(kind.answer_labels(campaign.settings))
    ids = set(contributors.values())
    sigs, gold = tally.device_sigs(ids), tally.votes(campaign.id, ids)
    by_task = {}
    for item in good:
        by_task.setdefault(item[1], []).append(item)
    newly_done = 0
    for task in db.session.execute(select(Task).where(Task.id.in_(by_task)).order_by(Task.id)
                                   .with_for_update()).scalars():
        state = task.consensus or {}
        for _n, task_id, ref, value, duration in by_task[task.id]:
            cid = contributors[ref]
            duration = duration if isinstance(duration, int) else None
            weight = tally.weight_of(quality, duration, state, suspended=cid in suspended, device_sig=sigs.get(cid))
            state, _result = tally.fold(state, kind, value, weight, campaign.settings,
                                        tally.vote_of(weight, *gold.get(cid, (0, 0))), sigs.get(cid), with_result=False)
            if critical and cid not in suspended and kind.label_of(value) in critical:
                hooks.escalate(conn, task_id, campaign.id, None, cid, kind.label_of(value), now)
            db.session.execute(Answer.__table__.insert().values(
                task_id=task_id, campaign_id=campaign.id, contributor_id=cid, value=value,
                duration_ms=duration, source="import", created_at=now, weight=weight))
        before = task.answer_count
        task.answer_count += len(by_task[task.id])
        # Imports settle a task like the volunteer loop does, and cannot silently flip one decided before.
        state, decided, _review = tally.settle(state, quality, labelled and task.gold is None)
        if decided and task.answer_count + task.lease_count < task.redundancy:
            task.redundancy = task.answer_count + task.lease_count
        task.consensus = state
        task.result = tally.result_of(kind, state, campaign.settings)
        task.available = task.gold is None and task.answer_count + task.lease_count < task.redundancy
        newly_done += before < task.redundancy <= task.answer_count
    for ref, cid in contributors.items():
        values = {"contributor_id": cid, "campaign_id": campaign.id, "cursor": 0.0, "answer_count": 0,
                  "skip_count": 0, "leases": 0, "first_at": now, "last_at": now}
        db.session.execute(insert_ignoring(Participation.__table__, values), values)
        count = sum(1 for g in good if g[2] == ref)
        db.session.execute(update(Participation).where(
            Participation.contributor_id == cid, Participation.campaign_id == campaign.id)
            .values(answer_count=Participation.answer_count + count, last_at=now))
    if newly_done:
        db.session.execute(update(Campaign).where(Campaign.id == campaign.id)
                           .values(tasks_done=Campaign.tasks_done + newly_done))
    db.session.flush()


RECOMPUTE_JOB = "results.recompute"


def recompute_results(campaign, chunk=500):
    """Compute the stored result of every answered task of a campaign again from its consensus (after its settings
    changed: a transcription's agreement, a map's minimum support). Returns how many tasks. Commits per chunk."""
    kind = get_kind(campaign.kind)
    after, done = 0, 0
    while True:
        rows = db.session.execute(select(Task.id, Task.consensus).where(
            Task.campaign_id == campaign.id, Task.answer_count > 0, Task.id > after)
            .order_by(Task.id).limit(chunk)).all()
        if not rows:
            return done
        for r in rows:
            db.session.execute(update(Task).where(Task.id == r.id).values(
                result=tally.result_of(kind, r.consensus or {}, campaign.settings)))
        done += len(rows)
        after = rows[-1].id
        db.session.commit()


def recompute_job(job, progress):
    campaign = db.session.get(Campaign, job.campaign_id)
    return {"tasks": recompute_results(campaign) if campaign is not None else 0}

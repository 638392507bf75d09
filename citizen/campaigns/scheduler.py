"""The volunteer loop's hot path: hand out the next task, take an answer, skip.

How a task is chosen: every task has a random key `rand`; every contributor has a cursor in that
order (starting at a random place) and moves forward, wrapping once. The next task is the first
*available* task after the cursor that this contributor has neither answered nor been handed; one
indexed range scan on (campaign_id, available, rand) finds it, whatever the campaign's size.

How redundancy holds under concurrency: handing out a task takes a lease with an atomic
`UPDATE task ... WHERE available`, and `available` stays true only while answers + live leases are
below the task's redundancy. So a task never has more answers than its redundancy from leased
hand-outs. A volunteer whose lease expired (or who skipped) may still answer while there is room;
when there is none they are told the task is complete: the stated bound is zero extra answers.

Lock order on PostgreSQL (to avoid deadlocks): task, then assignment, then participation, then
campaign. SQLite serialises writers (BEGIN IMMEDIATE), so the same code is safe there.
"""
import hashlib
import json
import random
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from citizen import clock
from citizen.campaigns import hot_sql as q
from citizen.campaigns import store as stores
from citizen.campaigns import tally
from citizen.kinds import get_kind
from citizen.campaigns.models import (LEASED, PUBLISHED, ANSWERED, EXPIRED, TRAINED, Assignment, Campaign,
                                     Participation, Task)
from citizen.errors import (AlreadyAnswered, Capped, Conflict, NotAssigned, NotFound, NotOpen, Refused,
                           TaskComplete)
from citizen.campaigns import disclosure, hooks
from citizen.campaigns import builds
from citizen.quality import controls
from citizen.extensions import db
from flask_babel import gettext as _

RECLAIM_EVERY = 30.0
MAX_HELD = 5  # answers a task may keep waiting for a moderator's check
LIVE_LEASES_READ = 20  # a contributor holds at most MAX_LEASES; older data or a race may leave a few more
_last_reclaim = [0.0]


def _conn():
    return db.session.connection()


def _join(conn, contributor_id, campaign_id, start=None):
    """A newcomer's participation row, with a random starting point in the campaign's task order (or `start`: the
    head of the order where a model's predictions route the work, most uncertain first: citizen.predictions)."""
    now = clock.now()
    values = {"contributor_id": contributor_id, "campaign_id": campaign_id,
              "cursor": random.random() if start is None else start,
              "answer_count": 0, "skip_count": 0, "leases": 0, "first_at": now, "last_at": now}
    conn.execute(q.insert_ignoring(q.P, values), values)
    return conn.execute(q.PARTICIPATION, {"cid": contributor_id, "camp": campaign_id}).first()


def next_task(slug, contributor_id, exclude=()):
    """Lease the next task of campaign `slug` for this contributor. Returns (campaign, task) where
    campaign is a light row (id, slug, kind, settings, status, ...) and task is (task_id, payload,
    answers given so far) or None when nothing is left for them. A contributor already holding
    MAX_LEASES live tasks gets the oldest of those back (a reload shows the same task instead of
    hoarding new ones); `exclude` names tasks already on their screen (prefetching)."""
    conn = _conn()
    campaign = conn.execute(q.CAMPAIGN_AND_PARTICIPATION, {"slug": slug, "cid": contributor_id}).first()
    if campaign is None:
        raise NotFound(_("There is no campaign at this address."))
    if campaign.status != PUBLISHED:
        raise NotOpen()
    try:
        return campaign, _lease_next(conn, campaign, contributor_id, [int(t) for t in exclude][:10])
    except stores.AtLeaseLimit:  # another request of this contributor took their last lease meanwhile
        return campaign, None


def _lease_next(conn, campaign, contributor_id, exclude):
    _maybe_reclaim()
    cfg = current_app.config
    store = stores.of(conn)
    now = clock.now()
    part = campaign if campaign.cursor is not None else _join(
        conn, contributor_id, campaign.id, -1.0 if (campaign.settings.get("routing") or {}).get("ordered") else None)
    quality = controls.of(campaign.settings)
    _refuse(conn, campaign, quality, contributor_id, part, now)
    if campaign.settings.get("training"):  # tutorial or qualification first (citizen.training); mostly absent
        due = hooks.training(conn, campaign, contributor_id, part, now)
        if due is not None:
            raise hooks.TrainingDue(due, campaign)
    gate = hooks.gate(conn, campaign, contributor_id, now)  # None unless the campaign has rated content
    if part.leases >= cfg["MAX_LEASES"]:
        # At the limit (or it counts leases that expired and are not reclaimed yet): give back the oldest
        # live lease that is not on screen. Tasks named in `exclude` are only passed by: a contributor
        # whose live leases are all excluded gets nothing new (204), never an extra lease.
        still_held = 0
        for held in conn.execute(q.HELD_LEASES, {"cid": contributor_id, "camp": campaign.id, "now": now}).scalars():
            if held in exclude:
                still_held += 1
                continue
            payload = conn.execute(q.TASK_PAYLOAD, {"tid": held}).scalar_one()
            if gate is None or not gate.turns_away(conn, held, payload, held=True):
                return held, payload, part.answer_count
        if still_held >= cfg["MAX_LEASES"]:
            return None
    if gate is not None and gate.nothing_to_serve:
        return None
    if campaign.settings.get("gold_count") and random.random() < controls.gold_rate(quality, part.answer_count):
        row = conn.execute(q.LEASE_GOLD, {"camp": campaign.id, "cid": contributor_id, "after": random.random()}).first()
        if row is not None and (gate is None or not gate.turns_away(conn, row.id, row.payload)) \
                and _hold(store, conn, campaign.id, contributor_id, row, now, cfg, cursor=part.cursor):
            return row.id, row.payload, part.answer_count
    after, wrapped, reclaimed = part.cursor, False, False
    while True:
        params = {"camp": campaign.id, "cid": contributor_id, "after": after}
        if gate is not None:
            row = gate.lease(conn, params, exclude)
        elif exclude:
            row = conn.execute(q.LEASE_NEXT_EXCLUDING, {**params, "exclude": exclude}).first()
        else:
            row = conn.execute(q.LEASE_NEXT, params).first()
        if row is None:
            if wrapped:
                # Nothing open: before saying so, give this campaign's expired leases back now (not only
                # every RECLAIM_EVERY seconds), so visitors who left never hide open work from a newcomer.
                if reclaimed or not release_expired_leases(now, campaign_id=campaign.id):
                    return None
                reclaimed = True
            after, wrapped = -1.0, True  # start again from the beginning of the order, once
            continue
        if gate is not None and gate.turns_away(conn, row.id, row.payload):
            after = row.rand
            continue
        if not _hold(store, conn, campaign.id, contributor_id, row, now, cfg, cursor=row.rand):
            after = row.rand
            continue
        return row.id, row.payload, part.answer_count


def _refuse(conn, campaign, quality, contributor_id, part, now):
    """Raise before any lease is taken when this contributor could not give an answer that counts: at their own or
    their device's cap, suspended, skip-limited, or at or below chance on gold (controls.refusal). Their leases
    would only hold slots honest volunteers need (the replays of issue 16 handed capped accounts 1,108 tasks)."""
    cap = controls.answer_cap(quality, campaign.tasks_total, campaign.redundancy)
    # Someone who answered every task hears "nothing left" (204), not "capped"; another account on a device that
    # gave its cap could not give a single counted answer.
    if cap is not None and ((cap < campaign.tasks_total and part.answer_count >= cap)
                            or ((campaign.device_answers or 0) >= cap and part.answer_count < campaign.tasks_total)):
        raise Capped()
    if quality["cap_per_day"] and conn.execute(q.ANSWERS_SINCE, {
            "cid": contributor_id, "camp": campaign.id,
            "since": now.replace(hour=0, minute=0, second=0, microsecond=0)}).scalar() >= quality["cap_per_day"]:
        raise Capped(_("That is as many answers as one person may give here today: thank you! "
                       "Come back tomorrow, or help another campaign."))
    suspended = contributor_id in hooks.suspended(conn, campaign.id)  # a set lookup, mostly empty
    # A member of a group the last build found colluding weighs nothing (citizen.quality.clusters): a set lookup.
    suspended = suspended or contributor_id in builds.muted(campaign.id, campaign.created_at)
    options = len(get_kind(campaign.kind).answer_labels(campaign.settings) or ())
    why = controls.refusal(quality, part if campaign.cursor is not None else None, options, suspended)
    if why == "skip_limit":
        raise Refused(_("You have skipped most of the tasks handed to you here, so we cannot hand you more. "
                        "Thank you for looking! Other campaigns may suit you better."), code="skip_limit")
    if why is not None:
        raise Refused(_("This campaign cannot take more answers from you. Thank you for your help!"), code="capped")


def _hold(store, conn, campaign_id, contributor_id, row, now, cfg, cursor):
    """Record the lease of a task just taken and move the contributor's cursor to `cursor`;
    False (and the slot given back) if the same contributor, in another tab, got it first."""
    lease = {"cid": contributor_id, "tid": row.id, "camp": campaign_id, "state": LEASED, "now": now,
             "expires_at": now + timedelta(seconds=cfg["LEASE_SECONDS"]), "cursor": cursor}
    return store.hold(conn, lease, cfg["MAX_LEASES"])


def _fingerprint(task_id, value):
    return hashlib.sha256(json.dumps([task_id, value], sort_keys=True).encode()).hexdigest()


def _locked_task(conn, task_id, contributor_id=None, key=None):
    if key:
        row = conn.execute(q.LOCKED_TASK_AND_RESPONSE, {"tid": task_id, "cid": contributor_id, "key": key}).first()
    else:
        row = conn.execute(q.LOCKED_TASK, {"tid": task_id, "cid": contributor_id}).first()
    if row is None:
        raise NotFound(_("There is no such task."))
    return row


def _claim_assignment(conn, params):
    """Mark the hand-out answered: (True, leased_at) if that consumed a live lease, (False, None) if the lease had
    been released (expired, skipped, given back). Raises if the task was never handed out, or already answered."""
    leased_at = conn.execute(q.CLAIM_LIVE, params).scalar()
    if leased_at is not None:
        return True, leased_at
    if conn.execute(q.CLAIM_RELEASED, params).first() is not None:
        return False, None
    if conn.execute(q.ASSIGNMENT_STATE, params).scalar() == ANSWERED:
        raise AlreadyAnswered()
    raise NotAssigned()


def measured_ms(now, leased_at, declared_ms):
    """The duration that counts for an answer: the server's time since the live lease was taken, or less when
    the client declares less (a declared duration never makes an answer slower than the server saw it). None
    without a live lease (expired, given back, skipped): unknown, so the answer counts as fast. Leaving out
    duration_ms, or declaring an hour, gains nothing; answering on a lease released earlier (hunting tasks by
    giving back the rest instead of skipping them) gives answers that weigh nothing."""
    if leased_at is None:
        return None
    server = max(0, (now - leased_at) // timedelta(milliseconds=1))
    return server if declared_ms is None else min(server, declared_ms)


def _replay(stored, fingerprint):
    if stored.stored_fingerprint != fingerprint:
        raise Conflict(_("This Idempotency-Key was already used for a different answer."), code="idempotency_key_reused")
    return stored.stored_status, stored.stored_body


def submit_answer(task_id, contributor_id, value, duration_ms=None, idempotency_key=None, source="web"):
    """Store one answer. Returns (status, body): 201 and the answer, or the stored response of an
    earlier request with the same Idempotency-Key. Raises NotFound, NotOpen, NotAssigned,
    AlreadyAnswered, TaskComplete or InvalidInput; in every such case nothing is stored."""
    conn = _conn()
    # The answer's size is checked against its kind's limits before the lock, so that what runs under the
    # lock (clean_answer, the consensus) only ever sees values of bounded size.
    campaign = conn.execute(q.TASK_KIND, {"tid": task_id}).first()
    if campaign is None:
        raise NotFound(_("There is no such task."))
    get_kind(campaign.kind).check_limits(value, campaign.settings)
    # The row lock serialises answers to one task on PostgreSQL (SQLite serialises all writers).
    task = _locked_task(conn, task_id, contributor_id, idempotency_key)
    fingerprint = _fingerprint(task_id, value)
    if idempotency_key and task.stored_status is not None:
        return _replay(task, fingerprint)
    if task.status != PUBLISHED:
        raise NotOpen()
    kind = get_kind(task.kind)
    clean = kind.clean_answer(value, task.payload, task.settings)
    gold = task.gold is not None
    quality = controls.of(task.settings)
    correct = gold and kind.known_matches(clean, task.gold, task.settings)  # a label, or boxes by overlap
    now = clock.now()
    counts = {"cid": contributor_id, "tid": task_id, "camp": task.campaign_id, "now": now, "gold": int(gold),
              "gold_correct": int(correct), "client_fast": int(controls.is_fast(quality, duration_ms)),
              "fast_after": now - timedelta(milliseconds=quality["min_ms"])}
    store = stores.of(conn)
    claimed = store.claim_live_and_count(conn, counts)
    if claimed is not None:  # the usual case on PostgreSQL: a live lease, claimed and counted in one round trip
        leased_at, part = claimed.leased_at, (claimed if claimed.answer_count is not None else None)
    else:
        if kind.picked:  # volunteers choose this kind's tasks themselves (a field visit): no hand-out to claim
            _join(conn, contributor_id, task.campaign_id)
            conn.execute(q.INSERT_LEASE, {"cid": contributor_id, "tid": task_id, "camp": task.campaign_id,
                                          "state": EXPIRED, "now": now, "expires_at": now})
        try:
            had_lease, leased_at = _claim_assignment(conn, {"cid": contributor_id, "tid": task_id})
        except AlreadyAnswered:
            stored = idempotency_key and conn.execute(q.STORED_RESPONSE, {"cid": contributor_id,
                                                                          "key": idempotency_key}).first()
            if stored:  # a concurrent retry of this very request committed first
                return _replay(stored, fingerprint)
            raise
        if not had_lease and not gold and task.answer_count + task.lease_count >= task.redundancy:
            raise TaskComplete()
        fast = kind.timed and not controls.is_slow_enough(quality, measured_ms(now, leased_at, duration_ms))
        part = conn.execute(q.PARTICIPATION_ANSWERED, {**counts, "fast": int(fast),
                                                       "lease_used": int(had_lease)}).first()
    duration_ms = measured_ms(now, leased_at, duration_ms)
    _check_caps(conn, quality, task, contributor_id, part.answer_count if part else 0, now)
    suspended = contributor_id in hooks.suspended(conn, task.campaign_id)  # a set lookup, mostly empty
    revealed = hooks.revealed(task, contributor_id)  # None unless the campaign has rated content
    # Kept, but it never counts when too fast (or of unknown duration), suspended, given to a blurred item left
    # unrevealed (unless the campaign counts those), or from a device that already counts on this task; a
    # skip-heavy contributor's answers weigh less (controls.skip_factor).
    weight = 0.0 if duration_ms is None and kind.timed else tally.weight_of(
        quality, duration_ms, task.consensus, suspended=suspended, device_sig=task.device_sig,
        skips=(part.answer_count, part.skip_count) if part else None,
        unseen=tally.unseen(revealed, task.settings, kind))
    reason = None
    if part is not None and part.training < TRAINED and (task.settings.get("training") or {}).get("qualification"):
        weight, reason = 0.0, "not_qualified"  # kept, never counted before the campaign's qualification is passed
    held = kind.held(clean)  # a field visit from too far away: kept, counted once a moderator accepts it
    if held:
        if kind.held_count(task.consensus) >= MAX_HELD:  # far-away visits must not crowd out the real ones
            raise Conflict(_("This place already has visits waiting for a check: go there to report it."),
                           code="too_many_held")
        weight, reason = 0.0, "held"
    leases = task.lease_count - (leased_at is not None)
    answers, redundancy, state, result = _tally(task, kind, clean, weight, quality, part, leases)
    if held:  # a held answer takes no slot of the counted ones, nor asks for more (a moderator who counts it gives
        redundancy = task.redundancy + 1  # the slot back)
    row = {"tid": task_id, "answers": answers, "leases": leases, "redundancy": redundancy, "consensus": state,
           "result": result, "available": not gold and answers + leases < redundancy, "camp": task.campaign_id,
           "cid": contributor_id, "value": clean, "duration_ms": duration_ms, "source": source, "weight": weight,
           "revealed": revealed, "reason": reason, "now": now,
           "prediction_shown": hooks.prediction_shown(task.payload) if (task.settings.get("routing") or {}).get(
               "show") else None}
    body = _response(task_id, clean, now, part, answers, redundancy, gold)
    if reason:
        body["counted"] = False  # the volunteer hears why (the work page sends them to the qualification)
    if held:
        body["held"] = held
    answer_id = body["answer"]["id"] = store.store_answer(conn, row, body, idempotency_key and {
        "key": idempotency_key, "fingerprint": fingerprint})
    critical = kind.critical(task.settings)  # answers that escalate at once (a person spotted); mostly none
    if critical and not gold and not suspended and kind.label_of(clean) in critical:
        hooks.escalate(conn, task_id, task.campaign_id, answer_id, contributor_id, kind.label_of(clean), now)
    if answers == redundancy:  # the same statement for a gold task, counting nothing: the same work
        conn.execute(q.CAMPAIGN_TASK_DONE, {"camp": task.campaign_id, "n": 0 if gold else 1})
    if kind.answer_labels(task.settings):  # the batch consensus: rebuilt off the request (a dict lookup mostly)
        builds.request(task.campaign_id)
    return 201, body


def _response(task_id, clean, now, part, answers, redundancy, gold):
    """The answer's response: the same fields for a gold task as for any other, so it never says which tasks are
    gold nor what their known answer is (colluders sharing per-task feedback learnt 90-95 of 100 gold answers).
    Feedback on gold comes as a summary of the volunteer's whole record ("you agreed with the known answer on X of
    Y checked tasks"), on every FEEDBACK_EVERY-th answer (citizen.campaigns.disclosure) whatever that task is:
    between two summaries ten answers passed, so a change tells how many of those ten were gold, not which (and
    never the known answer: for all ten to be gold is a chance of 1 in 10,000 at the newcomers' 40 %). Volunteers
    still learn how they do, a little later. A gold task stays open past its redundancy, so `task_complete` is true
    only for the answer that reached it, as on any other task. Organisers see every gold answer in the quality
    report."""
    done = part.answer_count if part else 0
    feedback = None
    if part is not None and done % disclosure.FEEDBACK_EVERY == 0 and part.gold_total:
        feedback = {"checked": part.gold_total, "agreed": part.gold_correct}
    return {"answer": {"id": None, "task_id": task_id, "value": clean, "created_at": now.isoformat() + "Z"},
            "done": done, "task_complete": answers == redundancy if gold else answers >= redundancy,
            "feedback": feedback}


def _tally(task, kind, clean, weight, quality, part, leases):
    """The task's new answer count, redundancy, consensus state and stored result (citizen.campaigns.tally).
    A task whose tally becomes settled (controls.decides: enough independent answers agree, or with min_answers set
    the gold-weighted confidence passes the campaign's threshold) stops there: its redundancy becomes what is given
    plus in flight (volunteers holding it right now may still answer), and its published result keeps the decided
    answer; later answers that would flip it put it under review for moderators (tally.settle)."""
    answers = task.answer_count + 1
    vote = tally.vote_of(weight, part.gold_total, part.gold_correct) if part else 0.0
    state, _result = tally.fold(task.consensus, kind, clean, weight, task.settings, vote, task.device_sig,
                                with_result=False)
    labelled = task.gold is None and bool(kind.answer_labels(task.settings))
    state, newly_decided, _review = tally.settle(state, quality, labelled)
    # A kind may want more answers while volunteers disagree (transcription, up to its maximum).
    redundancy = kind.answers_wanted(state, task.settings, task.redundancy) if task.gold is None else task.redundancy
    if task.gold is None and answers + leases < redundancy and (
            newly_decided or controls.retires(quality, answers, state)):
        redundancy = answers + leases
    return answers, redundancy, state, tally.result_of(kind, state, task.settings)


def _check_caps(conn, quality, task, contributor_id, answered, now):
    """Raise Capped (the transaction then stores nothing) when this answer takes the contributor,
    or the accounts linked to them by device, past the campaign's caps. The counters were just
    incremented under row locks, so two concurrent requests cannot both pass."""
    cap = controls.answer_cap(quality, task.tasks_total, task.redundancy)
    if cap is not None and answered > cap:
        raise Capped()
    if quality["cap_per_day"]:
        since = now.replace(hour=0, minute=0, second=0, microsecond=0)
        if conn.execute(q.ANSWERS_SINCE, {"cid": contributor_id, "camp": task.campaign_id,
                                          "since": since}).scalar() > quality["cap_per_day"]:
            raise Capped(_("That is as many answers as one person may give here today: thank you! "
                           "Come back tomorrow, or help another campaign."))
    if cap is not None and task.device_sig:
        if conn.execute(q.SIGNATURE_COUNTED, {"camp": task.campaign_id, "sig": task.device_sig}).scalar() > cap:
            raise Capped()


def skip_task(task_id, contributor_id):
    """Give a leased task back; it is not handed to this contributor again."""
    conn = _conn()
    task = _locked_task(conn, task_id)
    params = {"cid": contributor_id, "tid": task_id}
    if conn.execute(q.SKIP_LIVE, params).rowcount:
        conn.execute(q.RELEASE, params)
        conn.execute(q.PARTICIPATION_SKIPPED, {"cid": contributor_id, "camp": task.campaign_id, "now": clock.now()})
        return
    if conn.execute(q.SKIP_RELEASED, params).rowcount:
        return
    if conn.execute(q.ASSIGNMENT_STATE, params).scalar() == ANSWERED:
        raise AlreadyAnswered()
    raise NotAssigned()


def release_expired_leases(now=None, limit=500, campaign_id=None):
    """Give the slots of expired leases back to their tasks (of one campaign, given campaign_id). Returns
    how many were released. Runs from next_task at most every RECLAIM_EVERY seconds per process, when a
    campaign seems to have nothing left, and from the CLI."""
    now = now or clock.now()
    query = select(Assignment.task_id, Assignment.contributor_id, Assignment.campaign_id).where(
        Assignment.state == LEASED, Assignment.expires_at <= now)
    if campaign_id is not None:
        query = query.where(Assignment.campaign_id == campaign_id)
    conn = _conn()
    return _release(conn, now, conn.execute(query.order_by(Assignment.task_id).limit(limit)).all(), expired_only=True)


def _release(conn, now, rows, expired_only):
    """Mark these live leases expired and give their slots back (tasks locked first, in id order)."""
    if not rows:
        return 0
    conn.execute(select(Task.id).where(Task.id.in_({r.task_id for r in rows})).order_by(Task.id).with_for_update())
    released = 0
    for r in rows:
        live = [Assignment.contributor_id == r.contributor_id, Assignment.task_id == r.task_id,
                Assignment.state == LEASED]
        if expired_only:
            live.append(Assignment.expires_at <= now)
        moved = conn.execute(update(Assignment).where(*live).values(state=EXPIRED)).rowcount
        if moved:
            conn.execute(q.RELEASE, {"tid": r.task_id})
            conn.execute(update(Participation).where(
                Participation.contributor_id == r.contributor_id, Participation.campaign_id == r.campaign_id)
                .values(leases=Participation.leases - 1))
            released += 1
    return released


def _campaign_id(conn, slug):
    camp = conn.execute(select(Campaign.id).where(Campaign.slug == slug)).scalar()
    if camp is None:
        raise NotFound(_("There is no campaign at this address."))
    return camp


def _live_leases(conn, contributor_id, campaign_id, now, task_ids=None):
    query = select(Assignment.task_id, Assignment.contributor_id, Assignment.campaign_id, Assignment.leased_at).where(
        Assignment.contributor_id == contributor_id, Assignment.campaign_id == campaign_id,
        Assignment.state == LEASED, Assignment.expires_at > now)
    if task_ids is not None:
        query = query.where(Assignment.task_id.in_(task_ids))
    return conn.execute(query.order_by(Assignment.task_id).limit(LIVE_LEASES_READ)).all()


def extend_leases(slug, contributor_id):
    """The volunteer is still there: their live leases in campaign `slug` last LEASE_SECONDS from now, but
    never beyond LEASE_MAX_SECONDS after they were taken (a page left open is not a reservation forever; an
    answer sent after that is still taken while the task has room). Returns how many were extended."""
    conn = _conn()
    cfg = current_app.config
    now = clock.now()
    extended = 0
    for r in _live_leases(conn, contributor_id, _campaign_id(conn, slug), now):
        until = min(now + timedelta(seconds=cfg["LEASE_SECONDS"]),
                    r.leased_at + timedelta(seconds=cfg["LEASE_MAX_SECONDS"]))
        extended += conn.execute(update(Assignment).where(
            Assignment.contributor_id == contributor_id, Assignment.task_id == r.task_id,
            Assignment.state == LEASED, Assignment.expires_at < until).values(expires_at=until)).rowcount
    return extended


def release_leases(slug, contributor_id, task_ids=None):
    """The volunteer left (the work page was hidden or closed): give back their live leases in campaign
    `slug` (those of `task_ids`, or all) at once. Like an expired lease, they may still answer such a task
    while it has room. Returns how many were released."""
    conn = _conn()
    now = clock.now()
    rows = _live_leases(conn, contributor_id, _campaign_id(conn, slug), now, task_ids)
    return _release(conn, now, rows, expired_only=False)


def _maybe_reclaim():
    if time.monotonic() - _last_reclaim[0] < RECLAIM_EVERY:
        return
    _last_reclaim[0] = time.monotonic()
    release_expired_leases()

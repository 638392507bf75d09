"""The hot path's SQL fragments, built once at import as Core statements with bind parameters.

Building a statement and computing its cache key costs SQLAlchemy more than SQLite needs to run it;
these objects are built once and executed many times (see benchmarks/serve.py). Both stores of the hot path
(citizen.campaigns.store) are made of them: the SQLite store runs them one by one, the PostgreSQL store composes
some of them into one statement with data-modifying CTEs (one round trip instead of two or three)."""
from sqlalchemy import bindparam, exists, func, or_, select, text, update
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import ClauseElement

from citizen.accounts.models import Contributor
from citizen.campaigns.models import (ANSWERED, EXPIRED, LEASED, SKIPPED, Answer, Assignment, Campaign,
                                      IdempotentResponse, Participation, SignatureTally, Task)

T, A, AS, P, C, I, ST = (m.__table__ for m in (Task, Answer, Assignment, Participation, Campaign, IdempotentResponse,
                                               SignatureTally))
B = bindparam

CAMPAIGN_BY_SLUG = select(C.c.id, C.c.slug, C.c.kind, C.c.settings, C.c.status, C.c.organisation_id,
                          C.c.tasks_total, C.c.redundancy, C.c.created_at).where(
    C.c.slug == B("slug"))

PARTICIPATION = select(P.c.answer_count, P.c.leases, P.c.cursor, P.c.skip_count, P.c.gold_total,
                       P.c.gold_correct, P.c.training).where(
    P.c.contributor_id == B("cid"), P.c.campaign_id == B("camp"))

# The campaign and this contributor's place in it, in one round trip (cursor is NULL for a newcomer).
# With what next-task checks before taking a lease (citizen.quality.controls.refusal): the contributor's skips and
# gold record, and the answers their device has given in the campaign (the device cap), all in the same round trip.
_DEVICE_ANSWERS = (select(ST.c.answer_count).where(
    ST.c.campaign_id == C.c.id,
    ST.c.signature == select(Contributor.__table__.c.device_sig).where(Contributor.__table__.c.id == B("cid"))
    .scalar_subquery()).scalar_subquery())
CAMPAIGN_AND_PARTICIPATION = (
    select(*CAMPAIGN_BY_SLUG.selected_columns, P.c.answer_count, P.c.leases, P.c.cursor, P.c.skip_count,
           P.c.gold_total, P.c.gold_correct, P.c.training, _DEVICE_ANSWERS.label("device_answers"))
    .outerjoin(P, (P.c.campaign_id == C.c.id) & (P.c.contributor_id == B("cid")))
    .where(C.c.slug == B("slug")))

def _lease_next(excluding, content=False):
    """Pick the first available task after the cursor that this contributor has neither answered
    nor been handed, and take one slot of it, in one statement. On PostgreSQL the pick locks the row
    (FOR UPDATE, re-checked after a wait). Not SKIP LOCKED: that would hide a task another volunteer
    is taking, and a nearly finished campaign would wrongly tell people nothing is left."""
    pick = (select(T.c.id)
            .where(T.c.campaign_id == B("camp"), T.c.available == True, T.c.rand > B("after"),  # noqa: E712
                   ~exists().where(A.c.task_id == T.c.id, A.c.contributor_id == B("cid")),
                   ~exists().where(AS.c.task_id == T.c.id, AS.c.contributor_id == B("cid")))
            .order_by(T.c.rand).limit(1).with_for_update())
    if excluding:
        pick = pick.where(T.c.id.not_in(B("exclude", expanding=True)))
    if content:  # campaigns with rated content only: leave out what this contributor must not be shown
        pick = pick.where(T.c.content_bits.op("&")(B("withheld")) == 0)
    return (update(T).where(T.c.id == pick.scalar_subquery(), T.c.available == True)  # noqa: E712
            .values(lease_count=T.c.lease_count + 1,
                    available=(T.c.answer_count + T.c.lease_count + 1) < T.c.redundancy)
            .returning(T.c.id, T.c.rand, T.c.payload))


# Two forms: an "expanding" IN list is re-rendered on every call, so it is used only when needed.
LEASE_NEXT = _lease_next(excluding=False)
LEASE_NEXT_EXCLUDING = _lease_next(excluding=True)
LEASE_NEXT_CONTENT = _lease_next(excluding=False, content=True)  # citizen.wellbeing.bits
LEASE_NEXT_CONTENT_EXCLUDING = _lease_next(excluding=True, content=True)

# A contributor's live leases in a campaign, oldest first (read only when they are at MAX_LEASES).
HELD_LEASES = (
    select(AS.c.task_id).where(AS.c.contributor_id == B("cid"), AS.c.campaign_id == B("camp"),
                               AS.c.state == LEASED, AS.c.expires_at > B("now"))
    .order_by(AS.c.leased_at, AS.c.task_id).limit(20))

TASK_PAYLOAD = select(T.c.payload).where(T.c.id == B("tid"))

RELEASE = update(T).where(T.c.id == B("tid")).values(
    lease_count=T.c.lease_count - 1,
    available=((T.c.answer_count + T.c.lease_count - 1) < T.c.redundancy) & T.c.gold.is_(None))

# A gold task this contributor has not seen, from a random point of the order, wrapping around in the same
# statement (gold tasks are few and never in the ordinary pool: ordering them all costs little). One statement
# whatever the draw, so handing out gold takes the work an ordinary task does. Its lease is counted like any
# other, so releases balance.
LEASE_GOLD = (
    update(T).where(T.c.id == select(T.c.id).where(
        T.c.campaign_id == B("camp"), T.c.gold.is_not(None), T.c.rand >= 0,  # not a hidden or training task
        ~exists().where(A.c.task_id == T.c.id, A.c.contributor_id == B("cid")),
        ~exists().where(AS.c.task_id == T.c.id, AS.c.contributor_id == B("cid")))
        .order_by(T.c.rand <= B("after"), T.c.rand).limit(1).with_for_update().scalar_subquery())
    .values(lease_count=T.c.lease_count + 1).returning(T.c.id, T.c.rand, T.c.payload))

PARTICIPATION_LEASED = update(P).where(P.c.contributor_id == B("cid"), P.c.campaign_id == B("camp")).values(
    cursor=B("cursor"), leases=P.c.leases + 1, last_at=B("now"))

# With the answering contributor's device signature (for the caps), read in the same round trip.
CONTRIBUTOR_SIGNATURE = (select(Contributor.__table__.c.device_sig)
                         .where(Contributor.__table__.c.id == B("cid")).scalar_subquery())
LOCKED_TASK = (
    select(T.c.id, T.c.campaign_id, T.c.payload, T.c.answer_count, T.c.lease_count, T.c.redundancy,
           T.c.consensus, T.c.gold, C.c.kind, C.c.settings, C.c.status, C.c.tasks_total,
           CONTRIBUTOR_SIGNATURE.label("device_sig"))
    .join(C, C.c.id == T.c.campaign_id).where(T.c.id == B("tid")).with_for_update(of=T))

# The same, with the response stored for this Idempotency-Key if there is one. On PostgreSQL a
# retry that waited for the lock does not see a response committed meanwhile in this join (the
# joined row comes from the statement's snapshot), so the conflict path reads STORED_RESPONSE again.
LOCKED_TASK_AND_RESPONSE = (
    select(*LOCKED_TASK.selected_columns, I.c.status.label("stored_status"), I.c.body.label("stored_body"),
           I.c.fingerprint.label("stored_fingerprint"))
    .join(C, C.c.id == T.c.campaign_id)
    .outerjoin(I, (I.c.contributor_id == B("cid")) & (I.c.key == B("key")))
    .where(T.c.id == B("tid")).with_for_update(of=T))

STORED_RESPONSE = select(I.c.status.label("stored_status"), I.c.body.label("stored_body"),
                         I.c.fingerprint.label("stored_fingerprint")).where(
    I.c.contributor_id == B("cid"), I.c.key == B("key"))


def _move_assignment(from_states, to_state):
    return update(AS).where(AS.c.contributor_id == B("cid"), AS.c.task_id == B("tid"),
                            or_(*(AS.c.state == s for s in from_states))).values(state=to_state)


# Claims return the time the task was handed out: the server measures the answer's duration from it.
CLAIM_LIVE = _move_assignment([LEASED], ANSWERED).returning(AS.c.leased_at)
CLAIM_RELEASED = _move_assignment([EXPIRED, SKIPPED], ANSWERED).returning(AS.c.leased_at)
SKIP_LIVE = _move_assignment([LEASED], SKIPPED)
SKIP_RELEASED = _move_assignment([EXPIRED], SKIPPED)
ASSIGNMENT_STATE = select(AS.c.state).where(AS.c.contributor_id == B("cid"), AS.c.task_id == B("tid"))

def typed(table, keys, **renamed):
    """{column: bind parameter of the column's type} for these columns of `table`, each bound by its own name (or
    by the name `renamed` gives it): the values of an INSERT, or the SELECT list an INSERT ... SELECT takes."""
    return {k: bindparam(renamed.get(k, k), type_=table.c[k].type) for k in keys}


TASK_ANSWERED = update(T).where(T.c.id == B("tid")).values(
    answer_count=B("answers"), lease_count=B("leases"), available=B("available"), consensus=B("consensus"),
    result=B("result"), redundancy=B("redundancy"))

# The answer's values, bound by the names the statements of the hot path share (tid, camp, cid, now): on PostgreSQL
# the task's counters (TASK_ANSWERED) and the answer are written by one statement, whose parameters must not name a
# column of the task that it does not set (SQLAlchemy would add it to the UPDATE).
ANSWER_BINDS = {"task_id": "tid", "campaign_id": "camp", "contributor_id": "cid", "created_at": "now"}
INSERT_ANSWER = A.insert().values(typed(A, ("task_id", "campaign_id", "contributor_id", "value", "duration_ms",
                                            "source", "weight", "revealed", "reason", "prediction_shown",
                                            "created_at"),
                                            **ANSWER_BINDS)
                                  ).returning(A.c.id)


def participation_answered(fast):
    """An answer counted in the contributor's participation; `fast` (0 or 1) adds to their fast answers."""
    return (
        update(P).where(P.c.contributor_id == B("cid"), P.c.campaign_id == B("camp"))
        .values(answer_count=P.c.answer_count + 1, leases=P.c.leases - B("lease_used"), last_at=B("now"),
                fast_count=P.c.fast_count + fast, gold_total=P.c.gold_total + B("gold"),
                gold_correct=P.c.gold_correct + B("gold_correct"))
        .returning(P.c.answer_count, P.c.fast_count, P.c.gold_total, P.c.gold_correct, P.c.skip_count,
                   P.c.training))


PARTICIPATION_ANSWERED = participation_answered(B("fast"))

# Linked accounts (one device signature) share one count per campaign, for the caps.
SIGNATURE_COUNTED = text(
    "INSERT INTO signature_tally (campaign_id, signature, answer_count) VALUES (:camp, :sig, 1) "
    "ON CONFLICT (campaign_id, signature) DO UPDATE SET answer_count = signature_tally.answer_count + 1 "
    "RETURNING answer_count")

ANSWERS_SINCE = select(func.count()).select_from(A).where(
    A.c.contributor_id == B("cid"), A.c.campaign_id == B("camp"), A.c.created_at >= B("since"))

PARTICIPATION_SKIPPED = update(P).where(P.c.contributor_id == B("cid"), P.c.campaign_id == B("camp")).values(
    leases=P.c.leases - 1, skip_count=P.c.skip_count + 1, last_at=B("now"))

# `n` is 1, or 0 for a gold task: the same statement either way, so a gold answer does the same work as any other.
CAMPAIGN_TASK_DONE = update(C).where(C.c.id == B("camp")).values(tasks_done=C.c.tasks_done + B("n"))

INSERT_RESPONSE = I.insert()

class _DoNothing(ClauseElement):
    """ON CONFLICT DO NOTHING, without a target: SQLite (3.24+) and PostgreSQL share the words, and either
    dialect's compiler renders it. Unlike the dialects' own `on_conflict_do_nothing()`, which SQLAlchemy 2.0
    does not cache (it would compile the statement again on every call), it has a cache key: it has no parts."""
    __visit_name__ = "on_conflict_do_nothing"
    _traverse_internals = []
    constraint_target = inferred_target_elements = inferred_target_whereclause = None


class InsertIgnoring(Insert):
    """INSERT ... ON CONFLICT DO NOTHING: a row that breaks a unique constraint is not written (rowcount 0;
    RETURNING gives nothing), on either database; cached like any other Core statement. Make it with `ignoring`."""
    inherit_cache = True
    _post_values_clause = _DoNothing()


def ignoring(table):
    """INSERT ... ON CONFLICT DO NOTHING into `table`, whose rowcount says whether the row was written: "inline"
    (SQLAlchemy adds no RETURNING of the new row's key, as it would on PostgreSQL for a table with a generated key)
    and with its rowcount kept (SQLAlchemy keeps an INSERT's only when asked: it is -1 otherwise on PostgreSQL)."""
    return InsertIgnoring(table).inline().execution_options(preserve_rowcount=True)


_IGNORING = {}


def insert_ignoring(table, keys):
    """INSERT ... ON CONFLICT DO NOTHING of the given columns, each bound by its own name; built once per
    (table, columns)."""
    key = (table.name, tuple(keys))
    if key not in _IGNORING:
        _IGNORING[key] = ignoring(table).values(typed(table, keys))
    return _IGNORING[key]


LEASE_VALUES = ("contributor_id", "task_id", "campaign_id", "state", "leased_at", "expires_at")
# The lease's values, bound as the statements of the hot path name them.
LEASE_BINDS = {"contributor_id": "cid", "task_id": "tid", "campaign_id": "camp", "leased_at": "now"}
INSERT_LEASE = ignoring(AS).values(typed(AS, LEASE_VALUES, **LEASE_BINDS))

PARTICIPATION_UNLEASED = update(P).where(P.c.contributor_id == B("cid"), P.c.campaign_id == B("camp")).values(
    leases=P.c.leases - 1)

# The kind and settings of a task's campaign, read without a lock: an answer's size is checked against its
# kind's limits (Kind.check_limits) before the task row is locked.
TASK_KIND = select(C.c.kind, C.c.settings).select_from(T.join(C, C.c.id == T.c.campaign_id)).where(T.c.id == B("tid"))

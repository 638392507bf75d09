"""The hot path's SQL, built once at import as Core statements with bind parameters.

Building a statement and computing its cache key costs SQLAlchemy more than SQLite needs to run it;
these objects are built once and executed many times (see benchmarks/serve.py)."""
from sqlalchemy import bindparam, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite

from citizen.campaigns.models import (ANSWERED, EXPIRED, LEASED, SKIPPED, Answer, Assignment, Campaign,
                                      IdempotentResponse, Participation, Task)

T, A, AS, P, C, I = (m.__table__ for m in (Task, Answer, Assignment, Participation, Campaign, IdempotentResponse))
B = bindparam
SCAN = 4  # candidates fetched per scan: several, in case others lease the first one meanwhile

CAMPAIGN_BY_SLUG = select(C.c.id, C.c.slug, C.c.kind, C.c.settings, C.c.status, C.c.organisation_id).where(
    C.c.slug == B("slug"))

PARTICIPATION = select(P.c.answer_count, P.c.leases, P.c.cursor).where(
    P.c.contributor_id == B("cid"), P.c.campaign_id == B("camp"))

CANDIDATES = (
    select(T.c.id, T.c.rand)
    .where(T.c.campaign_id == B("camp"), T.c.available == True, T.c.rand > B("after"),  # noqa: E712
           T.c.id.not_in(B("exclude", expanding=True)),
           ~exists().where(A.c.task_id == T.c.id, A.c.contributor_id == B("cid")),
           ~exists().where(AS.c.task_id == T.c.id, AS.c.contributor_id == B("cid")))
    .order_by(T.c.rand).limit(SCAN))

HELD_LEASE = (
    select(AS.c.task_id).where(AS.c.contributor_id == B("cid"), AS.c.campaign_id == B("camp"),
                               AS.c.state == LEASED, AS.c.expires_at > B("now"),
                               AS.c.task_id.not_in(B("exclude", expanding=True)))
    .order_by(AS.c.leased_at).limit(1))

TASK_PAYLOAD = select(T.c.payload).where(T.c.id == B("tid"))

LEASE = (update(T).where(T.c.id == B("tid"), T.c.available == True)  # noqa: E712
         .values(lease_count=T.c.lease_count + 1,
                 available=(T.c.answer_count + T.c.lease_count + 1) < T.c.redundancy)
         .returning(T.c.payload))

RELEASE = update(T).where(T.c.id == B("tid")).values(
    lease_count=T.c.lease_count - 1, available=(T.c.answer_count + T.c.lease_count - 1) < T.c.redundancy)

PARTICIPATION_LEASED = update(P).where(P.c.contributor_id == B("cid"), P.c.campaign_id == B("camp")).values(
    cursor=B("cursor"), leases=P.c.leases + 1, last_at=B("now"))

LOCKED_TASK = (
    select(T.c.id, T.c.campaign_id, T.c.payload, T.c.answer_count, T.c.lease_count, T.c.redundancy,
           T.c.consensus, C.c.kind, C.c.settings, C.c.status)
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
                            AS.c.state.in_(from_states)).values(state=to_state)


CLAIM_LIVE = _move_assignment([LEASED], ANSWERED)
CLAIM_RELEASED = _move_assignment([EXPIRED, SKIPPED], ANSWERED)
SKIP_LIVE = _move_assignment([LEASED], SKIPPED)
SKIP_RELEASED = _move_assignment([EXPIRED], SKIPPED)
ASSIGNMENT_STATE = select(AS.c.state).where(AS.c.contributor_id == B("cid"), AS.c.task_id == B("tid"))

TASK_ANSWERED = update(T).where(T.c.id == B("tid")).values(
    answer_count=B("answers"), lease_count=B("leases"), available=B("available"), consensus=B("consensus"))

INSERT_ANSWER = A.insert().returning(A.c.id)

PARTICIPATION_ANSWERED = (
    update(P).where(P.c.contributor_id == B("cid"), P.c.campaign_id == B("camp"))
    .values(answer_count=P.c.answer_count + 1, leases=P.c.leases - B("lease_used"), last_at=B("now"))
    .returning(P.c.answer_count))

PARTICIPATION_SKIPPED = update(P).where(P.c.contributor_id == B("cid"), P.c.campaign_id == B("camp")).values(
    leases=P.c.leases - 1, skip_count=P.c.skip_count + 1, last_at=B("now"))

CAMPAIGN_TASK_DONE = update(C).where(C.c.id == B("camp")).values(tasks_done=C.c.tasks_done + 1)

INSERT_RESPONSE = I.insert()

_IGNORING = {}


def insert_ignoring(table, dialect):
    """INSERT ... ON CONFLICT DO NOTHING for this dialect, built once per (table, dialect)."""
    key = (table.name, dialect)
    if key not in _IGNORING:
        module = postgresql if dialect == "postgresql" else sqlite
        _IGNORING[key] = module.insert(table).on_conflict_do_nothing()
    return _IGNORING[key]

"""The hot path's store for PostgreSQL: the shared fragments of citizen.campaigns.hot_sql composed with
data-modifying CTEs, so that a lease is one statement instead of two and an answer with its counters and stored
response one instead of three. All the parts of one statement see the same snapshot; each part's RETURNING is what
the others read of it."""
from sqlalchemy import Integer, case, exists, func, insert, literal, literal_column, or_, select, true

from citizen.campaigns import hot_sql as q
from citizen.campaigns.store.base import AtLeaseLimit, Store

B, AS, I, P = q.B, q.AS, q.I, q.P


def _count(cte):
    return select(func.count()).select_from(cte).scalar_subquery()


def _held_already():
    return exists().where(AS.c.contributor_id == B("cid"), AS.c.task_id == B("tid"))


# The contributor's lease count moves first, only while it is below MAX_LEASES (`max`) and the task was not handed to
# them already (another tab): concurrent requests of one contributor queue on the participation row and each sees
# the count the others left (PostgreSQL re-checks the WHERE of an UPDATE after waiting), so no race takes more leases
# than that. The assignment is written only if the count moved. `taken`: this contributor held the task already
# (nothing written); `counted` 0 otherwise: at the limit (nothing written); `held` 0 with `counted` 1: a concurrent
# tab wrote it in between (the caller gives the count back and stops looking: it holds the participation row).
# Parameters: those of INSERT_LEASE and PARTICIPATION_LEASED (cid, tid, camp, state, now, expires_at, cursor) and `max`.
_counted = (q.PARTICIPATION_LEASED.where(P.c.leases < B("max", type_=Integer), ~_held_already())
            .returning(P.c.leases).cte("p"))
_lease = select(*q.typed(AS, q.LEASE_VALUES, **q.LEASE_BINDS).values()).where(exists(select(_counted)))
_held = q.ignoring(AS).from_select(q.LEASE_VALUES, _lease).returning(AS.c.task_id).cte("held")
HOLD = select(_count(_counted).label("counted"), _count(_held).label("held"), _held_already().label("taken"))

# A live lease claimed and the volunteer's counters moved, in one round trip; `claimed` is 0 when there was
# no live lease (the caller then takes the slower path for expired or skipped ones, or refuses).
# The answer counts as fast when the client says so (`client_fast`) or when the lease was taken after `fast_after`
# (now minus the campaign's minimum time): the server's own measure, so leaving out duration_ms gains nothing.
_claimed = q.CLAIM_LIVE.cte("claimed")
_leased_at = select(_claimed.c.leased_at).scalar_subquery()
_part = (q.participation_answered(case((or_(B("client_fast", type_=Integer) == 1, _leased_at > B("fast_after")), 1),
                                       else_=0))
         .where(exists(select(_claimed))).cte("part"))
_one = select(literal_column("1")).subquery("one")
CLAIM_AND_COUNT = (select(_count(_claimed).label("claimed"), _leased_at.label("leased_at"),
                          *(_part.c[k] for k in ("answer_count", "fast_count", "gold_total", "gold_correct",
                                                 "skip_count", "training")))
                   .select_from(_one.outerjoin(_part, true())))

# The task's counters and the answer; with the response kept for the Idempotency-Key, the body is sent without the
# answer's id, which the database writes into it (jsonb_set) as it stores both.
STORE_ANSWER = q.INSERT_ANSWER.add_cte(q.TASK_ANSWERED.cte("t"))
_answer = q.INSERT_ANSWER.cte("a")
_stored = q.typed(I, ("contributor_id", "key", "fingerprint", "status", "body", "created_at"), contributor_id="cid",
                  created_at="now")
_stored["status"] = literal(201, I.c.status.type)
_stored["body"] = func.jsonb_set(_stored["body"], literal_column("'{answer,id}'"), func.to_jsonb(_answer.c.id),
                                 type_=I.c.body.type)
STORE_ANSWER_AND_RESPONSE = (
    insert(I).from_select(list(_stored), select(*_stored.values()).select_from(_answer))
    .add_cte(q.TASK_ANSWERED.cte("t"))
    .returning(I.c.body[("answer", "id")].as_integer().label("id")))


class PostgreSQLStore(Store):
    def hold(self, conn, lease, max_leases):
        held = conn.execute(HOLD, {**lease, "max": max_leases}).one()
        if held.held:
            return True
        conn.execute(q.RELEASE, lease)
        if held.taken:  # another tab of this contributor got it first: look further
            return False
        if held.counted:  # ... in between: give the count back and stop (this request holds the participation row)
            conn.execute(q.PARTICIPATION_UNLEASED, lease)
        raise AtLeaseLimit()  # or a concurrent request of this contributor took the last lease allowed

    def claim_live_and_count(self, conn, counts):
        row = conn.execute(CLAIM_AND_COUNT, {**counts, "lease_used": 1}).one()
        return row if row.claimed else None

    def store_answer(self, conn, row, body, response):
        if response:
            return conn.execute(STORE_ANSWER_AND_RESPONSE, {**row, **response, "body": body}).scalar_one()
        return conn.execute(STORE_ANSWER, row).scalar_one()

"""The hot path's store for SQLite: the shared fragments, run one by one. SQLite serialises writers (BEGIN
IMMEDIATE, see citizen.extensions.tune_sqlite), so nothing comes between them. It runs on any database that has
INSERT ... ON CONFLICT DO NOTHING and RETURNING."""
from citizen.campaigns import hot_sql as q
from citizen.campaigns.store.base import Store


class SQLiteStore(Store):
    def hold(self, conn, lease, max_leases):
        # The contributor's own requests are serialised with every other writer: their lease count cannot move
        # in between, and the caller checked it against max_leases before choosing.
        if not conn.execute(q.INSERT_LEASE, lease).rowcount:
            conn.execute(q.RELEASE, lease)
            return False
        conn.execute(q.PARTICIPATION_LEASED, lease)
        return True

    def claim_live_and_count(self, conn, counts):
        return None  # two statements here: the caller's general path is as short

    def store_answer(self, conn, row, body, response):
        conn.execute(q.TASK_ANSWERED, row)
        body["answer"]["id"] = answer_id = conn.execute(q.INSERT_ANSWER, row).scalar_one()
        if response:
            conn.execute(q.INSERT_RESPONSE, {"contributor_id": row["cid"], "status": 201, "body": body,
                                             "created_at": row["now"], **response})
        return answer_id

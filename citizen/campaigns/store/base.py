"""What a store of the hot path does (citizen.campaigns.store)."""
from typing import Protocol


class AtLeaseLimit(Exception):
    """The contributor reached MAX_LEASES while this request was choosing a task (PostgreSQL, concurrent tabs)."""


class Store(Protocol):
    def hold(self, conn, lease, max_leases):
        """Record the lease of a task just taken and move the contributor's cursor; `lease` holds the parameters of
        hot_sql.INSERT_LEASE and hot_sql.PARTICIPATION_LEASED (cid, tid, camp, state, now, expires_at, cursor).
        True when held; False (and the task's slot given back) when the same contributor, in another tab, got it
        first. Raises AtLeaseLimit (and gives the slot back) when the contributor's live leases reached
        `max_leases` meanwhile."""

    def claim_live_and_count(self, conn, counts):
        """Claim this contributor's live lease of the task and count the answer in their participation, in one
        statement (`counts`: the parameters of hot_sql.CLAIM_LIVE and hot_sql.participation_answered, with
        `client_fast` and `fast_after` for the fast count): a row (claimed, leased_at, and the participation's
        answer_count, fast_count, gold_total, gold_correct, skip_count, None without a participation), or None,
        having changed nothing, when there was no live lease or the store cannot do it in one statement: the caller
        then takes the general path."""

    def store_answer(self, conn, row, body, response):
        """Write the task's new counters and the answer (`row`: the parameters of hot_sql.TASK_ANSWERED and
        hot_sql.INSERT_ANSWER) and, given `response` (its `key` and `fingerprint`), the response `body` for the
        Idempotency-Key, which gets the new answer's id; returns that id."""

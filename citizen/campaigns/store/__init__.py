"""The hot path's store: the writes of the volunteer loop that one database does in fewer round trips than another.

The volunteer loop is bound by round trips (each one a wake-up of a database backend and of the worker). Where
PostgreSQL can do in one statement what takes SQLite several (data-modifying WITH clauses), the scheduler asks the
store of its engine, chosen once per engine (`of`), instead of testing the dialect:

- `SQLiteStore` (citizen.campaigns.store.sqlite) runs the shared fragments of citizen.campaigns.hot_sql one by one
  (SQLite serialises writers, so nothing can come between them);
- `PostgreSQLStore` (citizen.campaigns.store.postgresql) composes the same fragments into one statement each.

Both do the same thing and leave the same rows, and neither asks what the task is: a gold task takes the same
statements as any other. The statements are built once, at import, and SQLAlchemy caches their compiled form
(tests/test_store.py)."""
import weakref

from citizen.campaigns.store.base import AtLeaseLimit, Store
from citizen.campaigns.store.postgresql import PostgreSQLStore
from citizen.campaigns.store.sqlite import SQLiteStore

__all__ = ["AtLeaseLimit", "PostgreSQLStore", "SQLiteStore", "Store", "of"]


_BY_DIALECT = {"postgresql": PostgreSQLStore}
_stores = weakref.WeakKeyDictionary()


def of(conn):
    """The store of this connection's engine, made at its first use."""
    engine = conn.engine
    store = _stores.get(engine)
    if store is None:
        store = _stores[engine] = _BY_DIALECT.get(engine.dialect.name, SQLiteStore)()
    return store

"""citizen.campaigns.store: the hot path's store is chosen once per engine, its statements are Core statements that
SQLAlchemy compiles once and caches, and no parameter of the hot path slips a column into a statement."""
from sqlalchemy import event
from sqlalchemy.engine.default import CACHE_HIT
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.selectable import Select

from citizen import clock
from citizen.accounts import services as accounts
from citizen.campaigns import hot_sql, store as stores
from citizen.campaigns.store import postgresql as pg_store
from citizen.extensions import db
from tests.helpers import guest_at, skip, submit, take

# Statements built per call from the keys of the values given (any column named is meant to be written).
_BY_KEYS = {"INSERT_RESPONSE"}


def _statements():
    out = {}
    for module in (hot_sql, pg_store):
        for name, value in vars(module).items():
            if isinstance(value, (UpdateBase, Select)) and name.isupper() and name not in _BY_KEYS:
                out[f"{module.__name__}.{name}"] = value
    return out


def release(client, slug, who):
    headers, env = who
    return client.post(f"/api/v1/campaigns/{slug}/leases/release", headers=headers, environ_base=env, json={})


def test_the_store_is_chosen_once_per_engine(app):
    with app.app_context():
        store = stores.of(db.session.connection())
        assert stores.of(db.session.connection()) is store
        expected = stores.PostgreSQLStore if db.engine.dialect.name == "postgresql" else stores.SQLiteStore
        assert type(store) is expected


def test_no_parameter_of_the_hot_path_adds_a_column_to_a_statement(app, client, make_campaign):
    """SQLAlchemy writes a column into an INSERT or UPDATE (one inside a WITH clause too) whenever a parameter given
    at execution bears its name. The hot path passes its parameters in a few shared dicts: every statement of the
    store, as the volunteer loop runs it, must compile to the same SQL with the parameters it is given as without."""
    statements = _statements()
    assert {"citizen.campaigns.store.postgresql.HOLD", "citizen.campaigns.hot_sql.INSERT_LEASE"} <= set(statements)
    ours = {id(s) for s in statements.values()}
    run = {}

    def record(_conn, statement, multiparams, params, _options):
        if id(statement) in ours:
            for given in (multiparams or [params]):
                run.setdefault(id(statement), (statement, set()))[1].update(given or ())
    c = make_campaign(tasks=6)
    event.listen(db.engine, "before_execute", record)
    try:
        who = guest_at(client, "198.51.100.50")
        first = take(client, c.slug, who).get_json()["id"]
        assert submit(client, first, who=who, duration_ms=4000).status_code == 201  # with an Idempotency-Key
        headers, env = who
        second = take(client, c.slug, who).get_json()["id"]
        assert client.post(f"/api/v1/tasks/{second}/answers", headers=headers, environ_base=env,
                           json={"value": "no", "duration_ms": 4000}).status_code == 201
        third = take(client, c.slug, who).get_json()["id"]
        assert skip(client, third, who).status_code == 200
        fourth = take(client, c.slug, who).get_json()["id"]
        assert release(client, c.slug, who).status_code == 200
        assert submit(client, fourth, who=who, duration_ms=4000).status_code == 201  # on a lease given back
        assert submit(client, fourth, who=who, duration_ms=4000).status_code == 409
        for _ in range(3):
            take(client, c.slug, who)  # up to MAX_LEASES, then the oldest lease again
    finally:
        event.remove(db.engine, "before_execute", record)
    names = {name for name, s in statements.items() if id(s) in {i for i in run}}
    assert {"citizen.campaigns.hot_sql.TASK_ANSWERED", "citizen.campaigns.hot_sql.RELEASE"} <= names \
        or {"citizen.campaigns.store.postgresql.HOLD", "citizen.campaigns.store.postgresql.STORE_ANSWER"} <= names
    dialect = db.engine.dialect
    for statement, keys in run.values():
        assert str(statement.compile(dialect=dialect, column_keys=sorted(keys))) == \
            str(statement.compile(dialect=dialect)), (statement, keys)


def test_the_volunteer_loop_runs_compiled_statements_from_the_cache(app, client, make_campaign):
    """Every statement of a next-task and an answer, the second time round, comes compiled from SQLAlchemy's cache
    (a statement SQLAlchemy cannot cache would be compiled again on every request)."""
    c = make_campaign(tasks=6)
    for i in range(2):  # warm: each statement, with each set of parameters, compiled once
        who = guest_at(client, f"198.51.100.{60 + i}")
        assert submit(client, take(client, c.slug, who).get_json()["id"], who=who, duration_ms=4000).status_code == 201
    seen = []

    def record(_conn, _cursor, statement, _params, context, _many):
        seen.append((context.cache_hit, " ".join(statement.split())[:80]))
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        who = guest_at(client, "198.51.100.70")
        seen.clear()  # the guest's creation is not the loop
        take(client, c.slug, who)  # joins the campaign: the newcomer's path
        tid = take(client, c.slug, who).get_json()["id"]
        assert submit(client, tid, who=who, duration_ms=4000).status_code == 201
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len(seen) > 10 and [s for hit, s in seen if hit != CACHE_HIT] == []


def test_an_insert_ignoring_tells_whether_it_wrote_the_row(app, make_campaign):
    """Callers count on the rowcount (a view of sensitive content counted once; a lease taken once): 1, then 0."""
    c = make_campaign(tasks=1)
    cid = accounts.create_guest()[0].id
    now = clock.now()
    values = {"contributor_id": cid, "campaign_id": c.id, "cursor": 0.5, "answer_count": 0, "skip_count": 0,
              "leases": 0, "first_at": now, "last_at": now}
    statement = hot_sql.insert_ignoring(hot_sql.P, values)
    assert [db.session.execute(statement, values).rowcount for _ in range(2)] == [1, 0]
    db.session.rollback()

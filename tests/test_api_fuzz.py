"""API fuzzing (issue 10): schemathesis generates requests from /api/v1/openapi.json and every answer must
conform to that document: no 5xx, a documented status, the documented content type and body (every error is
`{"code", "message", "details"?}`).

The app is the real one on the test database, seeded with a published campaign of each kind (tasks leased to
the callers, so that answers, skips, reveals, flags and reports reach the services), two drafts, an organiser's
API token and a guest token. Path parameters are drawn from what the document allows and from the seeded slugs
and task ids; a few bodies the document leaves open are drawn from what the services read. Each operation runs
as the organiser, a guest and an anonymous caller with data valid by the document, and as the organiser and a
guest with data invalid by it (the API must answer 4xx with the error body). What generated data seldom holds
(NUL characters, NaN, deep nesting, integers past int4) is sent on purpose, and on SQLite the database refuses
what PostgreSQL would refuse, so that the 500s PostgreSQL alone would give show here too.

Bounded and reproducible: a fixed number of examples per run, derandomized, no example database.
CITIZEN_FUZZ_SCALE=10 explores ten times as far (when hunting bugs, not in CI).
"""
import json
import math
import os
import re
import shutil
from urllib.parse import quote

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                               response_schema_conformance, status_code_conformance)
from sqlalchemy import event, select, update

from citizen import create_app
from citizen.accounts import services as accounts
from citizen.api.openapi import spec
from citizen.config import Defaults
from citizen.kinds.registry import load_kinds
from citizen.campaigns import services as campaigns
from citizen.campaigns.models import Campaign, Task
from citizen.extensions import db
from citizen.talk import services as talk
from tests.conftest import PG_URL, QUESTION, _empty_postgres, base_config
from tests.pdf_samples import make_pdf
from tests.test_map_kinds import AREA, TILES, photo_zip
from tests.helpers import alert_channel
from tests.test_moderation import PHOTOS

# One worker: on PostgreSQL this module's tests share the database `seeded` fills once.
pytestmark = pytest.mark.xdist_group("api-fuzz")

API = "/api/v1"
PATHS = spec(load_kinds(Defaults.KINDS))["paths"]  # the document as served: with the kinds' own routes
OPERATIONS = [(method.upper(), path) for path, item in PATHS.items() for method in item]
OPTIONAL_SECURITY = ([], [{}, {"bearer": []}])


def _constrained(method, path, beyond_path=False):
    """Whether invalid data can be made for this operation: a body, a parameter that is not any string, or
    a token the operation requires (left out). With beyond_path, what remains once the path is fixed."""
    op = PATHS[path][method.lower()]
    params = [p for p in op.get("parameters", []) if not (beyond_path and p["in"] == "path")]
    return ("requestBody" in op or op.get("security") not in OPTIONAL_SECURITY
            or any(p["schema"].get("type") != "string" for p in params))


# Every operation as the organiser, a guest and an anonymous caller with data valid by the document; then as
# the organiser and a guest with invalid data wherever the document constrains something.
RUNS = ([(m, p, role, GenerationMode.POSITIVE) for m, p in OPERATIONS for role in ("organiser", "guest", "anonymous")]
        + [(m, p, role, GenerationMode.NEGATIVE) for m, p in OPERATIONS if _constrained(m, p)
           for role in ("organiser", "guest")])
SCALE = float(os.environ.get("CITIZEN_FUZZ_SCALE", "1"))
MAX_EXAMPLES = {GenerationMode.POSITIVE: int(25 * SCALE), GenerationMode.NEGATIVE: int(15 * SCALE)}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


# --- the seeded world ------------------------------------------------------------------------------------

def seed(app):
    """Campaigns of every kind with tasks, a draft, an organiser and a guest holding leases: ids and tokens."""
    org = accounts.get_or_create_organisation("fuzz-org", "Fuzz Org")
    organiser = accounts.register_user("organiser@example.org", "Olga Organiser", "password123")
    accounts.grant(organiser, org, "organiser")
    db.session.commit()
    alert_channel(org)  # the search campaign's answers escalate: an alert channel that works
    made = []

    def make(kind, settings_, source, publish=True, **fields):
        c = campaigns.create_campaign(org.id, organiser, {"title": f"Fuzz {kind}", "kind": kind, "redundancy": 2,
                                                          "settings": settings_, **fields})
        if source:
            campaigns.import_tasks(c, *source)
        if publish:
            campaigns.publish(c)
        db.session.commit()
        made.append(c.slug)
        return c

    rows = [{"external_id": f"q{i}", "text": f"Roof {i}"} for i in range(6)]
    make("question", QUESTION, ("tasks.json", json.dumps(rows)))
    make("deforestation", TILES, ("area.geojson", json.dumps(AREA).encode()))
    make("damage", {}, photo_zip(2))
    make("transcription", {"fields": "name | Name | text | |\namount | Amount | money | |"}, ("a.pdf", make_pdf(2)))
    make("search", {}, ("photos.json", json.dumps(PHOTOS)))
    make("question", QUESTION, ("tasks.json", json.dumps(rows[:2])), publish=False)  # a draft with tasks
    make("question", QUESTION, None, publish=False)  # a draft without: publish answers 409
    field = make("field", {"photos_min": 0, "proposals": True},
                 ("sites.csv", b"name,lat,lon\nBin 1,36.2,36.16\nBin 2,36.201,36.161\n"))
    tokens = {"organiser": accounts.create_api_token(organiser)}
    db.session.commit()
    client = app.test_client()
    tokens["guest"] = client.post(f"{API}/guests").get_json()["token"]
    # Leases, so that answers, skips, reveals, flags and reports reach the services; with each leased task,
    # answers its kind takes (the options it lists, or a transcription's fields).
    leases = {"organiser": [], "guest": []}
    for role in leases:
        for slug in made[:5]:
            for _ in range(2):
                r = client.get(f"{API}/campaigns/{slug}/tasks/next",
                               headers={"Authorization": f"Bearer {tokens[role]}"})
                assert r.status_code == 200, r.get_data(as_text=True)
                task = r.get_json()
                values = task.get("options") or [{"fields": {"name": "Amina Diallo", "amount": "12.50"}}]
                leases[role].append((task["id"], values))
    task_ids = list(db.session.execute(select(Task.id).order_by(Task.id)).scalars())
    questions = list(db.session.execute(select(Task.id).join(Campaign).where(Campaign.slug == made[0])).scalars())
    # Discussion posts, so that reports and hiding reach the services (a volunteer's account wrote them).
    volunteer = accounts.register_user("volunteer@example.org", "Val Volunteer", "password123")
    first = db.session.execute(select(Campaign).where(Campaign.slug == made[0])).scalar_one()
    post_ids = [talk.write(first, task, volunteer, {"body": f"Post {i} about **this**"}).id
                for i, task in enumerate([None, db.session.get(Task, questions[0]), None])]
    db.session.commit()
    from citizen.kinds.field.models import FieldProposal  # a proposed site to confirm
    db.session.add(FieldProposal(campaign_id=field.id, contributor_id=None, key="seed", name="New bin", lat=36.205,
                                 lon=36.17, accuracy=5, status="proposed", confirmations=0))
    db.session.commit()
    field_tasks = list(db.session.execute(select(Task.id).where(Task.campaign_id == field.id)).scalars())
    return {"slugs": made, "task_ids": task_ids, "tokens": tokens, "leases": leases, "questions": questions,
            "post_ids": post_ids, "field": {"slug": field.slug, "task_ids": field_tasks}}


@pytest.fixture(scope="module")
def seeded(database_template, tmp_path_factory):
    """Seed once per module. SQLite: into a copy of the migrated template, which each test copies again.
    PostgreSQL: into the one test database (emptied first), which this module's tests then share."""
    tmp = tmp_path_factory.mktemp("fuzz")
    uri = PG_URL or "sqlite:///" + str(tmp / "seeded.db")
    if not PG_URL:
        shutil.copy(database_template, tmp / "seeded.db")
    app = create_app(base_config(tmp, uri))
    if PG_URL:
        _empty_postgres(app)
    with app.app_context():
        data = seed(app)
        db.session.remove()
        db.engine.dispose()  # SQLite: closing writes everything into the file the tests copy
    yield app, tmp, data
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


INT4 = range(-2**31, 2**31)


def refuse_what_postgresql_refuses(conn, cursor, statement, parameters, context, executemany):
    """On SQLite, fail as PostgreSQL would (a 500 there): text with NUL characters (text and jsonb refuse them)
    and integers beyond the int4 columns. The fuzzing runs on SQLite; CI also runs it on PostgreSQL."""
    rows = parameters if executemany else [parameters]
    for row in rows:
        for value in (row.values() if isinstance(row, dict) else row or ()):
            if isinstance(value, str) and ("\x00" in value or "\\u0000" in value):
                raise ValueError(f"PostgreSQL refuses NUL in text: {statement[:80]!r}")
            if isinstance(value, int) and not isinstance(value, bool) and value not in INT4:
                raise ValueError(f"PostgreSQL int4 overflow ({value}): {statement[:80]!r}")


@pytest.fixture
def world(seeded, make_app, tmp_path):
    """(app, seeded ids and tokens), the app failing as PostgreSQL would on what PostgreSQL refuses."""
    app, tmp, data = seeded
    if not PG_URL:
        shutil.copy(tmp / "seeded.db", tmp_path / "fuzz.db")
        app = make_app(SQLALCHEMY_DATABASE_URI="sqlite:///" + str(tmp_path / "fuzz.db"),
                       MEDIA_FOLDER=str(tmp / "media"))
    with app.app_context():
        if not event.contains(db.engine, "before_cursor_execute", refuse_what_postgresql_refuses):
            event.listen(db.engine, "before_cursor_execute", refuse_what_postgresql_refuses)
    return app, data


# --- the fuzzing -----------------------------------------------------------------------------------------

# Arbitrary JSON, and the settings the kinds, quality controls, wellbeing and moderation read, each either
# plausible or arbitrary: the document leaves settings a free object, so without these keys the generator
# would seldom name one.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=6)
PLAUSIBLE = {
    "question": "Is there a boat?", "options": ["Yes", "No"], "guidance": "Look closely",
    "fields": "name | Name | text | |\namount | Amount | money | |", "agree": 2, "max_answers": 4,
    "date_order": "dmy", "decimal_mark": ",", "unit": "EUR", "min_support": 2,
    "tiles_after": "/tiles/demo/forest-after/{z}/{x}/{y}.png",
    "tiles_before": "/tiles/demo/forest-before/{z}/{x}/{y}.png",
    "cell_km": 1, "attribution": "<a href='https://example.org'>Imagery</a>",
    "quality": {"cap_answers": 10, "gold_start": 2, "min_ms": 500, "confidence": 0.8},
    "wellbeing": {"level": "graphic", "categories": ["injury"], "custom_label": "burns", "flag_threshold": 2,
                  "resources": "[Help](https://example.org)"},
    "escalate_on": ["Yes"], "outcome": "The results go to the coastguard.",
}
SETTINGS = st.dictionaries(st.sampled_from(sorted(PLAUSIBLE)), st.just(None), max_size=len(PLAUSIBLE)).flatmap(
    lambda keys: st.fixed_dictionaries({k: st.just(PLAUSIBLE[k]) | JSON_VALUES for k in keys}))


def strategy(operation, mode, role, data):
    """Cases by the document, as many again with path parameters taken from the seeded world, and for a few
    operations, bodies the document does not spell out: valid answers to tasks the caller holds (so that the
    stored path is walked too), answers to import, campaign settings under the names the services read."""
    generated = operation.as_strategy(generation_mode=mode)
    options = [generated]
    names = {p.name for p in operation.path_parameters}
    pools = {"slug": data["slugs"] + ["no-such-campaign"],
             "task_id": data["task_ids"] + [2**31 - 1, 2**31, 2**63],
             "post_id": data["post_ids"] + [2**31 - 1, 2**31],
             "proposal_id": [1, 2, 2**31 - 1], "upload_id": ["0123456789abcdef", "upload-1234-abcd"]}
    if names and (mode is GenerationMode.POSITIVE
                  or _constrained(operation.method.upper(), operation.path, beyond_path=True)):
        # (negative data with the path fixed needs something else left to make invalid)
        known = st.fixed_dictionaries({n: st.sampled_from(pools[n]) for n in names})
        options.append(known.flatmap(lambda p: operation.as_strategy(generation_mode=mode, path_parameters=p)))
    if mode is GenerationMode.NEGATIVE:
        return st.one_of(options)
    label = f"{operation.method.upper()} {operation.path}"
    if label == "POST /tasks/{task_id}/answers" and role in data["leases"]:
        options.append(st.sampled_from(data["leases"][role]).flatmap(lambda held: st.fixed_dictionaries({
            "value": st.sampled_from(held[1]), "duration_ms": st.integers(0, 2**31 - 1)}).flatmap(
            lambda body: operation.as_strategy(path_parameters={"task_id": held[0]}, body=body))))
    elif label == "POST /campaigns/{slug}/answers/import":
        answer = st.fixed_dictionaries({"task_id": st.sampled_from(data["questions"]),
                                        "contributor": st.text(min_size=1, max_size=30),
                                        "value": st.sampled_from(["yes", "no", "unsure", "maybe"])},
                                       optional={"duration_ms": st.integers(0, 2**31 - 1)})
        options.append(st.lists(answer, min_size=1, max_size=5).flatmap(lambda answers: operation.as_strategy(
            path_parameters={"slug": data["slugs"][0]}, body={"answers": answers})))
    elif operation.path.startswith(("/campaigns/{slug}/nearby", "/campaigns/{slug}/sites", "/campaigns/{slug}/"
                                     "proposals", "/tasks/{task_id}/photos")):
        # the field kind's routes: its campaign and its sites
        site = st.fixed_dictionaries({n: st.sampled_from(
            {"slug": [data["field"]["slug"]], "task_id": data["field"]["task_ids"]}.get(n) or pools[n])
            for n in names})
        options.append(site.flatmap(lambda p: operation.as_strategy(generation_mode=mode, path_parameters=p)))
    elif label == "POST /campaigns":
        body = st.fixed_dictionaries(
            {"title": st.just("Fuzzed campaign") | st.text(min_size=1, max_size=40),
             "kind": st.sampled_from(["question", "deforestation", "damage", "transcription", "search"]),
             "settings": SETTINGS},
            optional={"redundancy": st.integers(1, 10),
                      **{k: st.just(PLAUSIBLE[k]) | JSON_VALUES
                         for k in ("escalate_on", "outcome", "quality", "wellbeing")}})
        options.append(body.flatmap(lambda b: operation.as_strategy(body=b)))
    return st.one_of(options)


@pytest.mark.parametrize("method,path,role,mode", RUNS, ids=[f"{m} {p} {r} {g.value}" for m, p, r, g in RUNS])
def test_fuzz_operation(world, method, path, role, mode):
    app, data = world
    schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", app)
    operation = schema[path][method]
    headers = {"Authorization": f"Bearer {data['tokens'][role]}"} if role in data["tokens"] else {}
    checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])

    @given(case=strategy(operation, mode, role, data))
    @settings(max_examples=MAX_EXAMPLES[mode], deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
    def fuzz(case):
        sent = headers
        if role == "anonymous":
            case.headers.pop("Authorization", None)
        elif mode is GenerationMode.NEGATIVE and "Authorization" not in (case.headers or {}):
            sent = {}  # invalid by leaving the required token out: the token must not be put back
        statuses.add(case.call_and_validate(headers=sent, checks=checks).status_code)

    statuses = set()
    fuzz()
    if role != "anonymous" and mode is GenerationMode.POSITIVE:
        # The seeded world was reached: not only "who are you?" and "no such thing".
        assert statuses - {401, 404}, statuses


# --- the document matches the routes ---------------------------------------------------------------------

def test_fuzz_document_lists_every_route(world):
    """Every API route is in the document with its methods, and every documented operation is routed."""
    routed = set()
    for rule in world[0].url_map.iter_rules():
        if rule.rule.startswith(API + "/"):
            path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule)[len(API):]
            routed |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed == set(OPERATIONS)


# --- what generated data seldom holds: NUL characters, NaN, deep nesting, integers past int4 -----------------
# Each is refused with a documented 4xx and the Error body, on SQLite as on PostgreSQL (where each was a 500:
# text and jsonb refuse NUL, jsonb refuses NaN, int4 columns overflow; and Python's JSON parser gives up on
# deep nesting with a RecursionError everywhere).

NUL = "a\x00b"
DEEP = "[" * 5000 + "]" * 5000
QUESTION_SETTINGS = {"question": "Boat?", "options": ["Yes", "No"]}
TX_FIELDS = {"name": "Amina Diallo", "amount": "12.50"}
# (id, role, method, path, path parameters, JSON body or raw text, extra headers, query): "{question}" and
# "{transcription}" stand for a task of that kind leased to the caller, "{task}" for any task.
HOSTILE = [
    ("title-nul", "organiser", "POST", "/campaigns", {}, {"title": NUL, "kind": "question",
                                                          "settings": QUESTION_SETTINGS}, {}, {}),
    ("option-nul", "organiser", "POST", "/campaigns", {}, {"title": "T", "kind": "question", "settings": {
        "question": "Boat?", "options": ["Yes", NUL]}}, {}, {}),
    ("nan", "organiser", "POST", "/campaigns", {}, '{"title": "T", "kind": "question", "redundancy": NaN}', {}, {}),
    ("deep", "organiser", "POST", "/campaigns", {}, DEEP, {}, {}),
    ("org-huge", "organiser", "POST", "/campaigns", {}, {"title": "T", "kind": "question", "organisation_id": 2**70,
                                                         "settings": QUESTION_SETTINGS}, {}, {}),
    ("kind-list", "organiser", "POST", "/campaigns", {}, {"title": "T", "kind": ["question"]}, {}, {}),
    ("settings-list", "organiser", "POST", "/campaigns", {}, {"title": "T", "kind": "question", "settings": [1]},
     {}, {}),
    ("slug-nul", "organiser", "GET", "/campaigns/{slug}", {"slug": NUL}, None, {}, {}),
    ("slug-nul-results", "guest", "GET", "/campaigns/{slug}/results", {"slug": NUL}, None, {}, {}),
    ("slug-nul-next", "guest", "GET", "/campaigns/{slug}/tasks/next", {"slug": NUL}, None, {}, {}),
    ("results-after-huge", "guest", "GET", "/campaigns/{slug}/results", {"slug": "fuzz-question"}, None, {},
     {"after": str(2**70)}),
    ("results-limit-word", "guest", "GET", "/campaigns/{slug}/results", {"slug": "fuzz-question"}, None, {},
     {"limit": "many"}),
    ("tasks-nul-json", "organiser", "POST", "/campaigns/{slug}/tasks", {"slug": "fuzz-question"},
     [{"text": NUL}], {}, {}),
    ("tasks-nan-json", "organiser", "POST", "/campaigns/{slug}/tasks", {"slug": "fuzz-search"},
     '[{"image_url": "/media/x.jpg", "width": NaN, "height": 480, "lat": 46.5, "lon": 7.9}]', {}, {}),
    ("tasks-external-id-nul", "organiser", "POST", "/campaigns/{slug}/tasks", {"slug": "fuzz-question"},
     [{"external_id": NUL, "text": "t"}], {}, {}),
    ("tasks-deep", "organiser", "POST", "/campaigns/{slug}/tasks", {"slug": "fuzz-question"}, DEEP, {}, {}),
    ("answer-transcription-nul", "guest", "POST", "/tasks/{task_id}/answers", {"task_id": "{transcription}"},
     {"value": {"fields": {**TX_FIELDS, "name": NUL}}}, {}, {}),
    ("answer-nan", "guest", "POST", "/tasks/{task_id}/answers", {"task_id": "{transcription}"},
     '{"value": {"fields": {"name": "A", "amount": NaN}}}', {}, {}),
    ("answer-deep", "guest", "POST", "/tasks/{task_id}/answers", {"task_id": "{question}"}, DEEP, {}, {}),
    ("answer-duration-huge", "guest", "POST", "/tasks/{task_id}/answers", {"task_id": "{question}"},
     {"value": "yes", "duration_ms": 2**70}, {}, {}),
    ("answer-key-nul", "guest", "POST", "/tasks/{task_id}/answers", {"task_id": "{question}"}, {"value": "yes"},
     {"Idempotency-Key": NUL}, {}),
    ("import-contributor-nul", "organiser", "POST", "/campaigns/{slug}/answers/import", {"slug": "fuzz-question"},
     {"answers": [{"task_id": "{task}", "contributor": NUL, "value": "yes"}]}, {}, {}),
    ("import-task-huge", "organiser", "POST", "/campaigns/{slug}/answers/import", {"slug": "fuzz-question"},
     {"answers": [{"task_id": 2**70, "contributor": "paper-1", "value": "yes"}]}, {}, {}),
    ("import-duration-huge", "organiser", "POST", "/campaigns/{slug}/answers/import", {"slug": "fuzz-question"},
     {"answers": [{"task_id": "{task}", "contributor": "paper-1", "value": "yes", "duration_ms": 2**40}]}, {}, {}),
    ("import-deep", "organiser", "POST", "/campaigns/{slug}/answers/import", {"slug": "fuzz-question"}, DEEP, {},
     {}),
    ("flag-note-nul", "guest", "POST", "/tasks/{task_id}/flags", {"task_id": "{question}"},
     {"level": "extreme", "note": NUL}, {}, {}),
    ("report-note-nul", "guest", "POST", "/tasks/{task_id}/reports", {"task_id": "{question}"},
     {"reason": "abusive", "note": NUL}, {}, {}),
    ("rating-label-nul", "organiser", "POST", "/tasks/{task_id}/rating", {"task_id": "{task}"},
     {"level": "mild", "categories": ["other"], "custom_label": NUL}, {}, {}),
    ("rating-label-long", "organiser", "POST", "/tasks/{task_id}/rating", {"task_id": "{task}"},
     {"level": "mild", "categories": ["x" * 100, "y" * 100]}, {}, {}),
    ("rating-label-number", "organiser", "POST", "/tasks/{task_id}/rating", {"task_id": "{task}"},
     {"level": "mild", "categories": ["other"], "custom_label": 7}, {}, {}),
    ("rating-categories-number", "organiser", "POST", "/tasks/{task_id}/rating", {"task_id": "{task}"},
     {"level": "mild", "categories": 7}, {}, {}),
    ("preferences-nul", "guest", "PUT", "/me/preferences", {}, {"choices": {"injury": NUL}}, {}, {}),
    # Long but plausible (issue 15): each past a stated limit, refused before the task is locked.
    ("answer-money-spaces", "guest", "POST", "/tasks/{task_id}/answers", {"task_id": "{transcription}"},
     {"value": {"fields": {**TX_FIELDS, "amount": "1" + " " * 15_000 + "1"}}}, {}, {}),
    ("answer-text-long", "guest", "POST", "/tasks/{task_id}/answers", {"task_id": "{transcription}"},
     {"value": {"fields": {**TX_FIELDS, "name": "n" * 1001}}}, {}, {}),
    ("answer-marks-many", "guest", "POST", "/tasks/{task_id}/answers", {"task_id": "{damage}"},
     {"value": {"answer": "major", "marks": {"type": "FeatureCollection", "features": [
         {"type": "Feature", "geometry": {"type": "Point", "coordinates": [10, 10]}}] * 51}}}, {}, {}),
    ("answer-polygon-corners", "guest", "POST", "/tasks/{task_id}/answers", {"task_id": "{damage}"},
     {"value": {"answer": "major", "marks": {"type": "FeatureCollection", "features": [
         {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [
             [[10 + i % 2, 10 + i] for i in range(5000)]]}}]}}}, {}, {}),
    ("answer-over-1mb", "guest", "POST", "/tasks/{task_id}/answers", {"task_id": "{question}"},
     {"value": "yes", "padding": "x" * (1 << 20)}, {}, {}),
    ("import-marks-many", "organiser", "POST", "/campaigns/{slug}/answers/import", {"slug": "fuzz-damage"},
     {"answers": [{"task_id": "{damage}", "contributor": "paper-1", "value": {"answer": "major", "marks": {
         "type": "FeatureCollection", "features": [
             {"type": "Feature", "geometry": {"type": "Point", "coordinates": [10, 10]}}] * 51}}}]}, {}, {}),
]


def _fill(value, data, role):
    """Put the seeded task ids in for the placeholders of a HOSTILE entry."""
    held = {"question": data["leases"][role][0][0], "damage": data["leases"][role][4][0],
            "transcription": data["leases"][role][6][0], "task": data["questions"][0]}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in held:
        return held[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v, data, role) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, data, role) for v in value]
    return value


@pytest.mark.parametrize("name,role,method,path,params,body,headers,query", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_fuzz_hostile_input(world, name, role, method, path, params, body, headers, query):
    app, data = world
    operation = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", app)[path][method]
    params = _fill(params, data, role)
    case = operation.Case(path_parameters=params or None, query=query or None)
    url = API + path.format(**{k: quote(str(v), safe="") for k, v in params.items()})
    raw = body if isinstance(body, str) else json.dumps(_fill(body, data, role)) if body is not None else None
    response = app.test_client().open(url, method=method, query_string=query, data=raw,
                                      content_type="application/json" if raw is not None else None,
                                      headers={"Authorization": f"Bearer {data['tokens'][role]}", **headers})
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    case.validate_response(response, checks=CHECKS)


def test_fuzz_longest_valid_answers_are_stored(world):
    """The longest answers the limits allow are taken (issue 15): a 500-character text with a 64-character
    amount, and the densest marks (5 polygons of 100 corners) on a photo."""
    app, data = world
    client = app.test_client()
    # A guest of its own: the fuzzing before may have answered the shared guest's leased tasks.
    auth = {"Authorization": "Bearer " + client.post(f"{API}/guests").get_json()["token"]}

    def lease(slug):
        with app.app_context():  # room for one more answer on every task of the campaign
            camp = db.session.execute(select(Campaign.id).where(Campaign.slug == slug)).scalar_one()
            db.session.execute(update(Task).where(Task.campaign_id == camp)
                               .values(redundancy=Task.redundancy + 1, available=True))
            db.session.commit()
        r = client.get(f"{API}/campaigns/{slug}/tasks/next", headers=auth)
        assert r.status_code == 200, r.get_data(as_text=True)
        return r.get_json()["id"]

    money = "EUR" + " " * 53 + "1.234,50"
    r = client.post(f"{API}/tasks/{lease(data['slugs'][3])}/answers", headers=auth,
                    json={"value": {"fields": {"name": "n" * 500, "amount": money}}})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["answer"]["value"]["fields"] == {"name": "n" * 500, "amount": 1234.5}

    def polygon(cx):
        angles = [2 * math.pi * i / 100 for i in range(100)]
        pts = [[round(cx + 30 * math.cos(a), 1), round(150 + 30 * math.sin(a), 1)] for a in angles]
        return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [pts + [pts[0]]]}}

    marks = {"type": "FeatureCollection", "features": [polygon(40 + 75 * i) for i in range(5)]}
    r = client.post(f"{API}/tasks/{lease(data['slugs'][2])}/answers", headers=auth,
                    json={"value": {"answer": "major", "marks": marks}})
    assert r.status_code == 201, r.get_json()
    assert len(r.get_json()["answer"]["value"]["marks"]["features"]) == 5

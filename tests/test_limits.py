"""Bounded cost for every input (issue 15, section 1): limits on what a volunteer types and draws, checked
before any lock; no regular expression that backtracks badly on untrusted text; banded edit distances;
per-route body limits that name themselves in the 413. Behaviour only: refusals, messages, what is stored,
banded == plain distances; never a wall-clock time."""
import io
import json
import math
import random

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder, run_wsgi_app

from citizen.api import body as api_body
from citizen.campaigns import results as results_svc
from citizen.campaigns import scheduler
from citizen.kinds._shared import agreement, marks, normalise
from citizen.kinds import all_kinds, get_kind
from citizen.campaigns.models import Answer, Task
from citizen.extensions import db
from tests.regex_audit import patterns_in, problems
from tests.test_map_kinds import map_campaign  # noqa: F401  (fixture)
from tests.helpers import API, next_task, submit
from tests.test_map_kinds import fc
from tests.test_transcription import answer, tx_campaign  # noqa: F401  (fixture)

MB = 1024 * 1024


# --- regular expressions ---------------------------------------------------------------------------------

def test_no_regular_expression_of_the_app_backtracks_badly():
    found = patterns_in(["citizen", "content_warnings"])
    assert len(found) > 20  # the walk does see the app's patterns
    bad = {where: problems(pattern, flags, anchored) if pattern is not None else ["not a literal: cannot be checked"]
           for where, pattern, flags, anchored in found}
    assert {where: p for where, p in bad.items() if p} == {}


@pytest.mark.parametrize("pattern, anchored", [
    # the currency pattern of issue 15: "1", 15,000 spaces, "1" took tens of seconds
    (r"(?i)^(?:[a-z]{3}|[$€£]|r\$|us\$|fr\.?|kr\.?)\s*|\s*(?:[a-z]{3}|[$€£]|kr\.?|fr\.?|,-|\.-)$", False),
    (r"^(https?://|/)[^\s\"'<>]*\{z\}[^\s\"'<>]*\{x\}[^\s\"'<>]*\{y\}[^\s\"'<>]*$", True),  # the old tile address
    (r"^[^@\s]+@[^@\s]+\.[^@\s]+$", True),  # the old e-mail check
    (r"(a+)+$", True), (r"(?:x*y?)*z", True), (r"\s+\S*\s+", True), (r"\s*\s*x", True), (r"\s*$", False),
    (r"(\w+)\s*(a|b)\s*$", False),
])
def test_the_audit_finds_backtracking_shapes(pattern, anchored):
    assert problems(pattern, anchored=anchored)


@pytest.mark.parametrize("pattern, anchored", [
    (r"\s+", False), (r"[,;\s]+", False), (r"\d{1,3}(?:,\d{3})+", True), (r"\d[\d.,]*|[.,]\d+", True),
    (r"(\d)(st|nd|rd|th)\b", False), (r"^[a-z][a-z0-9_]{0,39}$", False), (r"^https?://[^\s\"'<>]+$", False),
    (r"a\s*$", False), (r"\s*+x", False),
])
def test_the_audit_lets_linear_patterns_pass(pattern, anchored):
    assert problems(pattern, anchored=anchored) == []


# --- typed values --------------------------------------------------------------------------------------

def test_money_of_fifteen_thousand_spaces_is_refused_before_it_is_read():
    with pytest.raises(ValueError, match="at most 64 characters"):
        normalise.clean_number("1" + " " * 15_000 + "1", money=True)
    with pytest.raises(ValueError, match="at most 64 characters"):
        normalise.clean_number("EUR" + " " * 15_000, money=True)
    with pytest.raises(ValueError, match="at most 64 characters"):
        normalise.clean_date("5" + " " * 15_000 + "March 2024")
    longest = "EUR" + " " * (normalise.MAX_TYPED - 11) + "1.234,50"
    assert len(longest) == normalise.MAX_TYPED and normalise.clean_number(longest, money=True) == 1234.5
    with pytest.raises(ValueError, match="at most 64"):
        normalise.clean_number(" " + longest, money=True)
    with pytest.raises(ValueError, match="grouped by three"):  # at the limit, refused for what it is
        normalise.clean_number("1" + " " * (normalise.MAX_TYPED - 2) + "1", money=True)


@pytest.mark.parametrize("typed, value", [
    ("€ 1.234,50", 1234.5), ("1.234,50 €", 1234.5), ("EUR 12", 12), ("12 usd", 12), ("R$ 12,50", 12.5),
    ("US$5", 5), ("12 kr.", 12), ("kr 12", 12), ("fr. 12.50", 12.5), ("12,-", 12), ("12.-", 12),
    ("CHF 1'234.50", 1234.5), ("(12.00)", -12), ("€ 1.234,50 EUR", 1234.5), ("12.50-", -12.5), ("$ 3", 3),
])
def test_currency_signs_and_codes_are_still_stripped(typed, value):
    assert normalise.clean_number(typed, money=True) == value


def test_text_has_a_limit_as_sent_and_once_spaces_are_collapsed():
    assert normalise.clean_text("a" * normalise.MAX_TEXT) == "a" * normalise.MAX_TEXT
    with pytest.raises(ValueError, match="under 500"):
        normalise.clean_text("a" * (normalise.MAX_TEXT + 1))
    spaced = "a " * (normalise.MAX_TEXT_SENT // 2)  # 1000 characters sent, 999 once collapsed
    with pytest.raises(ValueError, match="under 500"):
        normalise.clean_text(spaced)
    assert normalise.clean_text("a" + " " * (normalise.MAX_TEXT_SENT - 2) + "b") == "a b"
    with pytest.raises(ValueError, match="under 500"):
        normalise.clean_text("a" + " " * (normalise.MAX_TEXT_SENT - 1) + "b")


# --- edit distance -------------------------------------------------------------------------------------

def plain_distance(a, b):
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


@pytest.mark.parametrize("seed", range(40))
def test_banded_distance_is_the_plain_distance_within_its_limit(seed):
    rnd = random.Random(seed)
    for _ in range(100):
        alphabet = rnd.choice(["ab", "abc", "abcdé ", "xyz0123456789"])
        a = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 25)))
        b = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 25))) if rnd.random() < 0.5 else \
            _mutate(rnd, a, alphabet)
        plain = plain_distance(a, b)
        assert normalise.edit_distance(a, b) == plain, (a, b)
        for limit in range(0, 6):
            assert normalise.edit_distance(a, b, limit) == (plain if plain <= limit else limit + 1), (a, b, limit)


def _mutate(rnd, text, alphabet):
    chars = list(text)
    for _ in range(rnd.randint(0, 4)):
        where = rnd.randint(0, len(chars))
        action = rnd.choice("isd")
        if action == "i":
            chars.insert(where, rnd.choice(alphabet))
        elif chars and where < len(chars):
            chars[where] = rnd.choice(alphabet) if action == "s" else ""
    return "".join(chars)


def test_banded_distance_never_fills_the_whole_table(monkeypatch):
    cells = []
    full = normalise._full_distance
    monkeypatch.setattr(normalise, "_full_distance", lambda a, b: cells.append(len(a) * len(b)) or full(a, b))
    rnd = random.Random(7)
    text = "".join(rnd.choice("abcdefghij ") for _ in range(500))
    pairs = [(text + x, text + y) for x, y in [("x", "y"), ("xy", "yz"), ("", "q")]]
    pairs += [("q" + a, "z" + b) for a, b in pairs] + [("a" * 500, "b" * 500), (text, text[::-1])]
    expected = [min(plain_distance(a, b), 3) for a, b in pairs]
    assert [normalise.edit_distance(a, b, 2) for a, b in pairs] == expected
    assert cells == []  # with a limit, only the band


def plain_close(monkeypatch):
    """field_result as it was: every pair of groups compared with the plain distance."""
    monkeypatch.setattr(normalise, "edit_distance", lambda a, b, limit=None: min(plain_distance(a, b), limit + 1))
    monkeypatch.setattr(agreement, "MAX_FUZZY_GROUPS", 10 ** 6)


def test_five_long_transcriptions_differing_at_the_end_agree_cheaply(monkeypatch):
    base = "".join(random.Random(3).choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(500))
    texts = [base[:-3] + end for end in ("xyz", "xya", "xab", "abc", "bcd")]
    state = {}
    for t in texts:
        state = agreement.add_answer(state, {"note": t})
    calls = []
    distance = normalise.edit_distance
    with monkeypatch.context() as m:
        m.setattr(normalise, "edit_distance", lambda a, b, limit=None: calls.append(limit) or distance(a, b, limit))
        m.setattr(normalise, "_full_distance", lambda a, b: pytest.fail("a full table on a volunteer's text"))
        res = agreement.field_result(state["fields"]["note"], 2, typos=True)
    assert len(calls) <= 10 and all(limit == 2 for limit in calls)  # each pair once, banded
    plain_close(monkeypatch)
    assert res == agreement.field_result(state["fields"]["note"], 2, typos=True)
    assert res["status"] == "verified" and res["support"] == 4.0


def test_typo_matching_takes_a_bounded_number_of_groups(monkeypatch):
    state = {}
    for i in range(60):  # an import may bring any number of answers to one task
        state = agreement.add_answer(state, {"note": f"spelling number {i * 7:03d} of the same thing"})
    state = agreement.add_answer(state, {"note": "spelling number 000 of the same thing"})
    calls = []
    distance = normalise.edit_distance
    monkeypatch.setattr(normalise, "edit_distance", lambda a, b, limit=None: calls.append(1) or distance(a, b, limit))
    res = agreement.field_result(state["fields"]["note"], 2, typos=True)
    n = agreement.MAX_FUZZY_GROUPS
    assert 0 < len(calls) <= n * (n - 1) // 2
    assert res["status"] == "verified" and res["value"] == "spelling number 000 of the same thing"


# --- marks ---------------------------------------------------------------------------------------------

FRAME = (0, 0, 1000, 1000)


def ring(n, cx=500.0, cy=500.0, r=100.0, star=False):
    """A polygon of n corners (a regular n-gon; star: its corners in a crossing order)."""
    step = (n // 2 - 1 if n % 2 == 0 else n // 2) if star else 1
    points = [[round(cx + r * math.cos(2 * math.pi * (i * step % n) / n), 1),
               round(cy + r * math.sin(2 * math.pi * (i * step % n) / n), 1)] for i in range(n)]
    return {"type": "Polygon", "coordinates": [points + [points[0]]]}


def test_corners_per_polygon_have_a_limit():
    assert len(marks.clean_marks(fc(ring(marks.MAX_VERTICES_PER_POLYGON)), FRAME, precision=1)["features"]) == 1
    with pytest.raises(marks.MarkError, match="more than 100 corners"):
        marks.clean_marks(fc(ring(marks.MAX_VERTICES_PER_POLYGON + 1)), FRAME, precision=1)


def test_marks_and_corners_per_answer_have_a_limit():
    points = [{"type": "Point", "coordinates": [i, i]} for i in range(marks.MAX_MARKS)]
    assert len(marks.clean_marks(fc(*points), FRAME, precision=1)["features"]) == marks.MAX_MARKS
    with pytest.raises(marks.MarkError, match="draw at most 50"):
        marks.clean_marks(fc(*points, {"type": "Point", "coordinates": [1, 2]}), FRAME, precision=1)
    per = marks.MAX_VERTICES_PER_ANSWER // marks.MAX_VERTICES_PER_POLYGON
    polygons = [ring(marks.MAX_VERTICES_PER_POLYGON, 100 + 150 * i, 500, 60) for i in range(per)]
    assert len(marks.clean_marks(fc(*polygons), FRAME, precision=1)["features"]) == per
    with pytest.raises(marks.MarkError, match="corners in all"):
        marks.clean_marks(fc(*polygons, {"type": "Point", "coordinates": [1, 1]}), FRAME, precision=1)


def test_a_self_intersection_bomb_is_refused_as_crossing():
    with pytest.raises(marks.MarkError, match="cross"):
        marks.clean_marks(fc(ring(marks.MAX_VERTICES_PER_POLYGON - 1, star=True)), FRAME, precision=1)
    # past the limit it is refused by counting, before any geometry is built
    with pytest.raises(marks.MarkError, match="corners"):
        marks.check_size(fc(*[ring(99, star=True)] * 50))


def test_a_task_keeps_marks_within_its_budget_and_still_counts_the_grades(app):
    kind = get_kind("damage")
    dense = {"answer": "major", "marks": marks.clean_marks(fc(*[ring(100, 100 + 150 * i, 500, 60) for i in range(5)]),
                                                             FRAME, precision=1), "crs": "pixel"}
    state = {}
    answers = marks.MAX_VERTICES_PER_TASK // marks.MAX_VERTICES_PER_ANSWER + 3
    for _ in range(answers):
        state = kind.add_to_consensus(state, dense)
    kept = sum(marks.count(m)[1] for _who, m in state["marks"])
    assert kept == marks.MAX_VERTICES_PER_TASK and state["unkept"] == 3
    assert state["n"] == answers and state["counts"] == {"major": answers}  # every grade counts
    result = kind.result(state, {"min_support": 2})
    assert result["answer"] == "major"
    assert {f["properties"]["contributors"] for f in result["features"]["features"]} == {5}
    # an answer that fits the budget later is still kept
    small = {"answer": "minor", "marks": fc({"type": "Point", "coordinates": [3.0, 3.0]}), "crs": "pixel"}
    assert len(kind.add_to_consensus(state, small)["marks"]) == 5  # the budget is full: not even a point


# --- before any lock: the submit path and the answer import ------------------------------------------------

def test_an_oversized_answer_is_refused_before_the_task_is_locked(client, guest, map_campaign, monkeypatch):
    c = map_campaign(kind="damage")
    h = guest()
    task = next_task(client, c.slug, h)
    locked = []
    real = scheduler._locked_task
    monkeypatch.setattr(scheduler, "_locked_task", lambda *a, **k: locked.append(a) or real(*a, **k))
    west, south, east, north = task["bbox"]
    point = {"type": "Point", "coordinates": [(west + east) / 2, (south + north) / 2]}
    r = submit(client, task["id"], {"answer": "major", "marks": fc(*[point] * (marks.MAX_MARKS + 1))}, h)
    assert r.status_code == 422 and "at most 50" in r.get_json()["message"]
    r = submit(client, task["id"], {"answer": "x" * 41}, h)
    assert r.status_code == 422 and "Choose one of the offered answers" in r.get_json()["message"]
    assert locked == []
    assert db.session.execute(select(func.count()).select_from(Answer)).scalar_one() == 0
    r = submit(client, task["id"], {"answer": "major", "marks": fc(*[point] * marks.MAX_MARKS)}, h)
    assert r.status_code == 201 and len(locked) == 1


def test_an_imported_answer_past_the_limits_is_refused_and_nothing_is_stored(client, organiser_token, map_campaign):
    c = map_campaign(kind="damage")
    task = db.session.execute(select(Task).where(Task.campaign_id == c.id).order_by(Task.id)).scalars().first()
    west, south, east, north = task.payload["bbox"]
    point = {"type": "Point", "coordinates": [(west + east) / 2, (south + north) / 2]}
    items = [{"task_id": task.id, "contributor": "p1", "value": {"answer": "major", "marks": fc(point)}},
             {"task_id": task.id, "contributor": "p2",
              "value": {"answer": "major", "marks": fc(*[point] * (marks.MAX_MARKS + 1))}}]
    r = client.post(f"{API}/campaigns/{c.slug}/answers/import", json={"answers": items},
                    headers={"Authorization": f"Bearer {organiser_token}"})
    assert r.status_code == 422 and "Answer 2" in r.get_json()["message"] and "at most 50" in r.get_json()["message"]
    assert db.session.execute(select(func.count()).select_from(Answer)).scalar_one() == 0
    with pytest.raises(Exception, match="at most 50"):
        results_svc.import_answers(c, items[1:])


# --- every kind: a value at each limit passes, one past it is refused ----------------------------------------

def test_question_answers_have_a_length_limit(client, guest, make_campaign):
    c = make_campaign(tasks=2, settings={"question": "Q?", "options": [
        {"value": "y" * 40, "label": "Long"}, {"value": "no", "label": "No"}]})
    h = guest()
    task = next_task(client, c.slug, h)
    schema = get_kind("question").answer_schema(c.settings)
    assert not list(Draft202012Validator(schema).iter_errors("y" * 40))
    assert list(Draft202012Validator(schema).iter_errors("y" * 41))
    r = submit(client, task["id"], "y" * 41, h)
    assert r.status_code == 422 and "Choose one of the offered answers" in r.get_json()["message"]
    assert submit(client, task["id"], "y" * 40, h).status_code == 201


def test_transcription_values_at_their_limits_pass_and_past_them_are_refused(client, guest, tx_campaign):
    c = tx_campaign()
    kind = get_kind("transcription")
    validator = Draft202012Validator(kind.answer_schema(c.settings))
    money = "EUR" + " " * (normalise.MAX_TYPED - 11) + "1.234,50"
    refused = [(answer(name="n" * 501), "name", "under 500"),
               (answer(name="n" + " " * normalise.MAX_TEXT_SENT), "name", "under 500"),
               (answer(amount=" " + money), "amount", "at most 64"),
               (answer(amount="1" + " " * 15_000 + "1"), "amount", "at most 64"),
               (answer(when="5" + " " * 15_000 + "March 2024"), "when", "at most 64"),
               ({"fields": {f"f{i}": "x" for i in range(31)}}, "fields", "At most 30 fields")]
    h = guest()
    task = next_task(client, c.slug, h)
    for value, field, words in refused:
        r = submit(client, task["id"], value, h)
        body = r.get_json()
        assert r.status_code == 422 and words in body["message"], (field, body)
        assert field in [d["field"] for d in body["details"]]
    assert list(validator.iter_errors(answer(name="n" * 1001)))
    assert list(validator.iter_errors(answer(amount=" " + money)))
    at_limit = answer(name="n" * normalise.MAX_TEXT, amount=money)
    assert not list(validator.iter_errors(at_limit))
    r = submit(client, task["id"], at_limit, h)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["answer"]["value"]["fields"]["amount"] == 1234.5


def test_map_answers_at_their_limits_pass_and_past_them_are_refused(client, guest, map_campaign):
    c = map_campaign(kind="damage")
    validator = Draft202012Validator(get_kind("damage").answer_schema(c.settings))
    h = guest()
    task = next_task(client, c.slug, h)
    west, south, east, north = task["bbox"]
    cx, cy, r = (west + east) / 2, (south + north) / 2, (east - west) / 20

    def polygon(n, dx=0.0):
        pts = [[round(cx + dx + r * math.cos(2 * math.pi * i / n), 7), round(cy + r * math.sin(2 * math.pi * i / n), 7)]
               for i in range(n)]
        return {"type": "Polygon", "coordinates": [pts + [pts[0]]]}

    too_many = {"answer": "major", "marks": fc(polygon(marks.MAX_VERTICES_PER_POLYGON + 1))}
    assert list(validator.iter_errors(too_many))
    res = submit(client, task["id"], too_many, h)
    assert res.status_code == 422 and "more than 100 corners" in res.get_json()["message"]
    densest = {"answer": "major", "marks": fc(*[polygon(marks.MAX_VERTICES_PER_POLYGON, dx=i * 2.5 * r)
                                                for i in range(-2, 3)])}
    assert not list(validator.iter_errors(densest))
    res = submit(client, task["id"], densest, h)
    assert res.status_code == 201, res.get_json()


def test_the_openapi_document_states_each_kinds_answer_with_its_limits(client):
    doc = client.get(f"{API}/openapi.json").get_json()
    value = doc["paths"]["/tasks/{task_id}/answers"]["post"]["requestBody"]["content"]["application/json"][
        "schema"]["properties"]["value"]
    names = [ref["$ref"].rsplit("/", 1)[1] for ref in value["anyOf"]]
    assert set(names) == {f"{kind_id}Answer" for kind_id in all_kinds()}  # one per registered kind
    assert {"questionAnswer", "deforestationAnswer", "damageAnswer", "transcriptionAnswer", "searchAnswer"} <= set(names)
    imported = doc["paths"]["/campaigns/{slug}/answers/import"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]["properties"]["answers"]["items"]["properties"]["value"]
    assert imported == value
    for name in names:
        schema = doc["components"]["schemas"][name]
        Draft202012Validator.check_schema(schema)
        text = json.dumps(schema)
        assert "maxLength" in text or "maxItems" in text, name
        assert '"pattern"' not in text
    damage = json.dumps(doc["components"]["schemas"]["damageAnswer"])
    assert f'"maxItems": {marks.MAX_MARKS}' in damage and f'"maxItems": {marks.MAX_VERTICES_PER_POLYGON + 1}' in damage


# --- request bodies ------------------------------------------------------------------------------------------

def test_a_json_answer_over_one_megabyte_is_413_naming_the_limit(client, guest, make_campaign):
    c = make_campaign(tasks=1)
    h = guest()
    task = next_task(client, c.slug, h)
    big = json.dumps({"value": "yes", "padding": "x" * MB})
    r = client.post(f"{API}/tasks/{task['id']}/answers", data=big, content_type="application/json", headers=h)
    assert r.status_code == 413 and r.get_json()["code"] == "too_large"
    assert "at most 1 MB" in r.get_json()["message"]
    assert db.session.execute(select(func.count()).select_from(Answer)).scalar_one() == 0


def test_a_chunked_body_without_a_length_is_cut_at_the_limit(app, client, guest, make_campaign):
    c = make_campaign(tasks=1)
    h = guest()
    task = next_task(client, c.slug, h)
    read = []

    class Endless(io.RawIOBase):  # a chunked body that never ends, as a server passes it on (no Content-Length)
        def readable(self):
            return True

        def readinto(self, buffer):
            buffer[:len(buffer)] = b" " * len(buffer)
            read.append(len(buffer))
            return len(buffer)

    environ = EnvironBuilder(path=f"{API}/tasks/{task['id']}/answers", method="POST", headers=h, data=b"{}",
                             content_type="application/json").get_environ()
    environ.pop("CONTENT_LENGTH")
    environ.update({"wsgi.input": io.BufferedReader(Endless()), "wsgi.input_terminated": True})
    body, status, _headers = run_wsgi_app(app, environ, buffered=True)
    assert status.startswith("413") and "at most 1 MB" in json.loads(b"".join(body))["message"]
    assert MB <= sum(read) <= 2 * MB  # read up to the limit (and a buffer), not without end


def test_an_html_form_over_one_megabyte_is_413_naming_the_limit(client):
    r = client.post("/accounts/login", data={"email": "a@b.org", "password": "x" * (MB + 10)},
                    headers={"Accept": "text/html"})
    assert r.status_code == 413 and r.mimetype == "text/html"
    assert "at most 1 MB" in r.get_data(as_text=True)


def test_imports_have_a_larger_limit_and_uploads_the_largest(client, organiser_token, make_campaign):
    c = make_campaign(tasks=1, publish=False)
    auth = {"Authorization": f"Bearer {organiser_token}"}
    rows = [{"external_id": f"x{i}", "text": "t" * 1000} for i in range(2000)]  # about 2 MB of JSON
    r = client.post(f"{API}/campaigns/{c.slug}/tasks", data=json.dumps(rows), content_type="application/json",
                    headers=auth)
    assert r.status_code == 201, r.get_data(as_text=True)[:300]
    csv = "external_id,text\n" + "".join(f"y{i},{'t' * 1000}\n" for i in range(2000))
    r = client.post(f"{API}/campaigns/{c.slug}/tasks", data={"file": (io.BytesIO(csv.encode()), "tasks.csv")},
                    headers=auth)
    assert r.status_code == 201, r.get_data(as_text=True)[:300]
    r = client.post(f"{API}/campaigns/{c.slug}/tasks", data=b"[" + b" " * (32 * MB) + b"]",
                    content_type="application/json", headers=auth)
    assert r.status_code == 413 and "at most 32 MB" in r.get_json()["message"]
    r = client.post(f"{API}/campaigns/{c.slug}/answers/import", json={"answers": [
        {"external_id": "t0", "contributor": f"p{i}", "value": "yes", "note": "n" * 200} for i in range(6000)]},
        headers=auth)
    assert r.status_code != 413  # over 1 MB, within the import's limit


def test_json_bodies_have_bounded_lists_keys_and_depth(client, guest, make_campaign):
    c = make_campaign(tasks=1)
    h = guest()
    task = next_task(client, c.slug, h)
    url = f"{API}/tasks/{task['id']}/answers"
    for body, words in [({"value": "yes", "x": [0] * (api_body.MAX_ITEMS + 1)}, "at most 20000"),
                        ({"value": "yes", "x": {str(i): 0 for i in range(api_body.MAX_KEYS + 1)}}, "at most 1000"),
                        ({"value": "yes", "x": json.loads("[" * 40 + "]" * 40)}, "nested too deeply")]:
        r = client.post(url, json=body, headers=h)
        assert r.status_code == 422 and words in r.get_json()["message"], r.get_json()
    assert db.session.execute(select(func.count()).select_from(Answer)).scalar_one() == 0

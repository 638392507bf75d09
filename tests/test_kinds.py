"""The kind contract's shared parsing, the question kind's validation, and the majority tally."""
import json

import pytest

from citizen.kinds import RowError, get_kind, parse_rows
from citizen.errors import InvalidInput
from citizen.quality import consensus

SETTINGS = {"question": "Red roof?", "options": [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}]}


@pytest.fixture
def kind(app):
    return get_kind("question")


def row_error(filename, text):
    with pytest.raises(RowError) as info:
        parse_rows(filename, text)
    return info.value


def fields(exc):
    return [d["field"] for d in exc.details]


# --- parse_rows --------------------------------------------------------------------------------

def test_csv_with_header_gives_spreadsheet_line_numbers():
    data = "\ufeffexternal_id,text,image_url\n a1 , Hello ,\n\nb2,World,https://x.org/1.jpg\n,,\n".encode()
    assert parse_rows("tasks.csv", data) == [
        (2, {"external_id": "a1", "text": "Hello"}),
        (4, {"external_id": "b2", "text": "World", "image_url": "https://x.org/1.jpg"})]


def test_csv_saved_by_spanish_or_french_excel_is_read_by_its_semicolons():
    """Excel writes ";" where the decimal mark is a comma; a tab-separated export works too. The separator is read
    off the header line, outside quotes: a comma inside a quoted heading does not count."""
    excel = "\ufeffexternal_id;text;lat\r\nc1;\"Casa, calle 5\";40,41\r\nc2;Árbol;-3,7\r\n".encode()
    assert parse_rows("tareas.csv", excel) == [(2, {"external_id": "c1", "text": "Casa, calle 5", "lat": "40,41"}),
                                                (3, {"external_id": "c2", "text": "Árbol", "lat": "-3,7"})]
    assert parse_rows("tasks.tsv", b"text\tnote\nHello\tthere\n") == [(2, {"text": "Hello", "note": "there"})]
    assert parse_rows("tasks.csv", b'"a;b",text\n1,2\n') == [(2, {"a;b": "1", "text": "2"})]
    assert parse_rows("tasks.csv", b"text\nJust one column; with a semicolon\n") == [
        (2, {"text": "Just one column; with a semicolon"})]


def test_json_list_and_tasks_object():
    items = [{"text": "a"}, {"text": "b"}]
    assert parse_rows("tasks.json", json.dumps(items)) == [(1, items[0]), (2, items[1])]
    assert parse_rows("upload", json.dumps({"tasks": items})) == [(1, items[0]), (2, items[1])]
    assert parse_rows("tasks.json", b"[]") == []


def test_invalid_json_reports_its_line():
    exc = row_error("tasks.json", '[\n  {"text": "a"},\n  {"text": }\n]')
    assert exc.line == 3 and "JSON" in exc.message
    assert row_error("tasks.json", '{"rows": []}').line == 1


def test_csv_line_with_an_extra_value_reports_its_line():
    exc = row_error("tasks.csv", "text,alt\nfine,ok\n\"one\",\"two\",\"three\"\n")
    assert exc.line == 3 and "more values" in exc.message
    assert row_error("tasks.csv", "").line == 1


def test_tasks_from_rows_reports_every_bad_row(kind):
    rows = [(1, {"external_id": 7, "text": "ok"}), (2, {"text": ""}), (3, "just a string"),
            (4, {"text": "x", "colour": "red"})]
    out, errors = kind.tasks_from_rows(rows, SETTINGS)
    assert out == [(1, "7", {"text": "ok"})]
    assert [e["line"] for e in errors] == [2, 3, 4]


# --- QuestionKind.clean_settings ---------------------------------------------------------------

def test_option_labels_become_slug_values(kind):
    clean = kind.clean_settings({"question": " Red roof? ", "options": ["Yes", "No", "Not sure!"]})
    assert clean == {"question": "Red roof?", "options": [
        {"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}, {"value": "not-sure", "label": "Not sure!"}]}
    assert kind.clean_settings(SETTINGS) == SETTINGS


@pytest.mark.parametrize("n, ok", [(1, False), (2, True), (10, True), (11, False)])
def test_between_two_and_ten_options(kind, n, ok):
    raw = {"question": "Which?", "options": [f"Option {i}" for i in range(n)]}
    if ok:
        assert len(kind.clean_settings(raw)["options"]) == n
    else:
        with pytest.raises(InvalidInput) as info:
            kind.clean_settings(raw)
        assert fields(info.value) == ["options"]


@pytest.mark.parametrize("options", [
    ["Yes", "yes"],
    [{"value": "a", "label": "A"}, {"value": "a", "label": "Another"}],
    [{"value": "Bad Value", "label": "A"}, {"value": "b", "label": "B"}],
    [{"value": "a", "label": " "}, {"value": "b", "label": "B"}],
    "Yes\nNo",
])
def test_bad_options_are_refused(kind, options):
    with pytest.raises(InvalidInput) as info:
        kind.clean_settings({"question": "Which?", "options": options})
    assert fields(info.value) == ["options"]


def test_every_settings_problem_is_listed(kind):
    with pytest.raises(InvalidInput) as info:
        kind.clean_settings({"question": "  ", "options": ["Only one"]})
    assert fields(info.value) == ["question", "options"]
    with pytest.raises(InvalidInput):
        kind.clean_settings(None)


# --- QuestionKind.clean_task and clean_answer --------------------------------------------------

@pytest.mark.parametrize("url", ["https://example.org/a.jpg", "http://example.org/a.jpg", "/media/demo/a.jpg"])
def test_image_urls_accepted(kind, url):
    assert kind.clean_task({"image_url": url, "alt": "roofs"}, SETTINGS) == {"image_url": url, "alt": "roofs"}


@pytest.mark.parametrize("url", ["ftp://example.org/a.jpg", "javascript:alert(1)", "/etc/passwd",
                                 "data:image/png;base64,AAAA", 'https://x.org/a.jpg" onerror="x', "media/a.jpg"])
def test_image_urls_refused(kind, url):
    with pytest.raises(ValueError, match="image_url"):
        kind.clean_task({"image_url": url, "text": "t"}, SETTINGS)


def test_a_task_needs_an_image_or_a_text(kind):
    assert kind.clean_task({"text": "  Read me  ", "question": "Own question?"}, SETTINGS) == {
        "text": "Read me", "question": "Own question?"}
    for payload in ({}, {"text": "   "}, {"alt": "no image"}, {"image_url": ""}):
        with pytest.raises(ValueError):
            kind.clean_task(payload, SETTINGS)


def test_unknown_task_fields_are_rejected(kind):
    with pytest.raises(ValueError, match="colour"):
        kind.clean_task({"text": "t", "colour": "red"}, SETTINGS)


def test_clean_answer(kind):
    assert kind.clean_answer("no", {"text": "t"}, SETTINGS) == "no"
    for bad in ("maybe", "Yes", None, 1, ["yes"], {"value": "yes"}):
        with pytest.raises(InvalidInput) as info:
            kind.clean_answer(bad, {"text": "t"}, SETTINGS)
        assert fields(info.value) == ["value"] and "yes, no" in info.value.message


def test_task_json_carries_the_allowed_values(kind):
    out = kind.task_json({"image_url": "/media/a.jpg", "alt": "roofs"}, SETTINGS)
    assert out == {"question": "Red roof?", "options": ["yes", "no"], "labels": ["Yes", "No"],
                   "image_url": "/media/a.jpg", "alt": "roofs"}


# --- citizen.quality.consensus -----------------------------------------------------------------

def test_majority():
    assert consensus.majority(consensus.tally(["yes", "no", "yes"])) == {
        "answer": "yes", "count": 2, "share": 0.6667, "answers": 3, "tied": False}


def test_ties_are_reported_not_broken():
    result = consensus.majority(consensus.tally(["yes", "no", "unsure", "no", "yes"]))
    assert result == {"answer": None, "count": 2, "share": 0.4, "answers": 5, "tied": True}


def test_no_votes():
    assert consensus.majority({}) == {"answer": None, "count": 0, "share": 0.0, "answers": 0, "tied": False}


def test_votes_are_incremental_and_keyed_stably():
    first = consensus.add_vote({}, {"b": 1, "a": 2})
    second = consensus.add_vote(first, {"a": 2, "b": 1})
    assert first == {"counts": {'{"a":2,"b":1}': 1.0}, "n": 1}  # the input state is not changed
    assert second["counts"] == {'{"a":2,"b":1}': 2.0} and second["n"] == 2
    weighted = consensus.add_vote(consensus.add_vote({}, "a", weight=2.0), "b")
    assert consensus.majority(weighted)["answer"] == "a" and consensus.majority(weighted)["share"] == 0.6667


# --- columns a feature claims from every kind's rows (citizen.kinds.columns) ---------------------

def test_wellbeing_claims_the_rating_columns_of_every_kind(kind):
    """The kinds import no feature: wellbeing's init_app claims sensitivity and categories, the row reader
    parses them into the payload's "_rating", and a bad value is reported on its line."""
    rows = [(2, {"text": "A", "sensitivity": "graphic", "categories": "injury; death"}),
            (3, {"text": "B", "sensitivity": "gory"}),
            (4, {"text": "C"})]
    out, errors = kind.tasks_from_rows(rows, SETTINGS)
    assert [line for line, _ref, _payload in out] == [2, 4]
    assert out[0][2]["_rating"]["level"] == "graphic" and set(out[0][2]["_rating"]["categories"]) == {"injury", "death"}
    assert "_rating" not in out[1][2] and "sensitivity" not in out[0][2]
    assert [e["line"] for e in errors] == [3] and "sensitivity" in errors[0]["message"]


def test_claimed_columns_are_checked_when_registered(app):
    from flask import Flask

    from citizen.kinds import columns
    bare = Flask("bare")
    with pytest.raises(ValueError, match="start with _"):
        columns.register(bare, "rating", ("sensitivity",), dict)
    columns.register(bare, "_rating", ("sensitivity", "categories"), dict)
    with pytest.raises(ValueError, match="categories are claimed already"):
        columns.register(bare, "_other", ("categories",), dict)

"""Transcription: values typed by volunteers made comparable, and agreement between them."""
import pytest

from citizen.kinds._shared import agreement, fields, normalise

TEXT = {"name": "name", "label": "Name", "type": "text", "help": "", "optional": True, "region": None}
MONEY = {"name": "total", "label": "Total", "type": "money", "help": "", "optional": False, "region": None}


@pytest.mark.parametrize("raw, value", [
    ("1.234,50", 1234.5), ("1,234.50", 1234.5), ("1 234,50", 1234.5), ("1'234.50", 1234.5),
    ("1\u202f234,5", 1234.5), ("1234.5", 1234.5), ("1234,5", 1234.5), ("12,5", 12.5), ("0,5", 0.5), (",5", 0.5),
    ("1,234", 1234), ("1.234", 1234), ("1.234.567", 1234567), ("1,234,567.89", 1234567.89),
    ("1234.567", 1234.567), ("-12", -12), ("(12.00)", -12), ("+7", 7), (42, 42), (3.5, 3.5), ("007", 7),
])
def test_numbers(raw, value):
    assert normalise.clean_number(raw) == value


@pytest.mark.parametrize("raw, value", [("€ 1.234,50", 1234.5), ("1,234.50 USD", 1234.5), ("$12", 12),
                                        ("EUR 99,90", 99.9), ("12.50-", -12.5), ("£0.10", 0.1), ("1,5 €", 1.5)])
def test_money(raw, value):
    assert normalise.clean_number(raw, money=True) == value


@pytest.mark.parametrize("raw, mark, value", [("1,234", ".", 1234), ("1,234", ",", 1.234), ("1.234", ",", 1234),
                                              ("1.234", ".", 1.234), ("1.234,5", ",", 1234.5)])
def test_decimal_mark_setting(raw, mark, value):
    assert normalise.clean_number(raw, mark) == value


@pytest.mark.parametrize("raw", ["", "abc", "1.2.3,4,5", "12,34,5", "1,23,456", True, None, [], "1e5", "--1", "1 2 3 4 5"])
def test_not_numbers(raw):
    with pytest.raises(ValueError):
        normalise.clean_number(raw)


@pytest.mark.parametrize("raw", ["2024-03-05", "2024/03/05", "5.3.2024", "05/03/2024", "05-03-24", "5 March 2024",
                                 "March 5, 2024", "5th of March 2024", "5-Mar-2024", "5 mars 2024", "5 de marzo de 2024",
                                 "20240305", "2024 March 5", "Mar. 5, 2024", " 5 MARCH 2024 "])
def test_dates_day_first(raw):
    assert normalise.clean_date(raw) == "2024-03-05"


def test_dates_month_first_and_unambiguous_days():
    assert normalise.clean_date("03/05/2024", "mdy") == "2024-03-05"
    assert normalise.clean_date("03/25/2024", "dmy") == "2024-03-25"  # no 25th month: month first after all
    assert normalise.clean_date("25/03/2024", "mdy") == "2024-03-25"
    assert normalise.clean_date("1/2/99") == "1999-02-01"


@pytest.mark.parametrize("raw", ["", "yesterday", "31/02/2024", "2024-13-01", "5 Smarch 2024", "1/2", "1/2/3/4", 20240305])
def test_not_dates(raw):
    with pytest.raises(ValueError):
        normalise.clean_date(raw)


def test_text_keys_and_edit_distance():
    assert normalise.text_key("  Amina\tDIALLO ") == normalise.text_key("amina diallo") == "amina diallo"
    assert normalise.text_key("ﬁnance") == "finance"  # NFKC: a ligature is two letters
    assert normalise.edit_distance("diallo", "dialo") == 1
    assert normalise.edit_distance("kitten", "sitting") == 3
    assert normalise.edit_distance("abcdef", "uvwxyz", limit=2) == 3
    assert [normalise.typo_allowance("x" * n) for n in (3, 4, 12, 13)] == [0, 1, 1, 2]


def test_clean_values_reports_every_field():
    form = [TEXT, MONEY]
    assert fields.clean_values({"fields": {"name": " Ada  L ", "total": "1.000,00"}}, form) == (
        {"name": "Ada L", "total": 1000}, {"total": "1.000,00"})
    assert fields.clean_values({"fields": {"name": None, "total": 5}}, form) == ({"name": None, "total": 5}, {})
    with pytest.raises(ValueError) as exc:
        fields.clean_values({"fields": {"nope": 1, "total": None}}, form)
    assert [e["field"] for e in exc.value.args[0]] == ["nope", "name", "total"]
    with pytest.raises(ValueError) as exc:
        fields.clean_values({"__no_such_field__": "x"}, form)
    assert exc.value.args[0][0]["field"] == "fields"


def test_field_definitions_round_trip():
    parsed = fields.parse_fields(fields.EXAMPLE)
    assert [f["name"] for f in parsed] == ["vendor", "total", "date", "category"]
    assert parsed[0]["optional"] and parsed[0]["region"] == [0, 0, 0.6, 0.2]
    assert parsed[3]["choices"] == ["Travel", "Meals", "Office"]
    assert fields.parse_fields(fields.as_text(parsed)) == parsed
    assert fields.parse_fields([{"name": "a", "type": "number"}])[0]["label"] == "a"


@pytest.mark.parametrize("text, message", [
    ("", "at least one field"), ("a | A", "Line 1"), ("Bad Name | A | text", "name"), ("a | A | colour", "colour"),
    ("a | A | text\na | B | text", "twice"), ("a | A | text | region=0,0,2,1", "region"),
    ("a | A | text | sometimes", "sometimes"), ("a | A | choice: one", "choice"), ("[{", "JSON"),
])
def test_bad_field_definitions(text, message):
    with pytest.raises(ValueError, match=message):
        fields.parse_fields(text)


def tally(*answers, weight=1.0):
    state = {}
    for a in answers:
        state = agreement.add_answer(state, a, weight)
    return state


def test_agreement_needs_k_matching_answers():
    form = [TEXT, MONEY]
    one = tally({"name": "Ada", "total": 10})
    assert agreement.result(one, form, 2, 5)["fields"]["total"]["status"] == "pending"
    two = tally({"name": "Ada", "total": 10}, {"name": "Bob", "total": 10})
    res = agreement.result(two, form, 2, 5)
    assert res["fields"]["total"] == {"value": 10, "status": "verified", "support": 2, "agreement": 1.0, "answers": 2}
    assert res["fields"]["name"]["status"] == "disputed" and res["status"] == "disputed"
    assert res["answer"] == {"total": 10} and not res["needs_review"]


def test_text_tolerates_typos_and_keeps_the_most_common_spelling():
    res = agreement.field_result(tally({"name": "Carlos Mendes"}, {"name": "carlos  mendes"}, {"name": "Carlos Mendes"},
                                       {"name": "Carlos Mendez"})["fields"]["name"], 2, typos=True)
    assert (res["value"], res["status"], res["support"]) == ("Carlos Mendes", "verified", 4)
    short = tally({"name": "Li"}, {"name": "Lu"})["fields"]["name"]
    assert agreement.field_result(short, 2, typos=True)["status"] == "disputed"  # too short for a typo
    far = tally({"name": "Carlos Mendes"}, {"name": "Carla Mendoza"})["fields"]["name"]
    assert agreement.field_result(far, 2, typos=True)["status"] == "disputed"
    dates = tally({"d": "2024-03-05"}, {"d": "2024-03-06"})["fields"]["d"]
    assert agreement.field_result(dates, 2, typos=False)["status"] == "disputed"  # only text forgives typos


def test_missing_ties_and_weights():
    assert agreement.field_result(tally({"f": None}, {"f": None}, {"f": "x"})["fields"]["f"], 2)["status"] == "missing"
    tie = tally({"f": "a"}, {"f": "a"}, {"f": "b"}, {"f": "b"})["fields"]["f"]
    assert agreement.field_result(tie, 2)["status"] == "disputed"
    light = tally({"f": "a"}, {"f": "a"}, weight=0.5)["fields"]["f"]
    assert agreement.field_result(light, 2)["status"] == "pending"  # two half-weight answers are one vote


def test_more_answers_up_to_the_maximum_then_review():
    form = [MONEY]
    state = tally({"total": 1}, {"total": 2}, {"total": 3})
    assert agreement.answers_wanted(state, form, 2, 5, 3) == 4
    assert agreement.answers_wanted(state, form, 3, 5, 3) == 5
    assert agreement.answers_wanted(state, form, 2, 3, 3) == 3
    assert agreement.result(state, form, 2, 3)["needs_review"]
    settled = tally({"total": 1}, {"total": 1}, {"total": 3})
    assert agreement.answers_wanted(settled, form, 2, 5, 3) == 3
    assert agreement.answers_wanted(tally({"total": 1}), form, 2, 5, 3) == 3  # not all answers are in yet

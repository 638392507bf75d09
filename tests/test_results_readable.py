"""Issue 19, "Results people can read": the unanimous rule and the method of each result, known-answer tasks from the
manage page, answers to photos the volunteer did not see, exports a downloaded folder can validate, per-field typo
tolerance in transcription."""
import csv
import io

import numpy as np
import pytest
from sqlalchemy import select, update

from citizen.accounts.models import Contributor
from citizen.campaigns import gold
from citizen.campaigns import services as campaigns
from citizen.campaigns.models import Answer, Campaign, Participation, Task
from citizen.errors import InvalidInput
from citizen.extensions import db
from citizen.kinds._shared import agreement, fields
from citizen.moderation import suspensions
from citizen.quality import pipeline, unanimous
from tests.helpers import API, answer_next, guest_at, new_guest, next_task, signed_in, submit, try_answer
from tests.test_map_kinds import photo_zip
from tests.test_wellbeing import GRAPHIC_INJURY, images, rated_campaign  # noqa: F401 (fixtures)


# --- 1. the unanimous rule ----------------------------------------------------------------------------------------
def _votes(rows):
    """[(task, voter, label)] -> the three arrays."""
    t, v, l = (np.array(c, dtype=np.int64) for c in zip(*rows))
    return t, v, l


def test_three_counted_voters_alike_decide_two_do_not():
    t, v, l = _votes([(0, 0, 1), (0, 1, 1), (0, 2, 1), (1, 0, 0), (1, 1, 0)])
    got = unanimous.decided(t, v, l, 3, np.ones(3), np.zeros(3))
    assert got.tolist() == [1, -1, -1]  # task 1: two voters only; task 2: no answers


def test_one_dissent_breaks_the_rule_unless_its_voter_is_muted():
    t, v, l = _votes([(0, 0, 1), (0, 1, 1), (0, 2, 1), (0, 3, 0)])
    assert unanimous.decided(t, v, l, 1, np.ones(4), np.zeros(4)).tolist() == [-1]
    muted = np.array([1.0, 1.0, 1.0, 0.0])  # a group confirmed colluding: kept, never counted
    assert unanimous.decided(t, v, l, 1, muted, np.zeros(4)).tolist() == [1]


def test_voters_counted_for_less_or_found_wanting_are_not_among_the_three():
    t, v, l = _votes([(0, 0, 1), (0, 1, 1), (0, 2, 1)])
    scaled = np.array([1.0, 1.0, 0.6])  # skip-hunting, or a group scaled down by the influence limit
    assert unanimous.decided(t, v, l, 1, scaled, np.zeros(3)).tolist() == [-1]
    # Voter 2 has many answers and still no weight: the model found them at chance (or gold-aware).
    more = [(i, 2, 0) for i in range(1, unanimous.SEASONED + 1)]
    t, v, l = _votes([(0, 0, 1), (0, 1, 1), (0, 2, 1), *more])
    n = unanimous.SEASONED + 1
    assert unanimous.decided(t, v, l, n, np.ones(3), np.zeros(3))[0] == -1
    assert unanimous.decided(t, v, l, n, np.ones(3), np.array([0.0, 0.0, 1.0]))[0] == 1


def test_accounts_of_one_device_are_one_voter_for_the_rule():
    t, w, l = _votes([(0, 0, 1), (0, 1, 1), (0, 2, 1)])
    apart = pipeline.run(t, w, l, 1, 3, 2, device=["a", "b", "c"])
    assert apart.unanimous.tolist() == [1]
    together = pipeline.run(t, w, l, 1, 3, 2, device=["same", "same", "same"])
    assert together.n_voters < 3 and together.unanimous.tolist() == [-1]


def _answer_all(client, slug, value, who):
    while try_answer(client, slug, value, who, duration_ms=4000).status_code == 201:
        pass


def test_results_api_csv_and_note_say_what_decided_each_row(client, make_campaign):
    c = make_campaign(tasks=2, redundancy=3)
    for i in range(3):
        _answer_all(client, c.slug, "yes", guest_at(client, f"198.51.100.{i + 1}", f"UA{i}"))
    rows = client.get(f"{API}/campaigns/{c.slug}/results").get_json()["results"]
    assert [(r["answer"], r["decided"], r["method"]) for r in rows] == [("yes", True, "unanimous")] * 2
    table = list(csv.DictReader(io.StringIO(client.get(f"/data/{c.slug}/results.csv").get_data(as_text=True))))
    assert [(r["decided"], r["method"]) for r in table] == [("true", "unanimous")] * 2
    note = client.get(f"/data/{c.slug}/README.md").get_data(as_text=True)
    assert "The unanimous rule" in note and "`method` unanimous" in note


def test_a_split_task_stays_majority_and_undecided(client, make_campaign):
    c = make_campaign(tasks=1, redundancy=3)
    for i, value in enumerate(("yes", "yes", "no")):
        _answer_all(client, c.slug, value, guest_at(client, f"198.51.100.{i + 1}", f"UA{i}"))
    (row,) = client.get(f"{API}/campaigns/{c.slug}/results").get_json()["results"]
    assert (row["answer"], row["decided"], row["method"]) == ("yes", False, "majority")


def test_three_accounts_found_on_one_device_do_not_decide_a_task(client, make_campaign):
    c = make_campaign(tasks=1, redundancy=3)
    for i in range(3):
        _answer_all(client, c.slug, "yes", guest_at(client, f"198.51.100.{i + 1}", f"UA{i}"))
    # Found later to share one device (the build reads each account's signals): one voter, not three.
    db.session.execute(update(Contributor).where(Contributor.id.in_(
        select(Answer.contributor_id).where(Answer.campaign_id == c.id))).values(device_sig="one-device"))
    db.session.commit()
    (row,) = client.get(f"{API}/campaigns/{c.slug}/results").get_json()["results"]
    assert row["answers"] == 3 and row["decided"] is False and row["method"] == "majority"


# --- 2. known-answer tasks from the manage page -------------------------------------------------------------------
def _task(campaign, ref):
    return db.session.execute(select(Task).where(Task.campaign_id == campaign.id, Task.external_id == ref)).scalar_one()


def test_organiser_marks_a_task_gold_on_the_manage_page_and_volunteers_are_checked(app, client, make_campaign,
                                                                                  organiser):
    c = make_campaign(tasks=4, quality={"gold_start": 1.0, "gold_end": 1.0})
    staff = signed_in(app, organiser.email)
    page = staff.get(f"/organise/{c.slug}/").get_data(as_text=True)
    assert 'id="gold-h"' in page and "No known-answer tasks yet." in page
    r = staff.post(f"/organise/{c.slug}/gold", data={"task": "t2", "answer": "no"})
    assert r.status_code == 302 and r.headers["Location"].endswith("#gold-h")
    db.session.expire_all()
    task = _task(c, "t2")
    assert (task.gold, task.available) == ("no", False)
    assert db.session.get(Campaign, c.id).settings["gold_count"] == 1
    assert "t2" in staff.get(f"/organise/{c.slug}/").get_data(as_text=True)
    # A newcomer is shown known-answer tasks first (gold_start 1.0): their answer is checked against it.
    who = guest_at(client, "198.51.100.9", "UA9")
    got = next_task(client, c.slug, who)
    assert got["id"] == task.id
    assert submit(client, task.id, "yes", who).status_code == 201
    part = db.session.execute(select(Participation).where(Participation.campaign_id == c.id)).scalar_one()
    assert (part.gold_total, part.gold_correct) == (1, 0)


def test_gold_is_refused_for_answered_tasks_unknown_tasks_and_unknown_answers(app, client, make_campaign, organiser):
    c = make_campaign(tasks=2)
    answer_next(client, c.slug, "yes", guest_at(client, "198.51.100.9", "UA9"))
    answered = db.session.execute(select(Task).where(Task.campaign_id == c.id, Task.answer_count > 0)).scalar_one()
    staff = signed_in(app, organiser.email)
    for data, message in (({"task": answered.external_id, "answer": "no"}, "already answered"),
                          ({"task": "nope", "answer": "no"}, "No task nope"),
                          ({"task": "", "answer": "no"}, "Name the task"),
                          ({"task": "t0", "answer": "maybe"}, "gold must be one of the answers")):
        r = staff.post(f"/organise/{c.slug}/gold", data=data, follow_redirects=True)
        assert message in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.execute(select(Task.id).where(Task.gold.is_not(None))).first() is None
    assert "gold_count" not in (db.session.get(Campaign, c.id).settings or {})


def test_an_unanswered_gold_task_can_be_made_ordinary_again_and_others_cannot_touch_it(app, client, make_campaign,
                                                                                      organiser, make_user):
    c = make_campaign(tasks=2)
    staff = signed_in(app, organiser.email)
    staff.post(f"/organise/{c.slug}/gold", data={"task": "t1", "answer": "no"})
    task = _task(c, "t1")
    stranger = signed_in(app, make_user("volunteer@example.org").email)
    assert stranger.post(f"/organise/{c.slug}/gold", data={"remove": str(task.id)}).status_code == 403
    staff.post(f"/organise/{c.slug}/gold", data={"remove": str(task.id)})
    db.session.expire_all()
    task = _task(c, "t1")
    assert (task.gold, task.available) == (None, True)
    assert db.session.get(Campaign, c.id).settings["gold_count"] == 0
    from citizen.accounts.audit import AuditLog
    log = db.session.execute(select(AuditLog).where(AuditLog.campaign_id == c.id).order_by(AuditLog.id)).scalars().all()
    assert [(e.action, e.target_id, e.user_id) for e in log] == [("mark_gold", str(task.id), organiser.id),
                                                                   ("unmark_gold", str(task.id), organiser.id)]
    assert log[0].after == {"known_answer": True, "reference": "t1"}  # never the answer itself: moderators read the log


def test_map_campaigns_take_a_known_grade(app, org, organiser):
    c = campaigns.create_campaign(org.id, organiser, {"title": "Damage", "kind": "damage", "settings": {}})
    campaigns.import_tasks(c, *photo_zip(2))
    db.session.commit()
    grades = gold.choices(c)
    assert grades and all(isinstance(v, str) for v, _label in grades)
    staff = signed_in(app, organiser.email)
    assert 'id="gold-answer"' in staff.get(f"/organise/{c.slug}/").get_data(as_text=True)
    first = db.session.execute(select(Task).where(Task.campaign_id == c.id).order_by(Task.id)).scalars().first()
    staff.post(f"/organise/{c.slug}/gold", data={"task": f"#{first.id}", "answer": grades[-1][0]})
    db.session.expire_all()
    assert db.session.get(Task, first.id).gold == grades[-1][0]


# --- 3. answers to blurred photos the volunteer did not reveal --------------------------------------------------
def _blurred_answer(client, slug, reveal, n=[0]):
    """A new volunteer (a device of their own) takes the next (blurred) task, reveals it or not, and answers "yes":
    the stored Answer."""
    n[0] += 1
    who = guest_at(client, f"203.0.113.{n[0]}", f"UA-{n[0]}")
    task = next_task(client, slug, who)
    assert task["blurred"] is True and "original" not in task["image_url"]
    if reveal:
        assert client.post(task["reveal_url"], headers=who[0], environ_base=who[1]).status_code == 200
    assert submit(client, task["id"], "yes", who, duration_ms=5000).status_code == 201
    db.session.expire_all()
    return db.session.execute(select(Answer).where(Answer.task_id == task["id"]).order_by(Answer.id.desc())).scalar()


def test_an_unrevealed_answer_to_a_blurred_photo_is_stored_as_such_and_does_not_count(client, images,
                                                                                     rated_campaign):
    c = rated_campaign(images(2), GRAPHIC_INJURY)
    blind = _blurred_answer(client, c.slug, reveal=False)
    seen = _blurred_answer(client, c.slug, reveal=True)
    assert (blind.revealed, blind.weight) == (False, 0.0)
    assert (seen.revealed, seen.weight) == (True, 1.0)
    table = list(csv.DictReader(io.StringIO(client.get(f"/data/{c.slug}/answers.csv").get_data(as_text=True))))
    assert {(r["revealed"], r["counted"]) for r in table} == {("false", "false"), ("true", "true")}


def test_the_campaign_may_count_unrevealed_answers(client, images, rated_campaign):
    c = rated_campaign(images(1), {**GRAPHIC_INJURY, "unrevealed": "count"})
    blind = _blurred_answer(client, c.slug, reveal=False)
    assert (blind.revealed, blind.weight) == (False, 1.0)


def test_answers_to_tasks_nothing_was_held_back_from_record_nothing(client, make_campaign):
    c = make_campaign(tasks=1)
    answer_next(client, c.slug, "yes", new_guest(client))
    assert db.session.execute(select(Answer.revealed, Answer.weight)).one() == (None, 1.0)


def test_the_unrevealed_setting_is_validated_and_on_the_form(client, make_campaign, organiser):
    with pytest.raises(InvalidInput) as err:
        make_campaign(wellbeing={**GRAPHIC_INJURY, "unrevealed": "sometimes"})
    assert err.value.details[0]["field"] == "wellbeing.unrevealed"
    staff = signed_in(client.application, organiser.email)
    assert 'name="wb_unrevealed"' in staff.get("/organise/new").get_data(as_text=True)


def test_a_rebuilt_tally_keeps_unrevealed_answers_uncounted(client, images, rated_campaign):
    c = rated_campaign(images(1), GRAPHIC_INJURY)
    blind = _blurred_answer(client, c.slug, reveal=False)
    # A lifted suspension gives the answers weight 1 again, then rebuilds their tasks by the one rule.
    db.session.execute(update(Answer).where(Answer.id == blind.id).values(weight=1.0))
    assert suspensions.rebuild_for(blind.contributor_id, [c.id]) == 1
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Answer, blind.id).weight == 0.0
    assert db.session.get(Task, blind.task_id).consensus.get("n") == 1  # kept, in the tally, without weight


# --- 5. typo tolerance per field in transcription ---------------------------------------------------------------
def _verdict(defined, values):
    """The status of the first field when these values were given (one answer each), two answers to agree."""
    form = fields.parse_fields(defined)
    state = {}
    for v in values:
        state = agreement.add_answer(state, {form[0]["name"]: v})
    return agreement.result(state, form, 2, 5)["fields"][form[0]["name"]]["status"]


def test_names_and_identifiers_need_the_exact_spelling_by_default():
    assert _verdict("surname | Surname | text", ["Mendes", "Mendez"]) == "disputed"
    assert _verdict("ref | Invoice number | text", ["INV-20311", "INV-20317"]) == "disputed"
    assert _verdict("place | Place of birth | text", ["Valparaiso", "Valparaíso"]) != "disputed"
    assert _verdict("place | Place of birth | text", ["Santiago de Chile", "Santiago de Chlie"]) == "verified"


def test_the_organiser_sets_tolerance_per_field():
    assert _verdict("surname | Surname | text | typos", ["Mendes", "Mendez"]) == "verified"
    assert _verdict("place | Place | text | exact", ["Santiago de Chile", "Santiago de Chlie"]) == "disputed"
    form = fields.parse_fields("surname | Surname | text | typos\nplace | Place | text | exact\nnote | Note | text")
    assert [f["typos"] for f in form] == [True, False, True]
    assert fields.as_text(form).splitlines() == ["surname | Surname | text | typos", "place | Place | text | exact",
                                                 "note | Note | text"]
    with pytest.raises(ValueError, match="only text fields"):
        fields.parse_fields("amount | Amount | money | typos")
    # Fields stored before the setting existed take the default by their name.
    assert fields.typos({"name": "surname", "label": "Surname", "type": "text"}) is False
    assert fields.typos({"name": "notes", "label": "Notes", "type": "text"}) is True

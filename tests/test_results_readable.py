"""Issue 19, "Results people can read": the unanimous rule and the method of each result, known-answer tasks from the
manage page, answers to photos the volunteer did not see, exports a downloaded folder can validate, per-field typo
tolerance in transcription."""
import csv
import io

import numpy as np
from sqlalchemy import select, update

from citizen.accounts.models import Contributor
from citizen.campaigns.models import Answer
from citizen.extensions import db
from citizen.quality import pipeline, unanimous
from tests.helpers import API, guest_at, try_answer


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

"""The skew benchmark's machinery (benchmarks/skew*.py) on a tiny synthetic set: its bookkeeping, not
its figures. Each run builds its own SQLite database, as the benchmark does."""

import pytest

from benchmarks import skew
from benchmarks import skew_attacks as attacks
from benchmarks.skew_data import from_rows
from benchmarks.skew_http import read_results

TASKS = [f"t{i:02d}" for i in range(12)]
TRUTH = {t: ("yes" if i % 3 else "No way") for i, t in enumerate(TASKS)}  # a label that is no option value
HONEST = [(w, t, TRUTH[t] if (i + j) % 5 else ("yes" if TRUTH[t] != "yes" else "No way"))
          for j, w in enumerate("abcd") for i, t in enumerate(TASKS)]


@pytest.fixture(scope="module")
def crowd():
    return from_rows("tiny", HONEST, TRUTH)


@pytest.fixture(scope="module")
def gold():
    return {"t00"}


@pytest.fixture(scope="module")
def targets(crowd, gold):
    return attacks.plan(crowd, gold, 7)


def test_labels_map_to_option_values(crowd):
    assert crowd.labels == ["No way", "yes"]
    assert crowd.value_of["yes"] == "yes" and crowd.value_of["No way"] not in ("No way", "yes")
    assert {crowd.label_of[v] for v in crowd.value_of.values()} == set(crowd.labels)


def test_targets_are_non_gold_and_a_tenth(crowd, gold, targets):
    assert len(targets) == 1 and not targets & gold and targets <= set(TASKS)


@pytest.mark.parametrize("order", attacks.ORDERS)
def test_both_orders_store_honest_and_attack_answers(crowd, gold, targets, order):
    got = attacks.run(crowd, HONEST, gold, targets, "ring10", "spread", order, seed=1)
    try:
        assert got["honest_stored"] == len(HONEST)
        assert got["attack_wanted"] == int(len(HONEST) * 0.10 / 0.90) == 5
        assert got["attack_stored"] == 5 and got["accounts"] == 10
        attack_rows = got["stored"][len(HONEST):]
        assert len(got["stored"]) == len(HONEST) + 5 and len(attack_rows) == 5
        assert all(label != TRUTH[t] for _w, t, label in attack_rows if t not in gold)  # ring: wrong together
        results = read_results(got["site"])
        assert sorted(r["external_id"] for r in results.values()) == TASKS
        assert not any(r["gold"] for r in results.values())  # while open, the public cannot tell gold apart
        staff = read_results(got["site"], got["site"].organiser)  # the organiser can
        assert [r["external_id"] for r in staff.values() if r["gold"]] == ["t00"]
    finally:
        got["site"].close()


def test_skip_hunters_answer_only_targets_and_count_their_skips(crowd, gold, targets):
    got = attacks.run(crowd, HONEST, gold, targets, "skiphunt", "one-device", "honest-first", seed=2)
    try:
        attack_rows = got["stored"][len(HONEST):]
        assert got["attack_stored"] == len(attack_rows) > 0
        assert {t for _w, t, _l in attack_rows} <= targets  # every stored attack answer is on a target
        assert got["accounts"] == 5 and len(attack_rows) <= 5  # each account answers each target at most once
        assert got["skips"] > 0
    finally:
        got["site"].close()


def test_targeted_attacks_are_scored_on_their_targets(crowd, gold, targets):
    clean, takes_duration = skew.measure(crowd, HONEST, gold, targets, "clean", "-", "honest-first", 3)
    assert takes_duration in (True, False)
    assert clean["attacked_tasks"] == len(TASKS) - len(gold) and clean["attack_answers_stored"] == 0
    camo, _ = skew.measure(crowd, HONEST, gold, targets, "camouflage10", "one-device", "attack-first", 4)
    assert camo["attacked_tasks"] == len(targets) == 1
    assert camo["attacked_accuracy"] in (0.0, 1.0)  # one target: right or wrong
    assert camo["honest_answers_stored"] == len(HONEST)
    spam, _ = skew.measure(crowd, HONEST, gold, targets, "spam30", "spread", "honest-first", 5)
    assert spam["attacked_tasks"] == len(TASKS) - len(gold)
    skew.judge(clean, clean)
    skew.judge(camo, clean, targeted=True)
    assert camo["clean_attacked_accuracy"] == clean["targets_accuracy"]
    assert set(camo) >= {"overall_ratio", "attacked_ratio", "max_flip_single", "max_flip_group", "pass"}


def test_worst_of_draws_takes_the_worst_figure_of_each():
    rows = [{"citizen_accuracy": 0.9, "attacked_ratio": 0.5, "max_flip_share": 0.0, "pass": False},
            {"citizen_accuracy": 0.8, "attacked_ratio": 0.95, "max_flip_share": 0.02, "pass": True}]
    w = skew.worst(rows)
    assert (w["citizen_accuracy"], w["attacked_ratio"], w["max_flip_share"], w["pass"], w["draws"]) == (
        0.8, 0.5, 0.02, False, 2)


def test_majority_ties_count_their_expected_share(crowd):
    stored = [("a", "t01", "yes"), ("b", "t01", "No way"), ("a", "t02", "yes")]
    mv, _ds = skew.majority_and_ds(crowd, stored, ["t01", "t02"])
    assert mv == pytest.approx((0.5 + 1.0) / 2)


def test_a_workers_repeated_answer_is_left_out():
    crowd = from_rows("dup", [("a", "t1", "x"), ("a", "t1", "y"), ("b", "t1", "y"), ("a", "t9", "x")], {"t1": "x"})
    assert crowd.answers == [("a", "t1", "x"), ("b", "t1", "y")]


def test_last_line_keeps_what_the_check_reads(crowd, monkeypatch, capsys):
    import json
    monkeypatch.setitem(skew._loaded, "bluebirds", from_rows("bluebirds", HONEST, TRUTH))  # the tiny set under that name
    skew.main(["--sets", "bluebirds", "--scenarios", "ring10", "--draws", "1", "--jobs", "1"])
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(out["scenarios"]) == {"clean", "ring10"}  # bluebirds, one-device/honest-first
    assert set(out["sets"]["bluebirds"]["ring10"]) == {"one-device/honest-first", "spread/attack-first"}
    for row in out["scenarios"].values():
        assert {"citizen_accuracy", "max_flip_share", "pass"} <= set(row)
    assert out["goal"]["passed"] + out["goal"]["failed"] == 3
    assert out["sets"]["bluebirds"]["ring10"]["spread/attack-first"]["attack_answers_stored"] == 5


def test_colluders_wrong_label_is_no_permutation_of_the_truth():
    labels = [f"g{i}" for i in range(10)]
    truth = {f"t{i}": labels[i % 10] for i in range(400)}
    crowd = from_rows("many", [("a", t, lab) for t, lab in truth.items()], truth)
    pairs = {(truth[t], attacks.wrong(crowd, t)) for t in truth}
    assert all(w != t for t, w in pairs)
    assert all(len({w for t, w in pairs if t == lab}) > 1 for lab in labels)  # one truth, several wrong labels

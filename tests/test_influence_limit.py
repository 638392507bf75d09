"""The influence limit on the consensus itself (issue 16): a decided result has a margin of two votes
(aggregate.hinges), and a group of accounts above the limit counts for less (citizen.quality.limit)."""
import numpy as np

from citizen.quality import pipeline
from citizen.quality.aggregate import fit, hinges
from citizen.quality.choose import aggregate
from citizen.quality.limit import bounded
from tests.test_groups import _crowd, _with_accounts
from tests.test_quality import bluebirds


def _loop_hinges(agg, t, w, l):
    """The one-vote rule by plain loops: take each vote out of its task's log-posterior in turn."""
    logp = np.log(np.clip(agg.public, 1e-300, None))
    out = np.zeros(len(logp), bool)
    for i in range(len(t)):
        without = logp[t[i]] - agg.votes[w[i], :, l[i]]
        top = logp[t[i]].argmax()
        rest = np.delete(without, top)
        out[t[i]] |= rest.max() >= without[top] - 1e-12
    return out


def test_one_vote_margin_is_leaving_each_vote_out_and_two_is_stricter():
    rnd = np.random.default_rng(4)
    for k in (2, 4):
        truth = rnd.integers(0, k, 200)
        t, w, l = [], [], []
        for task in range(200):
            for worker in rnd.choice(10, int(rnd.integers(1, 6)), replace=False):
                t.append(task), w.append(worker)
                l.append(int(truth[task]) if rnd.random() < 0.5 + 0.04 * worker else int(rnd.integers(0, k)))
        t, w, l = (np.array(x) for x in (t, w, l))
        agg = fit(t, w, l, 200, 10, k)
        one, two = hinges(agg, t, w, l, depth=1), hinges(agg, t, w, l)
        assert (one == _loop_hinges(agg, t, w, l)).all()
        assert (two >= one).all() and two.sum() > one.sum()


def test_two_agreeing_votes_are_not_a_decided_result_five_are():
    rnd = np.random.default_rng(12)
    truth = rnd.integers(0, 2, 40)
    t, w, l = [], [], []
    for task in range(2, 40):
        for worker in range(5):
            t.append(task), w.append(worker), l.append(int(truth[task]) if rnd.random() < 0.9 else 1 - truth[task])
    t += [0, 0, 1, 1, 1, 1, 1]
    w += [0, 1, 0, 1, 2, 3, 4]
    l += [1, 1, 1, 1, 1, 1, 1]
    t, w, l = (np.array(x) for x in (t, w, l))
    agg = fit(t, w, l, 40, 5, 2)
    assert agg.confidence[0] > 0.95
    rests = hinges(agg, t, w, l)
    assert rests[0] and not rests[1]
    assert not hinges(agg, t, w, l, depth=1)[0]


def test_no_honest_bluebirds_volunteer_flips_more_than_the_limit_and_the_answers_stay():
    t, w, l, truth, n_w = bluebirds()
    gold = (np.arange(0, 108, 20), truth[::20])
    plain = pipeline.run(t, w, l, len(truth), n_w, 2, gold=gold)
    limited = pipeline.run(t, w, l, len(truth), n_w, 2, gold=gold, influence=True)
    assert max(r.share for r in limited.influence) <= 0.01
    assert (limited.aggregate.labels == plain.aggregate.labels).all()  # single voters are never scaled down


def test_a_group_above_the_limit_counts_for_less_and_honest_voters_keep_their_weight():
    # Fifteen accounts wrong together on 30 targets (the burst of test_groups): left out together they flip many
    # decided results; bounded, they count for less until they flip no more than the limit.
    t, w, l, truth, n_w = _crowd(per_task=3)
    rnd = np.random.default_rng(9)
    targets = sorted(rnd.choice(len(truth), 30, replace=False).tolist())
    ring = [[(x, int(1 - truth[x])) for x in targets] + [(int(x), int(truth[x])) for x in
                                                          rnd.choice(len(truth), 40, replace=False) if x not in targets]
            for _ in range(15)]
    t2, w2, l2, n = _with_accounts(t, w, l, n_w, ring)
    first = aggregate(t2, w2, l2, len(truth), n, 2)
    burst = list(range(n_w, n))
    agg, factor, rows, rests = bounded(first, t2, w2, l2, len(truth), n, 2, None, np.ones(n), burst,
                                       [("burst", burst)], 0.01, 0.95)
    row = next(r for r in rows if r.kind == "burst")
    assert row.share <= 0.01
    assert (factor[burst] < 1).all() and (factor[:n_w] == 1).all()
    wrong_before = (first.labels[targets] != truth[targets]).sum()
    assert (agg.labels[targets] != truth[targets]).sum() < wrong_before
    assert rests.shape == (len(truth),)

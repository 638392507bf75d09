"""Anti-skew: aggregation, clusters, influence, controls on the hot path (caps, minimum time, gold)."""
import csv
import os
import uuid

import numpy as np
import pytest
from sqlalchemy import select

from citizen.campaigns.models import Answer, Participation, Task
from citizen.errors import InvalidInput
from citizen.extensions import db
from citizen.quality import controls
from citizen.quality.aggregate import collapse_clusters, dawid_skene
from citizen.quality.clusters import clusters
from citizen.quality.influence import leave_one_out
from citizen.accounts.signatures import signatures
from tests.helpers import API, guest_at, sign_in, try_answer
from tests.test_concurrency import _parallel

BLUEBIRDS = os.path.join(os.path.dirname(__file__), "data", "crowd", "bluebirds")


def bluebirds():
    rows = list(csv.DictReader(open(os.path.join(BLUEBIRDS, "answers.csv"))))
    truth = {r["task"]: int(r["label"]) for r in csv.DictReader(open(os.path.join(BLUEBIRDS, "truth.csv")))}
    tasks, workers = sorted(truth), sorted({r["worker"] for r in rows})
    ti, wi = {t: i for i, t in enumerate(tasks)}, {w: i for i, w in enumerate(workers)}
    t = np.array([ti[r["task"]] for r in rows])
    w = np.array([wi[r["worker"]] for r in rows])
    l = np.array([int(r["label"]) for r in rows])
    return t, w, l, np.array([truth[x] for x in tasks]), len(workers)


def loop_dawid_skene(t, w, l, n_tasks, n_workers, k, iters, alpha):
    """Plain-loop Dawid-Skene (no clipping, no zeroing) to check the vectorised one against."""
    post = np.zeros((n_tasks, k))
    for ti, li in zip(t, l):
        post[ti, li] += 1
    post /= post.sum(1, keepdims=True)
    for _ in range(iters):
        prior = (post.sum(0) + 1) / (n_tasks + k)
        conf = np.full((n_workers, k, k), alpha)
        for ti, wi, li in zip(t, w, l):
            conf[wi, :, li] += post[ti]
        conf /= conf.sum(2, keepdims=True)
        logp = np.tile(np.log(prior), (n_tasks, 1))
        for ti, wi, li in zip(t, w, l):
            logp[ti] += np.log(conf[wi, :, li])
        logp -= logp.max(1, keepdims=True)
        post = np.exp(logp) / np.exp(logp).sum(1, keepdims=True)
    return post


def test_dawid_skene_reaches_the_published_figure_on_bluebirds():
    t, w, l, truth, n_w = bluebirds()
    agg = dawid_skene(t, w, l, len(truth), n_w, 2)
    assert (agg.labels == truth).mean() >= 0.889  # crowd-kit 1.4.2's Dawid-Skene on this data
    majority = np.array([np.bincount(l[t == i], minlength=2).argmax() for i in range(len(truth))])
    assert (majority == truth).mean() < 0.77


def test_vectorised_dawid_skene_matches_a_plain_loop():
    rnd = np.random.default_rng(3)
    t = np.repeat(np.arange(40), 5)
    w = rnd.integers(0, 12, len(t))
    l = rnd.integers(0, 3, len(t))
    ours = dawid_skene(t, w, l, 40, 12, 3, max_iter=7, tol=0, alpha=1.0, max_weight=1e9, min_evidence=0,
                       chance_margin=-1.0)
    assert ours.iterations == 7
    # ours subtracts each voter's mean log-likelihood (a constant per task): the posterior is the same
    np.testing.assert_allclose(ours.posteriors, loop_dawid_skene(t, w, l, 40, 12, 3, 7, 1.0), atol=1e-9)


def test_gold_is_clamped_and_weights_are_bounded():
    # Task 0: one very reliable voter (worker 0) says 1; two ordinary ones say 0.
    rnd = np.random.default_rng(1)
    t, w, l = [], [], []
    truth = rnd.integers(0, 2, 60)
    for task in range(1, 60):
        for worker, acc in ((0, 0.99), (1, 0.75), (2, 0.75)):
            t.append(task), w.append(worker), l.append(truth[task] if rnd.random() < acc else 1 - truth[task])
    t += [0, 0, 0]
    w += [0, 1, 2]
    l += [1, 0, 0]
    agg = dawid_skene(t, w, l, 60, 3, 2, gold=(np.array([5]), np.array([1 - truth[5]])))
    assert agg.posteriors[5, 1 - truth[5]] == 1.0
    assert agg.labels[0] == 0  # no single vote decides a task against two agreeing others
    assert 0 < agg.weight[1] <= agg.weight[0] <= 3.0


def test_contrarians_and_spammers_get_no_weight():
    t, w, l, truth, n_w = bluebirds()
    contrarian = 1 - truth[t[w == 0]]
    l2 = np.concatenate([l, contrarian, np.ones(len(truth), int)])
    t2 = np.concatenate([t, t[w == 0], np.arange(len(truth))])
    w2 = np.concatenate([w, np.full(len(contrarian), n_w), np.full(len(truth), n_w + 1)])
    agg = dawid_skene(t2, w2, l2, len(truth), n_w + 2, 2)
    assert agg.weight[n_w] == 0 and agg.weight[n_w + 1] == 0
    assert (agg.labels == truth).mean() >= 0.889


def test_agreement_alone_never_groups_and_a_ring_wrong_everywhere_carries_no_weight():
    t, w, l, truth, n_w = bluebirds()
    label, groups = clusters(t, w, l, n_w, 2)
    assert groups == []
    ring = np.arange(n_w, n_w + 4)
    t2 = np.concatenate([t] + [np.arange(len(truth))] * 4)
    w2 = np.concatenate([w] + [np.full(len(truth), r) for r in ring])
    l2 = np.concatenate([l] + [1 - truth] * 4)
    label, groups = clusters(t2, w2, l2, n_w + 4, 2)
    assert groups == []  # no device, network or burst: four accounts that agree are not a group on that alone
    agg = dawid_skene(t2, w2, l2, len(truth), n_w + 4, 2)
    assert (agg.weight[ring] == 0).all() and (agg.labels == truth).mean() >= 0.88
    label = np.arange(n_w + 4)
    label[ring] = n_w
    ct, cv, cl, n_v = collapse_clusters(t2, w2, l2, label)
    assert n_v == n_w + 1 and len(ct) == len(t) + len(truth)


def test_shared_device_signature_links_accounts():
    sig = signatures("k", "203.0.113.7", "UA", "en")
    label, groups = clusters([0, 1], [0, 1], [0, 1], 3, 2, signature_of=[sig[0], None, sig[0]])
    assert [g.tolist() for g in groups] == [[0, 2]]


def test_signatures_name_an_address_and_a_network_never_loopback():
    a = signatures("k", "203.0.113.7", "UA", "en")
    # What a client changes for free makes no new device: the browser's name, its languages, a new guest.
    assert a == signatures("k", "203.0.113.7", "Other/2.0", "fr") == signatures("k", "203.0.113.7")
    b = signatures("k", "203.0.113.200", "UA", "en")  # another address of the same /24: another device, one network
    assert b[0] != a[0] and b[1] == a[1]
    assert signatures("k", "198.51.100.7")[1] != a[1]
    six = signatures("k", "2001:db8:1:2:aaaa::1")  # any address inside one /64 is one device
    assert six == signatures("k", "2001:db8:1:2:ffff:1234:5678:9abc", "Rotated UA")
    other64 = signatures("k", "2001:db8:1:3::1")  # the next /64: another device, in the same /48 network
    assert other64[0] != six[0] and other64[1] == six[1]
    assert signatures("k", "::ffff:203.0.113.7") == a  # the IPv4 client seen through an IPv6 socket
    assert signatures("k", "127.0.0.1", "UA", "en") == (None, None) == signatures("k", "::1")
    assert signatures("k", "not an address") == (None, None) == signatures("k", None)
    assert "203.0.113" not in (a[0] + a[1]) and signatures("other key", "203.0.113.7")[0] != a[0]


def test_influence_report_finds_no_honest_volunteer_flipping_more_than_one_percent():
    t, w, l, truth, n_w = bluebirds()
    agg, report = leave_one_out(t, w, l, len(truth), n_w, 2)
    assert len(report) == n_w
    assert max(r.share for r in report) <= 0.01
    assert report[0].moved >= report[0].flips


def test_quality_settings_defaults_and_errors():
    assert controls.clean({}) == controls.defaults()
    with pytest.raises(InvalidInput) as exc:
        controls.clean({"cap_share": 2, "min_ms": "soon", "gold_start": 0.1, "gold_end": 0.2})
    fields = {d["field"] for d in exc.value.details}
    assert fields == {"quality.cap_share", "quality.min_ms"}
    q = controls.defaults()
    assert controls.answer_cap(q, tasks_total=100, redundancy=3) == 100  # everyone may do every task once
    assert controls.answer_cap(q, tasks_total=100, redundancy=100) == 500
    assert controls.answer_cap({**q, "cap_answers": 20}, 100, 3) == 20
    assert controls.gold_rate(q, 0) == pytest.approx(0.4) and controls.gold_rate(q, 1000) == pytest.approx(0.1)


def test_absolute_cap_refuses_kindly_and_stores_nothing(client, make_campaign):
    c = make_campaign(tasks=6, quality={"cap_answers": 2})
    h, env = guest_at(client, "198.51.100.1")
    assert [try_answer(client, c.slug, "yes", (h, env), duration_ms=4000).status_code for _ in range(2)] == [201, 201]
    r = try_answer(client, c.slug, "yes", (h, env), duration_ms=4000)
    assert r.status_code == 429 and r.get_json()["code"] == "capped" and "campaign" in r.get_json()["message"]
    assert db.session.execute(select(db.func.count()).select_from(Answer)).scalar() == 2


def test_linked_accounts_share_one_cap(client, make_campaign):
    c = make_campaign(tasks=4, redundancy=10, quality={"cap_share": 0.01})  # cap: each task once (4)
    stored = 0
    for _ in range(3):  # three guest accounts from one device
        h, env = guest_at(client, "203.0.113.9", "Same browser")
        while (r := try_answer(client, c.slug, "yes", (h, env), duration_ms=4000)).status_code == 201:
            stored += 1
    assert stored == 4
    other, env = guest_at(client, "198.51.100.77", "Another browser")
    assert try_answer(client, c.slug, "yes", (other, env), duration_ms=4000).status_code == 201


def test_two_requests_at_once_cannot_both_pass_a_cap(app, make_campaign):
    c = make_campaign(tasks=4, quality={"cap_answers": 1})
    client = app.test_client()
    h, env = guest_at(client, "198.51.100.1")
    ids = []
    for _ in range(2):
        ids.append(client.get(f"{API}/campaigns/{c.slug}/tasks/next", headers=h, environ_base=env,
                              query_string={"exclude": ",".join(map(str, ids))}).get_json()["id"])

    def send(tid):
        return app.test_client().post(f"{API}/tasks/{tid}/answers", headers={**h, "Idempotency-Key": str(uuid.uuid4())},
                                      environ_base=env, json={"value": "yes", "duration_ms": 5000}).status_code
    assert sorted(_parallel(send, ids)) == [201, 429]
    db.session.expire_all()
    assert db.session.execute(select(db.func.count()).select_from(Answer)).scalar() == 1


def test_fast_answers_are_kept_with_no_weight_and_counted(client, make_campaign):
    c = make_campaign(tasks=3)
    h, env = guest_at(client, "198.51.100.1")
    assert try_answer(client, c.slug, "yes", (h, env), duration_ms=200).status_code == 201
    assert try_answer(client, c.slug, "yes", (h, env), duration_ms=5000).status_code == 201
    assert sorted(db.session.execute(select(Answer.weight)).scalars()) == [0.0, 1.0]
    assert db.session.execute(select(Participation.fast_count)).scalar() == 1


def test_gold_tasks_are_mixed_in_for_newcomers_with_feedback(client, make_campaign, app):
    from citizen.campaigns import services as campaigns
    import json
    c = make_campaign(tasks=5, quality={"gold_start": 1.0, "gold_end": 1.0})
    campaigns.import_tasks(c, "gold.json", json.dumps([{"text": "A known one", "gold": "no"}]))
    db.session.commit()
    gold_id = db.session.execute(select(Task.id).where(Task.gold.is_not(None))).scalar_one()
    assert db.session.get(Task, gold_id).available is False  # never in the ordinary pool
    h, env = guest_at(client, "198.51.100.1")
    task = client.get(f"{API}/campaigns/{c.slug}/tasks/next", headers=h, environ_base=env).get_json()
    assert task["id"] == gold_id and "gold" not in json.dumps(task)
    r = client.post(f"{API}/tasks/{gold_id}/answers", headers={**h, "Idempotency-Key": "k1"}, environ_base=env,
                    json={"value": "yes", "duration_ms": 4000})
    body = r.get_json()  # no word of gold, nor of the known answer (tests/test_controls16.py: the same shape as others)
    assert r.status_code == 201 and "gold" not in body and "no" not in json.dumps(body) and body["feedback"] is None
    db.session.expire_all()
    part = db.session.execute(select(Participation)).scalar_one()
    assert (part.gold_total, part.gold_correct) == (1, 0)
    assert db.session.get(Task, gold_id).available is False


def test_results_use_dawid_skene_once_there_is_evidence(client, make_campaign):
    c = make_campaign(tasks=2, redundancy=3)
    for i in range(3):
        h, env = guest_at(client, f"198.51.100.{i + 1}", f"UA{i}")
        while try_answer(client, c.slug, "yes", (h, env), duration_ms=4000).status_code == 201:
            pass
    rows = client.get(f"{API}/campaigns/{c.slug}/results").get_json()["results"]
    assert {r["answer"] for r in rows} == {"yes"} and all(r["method"] == "dawid-skene" for r in rows)
    assert all(r["decided"] is False for r in rows)  # two answers each is too little evidence to weigh anyone


def test_organiser_sees_the_quality_report_and_sets_the_controls(client, make_campaign, organiser):
    c = make_campaign(tasks=3)
    for i in range(3):
        h, env = guest_at(client, "203.0.113.5", "Same")  # three accounts on one device
        try_answer(client, c.slug, "yes", (h, env), duration_ms=4000)
    sign_in(client, organiser.email)
    page = client.get(f"/organise/{c.slug}/quality")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "3 accounts counted as one" in html and "one device signature" in html
    form = client.get(f"/organise/{c.slug}/edit").get_data(as_text=True)
    assert 'name="quality.min_ms"' in form
    r = client.post(f"/organise/{c.slug}/edit", data={"title": c.title, "redundancy": 3, "licence": "CC-BY-4.0",
                                                      "question": "Is there a red roof?", "options": "Yes\nNo\nNot sure",
                                                      "quality.min_ms": "abc"})
    assert r.status_code == 200 and 'aria-invalid="true"' in r.get_data(as_text=True)


def test_dynamic_overlap_stops_a_confident_task_early(client, make_campaign):
    import json
    from citizen.campaigns import services as campaigns
    c = make_campaign(tasks=2, redundancy=6, quality={"min_answers": 2, "gold_start": 1.0, "gold_end": 1.0})
    campaigns.import_tasks(c, "gold.json", json.dumps([{"text": f"Known {i}", "gold": "yes"} for i in range(4)]))
    db.session.commit()
    proven = []
    for i in range(2):  # two volunteers right on 4 known-answer tasks each
        h, env = guest_at(client, f"198.51.100.{i + 10}", f"UA{i}")
        for _ in range(4):
            assert try_answer(client, c.slug, "yes", (h, env), duration_ms=4000).status_code == 201
        proven.append((h, env))
    assert [(p.gold_total, p.gold_correct) for p in db.session.execute(select(Participation)).scalars()] == [(4, 4)] * 2
    c.settings = {**c.settings, "quality": {**c.settings["quality"], "gold_start": 0.0, "gold_end": 0.0}}
    db.session.commit()
    first = client.get(f"{API}/campaigns/{c.slug}/tasks/next", headers=proven[0][0], environ_base=proven[0][1]).get_json()
    for h, env in proven:
        task = first if h is proven[0][0] else None
        while task is None or task["id"] != first["id"]:
            task = client.get(f"{API}/campaigns/{c.slug}/tasks/next", headers=h, environ_base=env).get_json()
        r = client.post(f"{API}/tasks/{first['id']}/answers", headers={**h, "Idempotency-Key": str(uuid.uuid4())},
                        environ_base=env, json={"value": "yes", "duration_ms": 4000})
        assert r.status_code == 201
    db.session.expire_all()
    task = db.session.get(Task, first["id"])
    assert task.answer_count == 2 and task.available is False and task.redundancy <= 3  # 2 given + a lease in flight
    assert controls.confidence(task.consensus) >= 0.95


def test_quality_report_api_is_for_the_campaigns_staff(client, make_campaign, make_user, organiser_token):
    from citizen.accounts import services as accounts
    c = make_campaign(tasks=2)
    moderator = make_user("mod@example.org", role="moderator")
    token = accounts.create_api_token(moderator)
    db.session.commit()
    h, env = guest_at(client, "198.51.100.1")
    assert client.get(f"{API}/campaigns/{c.slug}/quality", headers=h).status_code == 403
    for t in (token, organiser_token):
        r = client.get(f"{API}/campaigns/{c.slug}/quality", headers={"Authorization": "Bearer " + t})
        assert r.status_code == 200 and {"settings", "clusters", "influence", "fast", "gold"} <= set(r.get_json())


def test_quality_page_names_each_influence_row_by_its_kind_and_the_model(app):
    """Sets of accounts are named by what they are (a counted group, a burst, a network, a device), never all
    "linked accounts"; the model in use, how it was chosen and its scores are shown; counts agree in number."""
    from types import SimpleNamespace
    from flask import render_template
    rows = [{"contributors": ["v-1", "v-2", "v-3"], "kind": kind, "answers": 3, "flips": 0, "share": 0.0,
             "flagged": False} for kind in ("cluster", "burst", "network", "device")]
    report = {"settings": controls.of({}), "answer_cap": None, "fast": [{}], "skips": [], "gold": [], "clusters": [],
              "method": "hds", "iterations": 12, "converged": True, "influence": rows,
              "model_scores": {"ds": [40.0, -20.5], "hds": [45.0, -18.2], "mv": [38.0, -30.0]}}
    with app.test_request_context("/"):
        html = render_template("organise/quality.html", report=report,
                               campaign=SimpleNamespace(title="T", slug="t", settings={}))
    for text in ("group counted as one (3 accounts)", "3 accounts that arrived together", "3 accounts on one network",
                 "3 accounts on one device", "1 volunteer is flagged", "How answers are combined",
                 "hierarchical Dawid-Skene", "converged after 12 iterations", 'class="table-scroll"'):
        assert text in html, text
    assert "linked accounts</td>" not in html

"""A model in the loop, on real data with a real model: does routing volunteers to the model's likely errors give
better labels for the same volunteer effort? (issue 22)

Data: the handwritten digits that scikit-learn ships (`load_digits`: 1,797 8x8 images, ten classes, with their true
labels). Model: scikit-learn's LogisticRegression trained on TRAIN of them (a small training set, so that it is
wrong often enough to matter: about one in ten); it predicts the other images, with its largest class probability as
the confidence. Those images become a `question` campaign (ten options, redundancy 3), its predictions imported
through the app (`citizen.predictions.import_predictions`).

Volunteers (the noise model, stated): VOLUNTEERS simulated people, each with an accuracy drawn uniformly from
ACCURACY; a wrong answer is one of the nine other digits at random. Each answer comes from a volunteer drawn at
random who asks the app's own scheduler for their next task (`citizen.campaigns.scheduler`, in-process, on SQLite,
every anti-skew control as a new campaign has it) and answers it; the server's clock moves on by a plausible time
per answer, so answers count as a real volunteer's would.

Strategies, at equal volunteer effort (the same number of answers):
- no model: the campaign without predictions (random order); a task the volunteers have not verified has no label;
- model, random order: the predictions imported, routing "random"; a task not verified keeps the model's label;
- model, uncertainty first: routing "uncertainty" (least confident first) with a 10 % audit sample.
The final label of a task is the crowd's verified answer (all its answers in, or decided early) where there is one,
else the model's (for the strategies with a model). Figures: the accuracy of the final labels over all tasks at each
checkpoint of answers given; the answers needed to reach TARGETS; and the model's accuracy as the app estimates it on
the audit sample (with its 95 % interval) against its true accuracy over every task. Each draw is a new training set
and a new crowd; the worst draw is reported with the others (`--draws`).
The last stdout line is one JSON object.
"""
import argparse
import json
import random
import statistics
import sys
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from benchmarks.common import fresh_app

TRAIN = 120
VOLUNTEERS = 40
ACCURACY = (0.6, 0.95)
REDUNDANCY = 3
STEP = 100                  # answers between two checkpoints
TARGETS = (0.95, 0.97)
LABELS = [str(d) for d in range(10)]
STRATEGIES = ("no model", "model, random order", "model, uncertainty first")


def model_predictions(draw):
    """(truth of the held-out images, their predicted labels, confidences), the model trained on TRAIN images."""
    digits = load_digits()
    rnd = np.random.default_rng(draw)
    order = rnd.permutation(len(digits.target))
    train, rest = order[:TRAIN], order[TRAIN:]
    model = LogisticRegression(max_iter=5000).fit(digits.data[train] / 16.0, digits.target[train])
    proba = model.predict_proba(digits.data[rest] / 16.0)
    return digits.target[rest], proba.argmax(axis=1), proba.max(axis=1)


def _campaign(truth, predicted, confidence, strategy):
    from citizen.accounts import services as accounts
    from citizen.campaigns import services as campaigns
    from citizen.extensions import db
    from citizen.predictions import services as predictions
    org = accounts.get_or_create_organisation("bench", "Bench")
    c = campaigns.create_campaign(org.id, None, {
        "title": "Which digit is it?", "kind": "question", "redundancy": REDUNDANCY,
        "settings": {"question": "Which digit is it?", "options": LABELS}})
    campaigns.import_tasks(c, "digits.json", json.dumps([{"external_id": f"d{i}", "text": f"image {i}"}
                                                         for i in range(len(truth))]))
    if strategy != "no model":
        lines = "\n".join(json.dumps({"external_id": f"d{i}", "model": "logreg-1", "answer": str(int(p)),
                                      "confidence": round(float(conf), 4)})
                          for i, (p, conf) in enumerate(zip(predicted, confidence)))
        predictions.import_predictions(c, "model.jsonl", lines)
        predictions.set_routing(c, {"model": "logreg-1", "audit": 0.1,
                                    "strategy": "uncertainty" if "uncertainty" in strategy else "random"})
    campaigns.publish(c)
    db.session.commit()
    return c


def _final_accuracy(campaign_id, truth, predicted, with_model):
    from sqlalchemy import select

    from citizen.campaigns.models import Task
    from citizen.extensions import db
    from citizen.predictions.services import crowd_answer
    rows = db.session.execute(select(Task.external_id, Task.result, Task.answer_count, Task.redundancy).where(
        Task.campaign_id == campaign_id)).all()
    right = verified = 0
    for ext, result, answers, redundancy in rows:
        i = int(ext[1:])
        crowd = crowd_answer(result, answers, redundancy) if redundancy else None
        verified += crowd is not None
        label = crowd if crowd is not None else (str(int(predicted[i])) if with_model else None)
        right += label == str(int(truth[i]))
    return right / len(truth), verified


def run(strategy, truth, predicted, confidence, budget, draw):
    from citizen import clock
    from citizen.accounts import services as accounts
    from citizen.campaigns import scheduler
    from citizen.errors import CitizenError
    from citizen.extensions import db
    app, _folder = fresh_app("model-review")
    rnd = random.Random(1000 + draw)
    curve = []
    with app.app_context():
        c = _campaign(truth, predicted, confidence, strategy)
        people = []
        for _ in range(VOLUNTEERS):
            people.append((accounts.create_guest()[0].id, rnd.uniform(*ACCURACY)))
        db.session.commit()
        slug, campaign_id, given = c.slug, c.id, 0
        with clock.simulated() as wait:
            while given < budget:
                cid, accuracy = rnd.choice(people)
                try:
                    _light, task = scheduler.next_task(slug, cid)
                except CitizenError:
                    db.session.rollback()
                    continue
                if task is None:
                    db.session.commit()
                    if all(_no_task(scheduler, slug, p) for p, _a in people):
                        break
                    continue
                task_id, payload, _done = task
                true = str(int(truth[int(payload["text"].split()[-1])]))
                value = true if rnd.random() < accuracy else rnd.choice([x for x in LABELS if x != true])
                wait(rnd.randint(3000, 9000))
                scheduler.submit_answer(task_id, cid, value, duration_ms=None)
                db.session.commit()
                given += 1
                if given % STEP == 0:
                    curve.append((given, *_final_accuracy(campaign_id, truth, predicted, strategy != "no model")))
        estimate = None
        if strategy != "no model":
            from citizen.predictions import services as predictions
            from citizen.campaigns.models import Campaign
            [m] = predictions.outcomes(db.session.get(Campaign, campaign_id))
            estimate = {"accuracy": m["accuracy"], "interval": m["interval"], "audit_verified": m["audit_verified"]}
        db.engine.dispose()
    return curve, estimate


def _no_task(scheduler, slug, cid):
    from citizen.errors import CitizenError
    from citizen.extensions import db
    try:
        return scheduler.next_task(slug, cid)[1] is None
    except CitizenError:
        return True
    finally:
        db.session.rollback()


def needed(curve, target):
    return next((given for given, acc, _v in curve if acc >= target), None)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=2)
    parser.add_argument("--budget", type=int, default=None, help="answers per run (default: 2 per task)")
    parser.add_argument("--quick", action="store_true", help="one draw, 600 answers")
    args = parser.parse_args(argv)
    draws = 1 if args.quick else args.draws
    out = {"draws": [], "noise": {"volunteers": VOLUNTEERS, "accuracy": ACCURACY, "redundancy": REDUNDANCY},
           "train": TRAIN}
    for draw in range(draws):
        truth, predicted, confidence = model_predictions(draw)
        budget = 600 if args.quick else (args.budget or 2 * len(truth))
        row = {"draw": draw, "tasks": len(truth), "budget": budget,
               "model_accuracy": round(float((predicted == truth).mean()), 4), "strategies": {}}
        for strategy in STRATEGIES:
            t = time.perf_counter()
            curve, estimate = run(strategy, truth, predicted, confidence, budget, draw)
            final = curve[-1] if curve else (0, 0.0, 0)
            row["strategies"][strategy] = {
                "final_accuracy": round(final[1], 4), "verified_tasks": final[2], "answers": final[0],
                "answers_needed": {str(t_): needed(curve, t_) for t_ in TARGETS}, "audit_estimate": estimate,
                "curve": [(g, round(a, 4)) for g, a, _v in curve]}
            print(f"# draw {draw} {strategy}: accuracy {final[1]:.4f} after {final[0]} answers ({final[2]} tasks "
                  f"verified); needed for {TARGETS}: {[needed(curve, t_) for t_ in TARGETS]}; audit estimate "
                  f"{estimate}; {time.perf_counter() - t:.0f}s", file=sys.stderr, flush=True)
        out["draws"].append(row)
    worst = {s: min(d["strategies"][s]["final_accuracy"] for d in out["draws"]) for s in STRATEGIES}
    out["worst_final_accuracy"] = worst
    out["median_model_accuracy"] = statistics.median(d["model_accuracy"] for d in out["draws"])
    print(json.dumps(out))


if __name__ == "__main__":
    main()

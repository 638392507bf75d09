"""Batch Dawid-Skene on one million synthetic answers: seconds and accuracy.

100,000 tasks x 10 answers from 2,000 contributors, 3 classes; each contributor has a random
confusion matrix (accuracy 0.55-0.95 on the diagonal, the rest spread unevenly), answers are
drawn from it. citizen.quality.aggregate.dawid_skene is timed (median of 3); when crowd-kit is
installed its DawidSkene runs on the same data and both figures are printed. Last line: JSON.
"""
import argparse
import json
import statistics
import sys
import time

import numpy as np

from citizen.quality.aggregate import dawid_skene


def synthetic(n_tasks, per_task, n_workers, k, seed=7):
    rnd = np.random.default_rng(seed)
    truth = rnd.integers(0, k, n_tasks)
    conf = np.empty((n_workers, k, k))
    for j in range(n_workers):
        acc = rnd.uniform(0.55, 0.95)
        for c in range(k):
            rest = rnd.dirichlet(np.ones(k - 1)) * (1 - acc)
            conf[j, c] = np.insert(rest, c, acc)
    t = np.repeat(np.arange(n_tasks), per_task)
    w = np.concatenate([rnd.choice(n_workers, per_task, replace=False) for _ in range(n_tasks)])
    u = rnd.random(len(t))
    cdf = conf[w, truth[t]].cumsum(1)
    l = (u[:, None] > cdf).sum(1).clip(0, k - 1)
    return t, w, l, truth


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    n_tasks = 10_000 if args.quick else 100_000
    t, w, l, truth = synthetic(n_tasks, 10, 2000, 3)
    times = []
    for _ in range(1 if args.quick else 3):
        start = time.perf_counter()
        agg = dawid_skene(t, w, l, n_tasks, 2000, 3)
        times.append(time.perf_counter() - start)
    out = {"answers": int(len(t)), "tasks": n_tasks, "workers": 2000, "classes": 3,
           "citizen_seconds": round(statistics.median(times), 3),
           "citizen_accuracy": round(float((agg.labels == truth).mean()), 4), "citizen_iterations": agg.iterations,
           "majority_accuracy": round(float((np.apply_along_axis(np.bincount, 1, l.reshape(n_tasks, 10),
                                                                  minlength=3).argmax(1) == truth).mean()), 4)}
    try:
        import pandas as pd
        from crowdkit.aggregation import DawidSkene
    except ImportError:
        out["crowdkit"] = "not installed"
    else:
        df = pd.DataFrame({"task": t, "worker": w, "label": l})
        start = time.perf_counter()
        labels = DawidSkene(n_iter=100).fit_predict(df)
        out["crowdkit_seconds"] = round(time.perf_counter() - start, 3)
        out["crowdkit_accuracy"] = round(float((labels.sort_index().to_numpy() == truth).mean()), 4)
    print(f"# {out}", file=sys.stderr)
    print(json.dumps(out))


if __name__ == "__main__":
    main()

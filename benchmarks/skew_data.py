"""The crowd data sets of the skew benchmark: real answers with their ground truth.

Each set is a folder with answers.csv (worker,task,label) and truth.csv (task,label); labels are any
strings. They are read from `../shared/data/crowd/` next to the project (three of them have no
licence and must not be copied into the project); bluebirds is also in tests/data/crowd. A set that
cannot be found is skipped with a note on stderr.
"""
import csv
import os
import re
import sys
from dataclasses import dataclass, field

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SHARED = os.path.join(ROOT, "..", "shared", "data", "crowd")
BUNDLED = os.path.join(ROOT, "tests", "data", "crowd")
SETS = ("bluebirds", "sentiment", "zencrowd-us", "music-genre")
_VALUE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")  # what a question option's value may be


@dataclass
class CrowdSet:
    name: str
    answers: list            # [(worker, task, label)]
    truth: dict              # task -> label
    labels: list = field(default_factory=list)   # sorted label strings
    value_of: dict = field(default_factory=dict)  # label -> the option value sent to the app
    label_of: dict = field(default_factory=dict)  # option value -> label

    def __post_init__(self):
        self.labels = sorted({lab for _w, _t, lab in self.answers} | set(self.truth.values()))
        for i, lab in enumerate(self.labels):
            value = lab if _VALUE.match(lab) else f"l{i}"
            self.value_of[lab], self.label_of[value] = value, lab

    @property
    def tasks(self):
        return sorted(self.truth)


def from_rows(name, answers, truth):
    """A set from in-memory rows (tests): answers [(worker, task, label)], truth {task: label}.
    Answers on tasks without a truth are dropped (they cannot be scored), and so is a worker's second
    answer to the same task (the app keeps one answer per contributor and task; zencrowd-us has 116)."""
    truth = {str(t): str(lab) for t, lab in truth.items()}
    kept, seen, repeats = [], set(), 0
    for w, t, lab in answers:
        w, t, lab = str(w), str(t), str(lab)
        if t not in truth:
            continue
        if (w, t) in seen:
            repeats += 1
            continue
        seen.add((w, t))
        kept.append((w, t, lab))
    if repeats:
        print(f"# {name}: {repeats} repeated answers (same worker and task) left out, the first kept",
              file=sys.stderr, flush=True)
    return CrowdSet(name, kept, truth)


def load(name):
    """The named set, or None (with a note on stderr) when its folder is missing."""
    for base in (SHARED, BUNDLED):
        folder = os.path.join(base, name)
        if os.path.exists(os.path.join(folder, "answers.csv")) and os.path.exists(os.path.join(folder, "truth.csv")):
            with open(os.path.join(folder, "truth.csv"), newline="") as f:
                truth = {r["task"]: r["label"] for r in csv.DictReader(f)}
            with open(os.path.join(folder, "answers.csv"), newline="") as f:
                answers = [(r["worker"], r["task"], r["label"]) for r in csv.DictReader(f)]
            return from_rows(name, answers, truth)
    print(f"# skipped {name}: no answers.csv/truth.csv under {SHARED} or {BUNDLED}", file=sys.stderr, flush=True)
    return None

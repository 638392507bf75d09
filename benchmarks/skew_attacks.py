"""The skew benchmark's attackers: who they are (profiles), what they answer (scenarios), and one run
(honest import and attack, in either order) on a fresh site.

Attack volumes are shares of all answers once the attack is in: budget = honest * share / (1 - share).
Attackers cannot choose their tasks: they take what next-task hands them, and may skip it.
"""
import math
import random
import sys
import zlib

from benchmarks.skew_http import Attacker, Site, read_results

# name: (share of all answers, accounts at least, what they do)
SCENARIOS = {
    "spam30": (0.30, 17, "spam"),               # random labels
    "same20": (0.20, 10, "same"),               # always one label (the last in sorted order)
    "ring10": (0.10, 10, "wrong"),              # wrong everywhere, together (one fixed wrong label per task)
    "colluders33": (1 / 3, 20, "colluders"),    # truth-aware: right on gold, wrong elsewhere
    "camouflage10": (0.10, 20, "camouflage"),   # truthful everywhere, wrong together on the targets
    "skiphunt": (0.10, 5, "skiphunt"),          # camouflage colluders who skip every non-target
    "goldshare": (1 / 3, 20, "goldshare"),      # pool gold learnt from feedback and results; targets wrong
    "single30": (0.30, 1, "single"),            # one person, guest after guest (wrong everywhere)
}
TARGETED = {"camouflage", "skiphunt", "goldshare"}
TARGET_SHARE = 0.10
PROFILES = ("one-device", "spread")
ORDERS = ("honest-first", "attack-first")
POLLS = 20  # goldshare: how many times over an attack the colluders re-read the public results

_FIRST_OCTETS = [23, 31, 37, 46, 62, 77, 78, 79, 81, 82, 84, 86, 88, 90, 91, 93, 95, 105, 109, 112, 115, 118,
                 121, 125, 151, 161, 176, 178, 180, 182, 185, 188, 193, 195, 197, 201, 203, 207, 212, 217]
_AGENTS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36",
           "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{m}.1 Safari/605.1.15",
           "Mozilla/5.0 (X11; Linux x86_64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
           "Mozilla/5.0 (Linux; Android {m}; SM-A{v}5F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Mobile Safari/537.36",
           "Mozilla/5.0 (iPhone; CPU iPhone OS {m}_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{m}.0 Mobile/15E148 Safari/604.1"]


class Networks:
    """Addresses from varied public-looking ranges, each in its own /24, and varied browsers."""

    def __init__(self, rnd):
        self.rnd, self.used = rnd, set()

    def device(self):
        while True:
            a, b, c = self.rnd.choice(_FIRST_OCTETS), self.rnd.randrange(256), self.rnd.randrange(256)
            if (a, b, c) not in self.used:
                self.used.add((a, b, c))
                break
        agent = self.rnd.choice(_AGENTS).format(v=self.rnd.randrange(100, 131), m=self.rnd.randrange(10, 18))
        return f"{a}.{b}.{c}.{self.rnd.randrange(1, 255)}", agent


def plan(crowd, gold, seed):
    """The targets of a draw: TARGET_SHARE of the non-gold tasks (at least one)."""
    rnd = random.Random(seed)
    free = [t for t in crowd.tasks if t not in gold]
    return set(rnd.sample(free, max(1, round(TARGET_SHARE * len(free)))))


def wrong(crowd, ext):
    """The one wrong label colluders agree on for a task: drawn per task from the other labels, so that
    with more than two labels it tells nothing about the truth (a fixed "next label" would be a
    permutation a confusion matrix learns to undo)."""
    others = [lab for lab in crowd.labels if lab != crowd.truth[ext]]
    return others[zlib.crc32(ext.encode()) % len(others)]


class Pool:
    """What goldshare colluders know together: gold answers learnt from feedback and the public
    results (`"gold": true` rows with their answer), and the public consensus to copy elsewhere."""

    def __init__(self, site):
        self.site, self.gold, self.public = site, {}, {}

    def refresh(self, headers):
        label_of = self.site.crowd.label_of
        for row in read_results(self.site, headers).values():
            label = label_of.get(row["answer"]) if row["answer"] is not None else None
            if label is None:
                continue
            self.public[row["external_id"]] = label
            if row["gold"]:
                self.gold[row["external_id"]] = label

    def learn(self, ext, label, body):
        fb = (body or {}).get("gold")
        if not isinstance(fb, dict):
            return
        label_of, labels = self.site.crowd.label_of, self.site.crowd.labels
        if fb.get("expected") is not None and label_of.get(fb["expected"]):
            self.gold[ext] = label_of[fb["expected"]]
        elif fb.get("correct") is True:
            self.gold[ext] = label
        elif fb.get("correct") is False and len(labels) == 2:
            self.gold[ext] = labels[1 - labels.index(label)]


def run(crowd, honest, gold, targets, scenario, profile, order, seed):
    """One run on a fresh site. Returns its bookkeeping: the site, stored answers (worker, task,
    label) of both sides, attack answers stored and wanted, skips, accounts."""
    random.seed(seed)  # the app's own random choices (cursors, gold rate) too: reproducible
    rnd = random.Random(seed)
    site = Site(crowd, gold)
    out = {"site": site, "stored": [], "attack_stored": 0, "attack_wanted": 0, "skips": 0, "accounts": 0,
           "refused": 0, "gold_known": None}
    if order == "honest-first" or scenario == "clean":
        out["honest_stored"] = site.import_answers(honest)
    if scenario != "clean":
        attack(site, crowd, honest, gold, targets, scenario, profile, rnd, out)
    if order == "attack-first" and scenario != "clean":
        out["honest_stored"] = site.import_answers(honest)
    out["stored"] = list(honest) + out["stored"]
    return out


def attack(site, crowd, honest, gold, targets, scenario, profile, rnd, out):
    share, base, what = SCENARIOS[scenario]
    budget = int(len(honest) * share / (1 - share))
    n_tasks = len(crowd.tasks)
    reach = len(targets) if what == "skiphunt" else 0.9 * n_tasks  # what one account can give
    n = 1 if what == "single" else max(base, math.ceil(budget / max(1.0, reach)))
    nets = Networks(rnd)
    shared = nets.device()  # one device: every account of the attack on it
    pool = Pool(site) if what == "goldshare" else None
    if pool:
        pool.refresh(None)
    poll_every = max(25, budget // POLLS)

    def choose(ext):
        """The label to give on task `ext`, or None to skip it."""
        return label_for(what, crowd, ext, gold, targets, rnd, pool.gold if pool else {}, pool.public if pool else {})

    def account():
        out["accounts"] += 1
        address, agent = shared if profile == "one-device" else nets.device()
        return Attacker(site, address, agent, rnd)

    crowd_ = [account() for _ in range(n)]
    stored = since_poll = 0
    while stored < budget:
        live = [a for a in crowd_ if not a.done]
        if not live:
            if what != "single" or not crowd_[-1].answered:
                break  # everyone stopped (or a fresh single account got nothing: nothing left)
            crowd_.append(account())  # one person: a new guest whenever the last is stopped
            continue
        for a in live:
            if stored >= budget:
                break
            got = a.next()
            if got is None:
                continue
            tid, ext = got
            label = choose(ext)
            if label is None:
                a.skip(tid)
                continue
            body = a.answer(tid, crowd.value_of[label])
            if body is None:
                continue
            stored += 1
            since_poll += 1
            out["stored"].append((f"attacker-{id(a)}", ext, label))
            if pool:
                pool.learn(ext, label, body)
                if since_poll >= poll_every:
                    pool.refresh(a.headers)
                    since_poll = 0
            if what == "skiphunt" and len({site.ref[t] for t in a.answered} & targets) == len(targets):
                a.done = True  # reached every target: nothing more to hunt
    out["attack_stored"], out["attack_wanted"] = stored, budget
    out["skips"] = sum(a.skips for a in crowd_)
    out["refused"] = sum(a.refused for a in crowd_)
    if pool:
        out["gold_known"] = sum(1 for t in pool.gold if t in gold)
    print(f"#   {scenario} {profile}: {stored}/{budget} attack answers by {out['accounts']} accounts, "
          f"{out['skips']} skips", file=sys.stderr, flush=True)


def label_for(what, crowd, ext, gold, targets, rnd, known_gold, public):
    """What an attacker of kind `what` answers on task `ext` (None: skip it). `known_gold` {ext: label} is the gold
    the attackers know, `public` {ext: label} the public consensus they copy (goldshare)."""
    if what == "spam":
        return rnd.choice(crowd.labels)
    if what == "same":
        return crowd.labels[-1]
    if what in ("wrong", "single"):
        return wrong(crowd, ext)
    if what == "colluders":
        return crowd.truth[ext] if ext in gold else wrong(crowd, ext)
    if what == "camouflage":
        return wrong(crowd, ext) if ext in targets else crowd.truth[ext]
    if what == "skiphunt":
        return wrong(crowd, ext) if ext in targets else None
    if ext in known_gold:  # goldshare
        return known_gold[ext]
    if ext in targets:
        return wrong(crowd, ext)
    return public.get(ext) or rnd.choice(crowd.labels)


def seed_of(*parts):
    return zlib.crc32(":".join(map(str, parts)).encode())

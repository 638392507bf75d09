"""The anti-skew controls an organiser sets per campaign, with their defaults and help text.

They live in Campaign.settings["quality"] and are read on the hot path, so everything here is a
cheap pure function of the settings and a few counters.

- Caps: no contributor, and no cluster of linked accounts (same device signature), may give more
  than `cap_share` of the campaign's expected answers (tasks x redundancy) — but everyone may
  always answer every task once, so a single honest volunteer is never stopped by the share
  alone; `cap_answers` is an absolute ceiling and `cap_per_day` a daily one (0 = none).
- Minimum time: answers given in less than `min_ms` are stored with weight 0; a contributor with
  `fast_flag_after` such answers is flagged for moderators.
- Gold: tasks with a known answer are mixed in at a rate that starts at `gold_start` and decays to
  `gold_end` over a contributor's first `gold_decay` answers (Zooniverse: 40 % down to 10 %).
- `confidence`: the posterior a result needs to count as decided (results, influence report).
- `influence_limit`: the share of results one contributor or cluster may flip before being flagged.
- Skips (`skip_free`, `skip_share`): skipping is free for the first skips; beyond them a contributor's skip share
  lowers their answers' weight (`skip_factor`) and, at `skip_share`, next-task refuses them (`skip_limited`).
  Hunting for target tasks by skipping the rest (one ring skipped 7,270 tasks to reach 80 of 80 targets) then
  costs honest answers on every task it passes, which dilutes the attack, or stops it.
- Closing (`close_after`, `min_answers`): a task is decided once enough independent answers agree (`decides`);
  it is handed out no more, and later answers cannot flip its published result (citizen.campaigns.tally).
- Refusals before a lease (`refusal`): a contributor who could not give a counted answer (capped, suspended,
  skip-limited, or at or below chance on gold with GOLD_REFUSE_EVIDENCE answers) is not handed tasks, so their
  leases never hold slots honest volunteers need.
"""
import math

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from citizen.errors import InvalidInput

FIELDS = {
    # name: (default, low, high, integer?, label, help)
    "min_ms": (1500, 0, 600_000, True, _l("Minimum time per task (milliseconds)"),
               _l("Faster answers are kept but carry no weight; repeated fast answers flag the volunteer.")),
    "fast_flag_after": (5, 1, 10_000, True, _l("Fast answers before a volunteer is flagged"), ""),
    "cap_share": (0.05, 0.0, 1.0, False, _l("Largest share of all answers one volunteer or group may give"),
                  _l("0.05 = 5 %. Linked accounts (same device) count as one. Everyone may still answer each task once.")),
    "cap_answers": (0, 0, 10_000_000, True, _l("Most answers one volunteer may give (0 = no limit)"), ""),
    "cap_per_day": (0, 0, 1_000_000, True, _l("Most answers one volunteer may give per day (0 = no limit)"), ""),
    "gold_start": (0.4, 0.0, 1.0, False, _l("Share of known-answer tasks for newcomers"),
                   _l("Known-answer (gold) tasks check volunteers and teach them; the share decays as they prove themselves.")),
    "gold_end": (0.1, 0.0, 1.0, False, _l("Share of known-answer tasks for experienced volunteers"), ""),
    "gold_decay": (50, 1, 100_000, True, _l("Answers over which the gold share decays"), ""),
    "confidence": (0.95, 0.5, 0.9999, False, _l("Confidence a result needs to count as decided"), ""),
    "min_answers": (0, 0, 100, True, _l("Fewest answers before a task may stop early (0 = always collect them all)"),
                    _l("Dynamic overlap: once volunteers proven on known-answer tasks agree with enough confidence, "
                       "the task stops at this many answers, so easy tasks cost fewer answers and hard ones get all.")),
    "influence_limit": (0.01, 0.0, 1.0, False, _l("Share of results one volunteer or group may change before being flagged"), ""),
    "skip_free": (10, 0, 100_000, True, _l("Skips every volunteer may make freely"),
                  _l("Beyond these, skipping more than the share below of the tasks handed to them lowers the weight "
                     "of their answers and then stops new tasks: hunting for chosen tasks by skipping the rest.")),
    "skip_share": (0.5, 0.05, 1.0, False, _l("Largest share of handed tasks a volunteer may skip"),
                   _l("0.5 = half. Answers weigh fully up to half this share, then less, down to none at it.")),
    "close_after": (5, 0, 1000, True, _l("Agreeing answers that settle a task (0 = never early)"),
                    _l("A task whose answers from this many different devices agree (80 % or more on one answer) is "
                       "decided and handed out no more; later answers that would change it send it to moderators.")),
}


def defaults():
    return {name: spec[0] for name, spec in FIELDS.items()}


def clean(raw):
    """Validate the quality settings; missing values take their defaults. Raises InvalidInput
    with one detail per bad field."""
    raw = raw or {}
    if not isinstance(raw, dict):
        raise InvalidInput(_("The quality settings must be an object of named values."),
                           details=[{"field": "quality", "message": _("not an object")}])
    out, errors = {}, []
    for name, (default, low, high, integer, label, _help) in FIELDS.items():
        value = raw.get(name)
        if value in (None, ""):
            out[name] = default
            continue
        try:
            number = float(value)
            if integer and number != int(number):
                raise ValueError
            number = int(number) if integer else number
            if not low <= number <= high or isinstance(value, bool):
                raise ValueError
        except (TypeError, ValueError, OverflowError):  # OverflowError: "inf" or "1e999" read as a whole number
            errors.append({"field": "quality." + name,
                           "message": _("%(label)s: give a number from %(low)s to %(high)s.", label=label, low=low, high=high)})
            continue
        out[name] = number
    if not errors and out["gold_end"] > out["gold_start"]:
        errors.append({"field": "quality.gold_end", "message": _("The gold share for experienced volunteers cannot be above the newcomers' share.")})
    if errors:
        raise InvalidInput(errors[0]["message"], details=errors)
    return out


def of(settings):
    """The quality settings of a campaign (settings dict), defaults filled in."""
    return {**defaults(), **((settings or {}).get("quality") or {})}


def answer_cap(quality, tasks_total, redundancy):
    """Most answers one contributor or one cluster may give in the campaign (None: no cap).

    A cluster is everyone with one device signature, i.e. one address (accounts.signatures): a classroom or an
    office behind one NAT counts as one device. The cap never goes below the number of tasks, so such a group
    may still answer every task once between them; more than that from one address needs a higher cap_share."""
    share = quality["cap_share"]
    cap = max(tasks_total, int(share * tasks_total * redundancy)) if share > 0 else None
    if quality["cap_answers"]:
        cap = min(cap, quality["cap_answers"]) if cap is not None else quality["cap_answers"]
    return cap


def gold_rate(quality, answered):
    """Chance that the next task is a gold task, for a contributor with `answered` answers."""
    start, end, span = quality["gold_start"], quality["gold_end"], quality["gold_decay"]
    return end + (start - end) * max(0.0, 1.0 - answered / span)


MAX_WEIGHT = 3.0      # one vote moves a task's log-odds by at most this much
GOLD_EVIDENCE = 3     # gold answers needed before a contributor's vote weighs anything on the hot path


def vote_weight(gold_total, gold_correct):
    """Hot-path vote weight from gold: the clipped log-odds of the smoothed reliability
    (0.5 + correct) / (1 + total); zero at or below chance and before GOLD_EVIDENCE gold answers."""
    if gold_total < GOLD_EVIDENCE:
        return 0.0
    r = (0.5 + gold_correct) / (1.0 + gold_total)
    return float(min(MAX_WEIGHT, max(0.0, math.log(r / (1.0 - r)))))


def add_weighted(state, label, weight):
    """Keep the weighted tally (state["w"]) beside a kind's own consensus state."""
    if label is None or weight <= 0:
        return state
    tally = dict(state.get("w", {}))
    tally[label] = tally.get(label, 0.0) + weight
    return {**state, "w": tally}


def confidence(state):
    """Posterior of the leading answer from the weighted tally (one-coin model: log-odds add up)."""
    tally = state.get("w") or {}
    if not tally:
        return 0.0
    values = list(tally.values())
    top = max(values)
    # labels nobody voted for have log-weight 0: include them once (at least one rival answer)
    exps = [math.exp(v - top) for v in values] + [math.exp(-top)]
    return 1.0 / sum(exps)


def retires(quality, answers, state):
    """Dynamic overlap: may this task stop now, with fewer answers than its redundancy?"""
    return bool(quality["min_answers"]) and answers >= quality["min_answers"] and \
        confidence(state) >= quality["confidence"]


def is_fast(quality, duration_ms):
    return duration_ms is not None and duration_ms < quality["min_ms"]


def is_slow_enough(quality, measured_ms):
    """A server-measured duration passes the minimum time; unknown (None: no live lease) never does."""
    return measured_ms is not None and measured_ms >= quality["min_ms"]


CLOSE_SHARE = 0.8             # share of the weighted answers the leading one needs to settle a task (close_after)
GOLD_REFUSE_EVIDENCE = 10     # gold answers before a contributor at or below chance is refused tasks


def skip_factor(answers, skips, quality=None):
    """The factor (0..1) on a contributor's answer weights from their skips in the campaign: 1 for the first
    `skip_free` skips and while they skip at most half of `skip_share` of the tasks handed to them, falling
    linearly to 0 at `skip_share`. Honest volunteers skip a task now and then (a blurry image); a hunter who
    skips most tasks to reach chosen ones weighs nothing. Read by the hot path (tally.weight_of) and by the batch
    aggregation (Participation.answer_count and skip_count)."""
    quality = quality or defaults()
    answers, skips = max(0, answers or 0), max(0, skips or 0)
    if skips <= quality["skip_free"]:
        return 1.0
    share, limit = skips / (answers + skips), quality["skip_share"]
    low = limit / 2
    if share <= low:
        return 1.0
    return max(0.0, min(1.0, (limit - share) / (limit - low)))


def skip_limited(quality, answers, skips):
    """Has this contributor skipped past the budget (their answers would weigh nothing)?"""
    return skip_factor(answers, skips, quality) <= 0.0


def below_chance(gold_total, gold_correct, options):
    """At or below chance on gold with enough evidence to say so (a random or adversarial answerer)."""
    chance = 1.0 / max(2, options or 2)
    return (gold_total or 0) >= GOLD_REFUSE_EVIDENCE and (gold_correct or 0) <= chance * gold_total


def refusal(quality, part, options, suspended=False):
    """Why next-task must not hand this contributor a task ("skip_limit", "low_accuracy", "suspended"), or None.
    `part` has answer_count, skip_count, gold_total, gold_correct (a newcomer: None)."""
    if suspended:
        return "suspended"
    if part is None:
        return None
    if skip_limited(quality, part.answer_count, part.skip_count):
        return "skip_limit"
    if below_chance(part.gold_total, part.gold_correct, options):
        return "low_accuracy"
    return None


def decides(quality, state):
    """Is this task's tally settled? Either `close_after` weighted answers (each from another device: a device's
    second answer weighs 0) agree at CLOSE_SHARE or more of the weighted votes, or, with `min_answers` set, the
    gold-weighted confidence passes `confidence` after min_answers answers (dynamic overlap). Returns the decided
    label or None. The default (5 agreeing devices, 80 %) never stops a task below a redundancy of 5 and never
    settles a hard task, whose answers split."""
    counts = state.get("counts") or {}
    if not counts:
        return None
    top = max(counts, key=counts.get)
    total = sum(counts.values())
    close_after = quality.get("close_after") or 0
    if close_after and state.get("k", 0) >= close_after and total and counts[top] / total >= CLOSE_SHARE:
        return top
    if retires(quality, state.get("n", 0), state):
        lead = max((state.get("w") or {}).items(), key=lambda kv: kv[1], default=(None, 0))[0]
        return lead if lead == top else None
    return None

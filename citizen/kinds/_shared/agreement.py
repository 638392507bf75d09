"""Agreement between volunteers on the fields of a transcribed page, kept incrementally.

The state on the task holds, per field, the answers grouped by their comparison key with the
exact spellings behind each key and their weights:

    {"n": 3, "fields": {"total": {"v:1234.5": {"w": 2.0, "s": {"1234.5": 2.0}}, "none": {...}}}}

"v:<key>" is a value (text compared by normalise.text_key, other values by their canonical JSON)
and "none" means "not on this page". Nothing here needs the answers table: one answer changes a
few numbers, and the result is computed from the state when read.

A field is *verified* when at least k answers agree on its value (text within a small edit
distance, normalise.typo_allowance) and no other value has as many; *missing* when at least k say
it is not on the page (and more than for any value); *disputed* when k answers or more came in
without either; *pending* before that. The accepted text is the most common exact spelling
among the agreeing answers.
"""
import json

from citizen.kinds._shared import fields as fields_mod
from citizen.kinds._shared import normalise

NONE = "none"
# Typos are looked for between the MAX_FUZZY_GROUPS most given spellings of a field only (the others
# count as they are written): comparing every pair of groups costs the square of their number, and an
# import may bring any number of answers to one task. A field whose answers hold more than a dozen
# different values is disputed long before a typo could decide it.
MAX_FUZZY_GROUPS = 12


def value_key(value):
    if value is None:
        return NONE
    if isinstance(value, str):
        return "v:" + normalise.text_key(value)
    return "v:" + json.dumps(value, sort_keys=True)


def add_answer(state, values, weight=1.0):
    """A new state with one more answer {name: canonical value or None}."""
    fields = {name: {key: {"w": g["w"], "s": dict(g["s"])} for key, g in groups.items()}
              for name, groups in (state.get("fields") or {}).items()}
    for name, value in values.items():
        groups = fields.setdefault(name, {})
        group = groups.setdefault(value_key(value), {"w": 0.0, "s": {}})
        spelling = json.dumps(value, ensure_ascii=False)
        group["w"] = round(group["w"] + weight, 6)
        group["s"][spelling] = round(group["s"].get(spelling, 0.0) + weight, 6)
    return {"n": state.get("n", 0) + 1, "fields": fields}


def _close(a, b, typos):
    if a == b:
        return True
    if not typos or not (a.startswith("v:") and b.startswith("v:")):
        return False
    a, b = a[2:], b[2:]
    allowed = normalise.typo_allowance(min(a, b, key=len))
    return allowed > 0 and normalise.edit_distance(a, b, allowed) <= allowed


def field_result(groups, k, typos=False):
    """{value, status, support, agreement, answers} of one field from its groups."""
    total = sum(g["w"] for g in groups.values())
    none = groups.get(NONE, {}).get("w", 0.0)
    keys = sorted(key for key in groups if key != NONE)
    fuzzy = sorted(keys, key=lambda m: (-groups[m]["w"], m))[:MAX_FUZZY_GROUPS] if typos else []
    close = {key: [key] for key in keys}
    for i, key in enumerate(fuzzy):  # each pair once: closeness is symmetric
        for other in fuzzy[i + 1:]:
            if _close(key, other, typos):
                close[key].append(other)
                close[other].append(key)
    ranked = []
    for key in keys:
        members = sorted(close[key])
        ranked.append((sum(groups[m]["w"] for m in members), groups[key]["w"], key, members))
    ranked.sort(key=lambda r: (-r[0], -r[1], r[2]))
    out = {"value": None, "status": "pending", "support": 0.0, "agreement": 0.0, "answers": round(total, 6)}
    best = ranked[0] if ranked else (0.0, 0.0, None, [])
    rival = next((r[0] for r in ranked[1:] if r[2] not in best[3]), 0.0)
    if none >= k and none > best[0]:
        out.update(status="missing", support=none)
    elif best[2] is not None and best[0] >= k and best[0] > rival and best[0] > none:
        spellings = {}
        for m in best[3]:
            for spelling, w in groups[m]["s"].items():
                spellings[spelling] = spellings.get(spelling, 0.0) + w
        accepted = max(sorted(spellings), key=lambda s: spellings[s])
        out.update(status="verified", value=json.loads(accepted), support=best[0])
    elif total >= k:
        out.update(status="disputed", support=max(best[0], none))
    if total:
        out["agreement"] = round(out["support"] / total, 4)
    out["support"] = round(out["support"], 6)
    return out


def result(state, fields, k, max_answers):
    """The task's result: per field {value, status, support, agreement, answers}, the accepted
    values, an overall status (verified when every field is verified or missing, disputed when any
    is disputed, else pending) and needs_review (still unsettled after max_answers answers)."""
    n = state.get("n", 0)
    per_field = {f["name"]: field_result((state.get("fields") or {}).get(f["name"], {}), k, fields_mod.typos(f))
                 for f in fields}
    statuses = {r["status"] for r in per_field.values()}
    settled = bool(per_field) and statuses <= {"verified", "missing"}
    status = "verified" if settled else "disputed" if "disputed" in statuses else "pending"
    shares = [r["agreement"] for r in per_field.values()]
    return {
        "answer": {name: r["value"] for name, r in per_field.items() if r["status"] in ("verified", "missing")}
        if n else None,
        "count": min((r["support"] for r in per_field.values()), default=0),
        "share": min(shares) if shares and n else 0.0,
        "answers": n,
        "tied": False,
        "status": status,
        "fields": per_field,
        "needs_review": not settled and n >= max_answers,
    }


def answers_wanted(state, fields, k, max_answers, redundancy):
    """How many answers the task should collect: its redundancy, raised (up to max_answers) while
    some field is unsettled once the redundancy is reached, by as many answers as the best
    unsettled field is short of k."""
    n = state.get("n", 0)
    if n < redundancy or n >= max_answers:
        return redundancy
    res = result(state, fields, k, max_answers)
    if res["status"] == "verified":
        return redundancy
    short = [max(1, int(-(-(k - r["support"]) // 1))) for r in res["fields"].values()
             if r["status"] not in ("verified", "missing")]
    return max(redundancy, min(max_answers, n + max(short or [1])))

"""Incremental majority tally for categorical answers.

The state is a small JSON-able dict kept on the task, updated once per answer, so results are
never computed by scanning answers on a request."""
import json


def value_key(value):
    """A stable string key for any JSON value (strings stay themselves)."""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))


def add_vote(state, value, weight=1.0):
    """Return a new state with one more vote for `value`."""
    counts = dict(state.get("counts", {}))
    key = value_key(value)
    counts[key] = counts.get(key, 0) + weight
    return {"counts": counts, "n": state.get("n", 0) + 1}


def tally(values):
    state = {}
    for v in values:
        state = add_vote(state, v)
    return state


def majority(state):
    """The leading answer, how many votes it has and its share; ties are reported, not broken."""
    counts = state.get("counts") or {}
    n = state.get("n", 0)
    if not counts:
        return {"answer": None, "count": 0, "share": 0.0, "answers": 0, "tied": False}
    top = max(counts.values())
    leaders = sorted(k for k, c in counts.items() if c == top)
    total = sum(counts.values())
    return {
        "answer": leaders[0] if len(leaders) == 1 else None,
        "count": top,
        "share": round(top / total, 4) if total else 0.0,
        "answers": n,
        "tied": len(leaders) > 1,
    }

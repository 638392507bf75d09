"""Exposure budget: when to suggest a break, and when to stop serving sensitive items for a while.

Pure and deterministic: the caller passes the volunteer's views of sensitive items and the current time.
All datetimes must be of one kind (all timezone-aware, preferably UTC, or all naive).

Rules (defaults in :class:`BudgetPolicy`):

- Each view weighs by its level: MILD 0, GRAPHIC 1, EXTREME 3. The *load* is the total weight of views
  in the rolling window (30 minutes) ending now; views older than the window age out.
- At ``break_after`` (5) the volunteer is offered a break (``suggest_break``); they may carry on.
- The view that brings the load to ``hard_limit`` (10) starts a cool-down: nothing weighing more than 0 is
  served until that view's time + ``cooldown`` (20 minutes).
- A finished cool-down wipes the slate: views up to the one that started it no longer count, so a volunteer
  who took the break is not paused again at once by views still inside the window.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterable, Mapping, NamedTuple

from .levels import N_, Gettext, Sensitivity, _identity


class View(NamedTuple):
    """One view of a sensitive item: when, and at which level. Plain ``(datetime, level)`` tuples work too."""

    at: datetime
    level: Sensitivity


DEFAULT_WEIGHTS = {Sensitivity.NONE: 0.0, Sensitivity.MILD: 0.0, Sensitivity.GRAPHIC: 1.0, Sensitivity.EXTREME: 3.0}


@dataclass(frozen=True)
class BudgetPolicy:
    """How much sensitive content a volunteer sees before a break is offered, and then imposed."""

    window: timedelta = timedelta(minutes=30)
    break_after: float = 5.0
    hard_limit: float = 10.0
    cooldown: timedelta = timedelta(minutes=20)
    weights: Mapping[Sensitivity, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    def __post_init__(self) -> None:
        weights = {**DEFAULT_WEIGHTS, **{Sensitivity.parse(k): float(v) for k, v in dict(self.weights).items()}}
        object.__setattr__(self, "weights", weights)
        if self.window <= timedelta(0) or self.cooldown < timedelta(0):
            raise ValueError("window must be positive and cooldown not negative")
        if not 0 < self.break_after <= self.hard_limit:
            raise ValueError("need 0 < break_after <= hard_limit")
        if any(w < 0 for w in weights.values()):
            raise ValueError("weights cannot be negative")

    def weight(self, level: Sensitivity | str | int) -> float:
        return self.weights[Sensitivity.parse(level)]

    def sensitive_levels(self) -> frozenset[Sensitivity]:
        """Levels that count against the budget, and are not served during a cool-down."""
        return frozenset(level for level, w in self.weights.items() if w > 0)


DEFAULT_POLICY = BudgetPolicy()


@dataclass(frozen=True)
class BudgetState:
    """Where a volunteer stands at ``now``.

    ``load`` is the weighted exposure in the window; ``remaining`` is how much weight may still be viewed before
    the cool-down starts (0 while paused); ``remaining_before_break`` the same up to the break suggestion.
    """

    load: float
    suggest_break: bool
    pause_sensitive_until: datetime | None
    remaining: float
    remaining_before_break: float
    paused_levels: frozenset[Sensitivity] = frozenset()

    @property
    def paused(self) -> bool:
        return self.pause_sensitive_until is not None

    def allows(self, level: Sensitivity | str | int) -> bool:
        """Whether an item at ``level`` may be served now."""
        return not self.paused or Sensitivity.parse(level) not in self.paused_levels


def _normalise(views: Iterable[tuple[datetime, Sensitivity | str | int]], now: datetime,
               policy: BudgetPolicy) -> list[tuple[datetime, float]]:
    weighted = ((at, policy.weight(level)) for at, level in views)
    return sorted((at, w) for at, w in weighted if w > 0 and at <= now)


def assess(views: Iterable[tuple[datetime, Sensitivity | str | int]], now: datetime,
           policy: BudgetPolicy = DEFAULT_POLICY) -> BudgetState:
    """The budget state at ``now`` after ``views`` (any order; views after ``now`` are ignored)."""
    timeline = _normalise(views, now, policy)
    forgiven_through: datetime | None = None  # views at or before this were wiped by a finished cool-down
    pause_until: datetime | None = None
    pause_start: datetime | None = None
    start = 0  # first view inside the window ending at the current view
    load = 0.0
    for i, (at, weight) in enumerate(timeline):
        if pause_until is not None and at >= pause_until:
            forgiven_through, pause_until = pause_start, None
        load += weight
        while start < i and (timeline[start][0] <= at - policy.window or
                             (forgiven_through is not None and timeline[start][0] <= forgiven_through)):
            load -= timeline[start][1]
            start += 1
        if pause_until is None and load >= policy.hard_limit:
            pause_start, pause_until = at, at + policy.cooldown
    if pause_until is not None and now >= pause_until:
        forgiven_through, pause_until = pause_start, None
    load = sum(w for at, w in timeline
               if at > now - policy.window and (forgiven_through is None or at > forgiven_through))
    if pause_until is not None:
        return BudgetState(load, True, pause_until, 0.0, 0.0, policy.sensitive_levels())
    return BudgetState(load, load >= policy.break_after, None, max(0.0, policy.hard_limit - load),
                       max(0.0, policy.break_after - load), policy.sensitive_levels())


BREAK_TEXT = N_("You have looked at a lot of difficult material. This is a good moment for a break: stand up, "
                "drink some water, talk to someone. The work will still be here.")
PAUSE_TEXT = N_("We have paused difficult items for you for a while. You can keep helping with other tasks, or "
                "take a break and come back later.")


def break_text(state: BudgetState, gettext: Gettext = _identity) -> str:
    """The default prompt for ``state`` ("" when no break is due). Organisers add their own resources to it."""
    if state.paused:
        return gettext(PAUSE_TEXT)
    return gettext(BREAK_TEXT) if state.suggest_break else ""

"""Consent rules: what a volunteer sees of an item, given their preferences and the item's rating.

Each volunteer has, per category, a choice (SHOW, BLUR with reveal, WITHHOLD) for graphic content, and an
``extreme_opt_in`` switch. :func:`decide` applies these rules:

=========  ==============================  ==========================================================
level      no choice for the category      with the volunteer's choice for the category
=========  ==============================  ==========================================================
NONE       SHOW, no warning                SHOW, no warning (choices do not apply)
MILD       SHOW with a warning line        SHOW with a warning line; a WITHHOLD choice withholds
GRAPHIC    BLUR with reveal                the choice: SHOW (warning line), BLUR or WITHHOLD
EXTREME    WITHHOLD                        not opted in: WITHHOLD, whatever the choice;
           (BLUR when opted in)            opted in: BLUR or WITHHOLD; never SHOW without a reveal
=========  ==============================  ==========================================================

- An item with several categories gets the strictest action among them (WITHHOLD > BLUR > SHOW).
- A category the volunteer set nothing for, and an item rated without categories, get the default for the level
  (the middle column). So new volunteers see graphic content blurred and never see extreme content.
- Higher levels never give a less strict action, so raising a rating can only hide more.
- The decision always carries the warning text (also when withheld, for logs and moderators).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Mapping

from .levels import N_, Category, Gettext, Rating, Sensitivity, _identity, warning_text


class Action(enum.Enum):
    """What the server does with an item for one volunteer, ordered by strictness SHOW < BLUR < WITHHOLD."""

    SHOW = "show"
    BLUR = "blur"
    WITHHOLD = "withhold"

    @property
    def strictness(self) -> int:
        return _STRICTNESS[self]

    @classmethod
    def parse(cls, value: "Action | str") -> "Action":
        if isinstance(value, cls):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise ValueError(f"unknown action: {value!r}") from None


_STRICTNESS = {Action.SHOW: 0, Action.BLUR: 1, Action.WITHHOLD: 2}

#: A volunteer's per-category choice uses the same three values as the decision.
Choice = Action


def strictest(*actions: Action) -> Action:
    """The strictest of ``actions`` (SHOW when none)."""
    return max(actions, key=_STRICTNESS.__getitem__, default=Action.SHOW)


@dataclass(frozen=True)
class Preferences:
    """One volunteer's consent: a choice per category (unset means the default) and the extreme opt-in."""

    choices: Mapping[Category, Action] = field(default_factory=dict)
    extreme_opt_in: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "choices",
                           {Category.parse(c): Action.parse(a) for c, a in dict(self.choices).items()})

    def choice_for(self, category: Category) -> Action | None:
        return self.choices.get(category)

    def with_choice(self, category: Category | str, action: Action | str) -> "Preferences":
        """A copy with one category's choice set."""
        return replace(self, choices={**self.choices, Category.parse(category): Action.parse(action)})

    def to_dict(self) -> dict:
        """JSON-ready form for storage: {"choices": {"injury": "withhold"}, "extreme_opt_in": false}."""
        return {"choices": {c.value: a.value for c, a in self.choices.items()},
                "extreme_opt_in": self.extreme_opt_in}

    @classmethod
    def from_dict(cls, data: Mapping | None) -> "Preferences":
        """Inverse of :meth:`to_dict`. Unknown categories are ignored (newer data); unknown actions raise."""
        data = data or {}
        choices = {}
        for name, action in (data.get("choices") or {}).items():
            try:
                category = Category.parse(name)
            except ValueError:
                continue
            choices[category] = Action.parse(action)
        return cls(choices, bool(data.get("extreme_opt_in", False)))


DEFAULT_PREFERENCES = Preferences()

ACTION_TEXT: dict[Action, str] = {
    Action.SHOW: "",
    Action.BLUR: N_("It is hidden behind a blur. Reveal it only if you want to; skipping is always fine."),
    Action.WITHHOLD: N_("It is not shown to you because of your content settings."),
}


def action_text(action: Action, gettext: Gettext = _identity) -> str:
    """The line that tells the volunteer what we did (empty for SHOW)."""
    text = ACTION_TEXT[action]
    return gettext(text) if text else ""


@dataclass(frozen=True)
class Decision:
    """The outcome for one volunteer and one item.

    ``reason`` is a stable code: "not_rated", "mild", "choice", "default", "extreme_not_opted_in",
    "pending_review" (see :func:`content_warnings.flags.decide_under_review`).
    ``category`` is the category that decided it, when one did.
    """

    action: Action
    rating: Rating
    warning: str
    reason: str
    category: Category | None = None

    @property
    def served(self) -> bool:
        """Whether the item may be sent to this volunteer at all."""
        return self.action is not Action.WITHHOLD

    @property
    def blurred(self) -> bool:
        """Whether the blurred derivative is sent, and the original only after the volunteer reveals it."""
        return self.action is Action.BLUR

    def hint(self, gettext: Gettext = _identity) -> str:
        return action_text(self.action, gettext)


def _default(level: Sensitivity, opted_in: bool) -> Action:
    if level <= Sensitivity.MILD:
        return Action.SHOW
    if level == Sensitivity.GRAPHIC:
        return Action.BLUR
    return Action.BLUR if opted_in else Action.WITHHOLD


def _for_category(level: Sensitivity, choice: Action | None, opted_in: bool) -> Action:
    if choice is None:
        return _default(level, opted_in)
    if level == Sensitivity.MILD:
        return Action.WITHHOLD if choice is Action.WITHHOLD else Action.SHOW
    if level == Sensitivity.GRAPHIC:
        return choice
    # EXTREME, opted in: at least a blur with reveal, whatever the choice.
    return strictest(choice, Action.BLUR)


def decide(preferences: Preferences, rating: Rating, gettext: Gettext = _identity) -> Decision:
    """Apply the rules in this module's docstring to one volunteer and one item."""
    warning = warning_text(rating, gettext)
    level = rating.level
    if level == Sensitivity.NONE:
        return Decision(Action.SHOW, rating, warning, "not_rated")
    if level == Sensitivity.EXTREME and not preferences.extreme_opt_in:
        return Decision(Action.WITHHOLD, rating, warning, "extreme_not_opted_in")
    if not rating.categories:
        return Decision(_default(level, preferences.extreme_opt_in), rating, warning,
                        "mild" if level == Sensitivity.MILD else "default")
    best: tuple[Action, Category | None, str] = (Action.SHOW, None, "mild")
    for category in rating.ordered_categories():
        choice = preferences.choice_for(category)
        action = _for_category(level, choice, preferences.extreme_opt_in)
        if best[1] is None or action.strictness > best[0].strictness:
            if level == Sensitivity.MILD and action is Action.SHOW:
                reason = "mild"
            else:
                reason = "default" if choice is None else "choice"
            best = (action, category, reason)
    action, category, reason = best
    return Decision(action, rating, warning, reason, category)

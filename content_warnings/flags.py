"""Re-rating by volunteers' flags, and what happens to a flagged item while it waits for review.

Rules:

- A flag says "this is more graphic than rated": only flags above the current level count. Flags are counted
  per *distinct* contributor; one contributor flagging five times counts once, at the highest level they
  suggested (the safer reading of repeated flags).
- Re-rating: when at least ``threshold`` distinct contributors suggest a level of L or higher, the item is
  re-rated to the highest such L (the ``threshold``-th highest suggestion); its categories are kept.
- Withheld pending review: while any counted flag suggests more than the item's (possibly new) level, the item is
  *under review* at the highest suggested level. It is withheld from every volunteer whose decision at that
  level would be stricter than at the rated level (they would see it at a level they did not consent to), and
  served as before, with the stronger warning, to volunteers who consent to the suggested level anyway.
  One flag is enough to start this; it lasts until the threshold is reached or a moderator decides.
- A moderator's decision is not a flag: the caller stores the moderator's rating as the current rating and from
  then on passes only flags made after that decision.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Iterable, Iterator

from .consent import Action, Decision, Preferences, decide
from .levels import Gettext, Rating, Sensitivity, _identity


@dataclass(frozen=True)
class FlagPolicy:
    """``threshold``: how many distinct contributors re-rate an item without a moderator."""

    threshold: int = 3

    def __post_init__(self) -> None:
        if self.threshold < 1:
            raise ValueError("threshold must be at least 1")


DEFAULT_FLAG_POLICY = FlagPolicy()


@dataclass(frozen=True)
class Rerating:
    """The outcome of :func:`rerate`. Unpacks as ``new_rating, withheld = rerate(...)``.

    ``new_rating``: the raised rating when the threshold was reached, else None.
    ``withheld``: flags above the (new) level remain, so the item is under review at ``review_level``.
    ``rating``: the rating to use now (``new_rating`` or the current one). ``flaggers``: distinct upward flaggers.
    """

    new_rating: Rating | None
    withheld: bool
    rating: Rating
    review_level: Sensitivity
    flaggers: int

    def __iter__(self) -> Iterator:
        return iter((self.new_rating, self.withheld))


def distinct_suggestions(current: Rating, flags: Iterable[tuple[Hashable, Sensitivity | str | int]]
                         ) -> dict[Hashable, Sensitivity]:
    """Each contributor's highest suggested level, for contributors who suggested more than ``current``."""
    highest: dict[Hashable, Sensitivity] = {}
    for contributor, suggested in flags:
        level = Sensitivity.parse(suggested)
        if level > current.level and level > highest.get(contributor, Sensitivity.NONE):
            highest[contributor] = level
    return highest


def rerate(current: Rating, flags: Iterable[tuple[Hashable, Sensitivity | str | int]],
           policy: FlagPolicy = DEFAULT_FLAG_POLICY) -> Rerating:
    """Apply the rules in this module's docstring to an item's unresolved flags."""
    suggestions = sorted(distinct_suggestions(current, flags).values(), reverse=True)
    new_rating = None
    if len(suggestions) >= policy.threshold:
        new_rating = current.with_level(suggestions[policy.threshold - 1])
    rating = new_rating or current
    above = [level for level in suggestions if level > rating.level]
    review_level = max(above, default=rating.level)
    return Rerating(new_rating, bool(above), rating, review_level, len(suggestions))


def decide_under_review(preferences: Preferences, rerating: Rerating, gettext: Gettext = _identity) -> Decision:
    """:func:`~content_warnings.consent.decide` for an item that may be under review.

    Not under review: the plain decision on ``rerating.rating``. Under review: WITHHOLD (reason
    "pending_review") if the suggested level would be stricter for this volunteer; otherwise the same action as
    before, with the warning for the suggested level.
    """
    now = decide(preferences, rerating.rating, gettext)
    if not rerating.withheld:
        return now
    claimed = decide(preferences, rerating.rating.with_level(rerating.review_level), gettext)
    if claimed.action.strictness > now.action.strictness:
        return Decision(Action.WITHHOLD, claimed.rating, claimed.warning, "pending_review", claimed.category)
    return claimed

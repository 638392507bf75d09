"""A task's rating as bits on Task.content_bits, so the scheduler leaves out, in its one SQL pick, what a
contributor must not be shown: a task is served iff ``content_bits & withheld_mask(...) == 0``.

Each level above NONE has a byte; in it one bit per category and one for "no category named". A task sets the
bits of its categories in the byte of its level (the level it is under review at, while it is). The mask sets
every bit whose (level, category) the contributor's consent rules or exposure budget withhold. Because an item
with several categories takes the strictest action among them, "any bit in common" is exactly "withheld".
"""
from functools import lru_cache

from content_warnings import Category, Preferences, Rating, Sensitivity, decide

CATEGORY_BIT = {Category.INJURY: 0, Category.DEATH: 1, Category.VIOLENCE: 2, Category.DISTRESS_TEXT: 3,
                Category.OTHER: 4}
UNCATEGORISED = 5
LEVELS = (Sensitivity.MILD, Sensitivity.GRAPHIC, Sensitivity.EXTREME)
# The task has a rating of its own (import row, moderator, flags): a new campaign rating leaves it alone.
OWN = 1 << 30


def _bit(level, index):
    return 1 << (8 * int(level) + index)


def level_bits(level):
    """Every bit of one level's byte."""
    return sum(_bit(level, i) for i in range(UNCATEGORISED + 1)) if level > Sensitivity.NONE else 0


#: Bits of the levels a blurred copy may be needed for (GRAPHIC and EXTREME default to a blur or worse).
BLURRABLE = level_bits(Sensitivity.GRAPHIC) | level_bits(Sensitivity.EXTREME)


def rating_bits(rating, review_level=None):
    """The bits of an item with this rating (under review at `review_level` when that is higher)."""
    level = max(rating.level, Sensitivity.parse(review_level)) if review_level is not None else rating.level
    if level == Sensitivity.NONE:
        return 0
    if not rating.categories:
        return _bit(level, UNCATEGORISED)
    return sum(_bit(level, CATEGORY_BIT[c]) for c in rating.categories)


def withheld_mask(preferences, paused_levels=frozenset()):
    """The bits of every (level, category) this contributor is not served now."""
    key = (tuple(sorted((c.value, a.value) for c, a in preferences.choices.items())), preferences.extreme_opt_in)
    return _mask(key, frozenset(int(level) for level in paused_levels))


@lru_cache(maxsize=1024)
def _mask(key, paused):
    preferences = Preferences(dict(key[0]), key[1])
    mask = 0
    for level in LEVELS:
        if int(level) in paused:
            mask |= level_bits(level)
            continue
        for category, index in [*CATEGORY_BIT.items(), (None, UNCATEGORISED)]:
            rating = Rating(level, frozenset({category}) if category else frozenset())
            if not decide(preferences, rating).served:
                mask |= _bit(level, index)
    return mask

"""Graphic-content warnings and volunteer wellbeing, as a plain library.

It decides, for one volunteer and one item, whether the item is shown, blurred with a reveal, or withheld; keeps
an exposure budget that suggests breaks and pauses sensitive items; makes blurred derivatives of images; and
re-rates items from volunteers' flags. It imports Pillow and numpy only: never Flask, SQLAlchemy or citizen.

Usage::

    from datetime import datetime, timezone
    from content_warnings import Preferences, Rating, assess, blurred_derivative, decide

    rating = Rating.parse("graphic", ["injury"])
    decision = decide(Preferences(), rating)        # a new volunteer
    decision.action                                 # Action.BLUR
    decision.warning                                # 'Warning: graphic content. It may show: injured people.'
    if decision.blurred:
        jpeg = blurred_derivative(original_bytes)   # send this; the original only after the reveal

    state = assess([(viewed_at, "graphic"), ...], now=datetime.now(timezone.utc))
    if state.suggest_break: ...                     # show break_text(state) and the organiser's resources
    if not state.allows(rating.level): ...          # pick a non-sensitive task instead

Pass your ``gettext`` to ``decide``/``warning_text``/``break_text`` to translate the texts.
"""
from .blur import BlurError, blurred_derivative, detail_similarity, edge_energy
from .budget import (BREAK_TEXT, DEFAULT_POLICY, PAUSE_TEXT, BudgetPolicy, BudgetState, View, assess,
                     break_text)
from .consent import (ACTION_TEXT, DEFAULT_PREFERENCES, Action, Choice, Decision, Preferences, action_text,
                      decide, strictest)
from .flags import DEFAULT_FLAG_POLICY, FlagPolicy, Rerating, decide_under_review, distinct_suggestions, rerate
from .levels import CATEGORY_TEXT, LEVEL_TEXT, NOT_RATED, Category, Rating, Sensitivity, warning_text

__all__ = [
    "Sensitivity", "Category", "Rating", "NOT_RATED", "warning_text", "LEVEL_TEXT", "CATEGORY_TEXT",
    "Action", "Choice", "Preferences", "DEFAULT_PREFERENCES", "Decision", "decide", "strictest", "action_text",
    "ACTION_TEXT",
    "View", "BudgetPolicy", "DEFAULT_POLICY", "BudgetState", "assess", "break_text", "BREAK_TEXT", "PAUSE_TEXT",
    "blurred_derivative", "edge_energy", "detail_similarity", "BlurError",
    "FlagPolicy", "DEFAULT_FLAG_POLICY", "Rerating", "rerate", "decide_under_review", "distinct_suggestions",
]

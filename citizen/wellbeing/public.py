"""What anyone (no consent asked, no account) may see of a task's media: the open data files and public pages.

A task rated sensitive (any level above none: its own rating, a re-rating or a review in progress) shows no
original to the public: an image is replaced by its blurred copy when one was made, else left out; a PDF (no
blurred form) is left out. `media_note` says why, e.g. "blurred: graphic" or "withheld: extreme".
Nothing here makes a blurred copy (a public GET must not do that work): copies are made at import and on first
need (citizen.wellbeing.blurring).
"""
from sqlalchemy import select

from citizen.extensions import db
from citizen.wellbeing.models import ContentRating
from citizen.wellbeing.services import is_active, item_state
from content_warnings import Sensitivity

NOTE_DESCRIPTION = ("Why the media link is not the original: `blurred: <level>` (a sensitive picture: the link "
                    "is its blurred copy) or `withheld: <level>` (no public copy). Empty when the original "
                    "is shown.")


def ratings(campaign_id, settings, task_ids):
    """{task id: its ContentRating row} for these tasks, or None for a campaign without rated content."""
    if not is_active(settings):
        return None
    if not task_ids:
        return {}
    rows = db.session.execute(select(ContentRating.task_id, ContentRating.level, ContentRating.categories,
                                     ContentRating.custom_label, ContentRating.review_level,
                                     ContentRating.blurred)
                              .where(ContentRating.task_id.in_(list(task_ids)))).all()
    return {r.task_id: r for r in rows}


def public_media(settings, payload, row, values, media_columns):
    """Replace, in `values` ({export column: value}), the media links the public may not see; return the
    media note ("" when nothing was replaced). `row` is the task's ContentRating row or None; media_columns
    ({column: whether a blurred copy may stand in}) is what the kind declares (Kind.media_columns)."""
    state = item_state(settings, payload, row)
    level = state.shown_level
    if level <= Sensitivity.NONE:
        return ""
    blurred_any = withheld_any = False
    for column, blurrable in media_columns.items():
        url = values.get(column)
        if not url:
            continue
        copy = state.blurred.get(url) if blurrable else None
        if copy and copy.startswith("/media/"):
            values[column] = copy
            blurred_any = True
        else:
            values[column] = ""
            withheld_any = True
    if not (blurred_any or withheld_any):
        return ""
    if blurred_any and withheld_any:
        return f"blurred: {level.label} (document withheld)"
    return f"{'blurred' if blurred_any else 'withheld'}: {level.label}"

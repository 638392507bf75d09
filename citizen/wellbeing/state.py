"""One task's rating as it applies now: a moderator's re-rating, else the import row's, else the campaign's; the level
it is under review at; its blurred copies (ContentRating). Read by the services, the shield (serving), the
blurring job and the public pages; no module of wellbeing is imported here."""
from typing import NamedTuple

from sqlalchemy import bindparam, select

from citizen.campaigns.hot_sql import insert_ignoring
from citizen.extensions import db
from citizen.wellbeing.models import ContentRating
from citizen.wellbeing.ratings import RATING_KEY, campaign_rating
from content_warnings import Rating, Rerating, Sensitivity


class ItemState(NamedTuple):
    """A task's current rating, the level it is under review at (or None), and its blurred copies."""
    rating: Rating
    review_level: Sensitivity | None
    blurred: dict

    @property
    def rerating(self):
        """The state as content_warnings' Rerating, for decide_under_review."""
        review = self.review_level if self.review_level is not None else self.rating.level
        return Rerating(None, review > self.rating.level, self.rating, max(review, self.rating.level), 0)

    @property
    def shown_level(self):
        return max(self.rating.level, self.review_level or Sensitivity.NONE)


RATING_ROW = select(ContentRating.level, ContentRating.categories, ContentRating.custom_label,
                    ContentRating.review_level, ContentRating.blurred).where(ContentRating.task_id == bindparam("tid"))


def item_state(settings, payload, row):
    """The rating that applies: a re-rating, else the import row's, else the campaign's."""
    if row is not None and row.level is not None:
        rating = Rating.parse(row.level, row.categories or (), row.custom_label)
    elif (payload or {}).get(RATING_KEY):
        rating = Rating.from_dict(payload[RATING_KEY])
    else:
        rating = campaign_rating(settings)
    review = Sensitivity(row.review_level) if row is not None and row.review_level is not None else None
    return ItemState(rating, review, dict(row.blurred or {}) if row is not None else {})


def load_item_state(settings, task_id, payload):
    return item_state(settings, payload, db.session.execute(RATING_ROW, {"tid": task_id}).first())


def rating_row(task_id, campaign_id):
    """The task's ContentRating, created empty when it has none (safe against a concurrent creator)."""
    values = {"task_id": task_id, "campaign_id": campaign_id, "categories": [], "blurred": {}}
    db.session.execute(insert_ignoring(ContentRating.__table__, values), values)
    return db.session.get(ContentRating, task_id)

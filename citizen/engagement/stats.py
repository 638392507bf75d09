"""Progress numbers a campaign page and the organiser's dashboard show.

Counters kept on rows (Campaign.tasks_done, Participation.answer_count) are read as they are; answers
per day and per hour are grouped in SQL over the (campaign_id, created_at) index. A campaign page is hit
by every volunteer who follows a link, so its numbers are cached per process: kept while no answer
arrives (the campaign's highest answer id, one index look-up), and otherwise recomputed at most every
STALE_SECONDS, so a campaign taking answers by the second does not regroup them on every page view."""
import threading
import time
from collections import OrderedDict
from datetime import datetime, timedelta

from sqlalchemy import String, func, literal_column, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from citizen import clock
from citizen.campaigns.models import CLOSED, Answer, Participation
from citizen.extensions import db

CHART_DAYS_MIN, CHART_DAYS_MAX = 14, 60
ACTIVE_MINUTES = 10
STALE_SECONDS = 30
_cache = OrderedDict()
_lock = threading.Lock()
CACHE_SIZE = 128


class _Bucket(FunctionElement):
    """The answer's day ("2024-05-14") or hour ("2024-05-14 09") as text, in SQL (UTC, as stored). Each database's
    compiler writes it in its own words (below), so nothing asks which database runs."""
    type = String()
    inherit_cache = True
    formats = {}  # the format for SQLite's strftime and for PostgreSQL's to_char


class _day(_Bucket):
    inherit_cache = True
    formats = {"sqlite": "%Y-%m-%d", "postgresql": "YYYY-MM-DD"}


class _hour(_Bucket):
    inherit_cache = True
    formats = {"sqlite": "%Y-%m-%d %H", "postgresql": "YYYY-MM-DD HH24"}


# The format is written into the SQL, not bound: the same bucket in SELECT and GROUP BY must read the same.
@compiles(_Bucket)
def _strftime(element, compiler, **kw):
    return compiler.process(func.strftime(literal_column(f"'{element.formats['sqlite']}'"), *element.clauses), **kw)


@compiles(_Bucket, "postgresql")
def _to_char(element, compiler, **kw):
    return compiler.process(func.to_char(*element.clauses, literal_column(f"'{element.formats['postgresql']}'")),
                            **kw)


def _bucket(column, unit):
    return _day(column) if unit == "day" else _hour(column)


def last_answer_id(campaign):
    return db.session.execute(select(func.max(Answer.id)).where(Answer.campaign_id == campaign.id)).scalar()


def cached(key, campaign, compute, stale_seconds):
    """compute() once per `key`, again when an answer arrived and the value is older than stale_seconds.
    The key should name whatever else the value depends on (the database, the campaign, its settings)."""
    last, now = last_answer_id(campaign), time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit is not None and (hit[2] == last or now - hit[1] < stale_seconds):
            _cache.move_to_end(key)
            return hit[0]
    value = compute()
    with _lock:
        _cache[key] = (value, now, last)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return value


def _cached(name, campaign, compute):
    now = clock.now()  # the volunteer loop's clock, which stamps the answers these windows count
    key = (str(db.engine.url), name, campaign.id, campaign.created_at, campaign.status, campaign.tasks_done,
           now.replace(minute=0, second=0, microsecond=0))  # the windows (this week, 24 hours) move hourly
    return cached(key, campaign, lambda: compute(clock.now()), STALE_SECONDS)


def volunteers(campaign):
    """Contributors who gave the campaign at least one answer."""
    return db.session.execute(select(func.count()).select_from(Participation).where(
        Participation.campaign_id == campaign.id, Participation.answer_count > 0)).scalar_one()


def _chart_window(campaign, now, last):
    """The days the chart covers: from the campaign's start (at least CHART_DAYS_MIN, at most CHART_DAYS_MAX
    days) to today, or to its last answer once it is closed."""
    end = (last or now).date() if campaign.status == CLOSED else now.date()
    start = (campaign.published_at or campaign.created_at or now).date()
    span = (end - start).days + 1
    span = max(CHART_DAYS_MIN, min(CHART_DAYS_MAX, span))
    return end - timedelta(days=span - 1), end


def _per_day(campaign, now):
    last = db.session.execute(select(func.max(Answer.created_at)).where(Answer.campaign_id == campaign.id)).scalar()
    first_day, last_day = _chart_window(campaign, now, last)
    bucket = _bucket(Answer.created_at, "day")
    rows = dict(db.session.execute(
        select(bucket, func.count()).where(Answer.campaign_id == campaign.id,
                                           Answer.created_at >= datetime.combine(first_day, datetime.min.time()))
        .group_by(bucket)).all())
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    return [(d, int(rows.get(d.isoformat(), 0))) for d in days]


def campaign_numbers(campaign):
    """{"tasks_done", "tasks_total", "percent", "volunteers", "answers", "answers_week", "per_day": [(date, n)]}."""
    def compute(now):
        week = db.session.execute(select(func.count()).where(
            Answer.campaign_id == campaign.id, Answer.created_at >= now - timedelta(days=7))).scalar_one()
        total = db.session.execute(select(func.count()).where(Answer.campaign_id == campaign.id)).scalar_one()
        return {"tasks_done": campaign.tasks_done, "tasks_total": campaign.tasks_total,
                "percent": int(campaign.progress * 100), "volunteers": volunteers(campaign), "answers": total,
                "answers_week": week, "per_day": _per_day(campaign, now)}
    return _cached("numbers", campaign, compute)


def answers_per_hour(campaign, hours=24):
    """[(hour start, answers)] for the last `hours` hours, the current hour last (UTC)."""
    def compute(now):
        top = now.replace(minute=0, second=0, microsecond=0)
        first = top - timedelta(hours=hours - 1)
        bucket = _bucket(Answer.created_at, "hour")
        rows = dict(db.session.execute(select(bucket, func.count()).where(
            Answer.campaign_id == campaign.id, Answer.created_at >= first).group_by(bucket)).all())
        slots = [first + timedelta(hours=i) for i in range(hours)]
        return [(h, int(rows.get(h.strftime("%Y-%m-%d %H"), 0))) for h in slots]
    return _cached(f"hours-{hours}", campaign, compute)


def active_now(campaign, minutes=ACTIVE_MINUTES):
    """Volunteers who were handed a task or answered in the last `minutes` minutes (never cached)."""
    since = clock.now() - timedelta(minutes=minutes)
    return db.session.execute(select(func.count()).select_from(Participation).where(
        Participation.campaign_id == campaign.id, Participation.last_at >= since)).scalar_one()


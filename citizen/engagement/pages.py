"""What the public campaign page, the home page and the dashboard show, put together for their templates."""
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_babel import ngettext

from citizen.campaigns.models import CLOSED
from citizen.engagement import cards, charts, dashboard, recognition, stats, updates
from citizen.urls import external_url


def day_chart(per_day, chart_id="answers-per-day"):
    total = sum(n for _d, n in per_day)
    busiest = max(per_day, key=lambda p: p[1]) if per_day else None
    if total:
        description = ngettext("%(num)d answer in the %(days)d days shown.", "%(num)d answers in the %(days)d days shown.",
                               total, days=len(per_day)) + " " + _(
            "The busiest day was %(day)s, with %(n)d.", day=format_date(busiest[0], "long"), n=busiest[1])
    else:
        description = _("No answers yet in the %(days)d days shown.", days=len(per_day))
    points = [(format_date(d, "d MMM"), format_date(d, "full"), n) for d, n in per_day]
    return charts.bar_chart(points, chart_id, _("Answers per day"), description, every=7 if len(points) > 14 else None)


def hour_chart(per_hour, chart_id="answers-per-hour"):
    total = sum(n for _h, n in per_hour)
    description = ngettext("%(num)d answer in the last %(hours)d hours (UTC).",
                           "%(num)d answers in the last %(hours)d hours (UTC).", total, hours=len(per_hour))
    points = [(h.strftime("%H:00"), format_datetime(h, "d MMM, HH:mm") + " UTC", n) for h, n in per_hour]
    return charts.bar_chart(points, chart_id, _("Answers per hour"), description, every=6)


def campaign_page(campaign):
    """Numbers, chart, updates, top contributors and the share preview of a campaign's public page."""
    numbers = stats.campaign_numbers(campaign)
    picture = cards.picture(campaign)
    settings = campaign.settings or {}
    return {"numbers": numbers, "chart": day_chart(numbers["per_day"]), "updates": updates.campaign_updates(campaign),
            "top": recognition.top_contributors(campaign), "picture": picture, "finished": campaign.status == CLOSED,
            "outcome_html": settings.get("outcome_html", ""),
            "share": {"title": campaign.title, "description": campaign.summary or _(
                "A volunteer campaign by %(org)s.", org=campaign.organisation.name),
                "image": cards.absolute(picture["src"]),
                "url": external_url("campaigns.show", slug=campaign.slug)}}


def dashboard_page(campaign):
    view = dashboard.dashboard(campaign)
    view["hour_chart"] = hour_chart(view["per_hour"])
    view["day_chart"] = day_chart(view["numbers"]["per_day"], "dashboard-per-day")
    return view

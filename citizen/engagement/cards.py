"""What the home page and share previews show of a campaign: a picture, its purpose, its progress.

The picture is the first task's image (a photo, a rendered page), an imagery tile under the first map
cell, or the kind's icon. Campaigns with a content warning always get the icon: a preview must never
show a graphic image to someone who did not choose to see it."""
from sqlalchemy import select

from citizen.campaigns.models import CLOSED, HIDDEN_RAND, PUBLISHED, Campaign, Task
from citizen.extensions import db
from citizen.kinds import get_kind
from citizen.urls import external_url, public_url
from citizen.wellbeing.ratings import SETTINGS_KEY as WELLBEING_KEY

FINISHED_LIMIT = 6


def picture(campaign):
    """{"src": URL or None, "icon": kind id (when there is no picture)}."""
    icon = campaign.kind  # engagement/_macros.html's icon() draws the kind's own, or a question mark
    if ((campaign.settings or {}).get(WELLBEING_KEY) or {}).get("active"):
        return {"src": None, "icon": icon}
    payload = db.session.execute(select(Task.payload).where(Task.campaign_id == campaign.id, Task.content_bits == 0,
                                                            Task.gold.is_(None), Task.rand > HIDDEN_RAND).order_by(Task.id).limit(1)).scalar()
    src = get_kind(campaign.kind).picture(payload, campaign.settings) if payload else None
    return {"src": src, "icon": None if src else icon}


def absolute(src):
    """An absolute URL for a picture (share previews need one)."""
    if not src:
        return external_url("static", filename="img/share.png")
    if src.startswith(("http://", "https://")):
        return src
    return public_url() + src


def home():
    """Template context of the home page: open campaigns newest first ("campaigns"), the latest finished ones
    ("finished"), and a picture and outcome for each ("pictures", "outcomes", by campaign id)."""
    active = db.session.execute(select(Campaign).where(Campaign.status == PUBLISHED)
                                .order_by(Campaign.published_at.desc(), Campaign.id.desc())).scalars().all()
    finished = db.session.execute(select(Campaign).where(Campaign.status == CLOSED, Campaign.published_at.is_not(None))
                                  .order_by(Campaign.published_at.desc(), Campaign.id.desc())
                                  .limit(FINISHED_LIMIT)).scalars().all()
    return {"campaigns": active, "finished": finished,
            "pictures": {c.id: picture(c) for c in [*active, *finished]},
            "outcomes": {c.id: (c.settings or {}).get("outcome_html", "") for c in finished}}

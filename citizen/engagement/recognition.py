"""Recognition that does not reward skew.

There is no list by raw volume. A campaign's "top contributors" list shows only volunteers who asked to be
in it, under the display name they chose, ranked by agreement-weighted contributions within the caps:

    score = min(answers agreeing with a decided result, the campaign's answer cap) x voter weight

where the voter weight is the batch consensus' bounded weight for the volunteer (or their cluster of linked
accounts): zero below chance or with too little evidence. Answering fast, answering a lot or answering
with several accounts therefore earns no place; agreeing with what others independently decided does."""
from sqlalchemy import and_, select

from citizen.campaigns.models import Participation
from citizen.engagement import agreement
from citizen.engagement.models import VolunteerProfile
from citizen.extensions import db
from citizen.quality import controls

LIMIT = 10


def top_contributors(campaign, limit=LIMIT):
    """[{"name", "agreeing", "score", "public_id" (None unless the profile is public)}], best first; [] for kinds
    without categorical answers."""
    listed = db.session.execute(select(VolunteerProfile).join(Participation, and_(
        Participation.contributor_id == VolunteerProfile.contributor_id, Participation.campaign_id == campaign.id))
        .where(VolunteerProfile.show_in_recognition.is_(True), VolunteerProfile.display_name != "")).scalars().all()
    if not listed:  # nobody asked to be listed: the campaign's answers need not be read
        return []
    counts = agreement.agreeing_counts(campaign)
    if not counts:
        return []
    cap = controls.answer_cap(controls.of(campaign.settings), campaign.tasks_total, campaign.redundancy)
    weights = agreement.voter_weights(campaign)
    ranked = []
    for p in listed:
        agreeing = counts.get(p.contributor_id, 0)
        agreeing = min(agreeing, cap) if cap is not None else agreeing
        score = agreeing * weights.get(p.contributor_id, 0.0)
        if score > 0:
            ranked.append({"name": p.display_name, "agreeing": agreeing, "score": round(score, 2),
                           "public_id": p.public_id if p.public else None})
    ranked.sort(key=lambda r: (-r["score"], r["name"].lower()))
    return ranked[:limit]

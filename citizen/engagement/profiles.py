"""A volunteer's profile: campaigns joined, tasks done, time given, agreement with the decided results and
accuracy on known-answer tasks per campaign, milestones, a certificate; and their preferences.

Everything is keyed by contributor, so a guest has a profile as much as someone with an account. It is
private until the volunteer makes it public; its public address is a random id, never the contributor id."""
import secrets
import unicodedata

from flask import session
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, func, select

from citizen.accounts.models import Contributor, User, utcnow
from citizen.accounts.services import guest_is_current
from citizen.accounts.auth import GUEST_SESSION_KEY
from citizen.campaigns.models import DRAFT, Answer, Campaign, Participation
from citizen.engagement import agreement
from citizen.engagement.models import CampaignUpdate, VolunteerProfile
from citizen.errors import InvalidInput, NotFound
from citizen.extensions import db
from citizen.campaigns import disclosure

MILESTONES = (10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 25_000)
MAX_NAME = 60
# Time given: a task left open for lunch is not an hour of help; each answer counts for at most this long.
MAX_ANSWER_MS = 10 * 60 * 1000


def current_contributor_id():
    """The contributor id of whoever is on the page (account or guest in the session), without creating one."""
    if current_user.is_authenticated:
        return db.session.execute(select(Contributor.id).where(Contributor.user_id == current_user.id)).scalar()
    guest = session.get(GUEST_SESSION_KEY)
    # A guest whose person registered or signed in is the account's now: its old cookie shows nothing of it.
    return guest if isinstance(guest, int) and guest_is_current(guest) else None


def get_profile(contributor_id):
    if contributor_id is None:
        return None
    return db.session.get(VolunteerProfile, contributor_id)


def by_public_id(public_id):
    """The profile at /volunteers/<public_id>; NotFound unless its volunteer made it public."""
    profile = db.session.execute(select(VolunteerProfile).where(
        VolunteerProfile.public_id == str(public_id)[:24])).scalar_one_or_none()
    if profile is None or not profile.public:
        raise NotFound(_("There is no public profile at this address."))
    return profile


def _clean_name(raw):
    name = unicodedata.normalize("NFC", " ".join(str(raw or "").split()))
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        message = _("Use letters, digits and punctuation in your display name.")
        raise InvalidInput(message, details=[{"field": "display_name", "message": message}])
    if len(name) > MAX_NAME:
        message = _("Keep your display name under %(max)d characters.", max=MAX_NAME)
        raise InvalidInput(message, details=[{"field": "display_name", "message": message}])
    return name


def save_preferences(contributor_id, data):
    """Store display name, public, notify_updates and show_in_recognition. A public profile or a place in the
    recognition list needs a display name. Returns the profile (flushed)."""
    name = _clean_name(data.get("display_name"))
    public, notify, listed = (bool(data.get(k)) for k in ("public", "notify_updates", "show_in_recognition"))
    if (public or listed) and not name:
        message = _("Choose a display name first: it is the name others see.")
        raise InvalidInput(message, details=[{"field": "display_name", "message": message}])
    profile = get_profile(contributor_id)
    if profile is None:
        profile = VolunteerProfile(contributor_id=contributor_id, public_id=secrets.token_urlsafe(9))
        db.session.add(profile)
    if notify and not profile.notify_updates:
        # Told about updates posted from now on, not about the whole history at once.
        profile.seen_update_id = db.session.execute(select(func.coalesce(func.max(CampaignUpdate.id), 0))).scalar_one()
    profile.display_name, profile.public, profile.notify_updates, profile.show_in_recognition = name, public, notify, listed
    profile.updated_at = utcnow()
    db.session.flush()
    return profile


def account_name(contributor_id):
    return db.session.execute(select(User.name).join(Contributor, Contributor.user_id == User.id).where(
        Contributor.id == contributor_id)).scalar()


def milestones(answers):
    """{"reached": [n...], "next": n or None, "to_next": answers still needed}."""
    reached = [m for m in MILESTONES if answers >= m]
    upcoming = next((m for m in MILESTONES if answers < m), None)
    return {"reached": reached, "next": upcoming, "to_next": upcoming - answers if upcoming else 0}


def summary(contributor_id):
    """The profile's numbers: per campaign and in total. A contributor without answers gets empty lists."""
    rows = []
    if contributor_id is not None:
        capped = case((Answer.duration_ms > MAX_ANSWER_MS, MAX_ANSWER_MS), else_=func.coalesce(Answer.duration_ms, 0))
        time_given = dict(db.session.execute(select(Answer.campaign_id, func.sum(capped)).where(
            Answer.contributor_id == contributor_id).group_by(Answer.campaign_id)).all())
        parts = db.session.execute(select(Participation, Campaign).join(
            Campaign, Campaign.id == Participation.campaign_id).where(
            Participation.contributor_id == contributor_id, Participation.answer_count > 0,
            Campaign.status != DRAFT).order_by(Participation.last_at.desc())).all()
        for part, campaign in parts:
            agree = agreement.contributor_agreement(campaign, contributor_id)
            # While the campaign is open, as of the last summary (citizen.campaigns.disclosure): never per task.
            gold_total, gold_correct = disclosure.gold_record(campaign, contributor_id, part.answer_count,
                                                              part.gold_total, part.gold_correct)
            rows.append({
                "campaign": campaign, "answers": part.answer_count, "time_ms": int(time_given.get(campaign.id) or 0),
                "first_at": part.first_at, "last_at": part.last_at,
                "agreement": round(100 * agree["agreeing"] / agree["compared"]) if agree and agree["compared"] else None,
                "compared": agree["compared"] if agree else 0,
                "gold_total": gold_total,
                "gold_accuracy": round(100 * gold_correct / gold_total) if gold_total else None})
    answers = sum(r["answers"] for r in rows)
    return {"campaigns": rows, "answers": answers, "time_ms": sum(r["time_ms"] for r in rows),
            "organisations": sorted({r["campaign"].organisation.name for r in rows}),
            "first_at": min((r["first_at"] for r in rows), default=None),
            "last_at": max((r["last_at"] for r in rows), default=None),
            "milestones": milestones(answers)}

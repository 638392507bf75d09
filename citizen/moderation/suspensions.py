"""Suspending a contributor: their answers stop counting, and the results they touched are computed again.

A suspension covers one campaign or every campaign of the organisation. Suspending sets the weight of the
contributor's answers there to 0 (kept, never counted, as for answers given too fast), and rebuilds the
consensus of every task they answered from all its answers with the kind's add_to_consensus, exactly as the hot
path would have built it had the suspension existed from the start (the gold-weighted tally beside it too).
New answers from them are stored with weight 0 (citizen.moderation.hot). Lifting gives the answers back the
weight the campaign's rules give them (0 when faster than its minimum time) unless another active suspension
still covers them, and rebuilds again. The batch consensus (Dawid-Skene) and exports see a new data version.
"""
from flask_babel import gettext as _
from sqlalchemy import case, or_, select, update

from citizen.accounts.models import utcnow
from citizen.campaigns import refold
from citizen.campaigns.models import Answer, Campaign
from citizen.errors import Conflict, Forbidden, NotFound
from citizen.campaigns.builds import note_change
from citizen.extensions import db
from citizen.moderation import hot
from citizen.moderation.access import audit, moderated, require_moderator
from citizen.moderation.models import Suspension
from citizen.moderation.queue import my_contributor_id, pseudonym
from citizen.quality import controls

CHUNK = 500


def _campaign_ids(organisation_id, campaign_id):
    if campaign_id is not None:
        return [campaign_id]
    return list(db.session.execute(select(Campaign.id).where(Campaign.organisation_id == organisation_id)).scalars())


def active(organisation_id, contributor_id, campaign_id):
    """Active suspensions of a contributor that cover a campaign."""
    return db.session.execute(select(Suspension).where(
        Suspension.organisation_id == organisation_id, Suspension.contributor_id == contributor_id,
        Suspension.lifted_at.is_(None),
        or_(Suspension.campaign_id.is_(None), Suspension.campaign_id == campaign_id))).scalars().all()


def suspend(user, organisation_id, contributor_ids, campaign_id, reason):
    """Suspend contributors in one campaign (or, campaign_id None, the whole organisation). Returns the
    suspensions; raises Conflict when one is already suspended there."""
    require_moderator(user, organisation_id)
    if my_contributor_id(user) in contributor_ids:
        raise Forbidden(_("You cannot suspend yourself."))
    if campaign_id is not None:
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is None or campaign.organisation_id != organisation_id:
            raise NotFound(_("There is no such campaign."))
    made = []
    ids = _campaign_ids(organisation_id, campaign_id)
    for cid in contributor_ids:
        # An organisation-wide suspension covers every campaign; one campaign's, that campaign.
        if active(organisation_id, cid, campaign_id if campaign_id is not None else -1):
            raise Conflict(_("This contributor is already suspended here."), code="already_suspended")
        s = Suspension(organisation_id=organisation_id, campaign_id=campaign_id, contributor_id=cid,
                       reason=reason, created_by_id=user.id, created_at=utcnow())
        db.session.add(s)
        db.session.flush()
        db.session.execute(update(Answer).where(Answer.contributor_id == cid, Answer.campaign_id.in_(ids))
                           .values(weight=0.0))
        tasks = rebuild_for(cid, ids)
        audit(user, organisation_id, "suspend", "suspension", s.id, reason, {"suspended": False}, {
            "suspended": True, "scope": "campaign" if campaign_id else "organisation", "tasks_recomputed": tasks,
            "contributor": pseudonym(campaign_id, cid) if campaign_id else None}, campaign_id)
        made.append(s)
    hot.forget_suspensions()
    db.session.flush()
    return made


def lift(user, suspension_id, reason=""):
    """End a suspension: the answers count again (unless another suspension covers them), results rebuilt."""
    s = moderated(user, Suspension, suspension_id, _("There is no such suspension."))
    if s.lifted_at is not None:
        raise Conflict(_("This suspension was already lifted."), code="already_lifted")
    if my_contributor_id(user) == s.contributor_id:
        raise Forbidden(_("You cannot lift your own suspension."))
    s.lifted_at, s.lifted_by_id = utcnow(), user.id
    db.session.flush()
    restored = []
    for campaign in db.session.execute(select(Campaign).where(
            Campaign.id.in_(_campaign_ids(s.organisation_id, s.campaign_id)))).scalars():
        if active(s.organisation_id, s.contributor_id, campaign.id):
            continue  # still suspended there by another suspension
        min_ms = controls.of(campaign.settings)["min_ms"]
        db.session.execute(update(Answer).where(Answer.contributor_id == s.contributor_id,
                                                Answer.campaign_id == campaign.id).values(
            weight=case((Answer.duration_ms < min_ms, 0.0), else_=1.0)))
        restored.append(campaign.id)
    tasks = rebuild_for(s.contributor_id, restored)
    audit(user, s.organisation_id, "lift", "suspension", s.id, reason, {"suspended": True},
          {"suspended": False, "tasks_recomputed": tasks}, s.campaign_id)
    hot.forget_suspensions()
    db.session.flush()
    return s


def rebuild_for(contributor_id, campaign_ids):
    """Rebuild the consensus of every task this contributor answered in these campaigns; returns how many."""
    if not campaign_ids:
        return 0
    task_ids = sorted(set(db.session.execute(select(Answer.task_id).where(
        Answer.contributor_id == contributor_id, Answer.campaign_id.in_(campaign_ids))).scalars()))
    for i in range(0, len(task_ids), CHUNK):
        rebuild(task_ids[i:i + CHUNK])
    for campaign in db.session.execute(select(Campaign).where(Campaign.id.in_(campaign_ids))).scalars():
        note_change(campaign)  # Dawid-Skene and the exports: the weights changed, not the answers
    return len(task_ids)


def rebuild(task_ids):
    """The consensus of these tasks from all their answers again (citizen.campaigns.refold), with this
    transaction's suspensions and lifts counted."""
    hot.forget_suspensions()
    refold.rebuild(task_ids)

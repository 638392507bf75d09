"""The moderators' queue of one organisation: what needs a person, most urgent first.

Order, always: escalations (the first critical answer on a task, oldest first), content volunteers reported
(graphic: wellbeing flags not yet settled; abusive or personal data: ContentReport), tasks where volunteers
disagree past the limit (a complete task whose leading answer has less than REVIEW_BELOW of the votes, or
a tie; transcription pages still disputed after the most answers allowed), then contributors and
linked-account clusters the quality report flags. Items a moderator's own answers are part of are left out:
nobody reviews their own work.

`open_items` lists every item as a light dict (key, reason, campaign, task or contributors, a summary); the
page shows a slice of them, and `hydrate` loads what a slice needs to be judged at a glance (the image, every
answer with its marks, the consensus). Contributors are named by their per-campaign pseudonym only.
"""
import hashlib
import time

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from citizen.accounts.models import Contributor
from citizen.kinds import get_kind
from citizen.campaigns.models import DRAFT, HIDDEN_RAND, Answer, Campaign, Participation, Task
from citizen.extensions import db
from citizen.moderation.models import OPEN, ContentReport, Escalation, QueueDismissal, Suspension
from citizen.campaigns.tally import DECIDED, REVIEW
from citizen.quality import consensus as tally
from citizen.quality import controls
from citizen.accounts.signatures import pseudonym
from citizen.campaigns.report import campaign_report
from citizen.wellbeing import services as wellbeing
from citizen.wellbeing.models import ContentFlag, ContentRating

REASONS = [("escalation", _l("Escalations")), ("flag", _l("Reported content")), ("held", _l("Answers to check")),
           ("disagreement", _l("Volunteers disagree")), ("contributor", _l("Contributors")),
           ("cluster", _l("Linked accounts"))]
REVIEW_BELOW = 0.6      # share of the votes the leading answer of a complete task needs (2 of 3 passes)
LOW_RELIABILITY = 0.5   # gold reliability below which a contributor is listed (with enough gold answers)
QUALITY_TTL = 60.0      # seconds a campaign's quality report is reused by the queue


def my_contributor_id(user):
    """The contributor a signed-in user answers as (None if they never answered)."""
    return db.session.execute(select(Contributor.id).where(Contributor.user_id == user.id)).scalar()


def own_task_ids(contributor_id, campaign_ids):
    if contributor_id is None or not campaign_ids:
        return set()
    return set(db.session.execute(select(Answer.task_id).where(
        Answer.contributor_id == contributor_id, Answer.campaign_id.in_(campaign_ids))).scalars())


def campaigns_of(organisation_id, campaign_id=None):
    query = select(Campaign).where(Campaign.organisation_id == organisation_id, Campaign.status != DRAFT)
    if campaign_id:
        query = query.where(Campaign.id == campaign_id)
    return {c.id: c for c in db.session.execute(query.order_by(Campaign.id)).scalars()}


def cluster_key(campaign_id, names):
    return f"cluster:{campaign_id}:" + hashlib.sha1(",".join(sorted(names)).encode()).hexdigest()[:16]


def open_items(user, organisation_id, campaign_id=None, reason=None):
    """(items in queue order, {reason: count}) for this moderator; `reason` filters the items, not the counts."""
    campaigns = campaigns_of(organisation_id, campaign_id)
    me = my_contributor_id(user)
    mine = own_task_ids(me, list(campaigns))
    dismissed = set(db.session.execute(select(QueueDismissal.item_key).where(
        QueueDismissal.organisation_id == organisation_id)).scalars())
    items = (escalations(organisation_id, campaigns) + flags(campaigns) + held(campaigns, dismissed)
             + disagreements(campaigns, dismissed) + quality(campaigns, dismissed))
    items = [i for i in items if not (i.get("task_id") in mine or me in i.get("contributor_ids", ()))]
    counts = {r: 0 for r, _label in REASONS}
    for item in items:
        counts[item["reason"]] += 1
    return [i for i in items if reason in (None, "", i["reason"])], counts


def escalations(organisation_id, campaigns, after=0):
    if not campaigns:
        return []
    rows = db.session.execute(select(Escalation).where(
        Escalation.organisation_id == organisation_id, Escalation.status == OPEN, Escalation.id > after,
        Escalation.campaign_id.in_(list(campaigns))).order_by(Escalation.id)).scalars()
    return [{"key": f"escalation:{e.id}", "reason": "escalation", "campaign_id": e.campaign_id, "task_id": e.task_id,
             "escalation_id": e.id, "label": e.label, "created_at": e.created_at,
             "contributor_ids": [e.contributor_id] if e.contributor_id else []} for e in rows]


def flags(campaigns):
    """Tasks volunteers reported: wellbeing flags newer than the last moderator decision, and open reports."""
    if not campaigns:
        return []
    ids = list(campaigns)
    by_task = {}
    flagged = db.session.execute(
        select(ContentFlag.task_id, ContentFlag.campaign_id, ContentFlag.level, ContentFlag.created_at,
               ContentFlag.contributor_id, Contributor.device_sig)
        .join(Task, Task.id == ContentFlag.task_id)
        .join(Contributor, Contributor.id == ContentFlag.contributor_id)
        .outerjoin(ContentRating, ContentRating.task_id == ContentFlag.task_id)
        .where(ContentFlag.campaign_id.in_(ids), Task.rand > HIDDEN_RAND,
               or_(ContentRating.flags_after.is_(None), ContentFlag.created_at > ContentRating.flags_after))).all()
    flaggers = {}
    for task_id, camp, level, at, cid, sig in flagged:
        item = by_task.setdefault(task_id, _flag_item(task_id, camp, at))
        item["graphic"] = max(item["graphic"], level)
        item["reports"] += 1
        item["created_at"] = min(item["created_at"], at)
        flaggers.setdefault(task_id, set()).add(("device", sig) if sig else ("contributor", cid))
    # Flags are listed as soon as they are made, before they change anything: how many independent flaggers
    # (distinct devices, as wellbeing.services.independent_flags counts them) and how many re-rate the item.
    for task_id, who in flaggers.items():
        item = by_task[task_id]
        item["flaggers"] = len(who)
        item["flag_threshold"] = wellbeing.flag_threshold(campaigns[item["campaign_id"]].settings)
        item["pending"] = item["flaggers"] < item["flag_threshold"]
    reported = db.session.execute(
        select(ContentReport.task_id, ContentReport.campaign_id, ContentReport.reason, ContentReport.created_at)
        .join(Task, Task.id == ContentReport.task_id)
        .where(ContentReport.campaign_id.in_(ids), ContentReport.status == OPEN, Task.rand > HIDDEN_RAND)).all()
    for task_id, camp, why, at in reported:
        item = by_task.setdefault(task_id, _flag_item(task_id, camp, at))
        item["reasons"][why] = item["reasons"].get(why, 0) + 1
        item["reports"] += 1
        item["created_at"] = min(item["created_at"], at)
    return sorted(by_task.values(), key=lambda i: (i["created_at"], i["task_id"]))


MAX_HELD = 500  # held answers listed at once (oldest first): a moderator works down from the top


def held(campaigns, _dismissed):
    """Answers their kind holds for a check before they count (a field visit from farther than the campaign's radius,
    or with a photo taken elsewhere): kept with weight 0 and the reason "held" (an index of few rows)."""
    if not campaigns:
        return []
    rows = db.session.execute(
        select(Answer.id, Answer.task_id, Answer.campaign_id, Answer.contributor_id, Answer.value, Answer.created_at)
        .join(Task, Task.id == Answer.task_id)
        .where(Answer.campaign_id.in_(list(campaigns)), Answer.reason == "held", Task.rand > HIDDEN_RAND)
        .order_by(Answer.id).limit(MAX_HELD)).all()
    out = []
    for r in rows:
        key = f"held:{r.id}"
        kind = get_kind(campaigns[r.campaign_id].kind)
        out.append({"key": key, "reason": "held", "campaign_id": r.campaign_id, "task_id": r.task_id,
                    "answer_id": r.id, "contributor_ids": [r.contributor_id], "created_at": r.created_at,
                    "why": kind.held(r.value), "summary": kind.answer_display(r.value).get("label"),
                    "links": kind.answer_links(campaigns[r.campaign_id].slug, r.value)})
    return out


def _flag_item(task_id, campaign_id, at):
    return {"key": f"flag:{task_id}", "reason": "flag", "campaign_id": campaign_id, "task_id": task_id,
            "created_at": at, "graphic": 0, "reasons": {}, "reports": 0}


def disagrees(kind, campaign, state, result=None):
    """Whether a complete task's answers disagree past the campaign's limit (`result`: the task's stored result)."""
    if kind.answer_labels(campaign.settings):
        result = tally.majority(state)
        return result["tied"] or result["share"] < REVIEW_BELOW
    return bool((result or {}).get("needs_review"))


def disagreements(campaigns, dismissed):
    out = []
    for campaign in campaigns.values():
        kind = get_kind(campaign.kind)
        # Complete tasks, and decided tasks that later answers would flip (citizen.campaigns.tally.settle: under
        # review, whether or not they are complete).
        rows = db.session.execute(select(Task.id, Task.consensus, Task.result).where(
            Task.campaign_id == campaign.id, Task.answer_count > 0,
            or_(Task.answer_count >= Task.redundancy, Task.result["under_review"].as_boolean() == True),  # noqa: E712
            Task.gold.is_(None), Task.rand > HIDDEN_RAND).order_by(Task.id)).all()
        for task_id, state, result in rows:
            state = state or {}
            key = f"disagreement:{task_id}"
            review = REVIEW in state
            if "override" in state or key in dismissed or not (review or disagrees(kind, campaign, state, result)):
                continue
            item = {"key": key, "reason": "disagreement", "campaign_id": campaign.id, "task_id": task_id}
            if review:  # the evidence: the tally when the task was decided, and now
                decided = state[DECIDED]
                item.update(under_review=True, decided=decided["answer"], before=decided.get("counts", {}),
                            after=state[REVIEW].get("counts", {}))
            out.append(item)
    return out


def pseudonyms(campaign_id):
    """{pseudonym: contributor id} of everyone who took part in a campaign."""
    ids = db.session.execute(select(Participation.contributor_id).where(
        Participation.campaign_id == campaign_id)).scalars()
    return {pseudonym(campaign_id, cid): cid for cid in ids}


def suspended_ids(organisation_id, campaign_id):
    return set(db.session.execute(select(Suspension.contributor_id).where(
        Suspension.organisation_id == organisation_id, Suspension.lifted_at.is_(None),
        or_(Suspension.campaign_id.is_(None), Suspension.campaign_id == campaign_id))).scalars())


def _report(campaign):
    """The campaign's quality report and its {pseudonym: contributor id}, kept QUALITY_TTL seconds per process:
    the influence report runs the aggregation again per heavy voter, and its cache is invalidated by every
    new answer, so an active campaign would otherwise pay for it on every page of the queue."""
    cache = current_app.extensions.setdefault("citizen.moderation_reports", {})
    key = (campaign.id, campaign.created_at)
    hit = cache.get(key)
    if hit is None or time.monotonic() - hit[0] > QUALITY_TTL:
        hit = cache[key] = (time.monotonic(), campaign_report(campaign), pseudonyms(campaign.id))
    return hit[1], hit[2]


def quality(campaigns, dismissed):
    """Contributors and clusters the quality report flags, per campaign with answers."""
    out = []
    for campaign in campaigns.values():
        if not db.session.execute(select(Answer.id).where(Answer.campaign_id == campaign.id).limit(1)).first():
            continue
        report, names = _report(campaign)
        suspended = suspended_ids(campaign.organisation_id, campaign.id)
        people = {}

        def flag(name, why, **evidence):
            cid = names.get(name)
            if cid is None or cid in suspended:
                return
            item = people.setdefault(name, {"key": f"contributor:{campaign.id}:{name}", "reason": "contributor",
                                            "campaign_id": campaign.id, "name": name, "contributor_ids": [cid],
                                            "why": [], "evidence": {}})
            item["why"].append(why)
            item["evidence"].update(evidence)

        for row in report.get("fast", []):
            flag(row["contributor"], "fast", fast_answers=row["fast_answers"], answers=row["answers"])
        for row in report.get("skips", []):  # skip-heavy: weighed less already, a person may want to look
            flag(row["contributor"], "skips", skips=row["skips"], answers=row["answers"])
        for row in report.get("gold", []):
            if row["reliability"] < LOW_RELIABILITY and row["gold_answers"] >= controls.GOLD_EVIDENCE:
                flag(row["contributor"], "gold", reliability=row["reliability"], gold_answers=row["gold_answers"])
        for row in report.get("influence") or []:
            if row["flagged"] and len(row["contributors"]) == 1:
                flag(row["contributors"][0], "influence", share=row["share"], flips=row["flips"])
        out += [p for p in people.values() if p["key"] not in dismissed]
        for cluster in report.get("clusters") or []:
            members = [m for m in cluster["members"] if m in names]
            key = cluster_key(campaign.id, members)
            ids = [names[m] for m in members]
            if key in dismissed or not ids or all(i in suspended for i in ids):
                continue
            influence = next((r for r in report.get("influence") or [] if sorted(r["contributors"]) == sorted(members)),
                             None)
            out.append({"key": key, "reason": "cluster", "campaign_id": campaign.id, "members": members,
                        "contributor_ids": ids, "evidence": {**{k: cluster[k] for k in ("size", "shared_device",
                                                                                        "tasks_in_common", "agreement")},
                                                             "share": influence["share"] if influence else None}})
        out += _flagged_sets(campaign, report, names, suspended, dismissed)
    return out


def _flagged_sets(campaign, report, names, suspended, dismissed):
    """Sets of accounts the influence report flags together (one network, one arrival burst, one device) that are
    not a counted group already: no one of them flips much, together they do."""
    out, grouped = [], {tuple(sorted(c["members"])) for c in report.get("clusters") or []}
    for row in report.get("influence") or []:
        if not row.get("flagged") or row.get("kind", "voter") in ("voter", "cluster"):
            continue
        members = sorted(m for m in row["contributors"] if m in names)
        key = cluster_key(campaign.id, members)
        ids = [names[m] for m in members]
        if tuple(members) in grouped or key in dismissed or not ids or all(i in suspended for i in ids):
            continue
        out.append({"key": key, "reason": "cluster", "campaign_id": campaign.id, "members": members,
                    "contributor_ids": ids, "evidence": {"size": len(members), "share": row["share"],
                                                         "flips": row["flips"], "together": row["kind"]}})
    return out

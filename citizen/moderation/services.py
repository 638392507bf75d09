"""The moderator's actions. Each checks who may act (a moderator or organiser of the item's organisation who
gave none of its answers), changes state, writes one AuditLog row (who, when, what, on what, why, before and
after) and flushes; the request commits.

Items are named by their queue key: escalation:<id>, flag:<task id>, held:<answer id>, disagreement:<task id>,
contributor:<campaign id>:<pseudonym>, cluster:<campaign id>:<hash of the members' pseudonyms>.
"""
from flask_babel import gettext as _
from sqlalchemy import select, update

from citizen.accounts.models import utcnow
from citizen.campaigns import tally
from citizen.kinds import get_kind
from citizen.campaigns.models import (HIDDEN_RAND, LEASED, TRAINING_RAND, EXPIRED, Answer, Assignment, Campaign,
                                      Participation, Task)
from citizen.errors import Conflict, Forbidden, InvalidInput, NotFound
from citizen.campaigns.builds import note_change
from citizen.extensions import db
from citizen.numbers import parse_int
from citizen.moderation import escalations, hot, live
from citizen.moderation.access import MAX_REASON, audit, moderated, moderator_tag, require_moderator
from citizen.moderation.models import (CONFIRMED, DISMISSED, OPEN, REPORT_REASONS, RESOLVED,
                                       ContentReport, Escalation, QueueDismissal)
from citizen.moderation.queue import cluster_key, my_contributor_id, own_task_ids, pseudonyms
from citizen.wellbeing import services as wellbeing
from citizen.wellbeing.models import WITHHELD, ContentFlag


# --- who may act: citizen.moderation.access; and never on their own work ---------------------------------

def _not_own(user, task_id, campaign_id):
    if task_id in own_task_ids(my_contributor_id(user), [campaign_id]):
        raise Forbidden(_("You answered this task yourself: another moderator must review it."))


def _reason(data, required=False):
    reason = str(data.get("reason") or "").strip()[:MAX_REASON]
    if required and not reason:
        message = _("Say why, in a few words: the audit log keeps it.")
        raise InvalidInput(message, details=[{"field": "reason", "message": message}])
    return reason


def _task(user, task_id):
    """The task (row locked, as the hot path locks it: answers wait) and its campaign, for a moderator of its
    organisation who did not answer it."""
    row = db.session.execute(select(Task, Campaign).join(Campaign, Campaign.id == Task.campaign_id)
                             .where(Task.id == task_id).with_for_update(of=Task)).first()
    if row is None:
        raise NotFound(_("There is no such task."))
    task, campaign = row
    require_moderator(user, campaign.organisation_id)
    _not_own(user, task.id, campaign.id)
    return task, campaign


# --- escalations -----------------------------------------------------------------------------------------

def _escalation(user, escalation_id):
    """An escalation to act on: as get_escalation, and not one on a task this moderator answered."""
    esc = get_escalation(user, escalation_id)
    _not_own(user, esc.task_id, esc.campaign_id)
    return esc


def get_escalation(user, escalation_id):
    """An escalation for the experts' view (moderators and organisers of its organisation)."""
    return moderated(user, Escalation, escalation_id, _("There is no such escalation."))


def decide_escalation(user, escalation_id, status, reason=""):
    """Confirm (experts are told, with the place and the image) or dismiss an open escalation."""
    esc = _escalation(user, escalation_id)
    if esc.status != OPEN:
        raise Conflict(_("This escalation was already %(status)s.", status=esc.status), code="already_decided")
    before = {"status": esc.status}
    esc.status, esc.reason, esc.decided_by_id, esc.decided_at = status, reason, user.id, utcnow()
    audit(user, esc.organisation_id, "confirm" if status == CONFIRMED else "dismiss", "escalation", esc.id, reason,
          before, {"status": status}, esc.campaign_id)
    if status == CONFIRMED:
        esc.place = escalations.details(esc)[3]  # stored: the live page and the feed read it as it is
    db.session.flush()
    if status == CONFIRMED:
        hot.notify(esc.id, esc.campaign_id, "escalation.confirmed")
        live.forget(esc.organisation_id)
    return esc


# --- results ---------------------------------------------------------------------------------------------

def _set_override(user, task, campaign, answer, reason, action):
    state = dict(task.consensus or {})
    before = state.get("override")
    state["override"] = {"answer": answer, "by": moderator_tag(user, campaign.organisation_id), "reason": reason,
                         "at": utcnow().isoformat(timespec="seconds") + "Z", "action": action}
    task.consensus = state
    audit(user, campaign.organisation_id, action, "task", task.id, reason,
          {"override": before, "answer": tally.stored(task.result)["answer"]},
          {"override": state["override"]}, campaign.id)
    note_change(campaign)  # exports: a new version although no answer arrived
    db.session.flush()
    return state["override"]


def accept_result(user, task_id, reason=""):
    """Settle a task on its leading answer: it stays the result whatever answers still arrive."""
    task, campaign = _task(user, task_id)
    answer = tally.stored(task.result)["answer"]
    if answer in (None, {}):
        raise Conflict(_("There is no leading answer to accept (a tie, or no answers): override it instead."),
                       code="nothing_to_accept")
    return _set_override(user, task, campaign, answer, reason, "accept")


def override_result(user, task_id, answer, reason):
    """Replace a task's result by a moderator's answer (one of the answers offered; for kinds without fixed
    answers, an answer as a volunteer would give it). The override wins in results and exports."""
    task, campaign = _task(user, task_id)
    kind = get_kind(campaign.kind)
    labels = kind.answer_labels(campaign.settings)
    if labels:
        if answer not in labels:
            message = _("Choose one of the answers: %(labels)s", labels=", ".join(labels))
            raise InvalidInput(message, details=[{"field": "answer", "message": message}])
    else:
        answer = kind.clean_answer(answer, task.payload, campaign.settings)
    _reason({"reason": reason}, required=True)
    return _set_override(user, task, campaign, answer, reason, "override")


def count_held(user, answer_id, reason=""):
    """A held answer (a field visit from too far away) checked and found right: it counts from now on, its task's
    tally rebuilt from all its answers as every change of a tally is (citizen.campaigns.refold)."""
    from citizen.campaigns import refold
    answer = db.session.get(Answer, answer_id)
    if answer is None or answer.reason != "held":
        raise NotFound(_("There is no such answer waiting for a check."))
    task, campaign = _task(user, answer.task_id)
    kind = get_kind(campaign.kind)
    before = answer.value
    answer.value, answer.reason = kind.accept_held(answer.value), None
    was_done = task.answer_count >= task.redundancy
    task.redundancy = max(1, task.redundancy - 1)  # the extra slot it was held in (campaigns.scheduler)
    task.available = task.available and task.answer_count + task.lease_count < task.redundancy
    if not was_done and task.answer_count >= task.redundancy:  # the campaign's progress: this task is done now
        db.session.execute(update(Campaign).where(Campaign.id == campaign.id).values(
            tasks_done=Campaign.tasks_done + 1))
    db.session.flush()
    refold.rebuild([task.id])
    audit(user, campaign.organisation_id, "count_held", "answer", answer.id, reason,
          {"held": kind.held(before)}, {"held": []}, campaign.id)
    note_change(campaign)
    db.session.flush()


# --- content ---------------------------------------------------------------------------------------------

def _resolve_reports(user, task_id):
    return db.session.execute(update(ContentReport).where(ContentReport.task_id == task_id,
                                                          ContentReport.status == OPEN)
                              .values(status=RESOLVED, resolved_by_id=user.id, resolved_at=utcnow())).rowcount


def hide_task(user, task_id, reason):
    """Take a task out of the campaign for good: never handed out again (its place in the scheduling order is
    below every cursor, and it is unavailable), live leases given back, reports resolved."""
    task, campaign = _task(user, task_id)
    if (task.consensus or {}).get("hidden"):
        raise Conflict(_("This task is already hidden."), code="already_hidden")
    before = {"available": task.available, "redundancy": task.redundancy, "lease_count": task.lease_count}
    live = db.session.execute(select(Assignment.contributor_id).where(
        Assignment.task_id == task.id, Assignment.state == LEASED)).scalars().all()
    if live:
        db.session.execute(update(Assignment).where(Assignment.task_id == task.id, Assignment.state == LEASED)
                           .values(state=EXPIRED))
        db.session.execute(update(Participation).where(Participation.campaign_id == campaign.id,
                                                       Participation.contributor_id.in_(live))
                           .values(leases=Participation.leases - 1))
    was_complete = task.answer_count >= task.redundancy or task.rand == TRAINING_RAND  # training: never work
    task.lease_count, task.available, task.rand = 0, False, HIDDEN_RAND
    if not was_complete:  # nothing more will come: it no longer holds the campaign's progress back
        task.redundancy = task.answer_count
        db.session.execute(update(Campaign).where(Campaign.id == campaign.id)
                           .values(tasks_done=Campaign.tasks_done + 1))
    task.consensus = {**(task.consensus or {}), "hidden": {
        "by": moderator_tag(user, campaign.organisation_id), "reason": reason,
        "at": utcnow().isoformat(timespec="seconds") + "Z"}}
    db.session.execute(update(Escalation).where(Escalation.task_id == task.id, Escalation.status == OPEN)
                       .values(status=DISMISSED, reason=reason, decided_by_id=user.id, decided_at=utcnow()))
    _resolve_reports(user, task.id)
    audit(user, campaign.organisation_id, "hide", "task", task.id, reason, before,
          {"available": False, "hidden": True, "redundancy": task.redundancy}, campaign.id)
    note_change(campaign)
    db.session.flush()
    return task


def rerate(user, task_id, level, categories=None, reason=""):
    """A new content rating for a task (the wellbeing service applies it: blurring, consent, review)."""
    task, campaign = _task(user, task_id)
    before = wellbeing.load_item_state(campaign.settings, task.id, task.payload).rating.to_dict()
    out = wellbeing.rate_task(task.id, user, {"level": level, "categories": categories or []})
    audit(user, campaign.organisation_id, "rerate", "task", task.id, reason, {"rating": before},
          {"rating": out["rating"]}, campaign.id)
    db.session.flush()
    return out


def dismiss_reports(user, task_id, reason=""):
    """The reports on a task need nothing: open reports are resolved, and graphic-content flags are settled at
    the task's current rating (the wellbeing service then counts only later flags)."""
    task, campaign = _task(user, task_id)
    resolved = _resolve_reports(user, task.id)
    state = wellbeing.load_item_state(campaign.settings, task.id, task.payload)
    flagged = state.review_level is not None or db.session.execute(
        select(ContentFlag.id).where(ContentFlag.task_id == task.id).limit(1)).first()
    if flagged:
        rating = state.rating.to_dict()
        wellbeing.rate_task(task.id, user, {"level": rating["level"], "categories": rating.get("categories") or [],
                                            "custom_label": rating.get("custom_label")})
    audit(user, campaign.organisation_id, "dismiss", "reports", task.id, reason,
          {"open_reports": resolved, "under_review": state.review_level is not None}, {"open_reports": 0},
          campaign.id)
    db.session.flush()


def report_task(task_id, contributor_id, data):
    """A volunteer reports an item as abusive or showing personal data (for graphic content, the wellbeing
    flags). One report per reason per volunteer and task; only items they were shown."""
    reason = str(data.get("reason") or "")
    if reason not in REPORT_REASONS:
        message = _("Say what is wrong: abusive or personal_data (for upsetting content, use flags).")
        raise InvalidInput(message, details=[{"field": "reason", "message": message}])
    if data.get("note") is not None and not isinstance(data["note"], str):
        raise InvalidInput(_("Write the note as text."), details=[{"field": "note", "message": _("not text")}])
    task = db.session.get(Task, task_id)
    if task is None:
        raise NotFound(_("There is no such task."))
    handed = db.session.execute(select(Assignment.state).where(Assignment.contributor_id == contributor_id,
                                                               Assignment.task_id == task.id)).scalar()
    if handed in (None, WITHHELD):
        raise Forbidden(_("You can report items you were shown."), code="not_assigned")
    if db.session.execute(select(ContentReport.id).where(
            ContentReport.task_id == task.id, ContentReport.contributor_id == contributor_id,
            ContentReport.reason == reason)).first():
        raise Conflict(_("You have already reported this item. Thank you."), code="already_reported")
    report = ContentReport(task_id=task.id, campaign_id=task.campaign_id, contributor_id=contributor_id,
                           reason=reason, note=str(data.get("note") or "")[:500], created_at=utcnow())
    db.session.add(report)
    db.session.flush()
    return {"task_id": task.id, "reason": reason, "id": report.id}


# --- items in general ------------------------------------------------------------------------------------

def dismiss_item(user, organisation_id, key, campaign_id, reason=""):
    """Leave a disagreement, a flagged contributor or a cluster as it is: it stays out of the queue."""
    require_moderator(user, organisation_id)
    if db.session.execute(select(QueueDismissal.id).where(QueueDismissal.organisation_id == organisation_id,
                                                          QueueDismissal.item_key == key)).first():
        raise Conflict(_("This item was already dismissed."), code="already_dismissed")
    db.session.add(QueueDismissal(organisation_id=organisation_id, item_key=key[:120], user_id=user.id,
                                  created_at=utcnow()))
    audit(user, organisation_id, "dismiss", key.split(":", 1)[0], key.split(":", 1)[1], reason, None,
          {"dismissed": True}, campaign_id)
    db.session.flush()


def _campaign(user, campaign_id):
    return moderated(user, Campaign, campaign_id, _("There is no such campaign."))


def contributors_of(user, campaign, names):
    """Contributor ids behind pseudonyms of a campaign; a moderator may not act on themselves."""
    known = pseudonyms(campaign.id)
    ids = [known[n] for n in names if n in known]
    if len(ids) != len(names) or not ids:
        raise NotFound(_("There is no such contributor in this campaign."))
    if my_contributor_id(user) in ids:
        raise Forbidden(_("You cannot moderate your own answers."))
    return ids


def _item_id(text):
    value = parse_int(text)  # an id: 0..2**31-1 (a larger one names nothing, and overflows an int4 query)
    if value is None:
        raise NotFound(_("There is no such item."))
    return value


def act(user, data):
    """One action on one queue item, from the queue page: {"item": key, "action": ..., "reason": ..., and
    "answer" (override), "level"/"categories" (re-rate), "scope" (suspend: campaign or organisation),
    "members" (a cluster's pseudonyms)}. Returns {"done": action} (and the experts' view of a confirmation)."""
    from citizen.moderation import channels, suspensions
    key, action = str(data.get("item") or ""), str(data.get("action") or "")
    kind, _sep, rest = key.partition(":")
    reason = _reason(data, required=action in ("override", "suspend", "hide"))
    scope_all = data.get("scope") == "organisation"
    if kind == "escalation":
        esc_id = _item_id(rest)
        if action in ("confirm", "dismiss"):
            esc = decide_escalation(user, esc_id, CONFIRMED if action == "confirm" else DISMISSED, reason)
            out = {"done": action, "escalation_url": f"/moderation/escalations/{esc_id}"}
            if action == "confirm":  # where it is going: the escalation page shows each delivery as it happens
                reach = channels.reached(esc.id, esc.organisation_id)
                out.update(sent_to=channels.summary(reach), reached_nobody=not reach)
            return out
        esc = _escalation(user, esc_id)
        if action == "hide":
            hide_task(user, esc.task_id, reason)
            return {"done": action}
        if action == "suspend" and esc.contributor_id:
            suspensions.suspend(user, esc.organisation_id, [esc.contributor_id],
                                None if scope_all else esc.campaign_id, reason)
            esc.status, esc.reason, esc.decided_by_id, esc.decided_at = DISMISSED, reason, user.id, utcnow()
            return {"done": action}
    elif kind in ("flag", "disagreement"):
        task_id = _item_id(rest)
        if action == "dismiss" and kind == "flag":
            dismiss_reports(user, task_id, reason)
        elif action == "dismiss":
            _task_row, campaign = _task(user, task_id)
            dismiss_item(user, campaign.organisation_id, key, campaign.id, reason)
        elif action == "hide":
            hide_task(user, task_id, reason)
        elif action == "rerate":
            rerate(user, task_id, data.get("level"), data.get("categories"), reason)
        elif action == "accept":
            accept_result(user, task_id, reason)
        elif action == "override":
            override_result(user, task_id, data.get("answer"), reason)
        else:
            action = None
        if action:
            return {"done": action}
    elif kind == "held":
        answer_id = _item_id(rest)
        if action == "accept":  # count it
            count_held(user, answer_id, reason)
            return {"done": action}
        if action == "dismiss":  # looked at and left uncounted: out of the queue for good, the answer kept
            answer = db.session.get(Answer, answer_id)
            if answer is None or answer.reason != "held":
                raise NotFound(_("There is no such item."))
            _task_row, campaign = _task(user, answer.task_id)
            answer.reason = "held_left"  # still weight 0 (its kind holds it); the queue lists "held" only
            audit(user, campaign.organisation_id, "dismiss", "held", answer.id, reason, None, {"dismissed": True},
                  campaign.id)
            db.session.flush()
            return {"done": action}
    elif kind in ("contributor", "cluster"):
        camp_id, _sep, name = rest.partition(":")
        campaign = _campaign(user, _item_id(camp_id))
        names = [name] if kind == "contributor" else [str(m) for m in data.get("members") or []]
        if kind == "cluster" and cluster_key(campaign.id, names) != key:
            raise InvalidInput(_("The members do not match this cluster; reload the queue."))
        ids = contributors_of(user, campaign, names)
        if action == "suspend":
            suspensions.suspend(user, campaign.organisation_id, ids, None if scope_all else campaign.id, reason)
            return {"done": action}
        if action == "dismiss":
            dismiss_item(user, campaign.organisation_id, key, campaign.id, reason)
            return {"done": action}
    raise InvalidInput(_("That action is not possible on this item."),
                       details=[{"field": "action", "message": action}])

"""What a contributor is shown of a sensitive task: the scheduler's gate, the task JSON, the reveal.

- `gate` is consulted by the scheduler for campaigns with rated content only (a campaign flag, read from the
  settings it already has). Its SQL mask leaves out, in the pick itself, whatever the contributor's consent or
  exposure budget withholds; a leased task is then checked once more against its full rating and review state
  (`turns_away`), which also catches the cases bits cannot express.
- `shield_task` turns the kind's task JSON into what this contributor may see: for a blur, the blurred copy's
  URL, the warning and a reveal URL, and never the original; a warning line for items shown as they are.
- `reveal` hands over the original after consent and counts the view against the budget; `revealed` tells the
  volunteer loop whether an answer's author saw what a blur held back.
- `shielded_image` is the same decision for a moderator's queue (citizen has no queue yet: it calls this).
"""
from flask import g, url_for
from flask_babel import gettext as _
from sqlalchemy import select, update

from citizen.accounts.models import utcnow
from citizen.campaigns import hot_sql as q
from citizen.kinds import get_kind
from citizen.campaigns.models import Assignment, Campaign, Task
from citizen.errors import Conflict, Forbidden, NotAssigned
from citizen.extensions import db
from citizen.wellbeing import bits, blurring, services
from citizen.wellbeing.models import WITHHELD
from citizen.wellbeing.ratings import SETTINGS_KEY, campaign_rating
from content_warnings import Action, Sensitivity, decide, decide_under_review



def _items():
    return g.setdefault("wellbeing_items", {})


class Gate:
    """The scheduler's view of one contributor in one campaign with rated content."""

    def __init__(self, campaign, contributor_id, prefs, state):
        self.campaign, self.contributor_id, self.prefs, self.budget = campaign, contributor_id, prefs, state
        self.mask = bits.withheld_mask(prefs, state.paused_levels if state.paused else ())
        wb = (campaign.settings or {}).get(SETTINGS_KEY) or {}
        # Every task carries the campaign's bits unless some have their own: then one comparison says all.
        self.nothing_to_serve = not wb.get("mixed") and bool(bits.rating_bits(campaign_rating(campaign.settings))
                                                             & self.mask)

    def lease(self, conn, params, exclude):
        """The pick and lease, leaving out the tasks this contributor must not be shown."""
        params = {**params, "withheld": self.mask}
        if exclude:
            return conn.execute(q.LEASE_NEXT_CONTENT_EXCLUDING, {**params, "exclude": exclude}).first()
        return conn.execute(q.LEASE_NEXT_CONTENT, params).first()

    def turns_away(self, conn, task_id, payload, held=False):
        """Check a task just leased (or held) against its full rating. True when it must not be served: the
        slot is given back and, when the reason lasts (consent, review), the task is marked withheld for this
        contributor so the pick passes it by. A held task is only taken back for a lasting reason."""
        state = services.load_item_state(self.campaign.settings, task_id, payload)
        decision = decide_under_review(self.prefs, state.rerating)  # texts are made once, for the JSON
        if decision.served and (held or self.budget.allows(decision.rating.level)):
            _items()[task_id] = state
            return False
        lasting = not decision.served
        if held:
            if lasting:
                services.withdraw(conn, self.contributor_id, task_id, self.campaign.id)
            return lasting
        conn.execute(q.RELEASE, {"tid": task_id})
        if lasting:
            now = utcnow()
            row = {"contributor_id": self.contributor_id, "task_id": task_id, "campaign_id": self.campaign.id,
                   "state": WITHHELD, "leased_at": now, "expires_at": now}
            conn.execute(q.insert_ignoring(q.AS, row), row)
        return True


def gate(conn, campaign, contributor_id, now):
    """A Gate for this contributor, or None when the campaign has no rated content (the common case)."""
    if not services.is_active(campaign.settings):
        return None
    return Gate(campaign, contributor_id, services.preferences(contributor_id),
                services.budget(contributor_id, now))


def _decision(campaign, contributor_id, task_id):
    state = _items().get(task_id)  # the gate read it when it handed the task out
    if state is None:
        payload = db.session.execute(select(Task.payload).where(Task.id == task_id)).scalar_one()
        state = services.load_item_state(campaign.settings, task_id, payload)
    return state, decide_under_review(services.preferences(contributor_id), state.rerating, _)


def _content_json(state, decision):
    rating = decision.rating
    return {"level": rating.level.label, "categories": [c.value for c in rating.ordered_categories()],
            "custom_label": rating.custom_label, "under_review": state.review_level is not None}


def withheld_json(kind, out):
    """The task JSON `out` without anything of its content: every media and text field the kind declares."""
    out = {k: v for k, v in out.items() if k not in kind.shielded_keys()}
    out["withheld"] = True
    return out


def blurred_alt():
    """The alt text of a blurred picture: neutral, since the original's describes what the blur hides."""
    return _("A blurred picture: read its content warning first.")


def blurred_json(kind, out, copies):
    """The task JSON `out` as a blur shows it: every media URL the kind declares (media_fields) replaced by its
    blurred copy in `copies` (the placeholder when there is none: never the original), its texts dropped and
    its alt text neutral. Pure: the shield's rule, tested for every registered kind."""
    urls = kind.media_urls(out)
    out = kind.replace_media(out, lambda url: copies.get(url, blurring.PLACEHOLDER))
    if urls:
        out["blurred_url"] = copies.get(urls[0], blurring.PLACEHOLDER)
    had_text = False
    for key in kind.text_fields:
        had_text = out.pop(key, None) is not None or had_text
    if kind.alt_field and kind.alt_field in out:
        out[kind.alt_field] = blurred_alt()
    out.update(blurred=True, reveal_label=_("Show the image") if urls or not had_text else _("Show the text"))
    return out


def _blur(kind, out, task_id, campaign_id, state):
    """What the blur holds back replaced (images by their blurred copies, made now if need be; texts dropped)."""
    copies = blurring.ensure_blurred(task_id, campaign_id, kind.media_urls(out), state.blurred)
    out = blurred_json(kind, out, copies)
    out["reveal_url"] = url_for("wellbeing_api.reveal", task_id=task_id)
    return out


def shield_task(campaign, contributor_id, body):
    """The task JSON `body` (built from the kind's task_json) as this contributor may see it. Unchanged for
    campaigns without rated content. Records the view of an item shown with a warning. Call it before the
    request commits."""
    if not services.is_active(campaign.settings):
        return body
    now = utcnow()
    task_id = body["id"]
    state, decision = _decision(campaign, contributor_id, task_id)
    kind = get_kind(campaign.kind)
    out = dict(body)
    if not decision.served:  # the gate turns these away; never send one anyway
        out = withheld_json(kind, out)
    level = decision.rating.level
    if level > Sensitivity.NONE:
        out.update(warning=decision.warning, content=_content_json(state, decision))
        if decision.action is Action.BLUR:
            out = _blur(kind, out, task_id, campaign.id, state)
            out["hint"] = decision.hint(_)
        elif decision.action is Action.SHOW:
            services.record_view(contributor_id, task_id, level, False, now)
    out["budget"] = services.budget_json(services.budget(contributor_id, now))
    return out


def reveal(task_id, contributor_id, user=None):
    """The original of a blurred item, for a contributor it was handed to (or a moderator of its campaign),
    and the view counted against their budget. Raises NotAssigned, Forbidden (withheld) or Conflict (paused)."""
    task, campaign = services._task_and_campaign(task_id)
    moderator = services.can_moderate(user, campaign.organisation_id)
    handed = db.session.execute(select(Assignment.state).where(
        Assignment.contributor_id == contributor_id, Assignment.task_id == task.id)).scalar()
    if not moderator and handed in (None, WITHHELD):
        raise NotAssigned()
    state = services.load_item_state(campaign.settings, task.id, task.payload)
    prefs = services.preferences(contributor_id)
    decision = (decide(prefs, state.rating.with_level(state.shown_level), _) if moderator
                else decide_under_review(prefs, state.rerating, _))
    if not decision.served:
        raise Forbidden(_("This item is not shown to you because of your content settings."))
    now = utcnow()
    level = decision.rating.level
    if not moderator and not services.budget(contributor_id, now).allows(level) \
            and not services.has_viewed(contributor_id, task.id):
        raise Conflict(services.budget_json(services.budget(contributor_id, now))["message"], code="paused")
    kind = get_kind(campaign.kind)
    original = kind.task_json(task.payload, campaign.settings)
    shown = {key: original[key] for key in kind.shielded_keys() if key in original}
    if level > Sensitivity.NONE:
        services.record_view(contributor_id, task.id, level, True, now)
    return {"task_id": task.id, "image_url": shown.get("image_url"), "reveal": shown,
            "budget": services.budget_json(services.budget(contributor_id, now))}


def revealed(task, contributor_id):
    """For an answer (the volunteer loop's hook): None when nothing of the task was held back from this contributor
    (a campaign without rated content: one dict lookup; an item shown as it is), else whether they saw it before
    answering: the server sent them the original (`reveal` records the view), or showed it to them as it is
    earlier. The client's word is not asked: only the reveal hands the original out. `task` has id, payload and
    settings (the scheduler's locked task row)."""
    if not services.is_active(task.settings):
        return None
    state = services.load_item_state(task.settings, task.id, task.payload)
    decision = decide_under_review(services.preferences(contributor_id), state.rerating)
    if decision.action is not Action.BLUR:
        return None
    return services.has_viewed(contributor_id, task.id)


def shielded_image(task, contributor_id):
    """What a moderator's queue shows of `task`'s image for this moderator (a Task row): the same consent
    rules as for volunteers, applied at the level the item is rated or claimed to be (a flagged item is not
    withheld from the person who reviews it, unless their own settings withhold that level).

    Returns {"action", "image_url" (the blurred copy for a blur, None when withheld), "warning", "reveal_url",
    "alt" (a neutral alt text for a blur, which replaces the original's; None otherwise)}.
    """
    campaign = db.session.get(Campaign, task.campaign_id)
    state = services.load_item_state(campaign.settings, task.id, task.payload)
    decision = decide(services.preferences(contributor_id), state.rating.with_level(state.shown_level), _)
    kind = get_kind(campaign.kind)
    urls = kind.media_urls(kind.task_json(task.payload, campaign.settings))
    out = {"action": decision.action.value, "warning": decision.warning, "image_url": None, "reveal_url": None,
           "alt": None}
    if decision.action is Action.SHOW:
        out["image_url"] = urls[0] if urls else None
    elif decision.action is Action.BLUR and urls:
        copies = blurring.ensure_blurred(task.id, campaign.id, urls[:1], state.blurred)
        out.update(image_url=copies[urls[0]], reveal_url=url_for("wellbeing_api.reveal", task_id=task.id),
                   alt=blurred_alt())
    return out


class MediaGuard:
    """What /media/ asks of a campaign with rated content (citizen.campaigns.media_access): whether a task's
    original is sensitive (shown rating or review level above none), and whether a contributor was shown or
    revealed it (the work page records that view before the picture is fetched)."""

    def __init__(self, settings):
        self.settings = settings

    def sensitive(self, task_id, payload):
        return services.load_item_state(self.settings, task_id, payload).shown_level > Sensitivity.NONE

    def viewed(self, contributor_id, task_id):
        return services.has_viewed(contributor_id, task_id)


def media_guard(campaign):
    """The loop's `media_guard` hook: None for a campaign without rated content (one dict lookup), else a
    MediaGuard."""
    return MediaGuard(campaign.settings) if services.is_active(campaign.settings) else None

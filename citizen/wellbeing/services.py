"""Wellbeing services: task ratings (on import, by moderators, by flags), preferences, views and the budget.

Services change state and flush; the request commits. Reading what a contributor may be shown, and showing it,
is in citizen.wellbeing.serving.
"""
from datetime import timedelta

from flask import current_app, g
from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, exists, func, select, update

from citizen.accounts.models import Contributor, utcnow
from citizen.campaigns import hot_sql as q
from citizen.campaigns.models import LEASED, Assignment, Campaign, Participation, Task
from citizen.errors import Conflict, Forbidden, InvalidInput, NotAssigned, NotFound, RateLimited, Unauthorized
from citizen.extensions import db
from citizen.wellbeing import bits
from citizen.wellbeing.models import WITHHELD, ContentFlag, ContentPreference, ContentRating, ContentView
from citizen.wellbeing.state import item_state, load_item_state, rating_row
from citizen.wellbeing.ratings import (CATEGORY_CHOICES, DEFAULT_FLAG_THRESHOLD, MAX_LABEL, RATING_KEY, SETTINGS_KEY,
                                       campaign_rating, clean_campaign_rating, parse_rating)
from content_warnings import (Action, BudgetPolicy, Category, FlagPolicy, Preferences, Rating, Sensitivity, assess,
                              break_text, decide_under_review, rerate)


# --- campaigns -------------------------------------------------------------------------------------------

def is_active(settings):
    """Whether the campaign has content that is rated, flagged or declared sensitive: only then do the
    scheduler and the task JSON consult wellbeing at all (one dict lookup for every other campaign)."""
    return bool(((settings or {}).get(SETTINGS_KEY) or {}).get("active"))


def _set_campaign_flags(campaign, **flags):
    current = dict((campaign.settings or {}).get(SETTINGS_KEY) or clean_campaign_rating(None))
    if all(current.get(k) == v for k, v in flags.items()):
        return
    campaign.settings = {**(campaign.settings or {}), SETTINGS_KEY: {**current, **flags}}


def prepare_import(campaign, values):
    """Set content_bits on task rows about to be inserted: a row's own rating (import columns) or the
    campaign's."""
    base = bits.rating_bits(campaign_rating(campaign.settings))
    for v in values:
        own = v["payload"].get(RATING_KEY)
        v["content_bits"] = bits.OWN | bits.rating_bits(Rating.from_dict(own)) if own else base


def after_import(campaign, values):
    """Mark the campaign as having rated content when it does, and make the blurred copies of its images."""
    rated = any(v["content_bits"] & ~bits.OWN for v in values)
    own = any(v["content_bits"] & bits.OWN for v in values)
    if rated or own:
        wb = (campaign.settings or {}).get(SETTINGS_KEY) or {}
        _set_campaign_flags(campaign, active=bool(wb.get("active") or rated), mixed=bool(wb.get("mixed") or own))
        db.session.flush()
    if any(v["content_bits"] & bits.BLURRABLE for v in values):
        from citizen.wellbeing import blurring
        blurring.prepare(campaign)


def after_campaign_update(campaign):
    """The organiser saved the campaign (its settings were rebuilt from the form): tasks without a rating of
    their own take the campaign's, and the campaign's flags are worked out again from its tasks."""
    rating = campaign_rating(campaign.settings)
    base = bits.rating_bits(rating)
    db.session.execute(update(Task).where(Task.campaign_id == campaign.id, Task.content_bits != base,
                                          Task.content_bits.op("&")(bits.OWN) == 0).values(content_bits=base))
    # Tasks under review whose rating is still the campaign's follow it too.
    rows = db.session.execute(select(ContentRating.task_id, ContentRating.review_level).where(
        ContentRating.campaign_id == campaign.id, ContentRating.level.is_(None),
        ContentRating.review_level.is_not(None))).all()
    for task_id, review_level in rows:
        payload = db.session.execute(select(Task.payload).where(Task.id == task_id)).scalar_one()
        own = payload.get(RATING_KEY)
        current = Rating.from_dict(own) if own else rating
        db.session.execute(update(Task).where(Task.id == task_id).values(
            content_bits=bits.OWN | bits.rating_bits(current, review_level)))
    in_campaign = Task.campaign_id == campaign.id
    rated = base != 0 or db.session.execute(select(exists().where(
        in_campaign, Task.content_bits.not_in([0, bits.OWN])))).scalar() or db.session.execute(
        select(exists().where(ContentFlag.campaign_id == campaign.id))).scalar()
    mixed = db.session.execute(select(exists().where(in_campaign, Task.content_bits.op("&")(bits.OWN) != 0))).scalar()
    _set_campaign_flags(campaign, active=bool(rated), mixed=bool(mixed))
    if base & bits.BLURRABLE:
        from citizen.wellbeing import blurring
        blurring.prepare(campaign)


# --- one task's rating -----------------------------------------------------------------------------------

def _task_and_campaign(task_id):
    row = db.session.execute(select(Task, Campaign).join(Campaign, Campaign.id == Task.campaign_id)
                             .where(Task.id == task_id)).first()
    if row is None:
        raise NotFound(_("There is no such task."))
    return row


def _after_rating_change(task, campaign, row):
    state = item_state(campaign.settings, task.payload, row)
    task.content_bits = bits.OWN | bits.rating_bits(state.rating, state.review_level)
    # Whoever it was turned away from is reconsidered under the new rating.
    db.session.execute(delete(Assignment).where(Assignment.state == WITHHELD, Assignment.task_id == task.id))
    _set_campaign_flags(campaign, active=True, mixed=True)
    db.session.flush()
    if task.content_bits & bits.BLURRABLE:
        from citizen.wellbeing import blurring
        blurring.blur_task(task, campaign)
    return state


def can_moderate(user, organisation_id):
    return bool(user is not None and getattr(user, "is_authenticated", False) and (
        user.can_organise(organisation_id) or "moderator" in user.role_in(organisation_id)))


def rate_task(task_id, user, data):
    """A moderator's or organiser's rating of one task: it replaces any earlier rating, settles the task's
    review (flags made before now no longer count) and applies at once."""
    task, campaign = _task_and_campaign(task_id)
    if user is None:
        raise Unauthorized(_("Sign in, or send a moderator's API token."))
    if not can_moderate(user, campaign.organisation_id):
        raise Forbidden(_("Only the organisers and moderators of this campaign can rate its items."))
    if data.get("level") in (None, ""):
        raise InvalidInput(_("Give the level: none, mild, graphic or extreme."),
                           details=[{"field": "level", "message": _("missing")}])
    categories, label = data.get("categories") or [], data.get("custom_label")
    if not (isinstance(categories, str)
            or isinstance(categories, list) and all(isinstance(c, str) for c in categories)):
        message = _("categories must be a list of category names.")
        raise InvalidInput(message, details=[{"field": "categories", "message": message}])
    if label is not None and not isinstance(label, str):
        message = _("Write custom_label as text.")
        raise InvalidInput(message, details=[{"field": "custom_label", "message": message}])
    try:
        rating = parse_rating(data.get("level"), categories, label)
    except ValueError as exc:
        raise InvalidInput(str(exc), details=[{"field": "level", "message": str(exc)}]) from None
    if rating.custom_label and len(rating.custom_label) > MAX_LABEL:  # the column's width
        message = _("Keep the label of other content under %(n)d characters.", n=MAX_LABEL)
        raise InvalidInput(message, details=[{"field": "custom_label", "message": message}])
    now = utcnow()
    row = rating_row(task.id, campaign.id)
    row.level, row.categories, row.custom_label = int(rating.level), rating.to_dict()["categories"], rating.custom_label
    row.source, row.rated_by_id, row.rated_at = "moderator", user.id, now
    row.review_level, row.flags_after = None, now
    _after_rating_change(task, campaign, row)
    return {"task_id": task.id, "rating": rating.to_dict(), "source": "moderator", "under_review": False}


def independent_flags(task_id, flags_after=None):
    """The task's flags as (flagger, level) for content_warnings.rerate, newer than `flags_after`. A flagger is
    a device signature (accounts.signatures: one address, however many guests or browsers), or the contributor
    when there is none: five guests on one device are one flagger."""
    query = (select(ContentFlag.contributor_id, Contributor.device_sig, ContentFlag.level)
             .join(Contributor, Contributor.id == ContentFlag.contributor_id).where(ContentFlag.task_id == task_id))
    if flags_after is not None:
        query = query.where(ContentFlag.created_at > flags_after)
    return [(("device", sig) if sig else ("contributor", cid), level)
            for cid, sig, level in db.session.execute(query).all()]


def flag_threshold(settings):
    return int(((settings or {}).get(SETTINGS_KEY) or {}).get("flag_threshold", DEFAULT_FLAG_THRESHOLD))


FLAGS_SINCE = select(func.count()).select_from(ContentFlag).where(
    ContentFlag.contributor_id == bindparam("cid"), ContentFlag.created_at >= bindparam("since"))


def _check_flag_allowance(contributor_id, campaign_id, now):
    """At most FLAG_LIMIT flags per FLAG_LIMIT_SECONDS from one contributor, and FLAG_DAILY_PER_CAMPAIGN in one
    campaign per day (429, saying when to try again): a script flagging everything in a second is refused."""
    cfg = current_app.config
    window = timedelta(seconds=cfg["FLAG_LIMIT_SECONDS"])
    if db.session.execute(FLAGS_SINCE, {"cid": contributor_id, "since": now - window}).scalar() >= cfg["FLAG_LIMIT"]:
        raise RateLimited(_("You have sent %(n)d reports in the last %(minutes)d minutes: thank you. Please wait a few "
                            "minutes before sending more; moderators are looking at the ones you sent.",
                            n=cfg["FLAG_LIMIT"], minutes=max(1, cfg["FLAG_LIMIT_SECONDS"] // 60)),
                          code="too_many_flags")
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if db.session.execute(FLAGS_SINCE.where(ContentFlag.campaign_id == bindparam("camp")),
                          {"cid": contributor_id, "since": day, "camp": campaign_id}).scalar() \
            >= cfg["FLAG_DAILY_PER_CAMPAIGN"]:
        raise RateLimited(_("You have sent as many reports for this campaign as one person may in a day: thank you. "
                            "You can send more tomorrow (from midnight UTC)."), code="too_many_flags")


def flag_task(task_id, contributor_id, data):
    """A volunteer says an item is more upsetting than rated. One flag per contributor and task, a few per
    contributor in a while (_check_flag_allowance). A flag alone changes nothing for anyone: moderators see it
    at once in their queue, and only when the campaign's threshold of independent flaggers (distinct devices,
    independent_flags) suggest a higher level is the item re-rated to the level they all reached
    (content_warnings.rerate) and then withheld or blurred as each volunteer's consent says."""
    try:
        level = Sensitivity.parse(data.get("level"))
    except ValueError:
        level = Sensitivity.NONE
    if level == Sensitivity.NONE:
        message = _("Say how upsetting it is: mild, graphic or extreme.")
        raise InvalidInput(message, details=[{"field": "level", "message": message}])
    if data.get("note") is not None and not isinstance(data["note"], str):
        raise InvalidInput(_("Write the note as text."), details=[{"field": "note", "message": _("not text")}])
    now = utcnow()
    task, campaign = _task_and_campaign(task_id)
    _check_flag_allowance(contributor_id, campaign.id, now)
    handed = db.session.execute(select(Assignment.state).where(
        Assignment.contributor_id == contributor_id, Assignment.task_id == task.id)).scalar()
    if handed in (None, WITHHELD):
        raise NotAssigned(_("You can report items you were shown."))
    row = db.session.get(ContentRating, task.id)
    state = item_state(campaign.settings, task.payload, row)
    if level <= state.rating.level:
        message = _("This item is already rated %(level)s. A report says it is more upsetting than that.",
                    level=state.rating.level.label)
        raise InvalidInput(message, details=[{"field": "level", "message": message}])
    if db.session.execute(select(ContentFlag.id).where(ContentFlag.task_id == task.id,
                                                       ContentFlag.contributor_id == contributor_id)).first():
        raise Conflict(_("You have already reported this item. Thank you."), code="already_flagged")
    db.session.add(ContentFlag(task_id=task.id, campaign_id=campaign.id, contributor_id=contributor_id,
                               level=int(level), note=str(data.get("note") or "")[:500], created_at=now))
    db.session.flush()
    row = rating_row(task.id, campaign.id)
    threshold = flag_threshold(campaign.settings)
    outcome = rerate(state.rating, independent_flags(task.id, row.flags_after), FlagPolicy(threshold))
    # Below the threshold nothing is withheld: rerate's "under review" (one flag withholds the item from whoever
    # did not consent to the level it suggests) let one person empty a campaign. Above it, the item takes the
    # level `threshold` independent flaggers reached; a higher level fewer of them suggest waits for a moderator.
    if outcome.new_rating is None:
        if row.review_level is not None:  # withheld by a single flag before flags needed independent flaggers
            row.review_level = None
            _after_rating_change(task, campaign, row)
        return {"task_id": task.id, "flagged": level.label, "rating": state.rating.to_dict(), "re_rated": False,
                "under_review": False, "review_level": None, "flaggers": outcome.flaggers, "needed": threshold}
    new = outcome.new_rating
    row.level, row.categories, row.custom_label = int(new.level), new.to_dict()["categories"], new.custom_label
    row.source, row.rated_at, row.review_level = "flags", now, None
    _after_rating_change(task, campaign, row)
    return {"task_id": task.id, "flagged": level.label, "rating": new.to_dict(), "re_rated": True,
            "under_review": False, "review_level": None, "flaggers": outcome.flaggers, "needed": threshold}


def under_review(campaign_id, limit=100):
    """Tasks of a campaign that flags put under review, oldest first: what a moderator queue lists."""
    return db.session.execute(select(ContentRating).where(ContentRating.campaign_id == campaign_id,
                                                          ContentRating.review_level.is_not(None))
                              .order_by(ContentRating.task_id).limit(limit)).scalars().all()


# --- preferences -----------------------------------------------------------------------------------------

def _memo(name):
    return g.setdefault("wellbeing_" + name, {})


PREFERENCES = select(ContentPreference.choices, ContentPreference.extreme_opt_in).where(
    ContentPreference.contributor_id == bindparam("cid"))


def preferences(contributor_id):
    """A contributor's consent (defaults when they never chose)."""
    memo = _memo("preferences")
    if contributor_id not in memo:
        row = db.session.execute(PREFERENCES, {"cid": contributor_id}).first() if contributor_id is not None else None
        memo[contributor_id] = Preferences.from_dict({"choices": row.choices, "extreme_opt_in": row.extreme_opt_in}
                                                     if row else None)
    return memo[contributor_id]


def clean_preferences(data):
    """Validate {"choices": {category: show|blur|withhold}, "extreme_opt_in": bool}; a category not given
    takes the default (blur with a reveal). Raises InvalidInput naming every bad field."""
    data = data if isinstance(data, dict) else {}
    choices, errors = {}, []
    raw = {} if data.get("choices") is None else data["choices"]
    if not isinstance(raw, dict):
        raw, errors = {}, [{"field": "choices", "message": _("choices must map each category to show, blur or withhold")}]
    for name, action in raw.items():
        try:
            category = Category.parse(name)
        except ValueError:
            errors.append({"field": f"choices.{name}", "message": _("Unknown category: %(name)s", name=name)})
            continue
        try:
            choices[category] = Action.parse(action)
        except ValueError:
            errors.append({"field": f"choices.{name}", "message": _("Choose show, blur or withhold.")})
    opt_in = data.get("extreme_opt_in", False)
    if not isinstance(opt_in, bool):
        errors.append({"field": "extreme_opt_in", "message": _("extreme_opt_in must be true or false")})
    if errors:
        raise InvalidInput(errors[0]["message"], details=errors)
    return Preferences(choices, opt_in)


def save_preferences(contributor_id, data):
    """Store a contributor's consent; items turned away from them are reconsidered, and tasks they hold that
    the new settings withhold are given back."""
    prefs = clean_preferences(data)
    row = db.session.get(ContentPreference, contributor_id)
    if row is None:
        row = ContentPreference(contributor_id=contributor_id)
        db.session.add(row)
    row.choices, row.extreme_opt_in, row.updated_at = prefs.to_dict()["choices"], prefs.extreme_opt_in, utcnow()
    db.session.execute(delete(Assignment).where(Assignment.contributor_id == contributor_id,
                                                Assignment.state == WITHHELD))
    db.session.flush()
    _memo("preferences")[contributor_id] = prefs
    recheck_leases(contributor_id)
    return prefs


def withdraw(conn, contributor_id, task_id, campaign_id):
    """Take back a task a contributor holds (a live lease) that they must no longer be shown."""
    conn.execute(select(Task.id).where(Task.id == task_id).with_for_update())  # lock order: task first
    moved = conn.execute(update(Assignment).where(
        Assignment.contributor_id == contributor_id, Assignment.task_id == task_id, Assignment.state == LEASED)
        .values(state=WITHHELD)).rowcount
    if moved:
        conn.execute(q.RELEASE, {"tid": task_id})
        conn.execute(update(Participation).where(Participation.contributor_id == contributor_id,
                                                 Participation.campaign_id == campaign_id)
                     .values(leases=Participation.leases - 1))


def recheck_leases(contributor_id):
    """After a change of preferences: give back the live leases the new settings withhold."""
    now = utcnow()
    rows = db.session.execute(
        select(Assignment.task_id, Task.payload, Campaign.id, Campaign.settings)
        .join(Task, Task.id == Assignment.task_id).join(Campaign, Campaign.id == Assignment.campaign_id)
        .where(Assignment.contributor_id == contributor_id, Assignment.state == LEASED,
               Assignment.expires_at > now)).all()
    prefs = preferences(contributor_id)
    for task_id, payload, campaign_id, settings in rows:
        if is_active(settings):
            state = load_item_state(settings, task_id, payload)
            if not decide_under_review(prefs, state.rerating).served:
                withdraw(db.session.connection(), contributor_id, task_id, campaign_id)


def preferences_json(prefs):
    return {"choices": {c.value: (prefs.choice_for(c) or Action.BLUR).value for c in Category},
            "extreme_opt_in": prefs.extreme_opt_in,
            "categories": [{"value": value, "label": str(label)} for value, label in CATEGORY_CHOICES]}


# --- views and the exposure budget -----------------------------------------------------------------------

def policy():
    """The exposure budget from config WELLBEING_BUDGET (break_after, hard_limit, window_minutes,
    cooldown_minutes; the library's defaults for what is not set)."""
    app = current_app._get_current_object()
    cached = app.extensions.get("citizen.wellbeing_policy")
    if cached is None:
        cfg = app.config.get("WELLBEING_BUDGET") or {}
        kwargs = {k: float(cfg[k]) for k in ("break_after", "hard_limit") if k in cfg}
        kwargs.update({k[:-8]: timedelta(minutes=float(cfg[k])) for k in ("window_minutes", "cooldown_minutes")
                       if k in cfg})
        cached = app.extensions["citizen.wellbeing_policy"] = BudgetPolicy(**kwargs)
    return cached


def record_view(contributor_id, task_id, level, revealed, now=None):
    """A contributor saw a sensitive item (once per item counts)."""
    now = now or utcnow()
    values = {"contributor_id": contributor_id, "task_id": task_id, "level": int(level), "revealed": revealed,
              "viewed_at": now}
    inserted = bool(db.session.execute(q.insert_ignoring(ContentView.__table__, values), values).rowcount)
    views = _memo("views").get(contributor_id)
    if inserted and views is not None and policy().weight(level) > 0:
        views.append((now, Sensitivity(level)))
    return inserted


def has_viewed(contributor_id, task_id):
    return db.session.execute(select(ContentView.id).where(ContentView.contributor_id == contributor_id,
                                                           ContentView.task_id == task_id)).first() is not None


RECENT_VIEWS = (select(ContentView.viewed_at, ContentView.level)
                .where(ContentView.contributor_id == bindparam("cid"), ContentView.viewed_at >= bindparam("since"),
                       ContentView.level.in_(bindparam("levels", expanding=True)))
                .order_by(ContentView.viewed_at.desc()).limit(500))


def budget(contributor_id, now=None):
    """The contributor's exposure budget now (content_warnings.assess over their recent views that weigh:
    mild ones are recorded but weigh nothing, so they cost nothing here)."""
    now = now or utcnow()
    pol = policy()
    memo = _memo("views")
    if contributor_id not in memo:
        since = now - 2 * (pol.window + pol.cooldown)  # enough to know of a pause that began in the window
        memo[contributor_id] = [(at, Sensitivity(level)) for at, level in db.session.execute(
            RECENT_VIEWS, {"cid": contributor_id, "since": since,
                           "levels": sorted(int(level) for level in pol.sensitive_levels())}).all()]
    return assess(memo[contributor_id], now, pol)


def budget_json(state):
    return {"load": state.load, "suggest_break": state.suggest_break or state.paused, "paused": state.paused,
            "until": state.pause_sensitive_until.isoformat() + "Z" if state.paused else None,
            "message": break_text(state, _)}

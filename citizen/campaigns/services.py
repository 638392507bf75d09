"""Campaign services: create and edit, import tasks, publish, list, look up.

Services change state and flush; the request (or CLI command) commits once at the edge."""
import random
import re

from sqlalchemy import case, func, insert, select, update

from citizen.accounts.models import utcnow
from citizen.kinds import GOLD_KEY, RowError, all_kinds, get_kind
from citizen.ingest import photos
from citizen.storage.media import campaign_store, media_keys
from citizen.campaigns import hooks, sections
from citizen.campaigns.models import CLOSED, DRAFT, PUBLISHED, TRAINING_RAND, Campaign, Task
from citizen.text import render_markdown
from citizen.jobs import services as jobs
from citizen.quality import controls
from citizen.errors import Conflict, Forbidden, InvalidInput, NotFound
from citizen.extensions import db
from citizen.storable import unstorable
from flask_babel import gettext as _

LICENCES = {
    "CC0-1.0": "CC0 1.0 (public domain)",
    "CC-BY-4.0": "CC BY 4.0 (attribution)",
    "CC-BY-SA-4.0": "CC BY-SA 4.0 (attribution, share-alike)",
    "ODbL-1.0": "ODbL 1.0 (Open Database Licence)",
}
MAX_REDUNDANCY = 100
# Kept by this module, citizen.campaigns.texts, the field guide, citizen.training (its tasks and rules) and
# citizen.predictions (the routing, which the scheduling order and the tasks left to a model follow).
# "extent": the area a kind's tasks cover ({"center", "bounds"}), written by the kind after an import (field sites).
KEPT_SETTINGS = ("gold_count", "translations", "guide_images", "training", "routing", "extent")
INSERT_CHUNK = 5000
PREVIEW_IMAGES = 12  # thumbnails on the organiser's import preview


def _slugify(text):
    return re.sub(r"[^a-z0-9]+", "-", (text or "").lower()).strip("-")[:60] or "campaign"


def _unique_slug(base):
    taken = set(db.session.execute(select(Campaign.slug).where(Campaign.slug.like(base + "%"))).scalars())
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _clean_fields(data, kind_id):
    """Validate the common campaign fields; collect every problem before raising."""
    errors = []
    for name in ("title", "summary", "description", "tutorial", "slug"):
        if data.get(name) is not None and not isinstance(data[name], str):  # JSON from the API: not a form
            errors.append({"field": name, "message": _("Write %(field)s as text.", field=name)})
    raw_settings = data.get("settings")
    if raw_settings is not None and not isinstance(raw_settings, dict):
        errors.append({"field": "settings", "message": _("settings must be an object of the kind's settings.")})
        raw_settings = None
    raw_settings = raw_settings or {}
    title = str(data.get("title") or "").strip()
    if not title:
        errors.append({"field": "title", "message": _("Give the campaign a title.")})
    elif len(title) > 200:
        errors.append({"field": "title", "message": _("Keep the title under 200 characters.")})
    try:
        raw = data.get("redundancy")
        # 0 must be rejected, not taken as "missing" and defaulted to 3.
        redundancy = 3 if raw is None or raw == "" else int(raw)
        if isinstance(raw, bool) or (isinstance(raw, float) and raw != redundancy) \
                or not 1 <= redundancy <= MAX_REDUNDANCY:
            raise ValueError
    except (TypeError, ValueError):
        errors.append({"field": "redundancy", "message": _("Answers per task must be a whole number from 1 to %(max)d.", max=MAX_REDUNDANCY)})
        redundancy = 3
    licence = "CC-BY-4.0" if data.get("licence") is None else data["licence"]
    if not isinstance(licence, str) or licence not in LICENCES:
        errors.append({"field": "licence", "message": _("Choose one of the offered licences.")})
    summary = str(data.get("summary") or "").strip()
    if len(summary) > 500:
        errors.append({"field": "summary", "message": _("Keep the summary under 500 characters.")})
    kind = get_kind(kind_id)
    settings = {}
    try:
        settings = kind.clean_settings(raw_settings)
    except InvalidInput as exc:
        errors.extend(exc.details or [{"field": "settings", "message": exc.message}])
    try:
        raw_quality = data.get("quality") or raw_settings.get("quality")
        settings["quality"] = controls.clean(raw_quality)
    except InvalidInput as exc:
        errors.extend(exc.details)
    # The features' sections (content ratings, the escalation rule, the outcome): citizen.campaigns.sections.
    sections.clean(data, raw_settings, kind, settings, errors)
    if errors:
        raise InvalidInput(errors[0]["message"], details=errors)
    return {
        "title": title, "summary": summary, "redundancy": redundancy, "licence": licence, "settings": settings,
        "description_md": str(data.get("description") or ""), "tutorial_md": str(data.get("tutorial") or ""),
    }


def _apply(campaign, fields):
    for key, value in fields.items():
        setattr(campaign, key, value)
    campaign.description_html = render_markdown(campaign.description_md)
    campaign.tutorial_html = render_markdown(campaign.tutorial_md, images=guide_images(campaign))


MAX_GUIDE_IMAGES = 30


def guide_images(campaign):
    """The field guide's example images (their addresses): uploaded by the organiser (add_guide_image), the only
    images its Markdown may show."""
    return [i["url"] for i in (campaign.settings or {}).get("guide_images") or []]


def add_guide_image(campaign, filename, data):
    """Store an example image for the field guide (re-encoded: no metadata, at most 1600 px) in the campaign's
    media; returns its address, to write in the guide as ![what it shows](address). InvalidInput for a file that
    is not a photo, or past MAX_GUIDE_IMAGES."""
    images = list((campaign.settings or {}).get("guide_images") or [])
    if len(images) >= MAX_GUIDE_IMAGES:
        raise InvalidInput(_("A field guide holds at most %(n)d images.", n=MAX_GUIDE_IMAGES))
    try:
        jpeg, width, height = photos.checked_copy(data, max_side=1600)
    except photos.PhotoError as exc:
        raise InvalidInput(str(exc), details=[{"field": "image", "message": str(exc)}]) from None
    url = campaign_store(campaign.id).save("guide.jpg", jpeg)
    name = str(filename or "")[:100]
    images.append({"url": url, "name": name, "width": width, "height": height})
    campaign.settings = {**(campaign.settings or {}), "guide_images": images}
    campaign.tutorial_html = render_markdown(campaign.tutorial_md, images=guide_images(campaign))
    return url


def create_campaign(organisation_id, user, data):
    """Create a draft campaign from a dict (title, summary, description, tutorial, kind,
    redundancy, licence, settings). Raises InvalidInput naming every bad field."""
    if user is not None and not user.can_organise(organisation_id):
        raise Forbidden(_("Only organisers of this organisation can create campaigns."))
    kind_id = data.get("kind") or "question"
    if not isinstance(kind_id, str) or kind_id not in all_kinds():
        message = _("Choose one of the campaign kinds: %(kinds)s.", kinds=", ".join(all_kinds()))
        raise InvalidInput(message, details=[{"field": "kind", "message": message}])
    fields = _clean_fields(data, kind_id)
    campaign = Campaign(organisation_id=organisation_id, kind=kind_id, status=DRAFT,
                        slug=_unique_slug(_slugify(data.get("slug") or fields["title"])),
                        created_by_id=user.id if user else None)
    _apply(campaign, fields)
    db.session.add(campaign)
    db.session.flush()
    return campaign


def update_campaign(campaign, data):
    """Edit a campaign. A new redundancy applies to its tasks at once."""
    fields = _clean_fields(data, campaign.kind)
    # Settings the app keeps for itself (not from the form) survive an edit.
    fields["settings"] = {**{k: v for k, v in (campaign.settings or {}).items() if k in KEPT_SETTINGS},
                          **fields["settings"]}
    old_redundancy, old_settings = campaign.redundancy, dict(campaign.settings or {})
    _apply(campaign, fields)
    if (campaign.settings or {}) != old_settings and campaign.tasks_total:
        from citizen.campaigns import results  # the stored results follow the new settings, off the request
        jobs.start_after_commit(results.RECOMPUTE_JOB, campaign.id)
    if campaign.redundancy != old_redundancy:
        r = campaign.redundancy
        # Only tasks that are in the pool or full change: gold tasks and tasks still being prepared
        # (a PDF page not rendered yet) stay out of it. Hidden and training tasks (rand below 0) and tasks left to a
        # model (redundancy 0: citizen.predictions) keep theirs: none of them is work any more.
        in_pool = Task.gold.is_(None) & (Task.available | ((Task.answer_count + Task.lease_count) >= old_redundancy))
        db.session.execute(update(Task).where(Task.campaign_id == campaign.id, Task.rand >= 0, Task.redundancy > 0)
                           .values(redundancy=r, available=case((in_pool, (Task.answer_count + Task.lease_count) < r),
                                                                else_=Task.available)))
        campaign.tasks_done = db.session.execute(select(func.count()).select_from(Task).where(
            Task.campaign_id == campaign.id, Task.rand > TRAINING_RAND,
            Task.answer_count >= Task.redundancy)).scalar_one()
    sections.after_update(campaign)  # tasks follow a new content rating (wellbeing)
    db.session.flush()
    return campaign


def _media_store(campaign, dry_run, keep=0):
    return campaign_store(campaign.id, dry_run, keep=keep)


def prepare_tasks(campaign, filename, data, media, max_rows=None, max_errors=20, warnings=None, dropped=None,
                  replacing=False, skip_duplicates=False):
    """Split an uploaded file (CSV or JSON, or what the kind reads: an area, photos) into task rows
    [(line, external_id, payload)] without storing any task. Every bad line is reported as
    {"line", "message"} in one InvalidInput. Parts the kind left out while the rest imports (a bad
    PDF in a ZIP) are appended to `warnings` when a list is given. With `skip_duplicates` (the manage page: an
    import adds to the tasks already there), lines whose id the campaign or an earlier line has are left out
    and listed in `warnings` (and their rows in `dropped`) instead of refusing the file."""
    kind = get_kind(campaign.kind)
    try:
        rows, errors, *left_out = kind.tasks_from_upload(filename, data, campaign.settings, media)
    except RowError as exc:
        raise InvalidInput(_("Line %(line)d: %(message)s", line=exc.line, message=exc.message), details=[{"line": exc.line, "message": exc.message}])
    except UnicodeDecodeError:
        raise InvalidInput(_("The file is not UTF-8 text. Save it as CSV UTF-8 or JSON and try again."))
    if warnings is not None and left_out:
        warnings.extend(left_out[0])
    if not rows and not errors:
        raise InvalidInput(_("The file has no tasks in it."))
    if max_rows and len(rows) > max_rows:
        raise InvalidInput(_("The file has %(n)d tasks; at most %(max)d can be imported at once.", n=len(rows), max=max_rows))
    bad = set()
    for line, ref, payload in rows:  # PostgreSQL refuses these (SQLite would take them): name the line instead
        where = unstorable(payload) if ref is None or unstorable(ref) is None else "external_id"
        if where is not None:
            bad.add(line)
            errors.append({"line": line, "message": _("%(field)s holds a NUL character or a number that is not "
                                                      "finite", field=where or "the row")})
    seen = {}
    refs = [row[1] for row in rows if row[1] and row[0] not in bad]
    existing = set()
    for i in range(0 if not replacing else len(refs), len(refs), 900):  # ids of tasks a replacement removes are free
        existing.update(db.session.execute(select(Task.external_id).where(
            Task.campaign_id == campaign.id, Task.external_id.in_(refs[i:i + 900]))).scalars())
    duplicates = []  # errors, or lines left out with `skip_duplicates`
    for line, ref, _payload in rows:
        if not ref or line in bad:
            continue
        if ref in existing:
            duplicates.append({"line": line, "message": _("a task with id %(ref)r is already in this campaign",
                                                          ref=ref)})
        elif ref in seen:
            duplicates.append({"line": line, "message": _("id %(ref)r is also on line %(line)d", ref=ref,
                                                          line=seen[ref])})
        seen.setdefault(ref, line)
    if duplicates and (not skip_duplicates or warnings is None):
        errors.extend(duplicates)
    elif duplicates and not errors:
        left_out = {d["line"] for d in duplicates}
        if dropped is not None:
            dropped.extend(row for row in rows if row[0] in left_out)
        rows = [row for row in rows if row[0] not in left_out]
        if not rows:
            message = _("Nothing was imported: every task in the file is already in this campaign.")
            raise InvalidInput(message, details=[{"message": message}] + duplicates[:max_errors])
        warnings.extend(duplicates)
    if errors:
        errors.sort(key=lambda e: e["line"])
        first = errors[0]
        raise InvalidInput(_("Nothing was imported. Line %(line)d: %(message)s", line=first["line"], message=first["message"]),
                           details=errors[:max_errors])
    return rows


def preview_tasks(campaign, filename, data, max_rows=None, max_errors=20, warnings=None, replacing=False,
                  skip_duplicates=False, images=None):
    """What an import would create, without storing tasks or files: the organiser's preview (`replacing`: of a
    replacement of every task, so the ids of the current tasks are free). `images`: a list that receives the
    first PREVIEW_IMAGES images the import would store, [(URL, bytes)], for the preview's thumbnails."""
    media = _media_store(campaign, dry_run=True, keep=PREVIEW_IMAGES if images is not None else 0)
    rows = prepare_tasks(campaign, filename, data, media, max_rows, max_errors, warnings, replacing=replacing,
                         skip_duplicates=skip_duplicates)
    if images is not None:
        images.extend(media.kept)
    return rows


def import_tasks(campaign, filename, data, max_rows=None, max_errors=20, warnings=None, skip_duplicates=False):
    """Split an uploaded file into tasks and add them all, or none (files written for a failed
    import are removed again). Returns the number added. Tasks the kind says are not ready yet
    (pages still to render) are stored unavailable, and the kind's after_import starts the work."""
    media = _media_store(campaign, dry_run=False)
    kind = get_kind(campaign.kind)
    try:
        dropped = []
        rows = prepare_tasks(campaign, filename, data, media, max_rows, max_errors, warnings, dropped,
                             skip_duplicates=skip_duplicates)
    except Exception:
        media.discard()
        raise
    if dropped:  # files stored for lines left out (a photo already in the campaign) go again
        kept = set()
        for row in rows:
            media_keys(campaign.id, row[2], kept)
        for row in dropped:
            for key in media_keys(campaign.id, row[2], set()) - kept:
                if key in media.written:
                    media.storage.delete(key)
    now = utcnow()
    values = []
    for _line, ref, payload in rows:
        gold = payload.pop(GOLD_KEY, None)
        # Gold tasks stay out of the ordinary pool: the scheduler mixes them in at the campaign's rate.
        values.append({"campaign_id": campaign.id, "external_id": ref, "payload": payload, "rand": random.random(),
                       "redundancy": campaign.redundancy, "answer_count": 0, "lease_count": 0,
                       "available": gold is None and kind.task_ready(payload), "gold": gold,
                       "consensus": {}, "created_at": now})
    sections.prepare_import(campaign, values)  # content ratings (import columns or the campaign's: wellbeing)
    gold_count = sum(1 for v in values if v["gold"] is not None)
    if gold_count:
        campaign.settings = {**campaign.settings, "gold_count": campaign.settings.get("gold_count", 0) + gold_count}
    for i in range(0, len(values), INSERT_CHUNK):
        db.session.execute(insert(Task), values[i:i + INSERT_CHUNK])
    db.session.execute(update(Campaign).where(Campaign.id == campaign.id).values(
        tasks_total=Campaign.tasks_total + len(values)))
    db.session.flush()
    kind.after_import(campaign, rows)
    db.session.refresh(campaign)
    sections.after_import(campaign, values)
    return len(values)


def publish(campaign, check_alerts=True):
    """Open a campaign to volunteers. One whose answers escalate needs an alert channel of its organisation that
    works (the publish_check hook); only the demo, which has no response team, publishes without
    (check_alerts=False)."""
    if campaign.status == PUBLISHED:
        return campaign
    if not campaign.tasks_total:
        raise Conflict(_("Import some tasks before publishing: volunteers would find nothing to do."),
                       code="no_tasks")
    if check_alerts:
        hooks.publish_check(campaign)  # a campaign whose answers escalate: an alert channel that works (moderation)
    campaign.status = PUBLISHED
    campaign.published_at = campaign.published_at or utcnow()
    db.session.flush()
    return campaign


def close(campaign):
    campaign.status = CLOSED
    db.session.flush()
    return campaign


def published_campaigns():
    return db.session.execute(select(Campaign).where(Campaign.status == PUBLISHED)
                              .order_by(Campaign.published_at.desc(), Campaign.id.desc())).scalars().all()


def campaigns_of(organisation_ids):
    return db.session.execute(select(Campaign).where(Campaign.organisation_id.in_(organisation_ids))
                              .order_by(Campaign.created_at.desc())).scalars().all()


def get_campaign(slug, user=None):
    """A campaign by slug. Campaigns never published (drafts, and drafts closed before they went out) are visible
    only to their organisers (others get NotFound)."""
    campaign = db.session.execute(select(Campaign).where(Campaign.slug == slug)).scalar_one_or_none()
    if campaign is None:
        raise NotFound(_("There is no campaign at this address."))
    never_published = campaign.status == DRAFT or (campaign.status == CLOSED and campaign.published_at is None)
    if never_published and not can_manage(user, campaign):
        raise NotFound(_("There is no campaign at this address."))
    return campaign


def can_manage(user, campaign):
    return bool(user is not None and getattr(user, "is_authenticated", False)
                and user.can_organise(campaign.organisation_id))


def is_staff(user, campaign):
    """The campaign's organisers and its organisation's moderators (who may see what a moderator hid)."""
    return can_manage(user, campaign) or bool(
        user is not None and getattr(user, "is_authenticated", False)
        and "moderator" in user.role_in(campaign.organisation_id))


def managed_campaign(slug, user):
    campaign = get_campaign(slug, user)
    if not can_manage(user, campaign):
        raise Forbidden(_("Only this campaign's organisers can do that."))
    return campaign


def reviewed_campaign(slug, user):
    """A campaign its organisers and moderators may review (quality reports, flags)."""
    campaign = get_campaign(slug, user)
    roles = user.role_in(campaign.organisation_id) if user is not None and getattr(user, "is_authenticated", False) else set()
    if not (can_manage(user, campaign) or "moderator" in roles):
        raise Forbidden(_("Only this campaign's organisers and moderators can see that."))
    return campaign


def sample_tasks(campaign, limit=3):
    return db.session.execute(select(Task).where(Task.campaign_id == campaign.id)
                              .order_by(Task.id).limit(limit)).scalars().all()

"""Ratings from what people type: the organiser's campaign settings, an import's columns, an API body.

No database here: the kinds' row reader (the import columns wellbeing claims, citizen.kinds.columns) and the
campaign settings' wellbeing section (citizen.campaigns.sections) call it while they validate, and it answers with
plain dicts or the usual InvalidInput / ValueError.
"""
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from citizen.text import render_markdown
from citizen.errors import InvalidInput
from content_warnings import NOT_RATED, Category, Rating, Sensitivity

SETTINGS_KEY = "wellbeing"        # in Campaign.settings
RATING_KEY = "_rating"            # in Task.payload: the task's own rating from its import row (never sent)
IMPORT_FIELDS = ("sensitivity", "categories")
DEFAULT_FLAG_THRESHOLD = 3
MAX_FLAG_THRESHOLD = 50
MAX_RESOURCES = 5000
MAX_LABEL = 120

# For forms: what each level and category means, in the organiser's and the volunteer's words.
LEVEL_CHOICES = [
    ("none", _l("Nothing upsetting")),
    ("mild", _l("Some people may find it upsetting")),
    ("graphic", _l("Graphic: injured or dead people, violence")),
    ("extreme", _l("Extremely graphic")),
]
CATEGORY_CHOICES = [
    ("injury", _l("Injured people")),
    ("death", _l("Dead people or human remains")),
    ("violence", _l("Violence or its aftermath")),
    ("distress_text", _l("Distressing descriptions in texts")),
    ("other", _l("Other upsetting content the organisers name")),
]

_SPLIT = re.compile(r"[;,|]")


def split_categories(raw):
    """A list of category names from a list or a "injury; death" string."""
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        return [part.strip() for part in _SPLIT.split(raw) if part.strip()]
    if isinstance(raw, (list, tuple)):
        return [str(part).strip() for part in raw if str(part).strip()]
    raise ValueError(_("categories must be a list of names, or names separated by ;"))


def parse_rating(level, categories=(), custom_label=None):
    """A Rating from loose input; ValueError with a plain message for an unknown level."""
    try:
        return Rating.parse(level if level not in ("", None) else None, split_categories(categories),
                            (custom_label or "")[:MAX_LABEL] or None)
    except ValueError:
        raise ValueError(_("sensitivity must be one of none, mild, graphic, extreme")) from None


def parse_import_rating(fields):
    """The `sensitivity` and `categories` columns of an import row, as the dict kept under RATING_KEY."""
    rating = parse_rating(fields.get("sensitivity"), fields.get("categories"))
    if "sensitivity" not in fields and rating.categories:
        raise ValueError(_("categories need a sensitivity level (none, mild, graphic or extreme) beside them"))
    return rating.to_dict()


def clean_campaign_rating(raw):
    """Validate the organiser's wellbeing settings: the expected sensitivity and categories, the wellbeing
    resources shown with break prompts (Markdown, sanitised like the description) and how many flags re-rate
    an item. Missing values take their defaults. Raises InvalidInput with one detail per bad field."""
    raw = raw or {}
    if not isinstance(raw, dict):
        raise InvalidInput(_("The wellbeing settings must be an object of named values."),
                           details=[{"field": "wellbeing", "message": _("not an object")}])
    errors = []
    rating = NOT_RATED
    label = raw.get("custom_label")
    if label is not None and not isinstance(label, str):
        errors.append({"field": "wellbeing.custom_label", "message": _("Write the label of other content as text.")})
        label = None
    try:
        rating = parse_rating(raw.get("level"), raw.get("categories"), label)
    except ValueError as exc:
        errors.append({"field": "wellbeing.level", "message": str(exc)})
    resources = raw.get("resources") or raw.get("resources_md") or ""
    if not isinstance(resources, str):
        errors.append({"field": "wellbeing.resources", "message": _("Write the wellbeing resources as text.")})
        resources = ""
    resources = resources.strip()
    if len(resources) > MAX_RESOURCES:
        errors.append({"field": "wellbeing.resources",
                       "message": _("Keep the wellbeing resources under %(n)d characters.", n=MAX_RESOURCES)})
    threshold = raw.get("flag_threshold")
    try:
        threshold = DEFAULT_FLAG_THRESHOLD if threshold in (None, "") else int(threshold)
        if isinstance(raw.get("flag_threshold"), bool) or not 1 <= threshold <= MAX_FLAG_THRESHOLD:
            raise ValueError
    except (TypeError, ValueError, OverflowError):  # OverflowError: int(1e999)
        errors.append({"field": "wellbeing.flag_threshold",
                       "message": _("Reports that re-rate an item: a whole number from 1 to %(max)d.",
                                    max=MAX_FLAG_THRESHOLD)})
        threshold = DEFAULT_FLAG_THRESHOLD
    if errors:
        raise InvalidInput(errors[0]["message"], details=errors)
    return {**rating.to_dict(), "resources_md": resources, "resources_html": render_markdown(resources),
            "flag_threshold": threshold, "active": rating.level > Sensitivity.NONE}


def settings_from_form(form):
    """The wellbeing fields of the organiser's campaign form, as the raw dict clean_campaign_rating takes."""
    return {"level": form.get("wb_level", ""), "categories": form.getlist("wb_categories"),
            "custom_label": form.get("wb_custom_label", ""), "resources": form.get("wb_resources", ""),
            "flag_threshold": form.get("wb_flag_threshold", "")}


def form_values(settings):
    """What the campaign form's wellbeing fields show: from a submitted form (MultiDict) or stored settings."""
    if hasattr(settings, "getlist") and "wb_level" in settings:
        raw = settings_from_form(settings)
        return {**raw, "categories": [c for c in raw["categories"] if c]}
    stored = (settings or {}).get(SETTINGS_KEY) or {}
    return {"level": stored.get("level", "none"), "categories": list(stored.get("categories") or []),
            "custom_label": stored.get("custom_label") or "", "resources": stored.get("resources_md", ""),
            "flag_threshold": stored.get("flag_threshold", DEFAULT_FLAG_THRESHOLD)}


def campaign_rating(settings):
    """The rating the organiser declared for the campaign's items (NOT_RATED when none)."""
    stored = (settings or {}).get(SETTINGS_KEY)
    return Rating.from_dict(stored) if stored else NOT_RATED


def category_label(category):
    return dict(CATEGORY_CHOICES)[Category.parse(category).value]


# --- the campaign settings' wellbeing section (citizen.campaigns.sections, registered by wellbeing's init_app) ---
def clean_section(data, raw_settings, kind, settings):
    """{"wellbeing": the organiser's ratings settings} from the campaign's input. Raises InvalidInput."""
    return {SETTINGS_KEY: clean_campaign_rating(data.get("wellbeing") or raw_settings.get("wellbeing"))}


def section_from_form(form):
    return {"wellbeing": settings_from_form(form)}

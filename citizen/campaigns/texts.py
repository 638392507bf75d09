"""A campaign's own words in several languages (issue 19): its title, summary, description and field guide, and
the words its kind lets volunteers read (the question, the answers' labels: Kind.texts), given by the organiser for
each language of the site. A volunteer reading the site in one of them sees these; where one is left empty, or the
original changed since it was translated (a relabelled answer must never show its old meaning), the organiser's
original shows. The app's own words are translated as ever (citizen/translations).

Stored apart: the page texts in Campaign.texts {lang: {"title", "summary", "description_md", "description_html",
"tutorial_md", "tutorial_html", "of": {field: the original it translates}}} (Markdown rendered and sanitised once, on
saving), which only pages read; the kind's words, short, in the campaign's settings under "translations" {lang:
{key: {"text", "of"}}}, which the volunteer loop reads with the task. Answers, results and open data keep the values
and the original words.
"""
from babel import Locale
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _

from citizen.campaigns.services import guide_images
from citizen.errors import InvalidInput
from citizen.kinds import get_kind
from citizen.text import render_markdown

KEY = "translations"
LIMITS = {"title": 200, "summary": 500, "description_md": 20000, "tutorial_md": 20000}
KIND_TEXT_LIMIT = 300


def languages(campaign):
    """The site's languages other than the campaign's own (its originals are in the site's default language)."""
    own = current_app.config.get("BABEL_DEFAULT_LOCALE", "en")
    return [lang for lang in current_app.config["LANGUAGES"] if lang != own]


def language_name(code):
    """A language's name in itself ("Español"), as the language switcher shows it."""
    name = Locale.parse(code).get_display_name(code)
    return name[:1].upper() + name[1:]


def _originals(campaign):
    return {"title": campaign.title, "summary": campaign.summary, "description_md": campaign.description_md,
            "tutorial_md": campaign.tutorial_md}


def entry(campaign, lang):
    """What the organiser gave for `lang`, as the form shows it: {field: text, "kind.<key>": text}."""
    page = (campaign.texts or {}).get(lang) or {}
    kind = (((campaign.settings or {}).get(KEY) or {}).get(lang)) or {}
    return {**{k: page[k] for k in LIMITS if k in page}, **{"kind." + k: v["text"] for k, v in kind.items()}}


def save(campaign, lang, form):
    """Store the texts of `form` ({field: text}, the kind's texts as "kind.<key>") for `lang`; empty fields are
    left out (the original shows). Raises InvalidInput naming every field that is too long; nothing changes."""
    if lang not in languages(campaign):
        raise InvalidInput(_("Choose one of the site's languages."), details=[{"field": "into", "message": lang}])
    kind = get_kind(campaign.kind)
    originals, kind_originals = _originals(campaign), kind.texts(campaign.settings)
    page, errors, kind_texts = {}, [], {}
    for field, limit in LIMITS.items():
        text = str(form.get(field) or "").strip()
        if len(text) > limit:
            errors.append({"field": field, "message": _("Keep it under %(n)d characters.", n=limit)})
        elif text:
            page[field] = text
    for key, original in kind_originals.items():
        text = str(form.get("kind." + key) or "").strip()
        if len(text) > KIND_TEXT_LIMIT:
            errors.append({"field": "kind." + key, "message": _("Keep it under %(n)d characters.", n=KIND_TEXT_LIMIT)})
        elif text:
            kind_texts[key] = {"text": text, "of": original}
    if errors:
        raise InvalidInput(errors[0]["message"], details=errors)
    if "description_md" in page:
        page["description_html"] = render_markdown(page["description_md"])
    if "tutorial_md" in page:  # the field guide: its example images too
        page["tutorial_html"] = render_markdown(page["tutorial_md"], images=guide_images(campaign))
    if page:
        page["of"] = {field: originals[field] for field in LIMITS if field in page}
    texts = {k: v for k, v in (campaign.texts or {}).items() if k != lang}
    campaign.texts = {**texts, lang: page} if page else texts
    stored = {k: v for k, v in ((campaign.settings or {}).get(KEY) or {}).items() if k != lang}
    if kind_texts:
        stored[lang] = kind_texts
    campaign.settings = {**(campaign.settings or {}), KEY: stored}


def _lang():
    locale = get_locale()
    return str(locale.language) if locale else None


def kind_settings(kind, settings, lang=None):
    """The kind's settings as a volunteer reading `lang` (the request's language by default) sees them: a dict
    lookup for a campaign without translations (the volunteer loop calls it for every task). A translation whose
    original has changed since is left out."""
    if not (settings or {}).get(KEY):
        return settings
    given = (settings[KEY].get(lang or _lang()) or {})
    if not given:
        return settings
    current = kind.texts(settings)
    texts = {key: v["text"] for key, v in given.items() if current.get(key) == v.get("of")}
    return kind.with_texts(settings, texts) if texts else settings


class Localized:
    """A campaign as a volunteer reading one language sees it: its texts in that language where the organiser
    gave them (and their original has not changed since), every other attribute the campaign's own (a read-only
    view for templates)."""

    FIELDS = {"title": "title", "summary": "summary", "description_html": "description_md",
              "tutorial_html": "tutorial_md"}  # what a template reads -> the original it translates

    def __init__(self, campaign, lang=None):
        self._campaign = campaign
        self._texts = (campaign.texts or {}).get(lang or _lang()) or {}

    def __getattr__(self, name):
        source = Localized.FIELDS.get(name)
        if source and self._texts.get(name) and \
                self._texts.get("of", {}).get(source) == getattr(self._campaign, source):
            return self._texts[name]
        return getattr(self._campaign, name)


def localized(campaign, lang=None):
    """`campaign` with its texts in the request's language (or `lang`), or the campaign itself when it has none."""
    if not campaign.texts:
        return campaign
    return Localized(campaign, lang)

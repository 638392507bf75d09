"""A campaign's own words in several languages (issue 19): its title, summary, description, field guide and the
words its kind lets volunteers read (the question, the answers' labels: Kind.texts), given by the organiser for
each language of the site. A volunteer reading the site in one of them sees these; where one is left empty, the
organiser's original shows. The app's own words are translated as ever (citizen/translations).

Stored in the campaign's settings under "translations": {lang: {"title", "summary", "description_md",
"description_html", "tutorial_md", "tutorial_html", "kind": {key: text}}} (Markdown rendered and sanitised once,
on saving). Answers, results and open data keep the values and the original words.
"""
from babel import Locale
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _

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


def entry(settings, lang):
    return ((settings or {}).get(KEY) or {}).get(lang) or {}


def save(campaign, lang, form):
    """Store the texts of `form` ({field: text}, the kind's texts as "kind.<key>") for `lang`; empty fields are
    left out (the original shows). Raises InvalidInput naming every field that is too long; nothing changes."""
    if lang not in languages(campaign):
        raise InvalidInput(_("Choose one of the site's languages."), details=[{"field": "into", "message": lang}])
    kind = get_kind(campaign.kind)
    out, errors, kind_texts = {}, [], {}
    for field, limit in LIMITS.items():
        text = str(form.get(field) or "").strip()
        if len(text) > limit:
            errors.append({"field": field, "message": _("Keep it under %(n)d characters.", n=limit)})
        elif text:
            out[field] = text
    for key in kind.texts(campaign.settings):
        text = str(form.get("kind." + key) or "").strip()
        if len(text) > KIND_TEXT_LIMIT:
            errors.append({"field": "kind." + key, "message": _("Keep it under %(n)d characters.", n=KIND_TEXT_LIMIT)})
        elif text:
            kind_texts[key] = text
    if errors:
        raise InvalidInput(errors[0]["message"], details=errors)
    for field in ("description_md", "tutorial_md"):
        if field in out:
            out[field.replace("_md", "_html")] = render_markdown(out[field])
    if kind_texts:
        out["kind"] = kind_texts
    stored = dict((campaign.settings or {}).get(KEY) or {})
    if out:
        stored[lang] = out
    else:
        stored.pop(lang, None)
    campaign.settings = {**(campaign.settings or {}), KEY: stored}


def _lang():
    locale = get_locale()
    return str(locale.language) if locale else None


def kind_settings(kind, settings, lang=None):
    """The kind's settings as a volunteer reading `lang` (the request's language by default) sees them: a dict
    lookup for a campaign without translations (the volunteer loop calls it for every task)."""
    if not (settings or {}).get(KEY):
        return settings
    texts = entry(settings, lang or _lang()).get("kind")
    return kind.with_texts(settings, texts) if texts else settings


class Localized:
    """A campaign as a volunteer reading one language sees it: its texts in that language where the organiser
    gave them, every other attribute the campaign's own (a read-only view for templates)."""

    FIELDS = ("title", "summary", "description_html", "tutorial_html")

    def __init__(self, campaign, lang=None):
        self._campaign = campaign
        self._texts = entry(campaign.settings, lang or _lang())

    def __getattr__(self, name):
        if name in Localized.FIELDS and self._texts.get(name):
            return self._texts[name]
        return getattr(self._campaign, name)


def localized(campaign, lang=None):
    """`campaign` with its texts in the request's language (or `lang`), or the campaign itself when it has none."""
    if not (campaign.settings or {}).get(KEY):
        return campaign
    return Localized(campaign, lang)

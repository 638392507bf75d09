"""Sections of a campaign's settings that features own, registered by their `init_app` (called by create_app): the
campaign form (citizen.campaigns.organise) and campaigns.services go through them and import no feature.

A section, `register(app, name, clean, from_form, template, ...)`:

- `clean(data, raw_settings, kind, settings)`: the section's part of Campaign.settings (a dict merged into it) from
  the organiser's input (`data`, the API body or the form's values; `raw_settings`, data["settings"]) once the kind
  and quality settings are in `settings`. Raises InvalidInput with one detail per bad field: the form and the API
  list every problem of every section at once.
- `from_form(form)`: the section's entries of `data` from the submitted campaign form (a MultiDict).
- `template`: its part of the campaign form, included in the order the sections were registered.
- `prepare_import(campaign, values)`: called with the task rows an import is about to insert (it may set columns);
  `after_import(campaign, values)` once they are stored; `after_update(campaign)` once the organiser saved the
  campaign. Each optional.

Sections named in REQUIRED must be there, or create_app refuses to build the app (`check`): without the content
ratings (wellbeing), an import would store tasks unrated and their media would be handed out unshielded.
"""
from typing import Callable, NamedTuple

from flask import current_app

from citizen.errors import InvalidInput

EXTENSION = "citizen.campaigns.sections"
REQUIRED = ("wellbeing",)


def _none(*_args):
    return None


class Section(NamedTuple):
    name: str
    clean: Callable
    from_form: Callable
    template: str
    prepare_import: Callable = _none
    after_import: Callable = _none
    after_update: Callable = _none


def register(app, name, clean, from_form, template, prepare_import=None, after_import=None, after_update=None):
    """Called by a feature's init_app. A name is registered once."""
    sections = app.extensions.setdefault(EXTENSION, {})
    if name in sections:
        raise ValueError(f"the campaign settings have a section {name} already")
    sections[name] = Section(name, clean, from_form, template, prepare_import or _none, after_import or _none,
                             after_update or _none)


def check(app):
    """Raise unless every required section is registered (create_app, once the features are plugged in)."""
    missing = [name for name in REQUIRED if name not in app.extensions.get(EXTENSION, {})]
    if missing:
        raise RuntimeError(f"no feature registered the campaign settings' sections {', '.join(missing)}")


def all_sections():
    """The registered sections, in the order they were registered."""
    return list(current_app.extensions.get(EXTENSION, {}).values())


def templates():
    return [s.template for s in all_sections()]


def from_form(form):
    """Every section's entries of the campaign's input from the submitted form."""
    data = {}
    for section in all_sections():
        data.update(section.from_form(form))
    return data


def clean(data, raw_settings, kind, settings, errors):
    """Add every section's part to `settings`; append each problem to `errors` (a list of details)."""
    for section in all_sections():
        try:
            settings.update(section.clean(data, raw_settings, kind, settings))
        except InvalidInput as exc:
            errors.extend(exc.details or [{"field": section.name, "message": exc.message}])


def prepare_import(campaign, values):
    for section in all_sections():
        section.prepare_import(campaign, values)


def after_import(campaign, values):
    for section in all_sections():
        section.after_import(campaign, values)


def after_update(campaign):
    for section in all_sections():
        section.after_update(campaign)

"""The organiser's escalation rule: which answers put a task at the top of the moderators' queue at once.

Stored in Campaign.settings["escalate_on"] as a list of answer values (a question's "yes" for "Is a person
visible?", the damage kind's "destroyed"). No database here: it is the escalation section of the campaign
settings (citizen.campaigns.sections, registered by moderation's init_app), cleaned while campaigns.services
validates the rest.
"""
import re

from flask_babel import gettext as _

from citizen.errors import InvalidInput

_SPLIT = re.compile(r"[,;\n]")


def clean_escalate_on(raw, labels):
    """A list of answer values from a list or a "yes, maybe" string; each must be one of the kind's `labels`
    (None for kinds whose answers are not categorical: then no rule can be set). Raises InvalidInput."""
    if raw in (None, "", []):
        return []
    values = [v.strip() for v in _SPLIT.split(raw)] if isinstance(raw, str) else raw
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
        message = _("Escalate on: give the answer values as a list.")
        raise InvalidInput(message, details=[{"field": "escalate_on", "message": message}])
    values = list(dict.fromkeys(v for v in values if v))
    if values and not labels:
        message = _("This kind of campaign has no fixed answers to escalate on.")
        raise InvalidInput(message, details=[{"field": "escalate_on", "message": message}])
    unknown = [v for v in values if v not in labels]
    if unknown:
        message = _("Escalate on: %(values)s is not one of the answers (%(labels)s).",
                    values=", ".join(unknown), labels=", ".join(labels))
        raise InvalidInput(message, details=[{"field": "escalate_on", "message": message}])
    return values


# --- the campaign settings' escalation section (citizen.campaigns.sections, registered by moderation's init_app) ---
def clean_section(data, raw_settings, kind, settings):
    """{"escalate_on": the rule} from the campaign's input ({} without one). Raises InvalidInput."""
    rule = clean_escalate_on(data.get("escalate_on", raw_settings.get("escalate_on")), kind.answer_labels(settings))
    return {"escalate_on": rule} if rule else {}


def section_from_form(form):
    return {"escalate_on": form.get("escalate_on", "")}

"""The campaign's `outcome`: what will happen with the results (and, once a campaign is finished, what
did). Stored in Campaign.settings["outcome"] (Markdown as written) and ["outcome_html"] (sanitised).
No database here: it is the outcome section of the campaign settings (citizen.campaigns.sections), cleaned while
campaigns.services validates the other fields."""
from flask_babel import gettext as _

from citizen.text import render_markdown
from citizen.errors import InvalidInput

MAX_OUTCOME = 2000


def clean_outcome(raw):
    """{"outcome", "outcome_html"} from the organiser's text, or {} when there is none. Raises InvalidInput."""
    if raw in (None, ""):
        return {}
    if not isinstance(raw, str):
        message = _("What happens with the results: write it as text.")
        raise InvalidInput(message, details=[{"field": "outcome", "message": message}])
    text = raw.strip().replace("\r\n", "\n")
    if len(text) > MAX_OUTCOME:
        message = _("Keep “what happens with the results” under %(max)d characters.", max=MAX_OUTCOME)
        raise InvalidInput(message, details=[{"field": "outcome", "message": message}])
    return {"outcome": text, "outcome_html": render_markdown(text)} if text else {}


# --- the campaign settings' outcome section (citizen.campaigns.sections, registered by engagement's init_app) ---
def clean_section(data, raw_settings, kind, settings):
    return clean_outcome(data.get("outcome", raw_settings.get("outcome")))


def section_from_form(form):
    return {"outcome": form.get("outcome", "")}

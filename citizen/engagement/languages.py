"""Which language a page is in: the one chosen with ?lang=xx (kept in the session), else the browser's
Accept-Language, else the default. Outside a request (CLI, jobs, tests) the default applies."""
from flask import current_app, has_request_context, request, session

SESSION_KEY = "lang"
NAMES = {"en": "English", "es": "Español", "fr": "Français"}  # each in its own language, never translated


def select_locale():
    if not has_request_context():
        return None
    languages = current_app.config["LANGUAGES"]
    chosen = session.get(SESSION_KEY)
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages)


def remember_choice():
    """Before each request: ?lang=xx on any page switches the site's language for this visitor."""
    lang = request.args.get("lang")
    if lang and lang in current_app.config["LANGUAGES"]:
        session[SESSION_KEY] = lang


def choices():
    """[(code, name)] of the configured languages, for the switcher in the footer."""
    return [(code, NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]]

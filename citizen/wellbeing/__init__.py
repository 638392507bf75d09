"""Volunteer wellbeing: content ratings, consent, blurred images, flags and the exposure budget.

The rules live in the plain `content_warnings` library; this package stores what they need (ratings,
preferences, flags, views) and applies them where citizen hands out tasks:

- `ratings`   turns organiser and import input into ratings (no database).
- `bits`      a task's rating as bits on Task.content_bits, so the scheduler's one SQL pick leaves out what a
              contributor must not be shown.
- `models`    ContentRating (re-ratings, review state, blurred copies), ContentFlag, ContentPreference,
              ContentView.
- `state`     one task's rating as it applies now (re-rating, import row, campaign), its review level and copies.
- `services`  campaign and task ratings, preferences (and the leases they withdraw), flags, views and the budget.
- `serving`   the scheduler's gate, the task JSON shield, reveal, shielded_image, the media guard.
- `views`     the preferences page and the JSON API.
"""


def init_app(app):
    """Plug wellbeing in (called by create_app): the preferences page, its JSON API (exempt from the form CSRF
    check like the rest of /api/v1), the job that makes blurred copies, and the shield of the volunteer loop: its
    gate (what a contributor must not be handed), the task JSON they see (blurred media, warnings), whether they
    revealed a blurred item before answering it, and the media guard of /media/ (a sensitive original only to
    those shown it); and the ratings section of the campaign settings (the form's fields, the tasks' content bits
    on import and on every save) with the import columns of a task's own rating (sensitivity, categories)."""
    from citizen.campaigns import hooks, sections
    from citizen.extensions import csrf
    from citizen.jobs import services as jobs
    from citizen.kinds import columns
    from citizen.wellbeing import blurring, ratings, serving, services, views
    app.register_blueprint(views.bp)
    app.register_blueprint(views.api_bp)
    csrf.exempt(views.api_bp)
    jobs.register(blurring.JOB, blurring.blur_job)
    hooks.register(app, gate=serving.gate, shield_task=serving.shield_task, media_guard=serving.media_guard,
                   revealed=serving.revealed, derived_media=blurring.copies_of)
    columns.register(app, ratings.RATING_KEY, ratings.IMPORT_FIELDS, ratings.parse_import_rating)
    sections.register(app, "wellbeing", ratings.clean_section, ratings.section_from_form,
                      "wellbeing/campaign_settings.html", prepare_import=services.prepare_import,
                      after_import=services.after_import, after_update=services.after_campaign_update)

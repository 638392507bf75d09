"""Volunteer wellbeing: content ratings, consent, blurred images, flags and the exposure budget.

The rules live in the plain `content_warnings` library; this package stores what they need (ratings,
preferences, flags, views) and applies them where citizen hands out tasks:

- `ratings`   turns organiser and import input into ratings (no database).
- `bits`      a task's rating as bits on Task.content_bits, so the scheduler's one SQL pick leaves out what a
              contributor must not be shown.
- `models`    ContentRating (re-ratings, review state, blurred copies), ContentFlag, ContentPreference,
              ContentView.
- `services`  campaign and task ratings, preferences, flags, views and the budget.
- `serving`   the scheduler's gate, the task JSON shield, reveal, blurred derivatives, shielded_image.
- `views`     the preferences page and the JSON API.
"""


def init_app(app):
    """Plug wellbeing in (called by create_app): the preferences page, its JSON API (exempt from the form CSRF
    check like the rest of /api/v1), the job that makes blurred copies, and the shield of the volunteer loop: its
    gate (what a contributor must not be handed), the task JSON they see (blurred media, warnings) and whether
    they revealed a blurred item before answering it."""
    from citizen.campaigns import hooks
    from citizen.extensions import csrf
    from citizen.jobs import services as jobs
    from citizen.wellbeing import blurring, serving, views
    app.register_blueprint(views.bp)
    app.register_blueprint(views.api_bp)
    csrf.exempt(views.api_bp)
    jobs.register(blurring.JOB, blurring.blur_job)
    hooks.register(app, gate=serving.gate, shield_task=serving.shield_task, revealed=serving.revealed)

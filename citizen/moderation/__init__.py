"""Moderation: the queue moderators clear, escalations that reach experts at once, and the audit log.

- `models`       escalations, volunteers' reports, suspensions, the audit log, alert settings, delivery log.
- `hot`          what the volunteer loop asks of moderation, kept cheap (suspended? critical answer?).
- `rules`        the organiser's escalation rule (no database).
- `queue`        the queue: escalations first, then reports, disagreements, contributors flagged by quality.
- `access`       who may moderate an organisation's items, and the audit log every action writes to.
- `services`     the moderator's actions, each written to the audit log.
- `suspensions`  suspend a contributor (their answers stop counting, results recomputed) and lift it.
- `webhooks`     the notification job: signed webhook with retries and a delivery log, and e-mail.
- `views`        /moderation/ pages and the reports API.
"""


def init_app(app):
    """Plug moderation in (called by create_app): /moderation/ pages, the reports API (bearer tokens, so exempt
    from the form CSRF check; cookie callers are CSRF-checked in citizen.accounts.auth), the notification job, and what
    the volunteer loop asks of moderation on every answer (suspended contributors, escalations), and the escalation
    rule's section of the campaign settings."""
    from citizen.campaigns import hooks, sections
    from citizen.extensions import csrf
    from citizen.jobs import services as jobs
    from citizen.moderation import hot, rules, views, webhooks
    app.register_blueprint(views.bp)
    app.register_blueprint(views.api_bp)
    csrf.exempt(views.api_bp)
    jobs.register(hot.NOTIFY_JOB, webhooks.notify_job)
    hooks.register(app, suspended=hot.suspended, escalate=hot.escalate)
    sections.register(app, "escalate_on", rules.clean_section, rules.section_from_form,
                      "moderation/campaign_settings.html")

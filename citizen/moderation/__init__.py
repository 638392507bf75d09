"""Moderation: the queue moderators clear, escalations that reach experts at once, and the audit log.

- `models`       escalations, volunteers' reports, suspensions, the audit log, alert settings, delivery log.
- `hot`          what the volunteer loop asks of moderation, kept cheap (suspended? critical answer?).
- `rules`        the organiser's escalation rule (no database).
- `queue`        the queue: escalations first, then reports, disagreements, contributors flagged by quality.
- `services`     the moderator's actions, each written to the audit log.
- `suspensions`  suspend a contributor (their answers stop counting, results recomputed) and lift it.
- `webhooks`     the notification job: signed webhook with retries and a delivery log, and e-mail.
- `views`        /moderation/ pages and the reports API.
"""

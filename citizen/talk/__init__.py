"""Talk: a discussion thread per campaign and per task, where volunteers ask and the organisation's staff answer.

- `models`    posts, reports of posts, notifications.
- `names`     how people are named: staff by name and @handle, volunteers by their display name or a handle.
- `services`  reading a page of a thread; writing a post (sanitised Markdown, limits, needs-an-expert to the queue).
- `notify`    @mentions and staff replies as notifications, read on the profile.
- `moderate`  reports of posts; hide, show, settle and suspend the author, each in the audit log.
- `pages`     what the pages show; the template global other features' pages use (`talk`).
- `views`     the pages and the API (/api/v1/campaigns/<slug>/talk, .../tasks/<id>/talk, posts' reports, hide).

- `exports`   the discussions as open data (talk.csv), only when the organiser publishes them; pseudonymous.

Posts belong to no export unless the organiser ticks "publish the discussions" on the campaign form.
"""


def init_app(app):
    """Plug talk in (called by create_app): its pages and API (bearer tokens, so exempt from the form CSRF check;
    cookie callers are CSRF-checked in citizen.accounts.auth), and the `talk` template global through which the work
    page, the campaign page, the profile and the moderation pages link to threads and show notifications."""
    from citizen.extensions import csrf
    from citizen.talk import pages, views
    app.register_blueprint(views.bp)
    app.register_blueprint(views.api_bp)
    csrf.exempt(views.api_bp)
    app.jinja_env.globals["talk"] = {"thread_url": pages.thread_url, "inbox": pages.inbox}
    from citizen.campaigns import sections
    from citizen.exports import extra
    from citizen.talk import exports
    sections.register(app, exports.SETTING, exports.clean_section, exports.section_from_form,
                      "talk/campaign_settings.html")
    extra.register(app, exports.FILE)

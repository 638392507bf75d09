"""Engagement: what makes people join a campaign, see its progress and come back.

- `models`       volunteer profiles (display name, public, notify, recognition) and organisers' updates.
- `settings`     the campaign's `outcome` text (no database): its section of the campaign settings.
- `stats`        progress numbers, answers per day and per hour, volunteers active now (cached per campaign).
- `charts`       server-rendered SVG bar charts with a title, a description and a table alternative.
- `cards`        what the home page and share previews show of a campaign: picture, purpose, progress.
- `profiles`     a volunteer's profile, milestones, certificate, and their preferences.
- `recognition`  opt-in "top contributors" ranked by agreement-weighted answers within the caps.
- `updates`      organisers' updates (sanitised Markdown), in-app notices and e-mail to opted-in volunteers.
- `dashboard`    the organiser's dashboard: progress, answers per hour, tasks stuck in disagreement.
- `languages`    the language chosen with ?lang=xx (kept in the session) before Accept-Language.
- `demo`         history for `make run`'s demo: answers over two weeks, an update, a finished campaign.
- `views`        /me, /volunteers/<id>, certificates, the dashboard and the updates form.
"""


def init_app(app):
    """Plug engagement in (called by create_app): profiles, dashboard and updates pages, the job that mails
    organisers' updates, the outcome's section of the campaign settings, and what the home page and a campaign's
    public page show (citizen.campaigns.pages)."""
    from citizen.campaigns import pages as public_pages
    from citizen.campaigns import sections
    from citizen.engagement import cards, pages, settings, updates, views
    from citizen.jobs import services as jobs
    app.register_blueprint(views.bp)
    jobs.register(updates.MAIL_JOB, updates.mail_job)
    public_pages.register(app, home=cards.home, campaign_page=pages.campaign_page)
    sections.register(app, "outcome", settings.clean_section, settings.section_from_form,
                      "engagement/campaign_settings.html")

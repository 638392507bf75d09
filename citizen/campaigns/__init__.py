"""Campaigns, tasks and answers: the volunteer loop."""


def init_app(app):
    """Plug the volunteer loop in (called by create_app): campaign pages, the organisers' pages, the job that
    recomputes stored results, the job that builds a campaign's batch consensus, the chore that forgets unconfirmed
    uploads, and the `flask release-leases` and `flask results` commands; and how the kinds' organiser routes find
    the campaign an organiser manages."""
    from citizen.campaigns import builds, cli, organise, results, services, uploads, views
    from citizen.jobs import services as jobs, worker
    from citizen.kinds import registry as kinds
    app.register_blueprint(views.bp)
    app.register_blueprint(organise.bp)
    jobs.register(results.RECOMPUTE_JOB, results.recompute_job)
    jobs.register(builds.JOB, builds.build_job)
    worker.register_chore("forget-stale-uploads", uploads.forget_stale, every_seconds=3600)
    # a kind's organiser (and moderator) routes find their campaign
    kinds.register_campaign_lookup(app, services.managed_campaign, services.reviewed_campaign)
    app.cli.add_command(cli.release_leases)
    app.cli.add_command(cli.results_cli)

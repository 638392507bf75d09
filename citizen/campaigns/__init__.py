"""Campaigns, tasks and answers: the volunteer loop."""


def init_app(app):
    """Plug the volunteer loop in (called by create_app): campaign pages, the organisers' pages, the job that
    recomputes stored results, the chore that forgets unconfirmed uploads, and the `flask release-leases` and `flask results` commands."""
    from citizen.campaigns import cli, organise, results, uploads, views
    from citizen.jobs import services as jobs, worker
    app.register_blueprint(views.bp)
    app.register_blueprint(organise.bp)
    jobs.register(results.RECOMPUTE_JOB, results.recompute_job)
    worker.register_chore("forget-stale-uploads", uploads.forget_stale, every_seconds=3600)
    app.cli.add_command(cli.release_leases)
    app.cli.add_command(cli.results_cli)

"""The core's commands: `flask init-db` and `flask jobs resume`. Each feature registers its own commands in its
`init_app(app)` (`flask users` in citizen.accounts, `flask release-leases` and `flask results` in
citizen.campaigns, `flask demo` in citizen.demo, `flask exports` in citizen.exports)."""
import click
from flask import current_app
from flask_migrate import upgrade


def register_cli(app):
    app.cli.add_command(init_db)
    app.cli.add_command(jobs_cli)


@click.command("init-db")
def init_db():
    """Create or upgrade the database schema (Alembic migrations)."""
    upgrade()
    click.echo("Database is at the latest schema.")


jobs_cli = click.Group("jobs", help="Long work done off the request.")


@jobs_cli.command("resume")
def resume_jobs():
    """Run here the jobs left pending or whose worker stopped (never one a live worker holds)."""
    from citizen.jobs import services as jobs
    click.echo(f"{jobs.resume()} jobs run.")


@jobs_cli.command("work")
@click.option("--threads", type=int, default=None, help="Jobs run at once (default: JOBS_WORKER_THREADS).")
def work_jobs(threads):
    """Run jobs from the queue (JOBS_QUEUE_URL) until stopped: the worker process of production mode."""
    import logging
    from citizen.jobs import worker
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(threadName)s: %(message)s")
    worker.work(current_app._get_current_object(), threads)


@jobs_cli.command("sweep")
def sweep_jobs():
    """Send again the jobs whose message may have been lost or whose worker died (workers do it on their own)."""
    from citizen.jobs import worker
    click.echo(f"{len(worker.sweep())} jobs sent again.")

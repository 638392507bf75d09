"""The core's commands: `flask init-db` and `flask jobs resume`. Each feature registers its own commands in its
`init_app(app)` (`flask users` in citizen.accounts, `flask release-leases` and `flask results` in
citizen.campaigns, `flask demo` in citizen.demo, `flask exports` in citizen.exports)."""
import click
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
    """Run again the jobs a stopped process left pending or running."""
    from citizen.jobs import services as jobs
    click.echo(f"{jobs.resume()} jobs run.")

"""flask --app citizen init-db | demo | users ... | release-leases"""
import click
from flask import current_app
from flask.cli import AppGroup
from flask_migrate import upgrade
from sqlalchemy import select

from citizen.accounts import services as accounts
from citizen.accounts.models import User
from citizen.campaigns.scheduler import release_expired_leases
from citizen.errors import CitizenError
from citizen.extensions import db

users_cli = AppGroup("users", help="Manage accounts.")


def register_cli(app):
    app.cli.add_command(init_db)
    app.cli.add_command(demo)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(release_leases)
    app.cli.add_command(users_cli)
    app.cli.add_command(results_cli)


@click.command("init-db")
def init_db():
    """Create or upgrade the database schema (Alembic migrations)."""
    upgrade()
    click.echo("Database is at the latest schema.")


@click.command("demo")
def demo():
    """Load the demo organisation, people and campaigns (safe to run again)."""
    from citizen.demo import PASSWORD, PEOPLE, load_demo
    result = load_demo(current_app.config["MEDIA_FOLDER"])
    db.session.commit()
    if result["created"]:
        for slug in result["campaigns"]:
            click.echo(f"Demo campaign: /campaigns/{slug}")
        click.echo(f"Organiser API token: {result['organiser_token']}")
    click.echo("Demo accounts (password '%s'): %s" % (PASSWORD, ", ".join(p[0] for p in PEOPLE)))


jobs_cli = click.Group("jobs", help="Long work done off the request.")


@jobs_cli.command("resume")
def resume_jobs():
    """Run again the jobs a stopped process left pending or running."""
    from citizen.jobs import services as jobs
    click.echo(f"{jobs.resume()} jobs run.")


@click.command("release-leases")
def release_leases():
    """Give expired task leases back to their tasks."""
    n = release_expired_leases(limit=100_000)
    db.session.commit()
    click.echo(f"{n} expired leases released.")


def _user(email):
    user = db.session.execute(select(User).where(User.email == email.lower())).scalar_one_or_none()
    if user is None:
        raise click.ClickException(f"No account with e-mail {email}.")
    return user


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.password_option()
@click.option("--admin", is_flag=True)
def create_user(email, name, password, admin):
    try:
        user = accounts.register_user(email, name, password)
    except CitizenError as exc:
        raise click.ClickException(exc.message)
    user.is_admin = admin
    db.session.commit()
    click.echo(f"Created {user.email}.")


@users_cli.command("grant")
@click.argument("email")
@click.argument("role", type=click.Choice(["organiser", "moderator"]))
@click.argument("organisation")
def grant(email, role, organisation):
    """Give EMAIL the ROLE in ORGANISATION (a slug; created if new)."""
    org = accounts.get_or_create_organisation(organisation, organisation.replace("-", " ").title())
    accounts.grant(_user(email), org, role)
    db.session.commit()
    click.echo(f"{email} is now {role} of {org.slug}.")


@users_cli.command("token")
@click.argument("email")
@click.option("--label", default="cli")
def token(email, label):
    """Print a new API token for EMAIL (shown once)."""
    click.echo(accounts.create_api_token(_user(email), label))
    db.session.commit()


results_cli = click.Group("results", help="Results stored on tasks and built per campaign.")


@results_cli.command("rebuild")
@click.argument("slug")
def rebuild_results(slug):
    """Compute again the stored result of every answered task of campaign SLUG, and its batch consensus build."""
    from citizen.campaigns.models import Campaign
    from citizen.campaigns.results import recompute_results
    from citizen.quality import builds
    campaign = db.session.execute(select(Campaign).where(Campaign.slug == slug)).scalar_one_or_none()
    if campaign is None:
        raise click.ClickException(f"No campaign {slug!r}.")
    n = recompute_results(campaign)
    builds.build(campaign)
    db.session.commit()
    click.echo(f"{n} task results stored; campaign build made.")

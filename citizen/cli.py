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
@click.option("--days", default=accounts.TOKEN_DAYS, show_default=True,
              help=f"Days until it expires (1 to {accounts.TOKEN_MAX_DAYS}).")
def token(email, label, days):
    """Print a new API token for EMAIL (shown once)."""
    try:
        value = accounts.create_api_token(_user(email), label, days)
    except CitizenError as exc:
        raise click.ClickException(exc.message)
    db.session.commit()
    click.echo(value)


@users_cli.command("tokens")
@click.argument("email")
def tokens(email):
    """List EMAIL's API tokens: id, name, made, last used, expires, state (never the secret)."""
    rows = accounts.api_tokens(_user(email))
    for t in rows:
        click.echo("\t".join([str(t.id), t.label or "-", t.created_at.strftime("%Y-%m-%d"),
                              t.last_used_at.strftime("%Y-%m-%d %H:00") if t.last_used_at else "never",
                              t.expires_at.strftime("%Y-%m-%d"), accounts.token_state(t)]))
    if not rows:
        click.echo(f"{email} has no API tokens.")


@users_cli.command("revoke-token")
@click.argument("token_id", type=click.IntRange(1, 2**31 - 1))
def revoke_token(token_id):
    """Revoke the API token TOKEN_ID (see `users tokens`): scripts using it get a 401 from now on."""
    try:
        row = accounts.revoke_api_token(token_id)
    except CitizenError as exc:
        raise click.ClickException(exc.message)
    db.session.commit()
    click.echo(f"Token {row.id} ({row.label or 'no name'}) of {row.user.email} is revoked.")


@users_cli.command("sign-out")
@click.argument("email")
def sign_out(email):
    """End every session of EMAIL (session and remember-me cookies); API tokens are revoked separately."""
    accounts.end_sessions(_user(email))
    db.session.commit()
    click.echo(f"Every session of {email} is ended.")


@users_cli.command("set-password")
@click.argument("email")
@click.password_option()
def set_password(email, password):
    """Set a new password for EMAIL (who forgot theirs); every session of EMAIL ends."""
    try:
        accounts.set_password(_user(email), password)
    except CitizenError as exc:
        raise click.ClickException(exc.message)
    db.session.commit()
    click.echo(f"New password set for {email}; every session of the account is ended.")


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

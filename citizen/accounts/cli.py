"""`flask users ...`: manage accounts from the command line (registered by citizen.accounts.init_app)."""
import click
from flask.cli import AppGroup
from sqlalchemy import select

from citizen.accounts import services as accounts
from citizen.accounts.models import User
from citizen.errors import CitizenError
from citizen.extensions import db

users_cli = AppGroup("users", help="Manage accounts.")


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

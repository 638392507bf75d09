"""`flask release-leases` and `flask results rebuild` (registered by citizen.campaigns.init_app)."""
import click
from sqlalchemy import select

from citizen.campaigns.scheduler import release_expired_leases
from citizen.extensions import db


@click.command("release-leases")
def release_leases():
    """Give expired task leases back to their tasks."""
    n = release_expired_leases(limit=100_000)
    db.session.commit()
    click.echo(f"{n} expired leases released.")


results_cli = click.Group("results", help="Results stored on tasks and built per campaign.")


@results_cli.command("rebuild")
@click.argument("slug")
def rebuild_results(slug):
    """Compute again the stored result of every answered task of campaign SLUG, and its batch consensus build."""
    from citizen.campaigns.models import Campaign
    from citizen.campaigns.results import recompute_results
    from citizen.campaigns import builds
    campaign = db.session.execute(select(Campaign).where(Campaign.slug == slug)).scalar_one_or_none()
    if campaign is None:
        raise click.ClickException(f"No campaign {slug!r}.")
    n = recompute_results(campaign)
    builds.build(campaign)
    db.session.commit()
    click.echo(f"{n} task results stored; campaign build made.")

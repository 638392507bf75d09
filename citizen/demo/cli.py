"""`flask demo`: load the demo (registered by citizen.demo.init_app)."""
import click

from citizen.demo import PASSWORD, PEOPLE, load_demo
from citizen.extensions import db


@click.command("demo")
def demo():
    """Load the demo organisation, people and campaigns (safe to run again)."""
    result = load_demo()
    db.session.commit()
    if result["created"]:
        for slug in result["campaigns"]:
            click.echo(f"Demo campaign: /campaigns/{slug}")
        click.echo(f"Organiser API token: {result['organiser_token']}")
    click.echo("Demo accounts (password '%s'): %s" % (PASSWORD, ", ".join(p[0] for p in PEOPLE)))

"""What features add to the public pages of citizen.campaigns.views, registered by their `init_app` (called by
create_app): the views call these and import no feature.

- `home()`: the home page's template context: the campaigns' cards, pictures and outcomes (engagement);
- `campaign_page(campaign)`: `page` of a campaign's public page: progress, chart, updates, top contributors,
  outcome and share preview (engagement).

Every one must be registered, or create_app refuses to build the app (`check`): the templates read them."""
from flask import current_app

EXTENSION = "citizen.campaigns.pages"
NAMES = ("home", "campaign_page")


def register(app, **parts):
    """Called by a feature's init_app: register(app, home=fn, campaign_page=fn)."""
    unknown = sorted(set(parts) - set(NAMES))
    if unknown:
        raise ValueError(f"the public pages have no part {', '.join(unknown)} (they have {', '.join(NAMES)})")
    app.extensions.setdefault(EXTENSION, {}).update(parts)


def check(app):
    """Raise unless every part is registered (create_app, once the features are plugged in)."""
    missing = [name for name in NAMES if name not in app.extensions.get(EXTENSION, {})]
    if missing:
        raise RuntimeError(f"no feature registered the public pages' parts {', '.join(missing)}")


def home():
    return current_app.extensions[EXTENSION]["home"]()


def campaign_page(campaign):
    return current_app.extensions[EXTENSION]["campaign_page"](campaign)

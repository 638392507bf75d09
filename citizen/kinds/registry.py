"""The registry of kinds, filled once by create_app from config["KINDS"] (one "module:Class" line per kind).

Registering a kind makes everything in its folder reachable without touching the core:
- templates: `kinds/<id>/<name>` is looked up in the kind's own templates/ folder, then in those of the
  classes it inherits from (the map kinds share citizen/kinds/_map/templates/);
- static files: /static/kinds/<id>/<file>, from the same folders (`asset_url` picks the URL);
- its own `init_app(app)`: jobs, routes and manage-page context of the kind (transcription's render job).
No directory globbing and no import-time registration: only the kinds listed in config exist.
"""
import importlib
import os
import sys

from flask import Blueprint, abort, current_app, send_from_directory, url_for
from flask_babel import gettext as _
from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader

from citizen.errors import NotFound

EXTENSION = "citizen.kinds"
MANAGE = "citizen.kinds.manage"  # {kind id: function(campaign) -> context of its manage panel}
CAMPAIGNS = "citizen.kinds.campaigns"  # function(slug, user) -> the campaign they organise (citizen.campaigns)
REVIEWED = "citizen.kinds.reviewed"  # function(slug, user) -> the campaign they organise or moderate

bp = Blueprint("kinds", __name__)


def load_kinds(paths):
    """{id: kind instance} from "module:Class" paths, in the order given."""
    kinds = {}
    for path in paths:
        module, _sep, cls = path.partition(":")
        kind = getattr(importlib.import_module(module), cls)()
        kinds[kind.id] = kind
    return kinds


def folders(kind, sub):
    """The existing `sub` folders (templates, static) of the kind's class and the classes it inherits from,
    nearest first: a kind overrides a file of its base by having one of the same name."""
    out = []
    for cls in type(kind).__mro__:
        module = sys.modules.get(cls.__module__)
        path = os.path.join(os.path.dirname(getattr(module, "__file__", "") or ""), sub)
        if getattr(module, "__file__", None) and os.path.isdir(path) and path not in out:
            out.append(path)
    return out


def init_app(app):
    """Load the configured kinds, make their templates and static files reachable, run their init_app."""
    kinds = load_kinds(app.config["KINDS"])
    app.extensions[EXTENSION] = kinds
    app.extensions[MANAGE] = {}
    # "kinds/<id>/<name>": PrefixLoader splits at the first "/", hence one for "kinds" and one per kind.
    per_kind = {k.id: ChoiceLoader([FileSystemLoader(p) for p in folders(k, "templates")]) for k in kinds.values()}
    app.jinja_env.loader = ChoiceLoader([app.jinja_env.loader, PrefixLoader({"kinds": PrefixLoader(per_kind)})])
    app.jinja_env.globals["kind_asset"] = asset_url
    app.register_blueprint(bp)
    for kind in kinds.values():
        kind.init_app(app)


def register_manage_context(app, kind_id, fn):
    """A kind's manage panel reads fn(campaign) as `extra` (called by the kind's init_app)."""
    app.extensions[MANAGE][kind_id] = fn


def register_campaign_lookup(app, fn, reviewed=None):
    """Called by citizen.campaigns' init_app: how a kind's organiser routes (its manage panel's) find the campaign
    at <slug> for the signed-in organiser, with the organiser's pages' own checks (NotFound, Forbidden); and,
    `reviewed`, for its organisers and moderators (what the field kind's staff see of volunteers' photos)."""
    app.extensions[CAMPAIGNS] = fn
    app.extensions[REVIEWED] = reviewed or fn


def managed_campaign(slug, user):
    """The campaign at `slug` if `user` organises it (for a kind's organiser routes): kinds import no campaigns."""
    return current_app.extensions[CAMPAIGNS](slug, user)


def reviewed_campaign(slug, user):
    """The campaign at `slug` if `user` organises or moderates it."""
    return current_app.extensions[REVIEWED](slug, user)


def manage_context(kind, campaign):
    """What the kind's manage panel shows for this campaign, or None when the kind has no panel data."""
    fn = current_app.extensions[MANAGE].get(kind.id)
    return fn(campaign) if fn else None


def asset_url(kind, name):
    """The URL of a static file a kind names: "vendor/..." (a shared library) and "js/..." (the site's own
    shared scripts, such as js/tiles.js) are in the app's static folder, anything else in the kind's own
    static/ folder."""
    if name.startswith(("vendor/", "js/")):
        return url_for("static", filename=name)
    return url_for("kinds.static", kind_id=kind.id, filename=name)


@bp.get("/static/kinds/<kind_id>/<path:filename>")
def static(kind_id, filename):
    """A kind's static file, from its own folder or its base's."""
    kind = current_app.extensions[EXTENSION].get(kind_id)
    if kind is None:
        abort(404)
    for folder in folders(kind, "static"):
        if os.path.isfile(os.path.join(folder, filename)):
            return send_from_directory(folder, filename, max_age=current_app.get_send_file_max_age(filename))
    abort(404)


def get_kind(kind_id):
    kinds = current_app.extensions[EXTENSION]
    if kind_id not in kinds:
        raise NotFound(_("Unknown campaign kind: %(kind)s", kind=kind_id))
    return kinds[kind_id]


def all_kinds():
    return current_app.extensions[EXTENSION]

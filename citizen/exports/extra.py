"""Open data files that features add to a campaign's, when its organiser chooses (talk's discussions): registered by
the feature's init_app, listed on the data page, in README.md and datapackage.json, and served at /data/<slug>/<name>
like the kind's own files. A feature's file changes without the campaign's data version (a post, a post hidden), so
it gives its own `state`, which goes into the file's ETag and Last-Modified."""
from typing import Callable, NamedTuple

from flask import current_app

EXTENSION = "citizen.exports.extra"


class ExtraFile(NamedTuple):
    name: str               # the file's name, e.g. "talk.csv"
    description: Callable   # () -> the sentence that describes it (in the page's language)
    mediatype: str
    format: str
    enabled: Callable       # (campaign) -> whether the organiser publishes it
    write: Callable         # (campaign) -> an iterator of byte chunks
    state: Callable         # (campaign) -> (a short tag that changes whenever the file would, when it last
    #                         changed: naive UTC or None), for its ETag and Last-Modified; one cheap query


def register(app, file):
    """Called by a feature's init_app. A name is registered once."""
    files = app.extensions.setdefault(EXTENSION, {})
    if file.name in files:
        raise ValueError(f"an open data file {file.name} is registered already")
    files[file.name] = file


def of(campaign):
    """The registered files this campaign publishes."""
    return [f for f in current_app.extensions.get(EXTENSION, {}).values() if f.enabled(campaign)]


NOTES = "citizen.exports.notes"


def register_note(app, note):
    """Called by a feature's init_app: note(campaign) -> Markdown lines of the methodology note (a section with its
    own heading), or [] when the feature has nothing to say of this campaign."""
    app.extensions.setdefault(NOTES, []).append(note)


def notes(campaign):
    """The registered features' sections of the methodology note for this campaign."""
    lines = []
    for note in current_app.extensions.get(NOTES, []):
        part = note(campaign)
        if part:
            lines += [*part, ""]
    return lines


def named(campaign, name):
    """The registered file `name` if this campaign publishes it, else None."""
    return next((f for f in of(campaign) if f.name == name), None)

"""/data/ (the open data page), /data/<slug>/ (a campaign's files and methodology), the files
themselves, and `flask --app citizen exports build <slug>`.

Every file answers conditional requests: its ETag and Last-Modified come from the data version
(citizen.campaigns.versions), checked before anything is read, so an unchanged file costs two index
look-ups and a 304. CSV and GeoJSON are streamed; the GeoPackage is the last complete build (its date in
Last-Modified and on the data page) while a newer one is made in the background, or, before the first build of a
large campaign, 202 with the build's progress: JSON for a program, a page that reloads itself for a browser (never a
file to save). Every file is saved as <slug>-<name> (methodology.saved_name), the name datapackage.json gives it, and
the site answers to that name too. Campaigns without places have no map files (404).
"""
import dataclasses
from datetime import timezone
import json
import os

import click
from flask import Blueprint, Response, abort, current_app, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.http import is_resource_modified

from citizen import storage
from citizen.campaigns import services as campaigns
from citizen.errors import NotFound
from citizen.exports import csv_export, datapackage, extra, geo, methodology, rows
from citizen.extensions import db
from citizen.kinds import get_kind
from citizen.urls import public_url
from citizen.campaigns import builds, versions

bp = Blueprint("exports", __name__, url_prefix="/data", cli_group="exports")

TYPES = {"results.csv": "text/csv; charset=utf-8", "answers.csv": "text/csv; charset=utf-8",
         "results.geojson": "application/geo+json", "results.gpkg": "application/geopackage+sqlite3",
         "datapackage.json": "application/json", "README.md": "text/markdown; charset=utf-8"}
STREAMS = {"results.csv": csv_export.results_csv, "results.geojson": geo.results_geojson,
           "answers.csv": csv_export.answers_csv}
RETRY_AFTER = 3


def _base_url():
    return public_url()  # the configured address, not the request's Host header


def _headers(response, campaign, version, name, attachment=True):
    response.set_etag(version.etag(name))
    response.last_modified = version.modified
    # Anyone may keep a copy of public data, but must ask whether it changed before using it again.
    response.cache_control.no_cache = True
    if rows.is_public(campaign):
        response.cache_control.public = True
    else:
        response.cache_control.private = True
    saved = methodology.saved_name(campaign, name)
    response.headers["Content-Disposition"] = f'{"attachment" if attachment else "inline"}; filename="{saved}"'
    return response


def _not_modified(campaign, version, name):
    if is_resource_modified(request.environ, etag=version.etag(name), last_modified=version.modified):
        return None
    return _headers(Response(status=304), campaign, version, name, attachment=False)


def _opened(slug, name):
    """The published campaign, its data version, and a 304 answer when the client's copy of `name` is current.
    The ETag names the batch consensus build the file shows too (citizen.campaigns.builds): a file changes when it does.
    A map file of a campaign without places is not there (404)."""
    campaign = rows.data_campaign(slug)
    if name not in dict(methodology.files(campaign) + methodology.kind_files(campaign)):
        abort(404)
    version = versions.data_version(campaign)
    if name != "results.gpkg":  # a GeoPackage file is named by its data version alone (it is built by its own job)
        version = dataclasses.replace(version, built=builds.tag(campaign, version.tag))
    return campaign, version, _not_modified(campaign, version, name)


def _document(slug, name, render):
    """A small file made on request (render(campaign, version) -> text), shown inline."""
    campaign, version, cached = _opened(slug, name)
    if cached is not None:
        return cached
    response = Response(render(campaign, version), content_type=TYPES[name])
    return _headers(response, campaign, version, name, attachment=False)


def _file_state(campaign, version):
    return geo.geopackage_status(campaign, version)


@bp.get("/")
def index():
    public = rows.public_campaigns()
    listed = [(c, versions.data_version(c)) for c in public]
    mine = [(c, versions.data_version(c)) for c in rows.own_unpublished(current_user)]
    return render_template("data/index.html", campaigns=listed, unpublished=mine, campaign_files=methodology.files,
                           licences=methodology.LICENCES)


@bp.get("/<slug>/")
def campaign_page(slug):
    campaign = rows.data_campaign(slug)
    version = versions.data_version(campaign)
    note = methodology.readme(campaign, version, _base_url())
    return render_template("data/campaign.html", campaign=campaign, version=version,
                           files=methodology.files(campaign) + methodology.kind_files(campaign),
                           gpkg=_file_state(campaign, version), methodology=methodology.as_html(note),
                           licence=methodology.licence(campaign.licence),
                           can_manage=campaigns.can_manage(current_user, campaign))


@bp.get("/<slug>/<any('results.csv', 'results.geojson', 'answers.csv'):name>")
def stream(slug, name):
    campaign, version, cached = _opened(slug, name)
    if cached is not None:
        return cached
    make = STREAMS[name]
    chunks = make(campaign, version) if name == "answers.csv" else make(campaign)
    response = Response(stream_with_context(chunks), content_type=TYPES[name])
    response.headers["X-Accel-Buffering"] = "no"  # a proxy must pass the rows on as they come
    _headers(response, campaign, version, name)
    # End the request's read transaction before the download starts: on SQLite it holds the write
    # lock, and a download lasts as long as the client takes. The rows are read batch by batch.
    rows.end_read()
    return response


def kind_file(slug, name):
    """A file the campaign's kind adds (Kind.export_files: the boxes' COCO JSON and per-box CSV), streamed; reached
    through `saved` (/data/<slug>/<name> or /data/<slug>/<slug>-<name>)."""
    campaign = rows.data_campaign(slug)
    kind = get_kind(campaign.kind)
    settings = campaign.settings or {}
    declared = {n: mediatype for n, _text, mediatype, _format in kind.export_files(settings)}
    feature = extra.named(campaign, name)
    if feature is not None:
        return _extra_file(campaign, feature)
    if name not in declared:
        raise NotFound(_("There is no such file."))
    campaign, version, cached = _opened(slug, name)
    if cached is not None:
        return cached
    results = rows.Results(campaign)
    chunks = kind.write_export_file(name, settings, lambda: results.rows(with_result=True))
    charset = "; charset=utf-8" if declared[name].startswith(("text/", "application/json")) else ""
    response = Response(stream_with_context(chunks), content_type=declared[name] + charset)
    response.headers["X-Accel-Buffering"] = "no"
    _headers(response, campaign, version, name)
    rows.end_read()
    return response


def _extra_file(campaign, feature):
    """A feature's file (citizen.exports.extra), with its own state in the ETag and Last-Modified: it changes
    without the data version."""
    version = versions.data_version(campaign)
    tag, changed = feature.state(campaign)
    version = dataclasses.replace(version, tag=f"{version.tag}-{tag}", modified=max(
        version.modified, changed.replace(tzinfo=timezone.utc)) if changed else version.modified)
    cached = _not_modified(campaign, version, feature.name)
    if cached is not None:
        return cached
    charset = "; charset=utf-8" if feature.mediatype.startswith("text/") else ""
    response = Response(stream_with_context(feature.write(campaign)), content_type=feature.mediatype + charset)
    _headers(response, campaign, version, feature.name)
    rows.end_read()
    return response


@bp.get("/<slug>/results.gpkg")
def geopackage(slug):
    campaign, version, cached = _opened(slug, "results.gpkg")
    if cached is not None:
        return cached
    state, what = geo.geopackage(campaign, version)
    if state == "ready":
        store = storage.exports_store()
        if geo.file_tag(what) != version.tag:  # the last complete build, while this version's builds
            found = store.stat(what)
            version = dataclasses.replace(version, tag=geo.file_tag(what), built="",
                                          modified=found.modified if found else version.modified)
        # From an object store: a short-lived presigned URL (exports are public data or the caller's own).
        seconds = current_app.config.get("STORAGE_EXPORTS_REDIRECT") or None
        response = storage.send(store, what, TYPES["results.gpkg"], as_attachment=True,
                                download_name=f"{campaign.slug}-results.gpkg", etag=version.etag("results.gpkg"),
                                last_modified=version.modified, redirect_seconds=int(seconds) if seconds else None)
        if response is None:  # replaced by a newer build between the look and now: the next request finds it
            response = Response(status=503, headers={"Retry-After": str(RETRY_AFTER)})
            response.cache_control.no_store = True
            return response
        if response.status_code in (301, 302, 303, 307, 308):
            return response
        return _headers(response, campaign, version, "results.gpkg")
    job = what.as_json()
    body = {"status": "building", "job": job["status"], "done": job["done"], "total": job["total"],
            "percent": job["percent"], "retry_after": RETRY_AFTER, "status_url": url_for("exports.geopackage_progress", slug=slug),
            "message": what.message or "The GeoPackage is being built; try again in a few seconds."}
    if request.accept_mimetypes.best == "text/html":  # a browser: a page that reloads until the file is there
        response = Response(render_template("data/building.html", campaign=campaign, job=body), status=202)
        response.headers["Refresh"] = str(RETRY_AFTER)
    else:
        response = Response(json.dumps(body), status=202, mimetype="application/json")
    response.headers["Retry-After"] = str(RETRY_AFTER)
    response.cache_control.no_store = True
    return response


@bp.get("/<slug>/results.gpkg/status")
def geopackage_progress(slug):
    """The GeoPackage's state for the data page's progress bar (starts nothing)."""
    campaign = rows.data_campaign(slug)
    if "results.gpkg" not in dict(methodology.files(campaign)):
        abort(404)
    state = _file_state(campaign, versions.data_version(campaign))
    state.pop("result", None)
    return state


@bp.get("/<slug>/datapackage.json")
def data_package(slug):
    return _document(slug, "datapackage.json", lambda campaign, version: json.dumps(
        datapackage.descriptor(campaign, version, _base_url()), ensure_ascii=False, indent=2))


@bp.get("/<slug>/README.md")
def readme(slug):
    return _document(slug, "README.md",
                     lambda campaign, version: methodology.readme(campaign, version, _base_url()))


@bp.get("/<slug>/<saved>")
def saved(slug, saved):
    """A file by the name it is saved under (<slug>-results.csv: datapackage.json's paths and README.md's links)."""
    name = saved[len(slug) + 1:] if saved.startswith(f"{slug}-") else saved
    if name in STREAMS:
        return stream(slug, name)
    views = {"results.gpkg": geopackage, "datapackage.json": data_package, "README.md": readme}
    if name not in views:
        return kind_file(slug, name)  # a file of the campaign's kind or of a feature it publishes, or 404
    return views[name](slug)


# --- flask --app citizen exports build <slug> ---------------------------------------------------
@bp.cli.command("build")
@click.argument("slug")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Also write every file (CSV, GeoJSON, GeoPackage, datapackage.json, README.md) into this folder.")
@click.option("--base-url", default="", help="The site's address, for the links in README.md and datapackage.json.")
@click.option("--no-influence", is_flag=True,
              help="Skip the influence report (one consensus run per active volunteer: minutes for a million answers).")
def build_command(slug, out, base_url, no_influence):
    """Build the GeoPackage and the influence report of campaign SLUG (cached for the web), with a
    progress bar; with --out, write every file of the campaign into a folder."""
    from citizen.campaigns.models import Campaign
    campaign = db.session.execute(db.select(Campaign).where(Campaign.slug == slug)).scalar_one_or_none()
    if campaign is None:
        raise click.ClickException(f"No campaign {slug!r}.")
    version = versions.data_version(campaign)
    key = None
    if "results.gpkg" in dict(methodology.files(campaign)):  # a campaign without places has no map files
        with click.progressbar(length=max(campaign.tasks_total, 1), label="GeoPackage", show_pos=True) as bar:
            def progress(done, total, message=""):
                bar.update(min(done, bar.length) - bar.pos)
            key = geo.build_current(campaign, progress)
        found = storage.exports_store().stat(key)
        click.echo(f"GeoPackage: {key} in the exports store ({found.size if found else 0:,} bytes)")
    if not no_influence:
        click.echo("Influence report (leave-one-out over the most active volunteers)...")
        methodology.influence_summary(campaign, version, compute=True)
    if out:
        _write_all(campaign, version, out, base_url, key)
        click.echo(f"Files written to {out}")
    db.session.commit()


def _write_all(campaign, version, out, base_url, gpkg):
    """Every file of the campaign into `out`, each under the name a download saves it as (methodology.saved_name)."""
    import shutil
    os.makedirs(out, exist_ok=True)
    path = lambda name: os.path.join(out, methodology.saved_name(campaign, name))  # noqa: E731
    steps = [("results.csv", lambda: csv_export.results_csv(campaign)),
             ("answers.csv", lambda: csv_export.answers_csv(campaign, version))]
    if gpkg is not None:
        steps.insert(1, ("results.geojson", lambda: geo.results_geojson(campaign)))
    total = campaign.tasks_total * 2 + version.answers
    with click.progressbar(length=max(total, 1), label="Files", show_pos=True) as bar:
        for name, make in steps:
            with open(path(name), "wb") as fh:
                for chunk in make():
                    fh.write(chunk)
                    bar.update(chunk.count(b"\n"))
    if gpkg is not None:
        with storage.exports_store().open(gpkg) as src, open(path("results.gpkg"), "wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
    with open(path("datapackage.json"), "w") as fh:
        json.dump(datapackage.descriptor(campaign, version, base_url), fh, ensure_ascii=False, indent=2)
    with open(path("README.md"), "w") as fh:
        fh.write(methodology.readme(campaign, version, base_url))
    current_app.logger.info("exported %s to %s", campaign.slug, out)

"""datapackage.json: a Frictionless Data Package (v1 descriptor) describing every file of a campaign.

Resource paths are relative and name each file as it is saved, <slug>-<name> (methodology.saved_name: the
downloads' and the folder's names), so the descriptor works both where it is served (/data/<slug>/, which answers
to those names too) and in a folder of downloaded files (`frictionless validate`; `flask exports build <slug> --out
DIR` writes the same names). Campaigns without places have no map files, so none are described. The two CSV files
are Tabular Data Resources with a Table Schema: field types, descriptions, primary keys and the foreign key from
answers to results; the GeoJSON, GeoPackage and the note are plain data resources.

The types of the kind's own columns come from their values in the first tasks (rows.Results.typed_columns).
"""
from datetime import datetime, timezone

from citizen.exports import extra
from citizen.exports.methodology import FILES, GEO_FILES, licence, saved_name
from citizen.exports.rows import ANSWER_COLUMNS, Results, iso
from citizen.kinds import get_kind

CSV_DIALECT = {"delimiter": ",", "doubleQuote": True, "lineTerminator": "\r\n", "quoteChar": '"', "header": True}


def _fields(columns):
    return [{"name": c.name, "type": c.type, "description": c.description,
             **({"format": "%Y-%m-%dT%H:%M:%SZ"} if c.type == "datetime" else {})} for c in columns]


def descriptor(campaign, version, base_url=""):
    """The datapackage.json of this version of the campaign's data, as a dict."""
    results = Results(campaign)
    page = f"{base_url}/data/{campaign.slug}/"
    described = dict(FILES)
    name = campaign.slug.lower()
    resources = [
        {"name": "results", "path": "results.csv", "profile": "tabular-data-resource", "format": "csv",
         "mediatype": "text/csv", "encoding": "utf-8", "title": "Results per task",
         "description": described["results.csv"], "dialect": CSV_DIALECT,
         "schema": {"fields": _fields(results.typed_columns()), "primaryKey": ["task_id"],
                    "missingValues": [""]}},
        {"name": "answers", "path": "answers.csv", "profile": "tabular-data-resource", "format": "csv",
         "mediatype": "text/csv", "encoding": "utf-8", "title": "Every answer",
         "description": described["answers.csv"], "dialect": CSV_DIALECT,
         "schema": {"fields": _fields(ANSWER_COLUMNS), "primaryKey": ["answer_id"], "missingValues": [""],
                    "foreignKeys": [{"fields": ["task_id"],
                                     "reference": {"resource": "results", "fields": ["task_id"]}}]}},
        {"name": "results-geojson", "path": "results.geojson", "profile": "data-resource", "format": "geojson",
         "mediatype": "application/geo+json", "encoding": "utf-8", "title": "Results per task, on the map",
         "description": described["results.geojson"]},
        {"name": "results-geopackage", "path": "results.gpkg", "profile": "data-resource", "format": "gpkg",
         "mediatype": "application/geopackage+sqlite3", "title": "Results per task, as a GeoPackage",
         "description": described["results.gpkg"]},
        {"name": "methodology", "path": "README.md", "profile": "data-resource", "format": "md",
         "mediatype": "text/markdown", "encoding": "utf-8", "title": "Methodology",
         "description": described["README.md"]},
    ]
    spatial = results.spatial
    resources = [{**r, "path": saved_name(campaign, r["path"])} for r in resources
                 if spatial or r["path"] not in GEO_FILES]
    own = [{"name": name.rsplit(".", 1)[0].lower(), "path": name, "profile": "data-resource", "format": fmt,
            "mediatype": mediatype, "encoding": "utf-8", "title": name, "description": text}
           for name, text, mediatype, fmt in get_kind(campaign.kind).export_files(campaign.settings or {})
           + [(f.name, f.description(), f.mediatype, f.format) for f in extra.of(campaign)]]
    return {
        "profile": "data-package",
        "name": name,
        "id": page,
        "title": campaign.title,
        "description": (campaign.summary or campaign.title) + f" Methodology: {saved_name(campaign, 'README.md')}.",
        "homepage": page,
        "version": version.tag,
        "created": iso(datetime.now(timezone.utc)),
        "keywords": ["citizen science", "crowdsourcing", campaign.kind],
        "licenses": [licence(campaign.licence)],
        "contributors": [{"title": campaign.organisation.name, "role": "publisher"}],
        "sources": [{"title": f"citizen campaign {campaign.slug}", "path": f"{base_url}/campaigns/{campaign.slug}"}],
        "resources": resources + [{**r, "path": saved_name(campaign, r["path"])} for r in own],
    }

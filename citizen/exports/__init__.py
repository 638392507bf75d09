"""Open data for journalists and researchers: a campaign's results and raw answers as files.

- rows: which campaigns' data a person may read, the data version (ETag / Last-Modified), and the
  rows of every file read from the database in batches (keyset pagination: constant memory).
- csv_export: results.csv and answers.csv, streamed.
- geo: results.geojson (streamed) and results.gpkg (built in a job, cached on disk until the data changes).
- datapackage: datapackage.json (Frictionless Data Package) describing every file.
- methodology: README.md, generated from the campaign's settings and quality report.
- views: /data/ and /data/<slug>/..., and the `flask exports build` command.

Nothing personal is ever written: contributors appear only as a pseudonym per campaign
(citizen.accounts.signatures.pseudonym); no e-mail, IP address, account id or device signature is read
by the queries here.
"""


def init_app(app):
    """Plug open data in (called by create_app): /data/ and `flask exports build` (the blueprint's commands), and
    the GeoPackage job (and the influence job that jobs queued before citizen.campaigns.builds still name)."""
    from citizen.exports import geo, views
    from citizen.jobs import services as jobs
    app.register_blueprint(views.bp)
    jobs.register(geo.GPKG_JOB, geo.geopackage_job)
    jobs.register(geo.INFLUENCE_JOB, geo.influence_job)

"""Where files live: one storage interface (citizen.storage.backends.Storage) for every file citizen keeps.

Four areas, each a store of its own:

- `media_store()`: what /media/ serves: campaigns' photos, rendered PDF pages, PDFs, blurred copies, the demo's images
  (keys as in the URL after /media/: "campaigns/<id>/<32 hex>.jpg", "demo/rooftops-000.jpg").
- `exports_store()`: built files: GeoPackages and quality builds ("<campaign id>/results-<tag>.gpkg", "<id>/quality.json").
- `uploads_store()`: the organiser's preview stash ("<campaign id>/<token>__<name>"), until the import is confirmed
  (swept after UPLOADS_KEEP_HOURS).
- `private_store()`: files kept for good but never served under /media/: volunteers' photos of field sites, shown to
  the campaign's staff by the field kind's own route ("field/<campaign id>/<32 hex>.jpg"), and their chunks while
  they upload ("field-parts/<upload>/<n>").

Backends (configuration, or CITIZEN_* environment variables):

- STORAGE_URL empty (the default): the local folders MEDIA_FOLDER, EXPORTS_FOLDER, UPLOADS_FOLDER and PRIVATE_FOLDER
  (default <instance>/media, <instance>/exports, <instance>/uploads, <instance>/private).
- STORAGE_URL = "s3://bucket/prefix": an S3-compatible object store (MinIO, Garage, SeaweedFS, AWS); the areas
  are "<prefix>/media/", "<prefix>/exports/", "<prefix>/uploads/" and "<prefix>/private/" in the bucket. STORAGE_ENDPOINT
  (http://minio:9000), STORAGE_REGION, STORAGE_ACCESS_KEY and STORAGE_SECRET_KEY (empty: boto3's own chain,
  AWS_ACCESS_KEY_ID...), STORAGE_PUBLIC_ENDPOINT (the store's address as browsers reach it, for presigned URLs).

Every web server and worker of a deployment names the same store, so a file written through one is there for all.
"""
from flask import current_app, redirect, send_file

from citizen.storage.backends import LocalStorage, S3Storage, Stat, Storage, valid_key  # noqa: F401

AREAS = ("media", "exports", "uploads", "private")


def area(name, app=None):
    """The store of one area (see the module's note) for this app's configuration."""
    app = app or current_app
    cfg = app.config
    url = (cfg.get("STORAGE_URL") or "").strip()
    if url.startswith("s3://"):
        bucket, _, prefix = url[len("s3://"):].partition("/")
        prefix = "/".join(p for p in (prefix.strip("/"), name) if p)
        return S3Storage(bucket, prefix, endpoint=cfg.get("STORAGE_ENDPOINT"), region=cfg.get("STORAGE_REGION"),
                         access_key=cfg.get("STORAGE_ACCESS_KEY"), secret_key=cfg.get("STORAGE_SECRET_KEY"),
                         public_endpoint=cfg.get("STORAGE_PUBLIC_ENDPOINT"))
    if url and url not in ("file:", "local"):
        raise ValueError(f"STORAGE_URL must be empty or s3://bucket/prefix, not {url!r}")
    import os
    folders = {"media": cfg.get("MEDIA_FOLDER") or os.path.join(app.instance_path, "media"),
               "exports": cfg.get("EXPORTS_FOLDER") or os.path.join(app.instance_path, "exports"),
               "uploads": cfg.get("UPLOADS_FOLDER") or os.path.join(app.instance_path, "uploads"),
               "private": cfg.get("PRIVATE_FOLDER") or os.path.join(app.instance_path, "private")}
    return LocalStorage(folders[name])


def media_store(app=None):
    return area("media", app)


def exports_store(app=None):
    return area("exports", app)


def uploads_store(app=None):
    return area("uploads", app)


def private_store(app=None):
    return area("private", app)


def send(store, key, mimetype, *, as_attachment=False, download_name=None, max_age=None, etag=None,
         last_modified=None, redirect_seconds=None):
    """A response with the stored file `key`, for a caller that has already decided the visitor may have it.

    The local folder: send_file of the file's path, as always (conditional, ranges). An object store: with
    `redirect_seconds`, a 302 to a presigned URL valid that long (never cached: the next request asks again);
    otherwise the object streamed through the app, with its size, tag and date for conditional requests (whole:
    no ranges).
    Returns None when the file is not there."""
    path = store.local_path(key)
    name = download_name or key.rsplit("/", 1)[-1]
    if path is not None:
        return send_file(path, mimetype=mimetype, as_attachment=as_attachment, download_name=name,
                         conditional=True, etag=etag if etag is not None else True, max_age=max_age,
                         last_modified=last_modified)
    if redirect_seconds:
        url = store.url_for(key, redirect_seconds, content_type=mimetype,
                            download_name=name if as_attachment else None)
        if url is not None:
            response = redirect(url, code=302)
            response.cache_control.no_store = True
            return response
    stat = store.stat(key)
    body = store.open(key) if stat is not None else None
    if body is None:
        return None
    response = send_file(body, mimetype=mimetype, as_attachment=as_attachment, download_name=name,
                         conditional=True, etag=etag if etag is not None else stat.tag.strip('"'), max_age=max_age,
                         last_modified=last_modified or stat.modified)
    if response.status_code == 200:  # a body without a length werkzeug can see: ranges are not offered
        response.content_length = stat.size
    return response

"""Offline use of the work pages: the web app manifest and the service worker, both served from the site's root.

The worker (citizen/static/js/sw.js, Workbox vendored under static/vendor/workbox/) keeps the work pages, static
files, the field kind's site lists and map tiles for offline use; answers made offline wait in the page's queue
(static/js/queue.js), which the page itself sends: the worker never caches or replays a write.
"""


def init_app(app):
    """Plug offline use in (called by create_app): /manifest.webmanifest and /sw.js."""
    from citizen.offline import views
    app.register_blueprint(views.bp)

"""/manifest.webmanifest and /sw.js: they must sit at the root, where a service worker's scope covers /campaigns/."""
import os

from flask import Blueprint, current_app, jsonify, send_from_directory, url_for

bp = Blueprint("offline", __name__)

THEME_COLOUR = "#0b5d3b"  # --brand in static/css/site.css
# The worker's own policy (a worker runs under the CSP its script was served with, not the page's): it may load
# the vendored Workbox modules and fetch from this site only. Without it, the JavaScript default (default-src
# 'none') would refuse its importScripts and every fetch it makes.
WORKER_POLICY = "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self'"


@bp.get("/manifest.webmanifest")
def manifest():
    """What a phone needs to install the site as an app (name, icons, where it starts)."""
    icons = [{"src": url_for("static", filename=f"img/icon-{size}.png"), "sizes": f"{size}x{size}",
              "type": "image/png", "purpose": "any maskable"} for size in (192, 512)]
    response = jsonify({"name": "citizen", "short_name": "citizen", "start_url": "/", "scope": "/",
                        "display": "standalone", "background_color": "#f6f7f8", "theme_color": THEME_COLOUR,
                        "icons": icons})
    response.mimetype = "application/manifest+json"
    response.cache_control.max_age = 86400
    return response


@bp.get("/sw.js")
def service_worker():
    """The service worker, from the root so its scope is the whole site; never kept by the HTTP cache, so a new
    version reaches browsers at their next visit."""
    response = send_from_directory(os.path.join(current_app.static_folder, "js"), "sw.js",
                                   mimetype="application/javascript", max_age=0, conditional=True)
    response.cache_control.no_cache = True
    response.headers["Content-Security-Policy"] = WORKER_POLICY
    return response

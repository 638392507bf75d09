"""Markdown to HTML, sanitised with bleach: organisers' texts, and what anyone writes in a discussion."""
import re

import bleach
import markdown as md
from markdown_it import MarkdownIt

TAGS = ["p", "br", "a", "ul", "ol", "li", "strong", "em", "h2", "h3", "h4", "blockquote", "code", "pre", "hr"]
ATTRS = {"a": ["href", "title", "rel"]}
_NO_SOURCE = re.compile(r"<img(?: alt=\"[^\"<>]*\")?/?>")  # bleach's output: attributes quoted, < > escaped


def render_markdown(text, images=()):
    """Markdown written by organisers, to safe HTML (see _clean); images only from the addresses in `images` (a
    field guide's examples: the campaign's own uploads)."""
    return _clean(md.markdown(text or "", extensions=["sane_lists"]), images)


# Markdown anyone may write (discussion posts): markdown-it's CommonMark parser, whose time grows about linearly with
# the text (Python-Markdown takes seconds on a few thousand nested "["), with raw HTML left as text.
_ANYONE = MarkdownIt("commonmark", {"html": False})


def render_untrusted(text, images=()):
    """Markdown anyone may write, to safe HTML (see _clean); no images but the addresses in `images` (a discussion
    post may show its task's own picture, nothing else: an image from anywhere else would tell its server who reads
    the thread)."""
    return _clean(_ANYONE.render(text or ""), images).strip()


def _clean(html, images=()):
    """No script, no style, no raw HTML, links http(s) and mailto only (rel nofollow), images only from `images`."""
    tags, attrs = TAGS, ATTRS
    if images:
        allowed = frozenset(images)
        tags = TAGS + ["img"]
        attrs = {**ATTRS, "img": lambda _tag, name, value: name == "alt" or (name == "src" and value in allowed)}
    clean = bleach.clean(html, tags=tags, attributes=attrs, protocols=["http", "https", "mailto"], strip=True)
    if images:
        clean = _NO_SOURCE.sub("", clean)  # an image whose address was not allowed keeps nothing
    return bleach.linkify(clean, callbacks=[bleach.callbacks.nofollow])


def clean_attribution(text):
    """An imagery credit as map libraries show it: Leaflet and folium put it in the page as HTML, so only
    links (http, https) stay markup; any other tag is dropped and the rest is escaped text."""
    return bleach.clean(text or "", tags=["a"], attributes={"a": ["href", "title"]}, protocols=["http", "https"],
                        strip=True)

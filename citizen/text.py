"""Organiser-written Markdown, rendered and sanitised with bleach."""
import bleach
import markdown as md

TAGS = ["p", "br", "a", "ul", "ol", "li", "strong", "em", "h2", "h3", "h4", "blockquote", "code", "pre", "hr"]
ATTRS = {"a": ["href", "title", "rel"]}


def render_markdown(text):
    html = md.markdown(text or "", extensions=["sane_lists"])
    clean = bleach.clean(html, tags=TAGS, attributes=ATTRS, protocols=["http", "https", "mailto"], strip=True)
    return bleach.linkify(clean, callbacks=[bleach.callbacks.nofollow])


def clean_attribution(text):
    """An imagery credit as map libraries show it: Leaflet and folium put it in the page as HTML, so only
    links (http, https) stay markup; any other tag is dropped and the rest is escaped text."""
    return bleach.clean(text or "", tags=["a"], attributes={"a": ["href", "title"]}, protocols=["http", "https"],
                        strip=True)

"""Organiser-written Markdown, rendered and sanitised with bleach."""
import bleach
import markdown as md

TAGS = ["p", "br", "a", "ul", "ol", "li", "strong", "em", "h2", "h3", "h4", "blockquote", "code", "pre", "hr"]
ATTRS = {"a": ["href", "title", "rel"]}


def render_markdown(text):
    html = md.markdown(text or "", extensions=["sane_lists"])
    clean = bleach.clean(html, tags=TAGS, attributes=ATTRS, protocols=["http", "https", "mailto"], strip=True)
    return bleach.linkify(clean, callbacks=[bleach.callbacks.nofollow])

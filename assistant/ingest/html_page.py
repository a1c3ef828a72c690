"""Saved HTML pages: the article's readable text (markup, and what a reader does not see — hidden elements, comments,
scripts, styles, templates — dropped), its <title>, and the date, source, author and url its <meta> tags give."""

from __future__ import annotations

import html
import re
from pathlib import Path

from ..errors import InputError
from ..types import Document
from .documents import make_document

# declarations that hide an element: not shown, transparent, no size, pushed off the screen, clipped to nothing
HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse)|font-size\s*:\s*(?:0|1px|0?\.\d+(?:px|pt|em|rem))\b|"
    r"font-size\s*:\s*0(?![.\d]*[1-9])|opacity\s*:\s*0(?![.\d]*[1-9])|"
    r"(?:left|top|right|text-indent|margin-left|margin-top)\s*:\s*-\d{3,}|"
    r"(?<![-\w])(?:width|height|max-width|max-height)\s*:\s*(?:0|1px)\b[^;]*;?[^}\"]*overflow\s*:\s*hidden|"
    r"overflow\s*:\s*hidden[^}\"]*(?<![-\w])(?:width|height)\s*:\s*(?:0|1px)\b|"
    r"clip\s*:\s*rect\(\s*0[^)]*\)|clip-path\s*:\s*inset\(\s*50%|transform\s*:\s*scale\(\s*0\s*\)",
    re.I,
)
# class names that hide by convention (Bootstrap, Tailwind, WordPress, ...), even when their CSS is not in the page
HIDDEN_CLASSES = {
    "hidden", "hide", "d-none", "invisible", "sr-only", "visually-hidden", "visuallyhidden", "screen-reader-text",
    "screen-reader-only", "offscreen", "off-screen", "is-hidden", "u-hidden", "element-invisible",
}  # fmt: skip
COLOR = re.compile(r"(?<![-\w])(color|background-color|background)\s*:\s*([^;\"}]+)", re.I)
WHITE = {"#fff", "#ffffff", "white", "rgb(255,255,255)", "#fefefe", "snow"}


def html_document(path: Path, text: str) -> Document:
    from selectolax.lexbor import LexborHTMLParser  # selectolax>=1.0 removed the old (Modest) HTMLParser

    tree = LexborHTMLParser(text)
    drop_hidden(tree)
    title_node = tree.css_first("title") or tree.css_first("h1")
    title = title_node.text(strip=True) if title_node else path.stem
    meta = html_metadata(tree)
    for selector in ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "template"):
        for node in tree.css(selector):
            node.decompose()
    root = tree.css_first("article") or tree.body or tree.root
    if root is None:
        raise InputError(f"{path}: the HTML page has no readable text; check it is an article page")
    blocks = [node.text(separator=" ", strip=True) for node in root.css("h1, h2, h3, h4, p, li, blockquote, pre")]
    body = "\n".join(b for b in blocks if b) or (root.text(separator="\n", strip=True) if root else "")
    if not body.strip():
        raise InputError(f"{path}: the HTML page has no readable text; check it is an article page")
    return make_document(path, meta.pop("title", "") or title, body, meta)


def hides(style: str) -> bool:
    """Does this CSS (an inline style, or a rule's declarations) hide its element from a reader? Not shown, zero
    or 1 px in size, transparent, off-screen, clipped away, or text the colour of its background."""
    if HIDDEN_STYLE.search(style):
        return True
    colors = {k.lower(): _color(v) for k, v in COLOR.findall(style)}
    text = colors.get("color")
    back = colors.get("background-color") or colors.get("background")
    return text is not None and (text == back or (back is None and text == "#ffffff") or text == "transparent")


def _color(value: str) -> str:
    """A CSS colour in one spelling: '#FFF', 'white', 'rgb(255, 255, 255)' → '#ffffff' (the rest lower-cased)."""
    value = "".join(value.replace("!important", "").split()).lower()
    if re.fullmatch(r"#[0-9a-f]{3}", value):
        value = "#" + "".join(c * 2 for c in value[1:])
    return "#ffffff" if value in WHITE else value


def hidden_selectors(tree) -> list[str]:
    """Selectors of the page's own <style> rules whose declarations hide (``.update{display:none}``): simple ones
    (a class, an id, a tag with a class), as a selector engine reads them."""
    found: list[str] = []
    for node in tree.css("style"):
        css = re.sub(r"/\*.*?\*/", "", node.text() or "", flags=re.S)
        for selectors, body in re.findall(r"([^{}@]+)\{([^{}]*)\}", css):
            if hides(body):
                found.extend(s.strip() for s in selectors.split(",") if re.fullmatch(r"[\w.#\- >]+", s.strip()))
    return found


def drop_hidden(tree) -> None:
    """Remove what a browser does not show: comments, hidden elements (``hidden``, ``aria-hidden="true"``, inline
    styles that hide — ``display:none``, ``visibility:hidden``, zero or 1 px, zero opacity, off-screen, clipped,
    white on white —, rules of the page's <style> that hide, classes that hide by convention), scripts, styles and
    templates."""
    for selector in hidden_selectors(tree):
        try:
            nodes = tree.css(selector)
        except Exception:  # a selector the engine does not read: nothing to drop for it
            continue
        for node in nodes:
            if node.tag not in ("html", "body", "article", "main"):
                node.decompose()
    for node in tree.css("[class]"):
        if HIDDEN_CLASSES & set((node.attributes.get("class") or "").lower().split()):
            node.decompose()
    for node in tree.css("script, style, template, noscript, [hidden], [aria-hidden]"):
        if (
            node.tag in ("script", "style", "template", "noscript")
            or "hidden" in node.attributes
            or (node.attributes.get("aria-hidden") or "").strip().lower() == "true"
        ):
            node.decompose()
    for node in tree.css("[style]"):
        if hides(node.attributes.get("style") or ""):
            node.decompose()
    root = tree.root
    if root is not None:
        comments = [node for node in root.traverse(include_text=False) if node.tag == "_comment"]
        for node in comments:
            node.decompose()


HTML_META = {  # our key: the <meta> property/name/itemprop values that hold it, first found wins
    "published_at": (
        "article:published_time",
        "og:published_time",
        "datePublished",
        "date",
        "pubdate",
        "publish-date",
        "dc.date",
        "dcterms.created",
        "sailthru.date",
        "parsely-pub-date",
    ),
    "source": ("og:site_name", "application-name"),
    "author": ("author", "article:author"),
    "url": ("og:url",),
    "title": ("og:title",),
}


def html_metadata(tree) -> dict[str, str]:
    """Date, source, author, url and title from a saved article page's <meta> tags (Open Graph, schema.org, Dublin
    Core), a <time datetime> element and the canonical link; only keys that were found."""
    found: dict[str, str] = {}
    tags: dict[str, str] = {}
    for node in tree.css("meta"):
        attrs = node.attributes
        key = (attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or "").strip().lower()
        content = (attrs.get("content") or "").strip()
        if key and content:
            tags.setdefault(key, content)
    for ours, names in HTML_META.items():
        value = next((tags[n.lower()] for n in names if n.lower() in tags), "")
        if value:
            found[ours] = html.unescape(value)
    if "published_at" not in found:
        node = tree.css_first("time[datetime]")
        if node is not None and (node.attributes.get("datetime") or "").strip():
            found["published_at"] = node.attributes["datetime"].strip()
    if "url" not in found:
        node = tree.css_first('link[rel="canonical"]')
        if node is not None and (node.attributes.get("href") or "").startswith("http"):
            found["url"] = node.attributes["href"].strip()
    return found

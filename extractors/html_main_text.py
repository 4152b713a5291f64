"""Main text of an HTML page: boilerplate pruning, trafilatura, a readability-style fallback.

The tree handed in already has footnote references replaced by placeholder
tokens (see :mod:`.html_footnotes`); tokens are plain text, so they survive
every step here and are mapped back to markers by the caller.
"""

from __future__ import annotations

import bisect
import logging
import re

from lxml import etree

log = logging.getLogger(__name__)

# Tags never part of the main text.
DROP_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "button", "select",
             "textarea", "input", "dialog", "object", "embed", "canvas", "map", "nav")
# Tags dropped unless they hold most of the page's text.
BOILERPLATE_TAGS = {"aside", "footer", "menu"}
BOILERPLATE_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "dialog",
                     "alertdialog", "menu", "menubar", "tablist"}
_BOILER_TOKENS = (
    r"cookies?|cookie-?(banner|notice|consent|bar|policy)|consent|gdpr|cmp|onetrust|"
    r"newsletters?|subscribe|subscription|signup|sign-up|"
    r"related|recommended|recommendations?|more-stories|read-more|readmore|read-next|"
    r"most-(read|popular|viewed)|popular|trending|outbrain|taboola|"
    r"share|sharing|share-?bar|social|social-?(links|share|media)|sharethis|addthis|"
    r"comments?|comment-?(list|section|form|thread)|disqus|respond|discussion|"
    r"breadcrumbs?|sidebar|side-bar|widget|promo|advert|advertisement|ads?|ad-?(slot|unit|container|wrapper)|"
    r"sponsored|sponsor|paywall|modal|popup|overlay|skip-?link|"
    r"site-?(header|footer|nav)|navbar|menu|topnav|footer|masthead|tags|tag-?list|author-?bio|"
    r"editsection|noprint|infobox|navbox|catlinks|jump-?link|hatnote|toc|mw-jump-link"
)
_BOILER_RE = re.compile(rf"(?:^|[\s_-])(?:{_BOILER_TOKENS})(?:$|[\s_-])", re.IGNORECASE)
_HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_BOILER_PARA_RE = re.compile(
    r"^(advertisement|advertisment|anzeige|sponsored( content)?|share( this)?( article| story| page)?( on \w+)?|"
    r"read more|read next|related( articles| stories| content)?|more on this( story)?|"
    r"sign up\b.*|subscribe\b.*|follow us\b.*|click here\b.*|skip to (main )?content|"
    r"(leave a |post a |add a )?comments?( \(\d+\))?|\d+ comments?|show comments|"
    r"(image|photo|picture|video)( credit| source)?\s*:.*|(getty images|afp|reuters|ap photo)( via getty images)?|"
    r"copyright\b.*|©.*|all rights reserved\.?|we use cookies\b.*|accept( all)?( cookies)?|"
    r"this site uses cookies\b.*|back to top|print|email|tweet|facebook|twitter|whatsapp|linkedin)\.?$",
    re.IGNORECASE,
)
BLOCK_TAGS = {"p", "head", "list", "item", "quote", "table", "row", "code", "div", "doc", "main", "body",
              "section", "note", "fw", "lg", "l", "article", "comments", "graphic"}
HTML_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dd", "dt",
               "figcaption", "tr", "td", "th", "caption"}


def prune(root: etree._Element) -> None:
    """Remove scripts, navigation, cookie banners, share bars, related links and comments.

    Class/id/role based removals are skipped for elements that hold more than
    half of the page's text (a wrapper named ``main-with-sidebar`` is not
    boilerplate), and never touch ``<article>``/``<main>`` themselves.
    """
    for el in list(root.iter(*DROP_TAGS)):
        _remove(el)
    body = root.find("body")
    scope = body if body is not None else root
    total = max(1, _text_len(scope))
    for el in list(scope.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None or el.tag in ("article", "main", "body"):
            continue
        if not _is_boilerplate(el):
            continue
        if _text_len(el) > total * 0.5:
            continue
        _remove(el)


def _is_boilerplate(el: etree._Element) -> bool:
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    style = el.get("style")
    if style and _HIDDEN_STYLE_RE.search(style):
        return True
    if el.tag in BOILERPLATE_TAGS:
        return True
    if (el.get("role") or "").lower() in BOILERPLATE_ROLES:
        return True
    names = f"{el.get('class') or ''} {el.get('id') or ''}".strip()
    return bool(names) and bool(_BOILER_RE.search(names))


def _text_len(el: etree._Element) -> int:
    return sum(len(t.strip()) for t in el.itertext())


def _remove(el: etree._Element) -> None:
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail and tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def trafilatura_paragraphs(root: etree._Element, url: str | None) -> list[str] | None:
    """Paragraphs trafilatura finds in ``root`` (headings, paragraphs, list items), or None."""
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(
            root, url=url, include_comments=False, include_tables=True, include_images=False,
            include_links=False, with_metadata=False, deduplicate=False,
        )
    except RecursionError:
        log.debug("trafilatura hit the recursion limit")
        return None
    if doc is None:
        return None
    body = doc.body if not isinstance(doc, dict) else doc.get("body")
    if body is None:
        return None
    paragraphs: list[str] = []
    _flatten(body, paragraphs)
    return [p for p in (" ".join(x.split()) for x in paragraphs) if p]


def _flatten(el: etree._Element, out: list[str]) -> None:
    """Collect paragraph strings from trafilatura's XML: each block is one paragraph."""
    buf = [el.text or ""]
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in BLOCK_TAGS:
            out.append("".join(buf))
            buf = []
            if tag == "row":
                out.append(" ".join(" ".join("".join(c.itertext()).split()) for c in child))
            else:
                _flatten(child, out)
        elif tag == "lb":
            buf.append(" ")
        else:
            buf.append("".join(child.itertext()))
        buf.append(child.tail or "")
    out.append("".join(buf))


def filter_boilerplate(paragraphs: list[str]) -> list[str]:
    """Drop short stand-alone boilerplate lines ("Advertisement", "Share this article")."""
    return [p for p in paragraphs if len(p) > 120 or not _BOILER_PARA_RE.match(p.strip())]


# --- readability-style fallback -------------------------------------------------

_POSITIVE_RE = re.compile(r"article|body|content|entry|main|page|post|story|text|blog|report", re.I)
_NEGATIVE_RE = re.compile(r"comment|meta|footer|footnote|sidebar|related|share|nav|menu|promo|widget|"
                          r"byline|author|caption|cookie|banner|teaser|ad-|sponsor|popup|hidden", re.I)


def _class_weight(el: etree._Element) -> int:
    names = f"{el.get('class') or ''} {el.get('id') or ''}"
    weight = 0
    if _NEGATIVE_RE.search(names):
        weight -= 25
    if _POSITIVE_RE.search(names):
        weight += 25
    return weight


def _link_density(el: etree._Element) -> float:
    total = _text_len(el)
    if not total:
        return 0.0
    links = sum(_text_len(a) for a in el.iter("a"))
    return links / total


def fallback_paragraphs(root: etree._Element) -> list[str]:
    """Readability-style extraction: score containers of paragraphs, keep the best one's blocks."""
    body = root.find("body")
    scope = body if body is not None else root
    scores: dict[etree._Element, float] = {}
    for p in scope.iter("p", "pre", "td", "blockquote", "li"):
        text = " ".join("".join(p.itertext()).split())
        if len(text) < 25:
            continue
        score = 1 + text.count(",") + min(len(text) // 100, 3)
        parent = p.getparent()
        for level, anc in enumerate((parent, parent.getparent() if parent is not None else None)):
            if anc is None or not isinstance(anc.tag, str):
                continue
            if anc not in scores:
                scores[anc] = float(_class_weight(anc))
            scores[anc] += score / (1 + level)
    if scores:
        best = max(scores, key=lambda el: scores[el] * (1 - _link_density(el)))
        container = best
        if best.getparent() is not None and best.tag in ("ul", "ol", "table", "tbody"):
            container = best.getparent()
    else:
        container = scope
    return _html_blocks(container)


def _html_blocks(container: etree._Element) -> list[str]:
    """Paragraph strings of an HTML subtree, one per block element (h1–h6, p, li …)."""
    out: list[str] = []
    buf: list[str] = []

    def walk(el: etree._Element) -> None:
        for child in el:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag in HTML_BLOCKS or tag in ("div", "section", "article", "ul", "ol", "table", "br",
                                             "header", "main", "figure", "dl", "tbody", "thead"):
                out.append("".join(buf))
                buf.clear()
                if tag in ("li", "dd", "dt", "td", "th") and any(
                    isinstance(c.tag, str) and c.tag in ("p", "ul", "ol", "div") for c in child
                ):
                    buf.append(child.text or "")
                    walk(child)
                elif tag in HTML_BLOCKS:
                    buf.append(child.text or "")
                    walk(child)
                else:
                    buf.append(child.text or "")
                    walk(child)
                out.append("".join(buf))
                buf.clear()
            else:
                buf.append(child.text or "")
                walk(child)
            buf.append(child.tail or "")

    buf.append(container.text or "")
    walk(container)
    out.append("".join(buf))
    return [p for p in (" ".join(x.split()) for x in out) if p]


# --- re-alignment with the source tree -------------------------------------------

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_LEAF_BLOCKS = _HEADINGS + ("p", "li", "pre", "blockquote", "dd", "dt", "figcaption")


def source_blocks(root: etree._Element) -> list[tuple[etree._Element, str]]:
    """Leaf block elements of the page in document order, with their normalized text."""
    body = root.find("body")
    scope = body if body is not None else root
    out = []
    for el in scope.iter(*_LEAF_BLOCKS):
        if el.tag not in _HEADINGS and next(el.iterdescendants(*_LEAF_BLOCKS), None) is not None:
            continue
        text = " ".join("".join(el.itertext()).split())
        if text:
            out.append((el, text))
    return out


def _key(text: str) -> str:
    return " ".join(text.split()).lower()[:80]


def realign(root: etree._Element, paragraphs: list[str], title: str | None = None) -> list[str]:
    """Put back headings and in-body paragraphs that trafilatura dropped.

    Each extracted paragraph is located among the page's leaf blocks. Inside
    the extracted span, a heading is restored when the blocks that follow it
    up to the next extracted paragraph are restored too; a ``<p>`` is restored
    when it sits in the same container as an extracted neighbour and is not a
    link list. A heading right before the first paragraph is restored unless
    it is the page's headline (kept in the metadata, not in the text).
    """
    blocks = source_blocks(root)
    if not blocks or not paragraphs:
        return paragraphs
    index: dict[str, list[int]] = {}
    for i, (_, text) in enumerate(blocks):
        index.setdefault(_key(text), []).append(i)
    matched: list[int | None] = []
    last = -1
    for para in paragraphs:
        found = None
        candidates = index.get(_key(para), [])
        pos = bisect.bisect_right(candidates, last)
        if pos < len(candidates):
            found = candidates[pos]
        matched.append(found)
        if found is not None:
            last = found
    out: list[str] = []
    prev: int | None = None
    title_key = _key(title or "")
    for para, m in zip(paragraphs, matched):
        if m is not None:
            start = prev + 1 if prev is not None else m - 1
            if prev is None:
                start = m
                while start > 0 and blocks[start - 1][0].tag in _HEADINGS:
                    start -= 1
            out.extend(_restore(blocks, start, m, prev, title_key))
            prev = m
        out.append(para)
    return out


def _same_words(a: str, b: str) -> bool:
    """Whether two strings share most of their words (a heading repeating the headline)."""
    wa, wb = set(re.findall(r"\w+", a.lower())), set(re.findall(r"\w+", b.lower()))
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) >= 0.5


def _restore(blocks: list, start: int, end: int, prev: int | None, title_key: str) -> list[str]:
    """Blocks in ``blocks[start:end]`` worth restoring (see :func:`realign`)."""
    if end - start > 40 or start >= end:
        return []
    neighbours = {blocks[end][0].getparent()}
    if prev is not None:
        neighbours.add(blocks[prev][0].getparent())
    keep = [False] * (end - start)
    for j in range(end - 1, start - 1, -1):
        el, text = blocks[j]
        if el.tag in _HEADINGS:
            following_ok = all(keep[k - start] or blocks[k][0].tag in _HEADINGS for k in range(j + 1, end))
            first_before = prev is None
            keep[j - start] = following_ok and len(text) <= 200 and not (
                first_before and _same_words(text, title_key)
            ) and not _BOILER_PARA_RE.match(text)
        elif el.tag == "p" and prev is not None:
            keep[j - start] = (
                el.getparent() in neighbours and len(text) >= 30 and _link_density(el) < 0.3
                and not _BOILER_PARA_RE.match(text)
            )
    return [blocks[j][1] for j in range(start, end) if keep[j - start]]


def main_paragraphs(root: etree._Element, url: str | None, use_trafilatura: bool = True,
                    title: str | None = None) -> tuple[list[str], str]:
    """The main text of the (pruned) tree as paragraphs, and the method used.

    trafilatura first, re-aligned with the page to restore dropped headings;
    the readability-style fallback when trafilatura finds nothing or very
    little.
    """
    paragraphs = trafilatura_paragraphs(root, url) if use_trafilatura else None
    method = "trafilatura"
    if paragraphs:
        paragraphs = realign(root, paragraphs, title)
    if not paragraphs or sum(map(len, paragraphs)) < 250:
        fallback = fallback_paragraphs(root)
        if sum(map(len, fallback)) > sum(map(len, paragraphs or [])):
            paragraphs, method = fallback, "fallback"
    paragraphs = filter_boilerplate(paragraphs or [])
    while paragraphs and title and _key(paragraphs[0]) == _key(title):
        paragraphs.pop(0)  # the headline is metadata, not body text
    return paragraphs, method

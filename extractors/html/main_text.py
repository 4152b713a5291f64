"""Main text of an HTML page: boilerplate pruning, trafilatura, a readability-style fallback.

The tree handed in already has footnote references replaced by placeholder
tokens (see :mod:`.html_footnotes`); tokens are plain text, so they survive
every step here and are mapped back to markers by the caller.
"""

from __future__ import annotations

import bisect
import copy
import functools
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
    r"editsection|noprint|navbox|catlinks|jump-?link|hatnote|toc|mw-jump-link"
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
    """Remove scripts, hidden elements, navigation, cookie banners, share bars, related links, comments.

    Class/id/role based removals are skipped for elements that hold more than
    half of the page's text (a wrapper named ``main-with-sidebar`` is not
    boilerplate), and never touch ``<article>``/``<main>`` themselves.
    """
    drop_hidden(root)
    remove_boilerplate(root)


def drop_hidden(root: etree._Element) -> None:
    """Remove scripts, forms controls, navigation and hidden elements (never shown to a reader)."""
    for el in list(root.iter(*DROP_TAGS)):
        _remove(el)
    for el in list(_HIDDEN_CANDIDATES(root)):
        if _is_hidden(el):
            _remove(el)


def boilerplate_elements(root: etree._Element) -> list[etree._Element]:
    """The outermost elements :func:`remove_boilerplate` would remove, in document order."""
    body = root.find("body")
    scope = body if body is not None else root
    total = max(1, _text_len(scope))
    removed: list[etree._Element] = []
    gone: set[etree._Element] = set()
    for el in _PRUNE_CANDIDATES(scope):  # document order: outer elements first
        if el.tag in _PROTECTED or not _is_boilerplate(el):
            continue
        if gone and any(anc in gone for anc in el.iterancestors()):
            continue  # already gone with an enclosing element
        size = _text_len(el)
        if size <= 0.5 * total and not _reads_as_article(el, size):
            removed.append(el)
            gone.add(el)
    return removed


def remove_boilerplate(root: etree._Element, elements: list[etree._Element] | None = None) -> None:
    """Remove the boilerplate elements (``elements`` if already found by :func:`boilerplate_elements`)."""
    for el in boilerplate_elements(root) if elements is None else elements:
        _remove(el)


_PROSE_PARAGRAPHS = etree.XPath("descendant-or-self::p[string-length(normalize-space(.)) >= 40]")


def removed_prose(elements: list[etree._Element]) -> int:
    """Characters of prose inside ``elements``: paragraphs of 40 characters or more that are
    mostly not links (what an article is made of, unlike menus and link lists)."""
    total = 0
    for el in elements:
        for p in _PROSE_PARAGRAPHS(el):
            if link_density(p) < 0.3:
                total += _text_len(p)
    return total


# class/id words that name a part of the page which is never the article, however long
_ALWAYS_BOILER_RE = re.compile(r"comment|disqus|respond|discussion|cookie|consent|footer|sidebar", re.I)
_INLINE_TAGS = {"a", "span", "em", "strong", "b", "i", "u", "sup", "sub", "small", "abbr", "cite", "code",
                "font", "label", "mark", "q", "s", "time", "var", "kbd", "samp", "dfn", "bdi", "bdo"}
_LONG_PARAGRAPHS = etree.XPath("count(.//p[string-length(normalize-space(.)) >= 150])")


def _reads_as_article(el: etree._Element, size: int) -> bool:
    """A long run of prose named like boilerplate ("read-more" holding the rest of a story,
    a section whose id is the slug of "Sharing with a developer", an article in a "modal"),
    or an inline element (a link classed "popup" inside a sentence): text, not boilerplate.

    Only class/id matches are spared; hidden elements, ``aside``/``footer`` and landmark roles are not.
    """
    if el.tag in BOILERPLATE_TAGS or (el.get("role") or "").lower() in BOILERPLATE_ROLES:
        return False
    if el.tag in _INLINE_TAGS:
        # a phrase of a sentence (a link classed "popup"), not a short control ("[edit]")
        # ... or the whole text of its heading (a heading that is a link classed "toc-backref")
        block = next(el.iterancestors("p", "blockquote", *_HEADINGS), None)
        return block is not None and (_text_len(block) >= size + 40 if block.tag in ("p", "blockquote")
                                      else _text_len(block) <= size + 2)
    if _section_anchor(el):
        return True
    names = f"{el.get('class') or ''} {el.get('id') or ''}"
    if size < 1500 or _ALWAYS_BOILER_RE.search(names):
        return False
    return link_density(el) < 0.2 and _LONG_PARAGRAPHS(el) >= 3


_FIRST_HEADING = etree.XPath("(descendant::*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5"
                             " or self::h6])[1]")


def _section_anchor(el: etree._Element) -> bool:
    """Whether ``el``'s id is the slug of its first heading (``id="sharing-with-a-developer"``
    on the section headed "Sharing with a developer", as documentation generators write)."""
    ident = el.get("id")
    if not ident or ident.count("-") + ident.count("_") < 2:
        return False
    heading = _FIRST_HEADING(el)
    if not heading:
        return False
    slug = _WORD_RE.findall(ident.lower())
    words = _WORD_RE.findall(" ".join(heading[0].itertext()).lower().replace("_", " "))
    slug = [w for part in slug for w in part.split("_") if w]
    return len(slug) >= 3 and words[: len(slug)] == slug


_HIDDEN_CANDIDATES = etree.XPath("descendant::*[@style or @hidden or @aria-hidden]")


def _is_hidden(el: etree._Element) -> bool:
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    style = el.get("style")
    return bool(style and _HIDDEN_STYLE_RE.search(style))


# elements _is_boilerplate can say yes to, selected by libxml2 rather than a Python walk
_PRUNE_CANDIDATES = etree.XPath(
    "descendant::*[@class or @id or @role or @style or @hidden or @aria-hidden or self::aside or self::footer"
    " or self::menu]"
)
_PROTECTED = {"article", "main", "body"}


def _is_boilerplate(el: etree._Element) -> bool:
    if _is_hidden(el):
        return True
    if el.tag in BOILERPLATE_TAGS:
        return True
    if (el.get("role") or "").lower() in BOILERPLATE_ROLES:
        return True
    names = f"{el.get('class') or ''} {el.get('id') or ''}".strip()
    return bool(names) and _boilerplate_names(names)


@functools.lru_cache(maxsize=4096)
def _boilerplate_names(names: str) -> bool:
    """Whether a class/id string names boilerplate (cached: pages repeat their class names)."""
    return _BOILER_RE.search(names) is not None


_TEXT_LEN = etree.XPath("string-length(normalize-space(.))")


def _text_len(el: etree._Element) -> int:
    """Characters of text in ``el``, whitespace runs counted once (computed by libxml2)."""
    return int(_TEXT_LEN(el))


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


_TRAFILATURA_OPTIONS = None


def _trafilatura_options(url: str | None):
    """trafilatura's settings object, built once (XML output: no text rendering we would not use)."""
    global _TRAFILATURA_OPTIONS
    from trafilatura.settings import Extractor as Options

    if _TRAFILATURA_OPTIONS is None:
        _TRAFILATURA_OPTIONS = Options(output_format="xml", comments=False, tables=True, images=False,
                                       links=False, dedup=False, with_metadata=False)
    options = copy.copy(_TRAFILATURA_OPTIONS)
    options.url = options.source = url
    return options


def trafilatura_paragraphs(root: etree._Element, url: str | None) -> list[str] | None:
    """Paragraphs trafilatura finds in ``root`` (headings, paragraphs, list items), or None."""
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(root, url=url, options=_trafilatura_options(url))
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
_LEAF_BLOCKS = _HEADINGS + ("p", "li", "pre", "blockquote", "dd", "dt", "figcaption", "tr")
# blocks that may be restored as body text when trafilatura dropped them
_TEXT_BLOCKS = {"p", "li", "pre", "blockquote", "dd", "dt", "tr"}
_LISTS = ("ul", "ol", "dl")
# largest run of unextracted blocks worth restoring between two extracted ones
MAX_GAP = 80


def source_blocks(root: etree._Element) -> list[tuple[etree._Element, str]]:
    """Leaf block elements of the page in document order, with their normalized text.

    A table row counts as one block (its cells joined by spaces, as trafilatura
    renders rows) unless its cells hold blocks of their own.
    """
    body = root.find("body")
    scope = body if body is not None else root
    out = []
    for el in scope.iter(*_LEAF_BLOCKS):
        if el.tag not in _HEADINGS and next(el.iterdescendants(*_LEAF_BLOCKS), None) is not None:
            continue
        if el.tag == "tr":
            text = " ".join(" ".join("".join(c.itertext()).split()) for c in el if isinstance(c.tag, str))
            text = " ".join(text.split())
        elif el.find(".//br") is not None:
            text = _text_with_breaks(el)
        else:
            text = _NORMALIZED_TEXT(el)  # XML whitespace only: Unicode spaces are collapsed below
            if not text.isascii():
                text = " ".join(text.split())
        if text:
            out.append((el, text))
    return out


_NORMALIZED_TEXT = etree.XPath("normalize-space(.)")


def _text_with_breaks(el: etree._Element) -> str:
    """Normalized text of ``el`` with a space for every ``<br>``, as trafilatura renders line breaks
    ("hello.wasm<br>$ wasmer" is two words, not "hello.wasm$"): else the block matches no
    extracted paragraph and is put back a second time."""
    out: list[str] = []

    def walk(node: etree._Element) -> None:
        out.append(node.text or "")
        for child in node:
            if child.tag == "br":
                out.append(" ")
            elif isinstance(child.tag, str):
                walk(child)
            out.append(child.tail or "")

    walk(el)
    return " ".join("".join(out).split())


def _key(text: str) -> str:
    """Matching key of an already whitespace-normalized block or paragraph."""
    return text[:80].lower()


def _main_container(blocks: list, matched: list[int | None]) -> etree._Element | None:
    """The deepest element holding at least 80 % of the extracted text (the article body)."""
    weight: dict[etree._Element, int] = {}
    depth: dict[etree._Element, int] = {}
    total = 0
    for m in matched:
        if m is None:
            continue
        el, text = blocks[m]
        total += len(text)
        ancestors = list(el.iterancestors())
        for d, anc in enumerate(reversed(ancestors)):
            weight[anc] = weight.get(anc, 0) + len(text)
            depth[anc] = d
    if not total:
        return None
    best = [anc for anc, w in weight.items() if w >= 0.8 * total]
    return max(best, key=depth.__getitem__) if best else None


def realign(root: etree._Element, paragraphs: list[str], title: str | None = None) -> list[str]:
    """Put back headings, paragraphs, list items and rows that trafilatura dropped.

    Each extracted paragraph is located among the page's leaf blocks, and the
    main content container is the deepest element holding most of the matched
    text. Between two extracted paragraphs, an unextracted block inside that
    container is restored when it reads as text (see :meth:`_Restorer.restorable`); a
    heading when the blocks that follow it up to the next extracted paragraph
    are restored too. A heading right before the first paragraph is restored
    unless it is the page's headline (kept in the metadata, not in the text).

    trafilatura drops whole lists when a page has no recognisable article
    container (its wild-text recovery only looks at ``<p>``, ``<pre>``,
    ``<blockquote>`` and tables), and drops link-bearing lists by link
    density; both are undone here.
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
    container = _main_container(blocks, matched)
    restorer = _Restorer(blocks, container, _key(" ".join((title or "").split())))
    # Text a matched paragraph owes to its own source block is accounted for: only what trafilatura
    # merged in from elsewhere can hold a dropped block (a paragraph the page really repeats comes back).
    extracted = _Extracted([(para, blocks[m][1] if m is not None else None) for para, m in zip(paragraphs, matched)])
    last_para = ""
    out: list[str] = []
    prev: int | None = None
    for para, m in zip(paragraphs, matched):
        if m is not None:
            if prev is None:
                start = m
                while start > 0 and blocks[start - 1][0].tag in _HEADINGS:
                    start -= 1
            else:
                start = prev + 1
            near = (last_para, para)
            out.extend(b for b in restorer.restore(start, m, prev) if not extracted.holds(b, near))
            prev = m
        out.append(para)
        last_para = para
    return out


_WORD_RE = re.compile(r"\w+")


class _Extracted:
    """Tells a block trafilatura dropped from one it merged into another paragraph.

    trafilatura joins blocks (a ``<p>`` and the ``<pre>`` after it, cells, ``<br>`` runs) into
    one paragraph whose key then matches no source block; restoring those blocks would repeat
    their text. A block is held when half of its word 4-grams occur in the extracted text (on
    the development set, 80 % or only the neighbouring paragraphs let most repeats through);
    a short block (under four words) only when the paragraph before it ends with its words or
    the one after it begins with them (``near``): where a merge puts it. A heading "January
    1989" before "On 26 January 1989 …" is not held.
    """

    def __init__(self, paragraphs: list[tuple[str, str | None]]) -> None:
        self.paragraphs = paragraphs  # (extracted paragraph, text of the source block it matched or None)
        self._grams: set[tuple[str, ...]] | None = None

    def holds(self, text: str, near: tuple[str, str]) -> bool:
        words = _WORD_RE.findall(text.lower())
        if len(words) < 4:
            before, after = (_WORD_RE.findall(p.lower()) for p in near)
            return bool(words) and (before[-len(words):] == words or after[: len(words)] == words)
        if self._grams is None:
            self._grams = set()
            for para, source in self.paragraphs:
                self._grams |= _grams([para]) - (_grams([source]) if source is not None else set())
        grams = list(zip(words, words[1:], words[2:], words[3:]))
        return sum(g in self._grams for g in grams) >= 0.5 * len(grams)


def _same_words(a: str, b: str) -> bool:
    """Whether two strings share most of their words (a heading repeating the headline)."""
    wa, wb = set(re.findall(r"\w+", a.lower())), set(re.findall(r"\w+", b.lower()))
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) >= 0.5


def _is_note_ref(a: etree._Element) -> bool:
    """An in-page reference anchor (``[3]``, ``<sup>8</sup>``): not a link for link density."""
    href = a.get("href") or ""
    return href.startswith("#") and len(" ".join("".join(a.itertext()).split())) <= 6


def link_density(el: etree._Element) -> float:
    """Share of ``el``'s text inside links, footnote-style in-page references not counted."""
    total = _text_len(el)
    if not total:
        return 0.0
    links = sum(_text_len(a) for a in el.iter("a") if not _is_note_ref(a))
    return links / total


_link_density = link_density


# class/id words of blocks inside an article that are not its text (never restored)
_ASIDE_NAMES_RE = re.compile(r"caption|graphic|interactive|teaser|newsletter|related|promo|share|social|"
                             r"comment-?count|embed", re.IGNORECASE)


class _Restorer:
    """Decides which unextracted blocks go back into the text (see :func:`realign`)."""

    def __init__(self, blocks: list, container: etree._Element | None, title_key: str) -> None:
        self.blocks = blocks
        self.container = container
        self.title_key = title_key
        self._lists: dict[etree._Element, bool] = {}

    def inside(self, el: etree._Element) -> bool:
        if self.container is None:
            return False
        return any(anc is self.container for anc in el.iterancestors())

    def content_list(self, lst: etree._Element) -> bool:
        """A list of sentences (mostly non-link text, several words an item), not a link list."""
        known = self._lists.get(lst)
        if known is None:
            items = [" ".join("".join(li.itertext()).split()) for li in lst if li.tag in ("li", "dd", "dt")]
            items = [t for t in items if t]
            words = sum(len(t.split()) for t in items) / max(1, len(items))
            known = bool(items) and link_density(lst) < 0.5 and words >= 4
            self._lists[lst] = known
        return known

    @staticmethod
    def headline(el: etree._Element) -> bool:
        """A heading before the body that is the page's headline or its standfirst (metadata)."""
        return el.tag == "h1" or any(anc.tag == "header" for anc in el.iterancestors())

    def aside(self, el: etree._Element) -> bool:
        """A block of a caption, figure, embedded graphic or teaser inside the article."""
        for anc in el.iterancestors():
            if anc is self.container:
                return False
            if anc.tag in ("figure", "figcaption", "header") or (_ASIDE_NAMES_RE.search(
                    f"{anc.get('class') or ''} {anc.get('id') or ''}") and not _section_anchor(anc)):
                return True
        return False

    def restorable(self, el: etree._Element, text: str) -> bool:
        """Whether a non-heading block inside the main container reads as body text."""
        if el.tag not in _TEXT_BLOCKS or _BOILER_PARA_RE.match(text) or not self.inside(el) or self.aside(el):
            return False
        parent = el.getparent()
        if el.tag in ("li", "dd", "dt"):
            return parent is not None and parent.tag in _LISTS and self.content_list(parent)
        if el.tag == "tr":
            table = next((a for a in el.iterancestors("table")), None)
            return table is not None and link_density(table) < 0.5
        if el.tag == "pre":
            return True
        if link_density(el) >= 0.3:
            return False
        return len(text) >= 30

    def restore(self, start: int, end: int, prev: int | None) -> list[str]:
        """Blocks in ``blocks[start:end]`` worth restoring."""
        blocks = self.blocks
        if end - start > MAX_GAP or start >= end:
            return []
        keep = [False] * (end - start)
        following_ok = True  # every block after j up to ``end`` is kept or a heading
        for j in range(end - 1, start - 1, -1):
            el, text = blocks[j]
            heading = el.tag in _HEADINGS
            if heading:
                keep[j - start] = following_ok and len(text) <= 200 and not (
                    prev is None and (_same_words(text, self.title_key) or self.headline(el))
                ) and not _BOILER_PARA_RE.match(text) and not self.aside(el)
            elif prev is not None:
                keep[j - start] = self.restorable(el, text)
            following_ok = following_ok and (heading or keep[j - start])
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
    headline = " ".join((title or "").split()).lower()
    while paragraphs and headline and paragraphs[0].lower() == headline:
        paragraphs.pop(0)  # the headline is metadata, not body text
    return paragraphs, method


# our text is "much less" than trafilatura's own when it holds under this share of its word 4-grams
MUCH_LESS = 0.5


def word_count(paragraphs: list[str]) -> int:
    """Words in ``paragraphs`` (``\\w+`` runs)."""
    return sum(len(_WORD_RE.findall(p)) for p in paragraphs)


def _grams(paragraphs: list[str]) -> set[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    for para in paragraphs:
        w = _WORD_RE.findall(para.lower())
        out.update(zip(w, w[1:], w[2:], w[3:]) if len(w) >= 4 else [tuple(w)] if w else [])
    return out


def never_worse(paragraphs: list[str], method: str, plain_root: etree._Element,
                url: str | None) -> tuple[list[str], str, str | None]:
    """Our paragraphs, or trafilatura's own result on the unpruned page when ours is empty or
    much less: holds under ``MUCH_LESS`` of trafilatura's word 4-grams. Returns the warning to record.

    ``plain_root`` is the page before boilerplate removal (hidden elements and scripts gone,
    footnote tokens in place); it is handed to trafilatura as it is.
    """
    plain = filter_boilerplate(trafilatura_paragraphs(plain_root, url) or [])
    theirs = _grams(plain)
    if not theirs:
        return paragraphs, method, None
    covered = len(theirs & _grams(paragraphs)) / len(theirs)
    if covered < MUCH_LESS:
        return plain, "trafilatura-plain", (
            f"main text: boilerplate removal kept {covered:.0%} of what trafilatura alone finds "
            f"({word_count(paragraphs):,} words against {word_count(plain):,}); trafilatura's text kept")
    return paragraphs, method, None

"""Safe HTML parsing for the HTML extractor: charset sniffing, size bounds, lxml.

Hostile input is bounded here: pages larger than ``limits.max_html_bytes`` are
refused, inline payloads (scripts, styles, ``data:`` URIs) are dropped before
parsing, the remaining markup is truncated to ``limits.max_markup_chars``
(:class:`~extractors.limits.ExtractionLimits`, passed in ``Hints.limits``), and
lxml runs with ``huge_tree`` off (libxml2 then caps nesting at 256 levels and
never expands entities declared in an internal DTD subset).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

from extractors.errors import CorruptDocument, ResourceLimitExceeded
from extractors.limits import ExtractionLimits

# The default bounds (the values in force come from ``Hints.limits``): larger pages are
# refused outright, and markup beyond MAX_MARKUP_CHARS is cut off (with a warning).
MAX_INPUT_BYTES = ExtractionLimits().max_html_bytes
MAX_MARKUP_CHARS = ExtractionLimits().max_markup_chars
# Trees with more elements than this skip trafilatura (see html_main_text).
MAX_ELEMENTS = 60_000

_META_CHARSET_RE = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
_DATA_URI_RE = re.compile(r"""data:[a-z]+/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=\s]{256,}""", re.IGNORECASE)
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


def _strip_blocks(data, names, keep=None):
    """Remove ``<name …>…</name>`` blocks and ``<!-- … -->`` comments in linear time.

    Works on ``str`` or ``bytes`` (``names`` of the same type). A block whose
    end is missing stops the scan (the rest is left to the parser), so
    unclosed tags cannot make this quadratic. ``keep(open_tag)`` may spare a
    block (JSON-LD scripts).
    """
    is_text = isinstance(data, str)
    enc = (lambda x: x) if is_text else (lambda x: x.encode("ascii"))
    alternatives = b"|".join(re.escape(n if isinstance(n, bytes) else n.encode()) for n in names)
    opener = re.compile(enc(r"<(?:(") + (alternatives.decode() if is_text else alternatives)
                        + enc(r")(?![\w-])|!--)"), re.IGNORECASE)
    lower = data.lower()
    out = []
    pos = 0
    while True:
        m = opener.search(lower, pos)
        if m is None:
            break
        start = m.start()
        name = m.group(1)
        end_marker = (enc("</") + name) if name else enc("-->")
        close = lower.find(end_marker, m.end())
        if close < 0:
            break
        close_end = lower.find(enc(">"), close + len(end_marker) - 1)
        close_end = len(data) if close_end < 0 else close_end + 1
        head_end = lower.find(enc(">"), start, start + 2000)
        if name and keep is not None and keep(lower[start : head_end + 1 if head_end >= 0 else start + 200]):
            out.append(data[pos:close_end])
        else:
            out.append(data[pos:start])
            out.append(enc(" "))
        pos = close_end
    out.append(data[pos:])
    return data[:0].join(out)


def _json_ld(open_tag) -> bool:
    return (b"ld+json" if isinstance(open_tag, bytes) else "ld+json") in open_tag


def strip_payload_bytes(data: bytes) -> bytes:
    """Drop scripts (except JSON-LD), styles and comments from ASCII-compatible bytes.

    They never reach the canonical text, and removing them before decoding
    makes decoding, mojibake detection and parsing proportionally cheaper
    (on news pages they are often more than half of the bytes). UTF-16/32
    input (NUL bytes) is returned unchanged.
    """
    if b"\x00" in data[:4096]:
        return data
    return _strip_blocks(data, (b"script", b"style"), keep=_json_ld)


def sniff_charset(data: bytes, limit: int = 2048) -> str | None:
    """The charset declared by ``<meta charset>`` or ``http-equiv`` in the first ``limit`` bytes."""
    match = _META_CHARSET_RE.search(data[:limit])
    if not match:
        return None
    name = match.group(1).decode("ascii", "ignore").strip().lower()
    return name or None


def check_size(data: bytes, limits: ExtractionLimits | None = None) -> None:
    """Refuse inputs above ``limits.max_html_bytes`` with :class:`ResourceLimitExceeded`."""
    max_bytes = (limits or ExtractionLimits()).max_html_bytes
    if len(data) > max_bytes:
        raise ResourceLimitExceeded(
            f"html: page of {len(data):,} bytes exceeds the {max_bytes:,}-byte limit"
        )


def shrink_markup(text: str, warnings: list[str], limits: ExtractionLimits | None = None) -> str:
    """Drop inline payloads from very large markup, then truncate to the bound.

    Scripts and styles are removed by the extractor anyway; stripping them with
    a regular expression first keeps huge pages (megabytes of inline JSON or
    base64 images) cheap to parse. Only pages above 1 MB pay for this.
    """
    if len(text) <= 1_000_000:
        return text
    text = _strip_blocks(text, ("script", "style", "svg", "template", "noscript"), keep=_json_ld)
    text = _DATA_URI_RE.sub("data:,", text)
    max_chars = (limits or ExtractionLimits()).max_markup_chars
    if len(text) > max_chars:
        warnings.append(
            f"page truncated to its first {max_chars:,} characters of markup "
            f"(of {len(text):,}) before parsing"
        )
        text = text[:max_chars]
    return text


def parse_html(text: str) -> lxml.html.HtmlElement:
    """Parse decoded markup into an lxml tree with hostile-input protections.

    Raises :class:`CorruptDocument` when nothing usable comes out.
    """
    text = _XML_DECL_RE.sub("", text, count=1)  # lxml refuses str with an encoding declaration
    parser = lxml.html.HTMLParser(
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        no_network=True,
        recover=True,
        default_doctype=False,
        collect_ids=False,  # nothing looks elements up by id through libxml2's table
    )
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise CorruptDocument(f"html: markup could not be parsed: {exc}") from exc
    except RecursionError as exc:
        raise CorruptDocument("html: document nested too deeply to parse") from exc
    if root is None:
        raise CorruptDocument("html: markup could not be parsed (empty tree)")
    return root


@dataclass
class PageHead:
    """The elements page metadata is read from, wherever they stand in the page.

    ``meta`` holds the attributes of every ``<meta content>``, ``json_ld`` the text of every
    ``<script type=…ld+json…>``, ``links`` the ``rel`` tokens and ``href`` of every
    ``<link rel href>``, all in document order.
    """

    meta: list[dict[str, str]] = field(default_factory=list)
    json_ld: list[str] = field(default_factory=list)
    links: list[tuple[list[str], str]] = field(default_factory=list)


def page_head(root: etree._Element) -> PageHead:
    """The page's ``<meta>``, JSON-LD and ``<link>`` elements, read from the parsed tree.

    Call it before the tree is pruned. One pass over three tag names in libxml2; the page is
    not parsed a second time.
    """
    head = PageHead()
    for el in root.iter("meta", "script", "link"):
        tag = el.tag
        if tag == "meta":
            if el.get("content") is not None:
                head.meta.append(dict(el.attrib))
        elif tag == "script":
            kind = el.get("type")
            if kind is not None and "ld+json" in kind.lower():
                head.json_ld.append(el.text or "")
        else:
            rel, href = el.get("rel"), el.get("href")
            if rel is not None and href is not None:
                head.links.append((rel.split(), href))
    return head


def count_elements(root: etree._Element, limit: int = MAX_ELEMENTS) -> int:
    """Number of elements in ``root``, counting stops just above ``limit``."""
    n = 0
    for _ in root.iter():
        n += 1
        if n > limit:
            break
    return n

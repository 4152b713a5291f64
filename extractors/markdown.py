"""Markdown: CommonMark (markdown-it-py) with footnotes, tables and PDF-converted `<sup>` notes.

Two footnote shapes are understood:

* ``[^label]`` references with ``[^label]: body`` definitions (and inline
  ``^[body]`` notes), parsed by the footnote plugin of ``mdit_py_plugins``;
* the shape PDF converters leave behind: ``<sup>N</sup>`` markers in the body
  and ``<sup>N</sup> text`` body paragraphs collected at page ends, between
  page-break rules (``---``), often far from their markers. Body paragraphs
  and rules are removed from the canonical text, paragraphs split by a page
  break are joined again, and a note body continued on the next page is
  joined to its note.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from extractors.text.dates import parse_date
from extractors.assembly import assemble, link_footnotes
from extractors.text.markers import MARK_OPEN, SUP_LABEL_RE, marker, strip_markers
from extractors.base import Extractor
from extractors.evidence import markdown_evidence, markup_head, scaled_score, wikitext_evidence
from extractors.errors import DecodingError
from extractors.text.identifiers import find_document_identifiers
from extractors.record import ExtractedDocument, Hints, Identifier, Metadata
from extractors.text.decoding import decode_text, looks_binary

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------
# Blocks

_SUP_OPEN_RE = re.compile(r"^<sup\b[^>]*>$", re.I)
_SUP_CLOSE_RE = re.compile(r"^</sup\s*>$", re.I)
_BR_RE = re.compile(r"^<br\s*/?>$", re.I)
_TAG_RE = re.compile(r"<[^>]*>")
_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
# Provisional marker for <sup>…</sup> (resolved once bodies are known).
_SUP_MARK_OPEN = "\ue002"
_SUP_MARK_CLOSE = "\ue003"
_SUP_MARK_RE = re.compile(f"{_SUP_MARK_OPEN}([^{_SUP_MARK_CLOSE}]*){_SUP_MARK_CLOSE}")
_END_PUNCT_RE = re.compile(r"[.!?:;…][\"'”’»)\]*_]*$")
_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n((?:[^\n]*\n){0,60}?)(?:---|\.\.\.)[ \t]*\n")
_FM_LINE_RE = re.compile(r"^([A-Za-z][\w -]*):\s*(.*)$")


@dataclass
class _Block:
    kind: str  # heading, para, item, table, code, rule, body, html
    text: str = ""
    level: int = 0
    label: str = ""  # for body blocks
    marks: int = 0  # markers inside
    removed_before: bool = False


@dataclass
class _State:
    notes: dict[str, str] = field(default_factory=dict)  # [^x] notes by label
    note_order: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _link_note_text(text: str, href: str) -> str:
    """A link inside a note: the text, with the URL when the text does not show it."""
    href = href.strip()
    if not href or href.startswith("#"):
        return text
    bare = re.sub(r"^(?:https?://)?(?:www\.)?", "", href).rstrip("/")
    shown = re.sub(r"^(?:https?://)?(?:www\.)?", "", text.strip()).rstrip("/")
    if shown and (shown == bare or bare.startswith(shown.rstrip("…."))):
        return href
    if not text.strip():
        return href
    return f"{text} ({href})"


def _render_inline(children: list[Token], in_note: bool) -> str:
    """Plain text of one inline token list, markers inlined."""
    out: list[str] = []
    i = 0
    link_stack: list[tuple[int, str]] = []
    while i < len(children):
        tok = children[i]
        kind = tok.type
        if kind == "text":
            out.append(tok.content)
        elif kind == "code_inline":
            out.append(tok.content)
        elif kind in ("softbreak", "hardbreak"):
            out.append(" ")
        elif kind == "footnote_ref":
            meta = tok.meta or {}
            label = meta.get("label")
            label = str(label) if label is not None else str(meta.get("id", 0) + 1)
            if not in_note:
                out.append(marker(label))
        elif kind == "link_open":
            link_stack.append((len(out), str(tok.attrs.get("href", ""))))
        elif kind == "link_close":
            if link_stack:
                start, href = link_stack.pop()
                if in_note:
                    inner = "".join(out[start:])
                    del out[start:]
                    out.append(_link_note_text(inner, href))
        elif kind == "image":
            pass
        elif kind == "html_inline":
            raw = tok.content.strip()
            if _SUP_OPEN_RE.match(raw):
                # <sup>label</sup>: look ahead for the text and the closing tag.
                j = i + 1
                inner = []
                while j < len(children) and children[j].type in ("text", "em_open", "em_close",
                                                                  "strong_open", "strong_close"):
                    if children[j].type == "text":
                        inner.append(children[j].content)
                    j += 1
                if j < len(children) and children[j].type == "html_inline" and \
                        _SUP_CLOSE_RE.match(children[j].content.strip()):
                    content = "".join(inner)
                    if not in_note:
                        out.append(f"{_SUP_MARK_OPEN}{content}{_SUP_MARK_CLOSE}")
                    else:
                        out.append(content)
                    i = j + 1
                    continue
            elif _BR_RE.match(raw):
                out.append(" ")
        i += 1
    return "".join(out)


def _leading_sup(children: list[Token]) -> tuple[str, int] | None:
    """``(label, index after </sup>)`` when an inline list starts with ``<sup>N</sup>``."""
    kids = [c for c in children]
    k = 0
    while k < len(kids) and kids[k].type == "text" and not kids[k].content.strip():
        k += 1
    if k + 2 < len(kids) and kids[k].type == "html_inline" and _SUP_OPEN_RE.match(kids[k].content.strip()) \
            and kids[k + 1].type == "text" and kids[k + 2].type == "html_inline" \
            and _SUP_CLOSE_RE.match(kids[k + 2].content.strip()):
        label = kids[k + 1].content.strip()
        if SUP_LABEL_RE.match(label) and k + 3 < len(kids):
            return label, k + 3
    return None


def _blocks(tokens: list[Token], state: _State) -> list[_Block]:
    """Walk the block tokens into a flat list of paragraph-level blocks."""
    blocks: list[_Block] = []
    i = 0
    depth_item = 0
    in_footnote: str | None = None
    note_parts: list[str] = []
    heading_level = 0
    cells: list[str] = []
    while i < len(tokens):
        tok = tokens[i]
        kind = tok.type
        if kind == "footnote_open":
            meta = tok.meta or {}
            label = meta.get("label")
            in_footnote = str(label) if label is not None else str(meta.get("id", 0) + 1)
            note_parts = []
        elif kind == "footnote_close":
            if in_footnote is not None:
                state.notes[in_footnote] = " ".join(p for p in note_parts if p.strip())
                state.note_order.append(in_footnote)
            in_footnote = None
        elif kind == "footnote_block_open" or kind == "footnote_block_close" or kind == "footnote_anchor":
            pass
        elif in_footnote is not None:
            if kind == "inline":
                note_parts.append(_render_inline(tok.children or [], in_note=True))
            elif kind in ("fence", "code_block"):
                note_parts.append(tok.content)
        elif kind == "heading_open":
            heading_level = int(tok.tag[1:]) if tok.tag[1:].isdigit() else 1
        elif kind == "list_item_open":
            depth_item += 1
        elif kind == "list_item_close":
            depth_item -= 1
        elif kind in ("tr_open",):
            cells = []
        elif kind == "tr_close":
            blocks.append(_Block("table", " | ".join(c.strip() for c in cells)))
        elif kind == "inline":
            parent = tokens[i - 1].type if i else ""
            children = tok.children or []
            if parent in ("th_open", "td_open"):
                cells.append(_render_inline(children, in_note=False))
            elif parent == "heading_open":
                blocks.append(_Block("heading", _render_inline(children, False), level=heading_level))
            else:
                lead = _leading_sup(children) if not depth_item else None
                if lead is not None:
                    label, start = lead
                    body = _render_inline(children[start:], in_note=True)
                    blocks.append(_Block("body", body, label=label))
                else:
                    text = _render_inline(children, in_note=False)
                    blocks.append(_Block("item" if depth_item else "para", text))
        elif kind in ("fence", "code_block"):
            blocks.append(_Block("code", tok.content))
        elif kind == "html_block":
            raw = _COMMENT_RE.sub(" ", tok.content)
            text = html.unescape(_TAG_RE.sub(" ", raw))
            if text.strip():
                blocks.append(_Block("html", text))
        elif kind == "hr":
            blocks.append(_Block("rule"))
        i += 1
    for block in blocks:
        block.marks = block.text.count(_SUP_MARK_OPEN) + block.text.count(MARK_OPEN)
    return blocks


def _fold_page_breaks(blocks: list[_Block], state: _State) -> tuple[list[_Block], dict[str, str]]:
    """Take ``<sup>N</sup>`` bodies and rules out; rejoin what a page break split."""
    bodies: dict[str, str] = {}
    order: list[str] = []
    # Pass 1: note continuations (a page-broken body continued among other bodies).

    def neighbour(idx: int, step: int) -> _Block | None:
        idx += step
        while 0 <= idx < len(blocks) and blocks[idx].kind == "rule":
            idx += step
        return blocks[idx] if 0 <= idx < len(blocks) else None

    last_body: str | None = None
    kept: list[_Block] = []
    removed = False
    for idx, block in enumerate(blocks):
        if block.kind == "body":
            if block.label in bodies:
                state.warnings.append(f"note {block.label}: second body paragraph joined to the first")
                bodies[block.label] += " " + block.text.strip()
            else:
                bodies[block.label] = block.text.strip()
                order.append(block.label)
            last_body = block.label
            removed = True
            continue
        if block.kind == "rule":
            removed = True
            continue
        if block.kind == "para" and last_body is not None and not block.marks:
            nxt, prv = neighbour(idx, 1), neighbour(idx, -1)
            first = block.text.lstrip()[:1]
            if nxt is not None and nxt.kind == "body" and (
                first.islower()
                or (prv is not None and prv.kind == "body")
                or (len(block.text) < 400 and _unfinished(bodies[last_body]))
            ):
                bodies[last_body] += " " + block.text.strip()
                removed = True
                continue
        block.removed_before = removed
        removed = False
        kept.append(block)
    if not bodies:
        return kept, bodies
    # Pass 2: join paragraphs split by a page break (bodies/rules between them).
    joined: list[_Block] = []
    for block in kept:
        prev = joined[-1] if joined else None
        if (
            block.removed_before
            and block.kind == "para"
            and prev is not None
            and prev.kind in ("para", "item")
        ):
            first = re.sub(r"^[\W_]+", "", block.text.lstrip())[:1]
            prev_text = _SUP_MARK_RE.sub("", prev.text).rstrip()
            if first.islower() or (prev_text and not _END_PUNCT_RE.search(prev_text)):
                prev.text = prev.text.rstrip() + " " + block.text.lstrip()
                prev.marks += block.marks
                continue
        joined.append(block)
    return joined, bodies


def _unfinished(note: str) -> bool:
    """True when a note body stops mid-sentence (not at punctuation, not at a URL)."""
    note = note.rstrip()
    last = note.rsplit(None, 1)[-1] if note else ""
    if not note or _END_PUNCT_RE.search(note) or "/" in last or last.startswith("http"):
        return False
    return True


def _resolve_sup(text: str, bodies: dict[str, str], unmatched: set[str]) -> str:
    """Turn provisional ``<sup>`` markers into real markers, or back into text."""

    def repl(m: re.Match[str]) -> str:
        content = m.group(1)
        parts = [p.strip() for p in re.split(r"[,;\s]+", content) if p.strip()]
        if parts and all(p in bodies for p in parts):
            return "".join(marker(p) for p in parts)
        if parts and bodies and all(p.isdigit() for p in parts):
            # A numbered marker in a document whose notes are <sup> bodies: a lost note.
            unmatched.update(p for p in parts if p not in bodies)
            return "".join(marker(p) for p in parts)
        return content

    return _SUP_MARK_RE.sub(repl, text)


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """YAML-ish front matter (``key: value`` lines between ``---``) and the rest."""
    m = _FRONT_MATTER_RE.match(text)
    if not m:
        return {}, text
    data: dict[str, str] = {}
    for line in m.group(1).splitlines():
        lm = _FM_LINE_RE.match(line.strip())
        if lm:
            data[lm.group(1).strip().lower()] = lm.group(2).strip().strip("\"'")
    if not data:
        return {}, text
    return data, text[m.end():]


_BYLINE_RE = re.compile(r"^(?:by|authors?|written by)\s*:?\s+(.{3,200})$", re.I)


def _split_authors(value: str) -> list[str]:
    parts = re.split(r"\s*(?:;|,\s*and\s+|\s+and\s+|,|&)\s*", value)
    return [p.strip() for p in parts if p.strip()]


class MarkdownExtractor(Extractor):
    """Markdown (CommonMark plus tables, strikethrough and footnotes)."""

    name = "markdown"
    media_type = "text/markdown"
    media_types = frozenset({"text/markdown", "text/x-markdown"})
    extensions = frozenset({"md", "markdown"})

    def content_score(self, data: bytes, hints: Hints) -> int:
        text = markup_head(data)
        if text is None:
            return 0
        kinds, points = markdown_evidence(text)
        score = scaled_score(kinds, points)
        if not score:
            return 0

        wkinds, wpoints = wikitext_evidence(text)
        if wkinds >= 2 and wpoints >= points:
            return 0  # wikitext's "#"-lists and bold look like Markdown; leave it to wikitext
        return score

    def read(self, data: bytes, hints: Hints) -> ExtractedDocument:
        if looks_binary(data):
            raise DecodingError("markdown: the bytes are binary, not text")
        decoded, warnings = decode_text(data, hints.charset)
        front, body_src = _front_matter(decoded)
        state = _State(warnings=warnings)
        md = (
            MarkdownIt("commonmark", {"html": True})
            .enable("table")
            .enable("strikethrough")
            .use(footnote_plugin)
        )
        env: dict = {}
        tokens = md.parse(body_src, env)  # library errors are wrapped by registry.extract
        refs = (env.get("footnotes") or {}).get("refs") or {}
        for key, value in refs.items():
            if value == -1:
                state.warnings.append(f"footnote definition [^{key.lstrip(':')}] is never referenced; dropped")

        blocks = _blocks(tokens, state)
        blocks, sup_bodies = _fold_page_breaks(blocks, state)
        unmatched: set[str] = set()
        paragraphs: list[str] = []
        headings: list[tuple[int, str]] = []
        for block in blocks:
            text = _resolve_sup(block.text, sup_bodies, unmatched)
            if block.kind == "heading":
                headings.append((block.level, text))
            paragraphs.append(text)
        for label in sorted(unmatched, key=lambda s: (len(s), s)):
            state.warnings.append(f"marker {label} has no note body")

        notes: list[tuple[str, str]] = []
        seen: set[str] = set()
        for label in state.note_order:
            notes.append((label, state.notes[label].strip()))
            seen.add(label)
        for label, body in sup_bodies.items():
            if label in seen:
                state.warnings.append(f"note {label} defined both as [^{label}] and <sup>{label}</sup>")
                continue
            notes.append((label, body))
        text, markers = assemble(paragraphs)
        marked = {label for label, _ in markers}
        for label, _ in notes:
            if label not in marked:
                state.warnings.append(f"note {label} has no marker in the text")
        footnotes = link_footnotes(text, markers, notes=[(lbl, _plain(b)) for lbl, b in notes])
        metadata = self._metadata(text, headings, front, hints)
        return ExtractedDocument(
            format="markdown", media_type=self.media_type, text=text, metadata=metadata,
            footnotes=footnotes, warnings=state.warnings, extractor=self.name,
        )

    @staticmethod
    def _metadata(text: str, headings: list[tuple[int, str]], front: dict[str, str],
                  hints: Hints) -> Metadata:
        meta = Metadata()
        strip = lambda s: re.sub(r"\s+", " ", assemble([s])[0]).strip()  # noqa: E731
        if front.get("title"):
            meta.title = front["title"]
        else:
            h1 = [strip(t) for level, t in headings if level == 1 and strip(t)]
            any_h = [strip(t) for _, t in headings if strip(t)]
            meta.title = (h1[0] if h1 else (any_h[0] if any_h else None))
        paragraphs = text.split("\n\n")
        head = paragraphs[:12]
        if front.get("date"):
            meta.date = parse_date(front["date"])
        if meta.date is None:
            for para in head:
                cleaned = re.sub(r"^(?:date|dated|published)\s*:?\s*", "", para.strip(), flags=re.I)
                if len(cleaned) <= 40:
                    iso = parse_date(cleaned)
                    if iso:
                        meta.date = iso
                        break
        for key in ("author", "authors"):
            if front.get(key):
                meta.authors = _split_authors(front[key].strip("[]"))
        if not meta.authors:
            for para in head:
                m = _BYLINE_RE.match(para.strip())
                if m and len(para) < 200:
                    meta.authors = _split_authors(m.group(1))
                    break
        front_text = "\n".join(p for p in head if len(p) < 300)
        idents: list[Identifier] = find_document_identifiers(front_text)
        meta.identifiers = idents
        if front.get("lang") or front.get("language"):
            meta.language = front.get("lang") or front.get("language")
        if hints.url:
            meta.canonical_url = hints.url
        if front.get("description"):
            meta.description = front["description"]
        extra = {k: v for k, v in front.items() if k not in {"title", "date", "author", "authors"}}
        if extra:
            meta.extra["front_matter"] = extra
        return meta


def _plain(text: str) -> str:
    """A note body as one normalized line (markers of nested notes dropped)."""
    text = _SUP_MARK_RE.sub(lambda m: m.group(1), text)
    text = strip_markers(text)
    return re.sub(r"\s+", " ", text).strip()


"""MediaWiki wikitext (mwparserfromhell): canonical text, refs as footnotes, cite templates.

Footnotes follow what a reader of the rendered page sees: ``<ref>`` tags,
named refs reused by ``<ref name="x" />`` (one note, several markers, the
definition possibly after a reuse or list-defined inside ``<references>`` /
``{{reflist|refs=}}``), ``{{sfn}}``-family short citations (identical calls
share one note), ``{{efn}}`` / ``{{refn}}`` notes, ``{{r}}`` reuses and
``{{#tag:ref}}``. Labels are the numbers the rendered page prints: "1", "2",
… in order of first reference for the default group, "a", "b", … for
``{{efn}}`` (lower-alpha), and "<group> 1" for other named groups.

``{{cite web}}`` and friends become the note's plain text *and* structured
:class:`Citation` fields. Infoboxes (``{{Infobox …}}`` templates, or the
"Infobox" / ``- Key: value`` block left by some converters) go to
``metadata.extra["infobox"]``, not to the canonical text.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlparse

import mwparserfromhell
from mwparserfromhell.nodes import (
    Argument,
    Comment,
    ExternalLink,
    Heading,
    HTMLEntity,
    Tag,
    Template,
    Text,
    Wikilink,
)
from mwparserfromhell.wikicode import Wikicode

from extractors.text.language import guess_language
from extractors.assembly import assemble, link_footnotes, marker
from extractors.base import Extractor
from extractors.errors import CorruptDocument, DecodingError
from extractors.text.identifiers import find_document_identifiers
from extractors.text.dates import parse_date
from extractors.markdown import _scaled, looks_like_source_code, markdown_evidence
from extractors.record import Citation, ExtractedDocument, Hints, Identifier, Metadata
from extractors.text.decoding import decode_text, looks_binary

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------
# Content sniffing

_HTML_DOC_RE = re.compile(r"<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.I)
_WIKI_FEATURES: dict[str, re.Pattern[str]] = {
    "heading": re.compile(r"^(={1,6})[ \t]*[^=\s][^\n]*?[ \t]*\1[ \t]*$", re.M),
    "ref": re.compile(r"<ref[\s>/]|<references\b|</references>|\{\{\s*(?:reflist|notelist|sfn|efn)\b", re.I),
    "template": re.compile(r"\{\{[^{}\n|]{1,80}(?:\||\}\})"),
    # Not a bare "[[name]]" line: that is a TOML array-of-tables header.
    "link": re.compile(r"(?!^\[\[[\w.\-]+\]\][ \t]*$)\[\[[^\[\]\n]{1,250}\]\]", re.M),
    "bold": re.compile(r"'''[^'\n]{1,200}'''|(?<!')''[^'\n]{1,200}''(?!')"),
    "table": re.compile(r"^\{\|", re.M),
    "category": re.compile(r"\[\[\s*Category\s*:", re.I),
    "infobox": re.compile(r"^Infobox[^\n]*\n(?:[-*•][ \t]*[^:\n]{1,60}:[^\n]*\n){2,}", re.M),
}
_WIKI_WEIGHTS = {"heading": 3, "ref": 4, "template": 3, "link": 2, "bold": 2, "table": 4,
                 "category": 3, "infobox": 10}


def wikitext_evidence(text: str) -> tuple[int, int]:
    """``(kinds, points)``: how many distinct wikitext features occur, and a weighted count."""
    if looks_like_source_code(text):
        return 0, 0
    kinds = 0
    points = 0
    for name, regex in _WIKI_FEATURES.items():
        hits = len(regex.findall(text))
        if name == "heading" and hits < 2:
            hits = 0
        if hits:
            kinds += 1
            points += _WIKI_WEIGHTS[name] * min(hits, 10)
    return kinds, points


# ---------------------------------------------------------------------------
# Notes

_ALPHA = "abcdefghijklmnopqrstuvwxyz"
_GREEK = "αβγδεζηθικλμνξοπρστυφχψω"
_EFN_GROUPS = {
    "efn": "lower-alpha", "efn-la": "lower-alpha", "efn-ua": "upper-alpha",
    "efn-lr": "lower-roman", "efn-ur": "upper-roman", "efn-lg": "lower-greek",
    "notetag": "note", "efn-note": "lower-alpha",
}


def _roman(n: int) -> str:
    out = ""
    for value, sym in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                       (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out += sym
            n -= value
    return out


def _alpha(n: int, letters: str) -> str:
    out = ""
    while n > 0:
        n, rem = divmod(n - 1, len(letters))
        out = letters[rem] + out
    return out


def group_label(group: str, n: int) -> str:
    """The label the rendered page prints for the ``n``-th note of ``group``."""
    if not group:
        return str(n)
    if group == "lower-alpha":
        return _alpha(n, _ALPHA)
    if group == "upper-alpha":
        return _alpha(n, _ALPHA.upper())
    if group == "lower-roman":
        return _roman(n)
    if group == "upper-roman":
        return _roman(n).upper()
    if group == "lower-greek":
        return _alpha(n, _GREEK)
    return f"{group} {n}"


@dataclass
class _Ref:
    group: str
    name: str | None
    label: str
    body: str | None = None
    citations: list[Citation] = field(default_factory=list)
    used: bool = True


class _Notes:
    """Ref numbering: a number per (group, name) at first use, bodies filled in when seen."""

    def __init__(self, warnings: list[str]) -> None:
        self.counters: dict[str, int] = {}
        self.named: dict[tuple[str, str], _Ref] = {}
        self.pending: dict[tuple[str, str], _Ref] = {}  # list-defined, not (yet) used
        self.order: list[_Ref] = []
        self.warnings = warnings

    def _new(self, group: str, name: str | None) -> _Ref:
        self.counters[group] = self.counters.get(group, 0) + 1
        ref = _Ref(group, name, group_label(group, self.counters[group]))
        self.order.append(ref)
        return ref

    def use(self, group: str, name: str | None, body: str | None,
            citations: list[Citation] | None = None) -> _Ref:
        """A ref invoked in the text (a definition, a reuse, or both)."""
        if name:
            key = (group, name)
            ref = self.named.get(key)
            if ref is None:
                ref = self._new(group, name)
                self.named[key] = ref
                pending = self.pending.pop(key, None)
                if pending is not None and body is None:
                    ref.body, ref.citations = pending.body, pending.citations
            if body is not None:
                self._fill(ref, body, citations)
            return ref
        ref = self._new(group, None)
        if body is None:
            self.warnings.append(f"ref without name and without content (group {group or 'default'})")
            ref.body = ""
        else:
            self._fill(ref, body, citations)
        return ref

    def define(self, group: str, name: str | None, body: str | None,
               citations: list[Citation] | None = None) -> None:
        """A list-defined ref (inside <references> or {{reflist|refs=}}): no number of its own."""
        if not name:
            self.warnings.append("list-defined ref without a name ignored")
            return
        if body is None:
            return
        key = (group, name)
        ref = self.named.get(key)
        if ref is not None:
            self._fill(ref, body, citations)
        elif key not in self.pending:
            self.pending[key] = _Ref(group, name, "", body, list(citations or []), used=False)

    def _fill(self, ref: _Ref, body: str, citations: list[Citation] | None) -> None:
        if ref.body is None:
            ref.body = body
            ref.citations = list(citations or [])
        elif ref.body != body and body.strip():
            self.warnings.append(f"ref name={ref.name!r} defined twice with different content; first kept")


# ---------------------------------------------------------------------------
# Templates

_CITE_NAMES = {"citation", "cite", "vcite", "vcite2"}
_DROP_TAGS = {"gallery", "math", "chem", "score", "timeline", "graph", "mapframe", "maplink",
              "templatestyles", "includeonly", "imagemap", "inputbox", "categorytree", "hiero",
              "ce", "section", "indicator", "charinsert"}
_BLOCK_TAGS = {"p", "div", "blockquote", "poem", "center", "pre", "syntaxhighlight", "source",
               "ul", "ol", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "hr"}
_LIST_MARKUP = {"*", "#", ";", ":"}
_DASHES = {"snd": " – ", "spaced ndash": " – ", "spnd": " – ", "sndash": " – ", "ndash": "–",
           "mdash": "—", "spaced mdash": " — ", "nbsp": " ", "sp": " ", "thinsp": " ",
           "·": " · ", "dot": " · ", "middot": "·", "'": "'", "\"": "\"", "''": "", "=": "=",
           "!": "|", "pipe": "|", "en dash": "–", "em dash": "—", "hair space": " ", "-": ""}
_KEEP_FIRST = {"nowrap", "nobr", "nobold", "noitalic", "small", "smaller", "big", "larger",
               "bdi", "keep together", "center", "em", "strong", "abbr", "abbrlink", "tooltip",
               "visible anchor", "ill", "interlanguage link", "interlanguage link multi", "nowrap begin",
               "sans-serif", "serif", "mono", "code", "kbd", "var", "samp", "tt", "ruby", "linktext",
               "no wrap", "not a typo", "proper name", "typo", "sup", "sub", "small caps", "smallcaps",
               "sc", "lowercase", "uppercase", "vanchor", "text", "plain link", "plainlink",
               "lang-rtl", "rtl-lang", "wikt-lang", "script/arabic", "script/hebrew", "zwj",
               "highlight", "color", "colored", "font color", "font", "spaces", "hlist-item",
               "nowiki", "unicode", "ipa", "transliteration", "sic"}
_KEEP_LAST = {"lang", "langx", "transl", "transliteration", "resize", "script", "native name",
              "native phrase", "rtl-lang", "korean", "zh", "audio"}
_QUOTE_NAMES = {"quote", "cquote", "blockquote", "quotation", "quote box", "rquote", "poemquote",
                "poem quote", "centered pull quote", "block quote", "talkquote", "bq", "quote frame"}
_LIST_NAMES = {"ubl", "unbulleted list", "plainlist", "plain list", "hlist", "flatlist", "flat list",
               "bulleted list", "bull list", "ordered list", "unordered list", "collapsible list",
               "endplainlist", "startplainlist"}
_DATE_TEMPLATES = {"start date", "start date and age", "end date", "end date and age", "birth date",
                   "death date", "birth date and age", "death date and age", "date", "dts",
                   "start-date", "birth year and age", "death year and age", "film date",
                   "death date and given age", "birth-date", "death-date"}
_SFN_NAMES = {"sfn", "sfnp", "sfnm", "harvnb", "harv", "harvp", "harvtxt", "harvard citation no brackets",
              "harvard citation", "harvard citation text", "harvcolnb", "harvcol", "sfnmp", "sfnref"}
_REFLIST_NAMES = {"reflist", "references", "notelist", "notes", "notelist-ua", "notelist-lr",
                  "notelist-ur", "notelist-lg", "notefoot", "refbegin", "refend", "reflist-talk",
                  "refs", "footnotes", "notes and references", "reference list", "reflist top",
                  "reflist bottom", "note list", "notelist-talk"}
_REF_TEMPLATES = {"r", "rp", "ref label", "note label"}
_INTERWIKI = {"w", "wikt", "wiktionary", "s", "wikisource", "commons", "d", "wikidata", "q",
              "wikiquote", "n", "wikinews", "b", "wikibooks", "v", "wikiversity", "voy",
              "wikivoyage", "species", "m", "meta", "mw", "c"}
_LANG_PREFIX_RE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8}){0,2}$")
_DROP_NS_RE = re.compile(r"^\s*(?:file|image|category|media|datei|fichier|bild|kategorie|imagen|archivo)\s*:", re.I)
_MAGIC_RE = re.compile(r"__[A-Z]{3,}__")
_QUOTES_RE = re.compile(r"'{2,5}")
_YEAR_RE = re.compile(r"^(?:c\.\s*)?\d{3,4}[a-z]?$|^n\.d\.[a-z]?$|^nd$", re.I)

ITEM = "\ue010"
HEAD = "\ue011"
HEAD_END = "\ue012"


def _tname(template: Template) -> str:
    name = str(template.name)
    name = re.sub(r"<!--.*?-->", "", name, flags=re.S)
    name = name.replace("_", " ").strip()
    name = re.sub(r"\s+", " ", name)
    if name.lower().startswith("template:"):
        name = name[9:].strip()
    return name.lower()


def _attr(tag: Tag, name: str) -> str | None:
    for attr in tag.attributes:
        if str(attr.name).strip().lower() == name:
            value = str(attr.value if attr.value is not None else "").strip().strip("\"'").strip()
            return value or None
    return None


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace(ITEM, " ")).strip()


def _join_authors(names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]} & {names[1]}"
    if len(names) == 3:
        return f"{names[0]}, {names[1]} & {names[2]}"
    return f"{names[0]} et al."


class _Renderer:
    """One pass over the parse tree, in source order, so refs are numbered as rendered."""

    def __init__(self, warnings: list[str]) -> None:
        self.warnings = warnings
        self.notes = _Notes(warnings)
        self.cite_stack: list[list[Citation]] = []
        self.infobox: dict[str, str] = {}
        self.infobox_type: str | None = None
        self.categories: list[str] = []
        self.interlanguage: dict[str, str] = {}
        self.display_title: str | None = None

    # -- generic -----------------------------------------------------------
    def render(self, code: Wikicode | None, mode: str) -> str:
        """Text of ``code``. Modes: body (markers inlined), quiet (refs numbered, no
        markers), define (only list-defined refs registered)."""
        if code is None:
            return ""
        out: list[str] = []
        for node in code.nodes:
            out.append(self.node(node, mode))
        return "".join(out)

    def node(self, node, mode: str) -> str:  # noqa: C901 - one dispatch
        if mode == "define":
            if isinstance(node, Tag) and str(node.tag).strip().lower() == "ref":
                self.ref_tag(node, mode)
            elif isinstance(node, Tag) and node.contents is not None:
                self.render(node.contents, mode)
            elif isinstance(node, Template):
                for param in node.params:
                    self.render(param.value, mode)
            return ""
        if isinstance(node, Text):
            value = _MAGIC_RE.sub("", node.value)
            return _QUOTES_RE.sub("", value)
        if isinstance(node, Comment):
            return ""
        if isinstance(node, HTMLEntity):
            try:
                return node.normalize()
            except Exception:  # noqa: BLE001 - unknown entity: keep it as written
                return str(node)
        if isinstance(node, Heading):
            title = _squash(self.render(node.title, mode))
            if mode == "body":
                return f"\n\n{HEAD}{node.level}{HEAD_END}{title}\n\n"
            return f" {title} "
        if isinstance(node, Wikilink):
            return self.wikilink(node, mode)
        if isinstance(node, ExternalLink):
            url = str(node.url).strip()
            if node.title is not None and str(node.title).strip():
                title = self.render(node.title, mode)
                if mode == "note":
                    return f"{title.strip()} ({url})"
                return title
            if node.brackets:
                return f" {url} " if mode == "note" else ""
            return url
        if isinstance(node, Template):
            return self.template(node, mode)
        if isinstance(node, Tag):
            return self.tag(node, mode)
        if isinstance(node, Argument):
            return self.render(node.default, mode) if node.default is not None else ""
        return str(node)

    # -- links ---------------------------------------------------------------
    def wikilink(self, link: Wikilink, mode: str) -> str:
        title = str(link.title).strip()
        if _DROP_NS_RE.match(title):
            if title.split(":", 1)[0].strip().lower() in ("category", "kategorie"):
                self.categories.append(title.split(":", 1)[1].split("|")[0].strip().replace("_", " "))
                return ""
            if link.text is not None:  # a caption may carry refs: number them
                self.render(link.text, "quiet")
            return ""
        prefix, _, rest = title.partition(":")
        if rest and link.text is None and _LANG_PREFIX_RE.match(prefix.strip()) and \
                prefix.strip() not in _INTERWIKI:
            self.interlanguage[prefix.strip()] = rest.strip()
            return ""
        if link.text is not None:
            text = self.render(link.text, mode)
            if text.strip():
                return text
            # Pipe trick: [[Foo (bar)|]] shows "Foo".
            shown = title.lstrip(":").split(":", 1)[-1]
            return re.sub(r"\s*\([^)]*\)\s*$", "", shown).replace("_", " ")
        shown = title.lstrip(":")
        if prefix.strip().lower() in _INTERWIKI and rest:
            shown = rest.lstrip(":")
        return shown.replace("_", " ")

    # -- tags ----------------------------------------------------------------
    def tag(self, tag: Tag, mode: str) -> str:
        name = str(tag.tag).strip().lower()
        markup = tag.wiki_markup
        if name == "ref":
            return self.ref_tag(tag, mode)
        if name == "references":
            if tag.contents is not None:
                group = _attr(tag, "group") or ""
                self.define_refs(tag.contents, group)
            return ""
        if name in ("br",):
            return " " if mode == "body" else "\n"
        if name in ("nowiki", "pre", "code", "syntaxhighlight", "source") and tag.contents is not None:
            return str(tag.contents) if name != "syntaxhighlight" else f"\n\n{tag.contents}\n\n"
        if name in _DROP_TAGS:
            if tag.contents is not None:
                self.render(tag.contents, "quiet")
            return ""
        if name == "table":
            return self.table(tag, mode)
        if markup in _LIST_MARKUP or name in ("li", "dt", "dd"):
            if tag.contents is None or markup in _LIST_MARKUP:
                inner = self.render(tag.contents, mode) if tag.contents is not None else ""
                return (f"\n\n{ITEM}" + inner) if mode == "body" else ("\n" + inner)
            inner = self.render(tag.contents, mode)
            return f"\n\n{ITEM}{_squash(inner)}\n\n" if mode == "body" else f"\n{inner}\n"
        if name == "hr" or markup == "----":
            return "\n\n"
        inner = self.render(tag.contents, mode) if tag.contents is not None else ""
        if name in _BLOCK_TAGS and mode == "body":
            return f"\n\n{inner}\n\n"
        return inner

    def table(self, tag: Tag, mode: str) -> str:
        rows: list[str] = []
        pending: list[str] = []

        def cell_text(cell: Tag) -> str:
            return _squash(self.render(cell.contents, mode)) if cell.contents is not None else ""

        def flush() -> None:
            if any(c for c in pending):
                rows.append(" | ".join(c for c in pending))
            pending.clear()

        for node in (tag.contents.nodes if tag.contents is not None else []):
            if isinstance(node, Tag):
                cname = str(node.tag).strip().lower()
                if cname == "tr":
                    flush()
                    for sub in (node.contents.nodes if node.contents is not None else []):
                        if isinstance(sub, Tag) and str(sub.tag).strip().lower() in ("td", "th"):
                            pending.append(cell_text(sub))
                        elif isinstance(sub, Tag) and str(sub.tag).strip().lower() == "ref":
                            self.ref_tag(sub, "quiet")
                    flush()
                elif cname in ("td", "th"):
                    text = cell_text(node)
                    if not rows and not pending and node.wiki_markup == "|" and text.startswith("+"):
                        rows.append(text[1:].strip())  # "|+ caption" read as a cell
                        continue
                    pending.append(text)
                elif cname == "caption":
                    flush()
                    caption = cell_text(node)
                    if caption:
                        rows.append(caption)
                else:
                    self.node(node, "quiet")
            elif isinstance(node, (Template, Wikilink)):
                self.node(node, "quiet")
        flush()
        if mode != "body":
            return " " + "; ".join(rows) + " "
        return "\n\n" + "\n\n".join(rows) + "\n\n"

    # -- refs ----------------------------------------------------------------
    def note_body(self, code: Wikicode | str | None) -> tuple[str | None, list[Citation]]:
        """Plain text and template citations of a note's content (None when empty)."""
        if code is None:
            return None, []
        if isinstance(code, str):
            code = mwparserfromhell.parse(code)
        if not str(code).strip():
            return None, []
        self.cite_stack.append([])
        text = self.render(code, "note")
        cites = self.cite_stack.pop()
        text = re.sub(r"\s+", " ", text.replace(ITEM, " ")).strip()
        text = re.sub(r"\s+([.,;:])", r"\1", text)
        if not text and not cites:
            self.warnings.append("ref with content that renders to nothing")
        return text, cites

    def ref_tag(self, tag: Tag, mode: str) -> str:
        name = _attr(tag, "name")
        group = _attr(tag, "group") or ""
        contents = None if tag.self_closing else tag.contents
        if mode == "define":
            body, cites = self.note_body(contents)
            self.notes.define(group, name, body, cites)
            return ""
        body, cites = self.note_body(contents)
        follow = _attr(tag, "follow")
        if follow and not name:
            # <ref follow="x">: more text for note x (a note split across pages), no marker.
            target = self.notes.named.get((group, follow)) or self.notes.pending.get((group, follow))
            if target is not None and body:
                target.body = f"{target.body} {body}".strip() if target.body else body
                target.citations = [*target.citations, *cites]
            else:
                self.warnings.append(f"ref follow={follow!r} has no earlier ref to continue")
            return ""
        ref = self.notes.use(group, name, body, cites)
        return marker(ref.label) if mode == "body" else ""

    def define_refs(self, code: Wikicode, group: str) -> None:
        for node in code.nodes:
            if isinstance(node, Tag) and str(node.tag).strip().lower() == "ref":
                name = _attr(node, "name")
                g = _attr(node, "group") or group
                body, cites = self.note_body(None if node.self_closing else node.contents)
                self.notes.define(g, name, body, cites)
            elif isinstance(node, Template):
                tname = _tname(node)
                if tname in _EFN_GROUPS or tname in ("refn", "#tag:ref"):
                    self.ref_template(node, tname, "quiet", define=True)
            elif isinstance(node, Tag) and node.contents is not None:
                self.define_refs(node.contents, group)

    def ref_template(self, t: Template, tname: str, mode: str, define: bool = False) -> str:
        params = {str(p.name).strip(): p for p in t.params}
        name = str(params["name"].value).strip() if "name" in params else None
        if tname in _EFN_GROUPS:
            group = _EFN_GROUPS[tname]
        else:
            group = ""
        if "group" in params and str(params["group"].value).strip():
            group = str(params["group"].value).strip()
        content = params.get("1")
        if content is None:
            # {{efn|text=…}} or a named first argument with "=" inside
            content = params.get("text") or params.get("content") or params.get("reference")
        body, cites = self.note_body(content.value if content is not None else None)
        if define:
            self.notes.define(group, name or None, body, cites)
            return ""
        ref = self.notes.use(group, name or None, body, cites)
        return marker(ref.label) if mode == "body" else ""

    def sfn(self, t: Template, tname: str, mode: str) -> str:
        positional: list[str] = []
        named: dict[str, str] = {}
        for p in t.params:
            value = _squash(self.render(p.value, "note"))
            if p.showkey:
                named[str(p.name).strip().lower()] = value
            else:
                positional.append(value)
        text, cite = self._short_cite(tname, positional, named)
        if tname in ("sfn", "sfnp", "sfnm", "sfnmp"):
            key = "sfn:" + hashlib.sha1(
                ("|".join(positional) + "|" + "|".join(f"{k}={v}" for k, v in sorted(named.items())
                                                       if k not in ("ref",))).encode()
            ).hexdigest()
            ref = self.notes.use("", key, text, [cite])
            return marker(ref.label) if mode == "body" else ""
        # harv* inside a ref: inline text
        if self.cite_stack:
            self.cite_stack[-1].append(cite)
        if tname in ("harv", "harvard citation", "harvp"):
            return f"({text})"
        if tname in ("harvtxt", "harvard citation text"):
            return text
        return text

    def _short_cite(self, tname: str, positional: list[str], named: dict[str, str]) -> tuple[str, Citation]:
        if tname in ("sfnm", "sfnmp"):
            pieces = []
            first_author = None
            first_year = None
            for i in range(1, 10):
                authors = [named[f"{i}a{j}"] for j in range(1, 5) if named.get(f"{i}a{j}")]
                year = named.get(f"{i}y", "")
                if not authors and not year:
                    continue
                piece = f"{_join_authors(authors)} {year}".strip() if authors else year
                pin = named.get(f"{i}p") and f"p. {named[f'{i}p']}" or named.get(f"{i}pp") and \
                    f"pp. {named[f'{i}pp']}" or named.get(f"{i}loc")
                if pin:
                    piece += f", {pin}"
                pieces.append(piece)
                first_author = first_author or (authors[0] if authors else None)
                first_year = first_year or year
            text = "; ".join(pieces)
            return text, Citation(text=text, author=first_author, date=parse_date(first_year or "") or None)
        year = ""
        authors = positional
        for i in range(len(positional) - 1, -1, -1):
            if _YEAR_RE.match(positional[i]):
                year = positional[i]
                authors = positional[:i]
                break
        else:
            if len(positional) > 1:
                year, authors = positional[-1], positional[:-1]
        authors = [a for a in authors if a][:4] if len(authors) <= 4 else authors[:4]
        who = _join_authors(authors) if authors else ""
        pin = None
        if named.get("p") or named.get("page"):
            pin = f"p. {named.get('p') or named.get('page')}"
        elif named.get("pp") or named.get("pages"):
            pin = f"pp. {named.get('pp') or named.get('pages')}"
        elif named.get("loc") or named.get("at"):
            pin = named.get("loc") or named.get("at")
        if tname in ("harvtxt", "harvard citation text"):
            inner = ", ".join(x for x in (year, pin) if x)
            text = f"{who} ({inner})" if inner else who
            cite = Citation(text=text, author=who or None, date=parse_date(year) if year else None,
                            pinpoint=pin)
            return text, cite
        if tname in ("sfnp", "harvp"):
            text = f"{who} ({year})" if year else who
        else:
            text = f"{who} {year}".strip()
        if pin:
            text += f", {pin}"
        if named.get("ps") and named["ps"] not in ("none", "."):
            text += named["ps"].rstrip(".")
        if named.get("loc") and pin != named.get("loc"):
            text += f", {named['loc']}"
        cite = Citation(text=text, author=who or None, date=parse_date(year) if year else None, pinpoint=pin)
        return text, cite

    # -- cite templates ------------------------------------------------------
    def cite(self, t: Template) -> str:
        p: dict[str, str] = {}
        for param in t.params:
            key = str(param.name).strip().lower().replace("_", "-")
            value = _squash(self.render(param.value, "quiet"))
            if value:
                p[key] = value
        authors: list[str] = []
        for i in ["", *map(str, range(1, 10))]:
            alt = "1" if i == "" else ("" if i == "1" else None)
            def get(*keys: str) -> str | None:
                for k in keys:
                    for suffix in (i, alt):
                        if suffix is None:
                            continue
                        v = p.get(k.replace("#", suffix))
                        if v:
                            return v
                return None
            if i == "1":
                continue  # handled with i == "" (last == last1)
            last = get("last#", "surname#", "author#-last", "author-last#", "last-author#")
            first = get("first#", "given#", "author#-first", "author-first#")
            whole = get("author#", "authors#" if i == "" else "author#")
            if last:
                authors.append(f"{last}, {first}" if first else last)
            elif whole:
                authors.append(whole)
        if not authors:
            for key in ("vauthors", "authors", "people", "host", "interviewer"):
                if p.get(key):
                    authors.append(p[key])
                    break
        author = "; ".join(authors) if authors else None
        title = p.get("title") or p.get("trans-title") or p.get("script-title")
        if title and re.match(r"^[a-z]{2,3}:", title) and "script-title" in p and title == p["script-title"]:
            title = title.split(":", 1)[1]
        chapter = p.get("chapter") or p.get("contribution") or p.get("section") or p.get("entry") \
            or p.get("article")
        tname = _tname(t)
        kind = tname[5:].strip() if tname.startswith("cite ") else tname
        work = (p.get("work") or p.get("website") or p.get("newspaper") or p.get("journal")
                or p.get("magazine") or p.get("periodical") or p.get("encyclopedia")
                or p.get("encyclopaedia") or p.get("dictionary") or p.get("series") or p.get("agency"))
        publisher = p.get("publisher") or p.get("institution") or p.get("network") or p.get("station")
        raw_date = p.get("date") or p.get("year") or p.get("publication-date")
        url = p.get("url") or p.get("chapter-url") or p.get("conference-url")
        parts: list[str] = []
        if author:
            parts.append(author)
        if kind in ("book", "encyclopedia", "thesis", "report", "conference") or (kind == "citation" and not work):
            if chapter:
                parts.append(f'"{chapter}"')
            if title:
                parts.append(title)
        else:
            if title:
                parts.append(f'"{title}"')
        if work:
            parts.append(work)
        if publisher and (not work or kind in ("book", "report", "thesis")):
            parts.append(publisher)
        if raw_date:
            parts.append(raw_date)
        if url:
            parts.append(url)
        text = ". ".join(s.rstrip(".").strip() if not s.endswith('"') else s for s in parts if s.strip())
        if text and not text.endswith((".", '"')) and not url:
            text += "."
        idents: list[Identifier] = []
        if p.get("doi"):
            idents.append(Identifier("doi", p["doi"].strip()))
        if p.get("isbn") or p.get("isbn13"):
            value = re.sub(r"[\s-]", "", p.get("isbn") or p.get("isbn13") or "").upper()
            idents.append(Identifier("isbn", value))
        iso = parse_date(raw_date or "")
        if iso is None and raw_date:
            m = re.search(r"\b(1[5-9]\d\d|20\d\d)\b", raw_date)
            iso = m.group(1) if m else None
        pin = None
        if p.get("page"):
            pin = f"p. {p['page']}"
        elif p.get("pages"):
            pin = f"pp. {p['pages']}"
        elif p.get("at"):
            pin = p["at"]
        citation = Citation(
            text=text, author=author, title=title or chapter, date=iso,
            urls=[url] if url else [], identifiers=idents, pinpoint=pin,
        )
        if self.cite_stack:
            self.cite_stack[-1].append(citation)
        return text

    # -- templates -----------------------------------------------------------
    def pos(self, t: Template, index: int, mode: str) -> str:
        key = str(index)
        for p in t.params:
            if str(p.name).strip() == key:
                return self.render(p.value, mode)
        return ""

    def named(self, t: Template, key: str, mode: str) -> str | None:
        for p in t.params:
            if str(p.name).strip().lower() == key:
                return self.render(p.value, mode)
        return None

    def positionals(self, t: Template) -> list:
        return [p for p in t.params if not p.showkey]

    def template(self, t: Template, mode: str) -> str:  # noqa: C901 - one dispatch table
        name = _tname(t)
        if name.startswith("#tag:ref") or name.startswith("#tag: ref"):
            return self.ref_template(t, "#tag:ref", mode)
        if name in _EFN_GROUPS or name == "refn":
            return self.ref_template(t, name, mode)
        if name in _SFN_NAMES:
            return self.sfn(t, name, mode)
        if name == "r":
            out = []
            group = str(t.get("group").value).strip() if t.has("group") else ""
            for p in t.params:
                pname = str(p.name).strip()
                if not p.showkey or pname in ("name", "n") or re.fullmatch(r"n\d*|name\d*", pname):
                    refname = str(p.value).strip()
                    if refname:
                        ref = self.notes.use(group, refname, None)
                        out.append(marker(ref.label) if mode == "body" else "")
            return "".join(out)
        if name in _REF_TEMPLATES:
            return ""
        if name in _REFLIST_NAMES:
            group = ""
            if t.has("group"):
                group = str(t.get("group").value).strip()
            elif name.startswith("notelist"):
                group = {"notelist-ua": "upper-alpha", "notelist-lr": "lower-roman",
                         "notelist-ur": "upper-roman", "notelist-lg": "lower-greek"}.get(name, "lower-alpha")
            if t.has("refs"):
                self.define_refs(t.get("refs").value, group)
            return ""
        if name.startswith("cite ") or name in _CITE_NAMES:
            text = self.cite(t)
            return f"\n\n{text}\n\n" if mode == "body" else text
        if name.startswith("infobox") or name.endswith(" infobox") or name.startswith("taxobox") \
                or name == "speciesbox":
            self.infobox_from_template(t, name)
            return ""
        if name.startswith("displaytitle:"):
            self.display_title = _squash(str(t.name).split(":", 1)[1])
            return ""
        if name in _DASHES:
            return _DASHES[name]
        if name.startswith("lang-"):
            return self.pos(t, 1, mode)
        if name in _KEEP_LAST:
            pos = self.positionals(t)
            if name == "lang" or name == "langx":
                return self.pos(t, 2, mode)
            return self.render(pos[-1].value, mode) if pos else ""
        if name == "sic":
            pos = self.positionals(t)
            return (self.render(pos[-1].value, mode) + " [sic]") if pos else "[sic]"
        if name in _KEEP_FIRST:
            lt = self.named(t, "lt", mode)
            if name in ("ill", "interlanguage link") and lt:
                return lt
            return self.pos(t, 1, mode)
        if name in ("lit", "literally", "literal translation"):
            vals = [_squash(self.render(p.value, mode)) for p in self.positionals(t)]
            return "lit. " + " or ".join(f"'{v}'" for v in vals if v) if vals else ""
        if name in ("circa", "c.", "ca.", "ca"):
            value = self.pos(t, 1, mode)
            return f"c. {value}" if value else "c."
        if name in ("as of",):
            vals = [_squash(self.render(p.value, mode)) for p in self.positionals(t)]
            since = " ".join(reversed(vals)) if len(vals) > 1 else (vals[0] if vals else "")
            return f"As of {since}".strip()
        if name in ("convert", "cvt"):
            vals = [_squash(self.render(p.value, mode)) for p in self.positionals(t)]
            if len(vals) >= 4 and vals[1] in ("-", "to", "and", "–", "or", "x", "×", "by", "+"):
                sep = {"-": "–", "x": "×"}.get(vals[1], vals[1])
                return f"{vals[0]}{sep}{vals[2]} {vals[3]}" if sep in ("–", "×") else \
                    f"{vals[0]} {sep} {vals[2]} {vals[3]}"
            return " ".join(vals[:2])
        if name in ("frac", "fraction", "sfrac"):
            vals = [_squash(self.render(p.value, mode)) for p in self.positionals(t)]
            if len(vals) == 3:
                return f"{vals[0]} {vals[1]}/{vals[2]}"
            if len(vals) == 2:
                return f"{vals[0]}/{vals[1]}"
            return f"1/{vals[0]}" if vals else ""
        if name in ("us$", "usd", "currency", "gbp", "£", "€", "eur", "inr", "irr"):
            amount = self.pos(t, 1, mode)
            symbol = {"us$": "US$", "usd": "US$", "gbp": "£", "£": "£", "€": "€", "eur": "€",
                      "inr": "₹", "irr": "IRR "}.get(name, "")
            return f"{symbol}{amount}"
        if name in _DATE_TEMPLATES:
            return self.date_template(t)
        if name in _QUOTE_NAMES:
            text = self.named(t, "text", mode) or self.named(t, "quote", mode) or self.pos(t, 1, mode)
            by = self.named(t, "author", mode) or self.pos(t, 2, mode)
            if mode == "body":
                out = f"\n\n{text}\n\n"
                if by and by.strip():
                    out += f"— {_squash(by)}\n\n"
                return out
            return text
        if name in _LIST_NAMES:
            vals = [_squash(self.render(p.value, mode)) for p in self.positionals(t)]
            vals = [v for v in vals if v]
            joined = ", ".join(vals)
            return (f"\n\n{joined}\n\n" if name in ("plainlist", "flatlist", "plain list") and mode == "body"
                    else joined)
        if name in ("flag", "flagcountry", "flagu", "flag country"):
            return self.pos(t, 1, mode)
        if name in ("nihongo",):
            return self.pos(t, 1, mode)
        # Anything else (navboxes, hatnotes, maintenance tags, coordinates, …): dropped,
        # but refs inside it still take their numbers.
        for p in t.params:
            self.render(p.value, "quiet")
        return ""

    def date_template(self, t: Template) -> str:
        vals = [str(p.value).strip() for p in self.positionals(t)]
        nums = [v for v in vals if re.fullmatch(r"\d{1,4}", v)]
        if not nums:
            return vals[0] if vals else ""
        y = int(nums[0])
        months = ["January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December"]
        if len(nums) >= 3 and 1 <= int(nums[1]) <= 12:
            return f"{int(nums[2])} {months[int(nums[1]) - 1]} {y}"
        if len(nums) == 2 and 1 <= int(nums[1]) <= 12:
            return f"{months[int(nums[1]) - 1]} {y}"
        return str(y)

    def infobox_from_template(self, t: Template, name: str) -> None:
        if self.infobox_type is None:
            self.infobox_type = re.sub(r"^infobox\s*", "", name).strip() or "infobox"
        for p in t.params:
            key = str(p.name).strip()
            value = self.render(p.value, "quiet")
            value = ", ".join(s for s in (_squash(line) for line in value.replace(ITEM, "\n").split("\n")) if s)
            if value and key not in self.infobox:
                self.infobox[key] = value


# ---------------------------------------------------------------------------
# Extractor

_CONVERTED_INFOBOX_RE = re.compile(
    r"^Infobox[^\S\n]*([^\n]*)\n((?:[ \t]*[-*•][ \t]*[^:\n]{1,80}:[^\n]*(?:\n|$))+)", re.M
)
_REFERENCES_OPEN_RE = re.compile(r"<references\b[^>]*?(?<!/)>", re.I)
_REFERENCES_CLOSE_RE = re.compile(r"</references\s*>", re.I)
_STRAY_REF_RE = re.compile(r"</?ref\b[^>]*>|<references\b[^>]*/?>|</references\s*>", re.I)


def _paragraphs(rendered: str) -> list[tuple[str, int]]:
    """Split rendered text into ``(paragraph, heading level or 0)``."""
    out: list[tuple[str, int]] = []
    for chunk in re.split(r"\n[^\S\n]*\n", rendered):
        while chunk.strip():
            stripped = chunk.lstrip()
            if stripped.startswith(HEAD):
                level_str, _, rest = stripped[1:].partition(HEAD_END)
                out.append((rest.strip(), int(level_str or 1)))
                break
            if stripped.startswith(ITEM):
                item, _, chunk = stripped[1:].partition("\n")
                item = item.replace(ITEM, " ")
                out.append((item, 0))
                continue
            out.append((chunk.replace(ITEM, " "), 0))
            break
    return out


def _drop_empty_sections(paras: list[tuple[str, int]]) -> list[tuple[str, int]]:
    keep: list[tuple[str, int]] = []
    for i, (text, level) in enumerate(paras):
        if level:
            has_content = False
            for later, later_level in paras[i + 1:]:
                if later_level and later_level <= level:
                    break
                if not later_level and later.strip() and re.sub("\ue000[^\ue001]*\ue001", "", later).strip():
                    has_content = True
                    break
            if not has_content:
                continue
        keep.append((text, level))
    return keep


class WikitextExtractor(Extractor):
    """MediaWiki wikitext, and wiki-style text left by converters."""

    name = "wikitext"
    media_type = "text/x-wiki"
    media_types = frozenset({"text/x-wiki", "text/x-mediawiki"})
    extensions = frozenset({"wiki", "mediawiki", "wikitext"})

    def content_score(self, data: bytes, hints: Hints) -> int:
        if not data.strip() or looks_binary(data):
            return 0
        text = data[:200_000].decode("utf-8", errors="replace")
        if _HTML_DOC_RE.search(text[:4096]):
            return 0
        kinds, points = wikitext_evidence(text)
        score = _scaled(kinds, points)
        if not score:
            return 0
        mkinds, mpoints = markdown_evidence(text)
        if mkinds >= 2 and mpoints > points:
            return 0
        return score

    def extract(self, data: bytes, hints: Hints) -> ExtractedDocument:
        if looks_binary(data):
            raise DecodingError("wikitext: the bytes are binary, not text")
        decoded, warnings = decode_text(data, hints.charset)
        source, infobox = self._converted_infobox(decoded)
        opens = len(_REFERENCES_OPEN_RE.findall(source))
        closes = len(_REFERENCES_CLOSE_RE.findall(source))
        if closes and not opens:
            source = _REFERENCES_CLOSE_RE.sub("", source)
            warnings.append("dangling </references> removed")
        try:
            code = mwparserfromhell.parse(source)
        except RecursionError:
            raise
        except Exception as exc:  # noqa: BLE001 - third-party parser boundary
            raise CorruptDocument(f"wikitext: cannot parse: {type(exc).__name__}: {exc}") from exc
        renderer = _Renderer(warnings)
        if infobox:
            renderer.infobox.update(infobox)
            renderer.infobox_type = renderer.infobox_type or "converted"
        rendered = renderer.render(code, "body")
        paras = _drop_empty_sections(_paragraphs(rendered))
        cleaned: list[str] = []
        stray = False
        for text, _level in paras:
            new = _STRAY_REF_RE.sub("", text)
            stray = stray or new != text
            cleaned.append(new)
        if stray:
            warnings.append("stray <ref>/<references> tags removed from the text")
        text, markers = assemble(cleaned)

        notes = renderer.notes
        for key, ref in notes.pending.items():
            warnings.append(f"list-defined ref name={key[1]!r} is never used; dropped")
        pairs: list[tuple[str, str]] = []
        by_label: dict[str, _Ref] = {}
        for ref in notes.order:
            if ref.body is None:
                warnings.append(f"ref name={ref.name!r} is used but never defined")
                continue
            if ref.label in by_label:
                continue
            by_label[ref.label] = ref
            pairs.append((ref.label, ref.body))
        footnotes = link_footnotes(text, markers, notes=pairs)
        for note in footnotes:
            ref = by_label.get(note.label)
            if ref is not None and ref.citations:
                note.citations = ref.citations
        marked = {label for label, _ in markers}
        for label, _ in pairs:
            if label not in marked:
                log.debug("wikitext note %s has no marker in the canonical text", label)

        metadata = self._metadata(text, paras, renderer, hints)
        return ExtractedDocument(
            format="wikitext", media_type=self.media_type, text=text, metadata=metadata,
            footnotes=footnotes, warnings=warnings, extractor=self.name,
        )

    @staticmethod
    def _converted_infobox(text: str) -> tuple[str, dict[str, str]]:
        """The "Infobox" + ``- Key: value`` block some converters write, taken out."""
        m = _CONVERTED_INFOBOX_RE.search(text[:20_000])
        if not m:
            return text, {}
        box: dict[str, str] = {}
        for line in m.group(2).splitlines():
            line = re.sub(r"^[ \t]*[-*•][ \t]*", "", line)
            key, _, value = line.partition(":")
            if key.strip() and value.strip():
                box.setdefault(key.strip(), value.strip())
        return text[: m.start()] + text[m.end():], box

    @staticmethod
    def _metadata(text: str, paras: list[tuple[str, int]], renderer: _Renderer, hints: Hints) -> Metadata:
        meta = Metadata()
        strip = lambda s: assemble([s])[0]  # noqa: E731 - drops markers
        h1 = [strip(t) for t, level in paras if level == 1 and strip(t)]
        title = renderer.display_title or (h1[0] if h1 else None)
        site = None
        if hints.url:
            parsed = urlparse(hints.url)
            meta.canonical_url = hints.url
            host = parsed.netloc.lower()
            if host.endswith("wikipedia.org"):
                site = "Wikipedia"
                lang = host.split(".")[0]
                if _LANG_PREFIX_RE.match(lang) and lang not in ("www", "m"):
                    meta.language = lang
            if title is None:
                m = re.search(r"/wiki/([^?#]+)", parsed.path)
                if m:
                    title = unquote(m.group(1)).replace("_", " ")
                elif "title=" in (parsed.query or ""):
                    q = re.search(r"(?:^|&)title=([^&]+)", parsed.query)
                    title = unquote(q.group(1)).replace("_", " ") if q else None
        if title is None:
            for key in ("name", "title", "conventional_long_name", "official_name"):
                if renderer.infobox.get(key):
                    title = renderer.infobox[key]
                    break
        meta.title = title
        meta.site_name = site
        head = [t for t, level in paras[:12] if not level]
        for para in head:
            cleaned = re.sub(r"^(?:date|dated|published)\s*:?\s*", "", strip(para).strip(), flags=re.I)
            if len(cleaned) <= 40:
                iso = parse_date(cleaned)
                if iso:
                    meta.date = iso
                    break
        meta.identifiers = find_document_identifiers("\n".join(strip(p) for p in head if len(p) < 300))
        if meta.language is None:
            meta.language = guess_language(text)
        meta.keywords = list(dict.fromkeys(renderer.categories))
        if renderer.infobox:
            meta.extra["infobox"] = dict(renderer.infobox)
            if renderer.infobox_type:
                meta.extra["infobox_type"] = renderer.infobox_type
        if renderer.interlanguage:
            meta.extra["interlanguage"] = dict(renderer.interlanguage)
        return meta


"""Rendering the wikitext parse tree to canonical text, in source order.

:class:`Renderer` walks the mwparserfromhell tree once, so refs are numbered as
the rendered page numbers them; markers are inlined with
:func:`~extractors.text.markers.marker`. Templates go through the handler table
in :mod:`~extractors.wikitext.templates`, cite templates through
:mod:`~extractors.wikitext.cite`, ref numbering through
:mod:`~extractors.wikitext.refs`.
"""

from __future__ import annotations

import hashlib
import re

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

from extractors.record import Citation
from extractors.text.markers import marker
from extractors.wikitext.cite import cite_citation, short_cite
from extractors.wikitext.common import HEAD, HEAD_END, ITEM, squash, tag_attr, template_name
from extractors.wikitext.refs import EFN_GROUPS, Notes
from extractors.wikitext.templates import render_template

_DROP_TAGS = {"gallery", "math", "chem", "score", "timeline", "graph", "mapframe", "maplink",
              "templatestyles", "includeonly", "imagemap", "inputbox", "categorytree", "hiero",
              "ce", "section", "indicator", "charinsert"}
_BLOCK_TAGS = {"p", "div", "blockquote", "poem", "center", "pre", "syntaxhighlight", "source",
               "ul", "ol", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "hr"}
_LIST_MARKUP = {"*", "#", ";", ":"}
_INTERWIKI = {"w", "wikt", "wiktionary", "s", "wikisource", "commons", "d", "wikidata", "q",
              "wikiquote", "n", "wikinews", "b", "wikibooks", "v", "wikiversity", "voy",
              "wikivoyage", "species", "m", "meta", "mw", "c"}
LANG_PREFIX_RE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8}){0,2}$")
_DROP_NS_RE = re.compile(r"^\s*(?:file|image|category|media|datei|fichier|bild|kategorie|imagen|archivo)\s*:", re.I)
_MAGIC_RE = re.compile(r"__[A-Z]{3,}__")
_QUOTES_RE = re.compile(r"'{2,5}")


class Renderer:
    """One pass over the parse tree, in source order, so refs are numbered as rendered."""

    def __init__(self, warnings: list[str]) -> None:
        self.warnings = warnings
        self.notes = Notes(warnings)
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
            title = squash(self.render(node.title, mode))
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
        if rest and link.text is None and LANG_PREFIX_RE.match(prefix.strip()) and \
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
                group = tag_attr(tag, "group") or ""
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
            return f"\n\n{ITEM}{squash(inner)}\n\n" if mode == "body" else f"\n{inner}\n"
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
            return squash(self.render(cell.contents, mode)) if cell.contents is not None else ""

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
        name = tag_attr(tag, "name")
        group = tag_attr(tag, "group") or ""
        contents = None if tag.self_closing else tag.contents
        if mode == "define":
            body, cites = self.note_body(contents)
            self.notes.define(group, name, body, cites)
            return ""
        body, cites = self.note_body(contents)
        follow = tag_attr(tag, "follow")
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
                name = tag_attr(node, "name")
                g = tag_attr(node, "group") or group
                body, cites = self.note_body(None if node.self_closing else node.contents)
                self.notes.define(g, name, body, cites)
            elif isinstance(node, Template):
                tname = template_name(node)
                if tname in EFN_GROUPS or tname in ("refn", "#tag:ref"):
                    self.ref_template(node, tname, "quiet", define=True)
            elif isinstance(node, Tag) and node.contents is not None:
                self.define_refs(node.contents, group)

    def ref_template(self, t: Template, tname: str, mode: str, define: bool = False) -> str:
        params = {str(p.name).strip(): p for p in t.params}
        name = str(params["name"].value).strip() if "name" in params else None
        if tname in EFN_GROUPS:
            group = EFN_GROUPS[tname]
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
            value = squash(self.render(p.value, "note"))
            if p.showkey:
                named[str(p.name).strip().lower()] = value
            else:
                positional.append(value)
        text, cite = short_cite(tname, positional, named)
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


    # -- cite templates ------------------------------------------------------
    def cite(self, t: Template) -> str:
        """A cite template's note text; its Citation goes to the innermost ref being rendered."""
        p: dict[str, str] = {}
        for param in t.params:
            key = str(param.name).strip().lower().replace("_", "-")
            value = squash(self.render(param.value, "quiet"))
            if value:
                p[key] = value
        text, citation = cite_citation(p, template_name(t))
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

    def template(self, t: Template, mode: str) -> str:
        """Text of template ``t``: by the handler table in :mod:`extractors.wikitext.templates`."""
        return render_template(self, t, mode)

    def infobox_from_template(self, t: Template, name: str) -> None:
        if self.infobox_type is None:
            self.infobox_type = re.sub(r"^infobox\s*", "", name).strip() or "infobox"
        for p in t.params:
            key = str(p.name).strip()
            value = self.render(p.value, "quiet")
            value = ", ".join(s for s in (squash(line) for line in value.replace(ITEM, "\n").split("\n")) if s)
            if value and key not in self.infobox:
                self.infobox[key] = value

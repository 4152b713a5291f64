"""Wikitext citation templates to :class:`~extractors.record.Citation` fields.

:func:`cite_citation` reads ``{{cite web}}``, ``{{cite book}}``, ``{{citation}}``
and friends (from their rendered parameters) into the note's plain text and
structured fields; :func:`short_cite` does the same for the ``{{sfn}}`` /
``{{harv}}`` family of short citations.
"""

from __future__ import annotations

import re

from extractors.record import Citation, Identifier
from extractors.text.dates import parse_date

YEAR_RE = re.compile(r"^(?:c\.\s*)?\d{3,4}[a-z]?$|^n\.d\.[a-z]?$|^nd$", re.I)


def join_authors(names: list[str]) -> str:
    """"A", "A & B", "A, B & C", "A et al."."""
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]} & {names[1]}"
    if len(names) == 3:
        return f"{names[0]}, {names[1]} & {names[2]}"
    return f"{names[0]} et al."


def cite_authors(p: dict[str, str]) -> list[str]:
    """Authors of a cite template from its parameters (``last1``/``first1``, ``author2``, ``vauthors`` …)."""
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
    return authors


def cite_citation(p: dict[str, str], tname: str) -> tuple[str, Citation]:
    """Text and Citation of cite template ``tname`` from its rendered, non-empty parameters ``p``."""
    authors = cite_authors(p)
    author = "; ".join(authors) if authors else None
    title = p.get("title") or p.get("trans-title") or p.get("script-title")
    if title and re.match(r"^[a-z]{2,3}:", title) and "script-title" in p and title == p["script-title"]:
        title = title.split(":", 1)[1]
    chapter = p.get("chapter") or p.get("contribution") or p.get("section") or p.get("entry") \
        or p.get("article")
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
    return text, citation


def short_cite(tname: str, positional: list[str], named: dict[str, str]) -> tuple[str, Citation]:
    """Text and Citation of an ``{{sfn}}``/``{{harv}}``-family short citation from its rendered parameters."""
    if tname in ("sfnm", "sfnmp"):
        pieces = []
        first_author = None
        first_year = None
        for i in range(1, 10):
            authors = [named[f"{i}a{j}"] for j in range(1, 5) if named.get(f"{i}a{j}")]
            year = named.get(f"{i}y", "")
            if not authors and not year:
                continue
            piece = f"{join_authors(authors)} {year}".strip() if authors else year
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
        if YEAR_RE.match(positional[i]):
            year = positional[i]
            authors = positional[:i]
            break
    else:
        if len(positional) > 1:
            year, authors = positional[-1], positional[:-1]
    authors = [a for a in authors if a][:4] if len(authors) <= 4 else authors[:4]
    who = join_authors(authors) if authors else ""
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

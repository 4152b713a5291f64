"""CSL-JSON export of a document's citations (``archivist show ID --csl``).

One CSL item per citation, in note order. Repeated references ("Ibid.",
"previously cited", "supra note 3", i.e. citations with ``refers_to``) are not
items of their own: they point at an item that is already there.

Notes without any bibliographic field (no title, author, date, URL or
identifier: "Interviews on file", "para. 51") are left out too.

Field mapping:

* ``id``: ``doc{ID}-note{label}-{i}`` (``i`` counts citations inside the note from 1);
* ``type``: ``report`` (UN documents, NGO reports), ``book``, ``article-journal``
  (a DOI or a journal), ``article-newspaper`` (an outlet as author), ``article``,
  ``webpage``, else ``document``;
* ``title``: the parsed title, else the citation text without its URLs;
* ``author``: ``[{"literal": …}]`` for organisations and anything unclear,
  ``[{"family": …, "given": …}]`` only for clear personal names
  ("Mortimer, Edward", "Edward Mortimer" in an article or book); a news outlet
  becomes ``container-title`` instead;
* ``issued``: ``{"date-parts": [[y, m, d]]}`` with the parts that are known;
* ``container-title``, ``publisher``, ``publisher-place``, ``volume``, ``issue``, ``page``
  from the citation labeller's ``container``, ``publisher``, ``place``, ``volume``, ``issue``,
  ``pages`` (an outlet already named as ``container-title``, a report's body as ``publisher``, stay);
* ``URL``, ``DOI``, ``ISBN``, ``number`` (UN symbol or NGO index number);
* ``note``: the pinpoint ("para. 59"); ``archive``/``archive_location`` name the
  archived copy when the citation is linked to one.
"""

from __future__ import annotations

import re
from typing import Any

from storage.models import StoredCitation, Document

CSL_TYPES = frozenset({
    "article", "article-journal", "article-magazine", "article-newspaper", "book", "chapter", "document",
    "legal_case", "legislation", "manuscript", "report", "webpage", "speech", "interview", "thesis",
})

_ORG_WORDS = re.compile(
    r"\b(?:International|Nations|UN|U\.N\.|Council|Commission|Committee|Assembly|Rapporteur|Representative|"
    r"Parliament|Government|Ministry|Office|Agency|Organi[sz]ation|Watch|Cent(?:er|re)|Foundation|Institute|"
    r"University|Court|Union|Network|Group|Mission|Secretary|Secretariat|Amnesty|Federation|Association|"
    r"Society|Project|Campaign|Coalition|Department|Bureau|Board|Tribunal|Bank|Fund|Programme|Program|Iran|"
    r"Justice|Rights|Human|Party|Republic|State|States|Press|Publishers|Aparat|YouTube|Habilia|"
    r"Wikipedia|Twitter|Facebook|Instagram|Telegram)\b",
    re.IGNORECASE,
)
_OUTLET_RE = re.compile(
    r"\b(?:Times|Post|News|Guardian|Reuters|Associated Press|AP|AFP|Agence France|Journal|Mail|Telegraph|BBC|"
    r"Monitor|Newsweek|Economist|Spiegel|CNN|NPR|Farsi|Ettelaat|Kayhan|Keyhan|Etemad|Shargh|Tasnim|IRNA|ISNA|"
    r"Al Jazeera|Le Monde|Independent|IranWire|Euronews|Deutsche Welle|DW|Radio|Review|Herald|Tribune|"
    r"Gazette|Chronicle|Observer|Financial|Globe|Magazine|Daily|Weekly|VOA)\b"
)
_JOURNAL_RE = re.compile(r"\b(?:Journal|Review|Quarterly|Studies|Vol\.|Volume)\b")
_NAME_WORD = r"[A-Z][a-z'’\-]+"
_GIVEN_FAMILY_RE = re.compile(rf"^({_NAME_WORD}(?:\s+[A-Z]\.)?(?:\s+{_NAME_WORD})?)\s+({_NAME_WORD})$")
_FAMILY_GIVEN_RE = re.compile(rf"^({_NAME_WORD}(?:\s+{_NAME_WORD})?),\s+({_NAME_WORD}(?:\s+[A-Z]\.?)*)$")
# StoredCitation fields of the citation labeller and their CSL-JSON variables
_LABELLER_FIELDS = (("container", "container-title"), ("publisher", "publisher"), ("place", "publisher-place"),
                    ("volume", "volume"), ("issue", "issue"), ("pages", "page"))
_URL_IN_TEXT = re.compile(r"\[([^\]]*)\]\([^)]*\)|(?:https?://|www\.)\S+", re.IGNORECASE)
_BARE_HOST = re.compile(r"^(?:[a-z0-9\-]+\.)+[a-z]{2,}(?:[/?#]|$)", re.IGNORECASE)


_INDEX_SUFFIX = re.compile(r"\s*[(\[](?:AI\s+)?(?:Index|UN\s+Doc\.?|Symbol)\s*:?[^()\[\]]*[)\]]\s*$", re.IGNORECASE)


def _truncate(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    cut = text[: width - 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"


def _clean(text: str | None) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    text = re.sub(r"(?<!\w)[*_]+|[*_]+(?!\w)", "", text)  # markdown emphasis
    return text.strip(" ,;:")


def _date_parts(value: str | None) -> list[int] | None:
    m = re.match(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value or "")
    if not m:
        return None
    return [int(g) for g in m.groups() if g]


def _person(name: str) -> dict[str, str] | None:
    m = _FAMILY_GIVEN_RE.match(name)
    if m:
        return {"family": m.group(1), "given": m.group(2)}
    m = _GIVEN_FAMILY_RE.match(name)
    if m:
        return {"family": m.group(2), "given": m.group(1)}
    return None


def _authors(author: str, csl_type: str) -> list[dict[str, str]]:
    """Persons only when clear (an article or book, every name a plain personal name)."""
    if _ORG_WORDS.search(author) or _OUTLET_RE.search(author) or csl_type not in (
            "article", "article-journal", "article-newspaper", "book"):
        return [{"literal": author}]
    names = [n.strip() for n in re.split(r"\s*(?:;|&|\band\b)\s*", author) if n.strip()]
    if len(names) == 1 and "," in author and not _FAMILY_GIVEN_RE.match(author):
        names = [n.strip() for n in author.split(",") if n.strip()]
    people = [_person(n) for n in names]
    if names and all(people):
        return people  # type: ignore[return-value]
    return [{"literal": author}]


def _url(urls: list[Any]) -> str | None:
    for url in urls or []:
        url = str(url).strip()
        if re.match(r"^https?://", url, re.IGNORECASE):
            return url
        if url.lower().startswith("www.") or _BARE_HOST.match(url):
            return "https://" + url
    return None


def _type(cit: StoredCitation, schemes: dict[str, str], author: str) -> str:
    kind = cit.kind or "other"
    if kind in ("un-document", "ngo-report"):
        return "report"
    if kind == "book" or "isbn" in schemes:
        return "book"
    if kind == "article":
        container = cit.container or ""
        if "doi" in schemes or _JOURNAL_RE.search(cit.text or "") or cit.volume:
            return "article-journal"
        if (author and _OUTLET_RE.search(author)) or _OUTLET_RE.search(container):
            return "article-newspaper"
        return "article"
    if "doi" in schemes:
        return "article-journal"
    if kind == "web":
        return "webpage"
    return "document"


def citation_csl(cit: StoredCitation, item_id: str) -> dict[str, Any]:
    """One citation as a CSL-JSON item."""
    schemes: dict[str, str] = {}
    for ident in cit.identifiers:
        schemes.setdefault(ident.scheme, ident.value)
    author = _clean(cit.author)
    csl_type = _type(cit, schemes, author)
    title = _INDEX_SUFFIX.sub("", _clean(cit.title)).strip()
    if not title:
        title = _truncate(_clean(_URL_IN_TEXT.sub(lambda m: m.group(1) or "", cit.text or "")), 200) or item_id
    item: dict[str, Any] = {"id": item_id, "type": csl_type, "title": title}
    if author:
        if csl_type == "article-newspaper" and _OUTLET_RE.search(author):
            item["container-title"] = author
        else:
            item["author"] = _authors(author, csl_type)
            if csl_type == "report" and "literal" in item["author"][0]:
                item["publisher"] = author
    parts = _date_parts(cit.date)
    if parts:
        item["issued"] = {"date-parts": [parts]}
    url = _url(list(cit.urls or []))
    if url:
        item["URL"] = url
    if "doi" in schemes:
        item["DOI"] = schemes["doi"]
    if "isbn" in schemes:
        item["ISBN"] = schemes["isbn"]
    number = schemes.get("un-symbol") or schemes.get("ngo-index")
    if number:
        item["number"] = number
    for field, csl_field in _LABELLER_FIELDS:
        value = getattr(cit, field)
        if value and csl_field not in item:  # a report's issuing body already stands as its publisher
            item[csl_field] = value
    if cit.pinpoint:
        item["note"] = cit.pinpoint
    if cit.cited_document_id:
        item["archive"] = "archivist"
        item["archive_location"] = f"document {cit.cited_document_id}"
    return item


def _bibliographic(cit: StoredCitation) -> bool:
    """A citation with at least one bibliographic field (not prose such as "Interviews on file")."""
    return bool(cit.title or cit.author or cit.date or cit.urls or cit.identifiers)


def document_csl(doc: Document) -> list[dict[str, Any]]:
    """The citations of ``doc``'s footnotes as CSL-JSON items (repeats left out)."""
    items: list[dict[str, Any]] = []
    used: set[str] = set()
    for note in doc.footnotes:
        for index, cit in enumerate(note.citations, start=1):
            if cit.refers_to or not _bibliographic(cit):
                continue
            label = re.sub(r"[^\w.\-]+", "_", str(note.label)) or str(note.seq)
            item_id = f"doc{doc.id}-note{label}-{index}"
            if item_id in used:
                item_id = f"{item_id}-s{note.seq}"
            used.add(item_id)
            items.append(citation_csl(cit, item_id))
    return items

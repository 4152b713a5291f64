"""Metadata of an HTML page: headline, publication date, authors, site, language, URL.

Sources, most reliable first: JSON-LD (``schema.org`` Article types), Open
Graph / article / Dublin Core / parse.ly meta tags, microdata and visible
markup (``<h1>``, ``<time datetime>``, ``rel=author``, bylines), the URL, and
finally htmldate for dates.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import date
from urllib.parse import urljoin, urlsplit

from lxml import etree

from extractors.html.parse import PageHead
from extractors.record import Metadata
from extractors.text.dates import written_date

_ARTICLE_TYPES = ("article", "newsarticle", "reportagenewsarticle", "blogposting", "analysisnewsarticle",
                  "opinionnewsarticle", "report", "scholarlyarticle", "backgroundnewsarticle", "liveblogposting",
                  "techarticle", "socialmediaposting", "review", "creativework", "webpage", "pressrelease")
_DATE_META = ("article:published_time", "og:article:published_time", "article.published", "published_time",
              "datepublished", "date.published", "pubdate", "publishdate", "publish-date", "publish_date",
              "publication_date", "citation_publication_date", "citation_date", "dc.date.issued",
              "dcterms.issued", "dc.date", "dcterms.date", "dc.date.created", "dcterms.created",
              "sailthru.date", "parsely-pub-date", "article_date_original", "originalpublicationdate",
              "cxenseparse:recs:publishtime", "og:published_time", "date", "created", "datecreated")
_AUTHOR_META = ("author", "article:author", "og:article:author", "sailthru.author", "parsely-author",
                "dc.creator", "dcterms.creator", "citation_author", "byl", "authors", "author_name")
_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ", " • ", " » ", " « ", " / ", " : ")
_URL_DATE_RE = re.compile(r"/((?:19|20)\d{2})[/_.-]?(0[1-9]|1[0-2])[/_.-]?(0[1-9]|[12]\d|3[01])(?:[/_.-]|$)")
_ISO_RE = re.compile(r"((?:19|20)\d{2})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])")
_COMPACT_RE = re.compile(r"^((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])")
_BY_RE = re.compile(r"^\s*(?:written\s+|reported\s+|text\s+|words\s+)?(?:by|von|par|por|di|door)\s*[:\s]\s*",
                    re.IGNORECASE)
_AUTHOR_SPLIT_RE = re.compile(r"\s*(?:,|;|\band\b|\bund\b|\bet\b|\by\b|&|\|)\s*", re.IGNORECASE)
_NOT_A_NAME_RE = re.compile(r"https?://|@|www\.|\d{3,}|staff|editor|newsroom|desk|correspondent|reporter|"
                            r"updated|published|minutes? read|associated press|reuters|afp", re.IGNORECASE)


_PARTICLES = {"de", "da", "das", "do", "dos", "del", "della", "di", "du", "la", "le", "van", "von", "der", "den",
              "al", "el", "bin", "bint", "ibn", "ben", "y", "e", "ter", "zu", "af"}
_ROLE_RE = re.compile(r"\b(researcher|director|correspondent|editor|writer|reporter|analyst|contributor|"
                      r"professor|senior|journalist|columnist|producer|photographer|team|staff|head of|"
                      r"chief|officer|advisor|adviser|fellow|author)s?\b", re.IGNORECASE)


def _norm(text: str | None) -> str:
    return " ".join((text or "").split())


def _text(el: etree._Element) -> str:
    return _norm("".join(el.itertext()))


def collect_meta(head: PageHead) -> dict[str, list[str]]:
    """``<meta>`` values by lower-cased ``name``/``property``/``itemprop``/``http-equiv``."""
    meta: dict[str, list[str]] = {}
    for el in head.meta:
        content = el["content"]
        if not content.strip():
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = el.get(attr)
            if key:
                meta.setdefault(key.strip().lower(), []).append(_norm(content))
    return meta


def json_ld_objects(head: PageHead) -> list[dict]:
    """Every JSON-LD object on the page, ``@graph`` members flattened, Article types first."""
    objects: list[dict] = []

    def add(obj: object, depth: int = 0) -> None:
        if depth > 4:
            return
        if isinstance(obj, list):
            for item in obj[:50]:
                add(item, depth + 1)
        elif isinstance(obj, dict):
            if "@graph" in obj:
                add(obj["@graph"], depth + 1)
            if "@type" in obj:
                objects.append(obj)
            main = obj.get("mainEntity") or obj.get("mainEntityOfPage")
            if isinstance(main, dict) and "@type" in main and "headline" in main:
                objects.append(main)

    for raw in head.json_ld:
        raw = raw.strip()
        if not raw or len(raw) > 1_000_000:
            continue
        raw = re.sub(r"^\s*<!\[CDATA\[|\]\]>\s*$", "", raw)
        try:
            add(json.loads(raw))
        except (ValueError, RecursionError):
            try:
                add(json.loads(re.sub(r",\s*([}\]])", r"\1", raw.replace("\n", " "))))
            except (ValueError, RecursionError):
                continue

    def rank(obj: dict) -> int:
        types = obj.get("@type")
        types = [types] if isinstance(types, str) else (types or [])
        names = [str(t).lower() for t in types if isinstance(t, str)]
        for i, t in enumerate(_ARTICLE_TYPES):
            if t in names:
                return i if t not in ("webpage", "creativework") else 50 + i
        return 100

    return sorted(objects, key=rank)


def _is_article(obj: dict) -> bool:
    types = obj.get("@type")
    types = [types] if isinstance(types, str) else (types or [])
    return any(isinstance(t, str) and (t.lower().endswith(("article", "posting")) or t.lower() in
                                       ("report", "review", "pressrelease")) for t in types)


def _names(value: object) -> list[str]:
    """Person names from a JSON-LD ``author``/``creator`` value."""
    out: list[str] = []
    items = value if isinstance(value, list) else [value]
    for item in items[:20]:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            kind = str(item.get("@type", "Person")).lower()
            name = item.get("name")
            if isinstance(name, list):
                name = " ".join(map(str, name))
            if name and "organization" not in kind:
                out.append(str(name))
    return out


_AGENCY_RE = re.compile(r"\b(?:associated press|reuters|afp|agence france-presse|ap|dpa|efe|ansa|anadolu|"
                        r"xinhua|kyodo|bloomberg|press association|pa media)\b", re.IGNORECASE)


def find_organizations(meta: dict, objects: list[dict]) -> list[str]:
    """Organisations named as authors (JSON-LD ``Organization`` authors, agencies in a byline),
    kept apart from the people in ``authors``."""
    out: list[str] = []
    for obj in objects:
        if not _is_article(obj):
            continue
        value = obj.get("author") or obj.get("creator")
        for item in (value if isinstance(value, list) else [value])[:20]:
            if isinstance(item, dict) and "organization" in str(item.get("@type", "")).lower():
                if isinstance(item.get("name"), str) and item["name"].strip():
                    out.append(_norm(item["name"]))
        break
    for key in _AUTHOR_META:
        for raw in meta.get(key, [])[:3]:
            out.extend(m.group(0) for m in _AGENCY_RE.finditer(raw))
    return _dedupe(out)


def _similar(a: str, b: str) -> float:
    """Token overlap of two strings (0…1, Jaccard on lower-cased words)."""
    ta = set(re.findall(r"\w+", a.lower()))
    tb = set(re.findall(r"\w+", b.lower()))
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


def strip_site_suffix(title: str, site_names: list[str], host: str | None) -> str:
    """Remove a site name appended or prepended to a title (``"Headline | Site"``)."""
    title = _norm(title)
    host_tokens = set()
    if host:
        parts = host.lower().split(".")
        host_tokens = {p for p in parts if p not in ("www", "com", "org", "net", "co", "uk", "de", "fr", "m", "amp")}
    sites = [s.lower() for s in site_names if s]
    for sep in _SEPARATORS:
        if sep not in title:
            continue
        parts = [p.strip() for p in title.split(sep)]
        changed = True
        while changed and len(parts) > 1:
            changed = False
            for idx in (-1, 0):
                seg = parts[idx]
                low = seg.lower()
                squashed = re.sub(r"[^a-z0-9]", "", low)
                is_site = any(low == s or _similar(low, s) >= 0.5 or squashed == re.sub(r"[^a-z0-9]", "", s)
                              for s in sites)
                is_site = is_site or bool(squashed and len(seg.split()) <= 5 and any(
                    t == squashed or (t in squashed and (len(t) >= 4 or squashed.startswith(t)))
                    for t in host_tokens))
                if is_site and len(parts) > 1:
                    parts.pop(idx)
                    changed = True
                    break
        if len(parts) > 1 and sep.strip() in ("|", "·", "•", "::", "»", "«"):
            # "Headline | Section | Site": keep the longest segment
            best = max(parts, key=len)
            if len(best.split()) >= 3:
                parts = [best]
        title = sep.join(parts)
    return title


def find_title(root: etree._Element, meta: dict, objects: list[dict], site_names: list[str],
               host: str | None) -> str | None:
    """The headline: an ``<h1>`` that agrees with og:title/JSON-LD/<title>, else the best of those."""
    candidates: list[str] = []
    for obj in objects:
        if _is_article(obj):
            for key in ("headline", "name"):
                if isinstance(obj.get(key), str) and obj[key].strip():
                    candidates.append(_norm(obj[key]))
                    break
            if candidates:
                break
    for key in ("og:title", "twitter:title", "dc.title", "citation_title", "title", "headline"):
        for value in meta.get(key, [])[:1]:
            candidates.append(strip_site_suffix(value, site_names, host))
    title_el = root.find(".//title")
    if title_el is not None and _text(title_el):
        candidates.append(strip_site_suffix(_text(title_el), site_names, host))
    candidates = [c for c in candidates if c]

    h1s = _h1_candidates(root)
    for h1 in h1s:
        for cand in candidates:
            low_h, low_c = h1.lower(), cand.lower()
            if low_h == low_c or _similar(h1, cand) >= 0.6 or (
                len(h1) >= 0.6 * len(cand) and (low_h in low_c or low_c in low_h)
            ) or _is_segment(low_h, low_c):
                return h1
    if candidates:
        return candidates[0]
    return h1s[0] if h1s else None


def _is_segment(headline: str, title: str) -> bool:
    """Whether ``headline`` is the longest part of ``title`` between separators, longer than every
    other ("家族が… | Example"; a site's name in its ``<h1>`` is not the headline)."""
    for sep in _SEPARATORS:
        if sep in title:
            parts = [part.strip() for part in title.split(sep)]
            if headline in parts and all(len(part) < len(headline) for part in parts if part != headline):
                return True
    return False


_HEADLINE_PROPS = etree.XPath("//*[@itemprop='headline']")


def _h1_candidates(root: etree._Element) -> list[str]:
    """Headline candidates: ``<h1>`` inside ``<article>``/``<main>`` and ``itemprop=headline``
    first (in document order), then every ``<h1>``."""
    h1s = list(root.iter("h1"))
    scoped = [h for h in h1s if any(a.tag in ("article", "main") for a in h.iterancestors())]
    props = _HEADLINE_PROPS(root) if "headline" in " ".join(_ITEMPROP_VALUES(root)) else []
    if props and scoped:
        order = {el: i for i, el in enumerate(root.iter())}
        scoped = sorted(set(scoped) | set(props), key=order.__getitem__)
    else:
        scoped = scoped or props
    out = []
    for el in list(scoped) + h1s:
        text = _text(el)
        if 3 <= len(text) <= 400 and text not in out:
            out.append(text)
    return out[:6]


def _iso_day(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    m = _ISO_RE.search(value) or _COMPACT_RE.search(value)
    if not m:
        m2 = re.search(r"((?:19|20)\d{2})/(0[1-9]|1[0-2])/(0[1-9]|[12]\d|3[01])", value)
        if not m2:
            return _parse_loose(value)
        m = m2
    y, mo, d = map(int, m.groups())
    try:
        day = date(y, mo, d)
    except ValueError:
        return None
    if day > date.today().replace(year=date.today().year + 1):
        return None
    return day.isoformat()


def _parse_loose(value: str, languages: tuple[str, ...] | None = None) -> str | None:
    """``"14 May 2023"``, ``"14 mai 2023"``, ``"May 14, 2023"`` → ISO day (see :func:`written_date`)."""
    return written_date(value, languages)


_HAS_PUBDATE = etree.XPath("boolean(//time[@pubdate])")
_PUBLISHED_ELEMENTS = etree.XPath("//*[@itemprop='datePublished' or @itemprop='dateCreated']"
                                  "|//time[@pubdate]|//*[contains(@class,'published')][@datetime]")


def find_date(root: etree._Element, meta: dict, objects: list[dict], url: str | None,
              use_htmldate: bool = True, attrs: _PageAttrs | None = None) -> str | None:
    """Publication day (``YYYY-MM-DD``), local to the page (no time-zone shifting)."""
    attrs = attrs or _PageAttrs(root)
    # an explicit publication date (JSON-LD, then meta tags) before a creation date
    for obj in objects:
        if _is_article(obj):
            day = _iso_day(obj.get("datePublished") if isinstance(obj.get("datePublished"), str) else None)
            if day:
                return day
    for key in _DATE_META:
        for value in meta.get(key, []):
            day = _iso_day(value)
            if day:
                return day
    for obj in objects:
        if _is_article(obj):
            day = _iso_day(obj.get("dateCreated") if isinstance(obj.get("dateCreated"), str) else None)
            if day:
                return day
    for obj in objects:
        day = _iso_day(obj.get("datePublished") if isinstance(obj.get("datePublished"), str) else None)
        if day:
            return day
    if "date" in attrs.itemprops or "published" in attrs.classes or (attrs.has_time() and _HAS_PUBDATE(root)):
        for el in _PUBLISHED_ELEMENTS(root):
            day = _iso_day(el.get("datetime") or el.get("content") or _text(el))
            if day:
                return day
    day = _header_time(root, attrs)
    if day:
        return day
    if url:
        m = _URL_DATE_RE.search(urlsplit(url).path)
        if m:
            day = _iso_day("-".join(m.groups()))
            if day:
                return day
    day = _byline_date(root, attrs)
    if day:
        return day
    if use_htmldate and _has_date_hints(root, attrs):
        return _htmldate(root, url)
    return None


# <time> elements that are not the article's own date: in a link or list (another article),
# or marked as a modification
_OWN_TIMES = etree.XPath(
    "(//article|//main|//header|//*[@itemprop='articleBody']/..)//time[@datetime][not(ancestor::a)]"
    "[not(ancestor::li)][not(ancestor::footer)][not(ancestor::aside)]")
_ANY_TIMES = etree.XPath("//time[@datetime][not(ancestor::a)][not(ancestor::li)][not(ancestor::footer)]"
                         "[not(ancestor::aside)]")
_MODIFIED_RE = re.compile(r"modif|updat|edited|revis|aktualis", re.IGNORECASE)


def _header_time(root: etree._Element, attrs: _PageAttrs) -> str | None:
    """The first ``<time datetime>`` of the article (its header), not another article's or an update's."""
    if not attrs.has_time():
        return None
    for times in (_OWN_TIMES(root), _ANY_TIMES(root)):
        for el in times[:10]:
            names = " ".join(filter(None, (el.get("class"), el.get("itemprop"), el.getparent().get("class"))))
            before = _norm(el.getparent().text or "")
            if _MODIFIED_RE.search(names) or _MODIFIED_RE.search(before[-30:]):
                continue
            day = _iso_day(el.get("datetime"))
            if day:
                return day
    return None


# visible bylines and datelines: "Published 3 March 2023", "Publié le 3 mars 2023", "12. März 2023"
_DATELINE_TAGS = ("div", "span", "p", "time", "small", "li", "dd", "header", "em")
_DATELINE_WORDS = ("date", "time", "byline", "publi", "meta")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _outside(el: etree._Element, tags: tuple[str, ...]) -> bool:
    """Whether no ancestor of ``el`` is one of ``tags``."""
    return not any(anc.tag in tags for anc in el.iterancestors())


def _elements_valued(root: etree._Element, tags: tuple[str, ...], values: dict[str, list[str]],
                     always: str | None = None) -> list:
    """Elements of ``tags`` (any tag when empty) whose attribute equals one of ``values[attribute]``,
    and every ``always`` element among them, in document order.

    libxml2 selects the elements carrying the attributes; the values are looked up in sets. Testing
    the words on every element in Python (``translate`` and ``in``) cost milliseconds on large
    pages, and so did comparing values in XPath (each comparison builds XPath objects).
    """
    sets = {attribute: set(found) for attribute, found in values.items() if found}
    tests = ([f"self::{always}"] if always else []) + [f"@{attribute}" for attribute in sets]
    if not tests:
        return []
    scope = "[" + " or ".join(f"self::{tag}" for tag in tags) + "]" if tags else ""
    return [el for el in _xpath(f"descendant::*[{' or '.join(tests)}]{scope}")(root)
            if el.tag == always or any(el.get(attribute) in found for attribute, found in sets.items())]


@functools.lru_cache(maxsize=32)
def _xpath(expression: str) -> etree.XPath:
    return etree.XPath(expression)


def _dateline_elements(root: etree._Element, limit: int, attrs: _PageAttrs | None = None) -> list[etree._Element]:
    """The first ``limit`` ``<time>`` elements and div/span/p/small/li/dd/header/em elements whose
    class or id holds (in ASCII lower case) date, time, byline, publi or meta, outside links, footers
    and asides, in document order."""
    attrs = attrs or _PageAttrs(root)
    values = {"class": attrs.values_with("class", _DATELINE_WORDS), "id": attrs.values_with("id", _DATELINE_WORDS)}
    out: list[etree._Element] = []
    for el in _elements_valued(root, _DATELINE_TAGS, values, always="time"):
        if _outside(el, ("a", "footer", "aside")):
            out.append(el)
            if len(out) >= limit:
                break
    return out


def _byline_date(root: etree._Element, attrs: _PageAttrs) -> str | None:
    """A date written in a byline or dateline element, in the page's language (dateparser)."""
    if not (attrs.has_time() or _DATE_NAME_RE.search(attrs.classes) or _DATE_NAME_RE.search(attrs.ids)
            or "byline" in attrs.classes):
        return None
    lang = (root.get("lang") or "").split("-")[0].lower()
    languages = (lang,) if re.fullmatch(r"[a-z]{2}", lang) else None
    for el in _dateline_elements(root, 30, attrs):
        names = f"{el.get('class') or ''} {el.get('id') or ''}"
        if _MODIFIED_RE.search(names):
            continue
        text = _text(el)
        if 6 <= len(text) <= 200:
            day = written_date(text, languages)
            if day and day <= date.today().replace(year=date.today().year + 1).isoformat():
                return day
    return None


# a date-like class/id: "date", "post-date", "entry_time", "publishedAt", "postDate", "meta" …
# but not "update" or "runtime" (words that merely contain the letters)
_DATE_NAME_RE = re.compile(r"(?:(?<![A-Za-z])(?:date|time|publi|meta)|Date|Time|Publi)")
_CLASS_VALUES = etree.XPath("descendant-or-self::*/@class", smart_strings=False)
_ID_VALUES = etree.XPath("descendant-or-self::*/@id", smart_strings=False)
_ITEMPROP_VALUES = etree.XPath("descendant-or-self::*/@itemprop", smart_strings=False)
_REL_VALUES = etree.XPath("descendant-or-self::a/@rel", smart_strings=False)


class _PageAttrs:
    """The page's class/id/itemprop/rel values, read once (by libxml2, without walking elements
    in Python), so that tree searches for markup the page does not have can be skipped."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self._cache: dict[str, str] = {}
        self._lists: dict[str, list[str]] = {}

    def _list(self, name: str, xpath: etree.XPath) -> list[str]:
        if name not in self._lists:
            self._lists[name] = xpath(self.root)
        return self._lists[name]

    def _values(self, name: str, xpath: etree.XPath) -> str:
        if name not in self._cache:
            self._cache[name] = " ".join(self._list(name, xpath))
        return self._cache[name]

    def values_with(self, attribute: str, words: tuple[str, ...]) -> list[str]:
        """The distinct values of ``attribute`` ("class" or "id") holding, in ASCII lower case,
        one of ``words``: each value is tested once, however many elements carry it."""
        values = self._list(attribute, _CLASS_VALUES if attribute == "class" else _ID_VALUES)
        found = []
        for value in set(values):
            lowered = value.translate(_ASCII_LOWER)
            if any(word in lowered for word in words):
                found.append(value)
        return found

    @property
    def classes(self) -> str:
        return self._values("class", _CLASS_VALUES)

    @property
    def ids(self) -> str:
        return self._values("id", _ID_VALUES)

    @property
    def itemprops(self) -> str:
        return self._values("itemprop", _ITEMPROP_VALUES)

    @property
    def rels(self) -> str:
        return self._values("rel", _REL_VALUES)

    def has_time(self) -> bool:
        return self.root.find(".//time") is not None


def _has_date_hints(root: etree._Element, attrs: _PageAttrs | None = None) -> bool:
    """Whether htmldate has anything to work with (it costs as much as the main text).

    A ``<time>`` element or a class/id with a date-like word (``date``, ``time``,
    ``publi…``, ``meta``; ``update`` does not count).
    """
    attrs = attrs or _PageAttrs(root)
    return attrs.has_time() or bool(_DATE_NAME_RE.search(attrs.classes) or _DATE_NAME_RE.search(attrs.ids))


def _htmldate(root: etree._Element, url: str | None) -> str | None:
    try:
        from htmldate import find_date as hd_find_date

        found = hd_find_date(root, url=url, original_date=True, extensive_search=False,
                             outputformat="%Y-%m-%d")
    except (ValueError, TypeError, RecursionError, AttributeError):
        return None
    return found or None


# where a byline stops naming people: a date, a time, "Posted", "Updated", "Publié le" …
_BYLINE_END_RE = re.compile(
    r"\s*(?:\b(?:posted|published|updated|modified|last updated|on|am|le|el|il|publié|publiée|mis à jour|"
    r"veröffentlicht|aktualisiert|publicado|actualizado|pubblicato|gepubliceerd|opublikowano)\b\s*:?\s*)?"
    r"(?:(?<!\w)\d|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d)",
    re.IGNORECASE)
_LEADING_LABEL_RE = re.compile(r"^\s*(?:author|authors|autor|auteur|autore|written by|text|words)\s*:\s*", re.I)


# a parenthesis inside a name, followed by the rest of it: capitalised words or initials only
_NAME_IN_PARENS_RE = re.compile(r"\s*\(((?:[A-ZÀ-Þ][\w.'’-]*\s*){1,3})\)\s+(?=[A-ZÀ-Þ][\w'’-]+\b(?!\s*\())")


def clean_author(raw: str) -> list[str]:
    """Names from a byline or author field: "By Jane Doe and John Roe | Reuters" → two names.

    The byline stops at a date or a "Posted"/"Updated"/"Publié le" label; roles, agencies and
    site names are not names.
    """
    raw = _norm(raw)
    raw = _LEADING_LABEL_RE.sub("", raw)
    raw = _BY_RE.sub("", raw)
    end = _BYLINE_END_RE.search(raw)
    if end and end.start() > 0:
        raw = raw[: end.start()]
    raw = _NAME_IN_PARENS_RE.sub(r" \1 ", raw)  # "Bruno (Henrique Zecchin) Rodrigues": one name
    raw = re.split(r"\s+[|–—-]\s+|\s*\(|\s*\n", raw)[0]
    out = []
    for part in _AUTHOR_SPLIT_RE.split(raw):
        part = _BY_RE.sub("", part).strip(" .,:;\"'")
        if not part or _NOT_A_NAME_RE.search(part):
            continue
        words = part.split()
        if not 1 <= len(words) <= 5 or _ROLE_RE.search(part):
            continue
        if not all(w[:1].isupper() or w.lower() in _PARTICLES for w in words):
            continue
        if part not in out:
            out.append(part)
    return out


def find_authors(root: etree._Element, meta: dict, objects: list[dict], attrs: _PageAttrs | None = None) -> list[str]:
    """Author names: JSON-LD persons, then meta tags, then ``rel=author``/itemprop/byline markup."""
    for obj in objects:
        if _is_article(obj):
            names = [n for raw in _names(obj.get("author") or obj.get("creator")) for n in clean_author(raw)]
            if names:
                return _dedupe(names)
    for key in _AUTHOR_META:
        names = [n for raw in meta.get(key, []) for n in clean_author(raw)]
        if names:
            return _dedupe(names)
    attrs = attrs or _PageAttrs(root)
    itemprop, rel = "author" in attrs.itemprops, "author" in attrs.rels
    if itemprop and rel:
        els = _AUTHOR_ELEMENTS(root)
    elif itemprop or rel:
        els = (_ITEMPROP_AUTHORS if itemprop else _REL_AUTHORS)(root)
    else:
        els = []
    names = []
    for el in _one_byline(_own_bylines(root, els))[:10]:
        names.extend(clean_author(el.get("content") or _text(el)))
    if names:
        return _dedupe(names)
    for el in _own_bylines(root, _byline_elements(root, 20, attrs)):
        text = _text(el)
        if 3 <= len(text) <= 120:
            names = clean_author(text)
            if names:
                return _dedupe(names)
    return []


# containers of readers' comments: their bylines name commenters
_COMMENTS_RE = re.compile(r"(?<![A-Za-z])(?:[Cc]omments?|[Dd]isqus|[Rr]espond|[Rr]epl(?:y|ies))(?![a-z])")
_HEADLINE_ARTICLE = etree.XPath("(//h1[ancestor::article])[1]/ancestor::article[1]")


def _own_bylines(root: etree._Element, els: list) -> list:
    """Author elements of the article itself: none in readers' comments, and those inside the
    ``<article>`` holding the headline when some are (others name the authors of teasers)."""
    els = [el for el in els if not any(_COMMENTS_RE.search(f"{a.get('class') or ''} {a.get('id') or ''}")
                                       for a in el.iterancestors())]
    if len(els) > 1:
        article = _HEADLINE_ARTICLE(root)
        if article:
            inside = [el for el in els if any(a is article[0] for a in el.iterancestors("article"))]
            els = inside or els
    return els


def _one_byline(els: list) -> list:
    """The author elements of the first byline: those within four levels above the first named one
    ("By <a rel=author>…</a> and <a rel=author>…</a>"; a teaser's author further down is not)."""
    anchor = next((el for el in els if el.get("content") or _text(el)), None)
    if anchor is None:
        return els
    scope = list(anchor.iterancestors())[:4]
    top = scope[-1] if scope else anchor
    return [el for el in els if el is anchor or any(a is top for a in el.iterancestors())]


_ITEMPROP_AUTHORS = etree.XPath("//*[@itemprop='author']//*[@itemprop='name']"
                                 "|//*[@itemprop='author'][not(.//*[@itemprop='name'])]")
_REL_AUTHORS = etree.XPath("//a[@rel='author']")
_AUTHOR_ELEMENTS = etree.XPath("//*[@itemprop='author']//*[@itemprop='name']|//a[@rel='author']"
                               "|//*[@itemprop='author'][not(.//*[@itemprop='name'])]")
_BYLINE_WORDS = ("byline", "author", "autor", "auteur", "signature", "firma", "writer")


def _byline_elements(root: etree._Element, limit: int, attrs: _PageAttrs | None = None) -> list[etree._Element]:
    """The first ``limit`` elements whose class holds (in ASCII lower case) one of ``_BYLINE_WORDS``,
    outside asides and footers (a "byline" in a related-articles box), in document order."""
    attrs = attrs or _PageAttrs(root)
    out: list[etree._Element] = []
    for el in _elements_valued(root, (), {"class": attrs.values_with("class", _BYLINE_WORDS)}):
        if _outside(el, ("aside", "footer")):
            out.append(el)
            if len(out) >= limit:
                break
    return out


def _dedupe(names: list[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        if name.lower() not in (n.lower() for n in out):
            out.append(name)
    return out


def extract_metadata(root: etree._Element, head: PageHead, url: str | None,
                     use_htmldate: bool = True) -> Metadata:
    """All page metadata except the language, from the tree and its ``page_head`` (read before pruning)."""
    page = _PageAttrs(root)
    meta = collect_meta(head)
    objects = json_ld_objects(head)
    site_names = list(meta.get("og:site_name", [])[:1])
    for obj in objects:
        pub = obj.get("publisher")
        if isinstance(pub, dict) and isinstance(pub.get("name"), str):
            site_names.append(pub["name"])
            break
    site_names += meta.get("application-name", [])[:1]
    canonical = None
    for rel, href in head.links:
        if "canonical" in " ".join(rel).lower().split() and href:
            canonical = href.strip()
            break
    canonical = canonical or (meta.get("og:url") or [None])[0]
    if canonical and url:
        canonical = urljoin(url, canonical)
    elif canonical and not urlsplit(canonical).scheme:
        canonical = None
    canonical = canonical or url
    host = urlsplit(canonical or url or "").hostname
    keywords: list[str] = []
    for value in meta.get("keywords", [])[:1] + meta.get("news_keywords", [])[:1]:
        keywords.extend(k.strip() for k in value.split(",") if k.strip())
    keywords += [k for k in meta.get("article:tag", []) if k not in keywords]
    description = (meta.get("description") or meta.get("og:description") or [None])[0]
    organizations = find_organizations(meta, objects)
    return Metadata(
        extra={"author_organizations": organizations} if organizations else {},
        title=find_title(root, meta, objects, site_names, host),
        date=find_date(root, meta, objects, canonical or url, use_htmldate=use_htmldate, attrs=page),
        authors=find_authors(root, meta, objects, attrs=page),
        site_name=site_names[0] if site_names else None,
        canonical_url=canonical,
        description=description,
        keywords=keywords[:50],
    )


def declared_language(root: etree._Element, head: PageHead) -> str | None:
    """The page's declared language: ``<html lang>``, content-language, og:locale."""
    meta = collect_meta(head)
    values = [root.get("lang"), root.get("{http://www.w3.org/XML/1998/namespace}lang"), root.get("xml:lang")]
    values += meta.get("content-language", [])[:1] + meta.get("og:locale", [])[:1] + meta.get("language", [])[:1]
    for value in values:
        if value:
            code = re.split(r"[-_,;\s]", value.strip().lower())[0]
            if re.fullmatch(r"[a-z]{2,3}", code):
                return code
    return None

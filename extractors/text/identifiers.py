"""Document identifiers found in free text: UN symbols, NGO index numbers, DOI, ISBN.

Schemes (see :class:`~extractors.record.Identifier`):

* ``un-symbol``: ``A/HRC/37/24``, ``A/HRC/RES/37/30``, ``E/CN.4/1989/26``,
  ``E/CN.4/Sub.2/1988/11``, ``CCPR/C/IRN/CO/4``, ``A/C.3/43/SR.45``,
  ``S/RES/598(1987)``, ``A/72/322``, with ``/Add.1``, ``/Corr.1``, ``/Rev.1``
  parts. A "UN Doc." prefix is not part of the value. Symbols inside
  ``undocs.org/…`` links and ``symbol=…`` query strings are found too.
* ``ngo-index``: Amnesty International style index numbers, ``MDE 13/6418/2023``,
  ``MDE 13/019/89``, also after "Index:" / "AI Index:".
* ``doi``: ``10.1000/xyz123`` (also from ``doi:`` prefixes and doi.org links).
* ``isbn``: ISBN-10 / ISBN-13, checksum-validated, returned without separators.

Values never carry trailing punctuation. Everything here is precompiled regexes:
cheap to call on every footnote.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

from extractors.record import Identifier
from extractors.text.urls import URL_RE, URL_TRAILING, trim_url, url_key

# Series symbols that start a UN document symbol.
_UN_BODY = (
    r"(?:A|E|S|ST|CCPR|CAT|CERD|CEDAW|CRC|CRPD|CMW|CED|CESCR|HRI|DP|TD|UNEP|"
    r"ECOSOC|UNICEF|SPT|ICCPR)"
)
# One slash-separated part: "HRC", "CN.4", "Sub.2", "C.3", "SR.45", "Add.1",
# "RES", "43", "ES-10", "598(1987)". Never ends with a dot or a hyphen.
_UN_PART = r"(?:[A-Z0-9][A-Za-z0-9]*(?:[.\-][A-Za-z0-9]+)*(?:\((?:19|20)\d\d\))?)"
UN_SYMBOL_RE = re.compile(
    rf"(?<![\w/.\-])({_UN_BODY}(?:/{_UN_PART}){{2,}})(?![\w/])"
)
# A symbol whose last part is "S/RES/598" followed by "(1987)" is captured by
# the part pattern above; a symbol needs at least one part with a digit.
_HAS_DIGIT = re.compile(r"\d")

# Amnesty International style index numbers: MDE 13/6418/2023, ACT 50/001/2019,
# MDE 13/019/89 (older, two-digit year).
NGO_INDEX_RE = re.compile(
    r"(?<![A-Za-z0-9])([A-Z]{3}) ?(\d{2})/(\d{2,4})/((?:19|20)\d\d|\d\d)(?![\d/])"
)
DOI_RE = re.compile(r"(?:(?<![\w/])|(?<=doi\.org/))(10\.\d{4,9}/[^\s\"<>\]\[]+)", re.I)
_ISBN_LABELLED_RE = re.compile(
    r"\bISBN(?:-1[03])?\s*:?\s*((?:97[89][\s\-]?)?\d(?:[\s\-]?\d){8}[\s\-]?[\dXx])(?![\w\-])"
)
_ISBN_BARE_RE = re.compile(r"(?<![\w\-])(97[89]-\d{1,5}-\d{1,7}-\d{1,7}-\d)(?![\w\-])")
_URL_SYMBOL_RE = re.compile(
    r"(?:undocs\.org/(?:[a-z]{2}/)?|[?&]symbol=|/doc/symbol/|[?&]s=)"
    r"((?:%2F|[A-Za-z0-9./\-()%])+)",
    re.I,
)
# OHCHR file names spell symbols with underscores: .../A_HRC_37_24.docx
_URL_FILE_SYMBOL_RE = re.compile(
    rf"/({_UN_BODY}(?:_[A-Z0-9][A-Za-z0-9]*(?:\.[0-9]+)?){{2,}}?)"
    r"(?:_(?:EN|FR|ES|AR|RU|ZH|E|F|S|R|C))?\.(?:docx?|pdf|html?)\b"
)
IDENTIFIER_TRAILING = URL_TRAILING + "_"


def _strip_trailing(value: str) -> str:
    """Drop trailing punctuation, keeping a closing parenthesis that is balanced."""
    return trim_url(value, IDENTIFIER_TRAILING)


def isbn_ok(digits: str) -> bool:
    """Whether ``digits`` (no separators, upper-case X) is a valid ISBN-10 or ISBN-13."""
    if len(digits) == 10:
        if not digits[:9].isdigit() or not (digits[9].isdigit() or digits[9] == "X"):
            return False
        total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(digits))
        return total % 11 == 0
    if len(digits) == 13 and digits.isdigit():
        total = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(digits))
        return total % 10 == 0
    return False


def _un_ok(value: str) -> bool:
    parts = value.split("/")
    if len(parts) < 3 or not any(_HAS_DIGIT.search(p) for p in parts[1:]):
        return False
    # "A/4/5"-like fractions in prose are unlikely symbols only when tiny.
    return len(value) >= 6


def _un_symbols(text: str) -> list[tuple[int, str]]:
    found = []
    for m in UN_SYMBOL_RE.finditer(text):
        value = m.group(1)
        # "S/RES/598(1987)" keeps its year; other stray parentheses go.
        if "(" in value and not re.search(r"\((?:19|20)\d\d\)$", value):
            value = value.split("(")[0]
        if _un_ok(value):
            found.append((m.start(1), value))
    return found


def _url_symbols(text: str) -> list[tuple[int, str]]:
    found = []
    for url in URL_RE.finditer(text):
        for m in _URL_SYMBOL_RE.finditer(url.group(0)):
            raw = unquote(m.group(1))
            raw = raw.split("&")[0]
            sym = UN_SYMBOL_RE.match(_strip_trailing(raw))
            if sym and _un_ok(sym.group(1)):
                found.append((url.start() + m.start(1), sym.group(1)))
        for m in _URL_FILE_SYMBOL_RE.finditer(url.group(0)):
            value = m.group(1).replace("_", "/")
            if _un_ok(value):
                found.append((url.start() + m.start(1), value))
    return found


# Amnesty International document URLs carry the index number: /documents/mde13/9421/2018/en
_AMNESTY_URL_RE = re.compile(r"amnesty\.org/(?:[a-z]{2}/)?documents/([a-z]{3})(\d{2})/(\d{3,4})/((?:19|20)\d{2})\b",
                             re.I)


def find_identifiers(text: str) -> list[Identifier]:
    """Every identifier in ``text``, in order of appearance, without duplicates."""
    if not text:
        return []
    found: list[tuple[int, Identifier]] = []
    try:
        for pos, value in _un_symbols(text):
            found.append((pos, Identifier("un-symbol", value)))
        for pos, value in _url_symbols(text):
            found.append((pos, Identifier("un-symbol", value)))
        for m in NGO_INDEX_RE.finditer(text):
            value = f"{m.group(1)} {m.group(2)}/{m.group(3)}/{m.group(4)}"
            found.append((m.start(), Identifier("ngo-index", value)))
        # An index number read from a document URL, unless the text prints it (perhaps as "MDE 13/019/89").
        printed = {v.value.rsplit("/", 1)[0] for _, v in found if v.scheme == "ngo-index"}
        for m in _AMNESTY_URL_RE.finditer(text):
            series = f"{m.group(1).upper()} {m.group(2)}/{m.group(3)}"
            if series not in printed:
                printed.add(series)
                found.append((m.start(), Identifier("ngo-index", f"{series}/{m.group(4)}")))
        for m in DOI_RE.finditer(text):
            value = _strip_trailing(m.group(1))
            if "/" in value and len(value.split("/", 1)[1]) > 0:
                found.append((m.start(), Identifier("doi", value)))
        for regex in (_ISBN_LABELLED_RE, _ISBN_BARE_RE):
            for m in regex.finditer(text):
                value = re.sub(r"[\s\-]", "", m.group(1)).upper()
                if isbn_ok(value):
                    found.append((m.start(1), Identifier("isbn", value)))
    except (RecursionError, MemoryError):  # pragma: no cover - pathological input
        pass
    found.sort(key=lambda pair: pair[0])
    seen: set[tuple[str, str]] = set()
    result = []
    for _, ident in found:
        key = (ident.scheme, ident.value.upper() if ident.scheme == "doi" else ident.value)
        if key not in seen:
            seen.add(key)
            result.append(ident)
    return result


# The ONE rule for labels printed before an identifier ("UN Doc.", "AI Index:", "doi:",
# doi.org links, "Symbol:", "ISBN:"); they are not part of the value.
IDENTIFIER_PREFIX_RE = re.compile(
    r"^(?:(?:UN|U\.N\.)\s*Doc(?:ument)?\.?|Doc\.|(?:AI\s+)?Index(?:\s+(?:number|no\.?))?\s*:?|"
    r"doi\s*:|https?://(?:dx\.)?doi\.org/|Symbol\s*:|ISBN(?:-1[03])?\s*:?)\s*",
    re.I,
)


def strip_identifier_prefix(value: str) -> str:
    """``value`` stripped, without any leading :data:`IDENTIFIER_PREFIX_RE` labels."""
    value = (value or "").strip()
    previous = None
    while previous != value:
        previous = value
        value = IDENTIFIER_PREFIX_RE.sub("", value).strip()
    return value


def normalize_identifier(value: str) -> Identifier | None:
    """Recognise a whole string as one identifier (for ``archivist cites``)."""
    value = strip_identifier_prefix(value)
    if re.fullmatch(r"(?:97[89])?[\d\- ]{9,}[\dXx]", value):
        digits = re.sub(r"[\s\-]", "", value).upper()
        if isbn_ok(digits):
            return Identifier("isbn", digits)
    for ident in find_identifiers(value):
        return ident
    return None


# --- comparing identifiers -------------------------------------------------------

_NGO_PARTS_RE = re.compile(r"^([A-Z]{3})\s*(\d{2})/(\d{1,4})/(\d{2}|\d{4})$")
_UN_TITLE_PARTS = ("ADD", "CORR", "REV", "SUB", "AMEND", "SR", "WP", "SESS")


def _comparable(value: str) -> str:
    """NFKC, prefix labels stripped, trailing ``.,;:`` and spaces dropped."""
    return strip_identifier_prefix(unicodedata.normalize("NFKC", value or "")).rstrip(".,;: ")


def isbn13(digits: str) -> str | None:
    """The ISBN-13 spelling of an ISBN (10 or 13 digits, no separators), else None."""
    if len(digits) == 13:
        return digits
    if len(digits) == 10:
        core = "978" + digits[:9]
        check = (10 - sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(core)) % 10) % 10
        return core + str(check)
    return None


def isbn10(digits: str) -> str | None:
    """The ISBN-10 spelling of an ISBN (10 digits, or 13 starting 978), else None."""
    if len(digits) == 10:
        return digits
    if len(digits) == 13 and digits.startswith("978"):
        core = digits[3:12]
        total = sum((10 - i) * int(c) for i, c in enumerate(core))
        check = (11 - total % 11) % 11
        return core + ("X" if check == 10 else str(check))
    return None


def ngo_index_parts(value: str) -> tuple[str, str, str, str] | None:
    """``(letters, region, serial, four-digit year)`` of an NGO index number, else None."""
    m = _NGO_PARTS_RE.match(value.upper().strip())
    if not m:
        return None
    letters, region, serial, year = m.groups()
    if len(year) == 2:
        year = ("19" if int(year) >= 50 else "20") + year
    return letters, region, serial, year


def identifier_key(scheme: str, value: str) -> str | None:
    """The comparison key of an identifier (``None`` when it is empty).

    Case and whitespace, a "UN Doc." / "Index:" / "doi:" prefix, two- or
    four-digit years and zero padding of NGO index numbers, ISBN-10 against
    ISBN-13 do not matter; ``url`` identifiers compare by :func:`url_key`.
    """
    scheme = (scheme or "").strip().lower()
    if scheme == "url":
        return url_key(value)
    value = _comparable(value)
    if not value:
        return None
    if scheme == "un-symbol":
        return re.sub(r"\s+", "", value).upper()
    if scheme == "ngo-index":
        parts = ngo_index_parts(value)
        if parts is None:
            return re.sub(r"\s+", "", value).upper()
        letters, region, serial, year = parts
        return f"{letters}{region}/{int(serial)}/{year}"
    if scheme == "doi":
        return value.lower()
    if scheme == "isbn":
        digits = re.sub(r"[\s\-]", "", value).upper()
        return isbn13(digits) or digits
    return re.sub(r"\s+", " ", value).casefold()


def identifier_variants(scheme: str, value: str) -> set[str]:
    """Spellings of one identifier as it may be stored (for indexed ``IN`` lookups)."""
    raw = (value or "").strip()
    value = _comparable(raw)
    out = {raw, value}
    if scheme == "un-symbol":
        compact = re.sub(r"\s+", "", value)
        upper = compact.upper()
        out |= {compact, upper}
        parts = []
        for part in upper.split("/"):
            head = re.match(r"([A-Z]+)(\.?\d.*)?$", part)
            if head and head.group(1) in _UN_TITLE_PARTS and head.group(1) not in ("SR", "WP"):
                part = head.group(1).title() + (head.group(2) or "")
            parts.append(part)
        out.add("/".join(parts))
    elif scheme == "ngo-index":
        parts = ngo_index_parts(value)
        if parts:
            letters, region, serial, year = parts
            serials = {serial, str(int(serial)), str(int(serial)).zfill(3), str(int(serial)).zfill(4)}
            for s in serials:
                for y in (year, year[2:]):
                    out.add(f"{letters} {region}/{s}/{y}")
    elif scheme == "doi":
        out |= {value.lower(), value.upper()}
    elif scheme == "isbn":
        digits = re.sub(r"[\s\-]", "", value).upper()
        out |= {d for d in (isbn13(digits), isbn10(digits), digits) if d}
    return {v for v in out if v}


# --- a document's own identifiers ------------------------------------------------

_LABELLED_LINE_RE = re.compile(
    r"^[\s#>*_|-]*(?:AI\s+|Amnesty International\s+)?"
    r"(?:Index(?:\s+(?:number|no\.?|n°))?|Document\s+symbol|Symbol|UN\s+Doc(?:ument)?\.?|"
    r"DOI|ISBN(?:-1[03])?)\s*[:.]?\s*\**\s*(.+)$",
    re.I | re.M,
)


def find_document_identifiers(text: str, head_chars: int = 3000) -> list[Identifier]:
    """The document's OWN identifiers, not the ones it cites.

    Taken from explicitly labelled lines anywhere ("Index number: MDE
    13/6418/2023", "AI Index: …", "Symbol: …", "DOI: …", "ISBN …" at the start
    of a line) and, within the first ``head_chars`` characters, from short
    header lines that consist of little more than the identifier (a UN symbol
    printed at the top of a UN document: "A/HRC/37/24", "United Nations
    A/72/322", "Distr.: General" blocks).
    """
    if not text:
        return []
    found: list[Identifier] = []
    seen: set[tuple[str, str]] = set()

    def add(idents: list[Identifier]) -> None:
        for ident in idents:
            key = (ident.scheme, ident.value)
            if key not in seen:
                seen.add(key)
                found.append(ident)

    try:
        for m in _LABELLED_LINE_RE.finditer(text):
            rest = m.group(1)
            label = m.group(0)[: m.start(1) - m.start(0)].lower()
            idents = find_identifiers(rest[:120])
            if not idents and "isbn" in label:
                ident = normalize_identifier(rest.strip().split()[0] if rest.strip() else "")
                idents = [ident] if ident else []
            # Only the identifier that the label introduces, at the start.
            if idents and rest.lstrip(" *_").startswith(idents[0].value[:3]):
                add(idents[:1])
        head = text[:head_chars]
        for line in head.splitlines():
            stripped = line.strip(" \t#>*_|")
            if not stripped or len(stripped) > 90:
                continue
            idents = [i for i in find_identifiers(stripped) if i.scheme in ("un-symbol", "ngo-index")]
            if len(idents) != 1:
                continue
            rest = stripped.replace(idents[0].value, " ")
            rest = re.sub(r"(?i)\b(?:united nations|general assembly|security council|economic and social council|"
                          r"human rights council|distr\.?|general|limited|restricted|original|english|"
                          r"un doc(?:ument)?\.?|symbol|index(?: number)?|ai|[:.,;()\-–])", " ", rest)
            if len(rest.split()) <= 2:
                add(idents)
    except (RecursionError, MemoryError):  # pragma: no cover
        pass
    return found

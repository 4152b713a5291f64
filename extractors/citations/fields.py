"""Footnote text to citations: splitting a note and parsing each citation's fields.

A note is split into its citations (``;``-separated lists, except semicolons
inside titles, quotes or parentheses; "See", "See also", "See, for example"
signals), each citation's fields are parsed (author or issuing body, title,
ISO date, URLs, identifiers, pinpoint, kind); :func:`parse_notes` then has
repeated references ("Ibid.", "(previously cited)", …) resolved by
:mod:`extractors.citations.repeats`.

Everything is precompiled at import time; :func:`parse_notes` never raises on
odd text (a citation that cannot be parsed keeps its text and nothing else).
Titles are never Unicode-normalized, so Persian or Arabic titles stay intact.
"""

from __future__ import annotations

import logging
import re

from extractors.citations.repeats import resolve_repeat
from extractors.text.dates import MONTHS
from extractors.text.identifiers import find_identifiers
from extractors.text.urls import BARE_URL_RE, URL_RE, trim_url
from extractors.record import Citation

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- patterns

_MD_LINK_RE = re.compile(r"\[([^\]]*)\]\(\s*<?((?:https?://|www\.|mailto:)[^\s)>]*(?:\([^\s)]*\)[^\s)>]*)*)>?\s*\)")
_MD_ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|\"'])")

_MONTH_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))
_DMY_RE = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th|er)?\.?\s+(?:de\s+)?({_MONTH_ALT})\.?,?\s+(?:de\s+)?((?:1[6-9]|20)\d\d)\b", re.I)
_MDY_RE = re.compile(rf"\b({_MONTH_ALT})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+((?:1[6-9]|20)\d\d)\b", re.I)
_MY_RE = re.compile(rf"\b({_MONTH_ALT})\.?,?\s+((?:1[6-9]|20)\d\d)\b", re.I)
_ISO_RE = re.compile(r"\b((?:1[6-9]|20)\d\d)-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?\b")
_YEAR_RE = re.compile(r"(?<![\w/.\-])((?:1[6-9]|20)\d\d)(?![\w/\-])")

_PIN_TOKEN = r"(?:pp?|paras?|§§?|ch|chap|fn|n|at)\.?\s*[\dIVXLivxl]+(?:\s*[-–]\s*[\dIVXivx]+)?"
_PINPOINT_RE = re.compile(
    r"(?<![\w])(?:(?:pp?|paras?)\.?)\s*\d+[a-z]?(?:\s*[-–]\s*\d+)?"
    r"(?:\s*(?:,|and|&)\s*(?:(?:pp?|paras?)\.?\s*)?\d+[a-z]?(?:\s*[-–]\s*\d+)?)*",
    re.I,
)
_PIN_START_RE = re.compile(r"(?<![\w])(?:pp?|paras?)\.?\s*\d", re.I)

_SIGNAL_RE = re.compile(
    r"(?:^|(?<=[.;:!?)\]”\"]))\s*"
    r"(?:(?:For (?:more|further) (?:information|details)(?: on [^,.;]{0,60})?|For example|"
    r"As cited in|Cited in),?\s+)?"
    r"(?:See|see|Cf\.|cf\.)(?:\s+also|,?\s+for example,?|,?\s+e\.g\.,?|\s+generally|\s+further)?,?\s+(?=\S)"
    r"|(?<=,)\s+see(?:\s+also)?,?\s+(?=[A-Z*_“\"])"
)
_UN_AUTHOR_RE = re.compile(
    r"\b(?:UN|U\.N\.|United Nations|Special Rapporteur|Special Representative|Human Rights Council|"
    r"General Assembly|Security Council|Secretary[- ]General|OHCHR|High Commissioner|"
    r"Commission on Human Rights|Human Rights Committee|Committee (?:against|on)|Working Group|"
    r"Fact-Finding Mission|UNHCR|UNICEF|UNESCO|ECOSOC)\b"
)
_NGO_AUTHOR_RE = re.compile(
    r"\b(?:Amnesty International|Human Rights Watch|FIDH|International Federation for Human Rights|"
    r"Iran Human Rights|Justice for Iran|Abdorrahman Boroumand|Boroumand Center|"
    r"Center for Human Rights in Iran|Iran Human Rights Documentation Center|Impact Iran|"
    r"Justice for (?:the )?Victims of (?:the )?1988|JVMI|Hands Off Cain|REDRESS|Redress|"
    r"International Commission of Jurists|Reporters Without Borders|Article 19|ARTICLE 19|"
    r"Front Line Defenders|Freedom House|Minority Rights Group|Human Rights Activists|HRANA|"
    r"Kurdistan Human Rights Network|Hengaw|Iran Prison Atlas|United for Iran)\b"
)
_NEWS_RE = re.compile(
    r"\b(?:Reuters|Associated Press|AP|AFP|Agence France[- ]Presse|New York Times|Washington Post|"
    r"The Guardian|Guardian|The Times|Financial Times|Globe and Mail|Wall Street Journal|BBC|"
    r"Le Monde|Al Jazeera|Ettelaat|Kayhan|Keyhan|Etemad|Shargh|Tasnim|Fars News|IRNA|ISNA|"
    r"Mehr News|VOA|Radio Farda|Iran International|Independent|Telegraph|Los Angeles Times|"
    r"Christian Science Monitor|Newsweek|Time Magazine|Financial Review|Economist|Der Spiegel|"
    r"Süddeutsche|Frankfurter|NPR|CNN|Deutsche Welle|DW|Radio Zamaneh|IranWire|Euronews)\b"
)
_BOOK_RE = re.compile(
    r"\b(?:University Press|Press|Publishers|Publishing|Verlag|Éditions|Editions|Books|eds?\.)"
    r"(?=[\s,;:)]|$)|\((?:[^()]{0,60}:\s*)?[^()]{0,60},\s*(?:1[6-9]|20)\d\d\)"
)
_JOURNAL_RE = re.compile(r"\b(?:Journal|Review|Quarterly|Vol\.|vol\.|Volume|No\.\s*\d|Issue|Studies)\b")

_QUOTE_PAIRS = {"“": "”", "«": "»", "„": "“"}

# ---------------------------------------------------------------- helpers


def _unescape_markdown(text: str) -> str:
    return _MD_ESCAPE_RE.sub(r"\1", text)


def _clean_value(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text.strip(" ,;:")


def _scan_split(text: str, use_straight: bool, use_curly: bool, use_italic: bool) -> tuple[list[tuple[int, int]], bool]:
    """Top-level ``;`` split points of ``text``; also whether the scan ended balanced."""
    spans = []
    start = 0
    depth = 0
    straight = False
    curly: list[str] = []
    italic = False
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            i += 2
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif use_curly and ch in _QUOTE_PAIRS and not straight:
            curly.append(_QUOTE_PAIRS[ch])
        elif use_curly and curly and ch == curly[-1]:
            curly.pop()
        elif use_straight and ch == '"':
            straight = not straight
        elif use_italic and ch in "*_":
            run = 1
            while i + run < n and text[i + run] == ch:
                run += 1
            prev = text[i - 1] if i else " "
            nxt = text[i + run] if i + run < n else " "
            # Only word-boundary emphasis markers, not snake_case or a*b.
            if ch == "*" or (not prev.isalnum() or not nxt.isalnum()):
                if run % 2 == 1 and not (prev.isalnum() and nxt.isalnum()):
                    italic = not italic
            i += run
            continue
        elif ch == ";" and depth == 0 and not straight and not curly and not italic:
            spans.append((start, i))
            start = i + 1
        i += 1
    spans.append((start, n))
    balanced = not straight and not curly and not italic
    return spans, balanced


def split_citations(text: str) -> list[str]:
    """The citation texts of one note, in order (signals like "See also" removed)."""
    if not text or not text.strip():
        return []
    spans, balanced = _scan_split(text, True, True, True)
    if not balanced:
        # A stray quote or asterisk would hide every later semicolon: retry
        # trusting only the kinds of delimiters that do balance.
        for flags in ((False, True, True), (True, False, True), (True, True, False), (False, False, False)):
            spans, balanced = _scan_split(text, *flags)
            if balanced:
                break
    segments: list[str] = []
    for a, b in spans:
        segment = text[a:b]
        # A citation never starts in lower case: "…executions; sometimes they…"
        # is a prose semicolon, not a list separator.
        if segments and re.match(r"\s*[a-z]", segment) and not re.match(r"\s*(?:see|cf\.|ibid|id\.|supra)\b", segment, re.I):
            segments[-1] = segments[-1] + ";" + segment
        else:
            segments.append(segment)
    pieces: list[str] = []
    for segment in segments:
        pieces.extend(_split_signals(segment))
    return [p for p in (_clean_piece(p) for p in pieces) if p]


def _split_signals(segment: str) -> list[str]:
    """Split one ``;`` segment at "See …" signals that start a new citation."""
    pieces = []
    pos = 0
    for m in _SIGNAL_RE.finditer(segment):
        if m.start() < pos or _inside_quotes_or_parens(segment, m.start()):
            continue
        pieces.append(segment[pos : m.start()])
        pos = m.end()
    pieces.append(segment[pos:])
    return pieces


def _inside_quotes_or_parens(text: str, pos: int) -> bool:
    before = text[:pos]
    if before.count("(") > before.count(")"):
        return True
    if before.count("“") > before.count("”"):
        return True
    return before.count('"') % 2 == 1 and text[pos:].count('"') >= 1


def _clean_piece(piece: str) -> str:
    piece = piece.strip()
    piece = re.sub(r"^(?:and|or|as well as)\s+", "", piece)
    return piece.strip(" ;,")


def _iso_date(text: str) -> str | None:
    """The best date in ``text`` as ISO 8601 (full date, else month, else year)."""
    best: tuple[int, int, str] | None = None  # (precision, -position, value)

    def offer(precision: int, pos: int, value: str) -> None:
        nonlocal best
        cand = (precision, -pos, value)
        if best is None or cand[:2] > best[:2]:
            best = cand

    for m in _DMY_RE.finditer(text):
        day, month, year = int(m.group(1)), MONTHS[m.group(2).lower()], m.group(3)
        if 1 <= day <= 31:
            offer(3, m.start(), f"{year}-{month:02d}-{day:02d}")
    for m in _MDY_RE.finditer(text):
        month, day, year = MONTHS[m.group(1).lower()], int(m.group(2)), m.group(3)
        if 1 <= day <= 31:
            offer(3, m.start(), f"{year}-{month:02d}-{day:02d}")
    for m in _ISO_RE.finditer(text):
        value = m.group(0)
        offer(3 if m.group(3) else 2, m.start(), value)
    if best is None:
        for m in _MY_RE.finditer(text):
            # "may" is also a verb: only trust it capitalised.
            if m.group(1).lower() == "may" and not m.group(1)[0].isupper():
                continue
            offer(2, m.start(), f"{m.group(2)}-{MONTHS[m.group(1).lower()]:02d}")
    if best is None:
        for m in _YEAR_RE.finditer(text):
            offer(1, m.start(), m.group(1))
    return best[2] if best else None


def _first_title(text: str) -> tuple[str | None, int, int, str]:
    """The title of a citation: ``(title, start, end, how)``; how is italic/quoted/plain."""
    def title_position(start: int) -> bool:
        before = text[:start].rstrip(" *_")
        return not before or before[-1] in ",:(" or before.endswith((" in", " In", "in:", "In:"))

    italic = None
    for m in re.finditer(r"(?<![\w*\\])\*(?!\*)((?:\\\*|[^*])+?)(?<![\s\\])\*(?![\w*])|(?<![\w_\\])_(?!_)([^_]+?)(?<!\s)_(?![\w_])", text):
        if title_position(m.start()) or (text[m.end():m.end() + 1] in ",(" and title_position(0)):
            italic = (m.group(1) or m.group(2), m.start(), m.end())
            break
    quoted = None
    for m in re.finditer(r"“([^”]+)”|«\s*([^»]+?)\s*»|\"([^\"]+)\"|‘([^’]{3,})’(?!\w)", text):
        if title_position(m.start()):
            quoted = (m.group(1) or m.group(2) or m.group(3) or m.group(4), m.start(), m.end())
            break
    if italic and quoted:
        # "*Ettelaat*, “Article”" — a short italic container before a quoted
        # article title: the quoted text is the title.
        if italic[1] < quoted[1] and len(italic[0]) < 40 and not text[italic[2]:quoted[1]].strip(" ,").strip():
            return quoted[0], quoted[1], quoted[2], "quoted-in-container"
        first = italic if italic[1] <= quoted[1] else quoted
        return first[0], first[1], first[2], "italic" if first is italic else "quoted"
    if italic:
        return italic[0], italic[1], italic[2], "italic"
    if quoted:
        return quoted[0], quoted[1], quoted[2], "quoted"
    return None, -1, -1, "plain"


def _strip_for_fields(text: str) -> tuple[str, list[str]]:
    """Text with Markdown links replaced by their labels, and the links' URLs."""
    urls: list[str] = []

    def link(m: re.Match[str]) -> str:
        urls.append(m.group(2))
        return " " * len(m.group(0))  # keep offsets stable

    plain = _MD_LINK_RE.sub(link, text)
    for m in URL_RE.finditer(plain):
        url = trim_url(m.group(0))
        if url:
            urls.append(url)
            plain = plain[: m.start()] + " " * len(m.group(0)) + plain[m.end():]
    for m in BARE_URL_RE.finditer(plain):
        url = trim_url(m.group(0))
        if url:
            urls.append("https://" + url)
            plain = plain[: m.start()] + " " * len(m.group(0)) + plain[m.end():]
    seen = set()
    unique = []
    for url in urls:
        url = _unescape_markdown(url)
        if url not in seen:
            seen.add(url)
            unique.append(url)
    return plain, unique


def _looks_like_author(text: str) -> bool:
    text = text.strip()
    if not text or len(text) > 150 or text[0].islower():
        return False
    words = text.split()
    if len(words) > 16:
        return False
    return not re.search(r"[.!?]\s+[A-Z]", text) and not re.search(r"\b(?:is|are|was|were|has|have)\b", text)


# ---------------------------------------------------------------- parsing


def parse_citation(text: str) -> Citation:
    """One citation from its text: author, title, date, URLs, identifiers, pinpoint, kind.

    Never raises: on unexpected input the citation keeps its text and whatever
    fields were found before the problem.
    """
    text = (text or "").strip()
    cite = Citation(text=text)
    if not text:
        return cite
    try:
        _fill_fields(cite, text)
    except Exception:  # noqa: BLE001 - parsing is best effort, never fatal
        log.debug("citation parse failed for %r", text[:200], exc_info=True)
    return cite


def _fill_fields(cite: Citation, text: str) -> None:
    plain, urls = _strip_for_fields(text)
    cite.urls = urls
    cite.identifiers = find_identifiers(_unescape_markdown(text))
    title, t_start, t_end, how = _first_title(plain)
    if title is not None:
        cite.title = _clean_value(_unescape_markdown(title)).strip("*_ ") or None
    # Author / issuing body: what precedes the title (or the first comma part).
    if title is not None and t_start > 0:
        before = plain[:t_start]
        if how == "quoted-in-container":
            italic = re.search(r"\*([^*]+)\*|_([^_]+)_", before)
            before = before[: italic.start()] if italic else before
        candidate = _clean_value(_unescape_markdown(before))
        candidate = re.sub(r"^(?:in|by|from)\s+", "", candidate, flags=re.I)
        # "Cross reference to section 2 below as well as Amnesty International"
        candidate = re.sub(r"^.*\b(?:as well as|and also|see also|see|cf\.)\s+(?=[A-Z])", "", candidate)
        if how == "quoted-in-container" and not candidate:
            italic = re.search(r"\*([^*]+)\*|_([^_]+)_", plain[:t_start])
            candidate = _clean_value((italic.group(1) or italic.group(2))) if italic else ""
        parts = [p for p in re.split(r",\s+", candidate) if p]
        if len(parts) > 1 and any(re.search(r"\d", p) for p in parts[1:]):
            kept = []
            for part in parts:
                if re.search(r"\d", part):
                    break
                kept.append(part)
            candidate = ", ".join(kept)
        if _looks_like_author(candidate):
            cite.author = candidate
    elif title is None:
        parts = [p.strip() for p in re.split(r",\s+", _unescape_markdown(plain)) if p.strip()]
        if len(parts) >= 3 and _looks_like_author(parts[0]) and len(parts[0].split()) <= 8:
            cite.author = parts[0]
            second = parts[1]
            if (not _DMY_RE.search(second) and not _MY_RE.search(second) and not _YEAR_RE.fullmatch(second)
                    and not _PIN_START_RE.match(second) and len(second) < 200):
                cite.title = second
    # Date, from the text outside the title, URLs and identifiers.
    rest = plain
    if t_start >= 0:
        rest = plain[:t_start] + " " * (t_end - t_start) + plain[t_end:]
    for ident in cite.identifiers:
        rest = rest.replace(ident.value, " " * len(ident.value))
    rest = re.sub(r"\(?\b(?:AI\s+)?Index:?[^)]*\)?", " ", rest)
    cite.date = _iso_date(rest)
    # Pinpoint: the last p./pp./para./paras run.
    pins = list(_PINPOINT_RE.finditer(rest))
    if pins:
        cite.pinpoint = _clean_value(pins[-1].group(0))
    cite.kind = _kind(cite, plain, how)


def _kind(cite: Citation, plain: str, how: str) -> str:
    schemes = {i.scheme for i in cite.identifiers}
    author = cite.author or ""
    if "un-symbol" in schemes:
        return "un-document"
    if "ngo-index" in schemes:
        return "ngo-report"
    if "isbn" in schemes:
        return "book"
    if "doi" in schemes:
        return "article"
    if author and _UN_AUTHOR_RE.search(author) and not re.search(r"Inter-American|European|African|Arab|Asian", author):
        return "un-document"
    if author and _NGO_AUTHOR_RE.search(author):
        return "ngo-report"
    if how == "quoted-in-container" or (author and _NEWS_RE.search(author)):
        return "article"
    if _JOURNAL_RE.search(plain) and how in ("quoted", "italic"):
        return "article"
    if _BOOK_RE.search(plain):
        return "book"
    if cite.urls:
        return "web"
    if how == "italic" and cite.date:
        return "book"
    if how == "quoted" and cite.date:
        return "article"
    return "other"


# ---------------------------------------------------------------- resolution


def parse_notes(notes: list[tuple[str, str]]) -> list[list[Citation]]:
    """Citations of each ``(label, text)`` note, in the notes' order.

    Repeats are resolved against earlier notes: "Ibid."/"Id." to the last
    citation of the previous note (or the previous citation of the same
    note), "(previously cited)"/"op. cit." by author and title similarity,
    "supra note N" to note N.
    """
    result: list[list[Citation]] = []
    done: list[tuple[str, list[Citation]]] = []
    earlier: list[tuple[str, int, Citation]] = []
    for label, text in notes:
        label = str(label)
        cites: list[Citation] = []
        try:
            pieces = split_citations(text or "")
        except Exception:  # noqa: BLE001
            log.debug("split failed for note %s", label, exc_info=True)
            pieces = [text.strip()] if text and text.strip() else []
        for piece in pieces:
            cite = parse_citation(piece)
            try:
                resolve_repeat(cite, piece, label, cites, done, earlier)
            except Exception:  # noqa: BLE001
                log.debug("resolution failed in note %s", label, exc_info=True)
            cites.append(cite)
        for i, cite in enumerate(cites):
            earlier.append((label, i, cite))
        done.append((label, cites))
        result.append(cites)
    return result

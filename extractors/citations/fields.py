"""Footnote text to citations: splitting a note and parsing each citation's fields.

A note is split into its citations (``;``-separated lists, except semicolons
inside titles, quotes or parentheses; "See", "See also", "See, for example"
signals), each citation's fields are parsed (author or issuing body, title,
ISO date, URLs, identifiers, pinpoint, kind); :func:`parse_notes` then has
repeated references ("Ibid.", "(previously cited)", …) resolved by
:mod:`extractors.citations.repeats`.

Fields come from two sources. A title the note marks up (Markdown italics,
quotes) is trusted together with what precedes it as the author. A
reference without such markup ("Durik, A. M., & Harackiewicz, J. M. (2007).
Different strokes…") is labelled by the trained CRF of
:mod:`extractors.citations.tagger` (author, title, date; its model is
loaded once, on first use). Identifiers and URLs always come from the
regexes of :mod:`extractors.text`; legal forms (cases, statutes, treaties)
get their own kinds from :mod:`extractors.citations.legal`; access dates
("Retrieved March 23, 2016", "accessed 5 May 2020") are never the date.

Everything is precompiled at import time; :func:`parse_notes` never raises on
odd text (a citation that cannot be parsed keeps its text and nothing else).
Titles are never Unicode-normalized, so Persian or Arabic titles stay intact.
"""

from __future__ import annotations

import logging
import re

from extractors.citations.legal import at_pinpoint, legal_kind
from extractors.citations.repeats import IBID_RE, SUPRA_RE, resolve_repeat
from extractors.citations.tagger import TaggerModelError, tag_reference
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
_YMD_RE = re.compile(rf"\b((?:1[6-9]|20)\d\d),?\s+({_MONTH_ALT})\.?\s+(\d{{1,2}})\b(?!\s*,?\s*(?:1[6-9]|20)\d\d)", re.I)
_ISO_RE = re.compile(r"\b((?:1[6-9]|20)\d\d)-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?\b")
_YEAR_RE = re.compile(r"(?<![\w/.\-])((?:1[6-9]|20)\d\d)(?![\w/\-])")

# "Retrieved March 23, 2016", "accessed 5 May 2020", "consulté le 3 mars 2021": when the reader saw
# the page, never when it was published.
_ACCESS_RE = re.compile(
    r"\b(?:retrieved|accessed|last\s+accessed|consulted|viewed|visited|consulté|consultado|acesso\s+em|"
    r"acessado\s+em|accedido|abgerufen)(?:\s+(?:on|le|el|em|am|from))?[\s:,]*"
    rf"(?:\d{{1,2}}(?:st|nd|rd|th|er)?\.?\s+(?:de\s+)?(?:{_MONTH_ALT})\.?,?\s+(?:de\s+)?(?:1[6-9]|20)\d\d"
    rf"|(?:{_MONTH_ALT})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:1[6-9]|20)\d\d"
    r"|(?:1[6-9]|20)\d\d-\d\d-\d\d|\d{1,2}[./]\d{1,2}[./](?:1[6-9]|20)\d\d"
    rf"|(?:{_MONTH_ALT})\.?,?\s+(?:1[6-9]|20)\d\d)",
    re.I,
)
# A segment that is only a name ("Smith, J.", "García, Ana") is one author of a ";"-separated list.
_NAME_ONLY_RE = re.compile(
    r"^\s*(?:[A-Z][\w'’\-]+\s+){0,2}[A-Z][\w'’\-]+,\s*"
    r"(?:(?:[A-Z]\.\s*|[A-Z]\.?-[A-Z]\.\s*)+|[A-Z][a-zà-ÿ]+(?:\s+[A-Z]\.)+)\s*$"
)
# "Mendez, Juan" is one author of "Mendez, Juan; Wentzel, Marta (2006). Title" only when a name
# follows it that ends the list (a year, "eds.") or continues it (";"): "Reuters, Tehran; …" is not.
_FULL_NAME_ONLY_RE = re.compile(r"^\s*(?:[A-Z][\w'’\-]+\s+){0,2}[A-Z][\w'’\-]+,\s*[A-Z][a-zà-ÿ'’\-]+(?:\s+[A-Z]\.)*\s*$")
_NAME_THEN_LIST_END_RE = re.compile(
    r"^\s*(?:[A-Z][\w'’\-]+\s+){0,2}[A-Z][\w'’\-]+,\s*[A-Z][\w'’\-.]*(?:\s+[A-Z][\w'’\-.]*){0,2}\s*"
    r"(?:$|\(\s*(?:eds?\.|(?:1[6-9]|20)\d\d))"
)
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

# Words a reference rarely has but commentary does: two of them make a note prose, not a reference.
_PROSE_WORD_RE = re.compile(r"\b(?:is|are|was|were|has|have|had|been|made|did|does|not|that|they|their|it|"
                            r"this|these|which|who|would|could|should|also)\b")
# Below this marginal probability a tagged field is not used (for author and title: the comma rule stands).
TAGGER_MIN_CONFIDENCE = 0.6
# The labeller's fields a citation keeps besides author, title and date (Citation attributes of the same name).
TAGGED_FIELDS = ("container", "publisher", "place", "volume", "issue", "pages")

# Lower-case words an author list may have: "Durik & Harackiewicz", "Ludwig van Beethoven", "et al.".
_NAME_PARTICLES = frozenset("and & et al al. y e und van von der den de da do dos das del la le di bin ibn".split())

# Markdown emphasis markers, removed before labelling a reference whose title markup was already read
_EMPHASIS_RE = re.compile(r"(?<!\w)[*_]+|[*_]+(?!\w)")
# words after a title that name no field of their own: pinpoints, "see", "at", "available", "online", "UN Doc."
_LOCATOR_NAMES = frozenset("pp p para paras at see also n fn no nos vol available online ibid id un doc minute "
                           "minutes".split())
# what a pinpoint starts with ("p. 4", "para. 220", "minute 2:46", "at 12", "§ 3"), but not "pp." (a range)
_PINPOINT_WORDS = r"(?<![\w.])(?:p\.|pg\.|paras?\.?|minutes?|at|§§?|n\.|fn\.|note)"
# "(Index: MDE 13/9421/2018)", "AI Index MDE 13/31/88": an NGO's document number, no field of the labeller's
_INDEX_PHRASE_RE = re.compile(r"\(?\b(?:AI\s+)?Index:?[^)]*\)?")

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
        # is a prose semicolon, not a list separator; and "Smith, J.; Jones, K.
        # (2010). Title" is one citation whose authors a semicolon separates.
        if segments and (
            (re.match(r"\s*[a-z]", segment) and not re.match(r"\s*(?:see|cf\.|ibid|id\.|supra)\b", segment, re.I))
            or _NAME_ONLY_RE.match(segments[-1].rsplit(";", 1)[-1])
            or (_FULL_NAME_ONLY_RE.match(segments[-1].rsplit(";", 1)[-1]) and _NAME_THEN_LIST_END_RE.match(segment))
        ):
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
    for m in _YMD_RE.finditer(text):
        year, month, day = m.group(1), MONTHS[m.group(2).lower()], int(m.group(3))
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
    # Initials ("A. Farhadi and J. Khalil") are no sentence ends.
    sentences = re.sub(r"\b[A-Z]\.", "A", text)
    return not re.search(r"[.!?]\s+[A-Z]", sentences) and not re.search(r"\b(?:is|are|was|were|has|have)\b", text)


# ---------------------------------------------------------------- parsing


def parse_citation(text: str) -> Citation:
    """One citation from its text: author, title, date, URLs, identifiers, pinpoint, kind.

    Never raises on odd text: on unexpected input the citation keeps its text
    and whatever fields were found before the problem. Raises
    :class:`~extractors.citations.tagger.TaggerModelError` only when the
    package was installed without its model file.
    """
    text = (text or "").strip()
    cite = Citation(text=text)
    if not text:
        return cite
    try:
        _fill_fields(cite, text)
    except TaggerModelError:
        raise  # an installation without the model is a defect to report, not odd text
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
    tagged_date = None
    if title is None:
        _fill_by_commas(cite, _unescape_markdown(plain))
        if not _is_repeat(text) and not _looks_like_prose(plain):
            tagged_date = _fill_from_tagger(cite, _unescape_markdown(plain))
    elif not _is_repeat(text) and not _looks_like_prose(plain):
        _fill_around_title(cite, plain, t_end)
    # Date, from the text outside the title, URLs and identifiers.
    rest = plain
    if t_start >= 0:
        rest = plain[:t_start] + " " * (t_end - t_start) + plain[t_end:]
    for ident in cite.identifiers:
        rest = rest.replace(ident.value, " " * len(ident.value))
    rest = re.sub(r"\(?\b(?:AI\s+)?Index:?[^)]*\)?", " ", rest)
    rest = _ACCESS_RE.sub(lambda m: " " * len(m.group(0)), rest)
    cite.date = (_iso_date(tagged_date) if tagged_date else None) or _iso_date(rest)
    # Pinpoint: the last p./pp./para./paras run, else a legal "at 5".
    pins = list(_PINPOINT_RE.finditer(rest))
    if pins:
        cite.pinpoint = _clean_value(pins[-1].group(0))
    else:
        cite.pinpoint = at_pinpoint(rest)
    hint, cite.kind = cite.kind, None
    cite.kind = _kind(cite, plain, how, hint)
    if how == "plain" and cite.kind in ("case", "statute", "treaty"):
        # A legal form is named, not authored: "Brown v. Board of Education, 347 U.S. 483 (1954)".
        cite.author = None
        cite.title = cite.title if cite.kind == "case" and cite.title else _clean_value(re.split(r",\s", plain)[0]).rstrip(".")


def _is_repeat(text: str) -> bool:
    """Whether ``text`` repeats an earlier citation (its fields come from there, not from the tagger)."""
    return bool(IBID_RE.match(text) or SUPRA_RE.search(text) or re.search(r"previously cited|op\.?\s*cit", text, re.I))


def _fill_by_commas(cite: Citation, plain: str) -> None:
    """Author and title of "Author, Title, date, …" without markup: the first two comma parts."""
    parts = [p.strip() for p in re.split(r",\s+", plain) if p.strip()]
    if len(parts) >= 3 and _looks_like_author(parts[0]) and len(parts[0].split()) <= 8:
        cite.author = parts[0]
        second = parts[1]
        if (not _DMY_RE.search(second) and not _MY_RE.search(second) and not _YEAR_RE.fullmatch(second)
                and not _PIN_START_RE.match(second) and len(second) < 200):
            cite.title = second


def _tagged_author(value: str) -> str | None:
    """A tagged author list, cut before the first comma part that is no name; None if nothing is left.

    "Durik, A. M., & Harackiewicz, J. M." is kept whole; "Human Rights
    Council, Report of the Special Rapporteur" keeps only its first part.
    """
    if not value or re.search(r"[\"“”«»*_]", value) or len(value) > 200:
        return None
    if value[0].islower() and value.split()[0] not in _NAME_PARTICLES:  # "van der Berg, J. P." is a name
        return None
    parts = re.split(r"(?<=[,;])\s+", value)
    kept = [parts[0]]
    for part in parts[1:]:
        words = part.split()
        if len(words) > 5 or any(w.islower() and w not in _NAME_PARTICLES for w in words):
            break
        kept.append(part)
    author = " ".join(kept).strip(" ,;")
    return author if author and not _PROSE_WORD_RE.search(author) else None


def _looks_like_prose(text: str) -> bool:
    """Whether a note is commentary rather than a reference ("The records … are on file with …")."""
    return len(_PROSE_WORD_RE.findall(text)) >= 2


def _fill_from_tagger(cite: Citation, text: str) -> str | None:
    """Author and title from the CRF where it is sure of them; returns the text of the date it found.

    A tagger author that differs from the comma rule's also discards the
    comma rule's title, which was read from the same wrong split.
    """
    fields = tag_reference(text)
    if "title" not in fields and "container" in fields and not {"volume", "issue", "pages"} & set(fields):
        # a container holds something: with no title and no volume or pages, it is the work itself (a book)
        fields["title"] = fields.pop("container")
    authors = fields.get("author")
    author = _tagged_author(authors[0][0]) if authors and authors[0][1] >= TAGGER_MIN_CONFIDENCE else None
    if author:
        if author != cite.author:
            cite.title = None
        cite.author = author
    titles = fields.get("title")
    # An author the tagger ran into the title ("Amnesty International, Blood-soaked secrets") is cut or
    # refused: its title is then only the rest of the real one, and the comma rule's stands.
    split_doubtful = bool(authors) and author != authors[0][0]
    if titles and titles[0][1] >= TAGGER_MIN_CONFIDENCE and not (split_doubtful and cite.title):
        # Where both agree on the author, a tagged title elsewhere than the comma rule's
        # ("adopted on" for "…, Resolution 43/137: Situation of …, adopted on 8 December 1988")
        # is the tagger's slip: it may only trim the comma rule's title.
        if not cite.title or titles[0][0] in cite.title or cite.title in titles[0][0]:
            cite.title = titles[0][0]
    # A stray number the tagger calls a date ("(1)") is passed over for one that has a year.
    dates = [(value, conf) for value, conf in fields.get("date", []) if _YEAR_RE.search(value)]
    if "container" in fields:
        cite.kind = "article"
    elif "publisher" in fields or "place" in fields:
        cite.kind = "book"
    used = [conf for name, value in (("author", cite.author), ("title", cite.title)) if value
            for tagged, conf in fields.get(name, [])[:1] if tagged == value]
    used += [conf for _value, conf in dates[:1]] + _take_tagged_fields(cite, fields, text)
    if used:
        cite.confidence = labeller_confidence(used)
    return dates[0][0] if dates else None


def labeller_confidence(marginals: list[float]) -> float:
    """A citation's confidence from the marginals of the labeller's fields it kept: their mean, below 1.

    Three decimals, never rounded up to 1.0: a labelled field is a reading, not a certainty.
    """
    return min(0.999, round(sum(marginals) / len(marginals), 3))


def _take_tagged_fields(cite: Citation, fields: dict[str, list[tuple[str, float]]], text: str) -> list[float]:
    """Set the :data:`TAGGED_FIELDS` the labeller is sure of; returns their confidences.

    Pages after "p.", "para." or "minute" are where the note points (its pinpoint), not the
    cited work's page range: the labeller learnt pages from bibliographies, which have no pinpoints.
    Nor is a part of a slashed document number ("43/137") a volume or a page.
    """
    used = []
    for name in TAGGED_FIELDS:
        values = fields.get(name)
        if not values or values[0][1] < TAGGER_MIN_CONFIDENCE or values[0][0] == cite.title:
            continue
        value = values[0][0]
        if name == "pages" and re.search(rf"{_PINPOINT_WORDS}\s*{re.escape(value)}", text, re.I):
            continue
        if name in ("volume", "issue", "pages") and re.search(rf"\d/{re.escape(value)}\b|\b{re.escape(value)}/\d", text):
            continue  # "Resolution 43/137": one document number, no volume 43 and page 137
        setattr(cite, name, value)
        used.append(values[0][1])
    return used


def _fill_around_title(cite: Citation, plain: str, t_end: int) -> None:
    """Container, publisher, volume… of a citation whose title the markup gives (the title is trusted).

    The labeller runs only when the text after the title may name one: ", 4 December 2018, para.
    12." or "(Index: MDE 13/9421/2018), UN Doc. A/45/697" names none.
    """
    plain = _INDEX_PHRASE_RE.sub(lambda m: " " * len(m.group(0)), plain)
    after = _ACCESS_RE.sub(" ", plain[t_end:])
    for ident in cite.identifiers:
        after = after.replace(ident.value, " ")
    words = [w for w in re.findall(r"[^\W\d_]{2,}", after) if w.lower() not in MONTHS]
    if all(w.lower() in _LOCATOR_NAMES for w in words):
        return
    text = _EMPHASIS_RE.sub("", _unescape_markdown(plain))
    used = _take_tagged_fields(cite, tag_reference(text), text)
    if used:
        cite.confidence = labeller_confidence(used)


def _kind(cite: Citation, plain: str, how: str, hint: str | None = None) -> str:
    """The kind of a citation; ``hint`` is the tagger's guess for an unmarked reference."""
    schemes = {i.scheme for i in cite.identifiers}
    author = cite.author or ""
    if "un-symbol" in schemes:
        return "un-document"
    if "ngo-index" in schemes:
        return "ngo-report"
    legal = legal_kind(_unescape_markdown(plain))
    if legal:
        return legal
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
    if hint:
        return hint
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

"""Human-written dates ("6 February 2023", "July 2019", "2023-02-06") to ISO 8601."""

from __future__ import annotations

import re

# The ONE month-name table: lower-case names and abbreviations per language, with
# and without accents (French, Spanish, German as seen in NGO material).
MONTHS_BY_LANGUAGE: dict[str, dict[str, int]] = {
    "en": {
        "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
        "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
        "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
        "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    },
    "fr": {
        "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
        "juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
        "décembre": 12, "decembre": 12,
    },
    "es": {
        "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
        "agosto": 8, "septiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
    },
    "de": {
        "januar": 1, "februar": 2, "märz": 3, "april": 4, "mai": 5, "juni": 6, "juli": 7,
        "august": 8, "september": 9, "oktober": 10, "november": 11, "dezember": 12,
    },
}
ENGLISH_MONTHS = MONTHS_BY_LANGUAGE["en"]
MONTHS: dict[str, int] = {name: num for table in MONTHS_BY_LANGUAGE.values() for name, num in table.items()}
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")


def month_number(name: str, languages: tuple[str, ...] | None = None) -> int | None:
    """The month (1-12) that ``name`` ("Sept.", "mars") names, optionally in ``languages`` only."""
    key = (name or "").strip().lower().rstrip(".")
    if languages is None:
        return MONTHS.get(key)
    for lang in languages:
        if key in MONTHS_BY_LANGUAGE[lang]:
            return MONTHS_BY_LANGUAGE[lang][key]
    return None
_MONTH_RE = r"(?:" + "|".join(sorted(ENGLISH_MONTHS, key=len, reverse=True)) + r")\.?"
_DATE_DMY = re.compile(rf"^(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_RE})\s*,?\s+(\d{{4}})$", re.I)
_DATE_MDY = re.compile(rf"^({_MONTH_RE})\s+(\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s+(\d{{4}})$", re.I)
_DATE_MY = re.compile(rf"^({_MONTH_RE})\s*,?\s+(\d{{4}})$", re.I)
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?(?:[T ].*)?$")
_DATE_Y = re.compile(r"^(\d{4})$")


def parse_date(value: str) -> str | None:
    """An ISO 8601 date (``YYYY[-MM[-DD]]``) from a human-written date, or None."""
    value = re.sub(r"\s+", " ", value or "").strip().strip(".")
    if not value:
        return None

    def month(name: str) -> int:
        return ENGLISH_MONTHS[name.lower().rstrip(".")]

    def fmt(y: int, m: int | None = None, d: int | None = None) -> str | None:
        if not 1000 <= y <= 2999:
            return None
        if m is None:
            return f"{y:04d}"
        if not 1 <= m <= 12:
            return None
        if d is None:
            return f"{y:04d}-{m:02d}"
        if not 1 <= d <= 31:
            return None
        return f"{y:04d}-{m:02d}-{d:02d}"

    if m := _DATE_ISO.match(value):
        return fmt(int(m[1]), int(m[2]), int(m[3]) if m[3] else None)
    if m := _DATE_DMY.match(value):
        return fmt(int(m[3]), month(m[2]), int(m[1]))
    if m := _DATE_MDY.match(value):
        return fmt(int(m[3]), month(m[1]), int(m[2]))
    if m := _DATE_MY.match(value):
        return fmt(int(m[2]), month(m[1]))
    if m := _DATE_Y.match(value):
        return fmt(int(m[1]))
    return None


# --- dates written for readers, in any language (bylines, datelines) ----------------

# spans that look like one full date: "3 mars 2023", "12. März 2023", "12 de marzo de 2023",
# "March 12, 2023", "2023年3月12日", "2023-03-12", "12.03.2023"; parsed by dateparser
_WORD = r"[^\W\d_]{3,12}\.?"
_WRITTEN_DATE_RE = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th|er|º|\.)?\s*(?:de\s+|of\s+)?{_WORD},?\s*(?:de\s+)?(?:19|20)\d\d\b"
    rf"|(?<![\w.]){_WORD}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d\d\b"
    r"|(?:19|20)\d\d\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"
    r"|(?:19|20)\d\d\s*년\s*\d{1,2}\s*월\s*\d{1,2}\s*일"
    r"|\b(?:19|20)\d\d-\d\d-\d\d\b"
    r"|\b\d{1,2}[./]\d{1,2}[./](?:19|20)\d\d\b",
    re.IGNORECASE,
)
# words saying that the date after them is not the publication date
_NOT_PUBLISHED_RE = re.compile(
    r"(?:updated?|modified|edited|revised|last\s+changed|aktualisiert|geändert|mis\s+à\s+jour|modifié|"
    r"actualizado|modificado|atualizado|aggiornato|bijgewerkt|zaktualizowano|обновлено|更新|©|copyright)"
    r"[^0-9]{0,25}$",
    re.IGNORECASE,
)
_DATEPARSER_SETTINGS = {"REQUIRE_PARTS": ["day", "month", "year"], "PREFER_DAY_OF_MONTH": "first",
                        "RETURN_AS_TIMEZONE_AWARE": False, "PREFER_DATES_FROM": "past"}


def written_dates(text: str, languages: tuple[str, ...] | None = None) -> list[str]:
    """Full dates (``YYYY-MM-DD``) written in ``text`` in any language dateparser reads,
    in order, leaving out dates introduced as updates, modifications or copyright.

    ``languages`` (ISO 639-1 codes, e.g. from the page's ``lang``) narrows dateparser's guess;
    numeric dates (``12.03.2023``) are read day first unless the language is English.
    A date needs day, month and year: a bare year ("© 2023") is never a date here.
    """
    import dateparser

    out: list[str] = []
    text = " ".join((text or "").split())
    for m in _WRITTEN_DATE_RE.finditer(text):
        if _NOT_PUBLISHED_RE.search(text[max(0, m.start() - 40) : m.start()]):
            continue
        span = m.group(0)
        quick = _quick_day(span, languages)
        if quick:
            if quick not in out:
                out.append(quick)
            continue
        settings = dict(_DATEPARSER_SETTINGS)
        if re.fullmatch(r"[\d./]+", span):
            settings["DATE_ORDER"] = "MDY" if languages and languages[0] == "en" else "DMY"
        try:
            found = dateparser.parse(span, languages=list(languages) if languages else None, settings=settings)
            if found is None and languages:
                found = dateparser.parse(span, settings=settings)
        except (ValueError, TypeError, OverflowError, KeyError):
            found = None
        if found is not None and 1900 <= found.year <= 2999:
            iso = found.date().isoformat()
            if iso not in out:
                out.append(iso)
    return out


_NUMERIC_RE = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{4})")


def _quick_day(span: str, languages: tuple[str, ...] | None) -> str | None:
    """English month names, ISO and numeric dates without dateparser (it costs milliseconds a call)."""
    iso = parse_date(re.sub(r"(?<=\d)(?:st|nd|rd|th)\b", "", span))
    if iso and len(iso) == 10:
        return iso
    m = _NUMERIC_RE.fullmatch(span)
    if m:
        a, b, year = int(m[1]), int(m[2]), int(m[3])
        day, month = (b, a) if languages and languages[0] == "en" else (a, b)
        if 1 <= month <= 12 and 1 <= day <= 31:
            return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def written_date(text: str, languages: tuple[str, ...] | None = None) -> str | None:
    """The first of :func:`written_dates`, or None."""
    found = written_dates(text, languages)
    return found[0] if found else None

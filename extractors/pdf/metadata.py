"""PDF metadata: the document information dictionary, XMP and the catalog.

Values from the information dictionary win; XMP fills what it lacks. Titles
that are no titles ("Microsoft Word - draft3.docx", "untitled", file names)
are dropped so the caller can fall back to the first page's largest text.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from typing import Any

from extractors.record import Metadata

log = logging.getLogger(__name__)

_PDF_DATE_RE = re.compile(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?")
_JUNK_TITLE_RE = re.compile(
    r"^(?:untitled.*|document\d*|title|no title|slide \d+|powerpoint presentation|print|"
    r"(?:microsoft (?:word|excel|powerpoint)|word|adobe indesign|ms word)\s*[-:].*|"
    r".*\.(?:docx?|pdf|odt|rtf|txt|indd|qxd|tmp|pptx?|xlsx?|html?|tex|dvi|ps|wpd|pages))$",
    re.I,
)


def pdf_date(value: Any) -> str | None:
    """An ISO date (``YYYY[-MM[-DD]]``) from a PDF date string or a datetime."""
    if isinstance(value, (datetime, date)):
        return value.strftime("%Y-%m-%d")
    if not value:
        return None
    m = _PDF_DATE_RE.match(str(value).strip())
    if not m:
        return None
    year, month, day = m.groups()
    if not 1000 <= int(year) <= 2999:
        return None
    if month and 1 <= int(month) <= 12:
        if day and 1 <= int(day) <= 31:
            return f"{year}-{month}-{day}"
        return f"{year}-{month}"
    return year


def is_junk_title(title: str | None, filename: str | None = None) -> bool:
    """Whether a metadata title is empty, a placeholder or a file name."""
    if not title or not title.strip():
        return True
    title = title.strip()
    if _JUNK_TITLE_RE.match(title):
        return True
    if filename and title.lower() in {filename.lower(), filename.rsplit(".", 1)[0].lower()}:
        return True
    # One token with path separators or underscores and no spaces: a file name.
    return " " not in title and bool(re.search(r"[\\/_]|\.\w{2,4}$", title))


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).replace("\x00", "").strip()
    return text or None


def _xmp_text(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("x-default") or next(iter(value.values()), None)
    elif isinstance(value, list):
        value = "; ".join(str(v) for v in value if v)
    return _clean(value)


def read_metadata(reader: Any, warnings: list[str]) -> Metadata:
    """Metadata from the info dictionary, XMP and catalog of an open ``PdfReader``."""
    meta = Metadata()
    info: dict[str, Any] = {}
    try:
        raw = reader.metadata or {}
        info = {str(k): raw.get(k) for k in raw}
    except Exception as exc:  # noqa: BLE001 - a broken info dictionary is not fatal
        warnings.append(f"document information dictionary unreadable: {exc}")
    xmp = None
    try:
        xmp = reader.xmp_metadata
    except Exception as exc:  # noqa: BLE001 - nor is broken XMP
        warnings.append(f"XMP metadata unreadable: {exc}")

    def xmp_get(attr: str) -> Any:
        if xmp is None:
            return None
        try:
            return getattr(xmp, attr)
        except Exception as exc:  # noqa: BLE001
            log.debug("XMP %s unreadable: %s", attr, exc)
            return None

    meta.title = _clean(info.get("/Title")) or _xmp_text(xmp_get("dc_title"))
    author = _clean(info.get("/Author"))
    if author:
        meta.authors = [a.strip() for a in re.split(r";|\n", author) if a.strip()]
    else:
        creators = xmp_get("dc_creator") or []
        meta.authors = [str(c).strip() for c in creators if str(c).strip()]
    meta.description = _clean(info.get("/Subject")) or _xmp_text(xmp_get("dc_description"))
    keywords = _clean(info.get("/Keywords")) or _clean(xmp_get("pdf_keywords"))
    if keywords:
        meta.keywords = [k.strip() for k in re.split(r"[;,]", keywords) if k.strip()]
    else:
        meta.keywords = [str(k).strip() for k in (xmp_get("dc_subject") or []) if str(k).strip()]
    # /CreationDate is when the file was made (an export, a scan), not the document's date;
    # XMP dc:date is the date its author gave the document
    meta.file_date = pdf_date(info.get("/CreationDate")) or pdf_date(xmp_get("xmp_create_date"))
    dc_dates = xmp_get("dc_date") or []
    meta.date = pdf_date(dc_dates[0]) if isinstance(dc_dates, list) and dc_dates else None
    modified = pdf_date(info.get("/ModDate")) or pdf_date(xmp_get("xmp_modify_date"))
    producer = _clean(info.get("/Producer")) or _clean(xmp_get("pdf_producer"))
    creator = _clean(info.get("/Creator")) or _clean(xmp_get("xmp_creator_tool"))
    meta.extra.update({"producer": producer, "creator": creator, "modified": modified})
    try:
        lang = reader.trailer["/Root"].get("/Lang")
        meta.language = _clean(lang.get_object() if hasattr(lang, "get_object") else lang)
    except Exception:  # noqa: BLE001 - no catalog language
        meta.language = None
    if not meta.language:
        langs = xmp_get("dc_language") or []
        meta.language = _clean(langs[0]) if langs else None
    if meta.language and meta.language.lower() in {"x-unknown", "und"}:
        meta.language = None
    return meta

"""OCR for the pages of a PDF that have no text layer (scans), as text runs for the PDF layout.

:class:`PageOcr` is made once per PDF. For a page whose content stream drew no text but paints
an image, it rasterises the page (pdftoppm), runs Tesseract and returns one
:class:`~extractors.pdf.layout.Run` per recognised line, placed where the line stands on the page,
so running heads, paragraphs and notes are found as on any other page. Right-to-left lines are
handed over in visual order, like the runs of a PDF text layer, so the layout's own
logical-order pass applies to them too.

OCR has its own time box (``time_limit``), separate from the PDF parsing deadline: when it runs
out, later pages without text stay without text, with a warning. Without Tesseract the pages
are kept without text and the record says why; the document is never refused for it.
"""

from __future__ import annotations

import statistics
import time
import unicodedata
from typing import Any

from bidi import get_display

from extractors.errors import ExtractionError, ResourceLimitExceeded
from extractors.ocr.tesseract import PDF_DPI, OcrPage, OcrUnavailable, describe, rasterise_pdf_page, recognise, \
    tesseract_version
from extractors.pdf.layout import Run

_RTL_CLASSES = ("R", "AL")


def has_image(page: Any, depth: int = 0) -> bool:
    """Whether a pypdf page (or form XObject) paints an image (XObject or inline image)."""
    try:
        resources = page.get("/Resources")
        resources = resources.get_object() if resources is not None else {}
        xobjects = resources.get("/XObject")
        xobjects = xobjects.get_object() if xobjects is not None else {}
        for ref in list(xobjects.values())[:500]:
            obj = ref.get_object()
            if obj.get("/Subtype") == "/Image":
                return True
            if obj.get("/Subtype") == "/Form" and depth < 4 and has_image(obj, depth + 1):
                return True
        if depth == 0:
            contents = page.get_contents()
            return contents is not None and b"BI" in contents.get_data()[:2_000_000] and b"ID" in contents.get_data()
    except Exception:  # noqa: BLE001 - a damaged resource dictionary means no OCR, not a failure
        return False
    return False


class PageOcr:
    """OCR of the text-less pages of one PDF, with what the record must say about it."""

    def __init__(self, pdf: bytes, languages: str, time_limit: float) -> None:
        """``pdf``: the document's bytes; ``languages``: Tesseract's ``-l``; ``time_limit``: OCR's own box."""
        self.pdf = pdf
        self.languages = languages
        self.time_limit = time_limit
        self.seconds = 0.0
        self.pages: dict[int, OcrPage] = {}
        self.problems: list[str] = []
        self.stopped = False

    def runs(self, page: Any, number: int, width: float, height: float, bottom: float) -> list[Run]:
        """Runs recognised on page ``number`` (1-based), or [] when it paints no image or OCR cannot run."""
        if self.stopped or not has_image(page):
            return []
        started = time.monotonic()
        try:
            left = self.time_limit - self.seconds
            image = rasterise_pdf_page(self.pdf, number, left)
            pages = recognise(image, self.languages, timeout=self.time_limit - self.seconds
                              - (time.monotonic() - started), dpi=PDF_DPI)
        except OcrUnavailable as exc:
            self.stopped = True
            self.problems.append(f"page {number} and later have no text layer and were not OCRed: {exc}")
            return []
        except ResourceLimitExceeded as exc:
            self.stopped = True
            self.problems.append(f"OCR stopped at page {number}: {exc}; later pages without a text layer "
                                 f"have no text")
            return []
        except ExtractionError as exc:
            self.problems.append(f"page {number}: OCR failed ({exc})")
            return []
        finally:
            self.seconds += time.monotonic() - started
        if not pages:
            return []
        self.pages[number] = pages[0]
        return _to_runs(pages[0], width, height, bottom)

    def report(self, warnings: list[str], extra: dict[str, Any]) -> None:
        """Add the OCR warning and ``extra["ocr"]`` (per-page mean confidence) to a record."""
        warnings.extend(self.problems)
        if not self.pages:
            return
        pages = [self.pages[n] for n in sorted(self.pages)]
        warnings.insert(0, describe(pages, self.languages) + f" (pages {', '.join(map(str, sorted(self.pages)))})")
        extra["ocr"] = {"engine": "tesseract", "version": tesseract_version(), "languages": self.languages,
                        "dpi": PDF_DPI, "seconds": round(self.seconds, 2),
                        "pages": [{"page": n, "mean_confidence": self.pages[n].confidence,
                                   "words": self.pages[n].words} for n in sorted(self.pages)]}


def _to_runs(ocr: OcrPage, width: float, height: float, bottom: float) -> list[Run]:
    """One run per OCR line in page units; line sizes near the page's usual size are set to it."""
    if not ocr.lines:
        return []
    scale = width / ocr.width if ocr.width else 72.0 / PDF_DPI
    sizes = [(line.box[3] - line.box[1]) * scale / 1.25 for line in ocr.lines]
    usual = statistics.median(sizes)
    runs = []
    for line, size in zip(ocr.lines, sizes):
        size = usual if abs(size - usual) <= 0.2 * usual else size
        text = line.text
        if any(_is_rtl(ch) for ch in text):
            text = get_display(text)
        x = line.box[0] * scale
        y = bottom + height - line.box[3] * scale + 0.2 * size
        runs.append(Run(text=text, x=x, y=y, size=round(size * 2) / 2, font="OCR",
                        width=(line.box[2] - line.box[0]) * scale))
    return runs


def _is_rtl(ch: str) -> bool:
    return unicodedata.bidirectional(ch) in _RTL_CLASSES

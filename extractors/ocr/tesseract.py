"""Tesseract as a subprocess: images (or rasterised PDF pages) to text lines with confidence.

Everything runs locally under a timeout; a missing program raises :class:`OcrUnavailable`,
a timeout :class:`~extractors.errors.ResourceLimitExceeded`. The default languages are
English, Persian and Arabic (``eng+fas+ara``); callers can choose others.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from extractors.errors import CorruptDocument, ExtractionError, ResourceLimitExceeded

DEFAULT_LANGUAGES = "eng+fas+ara"
PDF_DPI = 300


class OcrUnavailable(ExtractionError):
    """OCR was needed but Tesseract (or pdftoppm for PDF pages, or a language's data) is not installed."""


@dataclass
class OcrLine:
    """One recognised line: its text and box in pixels (left, top, right, bottom)."""

    text: str
    box: tuple[int, int, int, int]
    block: tuple[int, int]  # (block, paragraph) it belongs to


@dataclass
class OcrPage:
    """The recognised lines of one image page, the mean word confidence (0-100) and word count."""

    lines: list[OcrLine] = field(default_factory=list)
    confidence: float | None = None
    words: int = 0
    width: int = 0
    height: int = 0

    def paragraphs(self) -> list[str]:
        """Text of each recognised paragraph, lines joined (a hyphen at a line end before lower case undone)."""
        out: list[str] = []
        current = None
        for line in self.lines:
            if line.block != current:
                out.append(line.text)
                current = line.block
            elif out[-1].endswith("-") and line.text[:1].islower():
                out[-1] = out[-1][:-1] + line.text
            else:
                out[-1] += " " + line.text
        return out


@lru_cache(maxsize=1)
def tesseract_version() -> str:
    """The installed Tesseract's version ("5.3.0"); OcrUnavailable when it is missing."""
    program = _program("tesseract")
    try:
        done = subprocess.run([program, "--version"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OcrUnavailable(f"ocr: tesseract cannot run ({exc})") from exc
    first = (done.stdout or done.stderr).decode("utf-8", "replace").split("\n", 1)[0]
    return first.split()[-1] if first.strip() else "unknown"


def _program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise OcrUnavailable(f"ocr: {name} is not installed (Debian package "
                             f"{'tesseract-ocr' if name == 'tesseract' else 'poppler-utils'}); no text was recognised")
    return path


def _run(args: list[str], data: bytes | None, timeout: float, what: str) -> bytes:
    if timeout <= 0:
        raise ResourceLimitExceeded(f"ocr: no time left for {what}")
    try:
        done = subprocess.run(args, input=data, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ResourceLimitExceeded(f"ocr: {what} exceeded the time limit of {timeout:.0f}s") from exc
    except OSError as exc:
        raise OcrUnavailable(f"ocr: {args[0]} cannot run ({exc})") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = message[-1] if message else f"exit status {done.returncode}"
        if "Failed loading language" in done.stderr.decode("utf-8", "replace"):
            raise OcrUnavailable(f"ocr: tesseract language data missing ({detail})")
        raise CorruptDocument(f"ocr: {what} failed ({detail})")
    return done.stdout


def recognise(image: bytes, languages: str = DEFAULT_LANGUAGES, timeout: float = 60.0,
              dpi: int | None = None) -> list[OcrPage]:
    """OCR ``image`` (PNG, JPEG, TIFF — every page of a multi-page TIFF); one OcrPage per page."""
    args = [_program("tesseract"), "stdin", "stdout", "-l", languages, "--psm", "3"]
    if dpi:
        args += ["--dpi", str(dpi)]
    tsv = _run(args + ["tsv"], image, timeout, "tesseract").decode("utf-8", "replace")
    return parse_tsv(tsv)


def parse_tsv(tsv: str) -> list[OcrPage]:
    """Tesseract's TSV output to pages of lines (words in the order Tesseract read them)."""
    pages: dict[int, OcrPage] = {}
    lines: dict[tuple[int, int, int, int], tuple[list[str], list[int]]] = {}
    confidences: dict[int, list[float]] = {}
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        try:
            level, page_no = int(row["level"]), int(row["page_num"])
            box = [int(row[k]) for k in ("left", "top", "width", "height")]
        except (KeyError, TypeError, ValueError):
            continue
        page = pages.setdefault(page_no, OcrPage())
        if level == 1:
            page.width, page.height = box[2], box[3]
        if level != 5 or not (row.get("text") or "").strip():
            continue
        key = (page_no, int(row["block_num"]), int(row["par_num"]), int(row["line_num"]))
        words, edges = lines.setdefault(key, ([], [box[0], box[1], box[0] + box[2], box[1] + box[3]]))
        words.append(row["text"].strip())
        edges[:] = [min(edges[0], box[0]), min(edges[1], box[1]), max(edges[2], box[0] + box[2]),
                    max(edges[3], box[1] + box[3])]
        conf = float(row.get("conf") or -1)
        if conf >= 0:
            confidences.setdefault(page_no, []).append(conf)
    for (page_no, block, par, _), (words, edges) in lines.items():
        pages[page_no].lines.append(OcrLine(" ".join(words), (edges[0], edges[1], edges[2], edges[3]), (block, par)))
    for page_no, page in pages.items():
        scores = confidences.get(page_no, [])
        page.words = len(scores)
        page.confidence = round(sum(scores) / len(scores), 1) if scores else None
    return [pages[n] for n in sorted(pages)]


def rasterise_pdf_page(pdf: bytes, number: int, timeout: float, dpi: int = PDF_DPI) -> bytes:
    """Page ``number`` (1-based) of ``pdf`` as a greyscale PNG at ``dpi``, by poppler's pdftoppm."""
    program = _program("pdftoppm")
    with tempfile.TemporaryDirectory(prefix="archivist-ocr-") as tmp:
        source = Path(tmp) / "in.pdf"
        source.write_bytes(pdf)
        _run([program, "-f", str(number), "-l", str(number), "-r", str(dpi), "-gray", "-png", "-singlefile",
              str(source), str(Path(tmp) / "page")], None, timeout, f"rendering page {number}")
        out = Path(tmp) / "page.png"
        if not out.exists():
            raise CorruptDocument(f"ocr: pdftoppm rendered nothing for page {number}")
        return out.read_bytes()


def describe(pages: list[OcrPage], languages: str) -> str:
    """The warning a record with OCR text gets: engine, version, languages, confidence."""
    scored = [p.confidence for p in pages if p.confidence is not None]
    mean = f"mean confidence {sum(scored) / len(scored):.1f}/100" if scored else "no words recognised"
    return f"text from OCR (tesseract {tesseract_version()}, languages {languages}), {mean} over {len(pages)} page(s)"

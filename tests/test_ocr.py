"""Scans: images and text-less PDF pages through Tesseract, marked as OCR with their confidence.

Fixtures (tests/fixtures/make_office_scan_fixtures.sh): page 1 of seed 003's PDF rendition
rasterised by pdftoppm and thresholded to one bit (PNG, and wrapped back into a PDF with no text
layer), and a Persian and an Arabic line drawn with Noto Naskh. Needs tesseract-ocr with eng,
fas and ara data, and poppler-utils.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from pypdf import PdfReader

from extractors.errors import ResourceLimitExceeded
from extractors.limits import ExtractionLimits
from extractors.ocr.tesseract import OcrUnavailable
from extractors.pdf.extractor import PdfExtractor
from extractors.record import Hints
from extractors.registry import extract

HERE = Path(__file__).parent
SCANS = HERE / "fixtures" / "scans"
RENDITION = HERE.parent / "corpus" / "renditions" / "003_amnesty_statement.pdf"
PERSIAN = "گزارش سازمان ملل درباره زندانیان سیاسی و خانواده‌های آنان"
ARABIC = "تقرير الأمم المتحدة عن حقوق الإنسان والسجناء السياسيين"


def _words(text: str) -> Counter[str]:
    return Counter(w.lower() for w in re.findall(r"\w+", text))


def word_accuracy(reference: str, recognised: str) -> float:
    """Share of the reference's words (with repeats) found in the recognised text."""
    ref, got = _words(reference), _words(recognised)
    return sum((ref & got).values()) / sum(ref.values())


def char_overlap(reference: str, recognised: str) -> float:
    ref, got = Counter(reference.replace(" ", "")), Counter(recognised.replace(" ", ""))
    return sum((ref & got).values()) / sum(ref.values())


@pytest.fixture(scope="module")
def page_reference() -> str:
    return PdfReader(RENDITION).pages[0].extract_text()


@pytest.fixture(scope="module")
def english_image():
    return extract((SCANS / "page_en.png").read_bytes(), Hints(filename="page_en.png"))


def test_english_scan_word_accuracy(english_image, page_reference):
    record = english_image
    assert record.extractor == "image-ocr" and record.format == "image"
    assert word_accuracy(page_reference, record.text) >= 0.95
    assert record.text.startswith("AMNESTY INTERNATIONAL PUBLIC STATEMENT")
    assert "MDE 13/6418/2023" in record.text
    assert record.metadata.language == "en"


def test_ocr_is_marked_with_engine_languages_and_confidence(english_image):
    warning = english_image.warnings[0]
    assert re.match(r"text from OCR \(tesseract \d+\.\d+[.\d]*, languages eng\+fas\+ara\), mean confidence "
                    r"\d+\.\d/100 over 1 page\(s\)", warning), warning
    ocr = english_image.metadata.extra["ocr"]
    assert ocr["engine"] == "tesseract" and ocr["languages"] == "eng+fas+ara"
    assert ocr["pages"][0]["page"] == 1 and ocr["pages"][0]["mean_confidence"] > 85
    assert ocr["pages"][0]["words"] > 300


@pytest.mark.parametrize("name,line,lang", [("line_fa.png", PERSIAN, "fa"), ("line_ar.png", ARABIC, "ar")])
def test_persian_and_arabic_lines(name, line, lang):
    record = extract((SCANS / name).read_bytes(), Hints(filename=name))
    assert char_overlap(line, record.text) >= 0.9
    found = set(record.text.split()) & set(line.split())
    assert len(found) >= len(line.split()) // 2, record.text
    assert record.metadata.language == lang


def test_scanned_pdf_page_goes_through_ocr(page_reference):
    data = (SCANS / "scanned.pdf").read_bytes()
    without = PdfExtractor(ocr_languages=None).extract(data, Hints())
    assert without.text == ""  # no text layer: this is what OCR adds
    record = extract(data, Hints(filename="scanned.pdf"))
    assert record.extractor == "pdf"
    assert word_accuracy(page_reference, record.text) >= 0.95
    assert record.text.startswith("AMNESTY INTERNATIONAL PUBLIC STATEMENT")
    assert record.warnings[0].startswith("text from OCR (tesseract ")
    assert record.warnings[0].endswith("(pages 1)")
    pages = record.metadata.extra["ocr"]["pages"]
    assert pages[0]["page"] == 1 and pages[0]["mean_confidence"] > 85


def test_pdf_with_a_text_layer_is_not_ocred():
    record = extract(RENDITION.read_bytes(), Hints())
    assert "ocr" not in record.metadata.extra
    assert not [w for w in record.warnings if "OCR" in w]


def test_without_tesseract_image_is_refused_clearly(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(OcrUnavailable, match="tesseract is not installed"):
        extract((SCANS / "line_fa.png").read_bytes(), Hints())


def test_without_tesseract_scanned_pdf_is_kept_with_a_warning(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    record = extract((SCANS / "scanned.pdf").read_bytes(), Hints())
    assert record.text == ""
    assert any("no text layer and were not OCRed" in w and "not installed" in w for w in record.warnings)


def test_ocr_time_limit():
    with pytest.raises(ResourceLimitExceeded, match="time limit"):
        extract((SCANS / "page_en.png").read_bytes(), Hints(limits=ExtractionLimits(time_limit_s=0.2)))


def test_scanned_persian_pdf_page_keeps_logical_order():
    record = extract((SCANS / "scanned_fa.pdf").read_bytes(), Hints())
    assert char_overlap(PERSIAN, record.text) >= 0.9
    # words in reading order, not reversed by the layout's right-to-left pass
    words = record.text.split()
    assert words[:3] == PERSIAN.split()[:3], record.text
    assert record.metadata.extra["ocr"]["pages"][0]["mean_confidence"] > 70

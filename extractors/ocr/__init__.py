"""Optical character recognition with Tesseract, run as a local subprocess under a time limit.

:mod:`~extractors.ocr.tesseract` runs ``tesseract`` (and ``pdftoppm`` to rasterise PDF pages) and
turns its TSV output into text lines with positions and confidences; :mod:`~extractors.ocr.image`
is the extractor for PNG, JPEG and TIFF images. The PDF extractor asks
:func:`~extractors.ocr.tesseract.ocr_pdf_page` for pages that have no text layer.
"""

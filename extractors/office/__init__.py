"""Word-processor documents: DOCX (Office Open XML) and ODT (OpenDocument Text), read from their XML.

:mod:`~extractors.office.package` opens the ZIP package within limits (bombs refused) and parses
its XML safely; :mod:`~extractors.office.docx` and :mod:`~extractors.office.odt` walk the document
structure: paragraphs, headings, lists and tables in order, footnotes and endnotes linked to their
reference marks through :mod:`extractors.assembly`, tracked changes and comments kept apart.
"""

"""Footnote text to citations: :func:`parse_notes` is the entry point.

:mod:`~extractors.citations.fields` splits a note into citations and parses
their fields, with the trained labeller of :mod:`~extractors.citations.tagger`
for references without markup and :mod:`~extractors.citations.legal` for
cases, statutes and treaties; :mod:`~extractors.citations.repeats` resolves
repeated references ("Ibid.", "op. cit.", "supra note N") to what they repeat.
"""

from extractors.citations.fields import parse_citation, parse_notes, split_citations
from extractors.citations.repeats import resolve_repeat
from extractors.citations.tagger import TaggerModelError, tag_reference

__all__ = ["TaggerModelError", "parse_citation", "parse_notes", "resolve_repeat", "split_citations", "tag_reference"]

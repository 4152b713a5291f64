"""Resource limits every extractor honours, passed in with the :class:`~extractors.record.Hints`.

Extractors are pure, so they never read the environment: the caller (``flows.settings``)
reads the knobs once and hands them over. The defaults here are what a direct call gets.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExtractionLimits:
    """Upper bounds on one document's extraction.

    ``max_input_bytes`` bounds any input; ``max_html_bytes`` and ``max_markup_chars``
    bound a web page before and after decoding; ``time_limit_s`` is the in-process
    deadline a format checks between pages (the worker pool's hard time box is a
    separate, outer limit).

    A container (ZIP, tar) or an e-mail hands back at most ``container_max_members``
    parts holding at most ``container_max_total_bytes`` together; a ZIP member that
    inflates more than ``container_max_ratio`` times its compressed size is skipped
    (a decompression bomb). Nesting depth is the caller's to bound: a part of a part
    is a new extraction.
    """

    max_input_bytes: int = 512 * 1024 * 1024
    max_html_bytes: int = 32 * 1024 * 1024
    max_markup_chars: int = 4 * 1024 * 1024
    time_limit_s: float = 60.0
    container_max_members: int = 10_000
    container_max_total_bytes: int = 256 * 1024 * 1024
    container_max_ratio: float = 200.0

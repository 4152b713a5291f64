"""Fuzzing every extractor (Hypothesis): random and mutated bytes of each format.

Three properties, for text, Markdown, wikitext, HTML and PDF:

1. ``extractors.extract`` raises nothing but :class:`ExtractionError` subclasses
   (in-process, Hypothesis ``deadline`` from the profile in ``conftest.py``);
2. the worker pool's time box holds: every example comes back from a real
   :class:`flows.extraction_pool.ExtractionPool` (5 s box) within the box and a margin,
   as a record or an ``ExtractionError``;
3. the text is no longer than the input allows: canonical text plus note texts
   ``<= TEXT_FACTOR * n + TEXT_SLACK`` characters, where ``n`` is the input size after
   decompression (a gzip file's contents, a PDF's bytes plus its inflated streams).

Examples are mutations (byte flips, inserts, deletes, duplications, truncation, zeroed
runs) of the real files in corpus/ and tests/fixtures/, and random bytes. Runs are
derandomized, so CI tries the same examples every time.
"""

from __future__ import annotations

import re
import time
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors import ExtractedDocument, ExtractionError, Hints, extract
from extractors.limits import ExtractionLimits
from hostile.generate import EXTENSIONS, MUTATION_KINDS, apply_mutations, fixture_files, fuzz_examples

FORMATS = tuple(EXTENSIONS)
# Per-example in-process bound, well under the profile's deadline.
LIMITS = ExtractionLimits(time_limit_s=5.0)
TEXT_FACTOR = 2
TEXT_SLACK = 1024

# Fixture files are read once; only small ones, so each example stays quick.
SAMPLES = {fmt: [p.read_bytes() for p in fixture_files(fmt, max_bytes=60_000)] for fmt in FORMATS}

# Known failures routed to other owners, deselected here by their exact input. Empty when all hold.
KNOWN: dict[bytes, str] = {}


def mutations() -> st.SearchStrategy:
    return st.lists(
        st.tuples(st.sampled_from(MUTATION_KINDS), st.floats(0, 1, allow_nan=False), st.integers(1, 400)),
        min_size=1, max_size=5,
    )


def inputs(fmt: str) -> st.SearchStrategy[bytes]:
    """Mutated real files of ``fmt`` (mostly) and random bytes."""
    mutated = st.builds(apply_mutations, st.sampled_from(SAMPLES[fmt]), mutations())
    return st.one_of(mutated, mutated, mutated, st.binary(max_size=4096))


_STREAM_RE = re.compile(rb"stream\r?\n(.*?)endstream", re.S)


def effective_size(data: bytes, record: ExtractedDocument) -> int:
    """The size the text bound is measured against: decompressed bytes, and inflated PDF streams."""
    size = max(len(data), int(record.metadata.extra.get("decompressed_bytes", 0)))
    if record.extractor == "pdf":
        for m in _STREAM_RE.finditer(data):
            size += _inflated_size(m.group(1))
    return size


def _inflated_size(stream: bytes, cap: int = 64 * 1024 * 1024) -> int:
    """Bytes a Flate stream inflates to, counting what comes out before any corruption (as pypdf does)."""
    inflater = zlib.decompressobj()
    total = 0
    for start in range(0, len(stream), 256):
        try:
            total += len(inflater.decompress(stream[start : start + 256], cap - total))
        except zlib.error:
            break
        if inflater.eof or total >= cap:
            break
    return total


def check(data: bytes, fmt: str) -> None:
    """Property 1 and 3 for one example."""
    if data in KNOWN:
        pytest.skip(KNOWN[data])
    try:
        record = extract(data, Hints(filename=f"fuzz.{EXTENSIONS[fmt]}", limits=LIMITS))
    except ExtractionError:
        return
    produced = len(record.text) + sum(len(note.text) for note in record.footnotes)
    bound = TEXT_FACTOR * effective_size(data, record) + TEXT_SLACK
    assert produced <= bound, (fmt, len(data), produced, bound)
    assert "\x00" not in record.text


@pytest.mark.parametrize("fmt,count", [("text", 150), ("markdown", 150), ("wikitext", 150), ("html", 120), ("pdf", 120)])
def test_extract_raises_only_extraction_errors(fmt, count):
    @settings(max_examples=fuzz_examples(count))
    @given(data=inputs(fmt))
    def run(data: bytes) -> None:
        check(data, fmt)

    run()


@given(data=st.binary(min_size=1, max_size=2048))
@settings(max_examples=fuzz_examples(60))
def test_random_bytes_without_hints(data):
    try:
        record = extract(data, Hints(limits=LIMITS))
    except ExtractionError:
        return
    assert len(record.text) <= TEXT_FACTOR * len(data) + TEXT_SLACK


POOL_BOX_S = 5.0
# Killing a worker and answering: the pool checks its deadlines every 0.5 s.
POOL_MARGIN_S = 10.0


@given(fmt=st.sampled_from(FORMATS), data=st.data())
@settings(max_examples=fuzz_examples(30), deadline=None)
def test_pool_time_box_holds(extraction_pool, fmt, data):
    """Through a real worker pool (5 s box), every example comes back within the box and a margin."""
    example = data.draw(inputs(fmt))
    started = time.monotonic()
    try:
        extraction_pool.extract(example, Hints(filename=f"fuzz.{EXTENSIONS[fmt]}"))
    except ExtractionError:
        pass
    assert time.monotonic() - started <= POOL_BOX_S + POOL_MARGIN_S


def test_pool_stops_a_hanging_pdf():
    """The hanging fixture (seconds of work; 60 s in-process limit by default) is stopped at a 1 s box."""
    from extractors import ResourceLimitExceeded
    from flows.extraction_pool import ExtractionPool
    from hostile.generate import FIXTURES

    with ExtractionPool(workers=1, timeout_s=1.0) as pool:
        started = time.monotonic()
        with pytest.raises(ResourceLimitExceeded, match="longer than 1 s"):
            pool.extract((FIXTURES / "pdf" / "hang.pdf").read_bytes(), Hints(filename="hang.pdf"))
        assert time.monotonic() - started <= 1.0 + POOL_MARGIN_S

"""Hypothesis settings for the hostile suite: reproducible on CI, bounded in time.

``derandomize=True`` makes every run try the same examples (no example database,
so nothing carries over between runs); ``ARCHIVIST_FUZZ_EXAMPLES`` scales every
test's ``max_examples`` (:func:`hostile.generate.fuzz_examples`) for a longer local run.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "archivist-hostile",
    derandomize=True,
    database=None,
    deadline=timedelta(seconds=20),
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
settings.load_profile("archivist-hostile")


@pytest.fixture(scope="module")
def extraction_pool():
    """One real worker pool (one worker, a 5 s time box) for a test module."""
    from flows.extraction_pool import ExtractionPool

    with ExtractionPool(workers=1, timeout_s=5.0) as pool:
        yield pool

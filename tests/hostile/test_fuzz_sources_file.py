"""Fuzzing the sources-file parser: any bytes, any TOML, only ``FlowError``s.

``flows.sources.file.load`` must turn every file into a :class:`SourcesFile` or raise
:class:`SourcesFileError` / another :class:`FlowError` with a message: never a
``KeyError``, ``TypeError``, ``AttributeError`` or a traceback from a library.
Examples: random bytes, random TOML documents, and TOML shaped like a sources file
(``[source.NAME]`` tables with the real keys and values of every type).
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from flows.errors import FlowError
from flows.sources.file import CLUSTER_KEYS, FIXITY_KEYS, SOURCE_KEYS, SourcesFile, load
from hostile.generate import fuzz_examples

FOLDER = Path(tempfile.mkdtemp(prefix="archivist-fuzz-sources-"))
(FOLDER / "inbox").mkdir()
(FOLDER / "urls.txt").write_text("https://example.org/a\n# comment\n")
(FOLDER / "bad_urls.txt").write_bytes(b"\xff\xfe not utf-8\njavascript:alert(1)\n")


def toml_key(key: str) -> str:
    return json.dumps(key, ensure_ascii=False)  # a TOML basic string is a JSON string


def toml_value(value) -> str:
    """``value`` as a TOML inline value (tables inline, so any nesting is one line)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if value == value and value not in (float("inf"), float("-inf")) else "nan"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def toml_document(tables: dict) -> str:
    """A TOML document: each top-level key a table (dotted names for ``source.NAME``)."""
    lines = []
    for name, table in tables.items():
        if isinstance(table, dict):
            lines.append(f"[{name}]")
            lines.extend(f"{toml_key(k)} = {toml_value(v)}" for k, v in table.items())
        else:
            lines.insert(0, f"{toml_key(name)} = {toml_value(table)}")
    return "\n".join(lines) + "\n"


texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
scalars = st.one_of(
    st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False, allow_infinity=False), texts,
    st.datetimes(timezones=st.just(dt.timezone.utc)), st.dates(),
    st.sampled_from([".", "inbox", "urls.txt", "bad_urls.txt", "/proc/self/environ", "../..", "", "\x00",
                     "https://example.org/x", "http://user:pw@127.0.0.1/", "javascript:alert(1)", "* * * * *",
                     "0 2 * * *", "@daily", "61 25 32 13 8", "R * * * *", "Europe/Berlin", "Not/AZone"]),
)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(texts, inner, max_size=4)), max_leaves=12)
names = st.one_of(st.sampled_from(["corpus", "a.b", "-bad", "x" * 120, "ünï", ""]), texts)


@st.composite
def sources_documents(draw) -> str:
    tables: dict = {}
    for _ in range(draw(st.integers(0, 4))):
        keys = draw(st.lists(st.sampled_from(sorted(SOURCE_KEYS | {"unknown", "path"})), max_size=6, unique=True))
        tables[f"source.{toml_key(draw(names))}"] = {k: draw(values) for k in keys}
    if draw(st.booleans()):
        tables["cluster"] = {k: draw(values) for k in sorted(CLUSTER_KEYS) + ["extra"] if draw(st.booleans())}
    if draw(st.booleans()):
        tables["fixity"] = {k: draw(values) for k in sorted(FIXITY_KEYS) if draw(st.booleans())}
    if draw(st.booleans()):
        tables[toml_key(draw(names))] = draw(values)
    return toml_document(tables)


def load_bytes(data: bytes) -> SourcesFile | None:
    path = Path(tempfile.mkstemp(suffix=".toml", dir=FOLDER)[1])
    try:
        path.write_bytes(data)
        return load(path)
    except FlowError as exc:
        assert str(exc)
        return None
    finally:
        path.unlink()


@given(st.binary(max_size=2048))
@settings(max_examples=fuzz_examples(100))
def test_random_bytes(data):
    load_bytes(data)


@given(st.dictionaries(texts, values, max_size=5))
@settings(max_examples=fuzz_examples(100))
def test_random_toml(document):
    load_bytes(toml_document({toml_key(k): v for k, v in document.items()}).encode())


@given(sources_documents())
@settings(max_examples=fuzz_examples(300))
def test_sources_shaped_toml(document):
    result = load_bytes(document.encode("utf-8", "surrogatepass"))
    if result is not None:
        for source in result.sources.values():
            assert source.name


@given(sources_documents(), st.integers(0, 2000), st.binary(min_size=1, max_size=8))
@settings(max_examples=fuzz_examples(100))
def test_mutated_sources_toml(document, position, junk):
    data = document.encode("utf-8", "surrogatepass")
    position = min(position, len(data))
    load_bytes(data[:position] + junk + data[position:])

"""Every limit and environment knob of archivist's flows, read from the environment once.

:func:`load_settings` reads the environment (nothing is read at import time);
:func:`settings` is the process's copy, read at its first use and cached. The
command line reads its settings once per invocation (``load_settings()``) and
hands them down, so a test that changes the environment between two
invocations sees the change.

============================== ======================= =====================================================
Environment variable           Default                 What it bounds or names
============================== ======================= =====================================================
``ARCHIVIST_HOME``             ``./archive``           archive directory (storage resolves the default)
``ARCHIVIST_DB_URL``           SQLite in the home      database URL
``ARCHIVIST_SOURCES``          ``./sources.toml``      the sources file when none is given
``ARCHIVIST_DASK_ADDRESS``     none                    Dask scheduler for extraction (over ``[cluster]``)
``ARCHIVIST_COLLECTOR``        the login name          who collects (the custody of every ingest; ``--collector``)
``ARCHIVIST_FETCH_MAX_BYTES``  209715200 (200 MiB)     one fetched input: a file, an HTTP body (also decoded)
``ARCHIVIST_FETCH_MAX_SECONDS`` 1800                   one whole HTTP fetch, however slowly bytes arrive
``ARCHIVIST_FETCH_MAX_REDIRECTS`` 10                   redirects followed for one URL
``ARCHIVIST_FETCH_FIRST_BYTE_SECONDS`` 60              request sent → response headers complete, per hop
``ARCHIVIST_FETCH_RETRIES``    3                       more tries after a retryable fetch failure
``ARCHIVIST_FETCH_RETRY_AFTER_MAX_S`` 120              the longest wait a ``Retry-After`` gets
``ARCHIVIST_REREAD_FILES``     off                     ``1``: read every file again, also one whose status says
                                                       it is unchanged since it was archived
``ARCHIVIST_ALLOW_PRIVATE``    off                     ``1``: fetch loopback/private/link-local hosts too
``ARCHIVIST_HTTP_TIMEOUT_S``   30                      each HTTP read/write/pool operation
``ARCHIVIST_HTTP_CONNECT_TIMEOUT_S`` 10                opening an HTTP connection
``ARCHIVIST_EXTRACT_WORKERS``  all cores               extraction worker processes
``ARCHIVIST_EXTRACT_TIMEOUT_S`` 120                    hard time box of one extraction (the worker is killed)
``ARCHIVIST_EXTRACT_MEMORY_MB`` 4096                   address space of one extraction worker (0: no limit)
``ARCHIVIST_EXTRACT_MAX_INPUT_BYTES`` 536870912        any extractor input (:class:`ExtractionLimits`)
``ARCHIVIST_EXTRACT_MAX_HTML_BYTES`` 33554432          a web page before decoding
``ARCHIVIST_EXTRACT_MAX_MARKUP_CHARS`` 4194304         a web page after decoding
``ARCHIVIST_EXTRACT_TIME_LIMIT_S`` 60                  the in-process deadline a format checks between pages
``ARCHIVIST_CONTAINER_MAX_MEMBERS`` 10000             parts one container or e-mail hands on (the rest: warnings)
``ARCHIVIST_CONTAINER_MAX_TOTAL_BYTES`` 268435456      bytes of all the parts of one container together
``ARCHIVIST_CONTAINER_MAX_RATIO`` 200                  how much a ZIP member over 1 MiB may inflate (a bomb)
``ARCHIVIST_CONTAINER_MAX_DEPTH`` 5                    parts of parts ingested (deeper: kept as failed records)
``ARCHIVIST_TSA_URLS``         none                    RFC 3161 time-stamp authorities ``archivist timestamp`` asks
                                                       (whitespace- or comma-separated URLs)
``ARCHIVIST_TSA_CA``           none                    PEM file(s) of the TSA CA certificates ``verify`` trusts
                                                       (several: separated by ``os.pathsep``)
``ARCHIVIST_TSA_TIMEOUT_S``    30                      one time-stamp request
``ARCHIVIST_TIMESTAMP_RUNS``   off                     ``1``: time-stamp the chain head at the end of every run
============================== ======================= =====================================================

Not read from the environment: :data:`DEFAULT_FIXITY_CRON` (``0 3 * * *``, daily at
03:00 UTC), the fixity check's schedule when the sources file's ``[fixity] cron``
and ``python -m flows.prefect.fixity --cron`` say nothing.

Prefect's own settings get archivist's defaults from :func:`apply_prefect_defaults`
(telemetry off, a patient start-up of the temporary server), unless they are set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from extractors.limits import ExtractionLimits

from flows.errors import FlowError

ENV_HOME = "ARCHIVIST_HOME"
ENV_DB_URL = "ARCHIVIST_DB_URL"
ENV_SOURCES = "ARCHIVIST_SOURCES"
ENV_DASK_ADDRESS = "ARCHIVIST_DASK_ADDRESS"
ENV_COLLECTOR = "ARCHIVIST_COLLECTOR"

DEFAULT_FETCH_MAX_BYTES = 200 * 1024 * 1024
DEFAULT_FETCH_MAX_SECONDS = 30 * 60.0
DEFAULT_FETCH_MAX_REDIRECTS = 10
DEFAULT_FETCH_FIRST_BYTE_SECONDS = 60.0
DEFAULT_FETCH_RETRIES = 3
DEFAULT_FETCH_RETRY_AFTER_MAX_S = 120.0
DEFAULT_HTTP_TIMEOUT_S = 30.0
DEFAULT_HTTP_CONNECT_TIMEOUT_S = 10.0
DEFAULT_EXTRACT_TIMEOUT_S = 120.0
DEFAULT_EXTRACT_MEMORY_MB = 4096
DEFAULT_CONTAINER_MAX_DEPTH = 5
DEFAULT_FIXITY_CRON = "0 3 * * *"
DEFAULT_TSA_TIMEOUT_S = 30.0
DEFAULT_PREFECT_STARTUP_TIMEOUT_S = 120


class SettingsError(FlowError, ValueError):
    """An environment variable holds a value archivist cannot use."""


@dataclass(frozen=True)
class FetchLimits:
    """Bounds on obtaining one input (a local file or one HTTP fetch with its redirects)."""

    max_bytes: int = DEFAULT_FETCH_MAX_BYTES
    max_seconds: float = DEFAULT_FETCH_MAX_SECONDS
    max_redirects: int = DEFAULT_FETCH_MAX_REDIRECTS
    timeout_s: float = DEFAULT_HTTP_TIMEOUT_S
    connect_timeout_s: float = DEFAULT_HTTP_CONNECT_TIMEOUT_S
    first_byte_s: float = DEFAULT_FETCH_FIRST_BYTE_SECONDS
    retries: int = DEFAULT_FETCH_RETRIES
    retry_after_max_s: float = DEFAULT_FETCH_RETRY_AFTER_MAX_S
    allow_private: bool = False  # the fetch policy (flows.fetching.policy) lets private addresses through
    reread_files: bool = False  # read every file, also one whose status is the one recorded when it was archived


@dataclass(frozen=True)
class Settings:
    """Every knob of the flows package (see the module docstring for the variables and defaults)."""

    home: str | None = None
    db_url: str | None = None
    sources_file: str | None = None
    dask_address: str | None = None
    fetch: FetchLimits = field(default_factory=FetchLimits)
    extract_workers: int | None = None
    extract_timeout_s: float = DEFAULT_EXTRACT_TIMEOUT_S
    extract_memory_mb: int = DEFAULT_EXTRACT_MEMORY_MB
    extraction: ExtractionLimits = field(default_factory=ExtractionLimits)
    container_max_depth: int = DEFAULT_CONTAINER_MAX_DEPTH
    collector: str | None = None  # the configured identity of whoever collects (flows.custody)
    tsa_urls: tuple[str, ...] = ()
    tsa_ca: tuple[str, ...] = ()
    tsa_timeout_s: float = DEFAULT_TSA_TIMEOUT_S
    timestamp_runs: bool = False


def _text(env: Mapping[str, str], name: str) -> str | None:
    return (env.get(name) or "").strip() or None


def _number(env: Mapping[str, str], name: str, default: float, kind: type[int] | type[float]) -> float:
    raw = _text(env, name)
    if raw is None:
        return default
    try:
        value = kind(raw.replace("_", ""))
    except ValueError:
        raise SettingsError(f"${name} must be a {'whole ' if kind is int else ''}number, not {raw!r}") from None
    if value < 0:
        raise SettingsError(f"${name} must not be negative ({raw!r})")
    return value


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = (_text(env, name) or "0").lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"${name} must be 1 or 0, not {raw!r}")


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read every knob from ``environ`` (default: ``os.environ``, now); raises :class:`SettingsError`."""
    env = os.environ if environ is None else environ
    limits = ExtractionLimits()
    workers = _number(env, "ARCHIVIST_EXTRACT_WORKERS", 0, int)
    return Settings(
        home=_text(env, ENV_HOME),
        db_url=_text(env, ENV_DB_URL),
        sources_file=_text(env, ENV_SOURCES),
        dask_address=_text(env, ENV_DASK_ADDRESS),
        fetch=FetchLimits(
            max_bytes=int(_number(env, "ARCHIVIST_FETCH_MAX_BYTES", DEFAULT_FETCH_MAX_BYTES, int)),
            max_seconds=_number(env, "ARCHIVIST_FETCH_MAX_SECONDS", DEFAULT_FETCH_MAX_SECONDS, float),
            max_redirects=int(_number(env, "ARCHIVIST_FETCH_MAX_REDIRECTS", DEFAULT_FETCH_MAX_REDIRECTS, int)),
            timeout_s=_number(env, "ARCHIVIST_HTTP_TIMEOUT_S", DEFAULT_HTTP_TIMEOUT_S, float),
            connect_timeout_s=_number(env, "ARCHIVIST_HTTP_CONNECT_TIMEOUT_S", DEFAULT_HTTP_CONNECT_TIMEOUT_S,
                                      float),
            first_byte_s=_number(env, "ARCHIVIST_FETCH_FIRST_BYTE_SECONDS", DEFAULT_FETCH_FIRST_BYTE_SECONDS, float),
            retries=int(_number(env, "ARCHIVIST_FETCH_RETRIES", DEFAULT_FETCH_RETRIES, int)),
            retry_after_max_s=_number(env, "ARCHIVIST_FETCH_RETRY_AFTER_MAX_S", DEFAULT_FETCH_RETRY_AFTER_MAX_S,
                                      float),
            allow_private=_flag(env, "ARCHIVIST_ALLOW_PRIVATE"),
            reread_files=_flag(env, "ARCHIVIST_REREAD_FILES"),
        ),
        extract_workers=int(workers) or None,
        extract_timeout_s=_number(env, "ARCHIVIST_EXTRACT_TIMEOUT_S", DEFAULT_EXTRACT_TIMEOUT_S, float),
        extract_memory_mb=int(_number(env, "ARCHIVIST_EXTRACT_MEMORY_MB", DEFAULT_EXTRACT_MEMORY_MB, int)),
        extraction=ExtractionLimits(
            max_input_bytes=int(_number(env, "ARCHIVIST_EXTRACT_MAX_INPUT_BYTES", limits.max_input_bytes, int)),
            max_html_bytes=int(_number(env, "ARCHIVIST_EXTRACT_MAX_HTML_BYTES", limits.max_html_bytes, int)),
            max_markup_chars=int(_number(env, "ARCHIVIST_EXTRACT_MAX_MARKUP_CHARS", limits.max_markup_chars, int)),
            time_limit_s=_number(env, "ARCHIVIST_EXTRACT_TIME_LIMIT_S", limits.time_limit_s, float),
            container_max_members=int(_number(env, "ARCHIVIST_CONTAINER_MAX_MEMBERS", limits.container_max_members,
                                              int)),
            container_max_total_bytes=int(_number(env, "ARCHIVIST_CONTAINER_MAX_TOTAL_BYTES",
                                                  limits.container_max_total_bytes, int)),
            container_max_ratio=_number(env, "ARCHIVIST_CONTAINER_MAX_RATIO", limits.container_max_ratio, float),
        ),
        container_max_depth=int(_number(env, "ARCHIVIST_CONTAINER_MAX_DEPTH", DEFAULT_CONTAINER_MAX_DEPTH, int)),
        collector=_text(env, ENV_COLLECTOR),
        tsa_urls=tuple((_text(env, "ARCHIVIST_TSA_URLS") or "").replace(",", " ").split()),
        tsa_ca=tuple(p for p in (_text(env, "ARCHIVIST_TSA_CA") or "").split(os.pathsep) if p.strip()),
        tsa_timeout_s=_number(env, "ARCHIVIST_TSA_TIMEOUT_S", DEFAULT_TSA_TIMEOUT_S, float),
        timestamp_runs=_flag(env, "ARCHIVIST_TIMESTAMP_RUNS"),
    )


@lru_cache(maxsize=1)
def settings() -> Settings:
    """This process's settings: the environment as it was at the first call."""
    return load_settings()


def apply_prefect_defaults(logging_level: str | None = None) -> None:
    """Archivist's defaults for Prefect's own settings; call before Prefect is imported.

    Evidence work should not phone home: Prefect's anonymous telemetry stays
    off unless asked for. The temporary Prefect server gets longer than its
    20 s default to start on a busy machine. ``logging_level`` (when given)
    becomes ``PREFECT_LOGGING_LEVEL``. A variable already set is left alone.
    """
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(DEFAULT_PREFECT_STARTUP_TIMEOUT_S))
    if logging_level:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", logging_level)

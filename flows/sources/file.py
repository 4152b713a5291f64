"""The sources file: named sources (paths, URLs, URL lists) with schedules and limits.

A TOML file (``corpus/sources.example.toml`` is the documented example)::

    [cluster]                      # optional
    dask_address = "tcp://10.0.0.5:8786"

    [fixity]                       # optional: the fixity check `archivist serve` runs
    cron = "0 3 * * *"

    [source.corpus]
    paths = ["."]                  # files and folders, relative to this file's folder
    cron = "0 2 * * *"             # or interval_seconds = 3600; neither = manual only
    max_documents = 500

    [source.amnesty]
    urls = ["https://example.org/report.html"]
    url_list = "urls.txt"          # one URL a line, '#' comments
    max_bytes = 50_000_000
    auth = { env = "AMNESTY_AUTH" }            # user:password (HTTP Basic) read from $AMNESTY_AUTH
    headers = { "X-Api-Key" = { env = "AMNESTY_KEY" } }  # header values read from the environment
    allow_private = false          # true: may fetch loopback/private addresses (an intranet source)
    follow_links = false           # true: folder walks follow symbolic links
    collector = "J. Doe, Example NGO"  # who collects this source (custody; --collector overrides it)
    purpose = "case 2026-14: 1988 prison massacres"  # why (custody of every item of this source)

Secrets never stand in the sources file itself: ``auth`` and ``headers`` name
environment variables, read when the source is fetched, sent to the URL's own
host only, and never stored (WARC request records show them ``[redacted]``).
The whole file is validated when it is loaded, before anything runs: unknown
keys, wrong types, a bad cron expression, a path that is not there, a URL
that is not http(s). Every problem is reported at once, each with the file
and the source it is in (:class:`SourcesFileError`).

This module imports neither Prefect nor the storage layer. Its defaults (the
sources file's name, the Dask address, the fixity schedule) are read through
:mod:`flows.settings`.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from flows.errors import SourceError
from flows.fetching.policy import Credentials, has_userinfo, strip_userinfo
from flows.settings import DEFAULT_FIXITY_CRON, ENV_SOURCES, load_settings
from flows.sources.model import SourceItem, expand, is_url

DEFAULT_FILE = "sources.toml"

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
TOP_KEYS = {"source", "cluster", "fixity"}
SOURCE_KEYS = {"paths", "urls", "url_list", "cron", "interval_seconds", "timezone", "max_bytes", "max_documents",
               "description", "enabled", "allow_private", "follow_links", "auth", "headers", "collector", "purpose"}
CLUSTER_KEYS = {"dask_address"}
FIXITY_KEYS = {"cron", "enabled"}
CRON_NICKNAMES = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
                  "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}


class SourcesFileError(SourceError):
    """A sources file that cannot be used; ``problems`` lists every problem found."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = str(path)
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{self.path}: {len(self.problems)} problem(s):\n{lines}")


class LimitExceeded(SourceError):
    """A source's run would break one of its limits (nothing was fetched)."""


@dataclass(frozen=True)
class Source:
    """One named source of a sources file."""

    name: str
    paths: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    url_list: str | None = None
    cron: str | None = None
    interval_seconds: float | None = None
    timezone: str | None = None
    max_bytes: int | None = None
    max_documents: int | None = None
    description: str | None = None
    enabled: bool = True
    allow_private: bool = False
    follow_links: bool = False
    credentials: Credentials | None = None
    collector: str | None = None  # custody: who collects this source
    purpose: str | None = None  # custody: why it is collected

    @property
    def scheduled(self) -> bool:
        return self.enabled and (self.cron is not None or self.interval_seconds is not None)

    @property
    def schedule_text(self) -> str:
        if self.cron:
            return f"cron {self.cron}" + (f" ({self.timezone})" if self.timezone else "")
        if self.interval_seconds:
            return f"every {self.interval_seconds:g} s"
        return "manual"

    def locations(self) -> list[str]:
        """Paths, URLs and the URLs of the URL list (read now), in that order."""
        out = list(self.paths) + list(self.urls)
        if self.url_list:
            out += read_url_list(Path(self.url_list))
        return out


@dataclass
class SourcesFile:
    """A validated sources file."""

    path: Path
    sources: dict[str, Source] = field(default_factory=dict)
    dask_address: str | None = None
    fixity_cron: str | None = DEFAULT_FIXITY_CRON

    def get(self, name: str) -> Source:
        try:
            return self.sources[name]
        except KeyError:
            known = ", ".join(sorted(self.sources)) or "none"
            raise SourceError(f"{self.path}: no source named {name!r} (sources: {known})") from None

    def cluster_address(self) -> str | None:
        """The Dask scheduler: ``$ARCHIVIST_DASK_ADDRESS`` (read now), else ``[cluster] dask_address``."""
        return load_settings().dask_address or self.dask_address


def default_path(given: str | os.PathLike[str] | None = None) -> Path:
    """``given``, else ``$ARCHIVIST_SOURCES`` (read now), else ``./sources.toml``."""
    return Path(given or load_settings().sources_file or DEFAULT_FILE)


def read_url_list(path: Path) -> list[str]:
    """URLs of a URL-list file: one a line; blank lines and ``#`` comments ignored."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: cannot read URL list: {exc}") from exc
    urls = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        line = re.split(r"\s#", line, maxsplit=1)[0].strip()  # a trailing comment; a URL's own '#' stays
        if not is_url(line):
            raise SourceError(f"{path}:{number}: not an http(s) URL: {line!r}")
        urls.append(line)
    return urls


def check_cron(expr: str) -> str | None:
    """``None`` when ``expr`` is a valid five-field cron expression, else why not."""
    from cronsim import CronSim, CronSimError  # what Prefect's scheduler stack (pydocket) already installs

    text = CRON_NICKNAMES.get(expr.strip().lower(), expr)
    if len(text.split()) != 5:
        return f"cron {expr!r}: needs five fields (minute hour day-of-month month day-of-week)"
    if any(part.upper() in ("R", "H") for part in text.split()):
        return f"cron {expr!r}: random and hashed fields are not supported"
    try:
        next(CronSim(text, datetime(2000, 1, 1)))
    except (CronSimError, StopIteration) as exc:
        return f"cron {expr!r}: {exc or 'never fires'}"
    return None


def load(path: str | os.PathLike[str] | None = None) -> SourcesFile:
    """Read and validate a sources file (default ``$ARCHIVIST_SOURCES`` or ``./sources.toml``)."""
    file = default_path(path)
    if not file.is_file():
        hint = "" if path else f" (give --sources FILE or set ${ENV_SOURCES})"
        raise SourceError(f"{file}: no such sources file{hint}")
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SourcesFileError(file, [f"not valid TOML: {exc}"]) from exc
    return parse(data, file)


def parse(data: dict[str, Any], file: Path) -> SourcesFile:
    """Validate parsed TOML; relative paths are taken from ``file``'s folder."""
    problems: list[str] = []
    base = file.resolve().parent
    result = SourcesFile(path=file.resolve())
    for key in sorted(set(data) - TOP_KEYS):
        problems.append(f"unknown key {key!r} (allowed: {', '.join(sorted(TOP_KEYS))})")

    cluster = data.get("cluster", {})
    if not isinstance(cluster, dict):
        problems.append("[cluster] must be a table")
    else:
        _unknown(problems, "[cluster]", cluster, CLUSTER_KEYS)
        address = cluster.get("dask_address")
        if address is not None:
            if not isinstance(address, str) or not address.strip():
                problems.append("[cluster] dask_address must be a non-empty string, e.g. 'tcp://host:8786'")
            else:
                result.dask_address = address.strip()

    fixity = data.get("fixity", {})
    if not isinstance(fixity, dict):
        problems.append("[fixity] must be a table")
    else:
        _unknown(problems, "[fixity]", fixity, FIXITY_KEYS)
        enabled = fixity.get("enabled", True)
        if not isinstance(enabled, bool):
            problems.append("[fixity] enabled must be true or false")
        cron = fixity.get("cron", DEFAULT_FIXITY_CRON)
        if not isinstance(cron, str):
            problems.append("[fixity] cron must be a string")
        elif (why := check_cron(cron)) is not None:
            problems.append(f"[fixity] {why}")
        result.fixity_cron = cron if enabled is not False else None

    sources = data.get("source", {})
    if not isinstance(sources, dict):
        problems.append("'source' must be tables: [source.NAME]")
        sources = {}
    if not sources:
        problems.append("no sources: add at least one [source.NAME] table")
    for name, spec in sources.items():
        where = f"[source.{name}]"
        if not NAME_RE.match(name):
            problems.append(f"{where}: name must be letters, digits, '.', '_' or '-' (at most 100)")
        if not isinstance(spec, dict):
            problems.append(f"{where}: must be a table")
            continue
        source = _parse_source(name, spec, base, where, problems)
        if source is not None:
            result.sources[name] = source
    if problems:
        raise SourcesFileError(file, problems)
    return result


def _unknown(problems: list[str], where: str, table: dict[str, Any], allowed: set[str]) -> None:
    for key in sorted(set(table) - allowed):
        problems.append(f"{where}: unknown key {key!r} (allowed: {', '.join(sorted(allowed))})")


def _strings(problems: list[str], where: str, key: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(f"{where}: {key} must be a list of non-empty strings")
        return []
    return [v.strip() for v in value]


def _positive(problems: list[str], where: str, key: str, value: Any, integer: bool) -> Any:
    if value is None:
        return None
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value <= 0:
        problems.append(f"{where}: {key} must be a positive {'integer' if integer else 'number'}, not {value!r}")
        return None
    return value


def _parse_source(name: str, spec: dict[str, Any], base: Path, where: str, problems: list[str]) -> Source | None:
    before = len(problems)
    _unknown(problems, where, spec, SOURCE_KEYS)
    paths = []
    for raw in _strings(problems, where, "paths", spec.get("paths")):
        if is_url(raw):
            problems.append(f"{where}: paths entry {raw!r} is a URL: put it under urls")
            continue
        path = Path(raw).expanduser()
        path = path if path.is_absolute() else base / path
        if not path.exists():
            problems.append(f"{where}: path {raw!r} is not there ({path})")
        elif not os.access(path, os.R_OK):
            problems.append(f"{where}: path {raw!r} is not readable ({path})")
        paths.append(str(path))
    urls = []
    for raw in _strings(problems, where, "urls", spec.get("urls")):
        if not is_url(raw):
            problems.append(f"{where}: urls entry {strip_userinfo(raw)!r} is not an http(s) URL")
        elif has_userinfo(raw):
            problems.append(f"{where}: urls entry {strip_userinfo(raw)!r} has a user name or password in it: "
                            "remove it and give auth = { env = \"VARIABLE\" } (credentials are never stored)")
        urls.append(raw)
    url_list = spec.get("url_list")
    if url_list is not None:
        if not isinstance(url_list, str) or not url_list.strip():
            problems.append(f"{where}: url_list must be a path to a file of URLs")
            url_list = None
        else:
            list_path = Path(url_list).expanduser()
            list_path = list_path if list_path.is_absolute() else base / list_path
            if not list_path.is_file():
                problems.append(f"{where}: url_list {url_list!r} is not there ({list_path})")
            else:
                try:
                    read_url_list(list_path)
                except SourceError as exc:
                    problems.append(f"{where}: url_list: {exc}")
            url_list = str(list_path)
    if not (paths or urls or url_list) and len(problems) == before:
        problems.append(f"{where}: give at least one of paths, urls, url_list")
    cron = spec.get("cron")
    if cron is not None:
        if not isinstance(cron, str):
            problems.append(f"{where}: cron must be a string such as '0 2 * * *'")
            cron = None
        elif (why := check_cron(cron)) is not None:
            problems.append(f"{where}: {why}")
        else:
            cron = CRON_NICKNAMES.get(cron.strip().lower(), cron.strip())
    interval = _positive(problems, where, "interval_seconds", spec.get("interval_seconds"), integer=False)
    if cron is not None and interval is not None:
        problems.append(f"{where}: give cron or interval_seconds, not both")
    timezone = spec.get("timezone")
    if timezone is not None:
        if not isinstance(timezone, str) or cron is None:
            problems.append(f"{where}: timezone is a string (e.g. 'Europe/Berlin') and goes with cron")
        else:
            try:
                from zoneinfo import ZoneInfo

                ZoneInfo(timezone)
            except Exception:  # noqa: BLE001 - ZoneInfoNotFoundError, ValueError
                problems.append(f"{where}: unknown timezone {timezone!r}")
    max_bytes = _positive(problems, where, "max_bytes", spec.get("max_bytes"), integer=True)
    max_documents = _positive(problems, where, "max_documents", spec.get("max_documents"), integer=True)
    description = spec.get("description")
    if description is not None and not isinstance(description, str):
        problems.append(f"{where}: description must be a string")
    flags = {}
    for key, default in (("enabled", True), ("allow_private", False), ("follow_links", False)):
        flags[key] = spec.get(key, default)
        if not isinstance(flags[key], bool):
            problems.append(f"{where}: {key} must be true or false")
    credentials, custody = _credentials(spec, where, problems), _custody(spec, where, problems)
    if len(problems) > before:
        return None
    return Source(name=name, paths=tuple(paths), urls=tuple(urls), url_list=url_list, cron=cron,
                  interval_seconds=interval, timezone=timezone, max_bytes=max_bytes, max_documents=max_documents,
                  description=description, credentials=credentials, **custody, **flags)


def _custody(spec: dict[str, Any], where: str, problems: list[str]) -> dict[str, str]:
    """``collector`` and ``purpose``: who collects the source and why (custody of every item of it)."""
    custody = {}
    for key in ("collector", "purpose"):
        value = spec.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            problems.append(f"{where}: {key} must be a non-empty string")
        elif value is not None:
            custody[key] = value.strip()
    return custody


def _env_name(value: Any) -> str | None:
    if isinstance(value, dict) and set(value) == {"env"} and isinstance(value["env"], str) \
            and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value["env"]):
        return value["env"]
    return None


def _credentials(spec: dict[str, Any], where: str, problems: list[str]) -> Credentials | None:
    """``auth = { env = "VAR" }`` and ``headers = { Name = { env = "VAR" } }``: variable names, never secrets."""
    auth, headers = spec.get("auth"), spec.get("headers")
    if auth is None and headers is None:
        return None
    auth_env = None
    if auth is not None:
        auth_env = _env_name(auth)
        if auth_env is None:
            problems.append(f"{where}: auth must be {{ env = \"VARIABLE\" }} (the variable holds user:password); "
                            "secrets are never written in the sources file")
    header_env = []
    if headers is not None:
        if not isinstance(headers, dict):
            problems.append(f"{where}: headers must be a table of Name = {{ env = \"VARIABLE\" }}")
        else:
            for header, value in sorted(headers.items()):
                var = _env_name(value)
                if var is None or not re.fullmatch(r"[A-Za-z0-9-]+", header):
                    problems.append(f"{where}: headers.{header} must be {{ env = \"VARIABLE\" }}")
                else:
                    header_env.append((header, var))
    return Credentials(auth_env, tuple(header_env))


def plan(source: Source, skipped: list[str] | None = None) -> tuple[list[str], list[SourceItem]]:
    """What one run of ``source`` would ingest, checked against its limits before anything is fetched.

    Returns the locations to hand to the ingest flow and their expansion.
    ``max_documents`` caps how many inputs one run may have; ``max_bytes``
    caps the size of each file (checked here) -- a run that would break a
    limit raises :class:`LimitExceeded` and nothing is fetched. What the
    expansion leaves out is appended to ``skipped``.
    """
    locations = source.locations()
    given = {"collector": source.collector, "collector_from": f"sources file [source.{source.name}]",
             "purpose": source.purpose} if source.collector else {"purpose": source.purpose}
    items = expand(locations, follow_links=source.follow_links, skipped=skipped, credentials=source.credentials,
                   custody={k: v for k, v in given.items() if v})
    if source.max_documents is not None and len(items) > source.max_documents:
        raise LimitExceeded(f"source {source.name!r}: {len(items)} documents, over its max_documents = "
                            f"{source.max_documents}; nothing was fetched")
    if source.max_bytes is not None:
        big = [(i.location, size) for i in items if i.kind == "file"
               and (size := Path(i.location).stat().st_size) > source.max_bytes]
        if big:
            listed = "; ".join(f"{loc} ({size} bytes)" for loc, size in big[:5])
            more = f" and {len(big) - 5} more" if len(big) > 5 else ""
            raise LimitExceeded(f"source {source.name!r}: {len(big)} file(s) over its max_bytes = "
                                f"{source.max_bytes}: {listed}{more}; nothing was fetched")
    return locations, items

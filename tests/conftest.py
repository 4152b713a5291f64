"""Shared fixtures. Prefect's environment is set before anything imports Prefect."""

from __future__ import annotations

import json
import os
import sys
import shutil
import tempfile
from pathlib import Path

_PREFECT_HOME = tempfile.mkdtemp(prefix="archivist-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.pop("PREFECT_API_URL", None)
os.environ.pop("ARCHIVIST_HOME", None)
os.environ.pop("ARCHIVIST_DB_URL", None)
# Tests fetch from pytest-httpserver on 127.0.0.1, which the fetch policy refuses by default;
# tests of the refusal itself unset this (monkeypatch.delenv) or pass allow_private=False.
os.environ["ARCHIVIST_ALLOW_PRIVATE"] = "1"

import pytest  # noqa: E402
from click.testing import CliRunner  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
SEEDS = sorted(CORPUS.glob("00[0-4]_*.txt"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect test server for the whole session, heartbeats off."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield
    shutil.rmtree(_PREFECT_HOME, ignore_errors=True)


class Cli:
    """Runs the real ``archivist`` command in-process against one archive home."""

    def __init__(self, home: Path, db_url: str | None = None):
        self.home = home
        self.db_url = db_url
        self.runner = CliRunner()

    def __call__(self, *args: str, expect: int | None = 0):
        from flows.cli.app import cli

        base = ["--home", str(self.home)] + (["--db", self.db_url] if self.db_url else [])
        result = self.runner.invoke(cli, base + list(args), catch_exceptions=False)
        if expect is not None:
            assert result.exit_code == expect, result.output
        return result

    def json(self, *args: str, expect: int | None = 0):
        result = self(*args, "--json", expect=expect)
        return json.loads(result.stdout)


@pytest.fixture
def cli(tmp_path) -> Cli:
    """The CLI on a fresh SQLite archive in a temp dir."""
    return Cli(tmp_path / "archive")


def seeded_archive(root: Path, seeds: list[Path]) -> Cli:
    """A new SQLite archive at ``root/archive`` holding ``seeds``, ingested from one folder (no Prefect).

    For a module-scoped base archive that each test then copies (:func:`copied_archive`).
    """
    folder = root / "docs"
    folder.mkdir()
    for seed in seeds:
        (folder / seed.name).write_bytes(seed.read_bytes())
    archive = Cli(root / "archive")
    archive("ingest", "--no-prefect", str(folder))
    return archive


def copied_archive(base_home: Path, tmp_path: Path) -> Cli:
    """The CLI on a copy of the archive at ``base_home``, in ``tmp_path``: one test's own archive."""
    home = tmp_path / "archive"
    shutil.copytree(base_home, home)
    return Cli(home)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A test CA and time-stamping authority certificates (``tests/tsa_server.py``)."""
    from tsa_server import make_pki

    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def tsa(pki):
    """An RFC 3161 time-stamp authority on loopback (``openssl ts -reply`` behind an HTTP server)."""
    from tsa_server import TsaServer

    with TsaServer(pki) as server:
        yield server


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server for the session (skipped only where no server binaries exist)."""
    from postgres_server import PostgresServer, find_bin

    if not find_bin("initdb"):
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL binaries missing on CI: .ci/run must install them")
        pytest.skip("PostgreSQL server binaries not installed")
    server = PostgresServer().start()
    yield server
    server.stop()


_db_counter = iter(range(1, 10_000))


@pytest.fixture
def pg_url(postgres) -> str:
    """A fresh, empty database on the session's PostgreSQL server."""
    return postgres.create_database(f"archivist_{next(_db_counter)}")


@pytest.fixture(params=["sqlite", "postgresql"])
def any_cli(request, tmp_path) -> Cli:
    """The CLI on a fresh archive, once with SQLite and once with PostgreSQL."""
    if request.param == "sqlite":
        return Cli(tmp_path / "archive")
    return Cli(tmp_path / "archive", request.getfixturevalue("pg_url"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI (``CI=true``) a skipped test is a failure: a missing package must never pass unseen."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI", "").lower() in ("1", "true", "yes") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which counts as a failure: {report.longrepr}"


_EXIT_STATUS: list[int] = []


def pytest_sessionfinish(session, exitstatus):
    _EXIT_STATUS.append(int(exitstatus))


def pytest_unconfigure(config):
    """Leave without the interpreter's final garbage collection once everything is reported.

    After a full run (never after any third of it) a C extension crashes in that last collection
    (SIGSEGV, "Garbage-collecting / no Python frame" under faulthandler), which would turn a green
    run into exit 139. The results are all reported by now; streams are flushed first.
    """
    if _EXIT_STATUS and os.environ.get("ARCHIVIST_TESTS_NORMAL_EXIT") != "1":
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS[-1])

"""Operations: the sources file, `archivist serve` (deployments on schedules), manual triggers, run reports."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import CORPUS, REPO, Cli
from flows.errors import SourceError
from flows.sources.file import LimitExceeded, SourcesFileError, check_cron, load, plan

STATEMENT = ("Families of the prisoners executed in the summer of 1988 gathered at the cemetery. They asked "
             "again where their relatives were buried and who had ordered the killings.\n")
NOTES = ("Notes from the meeting of survivors. The commission questioned prisoners for minutes before "
         "sending them to execution, according to three witnesses.\n")
PAGE = ("<!doctype html><html lang='en'><head><title>Statement on the 1988 prison massacres</title></head><body>"
        "<main><h1>Statement on the 1988 prison massacres</h1><p>Thousands of political prisoners were "
        "executed in secret in the summer of 1988. The authorities have never acknowledged the killings, and "
        "the families have been harassed for seeking truth and justice.</p><p>We call for an independent "
        "international investigation into these crimes against humanity and for the perpetrators to be "
        "brought to justice.</p></main></body></html>")


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- the sources file ------------------------------------------------------------


def test_a_valid_sources_file_is_read_with_paths_from_its_folder(tmp_path):
    _write(tmp_path / "docs" / "a.txt", STATEMENT)
    _write(tmp_path / "urls.txt", "# statements\nhttps://example.org/a.html\n\nhttp://example.org/b#part  # b\n")
    f = _write(tmp_path / "sources.toml", """
[cluster]
dask_address = "tcp://10.0.0.5:8786"

[fixity]
cron = "@daily"

[source.docs]
paths = ["docs"]
cron = "15 2 * * 1-5"
timezone = "Europe/Berlin"
max_documents = 10

[source.web]
urls = ["https://example.org/c.html"]
url_list = "urls.txt"
interval_seconds = 90
max_bytes = 1_000_000

[source.manual]
paths = ["docs/a.txt"]
""")
    sf = load(f)
    assert list(sf.sources) == ["docs", "web", "manual"]
    docs, web, manual = sf.sources.values()
    assert docs.paths == (str(tmp_path / "docs"),) and docs.cron == "15 2 * * 1-5" and docs.scheduled
    assert web.locations() == ["https://example.org/c.html", "https://example.org/a.html",
                               "http://example.org/b#part"]
    assert web.interval_seconds == 90 and web.max_bytes == 1_000_000 and web.scheduled
    assert not manual.scheduled and manual.schedule_text == "manual"
    assert sf.dask_address == "tcp://10.0.0.5:8786" and sf.fixity_cron == "@daily"
    os.environ["ARCHIVIST_DASK_ADDRESS"] = "tcp://127.0.0.1:9999"
    try:
        assert sf.cluster_address() == "tcp://127.0.0.1:9999"
    finally:
        del os.environ["ARCHIVIST_DASK_ADDRESS"]


def test_every_problem_of_a_sources_file_is_reported_before_anything_runs(tmp_path):
    f = _write(tmp_path / "sources.toml", """
colour = "blue"

[fixity]
cron = "every night"

[source.docs]
paths = ["missing-folder", "https://example.org/x"]
cron = "61 * * * *"
interval_seconds = 60
frequency = "daily"

[source.web]
urls = ["ftp://example.org/file", "https://example.org/ok"]
url_list = "no-such-list.txt"
max_documents = 0
max_bytes = "lots"

[source."bad name!"]
paths = ["."]

[source.empty]
""")
    with pytest.raises(SourcesFileError) as err:
        load(f)
    text = str(err.value)
    assert str(f) in text
    for expected in ["unknown key 'colour'", "[fixity] cron 'every night'", "[source.docs]: unknown key 'frequency'",
                     "[source.docs]: path 'missing-folder' is not there", "is a URL: put it under urls",
                     "cron '61 * * * *'", "give cron or interval_seconds, not both",
                     "'ftp://example.org/file' is not an http(s) URL", "url_list 'no-such-list.txt' is not there",
                     "max_documents must be a positive integer", "max_bytes must be a positive integer",
                     "[source.bad name!]: name must be", "[source.empty]: give at least one of paths, urls, url_list"]:
        assert expected in text, (expected, text)
    assert len(err.value.problems) == 13


@pytest.mark.parametrize("expr, ok", [("*/5 * * * *", True), ("0 3 * * *", True), ("@hourly", True),
                                      ("0 0 30 2 *", False), ("* * * *", False), ("*/5 * * * * *", False),
                                      ("H * * * *", False), ("0 25 * * *", False)])
def test_cron_expressions_are_checked(expr, ok):
    assert (check_cron(expr) is None) == ok


def test_bad_toml_and_missing_file_say_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SourceError, match="sources.toml: no such sources file"):
        load()
    _write(tmp_path / "sources.toml", "[source.a\npaths = 1")
    with pytest.raises(SourcesFileError, match="not valid TOML"):
        load()


def test_the_example_sources_file_is_valid():
    sf = load(CORPUS / "sources.example.toml")
    assert sf.sources["corpus"].scheduled and sf.sources["corpus"].paths == (str(CORPUS),)
    assert not sf.sources["amnesty-statement"].scheduled
    locations, items = plan(sf.sources["corpus"])
    assert len(items) == 8 and locations == [str(CORPUS)]


def test_limits_refuse_a_run_before_anything_is_fetched(tmp_path, cli):
    for i in range(3):
        _write(tmp_path / "docs" / f"{i}.txt", STATEMENT + str(i))
    f = _write(tmp_path / "sources.toml", """
[source.few]
paths = ["docs"]
max_documents = 2

[source.small]
paths = ["docs"]
max_bytes = 100
""")
    sf = load(f)
    with pytest.raises(LimitExceeded, match="3 documents, over its max_documents = 2"):
        plan(sf.get("few"))
    refused = cli("ingest", "--source", "small", "--sources", str(f), "--no-prefect", expect=1)
    assert "3 file(s) over its max_bytes = 100" in refused.output and "nothing was fetched" in refused.output
    assert cli.json("documents")["documents"] == []


# -- the command line ---------------------------------------------------------------


def test_ingest_a_named_source_without_prefect(tmp_path, cli, monkeypatch):
    _write(tmp_path / "docs" / "statement.txt", STATEMENT)
    _write(tmp_path / "docs" / "notes.txt", NOTES)
    f = _write(tmp_path / "conf" / "my-sources.toml", '[source.docs]\npaths = ["../docs"]\n')
    monkeypatch.setenv("ARCHIVIST_SOURCES", str(f))
    result = cli.json("ingest", "--source", "docs", "--no-prefect")
    assert result["counts"]["stored"] == 2
    run = cli.json("runs")["runs"][0]
    assert run["trigger"] == "cli:docs" and run["counts"]["stored"] == 2
    assert "no source named 'nope' (sources: docs)" in cli("ingest", "--source", "nope", expect=1).output
    assert "not both" in cli("ingest", "--source", "docs", str(f), expect=2).output
    assert "--source NAME" in cli("ingest", expect=2).output
    listed = cli.json("sources", str(f))
    assert [s["name"] for s in listed["sources"]] == ["docs"]
    assert "1 source(s), valid" in cli("sources").output


# -- serve, manual triggers, run reports (a real Prefect API server) --------------------


def _events(home: Path) -> list[tuple[str, int | None, dict]]:
    con = sqlite3.connect(home / "archive.sqlite3")
    try:
        rows = con.execute("SELECT kind, run_id, detail FROM events WHERE kind LIKE 'run-%' ORDER BY id").fetchall()
    finally:
        con.close()
    return [(k, r, json.loads(d)) for k, r, d in rows]


def _wait_for_run(cli: Cli, trigger: str, proc: subprocess.Popen, log: Path, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (cli.home / "archive.sqlite3").exists():
            for run in reversed(cli.json("runs")["runs"]):  # oldest first
                if run["trigger"] == trigger and run["status"] == "completed":
                    return run
        assert proc.poll() is None, log.read_text(errors="replace")
        time.sleep(0.5)
    raise AssertionError(f"no completed {trigger} run in {timeout} s:\n{log.read_text(errors='replace')}")


def _wait_for_runs(cli: Cli, trigger: str, n: int, proc: subprocess.Popen, log: Path,
                   timeout: float = 120) -> list[dict]:
    """The first ``n`` runs of ``trigger``, once every one of them has completed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = [r for r in reversed(cli.json("runs")["runs"]) if r["trigger"] == trigger][:n]
        if len(runs) == n and all(r["status"] == "completed" for r in runs):
            return runs
        assert proc.poll() is None, log.read_text(errors="replace")
        time.sleep(0.5)
    raise AssertionError(f"not {n} completed {trigger} runs in {timeout} s:\n{log.read_text(errors='replace')}")


@pytest.fixture
def two_sources(tmp_path, httpserver):
    """A folder source on a 3-second interval and a URL source (local HTTP server) for manual runs."""
    _write(tmp_path / "docs" / "statement.txt", STATEMENT)
    _write(tmp_path / "docs" / "notes.txt", NOTES)
    (tmp_path / "docs" / "scan.bin").write_bytes(bytes(range(256)) * 8)  # fails: no extractor for it
    httpserver.expect_request("/statement.html").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    httpserver.expect_request("/gone.html").respond_with_data("gone", status=404, content_type="text/plain")
    f = _write(tmp_path / "sources.toml", f"""
[source.folder]
paths = ["docs"]
interval_seconds = 3

[source.web]
urls = ["{httpserver.url_for('/statement.html')}", "{httpserver.url_for('/gone.html')}"]
""")
    return f


def test_serve_runs_the_scheduled_source_and_manual_triggers_run_the_other(two_sources, tmp_path, prefect_harness):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL

    cli = Cli(tmp_path / "archive")
    log = tmp_path / "serve.log"
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "PREFECT_RUNNER_POLL_FREQUENCY": "1",
           "PREFECT_LOGGING_LEVEL": "INFO", "PYTHONPATH": os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(REPO)]))}
    started = time.monotonic()
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", "from flows.cli.app import main; main()",
                                 "--home", str(cli.home), "serve", str(two_sources)],
                                cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        # the manual trigger of the other source, while serve runs
        manual = cli.json("ingest", "--source", "web", "--sources", str(two_sources))
        assert manual["counts"]["stored"] == 1 and manual["counts"]["failed"] == 1
        assert "404" in manual["failures"][0]["error"]

        # The temporary API server runs no scheduler service, so the test does its job: ask the server to
        # create the deployment's next runs from its schedule (what `prefect server start` does every few s).
        with get_client(sync_client=True) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    folder = client.read_deployment_by_name("ingest/folder")
                    break
                except Exception:  # noqa: BLE001 - ObjectNotFound until serve has registered it
                    assert proc.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")
                    time.sleep(0.5)
            try:
                client._client.post(f"/deployments/{folder.id}/schedule", json={"min_runs": 2, "max_runs": 2})
            except Exception as exc:  # noqa: BLE001
                import sqlalchemy

                raise AssertionError(
                    f"the Prefect server could not create scheduled runs ({exc}); Prefect 3.8.8's scheduler "
                    f"fails under SQLAlchemy 2.1 (installed: {sqlalchemy.__version__}): pin sqlalchemy<2.1") from exc
            planned = client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(
                any_=[folder.id])), sort=FlowRunSort.EXPECTED_START_TIME_ASC, limit=10)
            times = sorted(r.expected_start_time for r in planned)
            assert len(times) == 2 and (times[1] - times[0]).total_seconds() == 3, times
            assert all(r.auto_scheduled for r in planned)
        scheduled = _wait_for_run(cli, "deployment:folder", proc, log)
        first_scheduled_s = time.monotonic() - started
        # both scheduled runs (3 s apart: on a busy machine the second overlaps the first, and each may store
        # what the other did not): together they store the two files, scan.bin is recorded as failed
        both = _wait_for_runs(cli, "deployment:folder", 2, proc, log)
        assert sum(r["counts"]["stored"] for r in both) == 2, both
        assert any("scan.bin" in f["source"] and f["error"] for r in both for f in r["failures"]), both

        # `prefect deployment run 'ingest/web'`: through the API server, executed by serve
        flow_run = run_deployment("ingest/web", timeout=120)
        assert flow_run.state.is_completed(), flow_run.state
        deployment_run = _wait_for_run(cli, "deployment:web", proc, log, timeout=30)
        assert deployment_run["counts"]["unchanged"] == 1  # conditional GET or same bytes: nothing new

        with get_client(sync_client=True) as client:
            folder = client.read_deployment_by_name("ingest/folder")
            assert folder.parameters["source"] == "folder" and folder.schedules
            assert folder.schedules[0].schedule.interval.total_seconds() == 3
            web = client.read_deployment_by_name("ingest/web")
            assert not web.schedules
            fixity = client.read_deployment_by_name("fixity/archivist-fixity")
            assert fixity.schedules[0].schedule.cron == "0 3 * * *"
            artifacts = client._client.post("/artifacts/filter", json={  # read_artifacts sends nulls FastAPI refuses
                "artifacts": {"key": {"any_": ["ingest-run-report"]}}, "limit": 100, "offset": 0,
                "sort": "CREATED_DESC"}).json()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    served = log.read_text(errors="replace")
    assert "ingest/folder: every 3 s" in served and "ingest/web: manual runs only" in served, served
    with get_client(sync_client=True) as client:  # stopping serve did not switch the schedules off
        folder = client.read_deployment_by_name("ingest/folder")
        assert not folder.paused and folder.schedules[0].active

    # run reports: every run is in `archivist runs`, with run-started / run-finished events and an artifact
    runs = {r["id"]: r for r in cli.json("runs")["runs"]}
    assert {"cli:web", "deployment:folder", "deployment:web"} <= {r["trigger"] for r in runs.values()}
    events = _events(cli.home)
    for run_id, run in runs.items():
        kinds = [k for k, r, _ in events if r == run_id]
        if run["status"] == "completed":
            assert kinds == ["run-started", "run-finished"], (run_id, kinds)
            finished = next(d for k, r, d in events if r == run_id and k == "run-finished")
            assert finished["counts"] == run["counts"] and finished["failures"] == run["failures"]
            assert finished["duration_s"] >= 0
            assert run["flow_run_id"]
    # the harness serves every test's flows: find this archive's reports by their flow runs
    reports = {str(a["flow_run_id"]): a["data"] for a in artifacts if a.get("flow_run_id")}
    report = reports[runs[manual["run_id"]]["flow_run_id"]]
    assert "| stored | 1 |" in report and "| failed | 1 |" in report and "gone.html" in report
    assert "Duration:" in report
    assert runs[scheduled["id"]]["flow_run_id"] in reports

    assert cli("verify").exit_code == 0
    print(f"\nserve: first scheduled run completed {first_scheduled_s:.1f} s after start")


def test_source_max_bytes_caps_http_bodies_too(cli, tmp_path, httpserver):
    httpserver.expect_request("/big.html").respond_with_data("<html><body>" + "x" * 5000 + "</body></html>",
                                                             content_type="text/html")
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[source.web]\nurls = ["{httpserver.url_for("/big.html")}"]\nmax_bytes = 1000\n')
    result = cli("ingest", "--no-prefect", "--source", "web", "--sources", str(sources), "--json")
    assert '"failed": 1' in result.output
    run = cli.json("runs")["runs"][0]
    assert "over the 1000-byte limit" in run["failures"][0]["error"]
    assert cli.json("documents")["documents"] == []

"""The Prefect path: a clean ``archivist ingest``, reports that name the archive, task runs per batch.

``archivist ingest corpus/`` runs as a user runs it (its own temporary Prefect
server, a fresh PREFECT_HOME) and must say what it starts, succeed and print
no ERROR line and no traceback. The other tests use the session's Prefect test
server to read back what a flow run left in Prefect.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from conftest import CORPUS, REPO, SEEDS


def test_a_successful_ingest_through_prefect_prints_no_error(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO), PREFECT_HOME=str(tmp_path / "prefect"))
    env.pop("PREFECT_API_URL", None)
    env.pop("PREFECT_LOGGING_LEVEL", None)  # as a user runs it
    done = subprocess.run([sys.executable, "-c", "from flows.cli.app import main; main()", "--home",
                           str(tmp_path / "archive"), "ingest", str(CORPUS)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr
    errors = [line for line in done.stderr.splitlines() if "ERROR" in line or "Traceback" in line]
    assert not errors, done.stderr
    assert done.stderr.splitlines()[0] == \
        "starting a temporary Prefect server… (set PREFECT_API_URL to use a running one)"
    assert done.stdout.startswith("Run 1: 8 stored (4 new works, 4 new versions of works)")
    with sqlite3.connect(tmp_path / "archive" / "archive.sqlite3") as db:  # the folder asked for, its 8 items
        assert db.execute("SELECT sources, items FROM runs").fetchall() == [(json.dumps([str(CORPUS)]), 8)]


def test_the_flows_turn_prefect_telemetry_off_whatever_imports_them(tmp_path):
    # a script or deployment that calls the flows without the CLI: Prefect's settings are read at its
    # import, so importing archivist's flows must set them first (and leave a setting that is there alone)
    code = ("import os, flows.prefect.ingest, prefect.settings as s; "
            "print(os.environ['PREFECT_SERVER_ANALYTICS_ENABLED'], os.environ['DO_NOT_TRACK'], "
            "s.get_current_settings().server.analytics_enabled)")
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_SERVER_ANALYTICS_ENABLED", "DO_NOT_TRACK")}
    env.update(PYTHONPATH=str(REPO), PREFECT_HOME=str(tmp_path / "prefect"))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["false", "1", "False"]
    env["DO_NOT_TRACK"] = "0"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert done.stdout.split()[1] == "0"


def _flow_run(result: dict):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(limit=200)
        run = next(r for r in runs if str(r.id) == result["flow_run_id"])
        tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id])))
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[run.id])))
    return run, tasks, artifacts


def test_the_run_report_names_the_archive_and_tasks_come_per_batch(tmp_path, prefect_harness):
    from flows.prefect.ingest import BATCH_SIZE, ingest_flow
    from storage import Archive

    home = tmp_path / "archive"
    result = ingest_flow([str(s) for s in SEEDS], home=str(home), db_url=None)
    assert result["counts"]["failed"] == 0
    with Archive.open(home) as archive:
        result["flow_run_id"] = archive.runs()[0].flow_run_id
    with sqlite3.connect(home / "archive.sqlite3") as db:  # the sources asked for, one item each
        assert db.execute("SELECT sources, items FROM runs").fetchall() == [
            (json.dumps([str(s) for s in SEEDS]), len(SEEDS))]
    _run, tasks, artifacts = _flow_run(result)
    report = next(a for a in artifacts if a.key == "ingest-run-report")
    assert f"Archive: `{home.resolve()}`" in report.data
    assert str(home.resolve()) in report.description
    names = sorted(t.name.rsplit("-", 1)[0] if t.name.startswith("expand-") else t.name for t in tasks)
    # the expansion, then one task run per batch of documents: none per document for local files
    assert len(SEEDS) < BATCH_SIZE and names == [f"documents 1-{len(SEEDS)}", "expand-sources"], names


def test_the_report_names_a_database_outside_the_home(tmp_path):
    from flows.prefect.ingest import archive_name

    home = tmp_path / "archive"
    home.mkdir()
    url = f"sqlite:///{home / 'archive.sqlite3'}"
    assert archive_name(str(home), url) == str(home.resolve())
    other = tmp_path / "elsewhere.sqlite3"
    assert archive_name(str(home), f"sqlite:///{other}") == f"{home.resolve()} (sqlite:///{other})"


PREFECT_PARAMETER_LIMIT = 524_288  # bytes: Prefect's server refuses flow-run parameters larger than this


def test_a_folder_too_big_for_a_flow_parameter_ingests_through_prefect(tmp_path, prefect_harness):
    """``archivist ingest FOLDER`` through Prefect, for a folder whose items would not fit in a flow-run
    parameter (a folder of about 4,000 files does not): the items go by the CLI's process, the run records
    the folder asked for and counts its items, and the flow run's parameters hold neither."""
    from dataclasses import asdict

    from conftest import Cli
    from flows.sources.model import expand
    from storage import Archive

    folder = tmp_path / ("statements-of-the-families-" * 8) / ("summer-1988-" * 16)
    folder.mkdir(parents=True)
    for i in range(1100):
        (folder / f"statement-{i:05d}.txt").write_text(f"Statement {i} of the families, summer 1988.\n",
                                                       encoding="utf-8")
    as_parameter = json.dumps([asdict(item) for item in expand([str(folder)])])
    assert len(as_parameter) > PREFECT_PARAMETER_LIMIT  # what the CLI used to send
    cli = Cli(tmp_path / "archive")
    done = cli.json("ingest", str(folder))
    assert done["counts"]["stored"] == 1100 and done["failures"] == []
    with Archive.open(cli.home) as archive:
        [run] = archive.runs()
        assert run.items == 1100
        flow_run_id = run.flow_run_id
    with sqlite3.connect(cli.home / "archive.sqlite3") as db:
        assert db.execute("SELECT sources FROM runs").fetchall() == [(json.dumps([str(folder)]),)]
    flow_run, _tasks, _artifacts = _flow_run({"flow_run_id": flow_run_id})
    assert flow_run.parameters.get("items") is None and flow_run.parameters.get("sources") is None
    assert flow_run.parameters["plan_id"] is not None
    assert len(json.dumps(flow_run.parameters)) < 2000


def test_a_flow_given_a_plan_this_process_does_not_hold_fails_saying_so(tmp_path, prefect_harness):
    from flows.errors import FlowError
    from flows.prefect.ingest import ingest_flow

    with pytest.raises(FlowError, match="no planned items with id 12345 in this process"):
        ingest_flow(home=str(tmp_path / "archive"), db_url=None, plan_id=12345)
    assert not (tmp_path / "archive").exists()  # nothing was started

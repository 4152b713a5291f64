"""Progress on stderr: a rich bar in a pseudo-terminal, plain lines in a pipe, stdout left clean.

The real ``archivist`` runs in a child process on the seed corpus, once with
its stderr on a pseudo-terminal (python ``pty``) and once on a pipe.
"""

from __future__ import annotations

import io
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from conftest import CORPUS, REPO

from flows.progress import Progress
from flows.run import ProgressTick

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _command(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-c", "from flows.cli.app import main; main()", "--home", str(home), *args]


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO), COLUMNS="160", TERM="xterm-256color")


def test_plain_lines_in_a_pipe_and_clean_json_on_stdout(tmp_path):
    done = subprocess.run(_command(tmp_path / "archive", "ingest", "--no-prefect", "--json", str(CORPUS)),
                          capture_output=True, text=True, env=_env(), cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # nothing but the JSON on stdout
    n = sum(result["counts"].values())
    lines = [line for line in done.stderr.splitlines() if line.startswith("ingest:")]
    assert lines[0] == f"ingest: {len(result['outcomes'])} documents starting"
    assert re.fullmatch(rf"ingest: done, {n} documents in [\d.]+ s \([\d.]+ documents/s\); "
                        rf"{result['counts']['stored']} new, {result['counts']['new_version']} new versions",
                        lines[-1]), lines[-1]
    assert not ANSI.search(done.stderr)


def test_a_bar_with_counts_rate_and_time_left_on_a_terminal(tmp_path):
    """stderr on a pseudo-terminal: the bar (drawn with escape codes), stdout (a pipe) only the summary."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(_command(tmp_path / "archive", "ingest", "--no-prefect", str(CORPUS)),
                            stdout=subprocess.PIPE, stderr=follower, env=_env(), cwd=tmp_path)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    stdout = proc.stdout.read().decode()
    assert proc.wait(timeout=300) == 0
    os.close(leader)
    screen = seen.decode("utf-8", "replace")
    assert ANSI.search(screen), "no terminal drawing"
    plain = ANSI.sub("", screen)
    assert re.search(r"ingest\s.*━.*\b8/8\b.*100%", plain), plain[-800:]
    assert re.search(r"\d+\.\d/s", plain) and "left" in plain
    assert "4 new, 4 new versions" in plain
    assert "starting" not in plain  # plain lines are for pipes
    assert stdout.startswith("Run 1: 8 stored") and "━" not in stdout


def test_plain_lines_are_periodic_with_rate_and_time_left():
    out = io.StringIO()
    with Progress("verify", 4, unit="files", mode="lines", stream=out, interval_s=0) as progress:
        for n, status in enumerate(["ok", "ok", "mismatch", "ok"], start=1):
            progress.on_tick(ProgressTick(n, 4, status, f"f{n}"))
    lines = out.getvalue().splitlines()
    assert lines[0] == "verify: 4 files starting"
    assert re.fullmatch(r"verify: 1/4 files \(25%\), [\d.]+/s, about .+ left; 1 ok", lines[1]), lines[1]
    assert lines[-1].startswith("verify: done, 4 files in ") and lines[-1].endswith("; 3 ok, 1 mismatch")


def test_no_progress_when_asked():
    out = io.StringIO()
    with Progress("ingest", 2, mode="none", stream=out) as progress:
        progress.say("starting a temporary Prefect server…")
        progress.advance("stored")
    assert out.getvalue() == ""


def test_regroup_reports_progress_on_stderr(tmp_path):
    from conftest import SEEDS, Cli

    cli = Cli(tmp_path / "archive")
    cli("ingest", "--no-prefect", *map(str, SEEDS))
    result = cli("--progress", "lines", "regroup", "--json")
    assert json.loads(result.stdout)["documents"] == len(SEEDS)
    lines = result.stderr.splitlines()
    assert lines[0] == f"regroup: {len(SEEDS)} documents starting"
    assert lines[-1].startswith(f"regroup: done, {len(SEEDS)} documents in ")


def test_verify_reports_progress_on_stderr_and_keeps_json_clean(tmp_path):
    from conftest import SEEDS, Cli

    cli = Cli(tmp_path / "archive")
    cli("ingest", "--no-prefect", *map(str, SEEDS))
    result = cli("--progress", "lines", "verify", "--json")
    assert json.loads(result.stdout)["ok"] is True
    lines = result.stderr.splitlines()
    assert lines[0] == "verify: starting"
    assert lines[-1].startswith(f"verify: done, {len(SEEDS)} records in "), lines


def test_export_reports_progress_on_stderr_and_keeps_json_clean(tmp_path):
    from conftest import SEEDS, Cli

    cli = Cli(tmp_path / "archive")
    cli("ingest", "--no-prefect", *map(str, SEEDS))
    result = cli("--progress", "lines", "export", str(tmp_path / "bag"), "--json")
    report = json.loads(result.stdout)
    assert report["documents"] == len(SEEDS)
    steps = report["documents"] + report["originals"] + report["texts"]
    lines = result.stderr.splitlines()
    assert lines[0] == "export: starting"
    assert lines[-1].startswith(f"export: done, {steps} steps in "), lines

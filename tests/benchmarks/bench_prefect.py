"""Prefect's cost on ingest: the same collection in-process and through Prefect, in the same run.

    python tests/benchmarks/bench_prefect.py [--docs 300] [--rounds 2] [--tasks 200]

Writes ``--docs`` small text documents (unique invented texts), then ingests
them into fresh archives with ``archivist ingest --no-prefect`` (the baseline)
and ``archivist ingest`` (a Prefect flow run on a temporary server),
alternating, ``--rounds`` times each, every run in its own process as a user
runs it. Prints, per way, the median ingest time (the run itself, start-up
aside), milliseconds per document, the start-up (Prefect's temporary server)
and the ratio to the baseline (goal: <= 1.25), and whether stderr held an
ERROR line or a traceback. Then the cost of one Prefect task run against a
plain call (``--tasks`` no-op tasks in one flow), which is why the flow no
longer makes a task run per document.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORDS = [f"{a}{b}" for a in ("ka", "lo", "mi", "ne", "su", "ta", "ve", "zo", "ri", "pa")
         for b in ("ran", "dul", "mek", "sot", "vin", "gar", "lus", "pim", "tor", "hes")]


def make_collection(folder: Path, docs: int, seed: int = 7) -> None:
    """``docs`` text files of six paragraphs of invented words each (every one unique)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(docs):
        paras = [" ".join(rng.choice(WORDS) for _ in range(80)) + "." for _ in range(6)]
        (folder / f"doc{i:05d}.txt").write_text(f"Report number {i}\n\n" + "\n\n".join(paras), encoding="utf-8")


def ingest(home: Path, folder: Path, prefect: bool) -> tuple[dict, str]:
    """One ``archivist ingest`` in its own process: its --json summary and its stderr."""
    args = [sys.executable, "-c", "from flows.cli.app import main; main()", "--home", str(home),
            "--progress", "none", "ingest", "--json", str(folder)] + ([] if prefect else ["--no-prefect"])
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("PREFECT_API_URL", None)
    done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=home.parent)
    if done.returncode:
        raise SystemExit(f"archivist ingest failed ({done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout), done.stderr


def task_cost(tasks: int) -> tuple[float, float]:
    """Seconds per no-op Prefect task run and per plain call, ``tasks`` of each inside one flow."""
    code = f"""
import time
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

def plain(i):
    return i

@task(cache_policy=NO_CACHE)
def noop(i):
    return i

@flow
def bench():
    t = time.perf_counter()
    for i in range({tasks}):
        plain(i)
    p = time.perf_counter() - t
    t = time.perf_counter()
    for i in range({tasks}):
        noop(i)
    return (time.perf_counter() - t) / {tasks}, p / {tasks}

print(*bench())
"""
    env = dict(os.environ, PREFECT_LOGGING_LEVEL="ERROR", PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="300")
    env.pop("PREFECT_API_URL", None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if out.returncode:
        raise SystemExit(f"the task-cost flow failed:\n{out.stderr[-2000:]}")
    per_task, per_call = map(float, out.stdout.split()[-2:])
    return per_task, per_call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tasks", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_collection(root / "collection", args.docs)
        times: dict[str, list[float]] = {"in-process": [], "prefect": []}
        startup: dict[str, list[float]] = {"in-process": [], "prefect": []}
        noisy: dict[str, int] = {"in-process": 0, "prefect": 0}
        started = time.perf_counter()
        for n in range(args.rounds):
            for way in ("in-process", "prefect"):
                result, err = ingest(root / f"{way}-{n}", root / "collection", way == "prefect")
                assert result["counts"]["stored"] == args.docs, result["counts"]
                times[way].append(result["ingest_seconds"])
                startup[way].append(result["startup_seconds"])
                noisy[way] += any("ERROR" in line or "Traceback" in line for line in err.splitlines())
        base = statistics.median(times["in-process"])
        print(f"{args.docs} text documents, {args.rounds} rounds each, {os.cpu_count()} cores, "
              f"{time.perf_counter() - started:.0f} s in all")
        print(f"{'way':<12} {'ingest s':>9} {'ms/doc':>8} {'start-up s':>11} {'ratio':>6}  runs with ERROR output")
        for way in ("in-process", "prefect"):
            med = statistics.median(times[way])
            print(f"{way:<12} {med:>9.2f} {1000 * med / args.docs:>8.1f} {statistics.median(startup[way]):>11.1f} "
                  f"{med / base:>6.2f}  {noisy[way]} of {args.rounds}")
        per_task, per_call = task_cost(args.tasks)
        print(f"one Prefect task run: {1000 * per_task:.2f} ms; a plain call: {1e6 * per_call:.2f} µs "
              f"({args.tasks} of each in one flow)")


if __name__ == "__main__":
    main()

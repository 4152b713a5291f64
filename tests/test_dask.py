"""Scale-out: extraction on a multi-process Dask cluster, records in a shared PostgreSQL database."""

from __future__ import annotations

import pytest

from conftest import CORPUS, Cli

pytest.importorskip("prefect_dask")
distributed = pytest.importorskip("distributed")



def _tasks_pickle_while_a_pool_is_live() -> bool:
    """Whether the ingest flow's tasks can be sent to Dask while a local extraction pool is registered.

    cloudpickle sends functions whose module attribute is the Prefect Task (not the function) by value,
    with the module globals they use: a module-level dict of live pools (locks, pipes) cannot be pickled.
    """
    import threading

    import cloudpickle

    from flows.prefect import ingest

    pools = getattr(ingest, "_POOLS", None)
    if pools is None:
        return True
    pools[-1] = threading.Lock()  # stands in for a live ExtractionPool
    try:
        cloudpickle.dumps(ingest.extract)
        cloudpickle.dumps(ingest.ingest_flow)
        return True
    except Exception:  # noqa: BLE001 - TypeError / PicklingError
        return False
    finally:
        pools.pop(-1, None)


pytestmark = [pytest.mark.postgres]


def test_tasks_pickle_while_a_pool_is_live():
    """Tasks shipped to Dask must not carry the live extraction pool (it holds locks and pipes)."""
    assert _tasks_pickle_while_a_pool_is_live()

VOLATILE = {"id", "work_id", "related_document_id", "ingested_at", "obtained_at"}


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as local:
        yield local


def _task_prefixes(cluster) -> set[str]:
    """Names of the tasks the cluster's scheduler has run."""
    with distributed.Client(cluster) as client:
        return set(client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.task_prefixes)))


def _records(cli: Cli) -> dict[str, dict]:
    return {d["sha256"]: {k: v for k, v in d.items() if k not in VOLATILE} for d in cli.json("documents")["documents"]}


def _works(cli: Cli) -> list:
    return sorted([(d["version"], d["relation"], d["sha256"]) for d in w["versions"]] for w in cli.json("works")["works"])


def test_ingest_on_a_dask_cluster_gives_the_same_records_as_a_local_run(cluster, pg_url, tmp_path, prefect_harness):
    from prefect_dask import DaskTaskRunner

    from flows.prefect.ingest import ingest_flow

    local = Cli(tmp_path / "local")
    local.json("ingest", "--no-prefect", str(CORPUS))

    home = tmp_path / "shared"
    result = ingest_flow.with_options(task_runner=DaskTaskRunner(address=cluster.scheduler_address))(
        [str(CORPUS)], home=str(home), db_url=pg_url, extract_in_task=True)
    assert result["counts"]["failed"] == 0, result["failures"]
    on_dask = Cli(home, pg_url)
    assert _records(on_dask) == _records(local)
    assert _works(on_dask) == _works(local)
    assert "extract" in _task_prefixes(cluster)
    on_dask("verify")  # the originals too: no local extraction worker wrote them, the storing process did


def test_the_sources_file_names_the_cluster(cluster, pg_url, tmp_path, prefect_harness):
    """`archivist ingest --source` picks up `[cluster] dask_address` and stores into the shared database."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Testimony of a survivor of the 1988 prison killings, recorded in exile.\n",
                                encoding="utf-8")
    (docs / "b.md").write_text("# Appeal\n\nThe families ask for the truth about the mass graves.[^1]\n\n"
                               "[^1]: Report of the Special Rapporteur, 2024.\n", encoding="utf-8")
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[cluster]\ndask_address = "{cluster.scheduler_address}"\n\n'
                       '[source.docs]\npaths = ["docs"]\n', encoding="utf-8")
    cli = Cli(tmp_path / "archive", pg_url)
    result = cli.json("ingest", "--source", "docs", "--sources", str(sources))
    assert result["counts"]["stored"] == 2 and result["counts"]["failed"] == 0
    assert cli.json("runs")["runs"][0]["trigger"] == "cli:docs"
    assert "extract" in _task_prefixes(cluster)
    shown = cli.json("show", "2")
    assert [n["label"] for n in shown["footnotes"]] == ["1"]

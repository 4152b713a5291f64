"""The Prefect ``fixity`` flow: run ``verify`` and log its outcome in the chain.

Each run appends one ``verified`` event (outcome ``ok`` or ``problems``,
detail with the counts, the problem kinds and the first problems) and leaves
a markdown artifact. :func:`fixity_deployment` / :func:`serve_fixity` run it
on a cron schedule (default daily at 03:00)::

    python -m flows.prefect.fixity --home /srv/archive --cron "0 3 * * *"

Importing this module imports Prefect; nothing in the query path imports it.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from storage import Archive
from storage.integrity.fixity import Report, record_verification, verify

from flows.settings import DEFAULT_FIXITY_CRON, settings


@task(name="verify-archive", cache_policy=NO_CACHE)
def verify_archive(home: str | None, db_url: str | None) -> Report:
    """Re-hash every file, check every record against its event, walk the chain."""
    with Archive.open(home, db_url, create=False) as archive:
        return verify(archive, tsa_ca=settings().tsa_ca)


@task(name="record-verification", cache_policy=NO_CACHE)
def record_outcome(home: str | None, db_url: str | None, report: Report, duration_s: float,
                   flow_run_id: str | None) -> int:
    """Append the ``verified`` event; return its id."""
    with Archive.open(home, db_url, create=False) as archive:
        return record_verification(archive, report, extra={"duration_s": round(duration_s, 3),
                                                           "flow_run_id": flow_run_id})


def _markdown(report: Report, event_id: int, duration_s: float) -> str:
    lines = [f"# archivist fixity: {'OK' if report.ok else f'{len(report.problems)} problem(s)'}", "",
             f"- documents: {report.documents}", f"- files hashed: {report.blobs_hashed} "
             f"({report.bytes_hashed} bytes) in {duration_s:.1f} s", f"- events: {report.events}",
             f"- chain head: event {report.head_id} `{report.head_hash}`", f"- logged as event {event_id}", ""]
    for p in report.problems[:50]:
        lines.append(f"- **{p.kind}**: {p.message}")
    if len(report.problems) > 50:
        lines.append(f"- … and {len(report.problems) - 50} more (run `archivist verify`)")
    return "\n".join(lines) + "\n"


@flow(name="fixity", validate_parameters=False)
def fixity_flow(home: str | None = None, db_url: str | None = None) -> dict[str, Any]:
    """Verify the archive and record the outcome as a ``verified`` event."""
    from prefect.context import get_run_context

    logger = get_run_logger()
    started = time.perf_counter()
    report = verify_archive(home, db_url)
    duration = time.perf_counter() - started
    flow_run = getattr(get_run_context(), "flow_run", None)
    event_id = record_outcome(home, db_url, report, duration, str(flow_run.id) if flow_run else None)
    if report.ok:
        logger.info("archive verified: %s documents, %s events, head %s", report.documents, report.events,
                    report.head_id)
    else:
        logger.warning("archive has %s problem(s); first: %s", len(report.problems), report.problems[0].message)
    create_markdown_artifact(key="fixity-report", markdown=_markdown(report, event_id, duration),
                             description="archivist fixity check")
    return {"ok": report.ok, "event_id": event_id, "duration_s": duration, "report": report.to_dict()}


def fixity_deployment(home: str | None = None, db_url: str | None = None, cron: str = DEFAULT_FIXITY_CRON,
                      name: str = "archivist-fixity") -> Any:
    """A deployment of the fixity flow on ``cron`` (for ``prefect.serve`` next to other deployments)."""
    return fixity_flow.to_deployment(name=name, cron=cron, parameters={"home": home, "db_url": db_url})


def serve_fixity(home: str | None = None, db_url: str | None = None, cron: str = DEFAULT_FIXITY_CRON) -> None:
    """Serve the fixity flow on its schedule until interrupted."""
    from prefect import serve

    serve(fixity_deployment(home, db_url, cron))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run archivist's fixity check on a schedule (or --once).")
    parser.add_argument("--home", default=None)
    parser.add_argument("--db", dest="db_url", default=None)
    parser.add_argument("--cron", default=DEFAULT_FIXITY_CRON)
    parser.add_argument("--once", action="store_true", help="run one check now and exit (1 on problems)")
    args = parser.parse_args(argv)
    if args.once:
        result = fixity_flow(args.home, args.db_url)
        raise SystemExit(0 if result["ok"] else 1)
    serve_fixity(args.home, args.db_url, args.cron)


if __name__ == "__main__":
    main()

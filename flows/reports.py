"""Human-readable run reports (Prefect artifacts and CLI output)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flows.run import RunSummary


def run_report_markdown(run_id: int, summary: RunSummary, elapsed: float, archive: str | None = None) -> str:
    """A markdown table of a run's counts and failures; ``archive`` names the archive it ran against."""
    lines = [f"# Ingest run {run_id}", ""]
    if archive:
        shown = archive.replace("`", "'")
        lines += [f"Archive: `{shown}`", ""]
    lines += ["| outcome | documents |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in summary.counts.items()]
    lines += ["", f"Duration: {elapsed:.2f} s"]
    if summary.failures:
        lines += ["", "## Failures", "", "| source | error |", "|---|---|"]
        lines += [f"| {f['source']} | {str(f['error']).replace('|', '/')} |" for f in summary.failures]
    return "\n".join(lines)

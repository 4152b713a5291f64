"""The one ingest loop, run two ways: in-process (``--no-prefect``) and as the Prefect flow.

The same inputs -- the seed corpus, a revised copy, Markdown with footnotes, an
HTML page, a manifest folder, a corrupt PDF, an unknown binary and a duplicate --
go into two fresh SQLite archives, one through each runner; the archives must
agree record for record.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from conftest import SEEDS, Cli

MARKDOWN = """# Appeal of the families

The families ask for the truth about the mass graves.[^1] They also ask for the names.[^2]

[^1]: Report of the Special Rapporteur on the situation of human rights, A/HRC/37/24, 2018.
[^2]: Amnesty International, Blood-soaked secrets, MDE 13/9421/2018.
"""

HTML = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Statement on the executions</title>
</head><body><article><h1>Statement on the executions</h1>
<p>Human rights organisations called again for an independent inquiry into the prison killings.</p>
<p>Relatives were never told where the bodies were buried, and memorial gatherings are dispersed.</p>
</article></body></html>
"""

MANIFEST = """[[document]]
file = "testimony.txt"
title = "Testimony of a survivor (curator's title)"
date = "1989-03"
identifiers = ["A/HRC/37/24"]

[[document]]
file = "untitled.txt"
title = "unknown"
"""


def _inputs(root: Path) -> list[str]:
    inbox = root / "inbox"
    inbox.mkdir(parents=True)
    for seed in SEEDS:
        (inbox / seed.name).write_bytes(seed.read_bytes())
    revised = SEEDS[0].read_text(encoding="utf-8") + "\n\nAddendum: the list of names was updated in 2024.\n"
    (inbox / "z_revised.txt").write_text(revised, encoding="utf-8")
    (inbox / "appeal.md").write_text(MARKDOWN, encoding="utf-8")
    (inbox / "statement.html").write_text(HTML, encoding="utf-8")
    (inbox / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" + b"\0" * 64)
    (inbox / "scan.bin").write_bytes(bytes(range(256)) * 16)
    (inbox / "zz_duplicate.txt").write_bytes(SEEDS[2].read_bytes())
    curated = root / "curated"
    curated.mkdir()
    (curated / "manifest.toml").write_text(MANIFEST, encoding="utf-8")
    (curated / "testimony.txt").write_text("I was held in the prison in the summer of 1988. Most of the men in my "
                                           "ward were taken away and never came back.\n", encoding="utf-8")
    (curated / "untitled.txt").write_text("A short note kept with the testimony, about the visits of the "
                                          "families to the cemetery.\n", encoding="utf-8")
    (curated / "not_listed.txt").write_text("Not in the manifest: never archived.\n", encoding="utf-8")
    return [str(inbox), str(curated)]


def _snapshot(cli: Cli) -> dict:
    """Everything that must not depend on the runner (ids, times and paths left out)."""
    docs = {}
    for summary in cli.json("documents"):
        detail = cli.json("show", str(summary["id"]))
        docs[summary["sha256"]] = {
            "status": summary["status"], "failed": bool(summary["error"]), "name": Path(summary["source"]).name,
            "title": summary["title"], "date": summary["date"], "format": summary["format"],
            "media_type": summary["media_type"], "relation": summary["relation"], "version": summary["version"],
            "identifiers": sorted((i["scheme"], i["value"]) for i in summary["identifiers"]),
            "text_sha": hashlib.sha256((detail["text"] or "").encode()).hexdigest() if detail["text"] else None,
            "footnotes": [(n["label"], n["text"]) for n in detail["footnotes"]],
        }
    sha_of = {d["id"]: d["sha256"] for d in cli.json("documents")}
    works = {frozenset(sha_of[v["id"]] for v in w["versions"]) for w in cli.json("works")}
    con = sqlite3.connect(cli.home / "archive.sqlite3")
    try:
        kinds = Counter(kind for (kind,) in con.execute("SELECT kind FROM events"))
    finally:
        con.close()
    return {"documents": docs, "works": works, "events": kinds}


def _outcomes(result: dict) -> list[tuple[str, str, str | None]]:
    return [(Path(o["source"]).name, o["status"], o["relation"]) for o in result["outcomes"]]


@pytest.fixture
def sources(tmp_path) -> list[str]:
    return _inputs(tmp_path / "in")


def test_in_process_and_prefect_runs_give_the_same_archive(sources, tmp_path, prefect_harness):
    direct = Cli(tmp_path / "direct")
    flowed = Cli(tmp_path / "flowed")
    first = direct.json("ingest", "--no-prefect", *sources)
    second = flowed.json("ingest", *sources)

    assert first["counts"] == second["counts"]
    assert _outcomes(first) == _outcomes(second)
    assert first["failures"] and [Path(f["source"]).name for f in first["failures"]] == \
        [Path(f["source"]).name for f in second["failures"]]

    a, b = _snapshot(direct), _snapshot(flowed)
    assert a["documents"] == b["documents"]
    assert a["works"] == b["works"]
    assert a["events"] == b["events"]

    # The comparison is of real content: both archives hold what the inputs promise.
    docs = {d["name"]: d for d in a["documents"].values()}
    assert "zz_duplicate.txt" not in docs and "not_listed.txt" not in docs  # same bytes: one record
    assert docs["broken.pdf"]["status"] == "failed" and docs["scan.bin"]["status"] == "failed"
    assert docs["appeal.md"]["status"] == "stored" and [label for label, _ in docs["appeal.md"]["footnotes"]] == \
        ["1", "2"]
    assert docs["statement.html"]["title"] == "Statement on the executions"
    assert docs["testimony.txt"]["title"] == "Testimony of a survivor (curator's title)"
    assert ("un-symbol", "A/HRC/37/24") in docs["testimony.txt"]["identifiers"]
    assert docs["z_revised.txt"]["relation"] == "revision" and docs["z_revised.txt"]["version"] >= 2
    assert all(d["text_sha"] for d in a["documents"].values() if d["status"] == "stored")
    assert len(a["works"]) < len(a["documents"])  # the revision joined its original's work
    assert a["events"]["run-started"] == a["events"]["run-finished"] == 1
    assert dict(Counter(s for _, s, _ in _outcomes(first))) == {k: v for k, v in first["counts"].items() if v}
    direct("verify")
    flowed("verify")

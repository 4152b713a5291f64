"""diff, history and regroup on real revisions written for the test."""

from __future__ import annotations

import sqlite3

import pytest

BASE = [
    "The commission met in the capital in the summer and heard testimony from families of prisoners.",
    "Witnesses described how prisoners were asked a small number of questions before being taken away.",
    "Families were not told for months and were refused any information about burial places.",
    "Later reports by international organizations documented the pattern across many cities.",
    "The authorities have denied the events and restricted gatherings at cemeteries ever since.",
    "Human rights groups continue to call for an independent investigation and for accountability.",
]


def _write(folder, name, paragraphs, title="Report on the summer commission"):
    folder.mkdir(exist_ok=True)
    (folder / name).write_text("# " + title + "\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")


@pytest.fixture
def revised(cli, tmp_path):
    v1 = list(BASE)
    v2 = list(BASE)
    v2[1] = ("Witnesses described how prisoners were asked a small number of questions before being taken away. "
             "Some were asked whether they would renounce their beliefs.")
    v2.insert(4, "A new section summarizes the findings of the special rapporteur on this question.")
    del v2[2]
    _write(tmp_path / "docs", "a_v1.md", v1)
    _write(tmp_path / "docs", "b_v2.md", v2)
    cli("ingest", "--no-prefect", str(tmp_path / "docs"))
    return cli


def test_diff_marks_added_removed_and_changed(revised):
    docs = revised.json("documents")["documents"]
    assert docs[0]["work_id"] == docs[1]["work_id"]
    diff = revised.json("diff", str(docs[0]["id"]), str(docs[1]["id"]))
    ops = sorted(c["op"] for c in diff["changes"])
    assert ops == ["added", "changed", "removed"], diff["changes"]
    changed = next(c for c in diff["changes"] if c["op"] == "changed")
    assert [s["op"] for s in changed["sentences"]] == ["equal", "added"]
    removed = next(c for c in diff["changes"] if c["op"] == "removed")
    assert removed["a_text"].startswith("Families were not told")
    text = revised("diff", str(docs[0]["id"]), str(docs[1]["id"])).output
    assert "{+Some were asked" in text and "- [3] Families" in text


def test_a_diff_says_what_it_was_derived_from_and_by_what(revised):
    docs = revised.json("documents")["documents"]
    diff = revised.json("diff", str(docs[0]["id"]), str(docs[1]["id"]))
    shown = [revised.json("show", str(d["id"])) for d in docs[:2]]
    assert diff["derivation"]["from"] == [{"document_id": d["id"], "sha256": d["sha256"],
                                           "text_sha256": d["text_sha256"]} for d in shown]
    assert diff["derivation"]["tool"]["name"] == "archivist diff" and diff["derivation"]["tool"]["version"]


def test_diff_of_a_document_with_itself_is_empty(revised):
    doc = revised.json("documents")["documents"][0]
    assert revised.json("diff", str(doc["id"]), str(doc["id"]))["identical"] is True


def test_history_lists_versions_with_change_sizes(revised):
    work_id = revised.json("documents")["documents"][0]["work_id"]
    history = revised.json("history", str(work_id))
    assert [v["version"] for v in history["versions"]] == [1, 2]
    assert history["versions"][0]["change"] is None
    assert history["versions"][1]["change"]["added"] == 1


def test_regroup_restores_works_and_reports_moves(revised):
    docs = revised.json("documents")["documents"]
    with sqlite3.connect(revised.home / "archive.sqlite3") as con:  # a broken grouping behind our back
        con.execute("INSERT INTO works (id, title, created_at) VALUES (99, 'stray', '2026-01-01')")
        con.execute("UPDATE documents SET work_id = 99, version = 1 WHERE id = ?", (docs[1]["id"],))
    report = revised.json("regroup")
    assert len(report["moved"]) == 1 and report["moved"][0]["document_id"] == docs[1]["id"]
    after = revised.json("documents")["documents"]
    assert after[0]["work_id"] == after[1]["work_id"] == docs[0]["work_id"]
    again = revised.json("regroup")
    assert again["moved"] == [] and again["relabelled"] == []


def test_pdf_and_html_renditions_diff_to_nothing(cli, tmp_path):
    from conftest import CORPUS

    folder = tmp_path / "renditions"
    folder.mkdir()
    for name in ("003_amnesty_statement.pdf", "003_amnesty_statement.html"):
        (folder / name).write_bytes((CORPUS / "renditions" / name).read_bytes())
    cli("ingest", "--no-prefect", str(folder))
    pdf, html = sorted(cli.json("documents")["documents"], key=lambda d: d["media_type"])
    assert pdf["work_id"] == html["work_id"]
    assert "rendition" in {pdf["relation"], html["relation"]}
    diff = cli.json("diff", str(pdf["id"]), str(html["id"]))
    assert diff["identical"] is True and diff["changes"] == []


def test_diff_marks_the_changed_words_and_lists_figures_first(cli, tmp_path):
    v1 = list(BASE)
    v2 = list(BASE)
    v1[3] = "Later reports by international organizations documented about 30,000 victims across 32 cities."
    v2[3] = "Later reports by international organizations documented about 3,000 victims across 32 cities."
    v2[2] = v2[2].replace("were not told", "were told")
    _write(tmp_path / "docs", "a_v1.md", v1)
    _write(tmp_path / "docs", "b_v2.md", v2)
    cli("ingest", "--no-prefect", str(tmp_path / "docs"))
    docs = cli.json("documents")["documents"]
    assert docs[1]["relation"] == "revision" and docs[1]["relation_reason"] == "edited: 2 spans"
    diff = cli.json("diff", str(docs[0]["id"]), str(docs[1]["id"]))
    assert diff["summary"][0] == "figures changed: 30,000 → 3,000"
    assert any(line.startswith("negation removed: not") for line in diff["summary"])
    text = cli("diff", str(docs[0]["id"]), str(docs[1]["id"])).output
    assert "about [-30,000-] {+3,000+} victims" in text
    history = cli.json("history", f"doc:{docs[1]['id']}")
    assert history["versions"][1]["diffed_against"] == docs[0]["id"]
    assert history["versions"][1]["change"]["summary"][0] == "figures changed: 30,000 → 3,000"

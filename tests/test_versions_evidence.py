"""A version label is evidence: an edit that changes meaning is a revision, and the diff shows it.

Long real text (seed 000, an encyclopedia article on the 1988 executions) is
edited in one place at a time -- a figure, a year, a name, a negation added or
removed, one sentence removed -- and every edit must come out as a revision
with the change visible in the diff.  Layout-only changes (re-wrapped lines,
the HTML/Markdown/PDF renditions made with pandoc and LibreOffice in
tests/fixtures/versions/, the seed 003 PDF and HTML) must come out as
renditions, related to the version with the same words.
"""

from __future__ import annotations

import re
import shutil
import textwrap

import pytest

from conftest import CORPUS
from storage.works.confirm import RENDITION, REVISION, compare
from storage.works.diffing import diff_texts, render
from storage.works.words import compare_words

SEED_000 = (CORPUS / "000_eb76b57703d98c0a.txt").read_text(encoding="utf-8")
FIXTURES = CORPUS.parent / "tests" / "fixtures" / "versions"


def _once(text: str, old: str, new: str) -> str:
    assert old in text, old
    i = text.index(old)
    return text[:i] + new + text[i + len(old):]


def _without_sentence(text: str, start: str) -> tuple[str, str]:
    i = text.index(start)
    j = text.index(". ", i) + 2
    return text[:i] + text[j:], text[i:j].strip()


SENTENCE_REMOVED, REMOVED_SENTENCE = _without_sentence(SEED_000, "In November 2019, Sweden arrested Hamid Nouri")

# (edited text, what the diff summary must say, what the marked diff must show)
EDITS = {
    "figure": (_once(SEED_000, "about 30,000 people were executed", "about 3,000 people were executed"),
               "figures changed: 30,000 → 3,000", "[-30,000-] {+3,000+}"),
    "year": (_once(SEED_000, "In November 2019, Sweden arrested", "In November 2018, Sweden arrested"),
             "dates changed: 2019 → 2018", "[-2019,-] {+2018,+}"),
    "name": (_once(SEED_000, "between Hossein Ali Montazeri and the officials",
                   "between Ebrahim Raisi and the officials"),
             "names changed: Hossein Ali Montazeri → Ebrahim Raisi", "[-Hossein Ali Montazeri-] {+Ebrahim Raisi+}"),
    "negation added": (_once(SEED_000, "about 30,000 people were executed", "about 30,000 people were not executed"),
                       "negation added: not", "were {+not+} executed"),
    "negation removed": (_once(SEED_000, "trials were not concerned with", "trials were concerned with"),
                         "negation removed: not", "were [-not-] concerned"),
    "sentence removed": (SENTENCE_REMOVED, None, "[-" + REMOVED_SENTENCE),
}


@pytest.mark.parametrize("kind", list(EDITS))
def test_a_meaning_changing_edit_of_a_long_text_is_a_revision(kind):
    edited, summary, marked = EDITS[kind]
    result = compare(SEED_000, edited)
    assert result.level == REVISION, (kind, result.reasons)
    assert result.reasons["same_words"] is False and result.reasons["word_edits"] == 1
    diff = diff_texts(SEED_000, edited)
    assert not diff.identical
    if summary:
        assert summary in " | ".join(diff.summary), diff.summary
        assert diff.summary[0].startswith(summary.split(":")[0])  # meaning changes come first
    assert marked in render(diff), render(diff)[:2000]


def test_a_changed_figure_is_marked_inside_its_sentence():
    edited = EDITS["figure"][0]
    diff = diff_texts(SEED_000, edited)
    [change] = diff.changes
    [sentence] = [s for s in change.sentences if s.op != "equal"]
    assert sentence.op == "changed"
    assert [(w.op, w.text) for w in sentence.words if w.op != "equal"] == [("removed", "30,000"), ("added", "3,000")]


def test_digit_differences_survive_normalization():
    for old, new in [("30,000", "3,000"), ("32 cities", "23 cities"), ("32 cities", "3 2 cities"),
                     ("1988", "1989"), ("30,000", "30 000")]:
        text = SEED_000.replace("about 30,000 people", f"about {old} people", 1)
        edited = SEED_000.replace("about 30,000 people", f"about {new} people", 1)
        assert not compare_words(text, edited).same, (old, new)
    # the same number written with another group separator is the same words
    assert compare_words(SEED_000, SEED_000.replace("30,000", "30.000")).same


def test_rewrapped_lines_are_a_rendition():
    wrapped = "\n\n".join("\n".join(textwrap.wrap(p, 55)) for p in SEED_000.split("\n\n"))
    assert wrapped != SEED_000
    result = compare(SEED_000, wrapped)
    assert result.level == RENDITION and result.reasons["same_words"] is True
    assert diff_texts(SEED_000, wrapped).identical


def _ingest(cli, folder):
    cli("ingest", "--no-prefect", str(folder))
    return {d["source"].rsplit("/", 1)[-1]: d for d in cli.json("documents")["documents"]}


def test_relations_point_at_the_closest_version(cli, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    edited = EDITS["figure"][0]
    (folder / "a_original.txt").write_text(SEED_000, encoding="utf-8")
    (folder / "b_edited.txt").write_text(edited, encoding="utf-8")
    (folder / "c_original_rewrapped.txt").write_text(
        "\n\n".join("\n".join(textwrap.wrap(p, 60)) for p in SEED_000.split("\n\n")), encoding="utf-8")
    (folder / "d_edited_rewrapped.txt").write_text(
        "\n\n".join("\n".join(textwrap.wrap(p, 48)) for p in edited.split("\n\n")), encoding="utf-8")
    docs = _ingest(cli, folder)
    a, b, c, d = (docs[n] for n in sorted(docs))
    assert len({x["work_id"] for x in (a, b, c, d)}) == 1
    shown = {n: cli.json("show", str(docs[n]["id"])) for n in docs}
    assert (b["relation"], shown["b_edited.txt"]["related_document_id"], b["relation_reason"]) == \
        ("revision", a["id"], "edited: 1 spans")
    spans = shown["b_edited.txt"]["differences"]["spans"]
    assert [(s["old"], s["new"]) for s in spans] == [("30000", "3000")]
    assert "figures changed: 30,000 → 3,000" in shown["b_edited.txt"]["differences"]["summary"]
    # each rendition relates to the version with its words, not to the latest or the most similar
    assert (c["relation"], shown["c_original_rewrapped.txt"]["related_document_id"], c["relation_reason"]) == \
        ("rendition", a["id"], "same words")
    assert (d["relation"], shown["d_edited_rewrapped.txt"]["related_document_id"]) == ("rendition", b["id"])

    history = cli.json("history", f"doc:{d['id']}")
    rows = {r["id"]: r for r in history["versions"]}
    assert history["document_id"] == d["id"] and history["work_id"] == a["work_id"]
    assert rows[d["id"]]["diffed_against"] == b["id"] and rows[d["id"]]["change"]["words_added"] == 0
    assert rows[c["id"]]["diffed_against"] == a["id"]
    assert "figures changed: 30,000 → 3,000" in rows[b["id"]]["change"]["summary"]
    assert all(r["date_is_ingest_date"] and r["date"] is None for r in rows.values())
    text = cli("history", str(b["id"]), "--document").output
    assert "(ingested)" in text and "figures changed: 30,000 → 3,000" in text and "[edited: 1 spans]" in text


def test_pandoc_html_markdown_and_pdf_renditions_are_renditions(cli, tmp_path):
    folder = tmp_path / "notice"
    folder.mkdir()
    for ext in ("md", "html", "pdf"):
        shutil.copy(FIXTURES / f"register_notice.{ext}", folder / f"register_notice.{ext}")
    edited = (FIXTURES / "register_notice.md").read_text(encoding="utf-8").replace(
        "37 volumes were missing", "73 volumes were missing")
    (folder / "register_notice_edited.md").write_text(edited, encoding="utf-8")
    docs = _ingest(cli, folder)
    assert all(d["status"] == "stored" for d in docs.values()), docs
    assert len({d["work_id"] for d in docs.values()}) == 1
    relations = {n: (d["relation"], d["relation_reason"]) for n, d in docs.items()}
    originals = [n for n, r in relations.items() if r[0] == "original"]
    assert len(originals) == 1 and originals[0] != "register_notice_edited.md", relations
    for name in ("register_notice.md", "register_notice.html", "register_notice.pdf"):
        if name != originals[0]:
            assert relations[name] == ("rendition", "same words"), relations
    assert relations["register_notice_edited.md"] == ("revision", "edited: 1 spans"), relations
    pdf = docs["register_notice.pdf"]
    assert pdf["file_date"] and pdf["date"] != pdf["file_date"]  # /CreationDate is the file's date


def _seed_folder(tmp_path):
    folder = tmp_path / "seeds"
    folder.mkdir()
    for path in sorted(CORPUS.glob("00[0-4]_*.txt")):
        shutil.copy(path, folder / path.name)
    for name in ("003_amnesty_statement.pdf", "003_amnesty_statement.html"):
        shutil.copy(CORPUS / "renditions" / name, folder / name)
    return folder


def test_seed_renditions_and_works_without_a_manifest(cli, tmp_path):
    docs = _ingest(cli, _seed_folder(tmp_path))
    seed = {n[:3]: d for n, d in docs.items() if n.endswith(".txt")}
    pdf, html = docs["003_amnesty_statement.pdf"], docs["003_amnesty_statement.html"]
    assert seed["000"]["work_id"] == seed["001"]["work_id"]
    assert seed["001"]["relation"] == "revision"
    assert len({seed[p]["work_id"] for p in ("000", "002", "003", "004")}) == 4
    for rendition in (pdf, html):
        detail = cli.json("show", str(rendition["id"]))
        assert rendition["work_id"] == seed["003"]["work_id"]
        assert (rendition["relation"], rendition["relation_reason"]) == ("rendition", "same words"), detail[
            "differences"]
        assert detail["related_document_id"] == seed["003"]["id"]
    assert pdf["date"] != pdf["file_date"] == "2026-11-23"


def test_seed_manifest_curator_relations_and_dates(cli):
    cli("ingest", "--no-prefect", str(CORPUS))
    docs = {d["source"].rsplit("/", 1)[-1]: d for d in cli.json("documents")["documents"]}
    seed_003 = docs["003_50b2b079aba8eece.txt"]
    pdf, html = docs["003_amnesty_statement.pdf"], docs["003_amnesty_statement.html"]
    for rendition in (pdf, html):
        assert (rendition["relation"], rendition["relation_reason"]) == ("rendition", "curator: manifest")
        assert cli.json("show", str(rendition["id"]))["related_document_id"] == seed_003["id"]
    # the PDF's own date is the statement's (manifest), its /CreationDate is only the file's date
    assert pdf["date"] == "2023-02-06" and pdf["file_date"] == "2026-11-23"
    history = cli.json("history", "MDE 13/6418/2023")
    order = [r["id"] for r in history["versions"]]
    assert order.index(seed_003["id"]) == 0
    assert {r["id"]: r["date"] for r in history["versions"]}[pdf["id"]] == "2023-02-06"


def test_a_curators_word_wins_and_the_difference_is_kept(cli, tmp_path):
    folder = tmp_path / "curated"
    folder.mkdir()
    (folder / "a.txt").write_text(SEED_000, encoding="utf-8")
    (folder / "b.txt").write_text(EDITS["figure"][0], encoding="utf-8")
    (folder / "c.txt").write_text(SEED_000.replace("\n\n", "\n\n\n"), encoding="utf-8")
    (folder / "manifest.toml").write_text(
        '[[document]]\nfile = "a.txt"\n\n'
        '[[document]]\nfile = "b.txt"\nrendition_of = "a.txt"\n\n'
        '[[document]]\nfile = "c.txt"\nrevision_of = "a.txt"\n', encoding="utf-8")
    docs = _ingest(cli, folder)
    b = cli.json("show", str(docs["b.txt"]["id"]))
    c = cli.json("show", str(docs["c.txt"]["id"]))
    assert (b["relation"], b["relation_reason"], b["related_document_id"]) == \
        ("rendition", "curator: manifest", docs["a.txt"]["id"])
    assert b["differences"]["same_words"] is False and b["differences"]["edits"] == 1  # still on record
    assert (c["relation"], c["relation_reason"]) == ("revision", "curator: manifest")
    report = cli.json("regroup")  # the rebuild honours the manifest too
    assert report["moved"] == [] and report["relabelled"] == []


def test_regroup_relabels_an_edit_filed_as_a_rendition(cli, tmp_path):
    import sqlite3

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(SEED_000, encoding="utf-8")
    (folder / "b.txt").write_text(EDITS["negation added"][0], encoding="utf-8")
    docs = _ingest(cli, folder)
    with sqlite3.connect(cli.home / "archive.sqlite3") as con:  # what the old rule filed
        con.execute("UPDATE documents SET relation = 'rendition', relation_reason = NULL WHERE id = ?",
                    (docs["b.txt"]["id"],))
    report = cli.json("regroup")
    assert [e["document_id"] for e in report["relabelled"]] == [docs["b.txt"]["id"]]
    after = cli.json("show", str(docs["b.txt"]["id"]))
    assert (after["relation"], after["relation_reason"]) == ("revision", "edited: 1 spans")
    assert any(line.startswith("negation added: not") for line in after["differences"]["summary"])


def test_dates_marked_as_ingest_dates_in_history_text(cli, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(SEED_000, encoding="utf-8")
    docs = _ingest(cli, folder)
    out = cli("history", str(docs["a.txt"]["work_id"])).output
    assert re.search(r"v1 doc \d+ \d{4}-\d{2}-\d{2} \(ingested\)", out), out

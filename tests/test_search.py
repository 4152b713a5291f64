"""Search fit for research (issue 15) and bounded queries (issue 12.8), on SQLite and PostgreSQL.

The corpus is ingested once into each database; the same query table runs
on both and must give the same documents. Persian/Arabic spelling variants
are checked with small documents written here, each variant searched with
the other.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text as sql

from conftest import CORPUS, Cli
from storage import Archive
from storage.search import MAX_TERMS, SearchQueryError, SearchTimeout, parse
from storage.search.normalize import tokens
from storage.search.query import as_phrase, to_fts5, to_tsquery
from storage.search.run import time_bound

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def both(tmp_path_factory, postgres):
    """The corpus ingested into a SQLite archive and a PostgreSQL one."""
    root = tmp_path_factory.mktemp("search")
    clis = (Cli(root / "sqlite"), Cli(root / "pg", postgres.create_database("archivist_search")))
    for cli in clis:
        result = cli.json("ingest", "--no-prefect", str(CORPUS))
        assert result["counts"]["failed"] == 0, result["failures"]
    return clis


@pytest.fixture(params=["sqlite", "postgresql"])
def corpus_cli(request, both) -> Cli:
    return both[0] if request.param == "sqlite" else both[1]


def _seeds(cli: Cli) -> dict[int, str]:
    """Document id → seed number ("000"…"004") of the corpus file it was made from."""
    out = {}
    for d in cli.json("documents")["documents"]:
        name = d["source"].rsplit("/", 1)[-1]
        out[d["id"]] = name[:3]
    return out


def _found_seeds(cli: Cli, *args: str) -> set[str]:
    seeds = _seeds(cli)
    return {seeds[i] for h in cli.json("search", *args, "--limit", "50")["hits"] for i in h["documents"]}


# -- what is indexed -------------------------------------------------------------------


def test_death_commission_still_finds_its_documents(corpus_cli):
    found = _found_seeds(corpus_cli, "Death Commission")
    assert {"000", "002", "003", "004"} <= found
    assert "001" not in found  # "death committee", never the phrase


def test_text_only_in_003s_footnotes_is_found_and_names_the_note(corpus_cli):
    shown = {d["id"]: corpus_cli.json("show", str(d["id"])) for d in corpus_cli.json("documents")["documents"]}
    assert not any("on file with Amnesty" in d["text"] for d in shown.values())  # notes only
    hits = corpus_cli.json("search", '"on file with Amnesty"')["hits"]
    assert len(hits) == 1 and {_seeds(corpus_cli)[i] for i in hits[0]["documents"]} == {"003"}
    notes = hits[0]["notes"]
    assert notes and all("[Amnesty]" in n["snippet"] for n in notes)
    doc = shown[hits[0]["id"]]
    by_seq = {i: n for i, n in enumerate(doc["footnotes"], start=1)}
    first = notes[0]
    assert by_seq[first["seq"]]["label"] == first["label"]
    assert first["cited_at"]  # the sentence of the note's marker
    linked = corpus_cli.json("show", str(hits[0]["id"]), "--note", str(first["seq"]))
    assert linked["label"] == first["label"] and "on file with Amnesty" in linked["text"]
    assert linked["markers"] and linked["markers"][0]["context"]


def test_persian_title_in_003s_notes_found_with_persian_yeh(corpus_cli):
    # The note spells محلاتي and پيرامون with Arabic yeh; a Persian keyboard types ی.
    hits = corpus_cli.json("search", "note:محلاتی پیرامون")["hits"]
    assert {_seeds(corpus_cli)[i] for h in hits for i in h["documents"]} == {"003"}
    assert any(n["label"] == "35" for n in hits[0]["notes"])


def test_identifier_and_title_fields(corpus_cli):
    assert _found_seeds(corpus_cli, "id:MDE 13/6418/2023") == {"003"}
    assert _found_seeds(corpus_cli, "id:MDE*") == {"003"}
    by_title = corpus_cli.json("search", "title:diplomats")["hits"]
    assert [h["work_id"] for h in by_title] == [corpus_cli.json("search", "title:diplomats")["hits"][0]["work_id"]]
    assert not corpus_cli.json("search", "title:Khavaran")["hits"]  # in the text, never in a title


def test_khomein_prefix_finds_every_document_that_mentions_khomeini(corpus_cli):
    mentions = {_seeds(corpus_cli)[d["id"]] for d in corpus_cli.json("documents")["documents"]
                if "khomein" in (corpus_cli.json("show", str(d["id"]))["text"] or "").lower()}
    assert len(mentions) == 5
    assert _found_seeds(corpus_cli, "Khomein*") == mentions
    assert not corpus_cli.json("search", "Khomein")["hits"]  # without * only the whole word


def test_a_work_with_three_renditions_appears_once(corpus_cli):
    hits = corpus_cli.json("search", "Death Commission")["hits"]
    works = [h["work_id"] for h in hits]
    assert len(works) == len(set(works))
    amnesty = [h for h in hits if {_seeds(corpus_cli)[i] for i in h["documents"]} == {"003"}]
    assert len(amnesty) == 1 and len(amnesty[0]["documents"]) == 3
    assert all(h["total"] == len(hits) for h in hits)


def test_paging_and_total(corpus_cli):
    everything = corpus_cli.json("search", "1988", "--limit", "50")["hits"]
    assert len(everything) >= 4 and everything[0]["total"] == len(everything)
    pages = [corpus_cli.json("search", "1988", "--limit", "2", "--offset", str(o))["hits"] for o in (0, 2)]
    assert [h["work_id"] for p in pages for h in p] == [h["work_id"] for h in everything][:4]
    assert all(h["total"] == len(everything) for p in pages for h in p)
    assert "\n" not in "".join(h["snippet"] for h in everything)


def test_filters(corpus_cli):
    assert _found_seeds(corpus_cli, "Death Commission", "--format", "pdf") == {"003"}
    assert _found_seeds(corpus_cli, "Death Commission", "--identifier", "MDE 13/6418/2023") == {"003"}
    assert _found_seeds(corpus_cli, "Death Commission", "--date-from", "2023", "--date-to", "2023-02") == {"003"}
    assert not corpus_cli.json("search", "Death Commission", "--date-to", "1999")["hits"]
    assert not corpus_cli.json("search", "Death Commission", "--language", "fa")["hits"]
    work = corpus_cli.json("search", "Death Commission")["hits"][0]["work_id"]
    assert {h["work_id"] for h in corpus_cli.json("search", "1988", "--work", str(work))["hits"]} == {work}


# -- one language, the same on both databases -----------------------------------------

QUERY_TABLE = [
    "Death Commission", '"mass graves"', "Khomein*", "Khavaran OR Raisi", "1988 -Khavaran", "fatwa -Montazeri",
    "(Raisi OR Pourmohammadi) executions", 'note:"on file"', "title:massacre", "id:MDE*", "prisoners executed",
    "مصاحبه", "nothingmatchesthisword", '"Amnesty International" -(fatwa OR Khavaran)',
]


@pytest.mark.parametrize("query", QUERY_TABLE)
def test_the_same_query_gives_the_same_documents_on_both_databases(both, query):
    found = []
    for cli in both:
        shas = {d["id"]: d["sha256"] for d in cli.json("documents")["documents"]}
        hits = cli.json("search", query, "--limit", "50")["hits"]
        assert all(h["snippet"] and "\n" not in h["snippet"] for h in hits), hits
        found.append(({shas[i] for h in hits for i in h["documents"]}, hits[0]["total"] if hits else 0))
    assert found[0] == found[1], query
    assert bool(found[0][0]) == (query != "nothingmatchesthisword"), query


def test_exclusion_and_or_are_operators_on_both(both):
    for cli in both:
        with_fatwa = _found_seeds(cli, "fatwa")
        assert with_fatwa and not (_found_seeds(cli, "1988 -fatwa") & with_fatwa)
        assert _found_seeds(cli, "fatwa OR Khavaran") == with_fatwa | _found_seeds(cli, "Khavaran")


# -- Persian and Arabic spelling variants ------------------------------------------------

VARIANTS = [  # (written, typed): each must find the other
    ("كتاب", "کتاب"),                    # Arabic kaf / Persian keheh
    ("زنداني", "زندانی"),                  # Arabic yeh / Persian yeh
    ("مى‌روند", "میروند"),                 # alef maksura + ZWNJ / Persian yeh without ZWNJ
    ("مدرسة", "مدرسه"),                    # teh marbuta / heh
    ("إعدام", "اعدام"),                    # alef with hamza below / bare alef
    ("آزادی", "ازادی"),                    # alef with madda / bare alef
    ("كـــشتار", "کشتار"),                 # tatweel
    ("مُحَمَّد", "محمد"),                  # harakat
    ("۱۳۶۷", "1367"),                      # Persian digits / ASCII
    ("١٣٦٧", "۱۳۶۷"),                      # Arabic-Indic / Persian digits
    ("ﻛﺸﺘﺎﺭ", "کشتار"),                   # presentation forms
    ("Exécutions", "executions"),          # Latin diacritics and case
]


@pytest.mark.parametrize("written,typed", VARIANTS)
def test_each_spelling_variant_finds_the_other(any_cli, tmp_path, written, typed):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(f"گزارش درباره {written} در تابستان.\n", encoding="utf-8")
    (folder / "b.txt").write_text(f"A note about {typed} in the summer of that year.\n", encoding="utf-8")
    any_cli.json("ingest", "--no-prefect", str(folder))
    docs = {d["source"].rsplit("/", 1)[-1]: d["id"] for d in any_cli.json("documents")["documents"]}
    for query, expected in ((typed, {docs["a.txt"], docs["b.txt"]}), (written, {docs["a.txt"], docs["b.txt"]})):
        found = {i for h in any_cli.json("search", query)["hits"] for i in h["documents"]}
        assert found == expected, (query, found)


def test_normalisation_is_the_same_for_text_and_query():
    assert tokens("مي‌روم") == tokens("میروم") == ["میروم"]
    assert tokens("A/HRC/37/24") == ["a", "hrc", "37", "24"]
    assert tokens("STRASSE") == tokens("straße")


# -- malformed and oversized queries (issue 12.8) --------------------------------------


@pytest.mark.parametrize("query,message", [
    ('"unclosed phrase', "unbalanced quote"),
    ("(Raisi OR", "OR needs a word"),
    ("Raisi)", "unbalanced parenthesis"),
    ("-fatwa", "not excluded"),
    ("OR", "OR needs a word"),
    ("author:Raisi", "unknown field"),
    ("…", "nothing to search for"),
])
def test_malformed_query_is_one_line_exit_2(cli, query, message):
    cli("init")
    result = cli("search", query, expect=2)
    assert message in result.output and len(result.output.strip().splitlines()) == 1, result.output


def test_a_2000_word_query_is_refused_at_once_on_both(any_cli):
    any_cli("init")
    words = " ".join(f"word{i}" for i in range(2000))
    started = time.monotonic()
    result = any_cli("search", words, expect=2)
    assert "query too long" in result.output
    short_words = " ".join(f"w{i}" for i in range(MAX_TERMS + 1))
    assert "at most" in any_cli("search", short_words, expect=2).output
    assert time.monotonic() - started < 10


def test_the_largest_allowed_query_runs_on_both(any_cli):
    """32 terms, ORs, exclusions and nested groups: flat enough for PostgreSQL (no stack depth error)."""
    any_cli("init")
    words = [f"w{i}" for i in range(MAX_TERMS - 4)]
    query = " OR ".join(words) + ' -(a OR b) "c d"'
    parse(query)
    assert any_cli.json("search", query)["hits"] == []
    chained = " ".join(f"x{i}" for i in range(MAX_TERMS))
    assert any_cli.json("search", chained)["hits"] == []


def test_parser_emits_flat_expressions():
    node = parse('title:"mass graves" Khomein* -(fatwa OR Khavaran) id:A/HRC/37/24')
    assert to_fts5(node) == ('((({title} : "mass graves") AND "khomein"* AND ({ids} : "a hrc 37 24")) '
                             'NOT ("fatwa" OR "khavaran"))')
    assert to_tsquery(node) == ("(('mass':A <-> 'graves':A) & 'khomein':* & ('a':B <-> 'hrc':B <-> '37':B "
                                "<-> '24':B) & !('fatwa' | 'khavaran'))")
    with pytest.raises(SearchQueryError):
        parse("((((((deep))))))")
    for bare, phrase_first in (("Death Commission", True), ('"mass graves" Khavaran', False),
                               ("Death -Commission", False), ("Death Commission*", False)):
        assert (as_phrase(parse(bare), bare) is not None) == phrase_first, bare


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_slow_search_is_stopped_by_its_time_bound(backend, tmp_path, request):
    url = request.getfixturevalue("pg_url") if backend == "postgresql" else None
    archive = Archive.open(tmp_path / "archive", url)
    slow = ("SELECT pg_sleep(30)" if backend == "postgresql" else
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 1000000000) "
            "SELECT count(*) FROM c")
    started = time.monotonic()
    try:
        with archive.reading() as session, pytest.raises(SearchTimeout):
            with time_bound(session, 0.3):
                session.execute(sql(slow)).all()
    finally:
        archive.close()
    assert time.monotonic() - started < 10


# -- the index keeps in step --------------------------------------------------------------


def test_regroup_keeps_search_grouped_by_the_current_works(any_cli, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    body = "Witnesses describe the night transfers to Gohardasht in August 1988. " * 20
    (folder / "v1.txt").write_text(body + "First copy.\n", encoding="utf-8")
    (folder / "v2.txt").write_text(body + "Second copy.\n", encoding="utf-8")
    any_cli.json("ingest", "--no-prefect", str(folder))
    before = any_cli.json("search", "Gohardasht")["hits"]
    any_cli.json("regroup")
    after = any_cli.json("search", "Gohardasht")["hits"]
    works = {w["id"]: {d["id"] for d in w["versions"]} for w in any_cli.json("works")["works"]}
    assert sorted(i for h in after for i in h["documents"]) == sorted(i for h in before for i in h["documents"])
    for hit in after:
        assert set(hit["documents"]) <= works[hit["work_id"]]


# -- bounded ranking (speed at 100k documents: tests/benchmarks/bench_search.py) ----------------


def _distinct_texts(folder, n: int, shared: str) -> None:
    """``n`` text files unlike each other (so each is a work of its own), all holding ``shared``."""
    import random

    letters = "abcdefghijklmnopqrstuvwxyz"
    for i in range(n):
        rng = random.Random(i)
        words = ["".join(rng.choice(letters) for _ in range(rng.randint(4, 9))) for _ in range(80)]
        words.insert(rng.randrange(80), shared)
        (folder / f"t{i:02d}.txt").write_text(f"Record {i}\n\n" + " ".join(words) + ".\n", encoding="utf-8")


def test_past_the_candidate_cap_the_total_is_a_bound_and_paging_reaches_every_work_once(any_cli, tmp_path):
    from storage.search import search

    folder = tmp_path / "docs"
    folder.mkdir()
    _distinct_texts(folder, 9, "Ghezel Hesar")
    any_cli.json("ingest", "--no-prefect", str(folder))
    archive = Archive.open(any_cli.home, any_cli.db_url)
    try:
        with archive.reading() as session:
            full = search(session, '"Ghezel Hesar"', limit=50)
            assert full.total_exact and full.total == len(full.hits) == 9
            capped = search(session, '"Ghezel Hesar"', limit=2, candidates=4)
            assert not capped.total_exact and capped.total == 4  # the works of the first 4 matches
            seen = []
            for offset in range(0, 12, 2):
                page = search(session, '"Ghezel Hesar"', limit=2, offset=offset, candidates=4)
                assert page.total >= min(9, offset + len(page.hits))
                # a page past the 4 ranked works reads the remaining matches (here all): the total is then exact
                assert page.total_exact == (offset + 2 > 4) and page.total_exact == (page.total == 9), page
                seen += [h.work_id for h in page.hits]
            first_docs = sorted(d for h in full.hits for d in h.documents)[:4]
            ranked = {h.work_id for h in full.hits if set(h.documents) & set(first_docs)}
    finally:
        archive.close()
    assert sorted(seen) == sorted(h.work_id for h in full.hits)  # every work once, none twice
    assert set(seen[:len(ranked)]) == ranked  # the ranked candidates' works come first
    assert [h.work_id for h in capped.hits] == seen[:2]


def test_a_title_match_ranks_first_for_a_phrase_on_both(any_cli, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    _distinct_texts(folder, 3, "Evin prison")
    (folder / "title.txt").write_text("Evin prison visits\n\nFamilies waited outside for news.\n", encoding="utf-8")
    any_cli.json("ingest", "--no-prefect", str(folder))
    hits = any_cli.json("search", '"Evin prison"')["hits"]
    assert len(hits) == 4 and hits[0]["source"].endswith("title.txt"), [h["source"] for h in hits]


def test_postgresql_plans_each_search_for_its_own_query(pg_url, tmp_path):
    """psycopg prepares a statement run 5 times; a generic plan for the tsquery walks every row."""
    archive = Archive.open(tmp_path / "archive", pg_url)
    try:
        with archive.reading() as session, time_bound(session, 1.0):
            assert session.execute(sql("SHOW plan_cache_mode")).scalar() == "force_custom_plan"
    finally:
        archive.close()

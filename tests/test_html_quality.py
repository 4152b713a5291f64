"""Quality of the HTML path (issue 16): never worse than trafilatura alone, no silent empty text,
boilerplate out and article structure in, publication dates and authors.

Page-level cases are small pages written here or under ``tests/devsets/html/pages`` (the
hand-written part of the development set; ``tests/devsets/html/build.py`` scores the whole set).
"""

from __future__ import annotations

import importlib.util
import json
import pathlib

import pytest

from extractors.html.extractor import HtmlExtractor
from extractors.html.metadata import clean_author
from extractors.record import Hints
from extractors.text.dates import parse_date, written_date, written_dates

DEVSET = pathlib.Path(__file__).parent / "devsets" / "html"
PAGES = DEVSET / "pages"
EXTRACTOR = HtmlExtractor()

# the development-set scorer (the same metric in tests and reports), loaded under its own name:
# other development sets have a build.py too
_SPEC = importlib.util.spec_from_file_location("html_devset_build", DEVSET / "build.py")
devset = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(devset)


def extract(html: str, **hints):
    return EXTRACTOR.extract(html.encode("utf-8"), Hints(**hints))


def sentence(n: int, words: str = "heard testimony from families of the detainees") -> str:
    return (f"On day {n} the commission {words}, who described the transfers, the interrogations and "
            f"the long silence that followed their arrest in the summer.")


# --- never worse than trafilatura, never silently empty ------------------------------------


def test_article_inside_a_boilerplate_named_box_falls_back_to_trafilatura_with_a_warning():
    # the story sits in a "modal" box (short paragraphs, so it does not read as a long article);
    # boilerplate removal takes it out, trafilatura alone keeps it: its text is used, with a warning
    lines = [f"Day {i}: the families described the transfers, and the long silence after it." for i in range(12)]
    story = "".join(f"<p>{line}</p>" for line in lines)
    links = "".join(f'<li><a href="/s/{i}">Story number {i} from the other pages of this site</a></li>'
                    for i in range(25))
    page = (f"<html><body><div class='render-target-modal'><h1>Testimony</h1>{story}</div>"
            f"<div><ul>{links}</ul></div></body></html>")
    doc = extract(page)
    for line in lines:
        assert line in doc.text
    assert doc.metadata.extra["main_text_method"] == "trafilatura-plain"
    assert any("trafilatura alone" in w for w in doc.warnings), doc.warnings


def test_a_page_whose_text_comes_out_empty_is_a_warning():
    doc = extract("<html><head><title>Menu</title></head><body><nav><a href='/'>Home</a> "
                  "<a href='/about'>About</a></nav></body></html>")
    assert doc.text == ""
    assert any("no main text" in w for w in doc.warnings), doc.warnings


def test_first_paragraph_beginning_like_the_title_is_not_taken_for_the_headline():
    # the headline guess is the first 96 characters of the first paragraph: only a paragraph that
    # IS the headline is dropped, never one that merely starts like it
    first = sentence(1) + " " + sentence(2)
    page = (f"<html><head><meta property='og:title' content='{first[:96]}'></head><body>"
            f"<div><p>{first}</p></div></body></html>")
    doc = extract(page)
    assert first in doc.text
    assert not any("no main text" in w for w in doc.warnings)


@pytest.fixture(scope="module")
def devset_rows():
    return devset.score(devset.load_set([PAGES]))["rows"]


def test_devset_pages_are_never_worse_than_trafilatura(devset_rows):
    assert len(devset_rows) >= 11
    for row in devset_rows:
        assert row["ours"][2] >= row["theirs"][2] - 0.01, row["name"]
        assert row["ours_text"][2] >= row["theirs"][2] - 0.01, row["name"]
        assert not row["empty"], row["name"]


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


def test_devset_floors(devset_rows):
    # the floors reached on the hand-written pages (the mozilla/readability part of the set is not
    # committed: tests/devsets/html/build.py scores it, see the README): main-text F1 0.997 against
    # trafilatura's 0.991, every title, date and author right where trafilatura misses 3 of 9 authors
    ours, theirs = _mean(r["ours"][2] for r in devset_rows), _mean(r["theirs"][2] for r in devset_rows)
    assert ours >= 0.995 and ours >= theirs + 0.005, (ours, theirs)
    for field in ("title", "date", "author"):
        scored = [r[field] for r in devset_rows if r[field] is not None]
        assert len(scored) >= 7, field
        assert all(ok for ok, _ in scored), [r["name"] for r in devset_rows if r[field] and not r[field][0]]
    authors = [r["author"] for r in devset_rows if r["author"] is not None]
    assert _mean(ok for ok, _ in authors) >= _mean(theirs_ok for _, theirs_ok in authors) + 0.3


def test_devset_scoring_takes_reference_marks_out_of_every_text():
    # archivist keeps "[12]" as a marker, not as characters: a gold sentence with the mark left in
    # would lose the 4-grams that span it, on archivist's side only
    gold = "The commission heard the families of the detainees.[12] It met again in the spring[n 3] of 1989."
    ours = "The commission heard the families of the detainees. It met again in the spring of 1989."
    assert devset.prf(ours, gold) == (1.0, 1.0, 1.0)
    assert devset.prf(gold, gold) == (1.0, 1.0, 1.0)
    assert devset.prf("[edit] The commission heard the families", "The commission heard the families")[0] < 1.0


def test_devset_folders_are_counted_once(tmp_path):
    # "--pages tests/devsets/html/pages" names the default folder again: its pages are scored once
    again = PAGES.parent / ".." / "html" / "pages"
    assert devset.unique_folders([PAGES, again, tmp_path / "missing"]) == [PAGES]


# --- boilerplate named like it, text that is not ----------------------------------------


def test_section_whose_id_is_its_heading_slug_is_kept():
    # documentation generators name sections after their heading: "sharing-with-…" is not a share bar
    lines = ["Publishing repositories keep every changeset immutable once it has been pushed there.",
             "A non-publishing repository lets the same developer amend drafts from two machines.",
             "Obsolescence markers travel with the changesets when either clone pulls from the other."]
    body = "".join(f"<p>{line}</p>" for line in lines)
    intro = "".join(f"<p>{sentence(i, 'read the guide')}</p>" for i in range(10, 14))
    page = (f"<html><body><div class='document'><h1>Guide</h1>{intro}"
            f"<div class='section' id='sharing-with-a-single-developer'><h2>Sharing with a single developer</h2>"
            f"{body}</div><p>{sentence(20, 'closed the guide')}</p></div></body></html>")
    doc = extract(page)
    assert "Sharing with a single developer" in doc.text
    for line in lines:
        assert line in doc.text


def test_link_inside_a_sentence_is_kept_whatever_its_class():
    page = ("<html><body><article>" + "".join(f"<p>{sentence(i)}</p>" for i in range(3)) +
            "<p>At last he answered <a class='popup' href='#n1'>that he would prefer not to</a>, and the clerk "
            "left the office without another word that evening.</p></article></body></html>")
    doc = extract(page)
    assert "At last he answered that he would prefer not to, and the clerk" in doc.text


def test_read_more_box_holding_the_story_is_kept():
    rest = "".join(f"<p>{sentence(i)} {sentence(i + 20)}</p>" for i in range(6))
    nav = "".join(f"<li><a href='/{i}'>Section {i}</a></li>" for i in range(30))
    first = "".join(f"<p>{sentence(i + 40)} {sentence(i + 60)}</p>" for i in range(7))
    page = (f"<html><body><ul class='site-nav'>{nav}</ul><article><h1>Testimony</h1>{first}"
            f"<div id='read-more'>{rest}</div></article></body></html>")
    doc = extract(page)
    for i in range(6):
        assert sentence(i + 20) in doc.text
    assert "Section 7" not in doc.text


def test_boilerplate_in_the_article_goes_and_lists_tables_quotes_stay():
    doc = EXTRACTOR.extract((PAGES / "boilerplate-in-article" / "source.html").read_bytes(), Hints())
    text = doc.text
    for kept in ("The second letter reached the family through a released prisoner.",
                 "We waited every day at the gate for news that never came to us.", "Letters returned 12"):
        assert kept in text
    for gone in ("Share this article", "caption describing the photograph", "weekly briefing",
                 "Memorial planned", "12 comments"):
        assert gone not in text


def test_restored_blocks_skip_captions_and_figures():
    # unclassed captions inside the article are not body text even when trafilatura drops them
    paras = "".join(f"<p>{sentence(i)}</p>" for i in range(6))
    page = (f"<html><body><div class='story-body'><h1>Testimony</h1>{paras[:400]}"
            "<figure><div><p>Photograph of the archive building in the capital, taken in the spring of 2019.</p>"
            f"</div></figure>{paras[400:]}</div></body></html>")
    doc = extract(page)
    assert "Photograph of the archive building" not in doc.text
    assert sentence(5) in doc.text


def test_code_block_with_line_breaks_is_not_put_back_a_second_time():
    # trafilatura renders <br> as a space; the page's block read without them ("letters/$ archive")
    # matched no extracted paragraph and was restored after the one trafilatura kept
    paras = "".join(f"<p>{sentence(i)}</p>" for i in range(4))
    page = (f"<html><body><article><h1>Running the tools</h1>{paras}<p>We can run that in any of them:</p>"
            "<pre><code>$ archive ingest letters/<br>$ archive show 4<br>letters, 12 found<br>$ archive verify<br>"
            f"all fixity checks passed</code></pre><p>{sentence(9)}</p></article></body></html>")
    text = extract(page).text
    assert text.count("archive ingest") == 1, text
    assert "$ archive show 4 letters, 12 found $ archive verify" in text
    assert sentence(9) in text


def test_infobox_rows_are_article_text():
    # an encyclopedia's infobox holds facts of the article (readability and trafilatura keep it);
    # navigation boxes and tables of contents are still dropped
    paras = "".join(f"<p>{sentence(i)}</p>" for i in range(5))
    page = ("<html><body><div id='content'><h1>Tadmor Prison</h1>"
            "<table class='infobox vcard'><tr><th>Location</th><td>Palmyra, Syria</td></tr>"
            "<tr><th>Status</th><td>Demolished in May 2015</td></tr></table>"
            "<div class='toc' id='toc'><ul><li><a href='#History'>1 History of the prison site</a></li></ul></div>"
            f"<h2 id='History'>History</h2>{paras}"
            "<table class='navbox'><tr><th>Prisons</th><td><a href='/a'>Evin Prison in Tehran province</a></td>"
            "<td><a href='/b'>Gohardasht Prison in Karaj city</a></td></tr></table></div></body></html>")
    text = extract(page).text
    assert "Palmyra, Syria" in text and "Demolished in May 2015" in text
    assert "History of the prison site" not in text and "Gohardasht" not in text
    assert sentence(4) in text


def test_metadata_elements_anywhere_in_the_page_are_read():
    # <meta>, JSON-LD and <link> are read from the parsed tree, also where they stand in the body
    page = ("<html><head><title>Report | Site</title></head><body>"
            "<link rel='Canonical alternate' href='/reports/2021/a.html'>"
            "<article><h1>Report</h1><meta itemprop='datePublished' content='2021-03-04'>"
            "<script type='application/LD+JSON'>{\"@type\": \"NewsArticle\", \"headline\": \"Report\","
            " \"author\": {\"@type\": \"Person\", \"name\": \"Jane Roe\"}}</script>"
            f"<p>{sentence(1)}</p><p>{sentence(2)}</p></article>"
            "<meta name='keywords' content='detention, archives'></body></html>")
    doc = extract(page, url="https://example.org/x")
    assert doc.metadata.date == "2021-03-04"
    assert doc.metadata.authors == ["Jane Roe"]
    assert doc.metadata.canonical_url == "https://example.org/reports/2021/a.html"
    assert doc.metadata.keywords == ["detention", "archives"]


def test_published_time_comes_before_a_creation_date():
    # JSON-LD's dateCreated in UTC is the next day; the page says when it was published
    page = ("<html><head><meta property='article:published_time' content='2017-02-23T17:18:13-08:00'>"
            "<script type='application/ld+json'>{\"@type\": \"NewsArticle\", \"headline\": \"Report\","
            " \"dateCreated\": \"2017-02-24T01:18:13Z\"}</script></head><body><article><h1>Report</h1>"
            f"<p>{sentence(1)}</p><p>{sentence(2)}</p></article></body></html>")
    assert extract(page).metadata.date == "2017-02-23"


def test_bylines_and_datelines_in_asides_footers_and_links_are_not_the_articles():
    related = ("<aside><div class='Byline'>By Other Writer</div><span class='DATE'>3 March 2011</span></aside>"
               "<footer><p class='author-name'>Footer Person</p></footer>"
               "<a href='/x'><span class='post-date'>4 April 2012</span></a>")
    page = (f"<html lang='en'><body>{related}<article><h1>Testimony heard</h1>"
            "<div class='Article-BYLINE'>By Jane Roe</div><span class='PubDate'>14 May 2023</span>"
            f"<p>{sentence(1)}</p><p>{sentence(2)}</p></article></body></html>")
    meta = extract(page).metadata
    assert meta.authors == ["Jane Roe"]
    assert meta.date == "2023-05-14"


# --- dates --------------------------------------------------------------------------


def _expected(name: str) -> dict:
    return json.loads((PAGES / name / "expected-metadata.json").read_text(encoding="utf-8"))


def _page(name: str):
    return EXTRACTOR.extract((PAGES / name / "source.html").read_bytes(), Hints())


@pytest.mark.parametrize("name", sorted(p.name for p in PAGES.iterdir()
                                        if _expected(p.name).get("publishedTime")))
def test_publication_date_of_devset_pages(name):
    # French/German/Spanish/Japanese bylines, a modified date and other articles' dates before the
    # published one, a copyright year in the footer
    assert _page(name).metadata.date == _expected(name)["publishedTime"]


@pytest.mark.parametrize("name", sorted(p.name for p in PAGES.iterdir() if _expected(p.name).get("byline")))
def test_authors_of_devset_pages(name):
    authors = _page(name).metadata.authors
    assert devset.author_ok(authors, _expected(name)["byline"]), authors
    assert not any(a.lower().startswith(("by ", "par ", "por ", "von ")) for a in authors)


@pytest.mark.parametrize("name", sorted(p.name for p in PAGES.iterdir() if _expected(p.name).get("title")))
def test_titles_of_devset_pages(name):
    # the headline without the site's name, also where words are not separated by spaces (ja-date)
    assert devset.title_ok(_page(name).metadata.title, _expected(name)["title"]), _page(name).metadata.title


def test_organisation_authors_are_kept_apart():
    jsonld = _page("jsonld-published-vs-modified").metadata
    assert jsonld.authors == ["Amina Rahimi"]
    assert jsonld.extra["author_organizations"] == ["Example News"]
    agency = _page("modified-before-published").metadata
    assert agency.authors == ["Jane Doe", "John Roe"]
    assert agency.extra["author_organizations"] == ["Reuters"]


@pytest.mark.parametrize("raw,names", [
    ("By Jane Doe and John Roe | Reuters", ["Jane Doe", "John Roe"]),
    ("Written by Sara Ahmadi Posted: August 27, 2017", ["Sara Ahmadi"]),
    ("Par Jean Dupont, publié le 3 mars 2023", ["Jean Dupont"]),
    ("By Nathan Willis March 25, 2015", ["Nathan Willis"]),
    ("Author: Anna Berg", ["Anna Berg"]),
    ("Bruno (Henrique Zecchin) Rodrigues ", ["Bruno Henrique Zecchin Rodrigues"]),
    ("Martin Untersinger (avec Damien Leloup et Morgane Tual)", ["Martin Untersinger"]),
    ("CC7567", []),
    ("April 28, 2019 at 6:01 am", []),
])
def test_clean_author_stops_at_dates_and_labels(raw, names):
    assert clean_author(raw) == names


@pytest.mark.parametrize("text,iso", [
    ("Publié le 3 mars 2023 à 10h00, mis à jour le 5 mars 2023", "2023-03-03"),
    ("Veröffentlicht am 12.04.2022, 10:15 Uhr", "2022-04-12"),
    ("7 de septiembre de 2021", "2021-09-07"),
    ("Opublikowano: 12 marca 2023", "2023-03-12"),
    ("2016年11月3日 10:00", "2016-11-03"),
    ("By Jane | March 12, 2023 Updated March 14, 2023", "2023-03-12"),
    ("Updated March 14, 2023", None),
    ("© 2023 Example Rights Watch", None),
    ("5 days ago", None),
])
def test_written_dates_in_many_languages(text, iso):
    assert written_date(text) == iso


def test_written_dates_skip_updates_and_keep_order():
    assert written_dates("Posted 1 May 2020. Last updated: 3 June 2021. Event on 9 July 2019.") == [
        "2020-05-01", "2019-07-09"]


def test_parse_date_is_unchanged_for_its_callers():
    assert parse_date("6 February 2023") == "2023-02-06"
    assert parse_date("July 2019") == "2019-07"
    assert parse_date("2023") == "2023"
    assert parse_date("3 mars 2023") is None  # written_date reads other languages; parse_date never did

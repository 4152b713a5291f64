"""Wikitext extractor: refs, named/list-defined refs, sfn/efn, cite templates, seed 001."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.errors import DecodingError
from extractors.markdown import MarkdownExtractor
from extractors.plaintext import PlainTextExtractor
from extractors.record import Hints
from extractors.wikitext.extractor import WikitextExtractor, group_label

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "wikitext"


def _seed(prefix: str) -> bytes:
    return next(CORPUS.glob(f"{prefix}_*.txt")).read_bytes()


def _extract(data: str | bytes, **hints):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return WikitextExtractor().extract(data, Hints(**hints))


@pytest.fixture(scope="module")
def article():
    return _extract((FIXTURES / "prison_massacre_article.wiki").read_bytes(),
                    url="https://en.wikipedia.org/wiki/1988_executions_of_Iranian_political_prisoners")


@pytest.fixture(scope="module")
def biography():
    return _extract((FIXTURES / "diplomat_biography.wiki").read_bytes())


# -- seed 001 ---------------------------------------------------------------------


def test_seed001_extracts_sensibly():
    doc = _extract(_seed("001"))
    assert doc.format == "wikitext"
    assert doc.metadata.title == "1988 executions of Iranian political prisoners"
    text = doc.text
    assert text.startswith("1988 executions of Iranian political prisoners\n\nIn July 1988, the Supreme Leader")
    for junk in ("Infobox", "- Title:", "- Location:", "</references>", "==", "\ue000"):
        assert junk not in text
    assert "\n\nBackground\n\n" in text and "\n\nKhomeini's order\n\n" in text
    assert "\n\nNotes\n\n" not in text and not text.endswith("Notes")  # empty section dropped
    box = doc.metadata.extra["infobox"]
    assert box["Location"] == "Iran"
    assert box["Convicted"] == "Hamid Nouri"
    assert set(box) == {"Title", "Location", "Accused", "Target", "Date", "Type", "Convicted", "Fatalities"}
    assert any("</references>" in w for w in doc.warnings)
    assert doc.footnotes == []


def test_content_scores_on_seeds():
    wiki, md, plain = WikitextExtractor(), MarkdownExtractor(), PlainTextExtractor()
    seed1 = _seed("001")
    assert wiki.content_score(seed1, Hints()) > 1
    assert md.content_score(seed1, Hints()) == 0
    assert wiki.score(seed1, Hints(filename="a.txt")) > plain.score(seed1, Hints(filename="a.txt"))
    for prefix in ("000", "002", "003", "004"):
        assert wiki.content_score(_seed(prefix), Hints()) == 0, prefix


def test_content_scores_on_fixtures_are_exclusive():
    for name in ("prison_massacre_article.wiki", "diplomat_biography.wiki"):
        data = (FIXTURES / name).read_bytes()
        assert WikitextExtractor().content_score(data, Hints()) > 1
        assert MarkdownExtractor().content_score(data, Hints()) == 0
    # Plain prose with one heading-like line is not wikitext.
    assert WikitextExtractor().content_score(b"= Title =\n\nJust prose here.\n", Hints()) == 0


def test_hint_scores():
    wiki = WikitextExtractor()
    assert wiki.hint_score(Hints(media_type="text/x-wiki")) > 0
    assert wiki.hint_score(Hints(filename="page.wikitext")) > 0


# -- named refs ---------------------------------------------------------------------


def test_named_ref_reused_before_definition_is_one_note():
    doc = _extract(
        "Alpha.<ref name=\"x\" /> Beta.<ref>Other source.</ref> Gamma.<ref name=\"x\">Smith, ''Book'', 2001.</ref>"
        " Delta.<ref name=x/>\n"
    )
    assert [(n.label, n.text, len(n.markers)) for n in doc.footnotes] == [
        ("1", "Smith, Book, 2001.", 3),
        ("2", "Other source.", 1),
    ]
    assert [m.context for m in doc.footnotes[0].markers] == ["Alpha.", "Gamma.", "Delta."]
    assert doc.text == "Alpha. Beta. Gamma. Delta."


def test_undefined_named_ref_warns():
    doc = _extract("Alpha.<ref name=\"missing\" /> Beta.<ref>B.</ref>\n")
    assert [(n.label, n.text) for n in doc.footnotes] == [("2", "B.")]
    assert any("missing" in w and "never defined" in w for w in doc.warnings)


def test_list_defined_refs_in_references_tag():
    doc = _extract(
        "One.<ref name=a/> Two.<ref name=b/> Three.<ref name=a/>\n\n== References ==\n"
        "<references>\n<ref name=b>Bee.</ref>\n<ref name=a>Ay.</ref>\n<ref name=c>Unused.</ref>\n</references>\n"
    )
    assert [(n.label, n.text, len(n.markers)) for n in doc.footnotes] == [("1", "Ay.", 2), ("2", "Bee.", 1)]
    assert any("'c'" in w for w in doc.warnings)
    assert doc.text == "One. Two. Three."


def test_sfn_identical_calls_share_one_note():
    doc = _extract(
        "A.{{sfn|Smith|2001|p=5}} B.{{sfn|Smith|2001|p=5}} C.{{sfn|Smith|Jones|2001|pp=5–7}}"
        " D.{{sfnp|Doe|2010|loc=ch. 3}}\n"
    )
    assert [(n.label, n.text, len(n.markers)) for n in doc.footnotes] == [
        ("1", "Smith 2001, p. 5", 2),
        ("2", "Smith & Jones 2001, pp. 5–7", 1),
        ("3", "Doe (2010), ch. 3", 1),
    ]
    cite = doc.footnotes[0].citations[0]
    assert (cite.author, cite.date, cite.pinpoint) == ("Smith", "2001", "p. 5")


def test_group_labels():
    assert [group_label("", i) for i in (1, 2, 10)] == ["1", "2", "10"]
    assert [group_label("lower-alpha", i) for i in (1, 2, 26, 27)] == ["a", "b", "z", "aa"]
    assert group_label("upper-alpha", 3) == "C"
    assert group_label("lower-roman", 4) == "iv"
    assert group_label("note", 2) == "note 2"


# -- Wikipedia-style fixtures: the exact note set -------------------------------------


ARTICLE_NOTES = [
    ("2", 4, "Amnesty International. Blood-soaked secrets: Why Iran's 1988 prison massacres are ongoing crimes "
             "against humanity. 4 December 2018. https://www.amnesty.org/en/documents/mde13/9421/2018/en/"),
    ("3", 2, "Abrahamian 1999, p. 210"),
    ("4", 1, "Lamb, Christina. \"Khomeini fatwa 'led to killing of 30,000 in Iran'\". The Daily Telegraph. "
             "4 February 2001. https://www.telegraph.co.uk/news/worldnews/1321234/Khomeini-fatwa.html"),
    ("a", 1, "The operation was known in Iran as Operation Mersad (عملیات مرصاد) and by the MEK as Eternal Light."),
    ("7", 2, "Montazeri, Hossein-Ali. Memoirs. Self-published. 2000."),
    ("8", 1, "Montazeri, Hossein-Ali. Memoirs, p. 300."),
    ("1", 1, "Abrahamian, Ervand. \"Tortured Confessions: Prisons and Public Recantations in Modern Iran\". "
             "University of California Press. 1999. https://example.org/tortured-confessions"),
    ("b", 2, "Prisoners called them \"death commissions\"."),
    ("9", 1, "Rehman 2024, para. 12"),
    ("note 1", 1, "Survivor testimony is collected by the Iran Tribunal."),
    ("10", 1, "Abrahamian 1999, p. 215"),
    ("11", 1, "\"Iran Tribunal: Final judgment\". Iran Tribunal. 5 February 2013. http://www.irantribunal.com/judgment"),
    ("note 2", 1, "Held annually since 1989."),
    # Refs that a reader sees in the list but whose markers are not in the canonical
    # text (an image caption, a ref nested in an efn note).
    ("5", 0, "Shahrooz, Kaveh. \"With Revolutionary Rage and Rancor\". Harvard Human Rights Journal. 2007."),
    ("6", 0, "Cronin, Stephanie. Reformers and Revolutionaries in Modern Iran. Routledge. 2004."),
]


def test_article_exact_note_set(article):
    got = [(n.label, len(n.markers), n.text) for n in article.footnotes]
    assert got == ARTICLE_NOTES
    assert article.warnings == ["list-defined ref name='unused' is never used; dropped"]


def test_article_contexts(article):
    notes = {n.label: n for n in article.footnotes}
    assert notes["1"].context == 'The prisoners were questioned by "death commissions" lasting a few minutes each.'
    assert notes["4"].context == "Estimates of the number of victims vary from 2,800 to 5,000 and up to 30,000."
    assert notes["a"].context == "In July 1988 the MEK launched Operation Mersad, an armed incursion from Iraq."
    assert [m.context for m in notes["b"].markers] == [
        'The prisoners were questioned by "death commissions" lasting a few minutes each.',
        "Women were sentenced separately.",
    ]
    # A ref inside {{Quote|text=…}} keeps its marker in the quoted paragraph.
    assert notes["7"].markers[1].context.startswith("Those who are in prison and remain steadfast")
    assert notes["2"].markers[3].context == "Amnesty International | 4,500–5,000"


def test_article_citation_fields(article):
    notes = {n.label: n for n in article.footnotes}
    [lamb] = notes["4"].citations
    assert lamb.author == "Lamb, Christina"
    assert lamb.title == "Khomeini fatwa 'led to killing of 30,000 in Iran'"
    assert lamb.date == "2001-02-04"
    assert lamb.urls == ["https://www.telegraph.co.uk/news/worldnews/1321234/Khomeini-fatwa.html"]
    [journal] = notes["5"].citations
    assert [(i.scheme, i.value) for i in journal.identifiers] == [("doi", "10.2139/ssrn.1012345")]
    assert journal.date == "2007" and journal.pinpoint == "pp. 227–261"
    [book] = notes["6"].citations
    assert [(i.scheme, i.value) for i in book.identifiers] == [("isbn", "9780415331289")]
    assert book.title == "Reformers and Revolutionaries in Modern Iran"
    [report] = notes["2"].citations
    assert report.author == "Amnesty International" and report.date == "2018-12-04"


def test_article_canonical_text(article):
    text = article.text
    for junk in ("[[", "]]", "{{", "}}", "'''", "''", "<ref", "</ref", "Category", "Massenhinrichtungen",
                 "do not change", "NOTOC", "Human rights in Iran", "citation needed", "Operation Mersad}}",
                 "Khavaran", "\ue000", "\ue010", "\ue011"):
        assert junk not in text, junk
    assert text.startswith("The 1988 executions of Iranian political prisoners were a series of state-sponsored")
    assert "supporters of the People's Mojahedin Organization of Iran (Mojahedin-e Khalq), although" in text
    assert "\n\nBackground\n\nIn July 1988 the MEK launched Operation Mersad, an armed incursion" in text
    assert "\n\nEstimated death toll\n\nSource | Estimate\n\nAmnesty International | 4,500–5,000\n\nMEK | 30,000\n\n" in text
    assert "According to Abrahamian (1999, p. 215), the killings were unprecedented." in text
    assert "The commission covered 300 km of prison transfers." in text
    assert "\n\nSurvivors created the Iran Tribunal in 2012.\n\nProtests were held in Paris.\n\n" in text
    assert "\n\nNotes\n\n" not in text


def test_article_metadata(article):
    meta = article.metadata
    assert meta.title == "1988 executions of Iranian political prisoners"
    assert meta.site_name == "Wikipedia" and meta.language == "en"
    assert meta.keywords == ["1988 in Iran", "Mass murder in 1988"]
    box = meta.extra["infobox"]
    assert box["location"] == "Iran"
    assert box["date"] == "19 July 1988 – December 1988"
    assert box["fatalities"] == "2,800–5,000"
    assert meta.extra["infobox_type"] == "civilian attack"
    assert meta.extra["interlanguage"]["de"] == "Massenhinrichtungen im Iran 1988"


BIOGRAPHY_NOTES = [
    ("2", 2, "Sciolino, Elaine. \"Iran Says It Will Aid U.N. on Human Rights Study\". The New York Times. "
             "November 26, 1988. https://www.nytimes.com/1988/11/26/world/iran-says.html"),
    ("3", 1, "Oberlin College faculty page, https://www.oberlin.edu/mohammad-jafar-mahallati"),
    ("a", 1, "Permanent Representative of Iran. \"Letter dated 1 December 1988\". UN Doc. A/43/880. 1988-12-01. "
             "https://digitallibrary.un.org/record/54321"),
    ("4", 2, "Amnesty International (2023), p. 12"),
    ("A", 1, "He was then 35 years old."),
    ("5", 2, "Interview with Masih Alinejad, 16 June 2022."),
    ("6", 1, "Smith & Jones 2001, pp. 5–7; see also Brown 2010."),
    ("7", 1, "Mahallati, Mohammad Jafar. Friendship in Islamic Ethics and World Politics. "
             "University of Michigan Press. 2019."),
    ("1", 0, "\"Alumni of the Institute of Islamic Studies\". McGill University. "
             "https://www.mcgill.ca/islamicstudies/alumni"),
]


def test_biography_exact_note_set(biography):
    got = [(n.label, len(n.markers), n.text) for n in biography.footnotes]
    assert got == BIOGRAPHY_NOTES
    assert biography.warnings == []


def test_biography_details(biography):
    notes = {n.label: n for n in biography.footnotes}
    # A named ref used in the lead before its definition in the body.
    assert notes["2"].markers[0].context.startswith("Mohammad Jafar Mahallati (محمدجعفر محلاتی; born 1953)")
    [nyt] = notes["2"].citations
    assert nyt.date == "1988-11-26" and nyt.author == "Sciolino, Elaine"
    assert nyt.urls == ["https://www.nytimes.com/1988/11/26/world/iran-says.html"]
    [book] = notes["7"].citations
    assert [(i.scheme, i.value) for i in book.identifiers] == [
        ("doi", "10.3998/mpub.9823871"), ("isbn", "9780472131517")]
    assert [c.author for c in notes["6"].citations] == ["Smith & Jones", "Brown"]
    text = biography.text
    assert "hidden commented-out ref" not in text
    assert "His work on Friendship in Islam received attention in ethics circles." in text
    assert biography.metadata.title == "Mohammad Jafar Mahallati"
    assert biography.metadata.extra["infobox"]["native_name"] == "محمدجعفر محلاتی"
    assert biography.metadata.keywords == ["Iranian diplomats", "1953 births"]


# -- odds and ends ------------------------------------------------------------------


def test_inline_templates_keep_text_and_others_drop():
    doc = _extract(
        "{{Use dmy dates}}\nThe '''city''' ({{lang|fa|تهران}}) is {{convert|5|km|mi}} away{{snd}}roughly."
        "{{Citation needed|date=May 2020}} See [[Tehran|the capital]] and [[Iran]]s.<!-- c -->\n"
        "{{Navbox|list1=[[A]]}}\n[[File:X.jpg|thumb|A caption]]\n"
    )
    assert doc.text == "The city (تهران) is 5 km away – roughly. See the capital and Irans."


def test_reflist_refs_and_efn_groups():
    doc = _extract(
        "A.{{efn|First.}} B.<ref name=r1/> C.{{efn|Second.}} D.{{refn|group=n|Grouped.}}\n\n"
        "{{notelist}}\n{{reflist|refs=\n<ref name=r1>{{cite web|title=T|url=http://e.org|date=2020}}</ref>\n}}\n"
        "{{reflist|group=n}}\n"
    )
    assert [(n.label, n.text) for n in doc.footnotes] == [
        ("a", "First."), ("1", '"T". 2020. http://e.org'), ("b", "Second."), ("n 1", "Grouped."),
    ]
    assert doc.footnotes[1].citations[0].urls == ["http://e.org"]


def test_binary_bytes_raise():
    with pytest.raises(DecodingError):
        WikitextExtractor().extract(b"\x00\xff\x00\x01" * 64, Hints())


def test_ref_follow_continues_a_note():
    doc = _extract('A.<ref name="p">First part.</ref> B.<ref follow="p">Second part.</ref> C.<ref>Other.</ref>\n')
    assert [(n.label, n.text, len(n.markers)) for n in doc.footnotes] == [
        ("1", "First part. Second part.", 1), ("2", "Other.", 1)]

"""Plain text: footnotes of PDF-converted text, paragraphs, metadata."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors.assembly import assemble
from extractors.text.language import detect_language
from extractors.plaintext import PlainTextExtractor
from extractors.record import Hints

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "text"


def extract(data: bytes | str):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return PlainTextExtractor().extract(data, Hints(filename="x.txt"))


# Seed 002, read by hand. Notes whose bodies survive the PDF conversion:
# 8 and 9 keep their printed labels; the bare URL lines at the ends of pages
# 2 and 3 lost theirs, and their labels (4, 5, 6, 7) follow from their place
# before note 8. Bodies of notes 1-3 (page 1) are lost: no note for them.
# Each note's marker is the word its (damaged) superscript was glued to.
SEED_002_NOTES = {
    "4": ("https://undocs.org/A/72/322.", "informed the General Assembly"),
    "5": ("https://www.ohchr.org/EN/HRBodies/HRC/RegularSessions/Session37/Documents/A_HRC_37_24.docx.",
          "told the Human Rights Council"),
    "6": ("https://youtu.be/uAo6w1QOFqw.", "in an interview"),
    "7": ("https://www.reuters.com/article/us-iran-protests-specialreport/special-report-irans-leader-"
          "ordered-crackdown-on-unrest-do-whatever-it-takes-to-end-it-idUSKBN1YROQR.", "Reuters reported"),
    "8": ("https://www.ohchr.org/EN/NewsEvents/Pages/DisplayNews.aspx?NewsID=25393&LangID=E.", "expressed alarm"),
    "9": ("https://www.wsj.com/articles/iran-restores-internet-access-as-protests-subside-but-threatens-more-"
          "arrests-11574618022.", "The Wall Street Journal reported"),
}


@pytest.fixture(scope="module")
def seed_002():
    return extract((CORPUS / "002_5c4ddef25396266a.txt").read_bytes())


def test_seed_002_exact_notes(seed_002):
    found = {n.label: n.text for n in seed_002.footnotes}
    assert found == {label: body for label, (body, _) in SEED_002_NOTES.items()}
    assert [n.label for n in seed_002.footnotes] == ["4", "5", "6", "7", "8", "9"]


def test_seed_002_markers(seed_002):
    text = seed_002.text
    for note in seed_002.footnotes:
        assert len(note.markers) == 1, note.label
        before = text[: note.markers[0].offset]
        assert before.endswith(SEED_002_NOTES[note.label][1]), (note.label, before[-60:])
        assert 0.0 < note.confidence < 1.0
    conf = {n.label: n.confidence for n in seed_002.footnotes}
    # Printed labels are surer than labels inferred from the sequence.
    assert min(conf["8"], conf["9"]) > max(conf["4"], conf["5"], conf["6"], conf["7"])


def test_seed_002_citations_parsed(seed_002):
    by_label = {n.label: n for n in seed_002.footnotes}
    assert by_label["4"].citations[0].identifiers[0].value == "A/72/322"
    assert by_label["5"].citations[0].identifiers[0].value == "A/HRC/37/24"
    assert by_label["6"].citations[0].urls == ["https://youtu.be/uAo6w1QOFqw"]


def test_seed_002_canonical_text_cleaned(seed_002):
    text = seed_002.text
    # Markers of notes whose bodies were lost are cleaned too.
    assert "An investigation in 2017 by London-based NGO" in text
    assert "20172" not in text
    assert "called on the international community" in text
    assert "ongoing crimes against humanity,” Amnesty" in text
    assert "®" not in text and "Assembly*" not in text
    assert "informed the General Assembly:" in text
    assert "Reuters reported on 23 December 2019" in text
    # Note bodies are out of the text.
    assert "https://" not in text and "docx." not in text and "arrests-11574618022" not in text
    # Hyphenation across lines.
    assert "teenagers" in text and "fact-finding" in text and "non-recurrence" in text
    assert "UN-backed" in text
    # Paragraphs rebuilt from hard-wrapped lines.
    paras = text.split("\n\n")
    assert paras[0] == ("It is time to bring to justice the perpetrators of the 1988 massacre "
                        "in the Islamic Republic of Iran")
    assert any(p.startswith("UN High Commissioner for Human Rights Michelle Bachelet on 6 December 2019 "
                            "expressed alarm at the treatment") for p in paras)
    assert "\n" not in paras[3]


def test_seed_002_metadata(seed_002):
    assert seed_002.metadata.title == ("It is time to bring to justice the perpetrators of the 1988 massacre "
                                       "in the Islamic Republic of Iran")
    assert seed_002.metadata.language == "en"
    assert seed_002.metadata.identifiers == []


@pytest.mark.parametrize("name", ["000_eb76b57703d98c0a.txt", "004_df56a76a74a9f9fe.txt"])
def test_ordinary_plain_text_untouched(name):
    data = (CORPUS / name).read_bytes()
    doc = extract(data)
    assert doc.footnotes == []
    lines = [ln for ln in data.decode("utf-8").split("\n") if ln.strip()]
    expected, _ = assemble(lines)
    assert doc.text == expected
    assert doc.metadata.title is None
    assert doc.metadata.language == "en"


def test_bullets_stay_paragraphs():
    doc = extract((CORPUS / "004_df56a76a74a9f9fe.txt").read_bytes())
    bullets = [p for p in doc.text.split("\n\n") if p.startswith("•")]
    assert len(bullets) == 3
    assert bullets[0].startswith("• former Tehran Death Committee member Ebrahim Raisi")


def test_wrapped_fixture_with_numbered_notes():
    doc = extract((FIXTURES / "wrapped_notes.txt").read_bytes())
    assert [(n.label, n.text) for n in doc.footnotes] == [
        ("1", "Interviews conducted in Geneva, 12 March 2019."),
        ("2", "See UN Doc. A/HRC/40/67, para. 12."),
    ]
    paras = doc.text.split("\n\n")
    assert paras == [
        "Report on detention conditions",
        "The delegation visited three prisons in the northern province during the spring of 2019 and "
        "interviewed more than forty former detainees. Most of them described prolonged solitary "
        "confinement and the denial of family visits for several months after arrest.",
        "Officials refused to disclose the number of detainees held in the self-styled rehabilitation "
        "centres, and the authorities have not published any statistics since 2015.",
    ]
    first, second = doc.footnotes
    assert doc.text[: first.markers[0].offset].endswith("former detainees.")
    assert doc.text[: second.markers[0].offset].endswith("since 2015.")
    assert first.confidence >= 0.8 and second.confidence >= 0.8
    assert second.citations[0].identifiers[0].value == "A/HRC/40/67"
    assert doc.metadata.title == "Report on detention conditions"


def test_form_feed_pages_and_year_glued_marker():
    doc = extract((FIXTURES / "formfeed_notes.txt").read_bytes())
    assert [(n.label, n.page) for n in doc.footnotes] == [("1", 1), ("3", 2)]
    assert "in 2018 and transferred" in doc.text and "20183" not in doc.text
    note3 = doc.footnotes[1]
    assert doc.text[: note3.markers[0].offset].endswith("the men in 2018")
    assert note3.markers[0].page == 2
    assert doc.metadata.page_count == 2


def test_hard_wrapped_text_without_notes():
    text = (
        "Summary of findings\n"
        "\n"
        "The mission received consistent testimony from relatives of the victims\n"
        "who said that they had never been told where the bodies were buried, and\n"
        "that officials threatened them when they asked. Several relatives were\n"
        "arrested after gathering at the cemetery in Tehran in 2009.\n"
        "\n"
        "The authorities have denied that any mass graves exist. Satellite im-\n"
        "agery, however, shows that the site was levelled in 2017.\n"
    )
    doc = extract(text)
    assert doc.footnotes == []
    assert doc.text.split("\n\n") == [
        "Summary of findings",
        "The mission received consistent testimony from relatives of the victims who said that they "
        "had never been told where the bodies were buried, and that officials threatened them when "
        "they asked. Several relatives were arrested after gathering at the cemetery in Tehran in 2009.",
        "The authorities have denied that any mass graves exist. Satellite imagery, however, shows "
        "that the site was levelled in 2017.",
    ]
    assert doc.metadata.title == "Summary of findings"


def test_hard_wrapped_without_blank_lines():
    text = (
        "Families of the victims have for decades asked the authorities to reveal\n"
        "the burial places of their relatives and to issue death certificates for\n"
        "them.\n"
        "Denial and concealment\n"
        "The authorities have not responded to these requests and have instead\n"
        "harassed the families who gather at the sites every year.\n"
    )
    paras = extract(text).text.split("\n\n")
    assert paras == [
        "Families of the victims have for decades asked the authorities to reveal the burial places "
        "of their relatives and to issue death certificates for them.",
        "Denial and concealment",
        "The authorities have not responded to these requests and have instead harassed the families "
        "who gather at the sites every year.",
    ]


def test_numbered_list_is_not_notes():
    doc = extract("Steps to follow:\n\n1 Open the box.\n2 Remove the device.\n\nThat is all.\n")
    assert doc.footnotes == []
    assert "Open the box." in doc.text


def test_no_invented_notes_from_markers_alone():
    # Glued digits but no note bodies: nothing is found, the text is unchanged.
    doc = extract("Torture was reported in 20172 and the crimes3 continued.\n\nMore text here.\n")
    assert doc.footnotes == []
    assert "20172" in doc.text and "crimes3" in doc.text


def test_odd_inputs_do_not_raise():
    for text in ["1", "1 \n2 \n", "\f\f\f", "https://x.org\n", "* * *\n1 A\n", "®®®\n\n1 Ibid.\n", "a-\n", "\n\n\n"]:
        extract(text)


@pytest.mark.parametrize("text,lang", [
    ("The report of the Special Rapporteur was presented to the Council and it was adopted by the members.", "en"),
    ("Le rapport du Rapporteur spécial a été présenté au Conseil et il a été adopté par les membres de la commission.", "fr"),
    ("Der Bericht des Sonderberichterstatters wurde dem Rat vorgelegt und von den Mitgliedern angenommen, nicht aber von der Regierung.", "de"),
    ("El informe del Relator Especial fue presentado al Consejo y fue aprobado por los miembros de la comisión.", "es"),
    ("گزارش گزارشگر ویژه به شورا ارائه شد و این گزارش از سوی اعضا در نشست پیش تصویب شد که در آن کشور", "fa"),
    ("قدم المقرر الخاص تقريره إلى المجلس في الدورة التي عقدت في جنيف وقد اعتمده الأعضاء على الفور", "ar"),
    ("Доклад специального докладчика был представлен совету и он был принят членами комиссии по правам человека.", "ru"),
])
def test_detect_language(text, lang):
    assert detect_language(text) == lang


def _script_counts_char_by_char(text):
    """The script counts as first written: every character classified in turn (the reference)."""
    from collections import Counter

    from extractors.text.language import _OWN_SCRIPTS

    counts = Counter()
    for ch in text:
        o = ord(ch)
        if 0x0600 <= o <= 0x06FF or 0xFB50 <= o <= 0xFEFF:
            counts["arabic"] += 1
        elif 0x0400 <= o <= 0x04FF:
            counts["cyrillic"] += 1
        elif ch.isalpha() and o < 0x0250:
            counts["latin"] += 1
        elif ch.isalpha():
            counts[next((name for lo, hi, name, _ in _OWN_SCRIPTS if lo <= o <= hi), "other")] += 1
    return counts


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(
    "ab Zé\u0250ß1٣،ابپچةي۰\ufb50\ufeffЖжії\u4e00\u3042\uac00\u05d0αअก²½_\n\t.\u200d\U0001d400")
    | st.characters(), max_size=200))
def test_script_counts_match_a_character_by_character_count(text):
    """The same counts, in the same order (``most_common`` breaks ties by it), as classifying each
    character in turn: the language guess is unchanged by counting distinct characters."""
    from extractors.text.language import _script_counts

    got, want = _script_counts(text), _script_counts_char_by_char(text)
    assert got == want and list(got) == list(want)


_LATIN = ("en", "fr", "de", "es", "it", "pt", "nl", "sv", "tr", "id", "pl")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["the", "de", "la", "die", "och", "ve", "dan", "się", "и", "і", "в", "не",
                                 "report", "Die", "", "é"]) | st.text(max_size=4), max_size=80),
       st.sampled_from([("ru", "uk"), _LATIN]))
def test_stopword_scores_match_a_count_per_language(words, candidates):
    """Each language's count, in the candidates' order (``max`` breaks ties by it), as counting every
    word against each language's list in turn."""
    from extractors.text.language import _STOPWORDS, _stopword_scores

    want = {lang: sum(1 for w in words if w in _STOPWORDS[lang]) for lang in candidates}
    got = _stopword_scores(words, candidates)
    assert got == want and list(got) == list(want)


def test_detect_language_unknown():
    assert detect_language("") is None
    assert detect_language("12345 67890") is None


def test_seed_002_is_fast():
    import time

    data = (CORPUS / "002_5c4ddef25396266a.txt").read_bytes()
    started = time.perf_counter()
    extract(data)
    assert time.perf_counter() - started < 1.0
    assert re.search("x", "x")


def test_un_masthead_is_not_the_title_and_gives_the_date():
    from pathlib import Path

    from extractors import Hints, extract

    folder = Path(__file__).parent / "fixtures" / "citations"
    hrc = extract((folder / "un_a_hrc_37_24.txt").read_bytes(), Hints(filename="a.txt"))
    assert hrc.metadata.title == "Situation of human rights in the Islamic Republic of Iran"
    assert hrc.metadata.date == "2018-02-26"
    cn4 = extract((folder / "un_e_cn4_1989_26.txt").read_bytes(), Hints(filename="b.txt"))
    assert cn4.metadata.title.startswith("Report on the human rights situation in the Islamic Republic of Iran")
    assert cn4.metadata.date == "1989-01-26"
    assert [i.value for i in cn4.metadata.identifiers] == ["E/CN.4/1989/26"]

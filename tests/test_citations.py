"""Citations: splitting notes, fields, and resolving repeated references."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from extractors.citations.fields import parse_citation, parse_notes, split_citations

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SEED_003 = CORPUS / "003_50b2b079aba8eece.txt"

# Written by hand from reading the 94 notes of seed 003.
EXPECTED_UN_SYMBOLS = {
    "A/44/620",        # notes 15, 17
    "E/CN.4/1989/26",  # notes 16, 30, 42, 93
    "A/45/697",        # note 20
    "E/CN.4/1990/24",  # note 26
    "A/43/705",        # notes 27, 62, 74, 77
    "A/RES/43/137",    # notes 34, 91
    "A/44/153",        # note 44
    "E/CN.4/1989/25",  # notes 62, 74, 84, 87, 90
}
EXPECTED_NGO_INDEXES = {
    "MDE 13/9421/2018", "MDE 13/3546/2021", "MDE 13/4314/2021", "MDE 13/2308/2022",
    "MDE 13/5789/2022", "MDE 13/6193/2022", "MDE 13/6104/2022", "MDE 13/6060/2022",
    "MDE 13/0815/2019", "MDE 13/019/89", "MDE 13/3032/2020", "MDE 13/031/88",
    "MDE 13/029/88", "MDE 13/013/88", "MDE 13/014/88", "MDE 13/017/88",
    "MDE 13/020/1988", "MDE 13/021/1988", "MDE 13/027/1988", "MDE 13/028/1988",
    "MDE 13/030/1988", "MDE 13/033/1988", "MDE 13/034/1988", "MDE 13/035/1988",
    "MDE 13/036/1988",
}
# Notes of seed 003 that say "(previously cited)", with the note (and the
# citation index inside it) each one repeats, checked by hand.
PREVIOUSLY_CITED_TARGETS = {
    "18": {("15", 0), ("17", 0)},  # *Interim report*, A/44/620 (cited in 15 and again in 17)
    "19": {("15", 0), ("17", 0)},
    "21": {("20", 0)},             # *Interim report*, A/45/697
    "28": {("27", 0)}, "29": {("27", 0)},  # A/43/705
    "31": {("30", 0)}, "32": {("30", 0)}, "33": {("30", 0)},  # *Report*, E/CN.4/1989/26
    "40": {("39", 0)}, "41": {("39", 0)},  # "Biggest wave of political executions…"
    "43": {("42", 0)},
    "45": {("44", 0)}, "46": {("44", 0)}, "47": {("44", 0)},  # Letter … Secretary-General
    "49": {("48", 0)}, "50": {("48", 0)}, "51": {("48", 0)},  # VOA Farsi (Persian title)
    "59": {("58", 1)},             # Edward Mortimer, second citation of note 58
    "64": {("63", 0)},             # "Iran: Death penalty: Political executions"
    "71": {("70", 0)},
    "79": {("77", 0)}, "80": {("77", 0)},
    "82": {("63", 0)},             # exact title of 63, not 81's shorter one
    "85": {("84", 0)},
    "94": {("93", 0)},
}


def seed_notes() -> list[tuple[str, str]]:
    text = SEED_003.read_text(encoding="utf-8")
    return [(m.group(1), m.group(2).strip())
            for m in re.finditer(r"(?m)^<sup>(\d+)</sup>[ \t]*(.*)$", text)]


@pytest.fixture(scope="module")
def parsed() -> tuple[list[tuple[str, str]], list[list]]:
    notes = seed_notes()
    return notes, parse_notes(notes)


def test_seed_has_94_notes(parsed):
    notes, cites = parsed
    assert [label for label, _ in notes] == [str(i) for i in range(1, 95)]
    assert len(cites) == 94
    assert all(cites_of_note for cites_of_note in cites)


def test_seed_identifiers_are_exactly_the_expected_set(parsed):
    _, cites = parsed
    found = {(i.scheme, i.value) for note in cites for c in note for i in c.identifiers}
    assert {v for s, v in found if s == "un-symbol"} == EXPECTED_UN_SYMBOLS
    assert {v for s, v in found if s == "ngo-index"} == EXPECTED_NGO_INDEXES
    assert {s for s, _ in found} == {"un-symbol", "ngo-index"}


def test_every_previously_cited_resolves_to_an_earlier_citation(parsed):
    notes, cites = parsed
    order = {label: k for k, (label, _) in enumerate(notes)}
    seen = 0
    for (label, text), note_cites in zip(notes, cites):
        for c in note_cites:
            if "previously cited" not in c.text:
                continue
            seen += 1
            assert c.refers_to is not None, (label, c.text)
            target_note = c.refers_to["note"]
            assert order[target_note] < order[label]
            target = cites[order[target_note]][c.refers_to["index"]]
            assert target.refers_to is None
    assert seen == 25


def test_previously_cited_targets_by_hand(parsed):
    notes, cites = parsed
    by_label = dict(zip((label for label, _ in notes), cites))
    for label, allowed in PREVIOUSLY_CITED_TARGETS.items():
        ref = by_label[label][0].refers_to
        assert ref is not None and (ref["note"], ref["index"]) in allowed, (label, ref)


def test_note_splitting_and_signals(parsed):
    notes, cites = parsed
    by_label = dict(zip((label for label, _ in notes), cites))
    assert len(by_label["2"]) == 7
    assert len(by_label["3"]) == 7
    assert len(by_label["89"]) == 7
    assert [c.author for c in by_label["58"]] == ["Financial Times", "Edward Mortimer"]
    # "See also …" starts a second citation.
    assert len(by_label["62"]) == 2
    assert by_label["62"][1].identifiers[0].value == "A/43/705"
    assert by_label["25"][1].text.startswith("Amnesty International")
    # "See, for example," after commentary.
    assert by_label["24"][-1].author == "Habilia"
    # Prose semicolons do not split a note.
    assert len([c for c in by_label["53"] if c.kind == "ngo-report"]) == 1


def test_fields_of_seed_citations(parsed):
    notes, cites = parsed
    by_label = dict(zip((label for label, _ in notes), cites))
    first = by_label["1"][0]
    assert first.author == "Amnesty International"
    assert first.title.startswith("Blood-soaked secrets: Why Iran's 1988")
    assert first.date == "2018-12-04"
    assert first.kind == "ngo-report"
    assert first.urls == ["https://www.amnesty.org/en/documents/mde13/9421/2018/en"]
    un = by_label["16"][0]
    assert un.kind == "un-document"
    assert un.author == "Special Representative of the UN Commission on Human Rights"
    assert un.date == "1989-01-26"
    assert un.pinpoint == "para. 16"
    assert by_label["43"][0].pinpoint == "paras 15-18, 68, 72"
    assert by_label["18"][0].pinpoint == "p. 6"
    assert by_label["39"][1].date == "1988-12"
    assert by_label["36"][0].kind == "article"
    assert by_label["35"][0].author == "Ettelaat"


def test_persian_titles_kept_intact(parsed):
    notes, cites = parsed
    by_label = dict(zip((label for label, _ in notes), cites))
    assert by_label["48"][0].title == "نسخه کامل گفتوگو با جعفر محلاتی، سفیر جمهوری اسلامی در سازمان ملل در زمان اعدامهای دهه ۶۰"
    assert by_label["35"][0].title == "مصاحبه محلاتي پيرامون قطعنامه اخير سازمان ملل"
    assert by_label["25"][0].title == "نفاع میرحسین موسوی از اعدام منافقین در سال ۶۷"


def test_dates():
    assert parse_citation("Report, 6 February 2023.").date == "2023-02-06"
    assert parse_citation("Report, July 2019.").date == "2019-07"
    assert parse_citation("Report (Geneva, 1989).").date == "1989"
    assert parse_citation("Statement, November 15, 2019, online").date == "2019-11-15"


def test_ibid_id_and_supra():
    notes = [
        ("1", "Human Rights Watch, *Iran: Deaths in custody*, 3 May 2020, p. 4."),
        ("2", "Ibid., p. 7."),
        ("3", "Amnesty International, *Blood-soaked secrets*, 4 December 2018; Id. at 12."),
        ("4", "Human Rights Watch, op. cit., p. 9."),
        ("5", "See supra note 1, p. 2."),
    ]
    cites = parse_notes(notes)
    assert cites[1][0].refers_to == {"note": "1", "index": 0}
    assert cites[1][0].pinpoint == "p. 7"
    assert cites[1][0].title == "Iran: Deaths in custody"
    assert cites[2][1].refers_to == {"note": "3", "index": 0}
    assert cites[3][0].refers_to == {"note": "1", "index": 0}
    assert cites[4][0].refers_to == {"note": "1", "index": 0}


def test_semicolons_inside_titles_and_parentheses_do_not_split():
    text = ('Amnesty International, “Iran: Arrests; torture; executions” (Index: MDE 13/001/2020; '
            'see annex), 2020; Human Rights Watch, *Report; Part 2*, 2021.')
    parts = split_citations(text)
    assert len(parts) == 2
    assert parse_citation(parts[0]).title == "Iran: Arrests; torture; executions"
    assert parse_citation(parts[1]).title == "Report; Part 2"


def test_kinds():
    assert parse_citation("UN Doc. A/72/322, para. 5.").kind == "un-document"
    assert parse_citation("J. Smith, *A History of Iran* (Oxford University Press, 2001), ISBN 978-0-306-40615-7.").kind == "book"
    assert parse_citation("A. Author, “Title”, *Journal of Law*, vol. 3, doi:10.1000/xyz123.").kind == "article"
    assert parse_citation("https://youtu.be/uAo6w1QOFqw.").kind == "web"
    assert parse_citation("The records of the meeting are on file.").kind == "other"


@pytest.mark.parametrize("odd", ["", " ", ";;;", '"', "“unclosed; quote", "*", "(((", "Ibid.", "supra",
                                 "a" * 5000, "\u200b", "see also", "10.1/;"])
def test_never_raises_on_odd_text(odd):
    result = parse_notes([("1", odd), ("2", odd)])
    assert len(result) == 2


def test_parse_notes_is_fast(parsed):
    import time

    notes, _ = parsed
    started = time.perf_counter()
    parse_notes(notes)
    assert time.perf_counter() - started < 1.0


def test_link_text_without_scheme_is_a_url():
    from extractors.citations.fields import parse_citation

    cite = parse_citation("Amnesty International, Blood-soaked secrets, 4 December 2018, "
                          "amnesty.org/en/documents/mde13/9421/2018/en")
    assert cite.urls == ["https://amnesty.org/en/documents/mde13/9421/2018/en"]
    assert parse_citation("Write to info@amnesty.org/x for details").urls == []


# ---------------------------------------------------------------- issue 13: references without markup


def test_authors_with_initials_and_ampersand():
    cite = parse_citation("Durik, A. M., & Harackiewicz, J. M. (2007). Different strokes for different folks: "
                          "How individual interest moderates the effects of situational factors on task interest. "
                          "Journal of Educational Psychology, 99(3), 597–610.")
    assert cite.author == "Durik, A. M., & Harackiewicz, J. M."
    assert cite.title.startswith("Different strokes for different folks")
    assert cite.date == "2007"
    assert cite.kind == "article"


def test_upper_case_author_then_year_in_parentheses():
    cite = parse_citation("RICOEUR, P. (1983), Temps et récit, Paris, Seuil.")
    assert cite.author == "RICOEUR, P."
    assert cite.title == "Temps et récit"
    assert cite.date == "1983"


def test_given_names_first_joined_by_and():
    cite = parse_citation("Lars Andersson and Pieter Blue. Uniform energy bound and asymptotics for the Maxwell "
                          "field on a slowly rotating Kerr black hole exterior. Journal of Hyperbolic "
                          "Differential Equations, 12(4):689–743, 2015.")
    assert cite.author == "Lars Andersson and Pieter Blue"
    assert cite.title.startswith("Uniform energy bound and asymptotics")
    assert cite.date == "2015"


def test_semicolon_separated_authors_are_one_citation():
    parts = split_citations("Moradi, S.; Hosseini, R. A.; Castro, L. (2010). Reading the prison archive. "
                            "London: Zed Books.")
    assert len(parts) == 1
    cite = parse_citation(parts[0])
    assert cite.author == "Moradi, S.; Hosseini, R. A.; Castro, L."
    assert cite.title == "Reading the prison archive"
    assert cite.date == "2010"
    # Two citations are still two.
    assert len(split_citations("Amnesty International, *Report*, 2019; Human Rights Watch, *Other*, 2020.")) == 2


def test_access_date_is_not_the_publication_date():
    cite = parse_citation("Kaveh, R. (2012, January 16). Families ask for the graves. IranWire. "
                          "Retrieved March 23, 2016, from https://iranwire.com/en/features/1234")
    assert cite.date == "2012-01-16"
    assert cite.urls == ["https://iranwire.com/en/features/1234"]
    marked = parse_citation("Justice for Iran, *Families of the executed*, 2019, accessed 5 May 2021.")
    assert marked.date == "2019"


def test_commentary_is_not_tagged_as_a_reference():
    for text in ("The exact date of this interview by the prosecutor is not known. An extract of the "
                 "interview was cited by several newspapers in 2017.",
                 "The exact date of the letter is not known. A copy was sent to the Secretary-General in 1989."):
        cite = parse_citation(text)
        assert cite.title is None and cite.author is None, cite


def test_legal_forms_have_their_own_kinds():
    case = parse_citation("Brown v. Board of Education, 347 U.S. 483 (1954).")
    assert (case.kind, case.title, case.author, case.date) == ("case", "Brown v. Board of Education", None, "1954")
    assert parse_citation("R (Miller) v Secretary of State for Exiting the European Union [2017] UKSC 5.").kind == "case"
    statute = parse_citation("42 U.S.C. § 1983 (2018).")
    assert statute.kind == "statute" and statute.author is None
    treaty = parse_citation("International Covenant on Civil and Political Rights, art. 6, 16 December 1966, "
                            "999 U.N.T.S. 171.")
    assert (treaty.kind, treaty.title, treaty.author) == ("treaty", "International Covenant on Civil and Political Rights", None)
    assert parse_citation("Human Rights Council, Report of the Special Rapporteur, UN Doc. A/HRC/37/24 (2018).").kind == "un-document"


def test_id_at_and_supra_pinpoints():
    notes = [("1", "Brown v. Board of Education, 347 U.S. 483 (1954)."), ("2", "Id. at 495."),
             ("3", "Brown, supra note 1, at 490–91.")]
    cites = parse_notes(notes)
    assert cites[1][0].refers_to == {"note": "1", "index": 0}
    assert cites[1][0].pinpoint == "at 495"
    assert cites[1][0].kind == "case"
    assert cites[2][0].refers_to == {"note": "1", "index": 0}
    assert cites[2][0].pinpoint == "at 490–91"


# ---------------------------------------------------------------- issue 13: more of each pattern, and every field


@pytest.mark.parametrize("text, author, title, year", [
    # initials and "&", three authors, particles, a book whose title the labeller calls a container
    ("Okafor, N. C., Lindqvist, M., & Ruiz-Pérez, A. (2019). Testimony after the massacres. Human Rights "
     "Quarterly, 41(2), 233–259.", "Okafor, N. C., Lindqvist, M., & Ruiz-Pérez, A.", "Testimony after the massacres",
     "2019"),
    ("Abrahamian, E. & Keddie, N. R. (1999). Tortured confessions: Prisons and public recantations in modern Iran. "
     "Berkeley: University of California Press.", "Abrahamian, E. & Keddie, N. R.",
     "Tortured confessions: Prisons and public recantations in modern Iran", "1999"),
    ("van der Berg, J. P., & O'Neill, S. (2004). Memory and the courts. Law & Society Review, 38(1), 1–30.",
     "van der Berg, J. P., & O'Neill, S.", "Memory and the courts", "2004"),
    # upper-case family names, "(year)," after them
    ("FOUCAULT, M. (1975), Surveiller et punir, Paris, Gallimard.", "FOUCAULT, M.", "Surveiller et punir", "1975"),
    ("ARENDT, H. (1963), Eichmann in Jerusalem, New York, Viking Press.", "ARENDT, H.", "Eichmann in Jerusalem",
     "1963"),
    ("DA SILVA, J. A. (2010), Justiça de transição no Brasil, São Paulo, Editora Unesp.", "DA SILVA, J. A.",
     "Justiça de transição no Brasil", "2010"),
    # ";" between authors, with initials or with full given names
    ("Rahimi, S.; Tehrani, M.; Novak, J. (2018). The prison letters. Tehran Review, 4(1), 12–30.",
     "Rahimi, S.; Tehrani, M.; Novak, J.", "The prison letters", "2018"),
    ("Mendez, Juan; Wentzel, Marta (2006). Truth commissions in Latin America. Lima: Fondo Editorial.",
     "Mendez, Juan; Wentzel, Marta", "Truth commissions in Latin America", "2006"),
    # given names first, "and", no markup
    ("Kate Mensah and Hossein Alavi. A history of enforced disappearance in the twentieth century. Journal of "
     "Genocide Research, 7(3):301–320, 2005.", "Kate Mensah and Hossein Alavi",
     "A history of enforced disappearance in the twentieth century", "2005"),
    ("Nora Fischer, Ali Rezaei and Pieter Blue. Counting the dead: statistical methods for mass graves. "
     "Statistical Science, 30(2):150–171, 2015.", "Nora Fischer, Ali Rezaei and Pieter Blue",
     "Counting the dead: statistical methods for mass graves", "2015"),
    # the access date is never the year, in English and French, before or after the URL
    ("Amnesty International. (2018, December 4). Blood-soaked secrets. Retrieved January 9, 2020, from "
     "https://www.amnesty.org/en/documents/mde13/9421/2018/en/", "Amnesty International", "Blood-soaked secrets",
     "2018"),
    ("Boroumand, L. (2011). The 1988 massacre remembered. Accessed 12 May 2021. "
     "https://www.iranrights.org/library/document/1234", "Boroumand, L.", "The 1988 massacre remembered", "2011"),
    ("Sadr, A. (2009, March 2). Witness statement. Consulté le 3 mars 2021, sur https://example.org/w/1",
     "Sadr, A.", "Witness statement", "2009"),
    ("Mortimer, E. (1989, February 5). Iran's executions. Financial Times. Retrieved from https://www.ft.com/x "
     "on March 23, 2016.", "Mortimer, E.", "Iran's executions", "1989"),
])
def test_issue_patterns_on_more_references(text, author, title, year):
    assert split_citations(text) == [text.strip(" ;,")]
    cite = parse_citation(text)
    assert (cite.author, cite.title, (cite.date or "")[:4]) == (author, title, year)


def test_full_name_lists_are_joined_only_before_a_year():
    assert split_citations("Mendez, Juan; Wentzel, Marta; Castro, Ana (eds.) (2006). Truth. Lima: Fondo.") == [
        "Mendez, Juan; Wentzel, Marta; Castro, Ana (eds.) (2006). Truth. Lima: Fondo."]
    assert split_citations("Reuters, Tehran; Amnesty International, Iran 2019 report.") == [
        "Reuters, Tehran", "Amnesty International, Iran 2019 report."]


def test_labeller_fields_are_kept_with_their_confidence():
    cite = parse_citation("Okonkwo, C. N., & Lindqvist, M. (2019). Testimony and the archive of violence. "
                          "Human Rights Quarterly, 41(2), 233–259.")
    assert (cite.container, cite.volume, cite.issue, cite.pages) == ("Human Rights Quarterly", "41", "2", "233–259")
    assert (cite.publisher, cite.place) == (None, None)
    assert 0.6 < cite.confidence < 1.0  # the labeller's mean marginal, never a flat 1
    book = parse_citation("RICOEUR, P. (1983), Temps et récit, Paris, Éditions du Seuil.")
    assert (book.publisher, book.place, book.container, book.kind) == ("Éditions du Seuil", "Paris", None, "book")


def test_marked_up_title_gets_the_labellers_other_fields():
    # the quoted title is trusted as it is; the labeller adds the journal, volume, issue and pages
    cite = parse_citation("Maria Okafor, “Testimony and the Archive,” Human Rights Quarterly 41, no. 2 (2019): "
                          "233–59.")
    assert (cite.author, cite.title, cite.date) == ("Maria Okafor", "Testimony and the Archive", "2019")
    assert (cite.container, cite.volume, cite.issue, cite.pages) == ("Human Rights Quarterly", "41", "2", "233–59")
    assert cite.confidence < 1.0
    # nothing after the title but a date: the labeller is not asked, the reading is the markup's own
    plain = parse_citation("Amnesty International, *Blood-soaked secrets*, 4 December 2018, para. 12.")
    assert (plain.container, plain.volume, plain.confidence) == (None, None, 1.0)


def test_an_entrys_own_number_is_no_field():
    cite = parse_citation("(1) Johnson, L. S. Prison memoirs of the revolution. Journal of Iranian Studies 1978, "
                          "114 (9), 257–265.")
    assert (cite.container, cite.volume, cite.issue, cite.pages) == ("Journal of Iranian Studies", "114", "9",
                                                                     "257–265")
    assert parse_citation("(1) Sánchez, B. K. Droits. Iran Nameh 1981, 91, 703–714.").issue is None


def test_csl_json_carries_the_labellers_fields():
    from storage.citations.csl import citation_csl
    from storage.models import StoredCitation

    cit = StoredCitation(text="Okonkwo, C. N. (2019). Testimony. Human Rights Quarterly, 41(2), 233–259.",
                         kind="article", author="Okonkwo, C. N.", title="Testimony", date="2019", urls=[],
                         container="Human Rights Quarterly", volume="41", issue="2", pages="233–259")
    item = citation_csl(cit, "x-1")
    assert item["type"] == "article-journal"
    assert (item["container-title"], item["volume"], item["issue"], item["page"]) == (
        "Human Rights Quarterly", "41", "2", "233–259")
    book = citation_csl(StoredCitation(text="x", kind="book", title="Temps et récit", urls=[], place="Paris",
                                       publisher="Éditions du Seuil"), "x-2")
    assert (book["publisher"], book["publisher-place"]) == ("Éditions du Seuil", "Paris")


def test_show_json_lists_the_labellers_fields(cli, tmp_path):
    page = tmp_path / "brief.md"
    page.write_text("The commission's records were studied closely.[^1]\n\n"
                    "[^1]: Okonkwo, C. N., & Lindqvist, M. (2019). Testimony and the archive of violence. "
                    "Human Rights Quarterly, 41(2), 233–259.\n", encoding="utf-8")
    cli("ingest", "--no-prefect", str(page))
    sha = hashlib.sha256(page.read_bytes()).hexdigest()
    (cite,) = cli.json("show", sha)["footnotes"][0]["citations"]
    assert (cite["container"], cite["volume"], cite["issue"], cite["pages"]) == ("Human Rights Quarterly", "41", "2",
                                                                              "233–259")
    assert (cite["publisher"], cite["place"]) == (None, None) and 0.6 < cite["confidence"] < 1.0
    (item,) = cli.json("show", sha, "--csl")
    assert item["container-title"] == "Human Rights Quarterly" and item["page"] == "233–259"


def test_seed_labeller_fields_hold_no_pinpoints_or_index_numbers(parsed):
    # seed 003's notes are UN documents and NGO reports with pinpoints ("para. 220", "p. 4",
    # "minute 2:46"), index numbers ("(Index: MDE 13/9421/2018)") and resolutions ("43/137")
    _, cites = parsed
    fields = [(label, name, getattr(c, name)) for label, note in zip(range(1, 95), cites) for c in note
              for name in ("container", "publisher", "place", "volume", "issue", "pages") if getattr(c, name)]
    assert fields == [(58, "container", "Financial Times")]
    assert cites[57][1].confidence < 1.0 and cites[0][0].confidence == 1.0

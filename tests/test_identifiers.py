"""Identifiers: UN symbols, NGO index numbers, DOI, ISBN; a document's own ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.text.identifiers import find_document_identifiers, find_identifiers, normalize_identifier

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def values(text: str, scheme: str | None = None) -> list[str]:
    return [i.value for i in find_identifiers(text) if scheme is None or i.scheme == scheme]


@pytest.mark.parametrize("text,expected", [
    ("see A/HRC/37/24.", "A/HRC/37/24"),
    ("resolution A/HRC/RES/37/30,", "A/HRC/RES/37/30"),
    ("UN Doc. E/CN.4/1989/26, para. 16.", "E/CN.4/1989/26"),
    ("(E/CN.4/Sub.2/1988/11)", "E/CN.4/Sub.2/1988/11"),
    ("CCPR/C/IRN/CO/4;", "CCPR/C/IRN/CO/4"),
    ("summary record A/C.3/43/SR.45.", "A/C.3/43/SR.45"),
    ("S/RES/598 (1987)", "S/RES/598"),
    ("S/RES/598(1987).", "S/RES/598(1987)"),
    ("UN Doc. A/72/322.", "A/72/322"),
    ("UN Doc A/45/697:", "A/45/697"),
    ("A/RES/43/137", "A/RES/43/137"),
    ("A/HRC/40/67/Add.1.", "A/HRC/40/67/Add.1"),
    ("E/CN.4/1990/24/Corr.1)", "E/CN.4/1990/24/Corr.1"),
    ("https://undocs.org/A/72/322.", "A/72/322"),
    ("https://undocs.org/en/A/HRC/37/24", "A/HRC/37/24"),
    ("view_doc.asp?symbol=A/43/705)", "A/43/705"),
    ("https://www.ohchr.org/Documents/A_HRC_37_24.docx.", "A/HRC/37/24"),
])
def test_un_symbols(text, expected):
    assert values(text, "un-symbol") == [expected]


@pytest.mark.parametrize("text", ["S/he", "A/B testing", "24/7", "1/2/3", "and/or", "A/72", "E/N"])
def test_not_un_symbols(text):
    assert values(text) == []


@pytest.mark.parametrize("text,expected", [
    ("Index: MDE 13/9421/2018)", "MDE 13/9421/2018"),
    ("AI Index: MDE 13/019/89.", "MDE 13/019/89"),
    ("(Index: MDE 13/020/1988), 8 November", "MDE 13/020/1988"),
    ("MDE 13/6418/2023", "MDE 13/6418/2023"),
    ("ACT 50/001/2019;", "ACT 50/001/2019"),
])
def test_ngo_index(text, expected):
    assert values(text, "ngo-index") == [expected]


def test_not_ngo_index():
    assert values("UA 219/88 and Docs B 2-1127 and 1149/88, Report No. 136/99") == []


def test_doi_and_isbn():
    assert values("doi:10.1000/xyz123).", "doi") == ["10.1000/xyz123"]
    assert values("https://doi.org/10.1093/ejil/chab001.", "doi") == ["10.1093/ejil/chab001"]
    assert values("ISBN 978-0-306-40615-7.", "isbn") == ["9780306406157"]
    assert values("ISBN: 0-306-40615-2", "isbn") == ["0306406152"]
    assert values("ISBN 978-0-306-40615-8", "isbn") == []  # bad checksum
    assert values("ISBN 0-306-40615-3", "isbn") == []


def test_order_and_duplicates():
    text = "A/72/322; MDE 13/9421/2018; A/72/322 again; E/CN.4/1989/26."
    assert values(text) == ["A/72/322", "MDE 13/9421/2018", "E/CN.4/1989/26"]


def test_normalize_identifier():
    assert normalize_identifier("UN Doc. A/45/697").value == "A/45/697"
    ident = normalize_identifier("Index: MDE 13/9421/2018")
    assert (ident.scheme, ident.value) == ("ngo-index", "MDE 13/9421/2018")
    assert normalize_identifier("978-0-306-40615-7").value == "9780306406157"
    assert normalize_identifier("doi:10.1000/xyz123").scheme == "doi"
    assert normalize_identifier("nothing here") is None


def test_document_identifiers_from_labelled_line():
    text = (CORPUS / "003_50b2b079aba8eece.txt").read_text(encoding="utf-8")
    ids = find_document_identifiers(text)
    assert [(i.scheme, i.value) for i in ids] == [("ngo-index", "MDE 13/6418/2023")]


def test_document_identifiers_from_un_header_not_body():
    text = (
        "United Nations                                   A/HRC/37/24\n"
        "General Assembly                                 Distr.: General\n"
        "                                                 26 February 2018\n\n"
        "Human Rights Council\nThirty-seventh session\n\n"
        "Situation of human rights in the Islamic Republic of Iran\n\n"
        "1. The Special Rapporteur recalls the report A/72/322 and resolution A/RES/43/137 "
        "adopted by the General Assembly in 1988.\n"
    )
    ids = find_document_identifiers(text)
    assert [i.value for i in ids] == ["A/HRC/37/24"]


def test_document_identifiers_ignore_cited_symbols_and_plain_text():
    assert find_document_identifiers("The report (UN Doc. A/72/322) said so, as did A/45/697.") == []
    assert find_document_identifiers((CORPUS / "002_5c4ddef25396266a.txt").read_text(encoding="utf-8")) == []
    assert find_document_identifiers("AI Index: MDE 13/019/89\nText.")[0].value == "MDE 13/019/89"


def test_index_number_from_an_amnesty_document_url_unless_printed():
    from extractors.text.identifiers import find_identifiers

    found = find_identifiers("amnesty.org/en/documents/mde13/9421/2018/en")
    assert [(i.scheme, i.value) for i in found] == [("ngo-index", "MDE 13/9421/2018")]
    printed = find_identifiers("(Index: MDE 13/019/89) https://www.amnesty.org/en/documents/mde13/019/1989/en/")
    assert [i.value for i in printed] == ["MDE 13/019/89"]

"""HTML footnote markups a reader's browser shows as footnotes: Word, LibreOffice, WordPress plugins,
legal-database exports, journal platforms, inline ``footnote-text`` spans, and the general detector."""

from __future__ import annotations

import json
import pathlib

import pytest
from cssselect import SelectorError

from extractors.html.extractor import HtmlExtractor
from extractors.html.footnote_rules import INLINE_MARKUPS, LINKED_MARKUPS
from extractors.html.footnotes import compile_selector, take_footnotes
from extractors.html.parse import parse_html
from extractors.record import Hints
from extractors.text.markers import HTML_TOKEN_RE

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "html_footnotes"
TRUTH = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
EXTRACTOR = HtmlExtractor()


def extract(name: str):
    return EXTRACTOR.extract((FIXTURES / name).read_bytes(), Hints())


def normal(text: str) -> str:
    return " ".join(text.split())


def take(html: str):
    root = parse_html(html)
    return take_footnotes(root), root


@pytest.mark.parametrize("name", [
    "word_save_as_html.html",  # _ftn/_ftnref anchors, MsoFootnoteText, a two-paragraph note, an endnote [i]
    "libreoffice_odt.html",  # soffice --convert-to html of an ODT made by pandoc (label glued to the text)
    "wordpress_modern_footnotes.html",  # inline note spans, plus the core footnotes block
    "legal_co_footnote.html",  # label block and body block apart
    "journal_inline_anchors.html",  # one block holding every note: many notes, not one
    "inline_footnote_text.html",  # footnote-text spans after and inside the marker
    "tufte_sidenotes.html",  # Tufte CSS: numbered sidenotes and unnumbered margin notes behind toggles
    "bare_sup_ordered_list.html",  # <sup>N</sup> without links over an <ol> of notes; an exponent m<sup>2</sup>
    "bare_sup_numbered_paragraphs.html",  # <sup>N</sup> without links over paragraphs "<sup>N</sup> text"
])
def test_markup_notes_as_displayed(name):
    doc = extract(name)
    assert [(n.label, normal(n.text)) for n in doc.footnotes] == [tuple(x) for x in TRUTH[name]["notes"]]
    body = normal(doc.text)
    for note in doc.footnotes:
        assert note.markers, note.label  # every note linked to its marker in the body
        assert normal(note.text) not in body  # a note's text never stays in the body text
    assert "ZQFN" not in doc.text and not any("fell outside" in w for w in doc.warnings)


def test_word_markers_in_place_and_labels_as_displayed():
    doc = extract("word_save_as_html.html")
    notes = {n.label: n for n in doc.footnotes}
    assert notes["1"].context == ("The families of the disappeared have petitioned the prosecutor every month "
                                  "since 2019.")
    assert notes["i"].context == "The working group has transmitted the cases to the Government."
    assert "[1]" not in doc.text and "Press release" not in doc.text


def test_inline_note_leaves_the_paragraph():
    doc = extract("wordpress_modern_footnotes.html")
    notes = {n.label: n for n in doc.footnotes}
    assert notes["1"].context == "The commission questioned several senior officials."
    assert "officials.All" not in doc.text and "Those officials include" not in doc.text
    assert "The commission questioned several senior officials. All of them denied" in doc.text


def test_take_footnotes_removes_inline_notes_from_the_tree():
    result, root = take('<html><body><p>Officials were questioned.<sup class="modern-footnotes-footnote" '
                        'data-mfn="1"><a href="javascript:void(0)" aria-describedby="mfn-1">1</a></sup>'
                        '<span id="mfn-1" class="modern-footnotes-footnote__note">Those officials include two '
                        'governors.</span> All denied it.</p></body></html>')
    assert result.notes == [("1", "Those officials include two governors.")]
    text = "".join(root.itertext())
    assert "governors" not in text and HTML_TOKEN_RE.search(text) and text.endswith(" All denied it.")


def test_reused_note_kept_once():
    # two plain markers (confirmed by the note's back-links) for one note: one note, two markers
    page = ('<html><body><article><p>' + 'The first claim is made here in a long enough sentence. ' * 3
            + '<a href="#n1" id="r1">1</a></p><p>' + 'The second claim repeats it in another sentence. ' * 3
            + '<a href="#n1" id="r2">1</a></p></article>'
            '<ol><li id="n1"><a href="#r1">a</a> <a href="#r2">b</a> One source for both.</li></ol></body></html>')
    doc = EXTRACTOR.extract(page.encode(), Hints())
    assert [(n.label, n.text, len(n.markers)) for n in doc.footnotes] == [("1", "One source for both.", 2)]


def test_back_link_confirms_a_plain_anchor():
    # no <sup>, no class: the note's link back to the marker makes it a reference
    page = ('<html><body><p>Text.<a href="#n1" id="r1">1</a> More text, <a href="#s2">see below</a>.</p>'
            '<h2 id="s2">Second part</h2><p>Body.</p>'
            '<div><p id="n1"><a href="#r1">1</a> The note.</p></div></body></html>')
    result, root = take(page)
    assert result.notes == [("1", "The note.")]
    assert "Second part" in "".join(root.itertext())  # the plain in-page link is not a note


def test_label_block_takes_the_text_after_it():
    result, root = take('<html><body><p>Claim.<sup><a href="#fn1" id="r1">1</a></sup></p>'
                        '<div class="n"><div><span id="fn1"></span><a href="#r1">1</a></div>'
                        '<div><p>The note text.</p></div></div></body></html>')
    assert result.notes == [("1", "The note text.")]
    assert result.confidence == {"1": 0.9}  # read from the neighbouring block: not a sure reading
    assert "The note text." not in "".join(root.itertext())


def test_one_block_with_many_targets_is_split():
    result, root = take('<html><body><p>A.<sup><a href="#f1">1</a></sup> B.<sup><a href="#f2">2</a></sup></p>'
                        '<p class="notes"><a id="f1"></a>1 First note.<br><a id="f2"></a>2 Second note.</p>'
                        '</body></html>')
    assert result.notes == [("1", "First note."), ("2", "Second note.")]
    assert "note." not in "".join(root.itertext())


def test_rules_are_valid_selectors():
    root = parse_html("<p></p>")
    for rule in LINKED_MARKUPS:
        for selector in (rule.refs, rule.notes, rule.body, rule.drop):
            if selector:
                compile_selector(selector)(root)  # cssselect raises on a malformed selector
        assert rule.hints
    for rule in INLINE_MARKUPS:
        for selector in (rule.markers, rule.note, rule.unit):
            if selector:
                compile_selector(selector)(root)
        assert rule.hints
    with pytest.raises(SelectorError):
        compile_selector("a[href^=")


def test_selectors_match_as_css_says():
    # class tokens, attribute prefixes, :not() and child combinators as a browser reads them
    root = parse_html('<div class="fn-group"><div class="fn x" id="a"></div><p class="fnx"></p></div>'
                      '<a href="#_ftn1" id="r"></a><a href="#_ftnref1" id="b"></a>'
                      '<label class="margin-toggle sidenote-number" id="s"></label><label class="margin-toggle" id="m">'
                      '</label>')
    ids = lambda sel: [el.get("id") for el in compile_selector(sel)(root)]  # noqa: E731
    assert ids("div.fn-group > div.fn") == ["a"]
    assert ids('a[href^="#_ftn"]:not([href^="#_ftnref"])') == ["r"]
    assert ids("label.margin-toggle:not(.sidenote-number)") == ["m"]
    assert ids("label.margin-toggle.sidenote-number, div.fn") == ["a", "s"]  # page order


def test_note_span_without_marker_is_numbered_in_place():
    # the number is drawn by CSS counters: the span is its own marker, numbered in page order
    # a span of the same class inside a linked note list is that note's text, not an inline note
    result, root = take('<html><body><p>First claim.<span class="footnote-text">Source one.</span> Next.</p>'
                        '<p>Second claim.<span class="footnote-text">Source two.</span></p>'
                        '<p>Third claim.<sup><a href="#fn3">3</a></sup></p><ol class="footnotes">'
                        '<li id="fn3"><span class="footnote-text">Source three.</span></li></ol></body></html>')
    assert result.notes == [("1", "Source one."), ("2", "Source two."), ("3", "Source three.")]
    assert result.confidence == {"1": 0.8, "2": 0.8}
    text = "".join(root.itertext())
    assert "Source" not in text and len(HTML_TOKEN_RE.findall(text)) == 3



def test_tufte_sidenotes_numbered_by_their_counter_and_margin_notes_apart():
    result, root = take('<html><body><p>First claim.<label for="sn-a" class="margin-toggle sidenote-number">'
                        '</label><input type="checkbox" id="sn-a" class="margin-toggle"/><span class="sidenote">'
                        'Source one.</span> Then a remark.<label for="mn-a" class="margin-toggle">&#8853;</label>'
                        '<input type="checkbox" id="mn-a" class="margin-toggle"/><span class="marginnote">A remark '
                        'in the margin.</span> Second claim.<label for="sn-b" class="margin-toggle '
                        'sidenote-number"></label><input type="checkbox" id="sn-b" class="margin-toggle"/>'
                        '<span class="sidenote">Source <em>two</em>.</span></p></body></html>')
    assert sorted(result.notes) == [("1", "Source one."), ("2", "Source two."), ("m1", "A remark in the margin.")]
    assert result.confidence == {}  # the counter of Tufte CSS numbers them: a sure reading
    text = "".join(root.itertext())
    assert "Source" not in text and "margin." not in text and "\u2295" not in text
    assert len(HTML_TOKEN_RE.findall(text)) == 3


def test_bare_sup_markers_over_a_numbered_list():
    result, root = take('<html><body><p>One.<sup>1</sup> Two.<sup>2</sup> Area 40 km<sup>2</sup>, ten<sup>3</sup>'
                        ' words.<sup>[3]</sup> Again.<sup>1</sup></p><h2>Notes</h2><ol><li>First source.</li>'
                        '<li>Second source.</li><li>Third source.</li></ol><p>After.</p></body></html>')
    assert result.notes == [("1", "First source."), ("2", "Second source."), ("3", "Third source.")]
    assert result.confidence == {"1": 0.9, "2": 0.9, "3": 0.9}  # paired by number, not by a link
    assert list(result.labels.values()) == ["1", "2", "3", "3", "1"]
    text = "".join(root.itertext())
    assert "source" not in text and "Notes" not in text and "km2" in text and text.endswith("After.")


@pytest.mark.parametrize("page", [
    # a list of steps and exponents: no marker names the items 1…n
    '<p>Water boils at 10<sup>2</sup> degrees, the plot is 2,000 m<sup>2</sup>.</p><ol><li>Boil.</li><li>Cool.'
    '</li></ol>',
    # markers 1 and 2, but the list has three items: not its notes
    '<p>A.<sup>1</sup> B.<sup>2</sup></p><ol><li>One.</li><li>Two.</li><li>Three.</li></ol>',
    # the list comes before the markers
    '<ol><li>One.</li><li>Two.</li></ol><p>A.<sup>1</sup> B.<sup>2</sup></p>',
    # linked markers belong to the linked detector; bare numbers without a list stay text
    '<p>A.<sup>1</sup> B.<sup>2</sup></p><p>The end.</p>',
])
def test_bare_sup_without_its_notes_is_left_alone(page):
    result, root = take(f"<html><body>{page}</body></html>")
    assert result.notes == [] and result.labels == {}
    assert not HTML_TOKEN_RE.search("".join(root.itertext()))

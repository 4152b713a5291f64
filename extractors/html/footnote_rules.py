"""Known HTML footnote markups as declarative CSS-selector rules (compiled to XPath with cssselect).

The general structural detector in :mod:`extractors.html.footnotes` finds notes from links
alone (a marker links or refers to an element; back-links confirm). These rules add what a
markup says about itself and structure cannot tell: which anchors are references although they
carry no ``<sup>`` or class (Word, LibreOffice), which ancestor holds the whole note (Word's
multi-paragraph notes), where the text sits when it is apart from the label (legal databases),
what inside a note is label or back-link, and the inline markups whose note is a span after
(or inside) the marker instead of a linked element (WordPress plugins, ``footnote-text``, Tufte CSS
side and margin notes behind their toggles).

Each rule names ``hints``: strings one of which occurs in some attribute
value of every page using the markup; the selectors run only on pages holding one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LinkedMarkup:
    """A markup whose markers link (``href="#id"``) to their notes."""

    name: str
    hints: tuple[str, ...]
    refs: str  # anchors that are note references even without <sup> or a known class
    notes: str = ""  # the element holding a whole note: closest ancestor-or-self of the link target
    body: str = ""  # the note's text when it is a sibling of the note element (label apart)
    drop: str = ""  # parts of a note that are not its text (labels, back-links)


@dataclass(frozen=True)
class InlineMarkup:
    """A markup whose note text follows the marker (or sits inside it) in the paragraph."""

    name: str
    hints: tuple[str, ...]
    markers: str  # the marker as displayed
    note: str  # the note's text: inside the marker, its next sibling (past a toggle input), or referred to by id
    unit: str = ""  # a wrapper of marker and note replaced as a whole by the marker
    # markers that print no label of their own (a CSS counter draws it) get ``counter`` + their number
    # in page order, counted per rule; None: the marker's text is the label
    counter: str | None = None


LINKED_MARKUPS: tuple[LinkedMarkup, ...] = (
    # Microsoft Word "Save as HTML" (full and filtered): <a href="#_ftn1" name="_ftnref1">[1]</a>,
    # notes in <div style='mso-element:footnote' id=ftn1> (filtered: <div id=ftn1>), endnotes _edn
    LinkedMarkup(
        name="word",
        hints=("_ftn", "_edn"),
        refs='a[href^="#_ftn"]:not([href^="#_ftnref"]), a[href^="#_edn"]:not([href^="#_ednref"])',
        notes='div[style*="mso-element:footnote"]:not([style*="footnote-list"]), '
              'div[style*="mso-element:endnote"]:not([style*="endnote-list"]), div[id^="ftn"], div[id^="edn"]',
        drop='a[href^="#_ftnref"], a[href^="#_ednref"]',
    ),
    # LibreOffice "Save as HTML": a.sdfootnoteanc → <div id="sdfootnote1"><p class="sdfootnote">
    # <a class="sdfootnotesym" href="#sdfootnote1anc">1</a>text</p></div>
    LinkedMarkup(
        name="libreoffice",
        hints=("sdfootnote", "sdendnote"),
        refs="a.sdfootnoteanc, a.sdendnoteanc",
        notes='div[id^="sdfootnote"], div[id^="sdendnote"]',
        drop="a.sdfootnotesym, a.sdendnotesym",
    ),
    # legal-database exports: <div class="co_footnoteNumber"><span id=…></span><a>1</a></div>
    # followed by <div class="co_footnoteBody">
    LinkedMarkup(
        name="legal co_footnote",
        hints=("co_footnote",),
        refs="a.co_footnoteReference",
        notes="div.co_footnoteNumber",
        body="div.co_footnoteBody",
        drop="div.co_footnoteNumber a",
    ),
    # journal platforms (JATS-derived): ul.fn-list > li.fn, div.fn-group > div.fn, labels in .label
    LinkedMarkup(
        name="journal",
        hints=("fn-group", "fn-list", "xref-fn", "ref-lnk", " fn "),  # " fn ": the class token fn
        refs="a.ref, a.xref-fn, a.xref, a[data-xml-rid], a[data-rid]",
        notes="li.fn, div.fn, ul.fn-list > li, ol.fn-list > li, div.fn-group > div.fn, "
              "div.fn-group > div[id]",
        drop="span.label, span.fn-label, .fn-label, a.rev-xref-fn, a.back-ref, a.fn-back",
    ),
    # WordPress core footnotes block (6.3+): <sup class="fn"><a href="#uuid">, ol.wp-block-footnotes
    LinkedMarkup(name="wordpress", hints=("wp-block-footnotes",), refs="sup.fn > a, sup[data-fn] > a",
                 notes="ol.wp-block-footnotes > li"),
    # WordPress "Easy Footnotes": span.easy-footnote > a > sup, ol.easy-footnotes-wrapper
    LinkedMarkup(name="wordpress easy footnotes", hints=("easy-footnote",), refs="span.easy-footnote a",
                 notes="li.easy-footnote-single", drop="a.easy-footnote-to-top"),
)

INLINE_MARKUPS: tuple[InlineMarkup, ...] = (
    # Tufte CSS: <label for="sn-1" class="margin-toggle sidenote-number"></label>
    # <input type="checkbox" id="sn-1" class="margin-toggle"/><span class="sidenote">text</span>;
    # the number is the CSS counter sidenote-counter (1, 2, … in page order)
    InlineMarkup(name="tufte sidenotes", hints=("sidenote",), markers="label.margin-toggle.sidenote-number",
                 note="span.sidenote", counter=""),
    # Tufte CSS margin notes: the same without a number (the toggle shows ⊕): labelled m1, m2, …
    InlineMarkup(name="tufte margin notes", hints=("marginnote",),
                 markers="label.margin-toggle:not(.sidenote-number)", note="span.marginnote", counter="m"),
    # Modern Footnotes: <sup class="modern-footnotes-footnote"><a>1</a></sup>
    # <span class="modern-footnotes-footnote__note">text</span>
    InlineMarkup(name="wordpress modern footnotes", hints=("modern-footnotes",),
                 markers="sup.modern-footnotes-footnote", note="span.modern-footnotes-footnote__note"),
    # inline spans: <span class="footnote"><sup class="footnote-number">1</sup>
    # <span class="footnote-text">text</span></span>, or <sup class="footnote">1<span class="footnote-text">
    InlineMarkup(name="footnote-text", hints=("footnote-text",),
                 markers=".footnote-number, .footnote-marker, .footnote-label, sup.footnote, "
                         "span.footnote > sup, span.footnote > a",
                 note=".footnote-text, .footnote-content, .footnote-body",
                 unit="span.footnote"),
)

# attributes by which a marker refers to its note's id (besides href="#id")
REFERRING_ATTRIBUTES = ("aria-describedby", "aria-details", "aria-controls", "data-footnote-id", "data-xml-rid",
                        "data-rid")

"""The trained citation tagger: tokens, the shipped model, and the training-data recipe."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from extractors.citations.features import features, tokenize
from extractors.citations.tagger import MODEL_PATH, tag_reference

DEVSET = Path(__file__).resolve().parent / "devsets" / "citations"
sys.path.insert(0, str(DEVSET))

import build_references  # noqa: E402


def test_model_ships_in_the_package_and_is_small():
    assert MODEL_PATH.is_file()
    assert MODEL_PATH.stat().st_size < 5_000_000


def test_model_is_loaded_lazily_once():
    code = ("import extractors.citations as c, extractors.citations.tagger as t;"
            "c.parse_notes([('1', 'Amnesty International, *Report*, 2019.'), ('2', 'Ibid., p. 4.')]);"
            "assert t._tagger.cache_info().currsize == 0, 'loaded for a note that needs no tagger';"
            "c.parse_citation('Durik, A. M. (2007). Different strokes. Journal of Psychology, 9, 1-2.');"
            "c.parse_citation('Blue, P. (2015). Uniform energy bound. Journal of Equations, 12, 3-4.');"
            "i = t._tagger.cache_info(); assert (i.currsize, i.misses) == (1, 1), i")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent)


def test_urls_and_identifiers_are_single_tokens():
    text = "Report, UN Doc. A/HRC/37/24, MDE 13/6418/2023, https://doi.org/10.1037/0022-0663.99.3.597."
    tokens = [t.text for t in tokenize(text)]
    assert "A/HRC/37/24" in tokens
    assert "MDE 13/6418/2023" in tokens
    assert "https://doi.org/10.1037/0022-0663.99.3.597" in tokens
    assert all(text[t.start:t.end] == t.text for t in tokenize(text))


def test_features_are_strings_or_unit_weights():
    # python-crfsuite reads a number as a weight: a category must never be a number.
    for feats in features(tokenize("Smith, J. (2001). Title. Journal, 3(2), 10-20.")):
        assert all(isinstance(v, str) or v == 1.0 for v in feats.values())


def test_tags_an_author_date_reference():
    fields = tag_reference("Okonkwo, C. N., & Lindqvist, M. (2019). Testimony and the archive of violence. "
                           "Human Rights Quarterly, 41(2), 233–259.")
    first = {label: values[0][0] for label, values in fields.items()}
    assert first["author"] == "Okonkwo, C. N., & Lindqvist, M."
    assert first["title"] == "Testimony and the archive of violence"
    assert first["date"] == "2019"
    assert first["container"] == "Human Rights Quarterly"
    assert first["volume"] == "41"
    assert first["issue"] == "2"
    assert first["pages"] == "233–259"
    assert all(0 < conf <= 1 for values in fields.values() for _, conf in values)


def test_access_date_is_not_the_date():
    fields = tag_reference("Kaveh, R. (2014, March 3). Families ask for the graves. IranWire. "
                           "Retrieved June 9, 2019, from https://iranwire.com/en/features/1234")
    assert [v for v, _ in fields["date"]] == ["2014, March 3"]
    assert "2019" in fields["accessed"][0][0]
    assert fields["url"][0][0] == "https://iranwire.com/en/features/1234"


def test_recipe_labels_marked_rendering():
    """The training-data recipe: markers give exact spans, given names and dates are found by value."""
    record = {"author": [{"family": "Durik", "given": "Amanda M."}, {"family": "Blue", "given": "Pieter"}],
              "issued": {"date-parts": [[2007, 3, 4]]}, "accessed": {"date-parts": [[2016, 5, 23]]}}
    a_open, a_close = build_references.MARKERS["author"]
    t_open, t_close = build_references.MARKERS["title"]
    rendered = (f"{a_open}Durik{a_close}, A. M., & P. {a_open}Blue{a_close} (2007, March 4). "
                f"{t_open}Different strokes{t_close}. Retrieved May 23, 2016.")
    text, labels = build_references.unmark(rendered)
    assert text == "Durik, A. M., & P. Blue (2007, March 4). Different strokes. Retrieved May 23, 2016."
    build_references.label_dates(text, labels, record)
    build_references.label_authors(text, labels, record)
    spans = {label: text[a:b] for a, b, label in build_references.spans(labels) if label != "date"}
    assert spans["author"] == "Durik, A. M., & P. Blue"
    assert spans["title"] == "Different strokes"
    assert spans["accessed"] == "May 23, 2016"
    assert [text[a:b] for a, b, label in build_references.spans(labels) if label == "date"] == ["2007, March 4"]


def test_committed_sample_matches_the_tokenizer():
    rows = [json.loads(line) for line in (DEVSET / "sample.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 20
    styles = {row["style"] for row in rows}
    assert len(styles) >= 10
    for row in rows:
        for start, end, label in row["spans"]:
            assert label in build_references.LABELS
            assert 0 <= start < end <= len(row["text"])


def test_missing_model_is_an_error_not_a_silent_fallback(tmp_path):
    code = ("import pathlib, sys, extractors.citations.tagger as t, extractors.citations as c;"
            f"t.MODEL_PATH = pathlib.Path({str(tmp_path / 'absent.crfsuite')!r});"
            "c.parse_citation('Amnesty International, *Report*, 2019.');"  # markup: no tagger needed
            "\ntry:\n c.parse_citation('Durik, A. M. (2007). Different strokes. Journal, 9, 1-2.')\n"
            "except c.TaggerModelError as e:\n print('raised', e)\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parent.parent).stdout
    assert out.startswith("raised cannot open the citation model")

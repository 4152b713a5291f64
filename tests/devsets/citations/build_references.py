"""Build labelled references: synthetic records rendered through CSL styles with citeproc-py.

    python tests/devsets/citations/build_references.py --styles GITDIR --out /tmp/citations

GITDIR is a clone of citation-style-language/styles (a bare git directory is
fine: files are read with ``git show HEAD:<style>.csl``). Writes
``train.jsonl`` and ``test.jsonl``: one reference a line,
``{"text", "spans": [[start, end, label]…], "style", "form", "type"}``.

How labels are known: every string field of a record is wrapped in a pair of
private-use characters (one pair per label) before rendering; citeproc-py
carries them through case changes and punctuation, and the rendered text
gives exact character spans once they are removed. Given names are
initialised by the styles, so they cannot carry markers: the author span runs
from the first to the last marked family name, widened to the given names and
initials printed next to them. Dates are found by value (issued and accessed
dates never share a day, month or year), so an access date is labelled
``accessed``, never ``date``.

The test split holds out both records (another seed) and styles
(``TEST_STYLES``, never used for training).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # extractors.text.dates, run from anywhere

from synthetic_records import make_record  # noqa: E402

LABELS = ("author", "title", "container", "publisher", "place", "volume", "issue", "pages", "url",
          "identifier", "date", "accessed")
MARKERS = {label: (chr(0xE000 + k), chr(0xE100 + k)) for k, label in enumerate(LABELS)}
_OPEN = {o: label for label, (o, _) in MARKERS.items()}
_CLOSE = {c: label for label, (_, c) in MARKERS.items()}

TRAIN_STYLES = (
    "apa", "modern-language-association", "chicago-author-date", "chicago-notes-bibliography-17th-edition",
    "oscola", "harvard-cite-them-right", "ieee", "nature", "american-medical-association",
    "american-sociological-association", "american-political-science-association", "iso690-author-date-en",
    "springer-basic-author-date", "elsevier-harvard", "taylor-and-francis-chicago-author-date",
    "associacao-brasileira-de-normas-tecnicas", "iso690-author-date-fr", "iso690-author-date-es",
    "mcgill-en", "australian-guide-to-legal-citation", "cambridge-university-press-law-note",
    "bluebook-law-review", "european-journal-of-international-law", "human-rights-law-review",
    "chicago-author-date-access-dates", "mhra-notes", "iso690-numeric-en", "harvard-limerick",
    "din-1505-2", "sage-harvard", "bmj", "the-lancet", "science", "royal-society-of-chemistry", "frontiers",
)
TEST_STYLES = (
    "apa-6th-edition", "oscola-no-ibid", "elsevier-vancouver", "chicago-notes-bibliography-access-dates",
    "harvard-anglia-ruskin-university", "leiden-journal-of-international-law", "american-chemical-society",
)
_MARKED_FIELDS = {
    "title": "title", "container-title": "container", "publisher": "publisher", "publisher-place": "place",
    "volume": "volume", "issue": "issue", "page": "pages", "URL": "url", "DOI": "identifier",
    "number": "identifier", "authority": "publisher",
}


def mark(record: dict) -> dict:
    """A copy of ``record`` with each string field wrapped in its label's markers."""
    out = dict(record)
    for key, label in _MARKED_FIELDS.items():
        if key in out:
            o, c = MARKERS[label]
            out[key] = f"{o}{out[key]}{c}"
    o, c = MARKERS["author"]
    out["author"] = [
        {"literal": f"{o}{a['literal']}{c}"} if "literal" in a else {**a, "family": f"{o}{a['family']}{c}"}
        for a in record.get("author", [])
    ]
    return out


def unmark(rendered: str) -> tuple[str, list[str | None]]:
    """Plain text and one label (or None) per character."""
    text: list[str] = []
    labels: list[str | None] = []
    stack: list[str] = []
    for ch in rendered:
        if ch in _OPEN:
            stack.append(_OPEN[ch])
        elif ch in _CLOSE:
            if stack:
                stack.pop()
        else:
            text.append(ch)
            labels.append(stack[-1] if stack else None)
    return "".join(text), labels


def _month_names(month: int) -> set[str]:
    from extractors.text.dates import MONTHS

    return {name for name, number in MONTHS.items() if number == month}


def _date_words(date: dict) -> set[str]:
    parts = date["date-parts"][0]
    words = {str(parts[0])}
    if len(parts) > 1:
        words |= _month_names(parts[1])
        words.add(f"{parts[1]:02d}")
    if len(parts) > 2:
        words |= {str(parts[2]), f"{parts[2]:02d}"}
    return words


def label_dates(text: str, labels: list[str | None], record: dict) -> None:
    """Label unmarked words that spell the issued or accessed date; the punctuation inside a date too."""
    for key, label in (("issued", "date"), ("accessed", "accessed")):
        if key not in record:
            continue
        words = _date_words(record[key])
        # A leading "1." / "[1]" / "(1)" is the entry's number, never a day.
        hits = [m for m in re.finditer(r"\w+", text)
                if labels[m.start()] is None and m.group(0).lower().rstrip(".") in words
                and not (m.group(0).isdigit() and len(m.group(0)) < 4 and not re.search(r"\w", text[:m.start()]))]
        for m in hits:
            for i in range(m.start(), m.end()):
                labels[i] = label
        # "March 23, 2016", "2012-01-16": the separators between two date words belong to the date.
        for a, b in zip(hits, hits[1:]):
            gap = text[a.end():b.start()]
            if len(gap) <= 3 and not re.search(r"\w", gap):
                for i in range(a.end(), b.start()):
                    labels[i] = label


def label_authors(text: str, labels: list[str | None], record: dict) -> None:
    """Widen the marked family names to the whole printed author list."""
    marked = [i for i, lab in enumerate(labels) if lab == "author"]
    if not marked:
        return
    given = set()
    for a in record.get("author", []):
        words = re.findall(r"\w+", a.get("given", ""))
        for word in words:
            given |= {word.lower(), word[0].lower()}
        given.add("".join(w[0] for w in words).lower())  # OSCOLA, Vancouver: "JN Kowalski", "Castro AR"
        for word in ("et", "al", "and", "y", "e", "&", "others"):
            given.add(word)
    words = [m for m in re.finditer(r"\w+|&", text)]
    start, end = marked[0], marked[-1] + 1
    changed = True
    while changed:
        changed = False
        for m in words:
            if labels[m.start()] is not None or m.group(0).lower() not in given:
                continue
            before, after = text[m.end():start], text[end:m.start()]
            if m.end() <= start and len(before) <= 3 and not re.search(r"\w|[().]", before.replace(".", "", 1)):
                start, changed = m.start(), True
            elif m.start() >= end and len(after) <= 3 and not re.search(r"\w|[()]", after):
                end, changed = m.end(), True
    if end < len(text) and text[end] == "." and re.search(r"(?:\b\w|al)$", text[start:end]):
        end += 1
    for i in range(start, end):
        if labels[i] is None or labels[i] == "author":
            labels[i] = "author"


def spans(labels: list[str | None]) -> list[list]:
    out: list[list] = []
    for i, lab in enumerate(labels):
        if lab is None:
            continue
        if out and out[-1][2] == lab and out[-1][1] == i:
            out[-1][1] = i + 1
        else:
            out.append([i, i + 1, lab])
    return out


def _load_style(gitdir: str, name: str, cache: Path):
    from citeproc import CitationStylesStyle

    path = cache / f"{name}.csl"
    if not path.exists():
        data = subprocess.run(["git", f"--git-dir={gitdir}", "show", f"HEAD:{name}.csl"],
                              capture_output=True, check=True).stdout
        path.write_bytes(data)
    return CitationStylesStyle(str(path), validate=False)


def render(style, record: dict) -> list[tuple[str, str]]:
    """``(form, text)`` renderings of one marked record: the bibliography entry, and the note for note styles."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
    from citeproc.source.json import CiteProcJSON

    bib = CitationStylesBibliography(style, CiteProcJSON([record]), formatter.plain)
    citation = Citation([CitationItem(record["id"])])
    bib.register(citation)
    out = []
    if style.root.get("class") == "note":
        out.append(("note", str(bib.cite(citation, lambda item: None))))
    if bib.bibliography():
        out.append(("bib", str(bib.bibliography()[0])))
    return out


def build(gitdir: str, styles: tuple[str, ...], seed: int, count: int, cache: Path) -> tuple[list[dict], dict]:
    rng = random.Random(seed)
    loaded, failures = {}, {}
    for name in styles:
        try:
            loaded[name] = _load_style(gitdir, name, cache)
        except Exception as exc:  # noqa: BLE001 - a style citeproc-py cannot read is reported and skipped
            failures[name] = f"load: {type(exc).__name__}: {exc}"[:200]
    rows = []
    for k in range(count):
        record = make_record(rng, f"r{seed}-{k}")
        name = rng.choice(sorted(loaded))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rendered = render(loaded[name], mark(record))
        except Exception as exc:  # noqa: BLE001
            failures.setdefault(f"{name}/{record['type']}", f"{type(exc).__name__}: {exc}"[:200])
            continue
        for form, marked in rendered:
            text, labels = unmark(marked)
            if not text.strip():
                continue
            label_dates(text, labels, record)
            label_authors(text, labels, record)
            rows.append({"text": text, "spans": spans(labels), "style": name, "form": form, "type": record["type"]})
    return rows, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--styles", required=True, help="git dir of citation-style-language/styles")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--train", type=int, default=6000)
    parser.add_argument("--test", type=int, default=1200)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for split, styles, seed, count in (("train", TRAIN_STYLES, 1, args.train), ("test", TEST_STYLES, 2, args.test)):
            rows, failures = build(args.styles, styles, seed, count, Path(tmp))
            with open(args.out / f"{split}.jsonl", "w", encoding="utf-8") as fh:
                for row in rows:
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            print(f"{split}: {len(rows)} references from {len({r['style'] for r in rows})} styles")
            for what, why in sorted(failures.items()):
                print(f"  skipped {what}: {why}")


if __name__ == "__main__":
    main()

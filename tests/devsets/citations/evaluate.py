"""Per-field precision / recall / F1 of the citation tagger on the held-out ``test.jsonl``.

    python tests/devsets/citations/evaluate.py --data /tmp/citations

Two measures per field: ``token`` (token labels, micro-averaged) and
``field`` (the first value of the field, exact after trimming punctuation,
as :func:`extractors.citations.tagger.tag_reference` returns it). ``year``
is the year of the first ``date`` value against the record's issued year —
what :mod:`extractors.citations.fields` stores.

Then the whole parser: ``parse_citation`` (markup rules, tagger, comma rule,
access dates) on each reference, its ``author``, ``title``, the year of its
``date`` and the labeller's other fields (``container``, ``publisher``,
``place``, ``volume``, ``issue``, ``pages``) against the truth, compared
case- and punctuation-blind.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))
sys.path.insert(0, str(HERE))

from train import read_rows, token_labels  # noqa: E402

from extractors.citations.fields import parse_citation  # noqa: E402
from extractors.citations.tagger import clean_field, label_tokens, tag_reference  # noqa: E402


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _year(value: str | None) -> str | None:
    m = re.search(r"\b(1[6-9]\d\d|20\d\d)\b", value or "")
    return m.group(1) if m else None


def evaluate(rows: list[dict]) -> dict[str, dict[str, tuple[float, float, float]]]:
    tok = Counter()
    fld = Counter()
    for row in rows:
        tokens, gold = token_labels(row)
        pred, _ = label_tokens(tokens)
        for g, p in zip(gold, pred):
            if g == p and g != "O":
                tok[g, "tp"] += 1
            else:
                if p != "O":
                    tok[p, "fp"] += 1
                if g != "O":
                    tok[g, "fn"] += 1
        truth: dict[str, str] = {}
        for start, end, label in row["spans"]:
            truth.setdefault(label, clean_field(row["text"][start:end]))
        if "date" in truth:
            truth["year"] = _year(truth["date"])
        # clean_field again: the tagger keeps an author's closing full stop ("J. M."), the truth does not.
        got = {label: clean_field(values[0][0]) for label, values in tag_reference(row["text"]).items()}
        years = [_year(v) for v, _ in tag_reference(row["text"]).get("date", []) if _year(v)]
        if years:
            got["year"] = years[0]  # as extractors.citations.fields chooses
        for label in set(truth) | set(got):
            if label in truth and truth[label] == got.get(label):
                fld[label, "tp"] += 1
            else:
                if got.get(label) is not None:
                    fld[label, "fp"] += 1
                if truth.get(label) is not None:
                    fld[label, "fn"] += 1
    labels = sorted({k[0] for k in tok} | {k[0] for k in fld})
    return {label: {"token": _prf(tok[label, "tp"], tok[label, "fp"], tok[label, "fn"]),
                    "field": _prf(fld[label, "tp"], fld[label, "fp"], fld[label, "fn"])}
            for label in labels}


def _norm(value: str | None) -> str | None:
    return re.sub(r"\W+", " ", value).strip().casefold() if value else None


# the labeller's other fields as parse_citation keeps them (extractors.citations.fields.TAGGED_FIELDS)
PARSER_FIELDS = ("container", "publisher", "place", "volume", "issue", "pages")


def evaluate_parser(rows: list[dict]) -> dict[str, tuple[float, float, float]]:
    """P/R/F1 of ``parse_citation``'s author, title, year and the labeller's other fields."""
    counts = Counter()
    for row in rows:
        truth: dict[str, str] = {}
        for start, end, label in row["spans"]:
            truth.setdefault(label, row["text"][start:end])
        cite = parse_citation(row["text"])
        pairs = {"author": (_norm(truth.get("author")), _norm(cite.author)),
                 "title": (_norm(truth.get("title")), _norm(cite.title)),
                 "year": (_year(truth.get("date")), _year(cite.date))}
        pairs.update((name, (_norm(truth.get(name)), _norm(getattr(cite, name)))) for name in PARSER_FIELDS)
        for field, (gold, got) in pairs.items():
            if gold and gold == got:
                counts[field, "tp"] += 1
            else:
                counts[field, "fp"] += got is not None
                counts[field, "fn"] += gold is not None
    return {f: _prf(counts[f, "tp"], counts[f, "fp"], counts[f, "fn"]) for f in ("author", "title", "year", *PARSER_FIELDS)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--split", default="test")
    args = parser.parse_args()
    rows = read_rows(args.data / f"{args.split}.jsonl")
    started = time.perf_counter()
    scores = evaluate(rows)
    elapsed = time.perf_counter() - started
    print(f"{len(rows)} references, {len({r['style'] for r in rows})} styles, {elapsed:.1f} s")
    print(f"{'field':<12} {'tok P':>6} {'tok R':>6} {'tok F1':>6}   {'fld P':>6} {'fld R':>6} {'fld F1':>6}")
    for label, s in scores.items():
        t, f = s["token"], s["field"]
        print(f"{label:<12} {t[0]:6.3f} {t[1]:6.3f} {t[2]:6.3f}   {f[0]:6.3f} {f[1]:6.3f} {f[2]:6.3f}")
    started = time.perf_counter()
    parser_scores = evaluate_parser(rows)
    print(f"\nparse_citation ({time.perf_counter() - started:.1f} s)")
    print(f"{'field':<12} {'P':>6} {'R':>6} {'F1':>6}")
    for label, (p, r, f1) in parser_scores.items():
        print(f"{label:<12} {p:6.3f} {r:6.3f} {f1:6.3f}")
    print(f"\nparse_citation F1 per held-out style (form)\n{'style':<45} {'author':>6} {'title':>6} {'year':>6} "
          f"{'contnr':>6}")
    for style, form in sorted({(r["style"], r["form"]) for r in rows}):
        part = evaluate_parser([r for r in rows if r["style"] == style and r["form"] == form])
        print(f"{style + ' (' + form + ')':<45} {part['author'][2]:6.3f} {part['title'][2]:6.3f} {part['year'][2]:6.3f} "
              f"{part['container'][2]:6.3f}")


if __name__ == "__main__":
    main()

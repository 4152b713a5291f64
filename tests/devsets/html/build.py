"""Development set for the HTML extractor: mozilla/readability's test pages, scored side by side.

Run: ``python tests/devsets/html/build.py READABILITY_TEST_PAGES [--pages DIR ...] [--show N] [--json OUT]``

``READABILITY_TEST_PAGES`` is ``test/test-pages`` of a checkout of mozilla/readability
(``git clone https://github.com/mozilla/readability``); each page folder holds ``source.html``,
``expected.html`` and ``expected-metadata.json``. ``--pages`` adds folders of the same shape
(``tests/devsets/html/pages`` holds a few written by hand). Nothing of the set is committed
except those hand-written pages: the script rebuilds the gold texts from the checkout each run.

For every page both sides get the same bytes: archivist's HTML extractor, and
``trafilatura.extract`` / ``trafilatura.extract_metadata`` with default settings. Printed:

* main text: word 4-gram shingle precision, recall and F1 against the text of ``expected.html``
  (multiset overlap, micro-averaged per page then averaged over pages), pages where we are more
  than 0.05 below trafilatura, and empty texts (with / without a warning). Archivist's side is
  the record's text followed by its footnotes (``text + notes``: a page's reference list is kept
  as notes linked to their markers, not as body text); the text alone is printed as well.
  In-text reference marks (``[12]``, ``[n 3]``, ``[a]``) are taken out of every text before
  scoring, the gold's and both sides': archivist records them as markers, not as characters, and
  each one left in the gold would break four shingles of a sentence archivist has whole;
* title: equal after lower-casing and dropping punctuation;
* date: the day of ``publishedTime`` (pages that have one);
* author: pages with a ``byline``; right when every name found occurs in the byline and the names
  cover at least half of the byline's name words.

This set is for development only. It is not how the extractor is evaluated.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import sys
from collections import Counter

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

import lxml.html  # noqa: E402
import trafilatura  # noqa: E402

from extractors.html.extractor import HtmlExtractor  # noqa: E402
from extractors.record import Hints  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
_BLOCKS = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "pre", "blockquote", "section",
           "article", "br", "dd", "dt", "figcaption", "table", "ul", "ol"}
# words of a byline that are not names
_BYLINE_NOISE = {"by", "and", "written", "edited", "von", "par", "por", "de", "staff", "the", "und", "et", "y"}


def html_text(markup: str) -> str:
    """Visible text of an HTML fragment, blocks separated by newlines."""
    root = lxml.html.fromstring(markup or "<div></div>")
    for el in root.iter("script", "style"):
        el.drop_tree()
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag in _BLOCKS:
            el.tail = "\n" + (el.tail or "")
    return "\n".join(" ".join(line.split()) for line in root.text_content().splitlines() if line.strip())


# an in-text reference mark: "[12]", "[n 3]", "[note 4]", "[a]", "[citation needed]"
REFERENCE_MARK_RE = re.compile(r"\[(?:\d{1,4}|[a-z]|[a-z]{1,4} \d{1,4}|citation needed)\]", re.IGNORECASE)


def shingles(text: str, n: int = 4) -> Counter:
    words = re.findall(r"\w+", REFERENCE_MARK_RE.sub(" ", (text or "")).lower())
    return Counter(tuple(words[i : i + n]) for i in range(max(0, len(words) - n + 1)))


def prf(got: str, expected: str) -> tuple[float, float, float]:
    """4-gram shingle precision, recall, F1 (multiset overlap)."""
    g, e = shingles(got), shingles(expected)
    overlap = sum((g & e).values())
    p = overlap / sum(g.values()) if g else (1.0 if not e else 0.0)
    r = overlap / sum(e.values()) if e else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", (text or "").lower())


def title_ok(got: str | None, gold: str | None) -> bool:
    return bool(got) and _words(got) == _words(gold)


def author_ok(got: list[str], gold: str) -> bool:
    """Every name found occurs in the byline, and the names cover half of its name words."""
    names = [n for n in got if n.strip()]
    gold = re.sub(r"\(?https?://\S+|\(?www\.\S+", " ", gold)
    gold_words = [w for w in _words(gold) if w not in _BYLINE_NOISE and not w.isdigit()]
    if not names or not gold_words:
        return False
    found = set()
    for name in names:
        words = _words(name)
        if not words or not all(w in gold_words for w in words):
            return False
        found.update(words)
    return len(found) >= 0.5 * len(set(gold_words))


def unique_folders(folders: list[pathlib.Path]) -> list[pathlib.Path]:
    """Existing folders, each once (``--pages tests/devsets/html/pages`` names the default again)."""
    seen: set[pathlib.Path] = set()
    out = []
    for folder in folders:
        resolved = folder.resolve()
        if resolved.is_dir() and resolved not in seen:
            seen.add(resolved)
            out.append(folder)
    return out


def load_set(folders: list[pathlib.Path]) -> list[dict]:
    """Pages with their gold text, title, byline and day."""
    pages = []
    for folder in folders:
        for page in sorted(p for p in folder.iterdir() if (p / "source.html").exists()):
            meta = json.loads((page / "expected-metadata.json").read_text(encoding="utf-8"))
            published = meta.get("publishedTime")
            pages.append({
                "name": page.name, "source": (page / "source.html").read_bytes(),
                "text": html_text((page / "expected.html").read_text(encoding="utf-8")),
                "title": meta.get("title"), "byline": meta.get("byline"),
                "date": published[:10] if published and re.match(r"\d{4}-\d\d-\d\d", published) else None,
            })
    return pages


def trafilatura_side(data: bytes) -> tuple[str, str | None, str | None, list[str]]:
    text = trafilatura.extract(data) or ""
    meta = trafilatura.extract_metadata(data)
    if meta is None:
        return text, None, None, []
    authors = [a.strip() for a in (meta.author or "").split(";") if a.strip()]
    return text, meta.title, meta.date, authors


def record_text(doc) -> str:
    """What the record holds of the page: the text, then each footnote's text."""
    return "\n".join([doc.text] + [note.text for note in doc.footnotes])


def score(pages: list[dict]) -> dict:
    """Per-page results for both sides."""
    extractor = HtmlExtractor()
    rows = []
    for page in pages:
        doc = extractor.extract(page["source"], Hints(media_type="text/html"))
        t_text, t_title, t_date, t_authors = trafilatura_side(page["source"])
        rows.append({
            "name": page["name"],
            "ours": prf(record_text(doc), page["text"]), "theirs": prf(t_text, page["text"]),
            "ours_text": prf(doc.text, page["text"]),
            "empty": not doc.text.strip(), "warned": bool(doc.warnings),
            "method": doc.metadata.extra.get("main_text_method"),
            "title": (title_ok(doc.metadata.title, page["title"]), title_ok(t_title, page["title"]))
            if page["title"] else None,
            "date": (doc.metadata.date == page["date"], (t_date or "")[:10] == page["date"])
            if page["date"] else None,
            "author": (author_ok(doc.metadata.authors, page["byline"]), author_ok(t_authors, page["byline"]))
            if page["byline"] else None,
            "got": {"title": doc.metadata.title, "date": doc.metadata.date, "authors": doc.metadata.authors},
            "gold": {"title": page["title"], "date": page["date"], "byline": page["byline"]},
        })
    return {"rows": rows}


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def report(rows: list[dict], show: int) -> None:
    n = len(rows)
    print(f"pages: {n}")
    print("main text: archivist's text + notes against trafilatura.extract (reference marks taken out)")
    for i, label in enumerate(("precision", "recall", "F1")):
        print(f"main text {label:<9}: ours {_mean(r['ours'][i] for r in rows):.3f}   "
              f"trafilatura {_mean(r['theirs'][i] for r in rows):.3f}")
    print(f"main text F1, text alone (no notes): ours {_mean(r['ours_text'][2] for r in rows):.3f}")
    for key, label in (("ours", "text + notes"), ("ours_text", "text alone")):
        worse = [r for r in rows if r[key][2] < r["theirs"][2] - 0.05]
        print(f"pages > 0.05 F1 below trafilatura ({label}): {len(worse)}  "
              + " ".join(f"{r['name']}({r[key][2]:.2f}/{r['theirs'][2]:.2f})" for r in worse))
    empty = [r for r in rows if r["empty"]]
    print(f"empty texts: {len(empty)} (without a warning: {sum(not r['warned'] for r in empty)})")
    for field in ("title", "date", "author"):
        scored = [r[field] for r in rows if r[field] is not None]
        print(f"{field:<6} accuracy ({len(scored):>3} pages): ours {_mean(s[0] for s in scored):.3f}   "
              f"trafilatura {_mean(s[1] for s in scored):.3f}")
    if show:
        print("\nlowest F1 relative to trafilatura:")
        for r in sorted(rows, key=lambda r: r["ours"][2] - r["theirs"][2])[:show]:
            print(f"  {r['name']:<40} ours {r['ours'][2]:.3f} (P {r['ours'][0]:.2f} R {r['ours'][1]:.2f}) "
                  f"trafilatura {r['theirs'][2]:.3f} (P {r['theirs'][0]:.2f} R {r['theirs'][1]:.2f}) {r['method']}")
        for field in ("date", "author", "title"):
            print(f"\n{field} misses:")
            for r in rows:
                if r[field] is not None and not r[field][0]:
                    key = "byline" if field == "author" else field
                    got = r["got"]["authors" if field == "author" else field]
                    print(f"  {r['name']:<40} got {got!r} gold {r['gold'][key]!r} (trafilatura {'ok' if r[field][1] else 'no'})")


def main() -> None:
    """Score the set and print both sides."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("readability", type=pathlib.Path, help="test/test-pages of a mozilla/readability checkout")
    parser.add_argument("--pages", type=pathlib.Path, action="append", default=[],
                        help=f"more folders of pages (always included: {HERE / 'pages'})")
    parser.add_argument("--show", type=int, default=0, help="list the N worst pages and the metadata misses")
    parser.add_argument("--json", type=pathlib.Path, help="write per-page results here")
    args = parser.parse_args()
    folders = unique_folders([args.readability, HERE / "pages", *args.pages])
    result = score(load_set(folders))
    report(result["rows"], args.show)
    if args.json:
        args.json.write_text(json.dumps(result["rows"], indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()

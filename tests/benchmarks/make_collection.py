"""A generated mixed collection for the throughput benchmarks (a script; nothing it writes is committed).

    python tests/benchmarks/make_collection.py OUT_DIR [--docs 10000] [--seed 7]

Writes ``--docs`` files under OUT_DIR in folders of 500: plain text (.txt),
Markdown with footnotes (.md), HTML pages with boilerplate (.html), wikitext
with references (.wiki) and simple one- or two-page PDFs (.pdf, written here
with a base-14 font, no library). Texts are invented (a Zipf-distributed
made-up vocabulary among English function words) and quote a few shared
passages, as documents on one subject do. Planted among them:

* duplicates (~3%): byte-for-byte copies of an earlier file under another name;
* revisions (~5%): an earlier text with sentences reworded, dropped or added;
* renditions (~2%): an earlier text in another format.

Returns (and prints) the counts per kind; the same seed gives the same files.
"""

from __future__ import annotations

import argparse
import html
import random
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

FUNCTION_WORDS = (
    "the of and to in a is that for it as was with be by on not he this are or his from at which "
    "but have an they were had been their has its one would we all there who more when also can "
    "said about into than them these other only some could after over such what most before"
).split()
FORMATS = (("txt", 30), ("md", 20), ("html", 25), ("wiki", 10), ("pdf", 15))
PER_FOLDER = 500


@dataclass
class Text:
    title: str
    paragraphs: list[list[str]]  # sentences per paragraph
    notes: list[str]


class Words:
    """Sentences over an invented vocabulary, deterministic for a seed."""

    def __init__(self, rng: random.Random, size: int = 20_000):
        self.rng = rng
        letters = "abcdefghijklmnoprstuvz"
        vocab: set[str] = set()
        while len(vocab) < size:
            vocab.add("".join(rng.choice(letters) for _ in range(rng.randint(3, 10))))
        self.vocab = sorted(vocab)
        total = 0.0
        self.cum_weights = []
        for rank in range(size):
            total += 1.0 / (rank + 10)
            self.cum_weights.append(total)
        self.passages = [self.sentence() for _ in range(60)]  # quoted by many documents

    def sentence(self) -> str:
        n = self.rng.randint(8, 24)
        content = self.rng.choices(self.vocab, cum_weights=self.cum_weights, k=n)
        words = [w if self.rng.random() < 0.55 else self.rng.choice(FUNCTION_WORDS) for w in content]
        return words[0].capitalize() + " " + " ".join(words[1:]) + "."

    def text(self) -> Text:
        paragraphs = []
        for _ in range(self.rng.randint(3, 9)):
            sents = [self.sentence() for _ in range(self.rng.randint(2, 6))]
            if self.rng.random() < 0.3:
                sents.insert(self.rng.randrange(len(sents) + 1), self.rng.choice(self.passages))
            paragraphs.append(sents)
        title = " ".join(self.rng.choices(self.vocab[:3000], k=self.rng.randint(3, 7))).title()
        notes = [f"{self.sentence()} Report {self.rng.randint(1, 999)}/{self.rng.randint(1990, 2025)}, p. "
                 f"{self.rng.randint(1, 300)}." for _ in range(self.rng.randint(0, 3))]
        return Text(title, paragraphs, notes)

    def revise(self, text: Text) -> Text:
        """Reword, drop and add a few sentences (3-20% of them)."""
        rate = self.rng.uniform(0.03, 0.2)
        paragraphs = []
        for para in text.paragraphs:
            out = []
            for sent in para:
                roll = self.rng.random()
                if roll < rate / 3:
                    continue
                out.append(self.sentence() if roll < 2 * rate / 3 else sent)
                if roll > 1 - rate / 3:
                    out.append(self.sentence())
            paragraphs.append(out or [self.sentence()])
        return Text(text.title, paragraphs, list(text.notes))


def as_txt(t: Text) -> bytes:
    body = "\n\n".join(" ".join(p) for p in t.paragraphs)
    notes = "".join(f"\n[{i}] {n}" for i, n in enumerate(t.notes, 1))
    return f"{t.title}\n\n{body}\n{notes}\n".encode()


def as_md(t: Text) -> bytes:
    paras = [" ".join(p) for p in t.paragraphs]
    for i in range(len(t.notes)):
        paras[i % len(paras)] += f"[^{i + 1}]"
    notes = "".join(f"\n[^{i}]: {n}\n" for i, n in enumerate(t.notes, 1))
    return (f"# {t.title}\n\n" + "\n\n".join(paras) + "\n" + notes).encode()


def as_html(t: Text) -> bytes:
    paras = "\n".join(f"<p>{html.escape(' '.join(p))}</p>" for p in t.paragraphs)
    notes = "".join(f'<li id="fn{i}">{html.escape(n)}</li>' for i, n in enumerate(t.notes, 1))
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(t.title)}"
            f"</title></head><body><nav><a href=\"/\">Home</a> <a href=\"/news\">News</a> <a href=\"/about\">"
            f"About us</a></nav><main><article><h1>{html.escape(t.title)}</h1>\n{paras}\n"
            f"<ol class=\"footnotes\">{notes}</ol></article></main><footer>Copyright the documentation centre."
            f" All rights reserved.</footer></body></html>").encode()


def as_wiki(t: Text) -> bytes:
    paras = [" ".join(p) for p in t.paragraphs]
    for i, note in enumerate(t.notes):
        paras[i % len(paras)] += f"<ref>{note}</ref>"
    half = max(1, len(paras) // 2)
    body = "\n\n".join(paras[:half]) + "\n\n== Background ==\n\n" + "\n\n".join(paras[half:])
    return (f"'''{t.title}''' is a subject of this article.\n\n{body}\n\n== References ==\n<references />\n"
            f"[[Category:Generated]]\n").encode()


def _pdf_escape(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _wrap(text: str, width: int = 90) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + ([line] if line else [])


def as_pdf(t: Text) -> bytes:
    """A valid PDF of one or two pages (Helvetica, 10 pt, 60 lines a page), text extractable."""
    lines = [t.title, ""]
    for para in t.paragraphs:
        lines += _wrap(" ".join(para)) + [""]
    pages = [lines[i:i + 60] for i in range(0, len(lines), 60)] or [[""]]
    objects: list[bytes] = []
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    font = 3 + 2 * len(pages)
    for i, page in enumerate(pages):
        ops = ["BT", "/F1 10 Tf", "12 TL", "56 790 Td"] + [f"({_pdf_escape(s)}) '" for s in page] + ["ET"]
        stream = zlib.compress("\n".join(ops).encode("latin-1", "replace"))
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {4 + 2 * i} 0 R "
                       f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode())
        objects.append(f"<< /Length {len(stream)} /Filter /FlateDecode >>\nstream\n".encode() + stream
                       + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


WRITERS = {"txt": as_txt, "md": as_md, "html": as_html, "wiki": as_wiki, "pdf": as_pdf}


def generate(out: Path, docs: int = 10_000, seed: int = 7, lineage: dict[str, str] | None = None) -> Counter[str]:
    """Write the collection under ``out``; the counts per kind and format. ``lineage``, when given, is filled
    with each duplicate's, revision's and rendition's file name -> the file name it was made from."""
    rng = random.Random(seed)
    words = Words(rng)
    formats = [f for f, _ in FORMATS]
    weights = [w for _, w in FORMATS]
    made: list[tuple[Text, str, Path]] = []
    counts: Counter[str] = Counter()
    for n in range(docs):
        folder = out / f"part-{n // PER_FOLDER:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        roll = rng.random()
        source = None
        if made and roll < 0.03:
            _text, fmt, source = rng.choice(made)
            data, kind = source.read_bytes(), "duplicate"
        elif made and roll < 0.08:
            base, fmt, source = rng.choice(made)
            text, kind = words.revise(base), "revision"
        elif made and roll < 0.10:
            text, old_fmt, source = rng.choice(made)
            fmt, kind = rng.choice([f for f in formats if f != old_fmt]), "rendition"
        else:
            text, fmt, kind = words.text(), rng.choices(formats, weights)[0], "new"
        path = folder / f"doc-{n:05d}.{fmt}"
        if lineage is not None and source is not None:
            lineage[path.name] = source.name
        if kind != "duplicate":
            data = WRITERS[fmt](text)
            made.append((text, fmt, path))
        path.write_bytes(data)
        counts[kind] += 1
        counts[fmt] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(dict(generate(args.out, args.docs, args.seed)))


if __name__ == "__main__":
    main()

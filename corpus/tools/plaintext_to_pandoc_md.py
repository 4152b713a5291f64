#!/usr/bin/env python3
"""Wrap a plain-text web-page dump as pandoc Markdown, text kept literally.

Written for corpus/000_eb76b57703d98c0a.txt (an encyclopedia article saved as the
plain text of a web page: headings as bare lines, list items as lines, some with a
leading space).  Stdlib only.  Rules, applied per block (blocks are separated by
blank or whitespace-only lines):

* every ASCII punctuation character is backslash-escaped, so pandoc reads the
  words as text and never as Markdown (no emphasis, links, lists, smart quotes);
* a line is "title-like" if it is at most 70 characters and 10 words, starts
  with a letter or digit, has no comma, and does not end in punctuation;
* a title-like line is a heading only where that is clear: it is a block on its
  own, or the first line of a block whose second line is not title-like (so a
  run of short lines, such as "See also" entries or category lines, is never
  taken for headings);
  level: lines the dump left with a trailing space are subsections (###); other
  headings and the usual closing sections (See also, References, Further
  reading, External links, Notes) are sections (##);
* the remaining lines of a block: if every line starts with whitespace, the
  block is a bullet list (the dump's rendering of list items); otherwise each
  line is a paragraph of its own;
* leading/trailing whitespace of lines is dropped; nothing else changes.

Usage:  plaintext_to_pandoc_md.py INPUT [OUTPUT]   (OUTPUT "-" or missing: stdout)
Prints the headings it found to standard error so a person can check them.
"""
from __future__ import annotations

import string
import sys

CLOSING_SECTIONS = {"see also", "references", "further reading", "external links", "notes"}
PUNCT = set(string.punctuation)
ENDS_WITH_PUNCT = tuple(".,;:!?\"'”’»]…“")


def esc(s: str) -> str:
    return "".join("\\" + c if c in PUNCT else c for c in s)


def title_like(line: str) -> bool:
    s = line.strip()
    return (
        0 < len(s) <= 70
        and len(s.split()) <= 10
        and s[0].isalnum()
        and "," not in s
        and not s.endswith(ENDS_WITH_PUNCT)
    )


def blocks(text: str) -> list[list[str]]:
    out: list[list[str]] = []
    cur: list[str] = []
    for line in text.splitlines():
        if line.strip() == "":
            if cur:
                out.append(cur)
                cur = []
        else:
            cur.append(line)
    if cur:
        out.append(cur)
    return out


def convert(text: str) -> tuple[str, list[str]]:
    md: list[str] = []
    found: list[str] = []
    for blk in blocks(text):
        first = blk[0]
        if title_like(first) and (len(blk) == 1 or not title_like(blk[1])):
            name = first.strip()
            sub = first != first.rstrip() and name.lower() not in CLOSING_SECTIONS
            level = "###" if sub else "##"
            md.append(f"{level} {esc(name)}")
            found.append(f"{level} {name}")
            blk = blk[1:]
        if not blk:
            continue
        if all(l[:1].isspace() for l in blk):
            md.append("\n".join(f"- {esc(l.strip())}" for l in blk))
        else:
            md.extend(esc(l.strip()) for l in blk)
    return "\n\n".join(md) + "\n", found


def main(argv: list[str]) -> int:
    if not argv or len(argv) > 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as fh:
        result, found = convert(fh.read())
    out = argv[1] if len(argv) == 2 else "-"
    if out == "-":
        sys.stdout.write(result)
    else:
        with open(out, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(result)
    for h in found:
        print(f"plaintext_to_pandoc_md: heading {h}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

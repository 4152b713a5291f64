#!/usr/bin/env python3
"""Turn Markdown-from-PDF with <sup>N</sup> footnotes into pandoc Markdown footnotes.

Written for corpus/003_50b2b079aba8eece.txt (stdlib only, Python >= 3.8).  The
input is Markdown produced from a PDF in which

* a footnote reference in the body is ``<sup>N</sup>`` glued to the text;
* a footnote body is a paragraph of its own that starts with ``<sup>N</sup> ``;
* the PDF's page breaks survive as horizontal rules (a line ``---``).

The output is pandoc Markdown in which

* each body reference ``<sup>N</sup>``           -> ``[^N]``
* each note paragraph ``<sup>N</sup> text``      -> ``[^N]: text``
* each page-break rule line (and the one blank line after it) is removed;

nothing else is touched: no re-wrapping, no joining of paragraphs that the page
breaks split, no repair of note text that spilled onto the next page.  The
script proves this by mapping its output back (``[^N]: `` -> ``<sup>N</sup> ``,
``[^N]`` -> ``<sup>N</sup>``) and comparing with the input minus the removed
lines; any difference is an error.

It also checks that every reference has exactly one note body and vice versa,
that the numbers run 1..N without gaps, and (with --expect N) that there are N.

Usage:  sup_to_pandoc_notes.py INPUT [OUTPUT] [--expect N]
        (OUTPUT "-" or missing: standard output).  Exit status 1 on any check
        failure, with the reason on standard error.
"""
from __future__ import annotations

import argparse
import re
import sys
from collections import Counter

SUP = re.compile(r"<sup>(\d+)</sup>")
NOTE_START = re.compile(r"<sup>(\d+)</sup>[ \t]*")
RULE = re.compile(r"[ \t]*-{3,}[ \t]*")
PANDOC_REF = re.compile(r"\[\^(\d+)\]")
PANDOC_DEF = re.compile(r"\[\^(\d+)\]: ")


def convert(text: str) -> tuple[str, str, Counter, Counter]:
    """Return (pandoc_markdown, input_without_rules, ref_counts, def_counts)."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    kept: list[str] = []  # input lines that survive (for the round-trip check)
    refs: Counter = Counter()
    defs: Counter = Counter()
    prev_blank = True  # start of file counts as a paragraph start
    skip_next_blank = False
    for line in lines:
        body = line.rstrip("\r\n")
        eol = line[len(body):]
        if skip_next_blank:
            skip_next_blank = False
            if body.strip() == "":
                continue
        if RULE.fullmatch(body):
            skip_next_blank = True
            continue
        kept.append(line)
        m = NOTE_START.match(body)
        if m and prev_blank:
            num = m.group(1)
            defs[num] += 1
            rest = body[m.end():]
            if SUP.search(rest):
                raise SystemExit(f"note {num}: a <sup> marker inside a note body; not handled")
            # keep the single space pandoc needs; the original had exactly one
            out.append(f"[^{num}]: {rest}{eol}")
        else:
            for r in SUP.findall(body):
                refs[r] += 1
            out.append(SUP.sub(r"[^\1]", body) + eol)
        prev_blank = body.strip() == ""
    return "".join(out), "".join(kept), refs, defs


def check(src: str, result: str, kept: str, refs: Counter, defs: Counter, expect: int | None) -> list[str]:
    problems: list[str] = []
    if "[^" in src:
        problems.append("input already contains '[^'; round-trip check would be ambiguous")
    back = PANDOC_DEF.sub(lambda m: f"<sup>{m.group(1)}</sup> ", result)
    back = PANDOC_REF.sub(lambda m: f"<sup>{m.group(1)}</sup>", back)
    if back != kept:
        problems.append("round trip differs from input: text other than markers/rules changed")
    for n, c in sorted(refs.items(), key=lambda kv: int(kv[0])):
        if c != 1:
            problems.append(f"reference {n} occurs {c} times in the body")
    for n, c in sorted(defs.items(), key=lambda kv: int(kv[0])):
        if c != 1:
            problems.append(f"note body {n} occurs {c} times")
    if set(refs) - set(defs):
        problems.append(f"references without a note body: {sorted(set(refs) - set(defs), key=int)}")
    if set(defs) - set(refs):
        problems.append(f"note bodies without a reference: {sorted(set(defs) - set(refs), key=int)}")
    nums = sorted(int(n) for n in defs)
    if nums and nums != list(range(1, len(nums) + 1)):
        problems.append("note numbers do not run 1..N without gaps")
    if expect is not None and len(defs) != expect:
        problems.append(f"expected {expect} notes, found {len(defs)}")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input")
    ap.add_argument("output", nargs="?", default="-")
    ap.add_argument("--expect", type=int, default=None, help="number of footnotes expected")
    a = ap.parse_args(argv)
    with open(a.input, encoding="utf-8", newline="") as fh:
        src = fh.read()
    result, kept, refs, defs = convert(src)
    problems = check(src, result, kept, refs, defs, a.expect)
    if problems:
        for p in problems:
            print(f"sup_to_pandoc_notes: {p}", file=sys.stderr)
        return 1
    if a.output == "-":
        sys.stdout.write(result)
    else:
        with open(a.output, "w", encoding="utf-8", newline="") as fh:
            fh.write(result)
    print(f"sup_to_pandoc_notes: {len(defs)} footnotes, {sum(refs.values())} references", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

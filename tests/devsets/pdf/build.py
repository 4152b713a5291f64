"""Rebuild the PDF footnote development corpus from real producers.

    python tests/devsets/pdf/build.py [OUT_DIR] [--only latex,weasyprint,...] [--seed N]

OUT_DIR defaults to /tmp/archivist-devset-pdf; nothing here is committed but
this script. Every document is generated from a seeded text generator, so the
truth is exactly the notes put in: ``NAME.pdf`` comes with ``NAME.truth.json``
(``{"producer", "notes": {label: text}, "urls": {label: [url, ...]}}``).

Every truth file also names its ``markup`` (``producer/variant``): score.py
reports each. Notes a producer never printed (WeasyPrint loses a footnote it
moves on and on) are left out of the truth and listed as ``unprinted``; LaTeX
PDFs whose overfull lines run off the page are not rewritten by Ghostscript
(it clips that text). A few of the documents are committed as test samples in
tests/devsets/pdf/samples/ (checked by tests/test_pdf_producers.py).

Producers (dev only; Debian packages in /tmp/house/apt-H13-pdf.txt):

- ``latex``: pdflatex and lualatex with the article, report, scrartcl
  (KOMA-Script) and memoir classes, one and two columns, ``footmisc``
  ``perpage`` and ``para`` (with and without hyperref), hyperref links or
  plain ``url``, long notes that break across pages, a small-font quoted
  block with numbered paragraphs in the body;
- ``weasyprint``: HTML with CSS ``float: footnote`` (block and inline
  ``footnote-display``, labels plain or raised);
- ``chromium``: HTML printed headless, fixed-size pages with the notes set
  at each page's foot (Chromium has no CSS footnotes), no space glyphs,
  labels plain or raised;
- ``libreoffice``: pandoc Markdown -> ODT or DOCX -> ``soffice --convert-to pdf``;
- ``ghostscript``: LaTeX, LibreOffice, WeasyPrint and Chromium PDFs rewritten
  by ``gs -sDEVICE=pdfwrite``.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

WORDS = ("the commission received reports that detainees were held without charge in facilities run by "
         "security services and that families were not informed of transfers between prisons during the "
         "period under review while lawyers were denied access to their clients and the courts declined "
         "to examine complaints of ill treatment brought by relatives of those held").split()
TOPICS = ["torture", "enforced disappearances", "arbitrary detention", "freedom of expression",
          "the independence of judges and lawyers", "extrajudicial executions", "the right to housing"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
NAMES = ["Maria Lopez", "Ahmad Karimi", "Julia Santos", "Peter Okafor", "Lena Novak", "Samuel Reyes"]
HOSTS = ["www.ohchr.org", "documents.un.org", "www.amnesty.org", "www.hrw.org", "iranhrs.org",
         "www.example-archive.org"]


def sentence(rng: random.Random, lo: int = 8, hi: int = 20) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(lo, hi))]
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


def url(rng: random.Random) -> str:
    slug = "-".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9)))
    path = f"/en/documents/{rng.randint(2010, 2023)}/{rng.randint(1, 12):02d}/{slug}"
    if rng.random() < 0.3:
        path += f"?symbol=A/HRC/{rng.randint(30, 55)}/{rng.randint(1, 80)}&lang=en"
    return f"https://{rng.choice(HOSTS)}{path}"


def note(rng: random.Random, long: bool = False) -> tuple[str, list[str]]:
    """One note's text and the URLs it prints (``long``: mostly notes of eight sentences or more)."""
    kind = 0.6 + rng.random() * 0.4 if long else rng.random()
    urls: list[str] = []
    if kind < 0.3:
        text = (f"Report of the Special Rapporteur on {rng.choice(TOPICS)}, UN Doc. A/HRC/{rng.randint(30, 55)}/"
                f"{rng.randint(1, 80)}, {rng.randint(1, 28)} {rng.choice(MONTHS)} {rng.randint(1990, 2023)}, "
                f"para. {rng.randint(1, 120)}.")
    elif kind < 0.55:
        u = url(rng)
        urls.append(u)
        text = f"{rng.choice(NAMES)}, interview, {rng.randint(1, 28)} {rng.choice(MONTHS)} {rng.randint(2000, 2023)}, available at {u}."
    elif kind < 0.75:
        # Numbers that could start a wrapped line inside the note.
        text = (f"{sentence(rng, 6, 12)} Between {rng.randint(2, 9)} and {rng.randint(10, 60)} percent of "
                f"those held were never charged. 1) The State has violated article {rng.randint(2, 26)}; "
                f"2) the State shall release the detainees. 5. To publish the decision. {sentence(rng)}")
    else:
        # A long note, likely to break across pages.
        parts = [sentence(rng, 12, 24) for _ in range(rng.randint(8, 14) if long else rng.randint(4, 8))]
        if rng.random() < 0.5:
            u = url(rng)
            urls.append(u)
            parts.insert(2, f"See {u}.")
        text = " ".join(parts)
    return text, urls


def document(rng: random.Random, n_notes: int, long: bool = False) -> tuple[list[tuple[str, list[int]]], dict[str, str],
                                                                         dict[str, list[str]]]:
    """Paragraphs (text with {N} marker slots) and the notes (``long``: mostly long ones)."""
    notes: dict[str, str] = {}
    urls: dict[str, list[str]] = {}
    paragraphs: list[tuple[str, list[int]]] = []
    label = 0
    while label < n_notes:
        sentences = []
        cited = []
        for _ in range(rng.randint(3, 7)):
            s = sentence(rng)
            if label < n_notes and rng.random() < 0.6:
                label += 1
                text, found = note(rng, long)
                notes[str(label)] = text
                urls[str(label)] = found
                s = s[:-1] + ".{%d}" % label
                cited.append(label)
            sentences.append(s)
        paragraphs.append((" ".join(sentences), cited))
    return paragraphs, notes, urls


# -------------------------------------------------------------------- LaTeX

def tex_escape(text: str) -> str:
    out = []
    for chunk in text.split(" "):
        if chunk.startswith("https://"):
            tail = ""
            while chunk and chunk[-1] in ".,;":
                tail = chunk[-1] + tail
                chunk = chunk[:-1]
            out.append(r"\url{" + chunk + "}" + tail)
        else:
            out.append(chunk.replace("&", r"\&").replace("%", r"\%").replace("_", r"\_"))
    return " ".join(out)


def latex_source(paragraphs, notes, variant: dict) -> str:
    options = ",".join(o for o in ("twocolumn" if variant.get("twocolumn") else "", "11pt") if o)
    pre = [rf"\documentclass[{options}]{{{variant['class']}}}"]
    if variant.get("engine") == "lualatex":
        pre.append(r"\usepackage{fontspec}")  # OpenType Latin Modern, Unicode text
    elif variant.get("lmodern"):
        pre.append(r"\usepackage[T1]{fontenc}\usepackage{lmodern}")
    pre.append(r"\usepackage{url}")
    if variant.get("footmisc"):
        pre.append(rf"\usepackage[{variant['footmisc']}]{{footmisc}}")
    if variant.get("footmisc") == "para":
        pre.append(r"\usepackage{xurl}")  # else URLs run past the page edge (and Ghostscript clips them)
    if variant.get("hyperref"):
        pre.append(r"\usepackage[hidelinks]{hyperref}")
    if variant.get("long"):
        pre.append(r"\interfootnotelinepenalty=0")  # let long notes break across pages
    pre.append(r"\usepackage[a4paper,margin=2.5cm]{geometry}")
    body = [r"\begin{document}", r"\section*{Report on detention practice}"]
    for i, (text, _) in enumerate(paragraphs):
        def repl(m):
            return r"\footnote{\label{fn" + m.group(1) + "}" + tex_escape(notes[m.group(1)]) + "}"
        body.append(re.sub(r"\{(\d+)\}", repl, tex_escape(text)) + "\n")
        if variant.get("quote") and i == 1:
            body.append(r"\begin{quote}\small 1. The State shall release the detainees within thirty days. "
                        r"2. The State shall inform the families of every transfer. 3. To publish this "
                        r"resolution in the official gazette.\end{quote}")
    body.append(r"\end{document}")
    return "\n".join(pre + body)


LATEX_VARIANTS = [
    {"name": "article", "class": "article"},
    {"name": "article-twocolumn", "class": "article", "twocolumn": True},
    {"name": "report-hyperref", "class": "report", "hyperref": True},
    {"name": "article-perpage", "class": "article", "footmisc": "perpage"},
    {"name": "article-quote", "class": "article", "quote": True},
    {"name": "article-para", "class": "article", "footmisc": "para"},
    # KOMA-Script and memoir set the label flush, not raised, with a hanging indent.
    {"name": "scrartcl-hyperref", "class": "scrartcl", "hyperref": True, "lmodern": True},
    {"name": "memoir-twocolumn", "class": "memoir", "twocolumn": True, "lmodern": True},
    {"name": "article-para-hyperref", "class": "article", "footmisc": "para", "hyperref": True},
    {"name": "article-twocolumn-para", "class": "article", "twocolumn": True, "footmisc": "para"},
    {"name": "article-perpage-hyperref", "class": "article", "footmisc": "perpage", "hyperref": True},
    {"name": "article-long", "class": "article", "long": True, "lmodern": True},
    {"name": "report-lualatex", "class": "report", "engine": "lualatex", "hyperref": True},
]


def build_latex(out: Path, rng: random.Random) -> list[Path]:
    made = []
    for variant in LATEX_VARIANTS:
        paragraphs, notes, urls = document(rng, rng.randint(18, 30), long=variant.get("long", False))
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "doc.tex"
            src.write_text(latex_source(paragraphs, notes, variant), encoding="utf-8")
            for run in range(5):  # as latexmk does: until the labels settle (perpage numbers need a third run)
                subprocess.run([variant.get("engine", "pdflatex"), "-interaction=nonstopmode", "-halt-on-error",
                                "doc.tex"], cwd=tmp, check=True, capture_output=True, timeout=300)
                log_text = (Path(tmp) / "doc.log").read_text(encoding="utf-8", errors="replace")
                if run >= 1 and not re.search(r"rerun", log_text, re.I):
                    break
            if variant.get("footmisc") == "perpage":
                # Printed labels start again on every page: the truth is the labels as printed (from the .aux).
                aux = (Path(tmp) / "doc.aux").read_text(encoding="utf-8", errors="replace")
                printed = dict(re.findall(r"\\newlabel\{fn(\d+)\}\{\{(\d+)\}", aux))
                notes = [[printed[k], v] for k, v in notes.items()]
                urls = {}  # labels repeat: this document scores notes only
            made.append(_save(out, f"latex-{variant['name']}", Path(tmp) / "doc.pdf", "latex", notes, urls,
                              markup=f"latex/{variant['name']}"))
    return made


# -------------------------------------------------------------------- HTML producers

def html_source(paragraphs, notes, css_footnotes: bool, variant: dict | None = None) -> str:
    """HTML of the document; with ``css_footnotes`` the notes float to the page foot (CSS GCPM).

    ``variant``: ``display`` ("inline": the notes of a page run together in one
    paragraph), ``raised`` (the label in the note area set as a superscript).
    """
    variant = variant or {}
    style = ("body{font-family:'DejaVu Serif',serif;font-size:11pt;line-height:1.4;margin:0}"
             "@page{size:A4;margin:2.5cm}")
    if css_footnotes:
        marker = ("content:counter(footnote);vertical-align:super;font-size:6pt;padding-right:2pt"
                  if variant.get("raised") else "content:counter(footnote) ' '")
        style += (f".fn{{float:footnote;font-size:9pt;footnote-display:{variant.get('display', 'block')}}}"
                  ".fn::footnote-call{content:counter(footnote);vertical-align:super;font-size:7pt}"
                  f".fn::footnote-marker{{{marker}}}")
        if variant.get("display") == "inline":
            style += ".fn{padding-right:1em}"
    else:
        style += "sup{font-size:7pt}ol.notes{font-size:9pt;padding-left:1.5em}"
    out = [f"<html><head><meta charset='utf-8'><style>{style}</style></head><body><h1>Report on detention practice</h1>"]
    pending: list[str] = []
    for text, _ in paragraphs:
        def repl(m):
            label = m.group(1)
            if css_footnotes:
                return f"<span class='fn'>{html.escape(notes[label])}</span>"
            pending.append(label)
            return f"<sup>{label}</sup>"
        out.append("<p>" + re.sub(r"\{(\d+)\}", repl, html.escape(text)) + "</p>")
        if pending and not css_footnotes:
            # Chromium has no page footnotes: each section ends with its notes, in small type.
            out.append(f"<ol class='notes' start='{pending[0]}'>" + "".join(
                f"<li>{html.escape(notes[label])}</li>" for label in pending) + "</ol>")
            pending = []
    out.append("</body></html>")
    return "".join(out)


def build_weasyprint(out: Path, rng: random.Random) -> list[Path]:
    from weasyprint import HTML  # dev only
    made = []
    for variant in WEASYPRINT_VARIANTS:
        paragraphs, notes, urls = document(rng, rng.randint(18, 30))
        with tempfile.TemporaryDirectory() as tmp:
            pdf = Path(tmp) / "doc.pdf"
            HTML(string=html_source(paragraphs, notes, css_footnotes=True, variant=variant)).write_pdf(pdf)
            made.append(_save(out, f"weasyprint-{variant['name']}", pdf, "weasyprint", notes, urls,
                              markup=f"weasyprint/{variant.get('markup', 'block')}"))
    return made


WEASYPRINT_VARIANTS = [
    {"name": "0"}, {"name": "1"}, {"name": "2"},
    {"name": "inline", "display": "inline", "markup": "inline"},
    {"name": "raised", "raised": True, "markup": "raised-label"},
]


def paged_html(paragraphs, notes, raised: bool = False, budget: int = 3400) -> str:
    """A4 pages with each page's notes set at its foot, as HTML report generators do
    (``raised``: the labels in the notes set as superscripts).

    Paragraphs go on a page while its body and notes fit (``budget``, in body
    characters; note characters count 0.6); a page that still overflows runs
    on to the next sheet rather than overlapping its notes.
    """
    style = ("@page{size:A4;margin:0}body{margin:0;font-family:'DejaVu Sans',sans-serif;font-size:10.5pt;"
             "line-height:1.45}.page{width:210mm;min-height:296mm;padding:25mm 25mm 20mm;box-sizing:border-box;"
             "display:flex;flex-direction:column;page-break-after:always}sup{font-size:6.5pt}"
             ".notes{margin-top:auto;font-size:8.5pt;line-height:1.3}.notes hr{width:30%;margin:0 0 4pt 0;"
             "border:0;border-top:0.5pt solid #000}.notes p{margin:0 0 2pt 0;padding-left:1.2em;text-indent:-1.2em}")
    chunks: list[list] = []
    used = budget
    for text, cited in paragraphs:
        cost = len(text) + 0.6 * sum(len(notes[str(label)]) for label in cited)
        if used + cost > budget:
            chunks.append([])
            used = 0
        chunks[-1].append((text, cited))
        used += cost
    out = [f"<html><head><meta charset='utf-8'><style>{style}</style></head><body>"]
    for n, chunk in enumerate(chunks):
        out.append("<div class='page'><div class='body'>")
        if n == 0:
            out.append("<h1>Report on detention practice</h1>")
        labels: list[str] = []
        for text, _ in chunk:
            def repl(m):
                labels.append(m.group(1))
                return f"<sup>{m.group(1)}</sup>"
            out.append("<p>" + re.sub(r"\{(\d+)\}", repl, html.escape(text)) + "</p>")
        out.append("</div>")
        if labels:
            out.append("<div class='notes'><hr>" + "".join(
                (f"<p><sup>{label}</sup>&#8194;{html.escape(notes[label])}</p>" if raised else
                 f"<p>{label}&#8194;{html.escape(notes[label])}</p>") for label in labels) + "</div>")
        out.append("</div>")
    out.append("</body></html>")
    return "".join(out)


def build_chromium(out: Path, rng: random.Random) -> list[Path]:
    made = []
    for i in range(5):
        raised = i >= 3
        paragraphs, notes, urls = document(rng, rng.randint(12, 20))
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "doc.html"
            src.write_text(paged_html(paragraphs, notes, raised=raised), encoding="utf-8")
            pdf = Path(tmp) / "doc.pdf"
            subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                            "--disable-background-networking", "--no-first-run", "--no-pdf-header-footer",
                            f"--user-data-dir={tmp}/profile", f"--print-to-pdf={pdf}", src.as_uri()],
                           check=True, capture_output=True, timeout=180)
            made.append(_save(out, f"chromium-{'sup-' if raised else ''}{i}", pdf, "chromium", notes, urls,
                              markup="chromium/" + ("raised-label" if raised else "plain-label")))
    return made


def build_libreoffice(out: Path, rng: random.Random) -> list[Path]:
    made = []
    for i in range(3):
        paragraphs, notes, urls = document(rng, rng.randint(18, 30))
        md = ["# Report on detention practice", ""]
        for text, _ in paragraphs:
            md += [re.sub(r"\{(\d+)\}", r"[^\1]", text), ""]
        md += [f"[^{label}]: {text}" for label, text in notes.items()]
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "doc.md").write_text("\n".join(md), encoding="utf-8")
            fmt = "odt" if i % 2 == 0 else "docx"
            subprocess.run(["pandoc", "doc.md", "-o", f"doc.{fmt}"], cwd=tmp, check=True, timeout=120)
            subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp}/lo", "--headless", "--convert-to",
                            "pdf", f"doc.{fmt}"], cwd=tmp, check=True, capture_output=True, timeout=300)
            made.append(_save(out, f"libreoffice-{fmt}-{i}", Path(tmp) / "doc.pdf", "libreoffice", notes, urls,
                              markup=f"libreoffice/{fmt}"))
    return made


def runs_off_page(pdf: Path) -> bool:
    """Whether any text starts beyond the page's right edge (an overfull LaTeX line): Ghostscript
    clips such text, so a rewrite would lose it and no longer match the truth."""
    from pypdf import PdfReader
    for page in PdfReader(pdf).pages:
        right = float(page.mediabox.right)
        starts: list[float] = []
        page.extract_text(visitor_text=lambda text, cm, tm, font, size: starts.append(tm[4] * cm[0] + cm[4])
                          if text.strip() else None)
        if any(x > right for x in starts):
            return True
    return False


def build_ghostscript(out: Path, sources: list[Path]) -> list[Path]:
    made = []
    for pdf in sources:
        if runs_off_page(pdf):
            print(f"ghostscript: {pdf.name} skipped, text runs off its pages", file=sys.stderr)
            continue
        target = out / f"gs-{pdf.stem}.pdf"
        subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", f"-sOutputFile={target}",
                        str(pdf)], check=True, timeout=300)
        truth = json.loads(pdf.with_suffix(".truth.json").read_text(encoding="utf-8"))
        truth["producer"] = "ghostscript"
        truth["markup"] = "ghostscript/" + truth.get("markup", truth.get("producer", "?")).replace("/", "-")
        target.with_suffix(".truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
        made.append(target)
    return made


def _squash(text: str) -> str:
    return re.sub(r"[\s\-\u00ad]+", "", unicodedata.normalize("NFKC", text))


def unprinted(pdf: Path, notes) -> list[str]:
    """Labels of the notes whose text the PDF does not hold at all (a producer can lose a note:
    WeasyPrint drops a footnote it moved on and on and never found room for)."""
    from pypdf import PdfReader
    printed = _squash("".join(page.extract_text() or "" for page in PdfReader(pdf).pages))
    pairs = notes if isinstance(notes, list) else list(notes.items())
    lost = []
    for label, text in pairs:
        chunks = [c for c in re.findall(r".{1,20}", _squash(text))]  # a note may break across pages
        if sum(c in printed for c in chunks) < 0.5 * len(chunks):
            lost.append(label)
    return lost


def _save(out: Path, name: str, pdf: Path, producer: str, notes: dict, urls: dict, markup: str = "") -> Path:
    target = out / f"{name}.pdf"
    shutil.copyfile(pdf, target)
    lost = unprinted(target, notes)
    if lost:
        print(f"{name}: the producer printed no text for notes {', '.join(lost)}; left out of the truth",
              file=sys.stderr)
        notes = [p for p in notes if p[0] not in lost] if isinstance(notes, list) else \
            {k: v for k, v in notes.items() if k not in lost}
    truth = {"producer": producer, "markup": markup or producer, "notes": notes,
             "urls": {k: v for k, v in urls.items() if v and k not in lost}, "unprinted": lost}
    # ``notes`` is {label: text}, or [[label, text], ...] in order when printed labels repeat.
    target.with_suffix(".truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", nargs="?", default="/tmp/archivist-devset-pdf")
    parser.add_argument("--only", default="latex,weasyprint,chromium,libreoffice,ghostscript")
    parser.add_argument("--seed", type=int, default=13, help="another seed gives a fresh corpus to check on")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    only = set(args.only.split(","))
    rng = random.Random(args.seed)
    made: dict[str, list[Path]] = {}
    for name, build in (("latex", build_latex), ("weasyprint", build_weasyprint), ("chromium", build_chromium),
                        ("libreoffice", build_libreoffice)):
        if name in only:
            made[name] = build(out, rng)
            print(f"{name}: {len(made[name])} documents", file=sys.stderr)
    if "ghostscript" in only:
        # One or two of every other producer's documents, rewritten.
        sources = made.get("latex", [])[:3] + made.get("latex", [])[5:11] + made.get("libreoffice", [])[:1] \
            + made.get("weasyprint", [])[:1] + made.get("chromium", [])[:1]
        print(f"ghostscript: {len(build_ghostscript(out, sources))} documents", file=sys.stderr)


if __name__ == "__main__":
    main()

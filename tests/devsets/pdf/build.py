"""Rebuild the PDF footnote development corpus from real producers.

    python tests/devsets/pdf/build.py [OUT_DIR] [--only latex,weasyprint,...]

OUT_DIR defaults to /tmp/archivist-devset-pdf; nothing here is committed but
this script. Every document is generated from a seeded text generator, so the
truth is exactly the notes put in: ``NAME.pdf`` comes with ``NAME.truth.json``
(``{"producer", "notes": {label: text}, "urls": {label: [url, ...]}}``).

Producers (dev only; Debian packages in /tmp/house/apt-13p.txt):

- ``latex``: pdflatex with article, report and scrartcl-free classes, one and
  two columns, ``footmisc`` ``perpage`` and ``para``, hyperref links or
  plain ``url``, long notes that break across pages, a small-font quoted
  block with numbered paragraphs in the body;
- ``weasyprint``: HTML with CSS ``float: footnote``;
- ``chromium``: HTML printed headless, fixed-size pages with the notes set
  at each page's foot (Chromium has no CSS footnotes), no space glyphs;
- ``libreoffice``: pandoc Markdown -> ODT -> ``soffice --convert-to pdf``;
- ``ghostscript``: the LaTeX and LibreOffice PDFs rewritten by ``gs -sDEVICE=pdfwrite``.
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


def note(rng: random.Random) -> tuple[str, list[str]]:
    """One note's text and the URLs it prints."""
    kind = rng.random()
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
        parts = [sentence(rng, 12, 24) for _ in range(rng.randint(4, 8))]
        if rng.random() < 0.5:
            u = url(rng)
            urls.append(u)
            parts.insert(2, f"See {u}.")
        text = " ".join(parts)
    return text, urls


def document(rng: random.Random, n_notes: int) -> tuple[list[tuple[str, list[int]]], dict[str, str], dict[str, list[str]]]:
    """Paragraphs (text with {N} marker slots) and the notes."""
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
                text, found = note(rng)
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
    pre = [rf"\documentclass[{options}]{{{variant['class']}}}",
           r"\usepackage{url}"]
    if variant.get("footmisc"):
        pre.append(rf"\usepackage[{variant['footmisc']}]{{footmisc}}")
    if variant.get("hyperref"):
        pre.append(r"\usepackage[hidelinks]{hyperref}")
    pre.append(r"\usepackage[a4paper,margin=2.5cm]{geometry}")
    body = [r"\begin{document}", r"\section*{Report on detention practice}"]
    for i, (text, _) in enumerate(paragraphs):
        def repl(m):
            return r"\footnote{\label{fn" + m.group(1) + "}" + tex_escape(notes[m.group(1)]) + "}"
        import re
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
]


def build_latex(out: Path, rng: random.Random) -> list[Path]:
    made = []
    for variant in LATEX_VARIANTS:
        paragraphs, notes, urls = document(rng, rng.randint(18, 30))
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "doc.tex"
            src.write_text(latex_source(paragraphs, notes, variant), encoding="utf-8")
            for _ in range(2):
                subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp,
                               check=True, capture_output=True, timeout=120)
            if variant.get("footmisc") == "perpage":
                # Printed labels start again on every page: the truth is the labels as printed (from the .aux).
                aux = (Path(tmp) / "doc.aux").read_text(encoding="utf-8", errors="replace")
                printed = dict(re.findall(r"\\newlabel\{fn(\d+)\}\{\{(\d+)\}", aux))
                notes = [[printed[k], v] for k, v in notes.items()]
                urls = {}  # labels repeat: this document scores notes only
            made.append(_save(out, f"latex-{variant['name']}", Path(tmp) / "doc.pdf", "latex", notes, urls))
    return made


# -------------------------------------------------------------------- HTML producers

def html_source(paragraphs, notes, css_footnotes: bool) -> str:
    import re
    style = ("body{font-family:'DejaVu Serif',serif;font-size:11pt;line-height:1.4;margin:0}"
             "@page{size:A4;margin:2.5cm}")
    if css_footnotes:
        style += (".fn{float:footnote;font-size:9pt}.fn::footnote-call{content:counter(footnote);"
                  "vertical-align:super;font-size:7pt}.fn::footnote-marker{content:counter(footnote) ' '}")
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
    for i in range(3):
        paragraphs, notes, urls = document(rng, rng.randint(18, 30))
        with tempfile.TemporaryDirectory() as tmp:
            pdf = Path(tmp) / "doc.pdf"
            HTML(string=html_source(paragraphs, notes, css_footnotes=True)).write_pdf(pdf)
            made.append(_save(out, f"weasyprint-{i}", pdf, "weasyprint", notes, urls))
    return made


def paged_html(paragraphs, notes, per_page: int = 2) -> str:
    """Fixed-size A4 pages with each page's notes set at its foot, as HTML report generators do."""
    import re
    style = ("@page{size:A4;margin:0}body{margin:0;font-family:'DejaVu Sans',sans-serif;font-size:10.5pt;"
             "line-height:1.45}.page{position:relative;width:210mm;height:296mm;padding:25mm;box-sizing:border-box;"
             "page-break-after:always;overflow:hidden}sup{font-size:6.5pt}.notes{position:absolute;left:25mm;"
             "right:25mm;bottom:20mm;font-size:8.5pt;line-height:1.3}.notes hr{width:30%;margin:0 0 4pt 0;"
             "border:0;border-top:0.5pt solid #000}.notes p{margin:0 0 2pt 0;padding-left:1.2em;text-indent:-1.2em}")
    out = [f"<html><head><meta charset='utf-8'><style>{style}</style></head><body>"]
    for start in range(0, len(paragraphs), per_page):
        chunk = paragraphs[start:start + per_page]
        out.append("<div class='page'>")
        if start == 0:
            out.append("<h1>Report on detention practice</h1>")
        labels: list[str] = []
        for text, _ in chunk:
            def repl(m):
                labels.append(m.group(1))
                return f"<sup>{m.group(1)}</sup>"
            out.append("<p>" + re.sub(r"\{(\d+)\}", repl, html.escape(text)) + "</p>")
        if labels:
            out.append("<div class='notes'><hr>" + "".join(
                f"<p>{label}&#8194;{html.escape(notes[label])}</p>" for label in labels) + "</div>")
        out.append("</div>")
    out.append("</body></html>")
    return "".join(out)


def build_chromium(out: Path, rng: random.Random) -> list[Path]:
    made = []
    for i in range(3):
        paragraphs, notes, urls = document(rng, rng.randint(12, 20))
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "doc.html"
            src.write_text(paged_html(paragraphs, notes), encoding="utf-8")
            pdf = Path(tmp) / "doc.pdf"
            subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                            "--disable-background-networking", "--no-first-run", "--no-pdf-header-footer",
                            f"--user-data-dir={tmp}/profile", f"--print-to-pdf={pdf}", src.as_uri()],
                           check=True, capture_output=True, timeout=180)
            made.append(_save(out, f"chromium-{i}", pdf, "chromium", notes, urls))
    return made


def build_libreoffice(out: Path, rng: random.Random) -> list[Path]:
    import re
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
            made.append(_save(out, f"libreoffice-{fmt}-{i}", Path(tmp) / "doc.pdf", "libreoffice", notes, urls))
    return made


def build_ghostscript(out: Path, sources: list[Path]) -> list[Path]:
    made = []
    for pdf in sources:
        target = out / f"gs-{pdf.stem}.pdf"
        subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", f"-sOutputFile={target}",
                        str(pdf)], check=True, timeout=300)
        truth = json.loads(pdf.with_suffix(".truth.json").read_text(encoding="utf-8"))
        truth["producer"] = "ghostscript"
        target.with_suffix(".truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
        made.append(target)
    return made


def _save(out: Path, name: str, pdf: Path, producer: str, notes: dict, urls: dict) -> Path:
    target = out / f"{name}.pdf"
    shutil.copyfile(pdf, target)
    truth = {"producer": producer, "notes": notes, "urls": {k: v for k, v in urls.items() if v}}
    # ``notes`` is {label: text}, or [[label, text], ...] in order when printed labels repeat.
    target.with_suffix(".truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", nargs="?", default="/tmp/archivist-devset-pdf")
    parser.add_argument("--only", default="latex,weasyprint,chromium,libreoffice,ghostscript")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    only = set(args.only.split(","))
    rng = random.Random(13)
    made: dict[str, list[Path]] = {}
    for name, build in (("latex", build_latex), ("weasyprint", build_weasyprint), ("chromium", build_chromium),
                        ("libreoffice", build_libreoffice)):
        if name in only:
            made[name] = build(out, rng)
            print(f"{name}: {len(made[name])} documents", file=sys.stderr)
    if "ghostscript" in only:
        sources = made.get("latex", [])[:2] + made.get("libreoffice", [])[:1]
        print(f"ghostscript: {len(build_ghostscript(out, sources))} documents", file=sys.stderr)


if __name__ == "__main__":
    main()

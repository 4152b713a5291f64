#!/usr/bin/env bash
# make_renditions.sh -- make PDF and HTML renditions of seed documents, with
# REAL footnotes, for testing the archivist ingestion pipeline.
#
# Outputs (in corpus/renditions/, each < 1 MB):
#   003_amnesty_statement.pdf    from 003_50b2b079aba8eece.txt: Markdown with
#                                <sup>N</sup> notes -> pandoc Markdown footnotes
#                                (tools/sup_to_pandoc_notes.py) -> pandoc DOCX
#                                -> LibreOffice PDF; 94 word-processor footnotes
#                                at page bottoms
#   003_amnesty_statement.html   same pandoc Markdown -> pandoc standalone HTML;
#                                94 notes in <section class="footnotes">
#   000_encyclopedia_older.html  from 000_eb76b57703d98c0a.txt: plain text ->
#                                escaped pandoc Markdown with headings where
#                                clear (tools/plaintext_to_pandoc_md.py) ->
#                                pandoc standalone HTML
#
# The seed .txt files are only read, never written.  Every step is checked:
#   - the converter proves it changed nothing but markers and page rules;
#   - the PDF is checked with pdftotext (tools/check_pdf_footnotes.py): all 94
#     notes have a label and body at the bottom of the page that cites them;
#   - the 003 HTML must have 94 footnote-ref links; every output < 1 MB.
# Outputs are built in a temporary directory and moved into place only when
# all checks pass, so a failed run leaves the previous renditions untouched.
#
# Re-runnable and reproducible: run it as often as you like; with the same
# pandoc and LibreOffice versions the outputs are byte-identical.
#   SOURCE_DATE_EPOCH (default 1795392000 = 2026-11-23T00:00:00Z, the day this
#   script was written; override it to stamp another time) fixes pandoc's DOCX
#   timestamps; LibreOffice 7.4 ignores it, so its PDF /CreationDate is set to
#   the same time afterwards, its private trailer key /DocChecksum (which
#   covers the real export time) and its random /ID are blanked, and
#   qpdf --deterministic-id writes an /ID computed from the content.  LibreOffice runs with a throw-away profile (no network, no effect on
#   any other LibreOffice the user has open).
#
# Needs: bash, python3 (>= 3.8, stdlib only), pandoc, soffice/libreoffice
# (writer), qpdf, pdftotext/pdfinfo (poppler-utils).  No network access.
#
# Usage:  corpus/make_renditions.sh        (from anywhere)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tools="$here/tools"
outdir="$here/renditions"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1795392000}"
export TZ=UTC LC_ALL=C.UTF-8

SEED_003="$here/003_50b2b079aba8eece.txt"
SEED_000="$here/000_eb76b57703d98c0a.txt"
TITLE_003="INVOLVEMENT OF IRAN'S FORMER DIPLOMATS IN COVERING UP THE 1988 PRISON MASSACRES"
TITLE_000="1988 executions of Iranian political prisoners"
NOTES_003=94
MAX_BYTES=1000000
# pandoc's Markdown, but keep the text's own quotes, dashes and dots as typed
MD_IN="markdown-smart"

die() { echo "make_renditions: $*" >&2; exit 1; }
log() { echo "make_renditions: $*" >&2; }

SOFFICE="$(command -v soffice || command -v libreoffice || true)"
[[ -n "$SOFFICE" ]] || die "soffice/libreoffice not found"
for t in python3 pandoc qpdf pdftotext pdfinfo; do
  command -v "$t" >/dev/null || die "$t not found"
done
for f in "$SEED_003" "$SEED_000"; do [[ -r "$f" ]] || die "missing seed $f"; done

work="$(mktemp -d "${TMPDIR:-/tmp}/make_renditions.XXXXXX")"
trap 'rm -rf "$work"' EXIT
log "pandoc $(pandoc --version | head -1 | cut -d' ' -f2), $("$SOFFICE" --version | head -1 | cut -d' ' -f1-2), SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH"

# ---------------------------------------------------------------- 003 -> pandoc Markdown
python3 "$tools/sup_to_pandoc_notes.py" "$SEED_003" "$work/003_amnesty_statement.md" --expect "$NOTES_003"

# ---------------------------------------------------------------- 003 -> DOCX -> PDF
# no title metadata here: pandoc would add a title paragraph above the
# statement's own heading in the PDF
pandoc -f "$MD_IN" -t docx --metadata lang=en \
  -o "$work/003_amnesty_statement.docx" "$work/003_amnesty_statement.md"

"$SOFFICE" --headless --norestore --nologo \
  "-env:UserInstallation=file://$work/lo-profile" \
  --convert-to pdf --outdir "$work/lo-out" "$work/003_amnesty_statement.docx" >"$work/soffice.log" 2>&1 \
  || { cat "$work/soffice.log" >&2; die "LibreOffice conversion failed"; }
[[ -s "$work/lo-out/003_amnesty_statement.pdf" ]] \
  || { cat "$work/soffice.log" >&2; die "LibreOffice wrote no PDF"; }

# fixed /CreationDate, no /DocChecksum (same byte length, xref stays valid) ...
python3 - "$work/lo-out/003_amnesty_statement.pdf" "$work/dated.pdf" <<'PY'
import os, re, sys, time
src, dst = sys.argv[1], sys.argv[2]
data = open(src, "rb").read()
stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(int(os.environ["SOURCE_DATE_EPOCH"])))
def fix(m):
    old = m.group(2)                      # LibreOffice (TZ=UTC): D:YYYYMMDDHHMMSSZ'
    suffix = old[16:]
    if len(old) < 16 or suffix not in (b"", b"Z", b"Z'", b"+00'00'", b"+00'00"):
        sys.exit(f"unexpected PDF date {old!r}")
    return m.group(1) + b"D:" + stamp.encode() + suffix + b")"
data, n = re.subn(rb"(/(?:CreationDate|ModDate)\()(D:[^)]*)\)", fix, data)
if n == 0:
    sys.exit("no /CreationDate found in the PDF")
# LibreOffice's private trailer key /DocChecksum (an MD5 that covers the real
# export time) is blanked with spaces of the same length
data = re.sub(rb"/DocChecksum\s*/[0-9A-Fa-f]+", lambda m: b" " * len(m.group(0)), data)
# and its random /ID is dropped the same way, for qpdf to make a new one
data, n = re.subn(rb"/ID\s*\[\s*<[0-9A-Fa-f]*>\s*<[0-9A-Fa-f]*>\s*\]", lambda m: b" " * len(m.group(0)), data)
if n != 1:
    sys.exit(f"expected one /ID in the trailer, found {n}")
open(dst, "wb").write(data)
PY
# ... and a content-derived /ID instead of a random one
qpdf --deterministic-id "$work/dated.pdf" "$work/003_amnesty_statement.pdf" \
  || [[ $? -eq 3 ]] || die "qpdf failed"   # exit 3 = warnings only

python3 "$tools/check_pdf_footnotes.py" "$work/003_amnesty_statement.pdf" \
  "$work/003_amnesty_statement.md" --expect "$NOTES_003" >"$work/pdfcheck.log" \
  || { cat "$work/pdfcheck.log"; die "PDF footnote check failed"; }
tail -n 1 "$work/pdfcheck.log" >&2
grep -- '^note ' "$work/pdfcheck.log" >&2 || true

# ---------------------------------------------------------------- 003 -> HTML
pandoc -s -f "$MD_IN" -t html5 --wrap=none \
  --metadata title="$TITLE_003" --metadata lang=en \
  -o "$work/003_amnesty_statement.html" "$work/003_amnesty_statement.md"
refs=$(grep -o 'class="footnote-ref"' "$work/003_amnesty_statement.html" | wc -l)
backs=$(grep -o 'class="footnote-back"' "$work/003_amnesty_statement.html" | wc -l)
grep -q '<section class="footnotes' "$work/003_amnesty_statement.html" || die "003 HTML: no section.footnotes"
[[ "$refs" -eq "$NOTES_003" && "$backs" -eq "$NOTES_003" ]] \
  || die "003 HTML: $refs footnote-ref / $backs footnote-back links, expected $NOTES_003"
log "003 HTML: $refs footnote-ref links, $backs notes in section.footnotes"

# ---------------------------------------------------------------- 000 -> HTML
python3 "$tools/plaintext_to_pandoc_md.py" "$SEED_000" "$work/000_encyclopedia_older.md" 2>"$work/headings.log"
pandoc -s -f "$MD_IN" -t html5 --wrap=none \
  --metadata title="$TITLE_000" --metadata lang=en \
  -o "$work/000_encyclopedia_older.html" "$work/000_encyclopedia_older.md"
log "000 HTML: $(grep -c heading "$work/headings.log") headings ($(grep -c '^<h2' "$work/000_encyclopedia_older.html") h2, $(grep -c '^<h3' "$work/000_encyclopedia_older.html") h3)"

# ---------------------------------------------------------------- size check, install
outputs=(003_amnesty_statement.pdf 003_amnesty_statement.html 000_encyclopedia_older.html)
for f in "${outputs[@]}"; do
  size=$(wc -c <"$work/$f")
  (( size < MAX_BYTES )) || die "$f is $size bytes (limit $MAX_BYTES)"
done
mkdir -p "$outdir"
for f in "${outputs[@]}"; do
  mv -f "$work/$f" "$outdir/$f"
done
log "PDF: $(pdfinfo "$outdir/003_amnesty_statement.pdf" | awk '/^Pages:/{print $2}') pages"
(cd "$outdir" && for f in "${outputs[@]}"; do
  printf '%s  %8d bytes  %s\n' "$(sha256sum "$f" | cut -c1-16)" "$(wc -c <"$f")" "renditions/$f"
done)

#!/usr/bin/env bash
# Everything the tests need, then the tests: the README's second command and what .ci/run runs.
#   bash tests/setup-and-run.sh [pytest arguments]
# System packages (Debian): a PostgreSQL server (the tests start their own, as the postgres user),
# Tesseract with English, Persian and Arabic data (OCR), Chromium and its driver (web interface
# tests in a real headless browser), poppler-utils (pdftoppm: PDF pages to images for OCR), util-linux (unshare/mount for the read-only archive tests).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v tesseract >/dev/null 2>&1 || need+=(tesseract-ocr)
for lang in eng fas ara; do
    ls /usr/share/tesseract-ocr/*/tessdata/"$lang".traineddata >/dev/null 2>&1 || need+=("tesseract-ocr-$lang")
done
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

python -m pip install -q -e ".[test]"
python -m pytest -q "$@"

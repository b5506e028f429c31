#!/usr/bin/env bash
# run.sh BUILD - the slide check: builds every deck with the experiments in their
# short mode (slides/build.py --short, under BUILD/slides-check), checks the PDFs,
# then renders every slide in headless Chromium and checks it (render.js: not
# empty, every image loaded, nothing past the slide's edges, every figure made by
# this build).  PNGs of every slide: BUILD/slides-check/png/.
set -uo pipefail

build=${1:-build}
out=$build/slides-check
passed=0 failed=0
check() { # check NAME COMMAND...
    if "${@:2}"; then echo "ok   - $1"; passed=$((passed + 1)); else echo "FAIL - $1"; failed=$((failed + 1)); fi
}

rm -rf "$out"
check "the decks build (experiments in short mode)" slides/build.py --short "$build" "$out"

decks=(slides/decks/*.md)
for d in "${decks[@]}"; do
    name=$(basename "$d" .md)
    check "$name.html is written" test -s "$out/$name.html"
    check "$name.pdf is a PDF" bash -c "head -c 5 '$out/$name.pdf' | grep -q '%PDF-'"
    check "$name.md has no placeholder left" bash -c "! grep -q '{{' '$out/$name.md'"
done

if node tests/slides/render.js "$out"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

echo "slides: $passed passed, $failed failed"
((failed == 0))

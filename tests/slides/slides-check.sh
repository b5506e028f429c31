#!/usr/bin/env bash
# slides-check.sh BUILD - the slide check: builds every deck with the experiments in their
# short mode (slides/build.py --short, under BUILD/slides-check), checks the PDFs,
# then renders every slide in headless Chromium and checks it (render.js: not
# empty, every image loaded, nothing past the slide's edges, every figure made by
# this build).  PNGs of every slide: BUILD/slides-check/png/.  Last, the checker
# is run on tests/slides/broken.md, a deck with one fault per slide, and must
# report each.
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

# The checker itself, on a deck with one fault per slide: each must be reported.
broken=$build/slides-broken
rm -rf "$broken" && mkdir -p "$broken/fig"
echo '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>' >"$broken/fig/old.svg"
touch -d '2000-01-01' "$broken/fig/old.svg"
cp tests/slides/broken.md "$broken/"
touch "$broken/build-started"
slides/node_modules/.bin/marp --html --allow-local-files "$broken/broken.md" 2>/dev/null
node tests/slides/render.js "$broken" >"$broken/report" 2>&1
check "the checker fails on the broken deck" test $? -ne 0
check "it reports the empty slide" grep -q 'slide 1: the slide is empty' "$broken/report"
check "it reports the image that did not load" grep -q 'slide 2: image did not load' "$broken/report"
check "it reports the missing figure" grep -q 'slide 2: figure missing' "$broken/report"
check "it reports the overflowing slide" grep -q 'slide 3: content overflows' "$broken/report"
check "it reports the figure older than the build" grep -q 'slide 4: figure older than the build' "$broken/report"
check "it reports the table cut off at its foot" grep -q 'slide 5: a table is cut off at its foot' "$broken/report"

echo "slides: $passed passed, $failed failed"
((failed == 0))

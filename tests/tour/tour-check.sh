#!/usr/bin/env bash
# tests/tour/tour-check.sh BUILD - the tour runs to its end and every step becomes a picture.
#
# Runs build/tools/arena-tour into a scratch directory, then tools/heapviz on its
# dumps, and checks: the tour says it ended, it wrote one JSON dump per step it
# announced, heapviz drew one SVG per dump, and each SVG is a drawing with chunks.
set -uo pipefail

build=${1:-build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
passed=0 failed=0
check() { # check NAME COMMAND...
    if "${@:2}"; then echo "ok   - $1"; passed=$((passed + 1)); else echo "FAIL - $1"; failed=$((failed + 1)); fi
}

"$build/tools/arena-tour" "$out" >"$out/tour.txt" 2>&1
rc=$?
check "the tour exits 0" test "$rc" -eq 0
steps=$(grep -c '^==== step ' "$out/tour.txt")
check "the tour reaches its end ($steps steps)" grep -q "^end of the tour: $steps steps" "$out/tour.txt"
check "the tour has its ten lessons" test "$steps" -eq 10
dumps=$(ls "$out"/step-*.json 2>/dev/null | wc -l)
check "one JSON dump per step that shows the heap ($dumps)" test "$dumps" -ge $((steps - 1))

tools/heapviz -d "$out" "$out"/step-*.json >/dev/null 2>"$out/heapviz.err"
check "heapviz draws every step" test $? -eq 0
svgs=$(ls "$out"/step-*.svg 2>/dev/null | wc -l)
check "one SVG per dump ($svgs)" test "$svgs" -eq "$dumps"
for svg in "$out"/step-*.svg; do
    check "$(basename "$svg") is a drawing of chunks" grep -q 'class="node"' "$svg"
done

echo "$passed passed, $failed failed"
((failed == 0))

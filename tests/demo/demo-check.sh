#!/usr/bin/env bash
# tests/demo/demo-check.sh BUILD - the comparison driver behind `make demo` and `make compare`:
# one table row per allocator, ratios against glibc, and an SVG and a PNG with
# one line per allocator plus the live bytes.
#
# Replays a small synthetic trace against arenalloc, glibc and whichever of
# jemalloc, mimalloc and tcmalloc are installed (make check installs them).
set -uo pipefail

build=${1:-build}
work=$(mktemp -d "${TMPDIR:-/tmp}/arenalloc-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
check() { # check NAME COMMAND...
    if "${@:2}"; then echo "ok   - $1"; passed=$((passed + 1)); else echo "FAIL - $1"; failed=$((failed + 1)); fi
}

libdir=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
allocators=(arenalloc glibc)
for pair in jemalloc:libjemalloc.so.2 mimalloc:libmimalloc.so.2 tcmalloc:libtcmalloc_minimal.so.4; do
    [[ -e $libdir/${pair#*:} ]] && allocators+=("${pair%%:*}")
done
n=${#allocators[@]}
echo "allocators: ${allocators[*]}"

"$build/tools/arena-synth" sawtooth --ops 30000 --seed 7 -o "$work/saw.trace" >/dev/null
bench/demo/compare.sh -b "$build" -o "$work/out" -a "$(IFS=,; echo "${allocators[*]}")" "$work/saw.trace" \
    >"$work/stdout" 2>"$work/stderr"
check "compare.sh exits 0" test $? -eq 0

rows=$(grep -c '^saw ' "$work/out/table.txt")
check "one table row per allocator ($rows of $n)" test "$rows" -eq "$n"
check "glibc's row is its own baseline (1.00)" grep -Eq '^saw +glibc .*\(1\.00\).*\(1\.00\).*\(1\.00\)' "$work/out/table.txt"
check "a progress line per replay" test "$(grep -c '^\[ *[0-9]*/'"$n"'\]' "$work/stderr")" -eq "$n"

svg=$work/out/saw.svg png=$work/out/saw.png
check "the SVG is written" test -s "$svg"
check "the PNG is a PNG" bash -c "head -c 8 '$png' | od -An -c | grep -q 'P   N   G'"
lines=$(grep -c '<g id="gnuplot_plot_[0-9]*" ><title>' "$svg")
check "one line per allocator, and the live bytes ($lines of $((n + 1)))" test "$lines" -eq $((n + 1))
for a in "${allocators[@]}"; do
    check "$a has its line" grep -Eq "<title>$a( \\(RSS\\))?</title>" "$svg"
done
check "the live bytes have theirs" grep -q '<title>live bytes (requested)</title>' "$svg"

# Live bytes depend only on the trace; footprint never falls below them.
for a in "${allocators[@]}"; do
    [[ $a == glibc ]] || check "$a: the same live column as glibc" \
        cmp -s <(cut -f2 "$work/out/saw/$a.tsv") <(cut -f2 "$work/out/saw/glibc.tsv")
    check "$a: footprint >= live at every sample" \
        awk -F'\t' '!/^#/ && $3 < $2 { bad = 1 } END { exit bad }' "$work/out/saw/$a.tsv"
done

bench/demo/compare.sh -b "$build" -o "$work/bad" "$work/nothere.trace" >/dev/null 2>"$work/bad.err"
check "a trace that cannot be read is refused" test $? -ne 0
check "...naming it" grep -q 'nothere.trace' "$work/bad.err"

echo "$passed passed, $failed failed"
((failed == 0))

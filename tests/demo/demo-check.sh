#!/usr/bin/env bash
# tests/demo/demo-check.sh BUILD - the comparison driver behind `make demo` and `make compare`:
# one table row per allocator, ratios against glibc, and an SVG and a PNG with
# one line per allocator plus the live bytes.
#
# Replays a small synthetic trace against arenalloc, glibc and whichever of
# jemalloc, mimalloc and tcmalloc are installed (make check installs them).
# Then bad traces (a damaged block length, no operations, a damaged .xz) that
# must stop the comparison with the reader's reason, a truncated one that is
# compared with a warning, and plot.sh on made-up samples: distinct x ticks in a
# stated unit, glibc and arenalloc told apart when they hold the same memory,
# a second panel for a busy stretch.
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
check "a progress line per replay, three rounds each" \
    test "$(grep -c '^\[ *[0-9]*/'"$((3 * n))"'\] .* round [1-3] ' "$work/stderr")" -eq $((3 * n))
# Time is the median of the rounds' times, each a replay of its own.
for a in "${allocators[@]}"; do
    check "$a: three times, one a round" test "$(grep -c '^[0-9.]*$' "$work/out/saw/$a.times")" -eq 3
    median=$(sort -g "$work/out/saw/$a.times" | sed -n 2p)
    # rounded as table.awk rounds it (bash's printf rounds a long double: 0.0225 to 0.023)
    shown=$(awk -v t="$median" 'BEGIN { printf "%.3f", t }')
    check "$a: the table's time is their median ($median s)" \
        grep -Eq "^saw +$a .* $shown s \(" "$work/out/table.txt"
done

svg=$work/out/saw.svg png=$work/out/saw.png
check "the SVG is written" test -s "$svg"
check "the PNG is a PNG" bash -c "head -c 8 '$png' | od -An -c | grep -q 'P   N   G'"
lines=$(grep -Ec '<g id="gnuplot_plot_[0-9]+a?" ><title>' "$svg")
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

# ---- traces the reader refuses stop the comparison, with the reader's reason -----------
# refused NAME TRACE MESSAGE-REGEX: compare.sh exits 1, says why, replays nothing,
# prints no table and names no plot.
refused() {
    local what=$1 trace=$2 re=$3 status
    rm -rf "$work/ref"
    bench/demo/compare.sh -b "$build" -o "$work/ref" -a glibc "$trace" >"$work/ref.out" 2>"$work/ref.err"
    status=$?
    check "$what: compare.sh exits 1 (got $status)" test "$status" -eq 1
    check "$what: says why" grep -Eq "$re" "$work/ref.err"
    check "$what: no replay, no table, no plot named" \
        bash -c "! grep -q '^\[' '$work/ref.err' && ! grep -q 'plots:' '$work/ref.out' && [[ ! -e '$work/ref/table.txt' ]]"
}
cp "$work/saw.trace" "$work/len.trace"
printf '\001' | dd of="$work/len.trace" bs=1 seek=$((84 + 6)) conv=notrunc status=none # length + 65536
refused "a damaged block length" "$work/len.trace" \
    "^arena-trace: .*/len.trace: block length [0-9]+ is damaged: .*\(at byte 88\)$"
check "...and the refusal is named as the reader's" grep -q "compare: .*/len.trace: refused by the trace reader" "$work/ref.err"
head -c 84 "$work/saw.trace" >"$work/empty.trace"
refused "a trace of no operations" "$work/empty.trace" "compare: .*/empty.trace: the trace holds no operations"
printf 'not xz' >"$work/bad.trace.xz"
refused "a damaged .xz" "$work/bad.trace.xz" "compare: .*/bad.trace.xz: damaged xz file"

# A trace that really ends early is compared on its whole blocks; the warning says what was lost.
head -c $(($(stat -c %s "$work/saw.trace") - 100)) "$work/saw.trace" >"$work/cut.trace"
bench/demo/compare.sh -b "$build" -o "$work/cut" -a glibc,arenalloc "$work/cut.trace" >"$work/cut.out" 2>"$work/cut.err"
check "a truncated trace is compared (exit $?)" test -s "$work/cut/table.txt"
check "...with the reader's warning of what was lost" \
    grep -Eq "^compare: .*/cut.trace: arena-trace: .*: warning: the file ends inside a block .* records are lost" "$work/cut.err"

# ---- plots a reader can read -----------------------------------------------------------
# plot.sh on made-up samples of 2.1 million ops, where arenalloc holds exactly what
# glibc holds and live bytes stay flat until a burst in the last tenth.
mkdir -p "$work/p/made"
for a in glibc arenalloc; do
    awk 'BEGIN { print "# op live footprint rss ns"
        for (i = 0; i <= 1000; i++) { op = i * 2100; live = (i < 900 ? 1048576 : 1048576 * (1 + (i % 20))); printf "%d\t%d\t%d\t%d\t%d\n", op, live, live + 65536, live, i }
    }' >"$work/p/made/$a.tsv"
    echo "allocator=$a footprint_source=mallinfo2" >"$work/p/made/$a.summary"
done
bench/demo/plot.sh "$work/p" made glibc arenalloc 2>"$work/p.err"
check "plot.sh draws made-up samples" test -s "$work/p/made.svg"
# The x tick labels: the texts centred on one row of the first panel.
python3 - "$work/p/made.svg" >"$work/ticks" <<'PY'
import re, sys
svg = open(sys.argv[1]).read()
rows = {}
for y, text in re.findall(r'<g transform="translate\([0-9.]+,([0-9.]+)\)"[^>]*text-anchor="middle">\s*<text><tspan[^>]*>([^<]*)</tspan>', svg):
    rows.setdefault(y, []).append(text.strip())
ticks = [r for r in rows.values() if len(r) >= 3][0]
print(" ".join(ticks))
PY
ticks=$(cat "$work/ticks")
check "x ticks are distinct and increasing ($ticks)" \
    python3 -c 'import sys; t = [float(x) for x in sys.argv[1:]]; sys.exit(not (len(t) >= 3 and t == sorted(set(t))))' $ticks
check "the x axis says its unit" grep -q 'millions of operations' "$work/p/made.svg"
dashes() { # the dash pattern of the line titled $1 in the first panel ("solid" for none)
    awk -v t="<title>$1</title>" 'index($0, t) { f = 1; next } f && /<g id="gnuplot_plot_/ { exit }
        f && match($0, /stroke-dasharray=.[0-9.,]+/) { print substr($0, RSTART + 18, RLENGTH - 18); found = 1; exit }
        END { if (!found) print "solid" }' "$work/p/made.svg"
}
check "glibc and arenalloc hold the same memory, yet their lines differ (glibc $(dashes glibc), arenalloc $(dashes arenalloc))" \
    test "$(dashes glibc)" != "$(dashes arenalloc)"
check "a burst in the last tenth gets a panel of its own" grep -Eq 'the busy stretch: ops 1[89][0-9]{5} to 2[01][0-9]{5}<' "$work/p/made.svg"
awk 'BEGIN { print "# op live footprint rss ns"; for (i = 0; i <= 1000; i++) printf "%d\t%d\t%d\t%d\t%d\n", i * 30, i * 1000, i * 1100, i * 1000, i }' \
    >"$work/p/made/glibc.tsv"
bench/demo/plot.sh "$work/p" made glibc 2>/dev/null
check "steady growth: one panel, no busy stretch" bash -c "! grep -q 'busy stretch' '$work/p/made.svg'"

echo "$passed passed, $failed failed"
((failed == 0))

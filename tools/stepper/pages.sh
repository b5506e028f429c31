#!/usr/bin/env bash
# pages.sh - stepper pages: what `make stepper` runs.
#
#   tools/stepper/pages.sh [-b BUILD] [-o OUTDIR] [-f FROM] [-n COUNT] [--tour] [TRACE...]
#
# --tour: runs the tour (build/tools/arena-tour), which records its calls and
# where each lesson starts, and makes OUTDIR/tour-NN.html for each lesson (the
# lessons of threads too: arena-step replays each thread on a thread of its own).  Each TRACE (.trace, or .trace.xz, unpacked into OUTDIR/traces)
# becomes OUTDIR/<name>.html, calls FROM .. FROM+COUNT-1.  OUTDIR/index.html
# links every page there.  Stops at the first page that cannot be made, with
# arena-step's or build.mjs's one-line reason.
set -euo pipefail

build=build out=build/stepper from= count= tour=0
while (($#)); do
    case $1 in
    -b) build=$2; shift 2 ;;
    -o) out=$2; shift 2 ;;
    -f) from=$2; shift 2 ;;
    -n) count=$2; shift 2 ;;
    --tour) tour=1; shift ;;
    -*) echo "usage: $0 [-b BUILD] [-o OUTDIR] [-f FROM] [-n COUNT] [--tour] [TRACE...]" >&2; exit 2 ;;
    *) break ;;
    esac
done
here=$(dirname "$0")
mkdir -p "$out/traces"
rm -f "$out/traces/titles.tsv"

page() { # page STEPS.json OUT.html
    node "$here/build.mjs" "$1" "$2"
    rm -f "$1"
}

if ((tour)); then
    "$build/tools/arena-tour" "$out/traces" >"$out/traces/tour.txt"
    n=0
    while IFS=$'\t' read -r first tcache policy title text; do
        n=$((n + 1))
        name=$(printf 'tour-%02d' "$n")
        "$build/tools/arena-step" --lessons "$out/traces/lessons.tsv" --lesson "$n" -o "$out/$name.json" \
            "$out/traces/tour.trace"
        page "$out/$name.json" "$out/$name.html"
        printf '%s\t%s\n' "$name" "lesson $n: $title" >>"$out/traces/titles.tsv"
    done <"$out/traces/lessons.tsv"
fi

for trace in "$@"; do
    name=$(basename "$trace")
    name=${name%.xz}
    name=${name%.trace}
    if [[ $trace == *.xz ]]; then
        xz -dc "$trace" >"$out/traces/$name.trace"
        trace=$out/traces/$name.trace
    fi
    "$build/tools/arena-step" ${from:+--from "$from"} ${count:+--count "$count"} -o "$out/$name.json" "$trace"
    page "$out/$name.json" "$out/$name.html"
done

# The index: every page of the folder, lessons first.
{
    echo '<!doctype html><meta charset="utf-8"><title>heap stepper</title><h1>heap stepper</h1><ul>'
    for f in "$out"/*.html; do
        [[ $(basename "$f") == index.html ]] && continue
        name=$(basename "$f" .html)
        title=$(awk -F'\t' -v n="$name" '$1 == n { print $2 }' "$out/traces/titles.tsv" 2>/dev/null)
        echo "<li><a href=\"$name.html\">$name</a> ${title:-}</li>"
    done
    echo '</ul>'
} >"$out/index.html"
echo "pages: $out/*.html (open $out/index.html)"

#!/usr/bin/env bash
# plot.sh - one picture of one workload: each allocator's footprint, and the live
# bytes, against operations, as SVG and PNG.
#
#   bench/demo/plot.sh OUTDIR WORKLOAD ALLOCATOR...
#
# Reads OUTDIR/WORKLOAD/<allocator>.tsv (arena-replay --data: op, live,
# footprint, rss, ns) and writes OUTDIR/WORKLOAD.svg and OUTDIR/WORKLOAD.png.
# Live bytes depend only on the trace, so one dashed line shows them for all.
set -euo pipefail

out=$1 name=$2
shift 2

colour_of() {
    case $1 in
    arenalloc) echo "#d62728" ;; glibc) echo "#1f77b4" ;; jemalloc) echo "#2ca02c" ;;
    mimalloc) echo "#9467bd" ;; tcmalloc) echo "#ff7f0e" ;; *) echo "#7f7f7f" ;;
    esac
}

plots=() live=""
for alloc in "$@"; do
    data=$out/$name/$alloc.tsv
    [[ -s $data && -e $out/$name/$alloc.summary ]] || continue
    title=$alloc
    grep -q 'footprint_source=rss' "$out/$name/$alloc.summary" && title="$alloc (RSS)"
    plots+=("'$data' using 1:(\$3/1048576.) with lines lw 2 lc rgb '$(colour_of "$alloc")' title '$title'")
    [[ -n $live ]] || live=$data
done
if ((${#plots[@]} == 0)); then
    echo "plot: no replay of $name finished; nothing to draw" >&2
    exit 0
fi
plots+=("'$live' using 1:(\$2/1048576.) with lines dt 2 lw 2 lc rgb 'black' title 'live bytes (requested)'")

plot_line=$(IFS=,; echo "${plots[*]}")
gnuplot <<GNUPLOT
set title "$name: memory held by each allocator"
set xlabel "operations (malloc-family calls, in trace order)"
set ylabel "MiB"
set key below horizontal
set grid
set format x "%.0s%c"
set yrange [0:*]
set terminal svg size 960,540 dynamic enhanced font "sans,12" background rgb "white"
set output "$out/$name.svg"
plot $plot_line
set terminal pngcairo size 960,540 enhanced font "sans,11" background rgb "white"
set output "$out/$name.png"
replot
GNUPLOT

#!/usr/bin/env bash
# plot.sh - one picture of one workload: each allocator's footprint, and the live
# bytes, against operations, as SVG and PNG.
#
#   bench/demo/plot.sh OUTDIR WORKLOAD ALLOCATOR...
#
# Reads OUTDIR/WORKLOAD/<allocator>.tsv (arena-replay --data: op, live,
# footprint, rss, ns) and writes OUTDIR/WORKLOAD.svg and OUTDIR/WORKLOAD.png.
# Live bytes depend only on the trace, so one dashed black line shows them for all.
#
# Made to be read, not just drawn:
#   - the x axis counts operations in a unit that fits the run (thousands or
#     millions), so gnuplot's own tick spacing gives ticks like 0.5 1 1.5 2;
#   - allocators that hold the same memory (arenalloc follows glibc closely)
#     would hide one another, so each has its own dash pattern and marker, and
#     glibc is drawn first, wide and pale, so the lines on top stay visible;
#   - when most of the change in live bytes happens in a short stretch of the
#     run (sqlite3 builds its table slowly, then sorts it in the last 15%), a
#     second panel below shows that stretch alone.
set -euo pipefail

out=$1 name=$2
shift 2

# colour, dash type, point type, width: one look per allocator.
style_of() {
    case $1 in
    glibc) echo "#801f77b4 1 0 6" ;;    # wide, pale, solid: the baseline under the others
    arenalloc) echo "#d62728 (6,3) 6 2" ;;
    jemalloc) echo "#2ca02c (2,3) 4 2" ;;
    mimalloc) echo "#9467bd (8,3,2,3) 8 2" ;;
    tcmalloc) echo "#ff7f0e (12,4) 10 2" ;;
    *) echo "#7f7f7f (4,4) 12 2" ;;
    esac
}

# glibc first, so that it is underneath.
ordered=()
for alloc in "$@"; do [[ $alloc == glibc ]] && ordered+=("$alloc"); done
for alloc in "$@"; do [[ $alloc == glibc ]] || ordered+=("$alloc"); done

plots=() live=""
for alloc in "${ordered[@]}"; do
    data=$out/$name/$alloc.tsv
    [[ -s $data && -e $out/$name/$alloc.summary ]] || continue
    (($(grep -vc '^#' "$data") >= 2)) || continue
    title=$alloc
    grep -q 'footprint_source=rss' "$out/$name/$alloc.summary" && title="$alloc (RSS)"
    read -r colour dash point width <<<"$(style_of "$alloc")"
    look="lw $width lc rgb '$colour' dt $dash"
    if [[ $point == 0 ]]; then
        plots+=("'$data' using (\$1/scale):(\$3/1048576.) with lines $look title '$title'")
    else
        plots+=("'$data' using (\$1/scale):(\$3/1048576.) with linespoints $look pt $point ps 0.8 pi 40 title '$title'")
    fi
    [[ -n $live ]] || live=$data
done
if ((${#plots[@]} == 0)); then
    echo "plot: $name: no replay finished with at least two samples; nothing drawn" >&2
    exit 0
fi
plots+=("'$live' using (\$1/scale):(\$2/1048576.) with lines dt 2 lw 2 lc rgb 'black' title 'live bytes (requested)'")
plot_line=$(IFS=,; echo "${plots[*]}")

# The unit of the x axis, from the last op sampled.
last_op=$(awk '!/^#/ { op = $1 } END { print op + 1 }' "$live")
if ((last_op >= 2000000)); then
    scale=1e6 unit="millions of operations"
elif ((last_op >= 2000)); then
    scale=1e3 unit="thousands of operations"
else
    scale=1 unit="operations"
fi

# The busy stretch: the shortest run of samples that holds 80% of all the
# change in live bytes.  Worth a panel of its own only when it is under 40% of
# the run; printed as "from to" in ops, or nothing.
zoom=$(awk '!/^#/ { n++; op[n] = $1; if (n > 1) { d = $2 - prev; moved[n] = (d < 0 ? -d : d); total += moved[n] } prev = $2 }
    END {
        if (n < 10 || total == 0) exit
        best = -1; sum = 0; j = 1
        for (i = 2; i <= n; i++) {          # window (j, i]: the change of samples j+1..i
            sum += moved[i]
            while (j < i && sum - moved[j + 1] >= 0.8 * total) { j++; sum -= moved[j] }
            if (sum >= 0.8 * total && (best < 0 || op[i] - op[j] < best)) { best = op[i] - op[j]; from = op[j]; to = op[i] }
        }
        span = op[n] - op[1]
        if (best >= 0 && best < 0.4 * span) {
            pad = best * 0.05
            printf "%d %d\n", (from - pad < op[1] ? op[1] : from - pad), (to + pad > op[n] ? op[n] : to + pad)
        }
    }' "$live")

panels="set multiplot layout 1,1
set autoscale xfix
plot $plot_line"
height=540
if [[ -n $zoom ]]; then
    read -r from to <<<"$zoom"
    height=900
    panels="set multiplot layout 2,1 title \"$name: memory held by each allocator\"
unset title
set key below horizontal
set xrange [*:*]
set autoscale xfix
set arrow 1 from first $from/scale, graph 0 to first $from/scale, graph 1 nohead dt 3 lc rgb '#888888'
set arrow 2 from first $to/scale, graph 0 to first $to/scale, graph 1 nohead dt 3 lc rgb '#888888'
set label 1 'shown below' at first $from/scale, graph 0.95 right offset -0.5,0 textcolor rgb '#555555'
plot $plot_line
unset arrow 1; unset arrow 2; unset label 1
set title 'the busy stretch: ops $from to $to'
set key off
set xrange [$from/scale:$to/scale]
plot $plot_line"
fi

gnuplot 2>"$out/$name.plot-errors" <<GNUPLOT || { cat "$out/$name.plot-errors" >&2; echo "plot: $name: gnuplot failed" >&2; exit 1; }
scale = $scale
set title "$name: memory held by each allocator"
set xlabel "$unit (malloc-family calls, in trace order)"
set ylabel "MiB"
set key below horizontal
set grid
set yrange [0:*]
set offsets 0, 0, graph 0.05, 0
set terminal svg size 960,$height dynamic enhanced font "sans,12" background rgb "white"
set output "$out/$name.svg"
$panels
unset multiplot
set terminal pngcairo size 960,$height enhanced font "sans,11" background rgb "white"
set output "$out/$name.png"
$panels
unset multiplot
GNUPLOT
rm -f "$out/$name.plot-errors"

#!/usr/bin/env bash
# run.sh - what `make bench` runs: every workload against every allocator, in
# turns, a table of time and peak RSS against glibc, a CSV and bar charts.
#
#   bench/run.sh [-b BUILD] [-o OUTDIR] [-r RUNS] [-a ALLOCATORS] [-w WORKLOADS] [-c CPU|none] [--smoke]
#
# Allocators (-a, comma-separated; default all that are installed):
#   arenalloc       build/libarenalloc.so preloaded, its defaults
#   arenalloc-notc  the same with GLIBC_TUNABLES=glibc.malloc.tcache_count=0
#   glibc           the system's malloc, its defaults (the per-thread cache on)
#   glibc-notc      the same with glibc.malloc.tcache_count=0
#   jemalloc, mimalloc, tcmalloc   Debian's libraries, preloaded
# Both arenalloc and glibc read GLIBC_TUNABLES, so the -notc rows of the two are
# the same experiment.
#
# Workloads (-w): the programs of arena-bench (bench/bench.c: pair32, small-fixed,
# small-mixed, random-1t, random-2t, larson-2t, xmalloc-2t, realloc) and the
# demo's three real-program traces (bench/workloads/*.trace.xz), replayed by
# arena-replay --allocator system, so the preloaded allocator serves them.
#
# Each round runs every workload once on every allocator, one after the other,
# so that a machine whose load changes slows every allocator alike; RUNS rounds
# (5), and the table shows the median of each.  time is the timed part only (the
# program's loop, the replayed calls).  peak RSS is what the workload made
# resident: the most anonymous memory the process had above what it had before
# the workload's first call (the program's figure, sampled through the run:
# bench/bench.c; the replayer's, bench/trace/replay.c).  process is the process's
# own peak resident set (GNU time's %M): it also counts the pages of code and
# data every process of the program has, and the preloaded library's own, and
# for a replay the decoded trace; where ASLR puts the libraries moves it by up
# to a tenth on the smallest programs.  Ratios are against glibc for rows with
# the cache on, and against glibc-notc for the -notc rows.
#
# The one-thread workloads (all but the -2t ones; the demo's traces are of
# one-thread runs) run pinned to one core, CPU (-c; by default the first this
# script may run on; "none" leaves them to the scheduler), so that every
# allocator of a round runs on the same core: on a virtual machine the cores
# need not be equal (on the one the README's figures come from, a run on the
# second took up to twice as long as on the first), and a ratio of two runs
# that landed on different cores measured the cores.  The two-thread workloads
# get both cores.
#
# Every program checks its own blocks and exits 1 on a wrong result; the run
# also checks that every allocator printed the same checksum for a workload.
# --smoke: tiny counts, one round, a short synthetic trace instead of the real
# ones (the `make check` stage).
#
# Output in OUTDIR (build/bench): runs.tsv (every run), bench.csv (medians and
# ratios), table.txt, time.svg and rss.svg (bars per workload, one per
# allocator, relative to glibc; rss.svg shows peak RSS).
set -euo pipefail

build=build
out=
runs=5
smoke=0
cpu=
allocators=arenalloc,arenalloc-notc,glibc,glibc-notc,jemalloc,mimalloc,tcmalloc
programs=(pair32 small-fixed small-mixed random-1t random-2t larson-2t xmalloc-2t realloc)
workloads=
usage() {
    echo "usage: $0 [-b BUILD] [-o OUTDIR] [-r RUNS] [-a ALLOCATORS] [-w WORKLOADS] [-c CPU|none] [--smoke]" >&2
    exit 2
}
while (($#)); do
    case $1 in
    -b) build=$2; shift 2 ;;
    -o) out=$2; shift 2 ;;
    -r) runs=$2; shift 2 ;;
    -a) allocators=$2; shift 2 ;;
    -w) workloads=$2; shift 2 ;;
    -c) cpu=$2; shift 2 ;;
    --smoke) smoke=1; shift ;;
    *) usage ;;
    esac
done
[[ -n $out ]] || out=$build/bench
((smoke)) && runs=1

bench=$build/tools/arena-bench
replay=$build/tools/arena-replay
for f in "$bench" "$replay" "$build/libarenalloc.so"; do
    [[ -e $f ]] || { echo "bench: $f is missing: run 'make all tools' first" >&2; exit 1; }
done
gnutime=/usr/bin/time
[[ -x $gnutime ]] || { echo "bench: GNU time is missing (apt-get install time)" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "bench: gnuplot is missing (apt-get install gnuplot-nox)" >&2; exit 1; }

# The prefix that pins a one-thread workload (see the top of this file).
pin=()
if [[ $cpu != none ]]; then
    command -v taskset >/dev/null || { echo "bench: taskset is missing (util-linux); -c none runs unpinned" >&2; exit 1; }
    # "pid N's current affinity list: 0-3,6": the first number.
    [[ -n $cpu ]] || cpu=$(taskset -pc $$ | sed 's/.*: *//; s/[^0-9].*//')
    taskset -c "$cpu" true 2>/dev/null || { echo "bench: -c $cpu: no such CPU here" >&2; exit 2; }
    pin=(taskset -c "$cpu")
fi

libdir=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
notc=glibc.malloc.tcache_count=0

# The environment an allocator runs in, as NAME=VALUE words for env(1).
env_of() {
    case $1 in
    arenalloc) echo "LD_PRELOAD=$build/libarenalloc.so" ;;
    arenalloc-notc) echo "LD_PRELOAD=$build/libarenalloc.so GLIBC_TUNABLES=$notc" ;;
    glibc) echo "" ;;
    glibc-notc) echo "GLIBC_TUNABLES=$notc" ;;
    jemalloc) echo "LD_PRELOAD=$libdir/libjemalloc.so.2" ;;
    mimalloc) echo "LD_PRELOAD=$libdir/libmimalloc.so.2" ;;
    tcmalloc) echo "LD_PRELOAD=$libdir/libtcmalloc_minimal.so.4" ;;
    *) return 1 ;;
    esac
}

names=()
IFS=, read -r -a wanted <<<"$allocators"
for a in "${wanted[@]}"; do
    e=$(env_of "$a") || { echo "bench: unknown allocator '$a'" >&2; exit 2; }
    lib=${e#LD_PRELOAD=}
    lib=${lib%% *}
    if [[ $e == LD_PRELOAD=* && ! -e $lib ]]; then
        echo "bench: $a left out: $lib is not installed (tests/install-deps.sh demo installs it)" >&2
        continue
    fi
    names+=("$a")
done

mkdir -p "$out/traces"

# The workloads: a name and the command that runs it (arguments after the name).
declare -A command
smoke_arg=
((smoke)) && smoke_arg=--smoke
for p in "${programs[@]}"; do
    command[$p]="$bench $p $smoke_arg"
done
traces=()
if ((smoke)); then
    "$build/tools/arena-synth" sawtooth --ops 20000 --seed 5 -o "$out/traces/sawtooth.trace" >/dev/null
    traces=(sawtooth)
else
    for t in bench/workloads/*.trace.xz; do
        name=$(basename "$t" .trace.xz)
        [[ -s $out/traces/$name.trace && $out/traces/$name.trace -nt $t ]] || xz -dc "$t" >"$out/traces/$name.trace"
        traces+=("$name")
    done
fi
for t in "${traces[@]}"; do
    command[$t]="$replay --allocator system --samples 50 $out/traces/$t.trace"
done
order=("${programs[@]}" "${traces[@]}")
if [[ -n $workloads ]]; then
    IFS=, read -r -a order <<<"$workloads"
    for w in "${order[@]}"; do
        [[ -n ${command[$w]:-} ]] || { echo "bench: unknown workload '$w'" >&2; exit 2; }
    done
fi

# ---- the runs ---------------------------------------------------------------------
# runs.tsv: workload allocator round time_s rss_kb process_kb checksum ("-" when
# the workload prints none; "FAILED" in time_s for a run that failed).
tsv=$out/runs.tsv
printf 'workload\tallocator\tround\ttime_s\trss_kb\tprocess_kb\tchecksum\n' >"$tsv"
total=$((runs * ${#order[@]} * ${#names[@]}))
step=0
failed=0
for ((r = 1; r <= runs; r++)); do
    for w in "${order[@]}"; do
        for a in "${names[@]}"; do
            step=$((step + 1))
            printf '[%3d/%d] round %d  %-20s %-15s' "$step" "$total" "$r" "$w" "$a" >&2
            prefix=("${pin[@]}")
            [[ $w == *-2t ]] && prefix=()
            time='' rss='' sum=''
            # shellcheck disable=SC2046,SC2086
            if env $(env_of "$a") "${prefix[@]}" "$gnutime" -f '%M' -o "$out/rss.txt" ${command[$w]} >"$out/out.txt" 2>"$out/err.txt"; then
                line=$(tail -n 1 "$out/out.txt")
                time=$(sed -n 's/.*time_s=\([0-9.]*\).*/\1/p' <<<"$line")
                sum=$(sed -n 's/.*checksum=\([0-9a-f]*\).*/\1/p' <<<"$line")
                rss=$(sed -n 's/.*peak_rss=\([0-9]*\).*/\1/p' <<<"$line")
                [[ -n $time && -n $rss ]] || echo "no time_s or peak_rss in its output: $line" >>"$out/err.txt"
            fi
            if [[ -n $time && -n $rss ]]; then
                rss=$((rss / 1024))
                process=$(tail -n 1 "$out/rss.txt")
                printf '%s\t%s\t%d\t%s\t%s\t%s\t%s\n' "$w" "$a" "$r" "$time" "$rss" "$process" "${sum:--}" >>"$tsv"
                printf ' %8s s %8s kB %8s kB\n' "$time" "$rss" "$process" >&2
            else
                failed=$((failed + 1))
                printf '%s\t%s\t%d\tFAILED\t-\t-\t-\n' "$w" "$a" "$r" >>"$tsv"
                printf ' FAILED: %s\n' "$(grep -v '^Command' "$out/err.txt" | tail -n 1)" >&2
            fi
        done
    done
done
rm -f "$out/out.txt" "$out/err.txt" "$out/rss.txt"

# ---- medians, ratios, table, CSV ---------------------------------------------------
awk -f "$(dirname "$0")/bench_table.awk" -v csv="$out/bench.csv" -v ratios="$out/ratios.dat" \
    -v allocators="$(IFS=,; echo "${names[*]}")" -v workloads="$(IFS=,; echo "${order[*]}")" \
    "$tsv" | tee "$out/table.txt"
status=${PIPESTATUS[0]}

# ---- the charts -----------------------------------------------------------------------
# ratios.dat: one line per workload, "workload time-ratio... rss-ratio..." in
# the allocators' order.
n=${#names[@]}
for what in time rss; do
    first=$([[ $what == time ]] && echo 2 || echo $((n + 2)))
    label=$([[ $what == time ]] && echo time || echo "peak RSS (what the workload made resident)")
    gnuplot <<EOF
set terminal svg size 1200,500 dynamic font "sans,11"
set output "$out/$what.svg"
set title "make bench: $label relative to glibc (lower is better; -notc rows against glibc-notc)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xtics rotate by -30 nomirror
set ylabel "${what/rss/peak RSS} / glibc's"
set yrange [0:*]
set grid ytics
set key outside right top
set datafile missing "-"
plot for [i=0:$((n - 1))] "$out/ratios.dat" using (column($first+i)):xtic(1) title columnheader($first+i)
EOF
done

echo
echo "$out/table.txt, $out/bench.csv, $out/time.svg, $out/rss.svg; every run in $tsv"
if ((failed)); then
    echo "bench: $failed runs failed" >&2
    exit 1
fi
exit "$status"

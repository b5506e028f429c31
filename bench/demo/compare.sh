#!/usr/bin/env bash
# compare.sh - how much memory does each allocator use on the same program?
#
#   bench/demo/compare.sh [-b BUILD] [-o OUTDIR] [-a ALLOCATORS] TRACE...
#
# Replays every trace (from bench/trace: recorded with arena-record, or made by
# arena-synth; .xz-compressed traces are unpacked first) once per allocator, each
# replay in a process of its own:
#
#   arenalloc  this project, through its prefixed build (arena-replay --allocator arenalloc)
#   glibc      the system's malloc
#   jemalloc, mimalloc, tcmalloc   Debian's libraries, preloaded into the replayer
#
# and prints one table row per allocator per trace, with ratios against glibc,
# then draws footprint and live bytes against operations with gnuplot, one
# picture per trace: OUTDIR/<trace>.svg and .png.  The figures of each replay
# are kept in OUTDIR/<trace>/<allocator>.tsv (samples) and .summary.
#
# -a picks allocators, comma-separated (default: all five).  An allocator whose
# library is not installed is left out with a note saying which package has it.
#
# Time is the median of ROUNDS replays (-r, default 3; the allocators take turns
# round by round), and a trace of one thread replays pinned to one CPU (taskset),
# the same for every allocator: this machine's speed moves by tens of per cent
# from one run to the next, and its cores are not equally fast.  The memory
# figures are the first round's; they do not change from round to round.
set -euo pipefail

build=build
out=build/compare
allocators=arenalloc,glibc,jemalloc,mimalloc,tcmalloc
rounds=3
while getopts "b:o:a:r:" opt; do
    case $opt in
    b) build=$OPTARG ;;
    o) out=$OPTARG ;;
    a) allocators=$OPTARG ;;
    r) rounds=$OPTARG ;;
    *) echo "usage: $0 [-b BUILD] [-o OUTDIR] [-a ALLOCATORS] [-r ROUNDS] TRACE..." >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
if (($# == 0)); then
    echo "usage: $0 [-b BUILD] [-o OUTDIR] [-a ALLOCATORS] [-r ROUNDS] TRACE..." >&2
    exit 2
fi
[[ $rounds =~ ^[1-9][0-9]?$ ]] || { echo "compare: -r $rounds: give a number of rounds from 1 to 99" >&2; exit 2; }

replay=$build/tools/arena-replay
reader=$build/tools/arena-trace
for tool in "$replay" "$reader"; do
    [[ -x $tool ]] || { echo "compare: $tool is missing: run 'make tools' first" >&2; exit 1; }
done
command -v gnuplot >/dev/null || { echo "compare: gnuplot is missing (apt-get install gnuplot-nox)" >&2; exit 1; }

libdir=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)

# The library to preload for an allocator ("" for none); fails for an unknown one.
preload_of() {
    case $1 in
    arenalloc | glibc) echo "" ;;
    jemalloc) echo "$libdir/libjemalloc.so.2" ;;
    mimalloc) echo "$libdir/libmimalloc.so.2" ;;
    tcmalloc) echo "$libdir/libtcmalloc_minimal.so.4" ;;
    *) return 1 ;;
    esac
}
package_of() {
    case $1 in
    jemalloc) echo libjemalloc2 ;; mimalloc) echo libmimalloc2.0 ;; tcmalloc) echo libtcmalloc-minimal4 ;;
    esac
}

# The allocators that can run here.
names=()
IFS=, read -r -a wanted <<<"$allocators"
for a in "${wanted[@]}"; do
    lib=$(preload_of "$a") || { echo "compare: unknown allocator '$a'" >&2; exit 2; }
    if [[ -n $lib && ! -e $lib ]]; then
        echo "compare: $a left out: $lib is not installed (apt-get install $(package_of "$a"))" >&2
        continue
    fi
    names+=("$a")
done

mkdir -p "$out"

# A readable name for a trace file: its base name without .xz and .trace.
trace_name() {
    local n
    n=$(basename "$1")
    n=${n%.xz}
    echo "${n%.trace}"
}

# Unpacks an .xz trace into OUTDIR (once); prints the path to replay.
unpacked() {
    if [[ $1 == *.xz ]]; then
        local dest=$out/traces/$(trace_name "$1").trace
        mkdir -p "$out/traces"
        [[ -s $dest && $dest -nt $1 ]] || xz -dc "$1" >"$dest"
        echo "$dest"
    else
        echo "$1"
    fi
}

# The CPU that one-thread replays are pinned to: the first this script may run
# on ("pid N's current affinity list: 0-3,6"), or none without taskset.
cpu=
command -v taskset >/dev/null && cpu=$(taskset -pc $$ | sed 's/.*: *//; s/[^0-9].*//')

# Replays trace $2 (named $1, of $4 threads) against allocator $3, in round $5.
# Round 1 keeps the samples and the summary line (OUTDIR/<name>/<allocator>.summary,
# or the failure in .error); every round adds its time to .times.
run_one() {
    local name=$1 trace=$2 alloc=$3 threads=$4 round=$5 dir=$out/$1
    local lib mode=system pin=() line
    lib=$(preload_of "$alloc")
    [[ $alloc == arenalloc ]] && mode=arenalloc
    [[ $threads == 1 && -n $cpu ]] && pin=(taskset -c "$cpu")
    local replay_it=(env ${lib:+LD_PRELOAD=$lib} "${pin[@]}" "$replay" --allocator "$mode")
    mkdir -p "$dir"
    if ((round == 1)); then
        rm -f "$dir/$alloc.summary" "$dir/$alloc.error" "$dir/$alloc.times"
        if "${replay_it[@]}" --samples 1000 --data "$dir/$alloc.tsv" "$trace" \
            >"$dir/$alloc.summary" 2>"$dir/$alloc.error"; then
            rm -f "$dir/$alloc.error"
            line=$(cat "$dir/$alloc.summary")
        else
            rm -f "$dir/$alloc.summary"
            return
        fi
    elif [[ -e $dir/$alloc.summary ]]; then
        line=$("${replay_it[@]}" --samples 1 "$trace" 2>"$dir/$alloc.error") || return 0
        rm -f "$dir/$alloc.error"
    else
        return 0 # round 1 failed: its error stands
    fi
    sed -n 's/.* time_s=\([0-9.]*\).*/\1/p' <<<"$line" >>"$dir/$alloc.times"
}

# The median of the times in file $1.
median_time() {
    sort -g "$1" | awk '{ t[NR] = $1 } END { print (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2 }'
}

# Every trace is read once before any replay: a trace the reader refuses stops
# the comparison with the reader's own message (what is wrong, at which byte),
# instead of a table of zeros and plots of nothing.  A trace that really ends
# early (a recorder killed while writing) goes on with its whole blocks, and the
# reader's warning says how much was lost.
check_trace() { # check_trace FILE UNPACKED
    local err=$out/check.err ops
    if ! "$reader" info "$2" >"$out/check.out" 2>"$err"; then
        cat "$err" >&2
        echo "compare: $1: refused by the trace reader (above); nothing compared" >&2
        exit 1
    fi
    [[ -s $err ]] && sed "s|^|compare: $1: |" "$err" >&2
    ops=$(sed -n 's/^ops: //p' "$out/check.out")
    if [[ ${ops:-0} == 0 ]]; then
        echo "compare: $1: the trace holds no operations; nothing compared" >&2
        exit 1
    fi
    thread_counts+=("$(sed -n 's/^threads: //p' "$out/check.out")")
}

# ---- replays ------------------------------------------------------------------
traces=()
thread_counts=()
for t in "$@"; do
    [[ -f $t && -r $t ]] || { echo "compare: $t: cannot read the trace (not a readable file)" >&2; exit 1; }
    if [[ $t == *.xz ]] && ! xz -t "$t" 2>"$out/check.err"; then
        echo "compare: $t: damaged xz file: $(head -n 1 "$out/check.err")" >&2
        exit 1
    fi
    traces+=("$(unpacked "$t")")
    check_trace "$t" "${traces[-1]}"
done

total=$(($# * ${#names[@]} * rounds))
step=0
i=0
for t in "$@"; do
    name=$(trace_name "$t")
    trace=${traces[i]}
    threads=${thread_counts[i]}
    i=$((i + 1))
    for ((round = 1; round <= rounds; round++)); do
        for alloc in "${names[@]}"; do
            step=$((step + 1))
            printf '[%3d/%d] %-22s %-10s round %d' "$step" "$total" "$name" "$alloc" "$round" >&2
            start=$EPOCHREALTIME
            run_one "$name" "$trace" "$alloc" "$threads" "$round"
            if [[ -e $out/$name/$alloc.error ]]; then
                printf ' failed: %s\n' "$(tail -n 1 "$out/$name/$alloc.error")" >&2
            else
                awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf " %5.1f s\n", b - a }' >&2
            fi
        done
    done
done

# ---- the table -------------------------------------------------------------------
# Every summary is one line of key=value pairs (see bench/trace/replay.c).
table() {
    for t in "$@"; do
        name=$(trace_name "$t")
        for alloc in "${names[@]}"; do
            if [[ -e $out/$name/$alloc.summary ]]; then
                echo "$name $alloc $(sed "s/ time_s=[0-9.]*/ time_s=$(median_time "$out/$name/$alloc.times")/" \
                    "$out/$name/$alloc.summary")"
            else
                echo "$name $alloc failed"
            fi
        done
    done | awk -f "$(dirname "$0")/table.awk"
}
table "$@" | tee "$out/table.txt"

# ---- the plots -------------------------------------------------------------------
# Only the pictures that were drawn are named; plot.sh says why one was not.
drawn=()
for t in "$@"; do
    name=$(trace_name "$t")
    rm -f "$out/$name.svg" "$out/$name.png"
    "$(dirname "$0")/plot.sh" "$out" "$name" "${names[@]}" || exit 1
    [[ -s $out/$name.svg ]] && drawn+=("$out/$name.svg")
done
echo
if ((${#drawn[@]} > 0)); then
    echo "plots: ${drawn[*]}"
    echo "       (and .png beside each); the table is in $out/table.txt"
else
    echo "no plots: no replay finished; the table is in $out/table.txt"
fi

#!/usr/bin/env bash
# stage.sh - one stage of `make check`, and the summary of them all.
#
#   tests/stage.sh run DIR NAME -- COMMAND...   run a stage, record how it went
#   tests/stage.sh summary DIR                  the table of every stage, last
#
# A stage runs to its end whatever the stages before it did: `make check` goes
# through every stage and its exit status says whether any failed.
#
# run: COMMAND's whole output goes to DIR/NAME.log.  The terminal gets it too,
# without the compiler's command lines (lines starting with the compiler or the
# archiver: make echoes one per file, thousands in all); V=1 shows them.  Its
# counts are read from the last line the stage printed that has them:
#   "N passed, M failed[, K skipped]"          the project's scripts, glibc's run
#   "P%: Checks: N, Failures: F, Errors: E"    a Check runner
# A stage that prints neither (a build) counts as one check.  A stage whose
# command fails counts at least one failure, whatever it printed.  DIR/NAME.result
# holds "status passed failed skipped seconds"; DIR/stages lists the stages in order.
#
# summary: one table row per stage, then "check: N passed, M failed" (the sum),
# and exit status 1 when any stage failed.
set -u

mode=${1:-}
dir=${2:-}
[[ -n $mode && -n $dir ]] || { echo "usage: $0 run DIR NAME -- COMMAND... | summary DIR" >&2; exit 2; }

if [[ $mode == run ]]; then
    name=${3:?stage name}
    [[ ${4:-} == -- ]] || { echo "usage: $0 run DIR NAME -- COMMAND..." >&2; exit 2; }
    shift 4
    mkdir -p "$dir"
    echo "$name" >>"$dir/stages"
    echo "==== $name"
    start=$EPOCHREALTIME
    # The compiler lines: cc, gcc, clang, the mingw cross tools, ar, each as make echoes them.
    compiler='^(cc|c99|gcc|clang|clang-[0-9]+|x86_64-w64-mingw32-[a-z]+|ar|'"${CC:-cc}"') '
    if [[ ${V:-0} == 1 ]]; then
        "$@" 2>&1 | tee "$dir/$name.log"
    else
        "$@" 2>&1 | tee "$dir/$name.log" | grep -Ev --line-buffered "$compiler"
    fi
    status=${PIPESTATUS[0]}
    seconds=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
    counts=$(awk '
        match($0, /[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?/) {
            split(substr($0, RSTART, RLENGTH), w, /[ ,]+/); p = w[1]; f = w[3]; s = (w[5] == "" ? 0 : w[5]); found = 1
        }
        match($0, /[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+/) {
            split(substr($0, RSTART, RLENGTH), w, /[ ,:%]+/); f = w[5] + w[7]; p = w[3] - f; s = 0; found = 1
        }
        END { if (found) print p, f, s }' "$dir/$name.log")
    if [[ -z $counts ]]; then
        if ((status == 0)); then counts="1 0 0"; else counts="0 1 0"; fi
    fi
    read -r passed failed skipped <<<"$counts"
    ((status != 0 && failed == 0)) && failed=1
    echo "$status $passed $failed $skipped $seconds" >"$dir/$name.result"
    if ((status != 0)); then
        echo "==== $name FAILED (exit $status; its whole output: $dir/$name.log); going on with the next stage"
    fi
    exit 0
fi

if [[ $mode == summary ]]; then
    [[ -s $dir/stages ]] || { echo "check: no stage ran"; exit 1; }
    total_p=0 total_f=0 total_s=0 total_t=0 bad=0
    echo
    printf '%-16s %-7s %8s %7s %8s %7s\n' stage result passed failed skipped seconds
    while read -r name; do
        if [[ -r $dir/$name.result ]]; then
            read -r status p f s t <"$dir/$name.result"
        else
            status=1 p=0 f=1 s=0 t=0 # the stage never recorded an end
        fi
        result=ok
        ((status != 0 || f > 0)) && { result=FAILED; bad=1; }
        printf '%-16s %-7s %8d %7d %8d %7d\n' "$name" "$result" "$p" "$f" "$s" "$t"
        total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + s)) total_t=$((total_t + t))
    done <"$dir/stages"
    printf '%-16s %-7s %8d %7d %8d %7d\n' total "$( ((bad)) && echo FAILED || echo ok)" \
        "$total_p" "$total_f" "$total_s" "$total_t"
    ((bad)) && echo "the failed stages' output: $dir/STAGE.log"
    echo "check: $total_p passed, $total_f failed"
    ((bad == 0))
    exit
fi

echo "usage: $0 run DIR NAME -- COMMAND... | summary DIR" >&2
exit 2

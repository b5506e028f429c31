#!/usr/bin/env bash
# q_mmap_traces.sh OUTDIR [--short] - the mmap-threshold question on real programs
# (deck 90-questions): the bundled sqlite3 and gcc traces replayed under arenalloc
# with the mmap threshold at its default and set very high (1 GiB, so nothing is
# mapped); prints peak footprint and footprint / live at the peak for each.  The
# traces are replayed whole in both modes (a few seconds).  BUILD names the build.
set -euo pipefail

out=$1
build=${BUILD:-build}
for trace in sqlite3-table gcc-cc1; do
    xz -dc "bench/workloads/$trace.trace.xz" >"$out/$trace.trace"
    for setting in default high; do
        if [[ $setting == high ]]; then
            export MALLOC_MMAP_THRESHOLD_=1073741824
        else
            unset MALLOC_MMAP_THRESHOLD_
        fi
        "$build/tools/arena-replay" --allocator arenalloc "$out/$trace.trace" |
            awk -v k="${trace//-/_}_$setting" '{
                for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                printf "%s_footprint_mib %.1f\n", k, v["peak_footprint"] / 1048576
                printf "%s_live_mib %.1f\n", k, v["peak_live"] / 1048576
                printf "%s_frag_peak %s\n", k, v["frag_peak"]
            }'
    done
    rm -f "$out/$trace.trace"
done

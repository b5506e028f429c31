#!/usr/bin/env bash
# fragmentation.sh OUTDIR [--short] - the demo's comparison (bench/demo/compare.sh)
# for deck 60-fragmentation: a synthetic sawtooth trace (200000 ops; 30000 in
# short mode) and the bundled sqlite3 trace, replayed under arenalloc, glibc,
# jemalloc, mimalloc and tcmalloc.  Leaves compare.sh's plots and table in
# OUTDIR; prints, per trace and allocator, the peak footprint (MiB) and the
# fragmentation at the peak and on average.  BUILD names the build directory.
set -euo pipefail

out=$1
ops=200000
[[ ${2:-} == --short ]] && ops=30000
build=${BUILD:-build}

mkdir -p "$out/traces"
"$build/tools/arena-synth" sawtooth --ops "$ops" --seed 7 -o "$out/traces/sawtooth.trace" >/dev/null
bench/demo/compare.sh -b "$build" -o "$out" "$out/traces/sawtooth.trace" bench/workloads/sqlite3-table.trace.xz \
    >"$out/compare.out" 2>"$out/compare.err"
rm -rf "$out/traces"

echo "sawtooth_ops $ops"
for trace in sawtooth sqlite3-table; do
    for summary in "$out/$trace"/*.summary; do
        alloc=$(basename "$summary" .summary)
        # key=value pairs, one line (arena-replay's summary)
        awk -v k="${trace//-/_}_$alloc" '{
            for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
            printf "%s_footprint %.1f\n", k, v["peak_footprint"] / 1048576
            printf "%s_live %.1f\n", k, v["peak_live"] / 1048576
            printf "%s_frag_peak %s\n", k, v["frag_peak"]
            printf "%s_frag_avg %s\n", k, v["frag_avg"]
        }' "$summary"
    done
done

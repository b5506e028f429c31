#!/usr/bin/env bash
# tests/fuzz/fuzz-check.sh BUILD SECONDS - the two fuzzers, SECONDS each, one after the other.
#
#   trace    BUILD/fuzz/trace_fuzz (libFuzzer, ASan, UBSan) on the trace reader,
#            from tests/fuzz/trace-corpus; new inputs it finds interesting go to
#            BUILD/fuzz/trace-corpus, a crash to BUILD/fuzz/trace-crash-*
#   heapviz  tests/fuzz/heapviz_fuzz.py on heapviz's loader and drawing, from
#            tests/fuzz/heapviz-corpus; a crash to BUILD/fuzz/heapviz-crashes/
#
# Each prints one line of what it did; the run ends with "N passed, M failed",
# one per fuzzer, and exits non-zero when either found something.  The corpora in
# the tree are never written to.
set -u

build=${1:-build}
seconds=${2:-300}
here=$(cd "$(dirname "$0")" && pwd)
out=$build/fuzz
passed=0 failed=0
mkdir -p "$out/trace-corpus"
rm -rf "$out/heapviz-crashes"

# The reader prints one line per refused input: the reader working.  Kept in
# the log; only libFuzzer's own last lines are shown.
"$out/trace_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$out/trace-crash-" "$out/trace-corpus" "$here/trace-corpus" >"$out/trace.log" 2>&1
status=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/trace.log")
if ((status == 0)); then
    echo "ok   - trace reader: ${runs:-?} inputs in $seconds s under ASan and UBSan, nothing found" \
         "(corpus: $(ls "$out/trace-corpus" | wc -l) in $out/trace-corpus)"
    passed=$((passed + 1))
else
    echo "FAIL - trace reader: libFuzzer exited $status; the input is $out/trace-crash-*; its report:"
    grep -E '^(==|SUMMARY|.*runtime error)' "$out/trace.log" | head -20
    failed=$((failed + 1))
fi

if python3 "$here/heapviz_fuzz.py" "$seconds" "$here/heapviz-corpus" "$out/heapviz-crashes" >"$out/heapviz.log" 2>&1; then
    echo "ok   - heapviz loader: $(tail -n 1 "$out/heapviz.log" | sed 's/^heapviz_fuzz: //')"
    passed=$((passed + 1))
else
    echo "FAIL - heapviz loader: tracebacks, inputs kept in $out/heapviz-crashes:"
    grep '^heapviz_fuzz: ' "$out/heapviz.log"
    failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
((failed == 0))

#!/usr/bin/env bash
# tests/stepper/stepper-check.sh BUILD - the heap stepper: its pages show what the
# heap was, work in Chromium, and bad input is refused with a reason.
#
#   1. pages for the tour's lessons and a 5,000-call window of the sqlite3 trace
#      (tools/stepper/pages.sh, as `make stepper` makes them);
#   2. the steps of lesson 10, of the lessons of threads (8 and 9: two threads, two
#      arenas) and of that window against arenalloc_dump at sampled steps
#      (steps-check.mjs);
#   3. the pages in Chromium (browser-check.mjs; screenshots in BUILD/stepper-check/shots);
#   4. a file that is not a trace, a damaged trace, a window too long, a window past
#      the end and a step file that is not one are each refused with one line naming
#      the problem, and leave no page behind.
set -uo pipefail

build=${1:-build}
out=$build/stepper-check
rm -rf "$out" && mkdir -p "$out/shots" "$out/dumps"
passed=0 failed=0
check() { # check NAME COMMAND...
    if "${@:2}"; then echo "ok   - $1"; passed=$((passed + 1)); else echo "FAIL - $1"; failed=$((failed + 1)); fi
}
count() { # adds the ok/FAIL lines of a Node check to the totals
    local log=$1
    cat "$log"
    passed=$((passed + $(grep -c '^ok ' "$log"))) failed=$((failed + $(grep -c '^FAIL' "$log")))
}

# 1. the pages
tools/stepper/pages.sh -b "$build" -o "$out" --tour -n 5000 bench/workloads/sqlite3-table.trace.xz >"$out/pages.log" 2>&1
check "make stepper's pages are built" test $? -eq 0
lessons=$(grep -c . "$out/traces/lessons.tsv")
pages=$(ls "$out"/tour-*.html 2>/dev/null | wc -l)
check "a page per lesson ($pages of $lessons lessons)" test "$pages" -eq "$lessons" -a "$pages" -ge 10
check "the demo window's page" test -s "$out/sqlite3-table.html"
check "the index links every page" test "$(grep -c '<li>' "$out/index.html")" -eq $((pages + 1))
check "no page loads anything from outside itself" \
    bash -c "! grep -lE '(src|href)=\"(https?:)?//' $out/*.html"

# 2. the steps against arenalloc_dump
step=$build/tools/arena-step
"$step" --lessons "$out/traces/lessons.tsv" --lesson 10 --dump-at 1,9,18,27,28 --dump-dir "$out/dumps" \
    -o "$out/lesson10.json" "$out/traces/tour.trace"
node tests/stepper/steps-check.mjs "$out/lesson10.json" "$out/dumps" 1 9 18 27 28 >"$out/steps-lesson.log" 2>&1
count "$out/steps-lesson.log"
for lesson in 8 9; do
    mkdir -p "$out/dumps-$lesson"
    "$step" --lessons "$out/traces/lessons.tsv" --lesson $lesson --dump-at 1,2,3,4,5 --dump-dir "$out/dumps-$lesson" \
        -o "$out/lesson$lesson.json" "$out/traces/tour.trace"
    steps=$(ls "$out/dumps-$lesson" | sed 's/step-\(.*\).json/\1/')
    node tests/stepper/steps-check.mjs "$out/lesson$lesson.json" "$out/dumps-$lesson" $steps >"$out/steps-$lesson.log" 2>&1
    count "$out/steps-$lesson.log"
    check "lesson $lesson's calls run on two threads and reach a thread arena" \
        grep -q ', 2 arenas)' "$out/steps-$lesson.log"
    # The replay, its threads taking turns, ends on the heap the tour itself
    # dumped at the end of the lesson: every arena's chunks, sizes and states.
    last=$(ls "$out/dumps-$lesson" | sed 's/step-\(.*\).json/\1/' | sort -n | tail -1)
    check "lesson $lesson's last step is the tour's own heap (every arena's chunk sizes and states)" node -e '
        const fs = require("fs"), [a, b] = process.argv.slice(1).map((f) => JSON.parse(fs.readFileSync(f, "utf8")));
        const shape = (d) => JSON.stringify(d.arenas.map((x) => x.chunks.map((c) => [c.size, c.state])));
        process.exit(shape(a) === shape(b) && a.arenas.length > 1 ? 0 : 1);' \
        "$out/dumps-$lesson/step-$last.json" "$out/traces/$(printf 'step-%03d' $lesson).json"
done
mkdir -p "$out/dumps-sqlite"
"$step" --count 5000 --dump-at 1,37,500,1234,2999,4000,5000 --dump-dir "$out/dumps-sqlite" \
    -o "$out/sqlite.json" "$out/traces/sqlite3-table.trace"
node tests/stepper/steps-check.mjs "$out/sqlite.json" "$out/dumps-sqlite" 1 37 500 1234 2999 4000 5000 \
    >"$out/steps-sqlite.log" 2>&1
count "$out/steps-sqlite.log"

# 3. the browser
node tests/stepper/browser-check.mjs "$(realpath "$out")" "$(realpath "$out/traces")" "$(realpath "$out/shots")" \
    "$(realpath "$out/sqlite3-table.html")" >"$out/browser.log" 2>&1
count "$out/browser.log"
shots=$(ls "$out"/shots/*.png 2>/dev/null | wc -l)
check "screenshots taken ($shots, in $out/shots)" test "$shots" -ge 4

# 4. refusals: exit status 1, one line saying what is wrong, no page
refused() { # refused NAME PATTERN COMMAND...
    local name=$1 pattern=$2
    shift 2
    rm -f "$out/bad.html"
    "$@" >"$out/refused.log" 2>&1
    local rc=$?
    check "$name: refused (status $rc): $(head -1 "$out/refused.log")" \
        bash -c "test $rc -ne 0 && grep -qE '$pattern' '$out/refused.log' && test ! -e '$out/bad.html'"
}
printf 'this is not a trace\n' >"$out/not-a-trace.trace"
cp tests/fuzz/trace-corpus/known_calls.trace "$out/damaged.trace"
printf '\xff\xff\xff\xff' | dd of="$out/damaged.trace" bs=1 seek=120 conv=notrunc status=none
printf '{"version": 1, "calls": [1], "diffs": []}' >"$out/not-steps.json"
refused "a file that is not a trace" "not-a-trace.trace: .*magic|not-a-trace.trace: .*trace" \
    "$step" -o "$out/bad.json" "$out/not-a-trace.trace"
refused "a damaged trace" "damaged.trace: .*(checksum|CRC|damaged|byte)" "$step" -o "$out/bad.json" "$out/damaged.trace"
refused "a window longer than a page holds" "at most 1000 steps" \
    "$step" --max-steps 1000 -o "$out/bad.json" "$out/traces/sqlite3-table.trace"
refused "a window past the end" "is past the trace" "$step" --from 99999999 -o "$out/bad.json" \
    "$out/traces/sqlite3-table.trace"
refused "a step file that is not one" "not an arena-step file" node tools/stepper/build.mjs "$out/not-steps.json" \
    "$out/bad.html"
refused "make stepper on a file that is not a trace" "not-a-trace.trace" \
    tools/stepper/pages.sh -b "$build" -o "$out" "$out/not-a-trace.trace"

echo "$passed passed, $failed failed"
((failed == 0))

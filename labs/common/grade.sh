#!/usr/bin/env bash
# grade.sh - `make grade` in a student tree: builds the library and the lab's
# grader, runs every test, and prints the score.
#
#   lab/grade.sh                 from the tree's top directory
#
# Environment (make labcheck uses these to grade the reference the same way):
#   LAB_DIR     the lab's files: grade_*.c, NAME.conf, ... (default: lab)
#   LAB_BUILD   where to build (default: build/grade)
#
# The library is built as `make DEBUG=1` builds it (-O0 -g3, the heap checker
# after every call), the build a student steps through in gdb.  The lab's
# NAME.conf says
# which extra checks the lab has:
#   fidelity=1  address fidelity against glibc 2.36 (tests/fidelity): the
#               student's drop-in library must hand out the addresses glibc does
#   wine=1      the grader is a Windows program, cross-built and run under Wine
#   debug=0     build without the heap checker (-O2 -g, in BUILD-nodebug): for a
#               grader that holds an arena's lock itself, which the checker,
#               locking every arena after each call, would wait for forever
#   technique=NAME  a security lab: the student's exploit step is in
#               tests/techniques/NAME.c; the grader (grade_technique.c) runs
#               that program at the releases of its line of techniques.tsv
#   release=2.yy    the security lab's release profile (ARENALLOC_RELEASE)
# A security lab also needs debug=0: the heap checker would stop every
# technique at its first corrupting write, with its own message, not glibc's.
set -u

lab_dir=${LAB_DIR:-lab}
build=${LAB_BUILD:-build/grade}
fidelity=0
wine=0
debug=1
technique=
release=
# shellcheck source=/dev/null
. "$(ls "$lab_dir"/*.conf | head -n 1)"
[[ $debug == 1 ]] || build=$build-nodebug
# The grader's own build directory, named after the lab directory (several labs'
# graders share one reference build in make labcheck).
gbuild=$build/$(basename "$lab_dir")
make_lib() { make --no-print-directory -s DEBUG="$debug" BUILD="$build" "$@"; }

scored=0 scored_passed=0 untouched=0 untouched_passed=0
tally() { # tally PASS|FAIL scored|untouched
    if [[ $2 == scored ]]; then
        scored=$((scored + 1)); [[ $1 == PASS ]] && scored_passed=$((scored_passed + 1))
    else
        untouched=$((untouched + 1)); [[ $1 == PASS ]] && untouched_passed=$((untouched_passed + 1))
    fi
}
# The grader's own lines go through; its two totals are added to ours.
take_totals() {
    local line
    while IFS= read -r line; do
        line=${line%$'\r'} # Wine's text mode ends lines with CR LF
        if [[ $line =~ ^score:\ ([0-9]+)/([0-9]+)$ ]]; then
            scored_passed=$((scored_passed + BASH_REMATCH[1])); scored=$((scored + BASH_REMATCH[2]))
        elif [[ $line =~ ^untouched:\ ([0-9]+)/([0-9]+)$ ]]; then
            untouched_passed=$((untouched_passed + BASH_REMATCH[1])); untouched=$((untouched + BASH_REMATCH[2]))
        else
            printf '%s\n' "$line"
        fi
    done
}

echo "== building the library (make DEBUG=$debug BUILD=$build) and the grader"
if [[ $wine == 1 ]]; then
    make --no-print-directory -s DEBUG=1 BUILD="$build" win-deps "$build/win/libarenalloc-prefixed.a" || {
        echo "FAIL  the library builds for Windows"; echo "score: 0/1"; exit 1; }
    mkdir -p "$gbuild"
    # Its own runner (Check is not built for Windows): not grade_main.c.
    # shellcheck disable=SC2046
    x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -O1 -g -I. -Iinclude -I"$lab_dir" -static \
        -o "$gbuild/grade.exe" $(ls "$lab_dir"/*.c | grep -v '/grade_main\.c$') "$build/win/libarenalloc-prefixed.a" || {
        echo "FAIL  the grader builds"; echo "score: 0/1"; exit 1; }
    echo "== running the grader under Wine"
    take_totals < <(tests/windows/wine-run.sh "$gbuild/grade.exe" 2>&1 | grep -v '^wincheck: ')
else
    make_lib all || { echo "FAIL  the library builds"; echo "score: 0/1"; exit 1; }
    if [[ -n $technique ]]; then
        make_lib "$build/techniques/$technique" "$build/techniques/techniques.tsv" || {
            echo "FAIL  tests/techniques/$technique.c builds"; echo "score: 0/1"; exit 1; }
        export LAB_TECHNIQUES=$build/techniques LAB_TECHNIQUE=$technique LAB_RELEASE=$release
    fi
    mkdir -p "$gbuild"
    # shellcheck disable=SC2046
    cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -O0 -g -I. -Iinclude -I"$lab_dir" $(pkg-config --cflags check) \
        -o "$gbuild/grade" "$lab_dir"/*.c "$build/libarenalloc-prefixed.a" $(pkg-config --libs check) -pthread || {
        echo "FAIL  the grader builds"; echo "score: 0/1"; exit 1; }
    echo "== running the grader (each test in a process of its own)"
    take_totals < <("$gbuild/grade")
fi

if [[ $fidelity == 1 ]]; then
    echo "== address fidelity: the same calls under glibc 2.36 and under your library"
    # LAB_FIDELITY_RESULT (make labcheck): a file holding the result of this
    # same run on this same library, made by the first lab graded on it.
    cache=${LAB_FIDELITY_RESULT:-}
    if [[ -n $cache && -s $cache ]]; then
        status=$(head -n 1 "$cache")
        out=$(tail -n +2 "$cache")
    else
        make_lib "$build/tests/fidelity/fidelity" >/dev/null
        out=$(ARENALLOC_LIB=$build/libarenalloc.so FIDELITY_SEEDS="1 2 3 4" FIDELITY_OPS=4000 FIDELITY_THREADS=0 \
              tests/fidelity/fidelity.sh "$build" 2>&1)
        status=$?
        [[ -z $cache ]] || printf '%s\n%s\n' "$status" "$out" >"$cache"
    fi
    if [[ $status -eq 0 ]]; then
        echo "PASS  every block lands where glibc 2.36 puts it (4 seeds, cache off and on)"
        tally PASS scored
    else
        echo "FAIL  every block lands where glibc 2.36 puts it (4 seeds, cache off and on)"
        # The first difference, as fidelity.sh shows it: which call, both addresses.
        printf '%s\n' "$out" | awk '/^FAIL/ { n++ } n == 1 && !/ Aborted / { print "        " $0 }' | head -n 14
        tally FAIL scored
    fi
fi

echo "score: $scored_passed/$scored"
echo "untouched: $untouched_passed/$untouched"
[[ $scored_passed -eq $scored && $untouched_passed -eq $untouched ]]

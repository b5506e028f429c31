#!/usr/bin/env bash
# labcheck.sh - `make labcheck`: every lab is cut, built and graded twice.
#
#   labs/labcheck.sh BUILD_DIR [LAB...]       (default: every labs/NAME/NAME.conf)
#
# For each lab:
#   - the student tree (labs/cut.sh) builds, and its grader fails: the stubs
#     score less than full marks;
#   - the same grader passes on the reference (the project's own code);
#   - the grader's "untouched" tests pass on the student tree: the stubs of one
#     lab leave the rest of the allocator working.
# One reference tree is built once and every lab's grader runs on it; each
# student tree starts from a copy of that build, so make recompiles only the
# files the cut changed.  Student trees are graded two at a time.  Prints one
# line per lab and "labcheck: N passed, M failed"; every log is kept under
# BUILD_DIR/labcheck/.
set -u

[[ $# -ge 1 ]] || { echo "usage: $0 BUILD_DIR [LAB...]" >&2; exit 2; }
src=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd)/labcheck
shift
labs=("$@")
if [[ ${#labs[@]} -eq 0 ]]; then
    for dir in "$src"/labs/*/; do
        name=$(basename "$dir")
        [[ -f $dir/$name.conf ]] && labs+=("$name")
    done
fi
rm -rf "$out"
mkdir -p "$out"

needs_wine() { grep -q '^wine=1' "$src/labs/$1/$1.conf"; }
needs_nodebug() { grep -q '^debug=0' "$src/labs/$1/$1.conf"; }

# ---- the reference: one tree, one build -----------------------------------------------
echo "labcheck: building the reference tree"
ref=$out/ref
"$src/labs/cut.sh" --reference "${labs[0]}" "$ref" >"$out/ref-cut.log" 2>&1 || { cat "$out/ref-cut.log"; exit 1; }
rm -rf "$ref/lab"
wine_targets= nodebug=0 technique_targets=
for lab in "${labs[@]}"; do
    mkdir -p "$ref/lab-$lab"
    cp "$src"/labs/common/grade.h "$src"/labs/common/grade_main.c "$src"/labs/common/grade.sh "$ref/lab-$lab/"
    cp -R "$src/labs/$lab"/. "$ref/lab-$lab/"
    technique=$(sed -n 's/^technique=//p' "$src/labs/$lab/$lab.conf")
    if [[ -n $technique ]]; then
        cp "$src"/labs/common/grade_technique.c "$ref/lab-$lab/"
        technique_targets="$technique_targets build/grade-nodebug/techniques/$technique"
    fi
    if needs_wine "$lab"; then wine_targets="win-deps build/grade/win/libarenalloc-prefixed.a"; fi
    if needs_nodebug "$lab"; then nodebug=1; fi
done
# shellcheck disable=SC2086
if ! make -C "$ref" --no-print-directory -s -j2 DEBUG=1 BUILD=build/grade all build/grade/tests/fidelity/fidelity \
        $wine_targets >"$out/ref-build.log" 2>&1; then
    cat "$out/ref-build.log"; echo "labcheck: the reference does not build"; exit 1
fi
# The security labs' programs too, so the two graders running at a time never
# build into the same directory.
# shellcheck disable=SC2086
if [[ $nodebug == 1 ]] && ! make -C "$ref" --no-print-directory -s -j2 BUILD=build/grade-nodebug all \
        ${technique_targets:+$technique_targets build/grade-nodebug/techniques/techniques.tsv} >>"$out/ref-build.log" 2>&1; then
    cat "$out/ref-build.log"; echo "labcheck: the reference does not build without DEBUG"; exit 1
fi

# ---- the reference's fidelity run, once for every lab that has one ------------------------
# Every lab with fidelity=1 runs the same calls on the same reference library:
# the first grade writes the result (LAB_FIDELITY_RESULT), the others read it.
first_fidelity=
for lab in "${labs[@]}"; do
    if grep -q '^fidelity=1' "$src/labs/$lab/$lab.conf"; then first_fidelity=$lab; break; fi
done
grade_reference() { # grade_reference LAB
    (cd "$ref" && LAB_DIR=lab-$1 LAB_BUILD=build/grade LAB_FIDELITY_RESULT=$out/ref-fidelity "lab-$1/grade.sh") \
        >"$out/$1.reference.log" 2>&1
}
[[ -z $first_fidelity ]] || grade_reference "$first_fidelity"

# ---- the student trees: cut, built and graded two at a time ---------------------------------
# cut.sh keeps the mtime of every file it copies and gives the files it cut a new
# one, so a copy of the reference's objects is up to date except where the cut
# went (a lab that cuts a header rebuilds everything that includes it).
grade_one() { # grade_one LAB: cut and grade the student tree, then grade the reference
    local lab=$1
    if "$src/labs/cut.sh" "$lab" "$out/$lab" >"$out/$lab.cut" 2>&1; then
        mkdir -p "$out/$lab/build"
        cp -a "$ref/build/grade" "$out/$lab/build/"
        if needs_nodebug "$lab"; then cp -a "$ref/build/grade-nodebug" "$out/$lab/build/"; fi
        (cd "$out/$lab" && lab/grade.sh) >"$out/$lab.student.log" 2>&1
    fi
    [[ $lab == "$first_fidelity" ]] || grade_reference "$lab"
}
export -f grade_one grade_reference needs_nodebug
export out ref src first_fidelity
printf '%s\n' "${labs[@]}" | xargs -P 2 -I{} bash -c 'grade_one {}'

# ---- the verdicts --------------------------------------------------------------------------
score_of() { grep -E "^$1: [0-9]+/[0-9]+$" "$2" 2>/dev/null | tail -n 1 | cut -d' ' -f2; }
passed=0 failed=0
printf '%-28s %8s  %-10s %-10s %-10s %s\n' lab removed stubs reference untouched verdict
for lab in "${labs[@]}"; do
    removed=$(sed -n 's/^cut [a-z0-9_-]*: \([0-9]*\) lines removed.*/\1/p' "$out/$lab.cut")
    stub=$(score_of score "$out/$lab.student.log")
    untouched=$(score_of untouched "$out/$lab.student.log")
    refscore=$(score_of score "$out/$lab.reference.log")
    refuntouched=$(score_of untouched "$out/$lab.reference.log")
    why=
    [[ -n $removed ]] || why="the cut failed ($out/$lab.cut)"
    [[ -z $why && -n $stub ]] || why=${why:-"the student tree does not build ($out/$lab.student.log)"}
    [[ -n $why || ${stub%/*} -lt ${stub#*/} ]] || why="the grader passes on the stubs"
    [[ -n $why || ( -n $refscore && ${refscore%/*} -eq ${refscore#*/} && ${refscore#*/} -gt 0 ) ]] ||
        why="the grader fails on the reference ($out/$lab.reference.log)"
    [[ -n $why || ${refuntouched%/*} -eq ${refuntouched#*/} ]] || why="untouched tests fail on the reference"
    [[ -n $why || ${untouched%/*} -eq ${untouched#*/} ]] ||
        why="the stubs break what they should not ($out/$lab.student.log)"
    if [[ -z $why ]]; then verdict=ok; passed=$((passed + 1)); else verdict="FAIL: $why"; failed=$((failed + 1)); fi
    printf '%-28s %8s  %-10s %-10s %-10s %s\n' "$lab" "${removed:-?}" "${stub:-?}" "${refscore:-?}" "${untouched:-?}" "$verdict"
done
echo "labcheck: $passed passed, $failed failed"
[[ $failed -eq 0 ]]

#!/usr/bin/env bash
# cut.sh - writes a lab's student tree: the project with the lab's marked regions
# replaced by stubs, plus the lab's handout, grader and `make grade`.
#
#   labs/cut.sh LAB DEST              what `make lab LAB=... DEST=...` runs
#   labs/cut.sh --reference LAB DEST  the same tree with the code kept (markers
#                                     stripped): the reference a grader must pass
#
# A region is a run of lines between two comment lines of their own:
#
#       /* LAB(fastbins) BEGIN */
#       ...the code the student writes...
#       /* LAB(fastbins) END */
#
# In the student tree the region becomes one line, a call to lab_todo (copied in
# as bins/lab_todo.c), which aborts naming the lab and the function.  A region
# opened by "LAB(name) BEGIN quiet" becomes only a TODO comment: for code the
# allocator runs without (an integrity check), where an abort would stop every
# call instead of only the behaviour the lab is about.  Every
# other lab's marker lines are dropped and their code kept; regions of other
# labs may sit inside this lab's (they go with it) or around it.  The tree is
# the project's files as git lists them (or every file, outside git), without
# labs/, build/ or any history; the lab's own files go to lab/.  Prints the
# number of lines removed.
set -euo pipefail

usage() { echo "usage: $0 [--reference] LAB DEST" >&2; exit 2; }
reference=0
if [[ ${1:-} == --reference ]]; then reference=1; shift; fi
[[ $# -eq 2 ]] || usage
lab=$1 dest=$2
src=$(cd "$(dirname "$0")/.." && pwd)
labdir=$src/labs/$lab
[[ $lab =~ ^[a-z0-9_-]+$ && -f $labdir/$lab.conf ]] || { echo "cut: no lab '$lab' (labs/NAME/NAME.conf)" >&2; exit 2; }
if [[ -e $dest && -n $(ls -A "$dest" 2>/dev/null) ]]; then
    echo "cut: $dest exists and is not empty" >&2; exit 2
fi
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)

# ---- the project's files, nothing of git's ---------------------------------------
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$src" && git ls-files -z --cached --others --exclude-standard) |
        (cd "$src" && grep -zv -e '^labs/' -e '^build/' | while IFS= read -r -d '' f; do
            [[ -f $f ]] && printf '%s\0' "$f"; done) |
        (cd "$src" && tar --null -T - -cf -) | tar -C "$dest" -xf -
else
    (cd "$src" && find . -path ./build -prune -o -path ./labs -prune -o -path ./.git -prune -o -type f -print0 |
        tar --null -T - -cf -) | tar -C "$dest" -xf -
fi
mkdir -p "$dest/lab"
cp "$src"/labs/common/grade.h "$src"/labs/common/grade_main.c "$src"/labs/common/grade.sh "$dest/lab/"
cp -R "$labdir"/. "$dest/lab/"
# A security lab (technique=NAME) shares one grader: labs/common/grade_technique.c.
# Its tree keeps only its own technique program: the others hold steps of this
# one (house_of_botcake poisons a tcache link on its way).
technique=$(sed -n 's/^technique=//p' "$labdir/$lab.conf")
if [[ -n $technique ]]; then
    cp "$src"/labs/common/grade_technique.c "$dest/lab/"
    find "$dest/tests/techniques" -name '*.c' ! -name "$technique.c" ! -name on_glibc.c -delete
fi

# ---- the cut ------------------------------------------------------------------------
# cut_file FILE: rewrites FILE in place; prints "removed regions" on stdout.
cut_file() {
    awk -v lab="$lab" -v reference="$reference" -v file="${1#"$dest"/}" '
    function marker(line,    m) {
        if (match(line, /^[ \t]*\/\* LAB\([a-z0-9_-]+\) (BEGIN|BEGIN quiet|END) \*\/[ \t]*$/)) return 1
        return 0
    }
    BEGIN { inside = 0; removed = 0; regions = 0 }
    {
        if (marker($0)) {
            name = $0; sub(/^[ \t]*\/\* LAB\(/, "", name); sub(/\).*/, "", name)
            is_begin = ($0 ~ / BEGIN( quiet)? \*\//)
            quiet = ($0 ~ / BEGIN quiet \*\//)
            if (name != lab) next                 # another lab: drop the marker, keep its code
            if (is_begin) {
                if (inside) { printf "cut: %s:%d: LAB(%s) BEGIN inside its own region\n", file, NR, lab > "/dev/stderr"; exit 3 }
                inside = 1; regions++; start = NR
                indent = $0; sub(/[^ \t].*/, "", indent)
                if (!reference) {
                    print indent "/* TODO(lab " lab "): write this part (lab/README.md). */"
                    if (!quiet) print indent "{ extern _Noreturn void lab_todo(const char *, const char *, const char *); lab_todo(\"" lab "\", __func__, \"" file "\"); }"
                }
            } else {
                if (!inside) { printf "cut: %s:%d: LAB(%s) END without BEGIN\n", file, NR, lab > "/dev/stderr"; exit 3 }
                inside = 0
            }
            next
        }
        if (inside && !reference) { removed++; next }
        print
    }
    END {
        if (inside) { printf "cut: %s:%d: LAB(%s) BEGIN never ends\n", file, start, lab > "/dev/stderr"; exit 3 }
        print removed, regions > "/dev/fd/3"
    }' "$1" >"$1.cut" 3>"$1.count"
    # Without a region of this lab the file reads as in every other tree cut
    # from this source (only marker lines dropped): it keeps its date, so the
    # reference's objects that make labcheck copies in stay up to date for it.
    local regions
    read -r _ regions <"$1.count"
    [[ $regions -gt 0 ]] || touch -r "$1" "$1.cut"
    mv "$1.cut" "$1"
    cat "$1.count"; rm -f "$1.count"
}

total_lines=0 total_regions=0 files=()
while IFS= read -r -d '' f; do
    read -r lines regions < <(cut_file "$f")
    if [[ $regions -gt 0 ]]; then
        files+=("${f#"$dest"/} ($lines)")
        total_lines=$((total_lines + lines)); total_regions=$((total_regions + regions))
    fi
done < <(grep -rlZ --include='*.c' --include='*.h' -e '/\* LAB([a-z0-9_-]*) \(BEGIN\|BEGIN quiet\|END\) \*/' "$dest" || true)

[[ $total_regions -gt 0 ]] || { echo "cut: no LAB($lab) region anywhere" >&2; exit 1; }

# The tree has no labs/: its Makefile must not include or run what lives there.
sed -i -e '/^include labs\/labs.mk$/d' -e '/STAGE) labs -- /d' "$dest/Makefile"
if [[ $reference == 0 ]]; then
    cp "$src/labs/common/lab_todo.c" "$dest/bins/lab_todo.c"
    printf '%s\n' '' '# ---- this lab (lab/README.md): make grade builds, runs the grader, prints the score ----' \
        '.PHONY: grade' 'grade:' '	@lab/grade.sh' >>"$dest/Makefile"
    echo "cut $lab: $total_lines lines removed in $total_regions regions: ${files[*]}"
else
    printf '%s\n' '' '.PHONY: grade' 'grade:' '	@lab/grade.sh' >>"$dest/Makefile"
    echo "reference $lab: $total_regions regions kept: ${files[*]}"
fi

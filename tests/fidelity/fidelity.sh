#!/usr/bin/env bash
# Address fidelity: arenalloc must hand out the same addresses as glibc 2.36.
#
#   tests/fidelity/fidelity.sh BUILD_DIR
#
# Runs BUILD_DIR/tests/fidelity/fidelity (built by the Makefile) for a set of
# seeds, once on glibc's own malloc and once with BUILD_DIR/libarenalloc.so
# preloaded, and compares the printed offsets line by line, then where the
# heap ends (brk-end: how top was grown and trimmed, which decides when
# malloc_consolidate runs). Offsets are relative to the first allocation, so
# ASLR does not matter; glibc is run twice per seed to prove that.
#
# Each seed runs in three modes, the same settings for both allocators:
#   off      GLIBC_TUNABLES=glibc.malloc.tcache_count=0: the per-thread cache
#            off (its structure is still allocated, and read, in both)
#   default  no settings: the cache on, 7 chunks per bin
#   2.23     arenalloc as glibc 2.23 (ARENALLOC_RELEASE=2.23: no per-thread
#            cache at all) against glibc 2.36 with its cache off.  glibc 2.23
#            itself cannot run on this machine; its malloc, with no cache, is
#            2.36's cache-off path but for the checks, which never fire here.
#            What differs is the 0x290 chunk of the cache's structure that 2.36
#            puts at the start of every arena and 2.23 does not: a top 0x290
#            larger crosses sysmalloc's and free's thresholds at other moments,
#            so the heaps would part for reasons glibc 2.23 shares.  So the
#            arenalloc run allocates a block of the structure's size first, in
#            each arena (FIDELITY_STANDIN, never freed, not recorded), and then
#            every address and the heap's end must be glibc's.
# The main thread's sequence includes bursts of 8 to 16 frees of one tcache
# size (more than a bin holds); then threads run sequences of their own, each
# compared relative to its own first allocation, in its own arena. glibc 2.36
# gives each thread an arena of its own, so arenalloc runs with
# ARENALLOC_ARENA_POLICY=per-thread.
#
# Environment:
#   ARENALLOC_LIB   library to preload instead of BUILD_DIR/libarenalloc.so;
#                   "none" preloads nothing (glibc against glibc: must pass).
#   FIDELITY_SEEDS  seeds to run (default 1..12; seed % 4 picks a size mix)
#   FIDELITY_OPS    operations per seed (default 20000; a quarter per thread)
#   FIDELITY_THREADS threads after the main sequence (default 2, at most 4)
#   FIDELITY_MODES  modes to run (default "off default 2.23")
#   FIDELITY_KEEP   set to 1 to keep the outputs even when every seed passes
set -u

usage() {
    echo "usage: $0 BUILD_DIR   (see the comment at the top for variables)" >&2
    exit 2
}

[ $# -eq 1 ] || usage
build_dir=$1
prog=$build_dir/tests/fidelity/fidelity
lib=${ARENALLOC_LIB:-$build_dir/libarenalloc.so}
seeds=${FIDELITY_SEEDS:-"1 2 3 4 5 6 7 8 9 10 11 12"}
ops=${FIDELITY_OPS:-20000}
threads=${FIDELITY_THREADS:-2}
modes=${FIDELITY_MODES:-"off default 2.23"}
context_lines=5

export ARENALLOC_ARENA_POLICY=per-thread

# set_mode MODE: the settings both allocators run under.
set_mode() {
    case $1 in
    off) export GLIBC_TUNABLES=glibc.malloc.tcache_count=0; unset ARENALLOC_RELEASE ;;
    default) unset GLIBC_TUNABLES ARENALLOC_RELEASE ;;
    2.23) export GLIBC_TUNABLES=glibc.malloc.tcache_count=0 ARENALLOC_RELEASE=2.23 ;;
    *) echo "unknown mode $1 (off, default, 2.23)" >&2; exit 2 ;;
    esac
}

passed=0
failed=0

summary_and_exit() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

# Count every seed as failed when the run cannot even start.
fail_all() {
    echo "FAIL fidelity: $*"
    failed=$(($(echo $seeds | wc -w) * $(echo $modes | wc -w)))
    summary_and_exit
}

# LD_PRELOAD wants an absolute path; a preload that fails to load is only a
# warning for ld.so, which would silently compare glibc with itself.
check_inputs() {
    [ -x "$prog" ] || fail_all "$prog not found (build it with 'make test-programs')"
    [ "$lib" = none ] && return
    case $lib in /*) ;; *) lib=$PWD/$lib ;; esac
    [ -f "$lib" ] || fail_all "library $lib not found (build it with 'make')"
    if command -v nm >/dev/null 2>&1 &&
        ! nm -D --defined-only "$lib" 2>/dev/null | grep -qw malloc; then
        fail_all "library $lib does not export malloc"
    fi
}

# run_probe OUT ERR SEED [PRELOAD]: one run of the probe, status returned.
run_probe() {
    local out=$1 err=$2 seed=$3 preload=${4:-}
    if [ -n "$preload" ]; then
        LD_PRELOAD=$preload timeout 120 "$prog" "$seed" "$ops" "$threads" >"$out" 2>"$err"
    else
        timeout 120 "$prog" "$seed" "$ops" "$threads" >"$out" 2>"$err"
    fi
}

# first_difference A B: line number of the first line where the files differ
# (one past the end of the shorter file when one is a prefix of the other).
first_difference() {
    awk -v other="$2" '
        { if ((getline o < other) <= 0) { print NR; found = 1; exit }
          if ($0 != o) { print NR; found = 1; exit } }
        END { if (!found) print NR + 1 }' "$1"
}

# Lines starting with '#' (heap start and end) are informational: a
# difference there is shown but does not fail the seed.
report_notes() {
    local seed=$1 ref=$2 cand=$3
    diff <(grep '^#' "$ref") <(grep '^#' "$cand") |
        sed -n "s/^< /     note seed $seed: glibc     /p; s/^> /     note seed $seed: arenalloc /p" |
        grep -v 'fidelity seed'
}

# Describe the first mismatch of one seed, with the glibc operations that
# led up to it.
report_mismatch() {
    local seed=$1 ref=$2 cand=$3 line ref_line cand_line op from
    line=$(first_difference "$ref" "$cand")
    ref_line=$(sed -n "${line}p" "$ref")
    cand_line=$(sed -n "${line}p" "$cand")
    op=${ref_line%% *}
    case $op in
    brk-end)
        echo "FAIL seed $seed ($mode): all $ops addresses identical, but the heap ends elsewhere:" \
            "glibc ${ref_line#* } vs arenalloc ${cand_line#* }"
        echo "     (top sized differently: sysmalloc/systrim, or no 0x290 chunk for" \
            "glibc's tcache_perthread_struct; see tests/fidelity/fidelity.c)"
        return ;;
    integrity-errors)
        echo "FAIL seed $seed ($mode): realloc lost contents or calloc did not zero:" \
            "glibc ${ref_line#* } vs arenalloc ${cand_line#* } integrity errors"
        return ;;
    esac
    echo "FAIL seed $seed ($mode): first difference at operation ${op:-$line}:" \
        "${ref_line:-<end of output>} vs ${cand_line:-<end of output>}"
    from=$((line > context_lines ? line - context_lines : 1))
    if [ "$line" -gt 1 ]; then
        echo "     preceding operations (identical in both runs):"
        sed -n "${from},$((line - 1))p" "$ref" | sed 's/^/       /'
    fi
}

# One seed in the current mode: reference twice, candidate once; print its
# ok/FAIL line.
run_seed() {
    local seed=$1 d=$work/$mode-seed-$1 status standin=
    [ "$mode" = 2.23 ] && standin=0x280 # sizeof (tcache_perthread_struct) in 2.36
    mkdir -p "$d"
    run_probe "$d/glibc.raw" "$d/glibc.err" "$seed" ||
        { echo "FAIL seed $seed ($mode): glibc run failed: $(head -c 300 "$d/glibc.err")"; return 1; }
    run_probe "$d/glibc2.raw" "$d/glibc2.err" "$seed"
    if ! cmp -s "$d/glibc.raw" "$d/glibc2.raw"; then
        echo "FAIL seed $seed ($mode): glibc itself is not reproducible (harness problem)"
        return 1
    fi
    FIDELITY_STANDIN=$standin run_probe "$d/arenalloc.raw" "$d/arenalloc.err" "$seed" \
        "$([ "$lib" = none ] || echo "$lib")"
    status=$?
    if [ "$status" -ne 0 ] || grep -q 'cannot be preloaded' "$d/arenalloc.err"; then
        echo "FAIL seed $seed ($mode): run with $lib exited with status $status:" \
            "$(head -c 300 "$d/arenalloc.err")"
        return 1
    fi
    grep -v '^#' "$d/glibc.raw" >"$d/glibc.ops"
    grep -v '^#' "$d/arenalloc.raw" >"$d/arenalloc.ops"
    if ! cmp -s "$d/glibc.ops" "$d/arenalloc.ops"; then
        report_mismatch "$seed" "$d/glibc.ops" "$d/arenalloc.ops"
        return 1
    fi
    echo "ok   seed $seed ($mode): $(wc -l <"$d/glibc.ops") lines identical ($ops operations, $threads threads)"
    report_notes "$seed" "$d/glibc.raw" "$d/arenalloc.raw"
    return 0
}

main() {
    check_inputs
    work=$(mktemp -d "${TMPDIR:-/tmp}/arenalloc-fidelity.XXXXXX")
    for mode in $modes; do
        set_mode "$mode"
        for seed in $seeds; do
            if run_seed "$seed"; then
                passed=$((passed + 1))
            else
                failed=$((failed + 1))
            fi
        done
    done
    if [ "$failed" -eq 0 ] && [ "${FIDELITY_KEEP:-0}" != 1 ]; then
        rm -rf "$work"
    else
        echo "outputs kept in $work (glibc.ops vs arenalloc.ops per seed)"
    fi
    summary_and_exit
}

main

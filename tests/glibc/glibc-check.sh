#!/usr/bin/env bash
# tests/glibc/glibc-check.sh - glibc 2.36's own malloc tests, run on glibc and on arenalloc.
#
#   tests/glibc/glibc-check.sh build                      the default list
#   tests/glibc/glibc-check.sh build --all                and the "later" list
#   tests/glibc/glibc-check.sh build tst-trim1 tst-mallocfork2     only these (later ones too)
#   tests/glibc/glibc-check.sh build -j 1                 one test at a time (default: one per core)
#
# Each test is built once and run twice: plainly, on glibc's malloc, and with
# LD_PRELOAD=BUILD/libarenalloc.so.  glibc is the reference: a test glibc does not
# pass here says nothing about arenalloc, so it is skipped, and the skip and glibc's
# reason are printed.  Output: "ok   tst-x", "FAIL tst-x (exit N / signal S)" with
# the tail of the test's output and a command to rerun it, "skip tst-x (reason)",
# and last "N passed, M failed, K skipped".  Exit status 1 when any test failed.
# Everything is built and run under BUILD/glibc-tests/; BUILD/glibc-tests/runs/TEST/
# keeps each run's full output (glibc.out, arenalloc.out).
#
# How the tests are built (and why this way)
# ------------------------------------------
# The tests are written against glibc's internal test framework, support/.  Rather
# than imitate it, this script compiles the real one: it extracts from Debian's
# glibc-source tarball malloc/tst-*.c, malloc/Makefile, the support/ headers and
# the 47 support/ sources the chosen tests link against (tests/glibc/support/
# sources.list), and builds those into libsupport.a.  They compile unchanged
# against the system headers; the only shim is tests/glibc/support/shim-config.h,
# three force-included lines standing in for glibc's config.h and internal headers.
# So every test runs under glibc's own driver - support_test_main runs do_test in a
# forked child with a timeout, honours EXPECTED_SIGNAL, and exits 0 (pass), 77
# (unsupported) or 1 (fail) - with the real TEST_VERIFY, TEST_COMPARE, FAIL_EXIT1,
# xmalloc, xpthread_create...: nothing hand-written that could drift from what the
# tests expect.  The five internal headers the tests include (libc-diag.h,
# array_length.h, scratch_buffer.h, malloc-size.h, malloc-alignment.h) come from
# the same tarball.
#
# As glibc builds and runs them:
#  - compiled -std=gnu11 -O2 -D_GNU_SOURCE -DTEST_NO_MALLOPT (malloc/Makefile: the
#    driver must not call mallopt (M_PERTURB) for malloc's own tests);
#  - run with the environment malloc/Makefile gives the test (its tst-NAME-ENV
#    line: GLIBC_TUNABLES, MALLOC_CHECK_, LD_PRELOAD=libc_malloc_debug.so), read
#    from the Makefile itself, in both runs; in the arenalloc run libarenalloc.so
#    comes first in LD_PRELOAD;
#  - timed out by the driver after the test's TIMEOUT (default 20 s) times
#    TIMEOUTFACTOR, which this script sets unless the environment does: the
#    timeouts were tuned for glibc's build machines, and on a shared 2-core machine
#    glibc itself took 175 s of tst-mallocfork3's 200.  So the factor is 3, plus one
#    per runnable process per core (the 1-minute load average) when the run starts;
#    and arenalloc's run of a test gets at least three times what glibc's run of it
#    just took, so that load alone never fails a test glibc passes.  An outer
#    `timeout` 60 s later is only a safety net in case the driver itself hangs.
# The default list takes about 3 minutes on 2 idle cores (the first run adds half
# a minute of extracting and building); most of it is tst-mallocfork2 and -3 on
# both allocators.  A run that hangs costs its timeout: 60 s for most tests, 300 s
# for tst-mallocfork2, -3 and tst-malloc-thread-fail (at factor 3).
#
# Which tests
# -----------
# Default list: TESTS_TABLE below.  A test waits in the "later" list, run only with
# --all (or by name), when it needs what arenalloc does not have yet:
#  - it calls one of glibc's malloc functions that libarenalloc.so does not define
#    (mallinfo, mallinfo2, malloc_stats, malloc_info, malloc_trim, mtrace...).  This
#    is found at run time, from the test binary's undefined symbols and from where
#    the dynamic linker resolves them under the preload (support/preload-probe.c):
#    such a call would silently reach glibc's malloc.  Once arenalloc exports the
#    function, the test moves to the default list by itself;
#  - or it tests a feature arenalloc has not got: MALLOC_CHECK_ (malloc-check in
#    libc_malloc_debug.so), mtrace.  The reason is
#    in the table and is printed.
# tst-interpose-thread and -nothread define malloc, free, calloc and realloc in the
# test program itself, which the dynamic linker prefers to any preloaded library:
# under arenalloc they check only that such a program still works with
# libarenalloc.so preloaded, which then serves what the program leaves out
# (memalign, say).
# Out of scope (not built): tests of glibc internals that merely live in malloc/
# (tst-dynarray, tst-dynarray-fail, tst-dynarray-at-fail, tst-alloc_buffer,
# tst-scratch_buffer: glibc-internal containers; tst-obstack: obstack, a libc
# facility on top of malloc); tst-interpose-static-thread and -nothread (static
# binaries, which LD_PRELOAD cannot reach); tst-mallocstate, tst-compathooks-on and
# -off (__malloc_hook and malloc_set_state, which glibc keeps only as compat
# symbols, reachable through shlib-compat.h inside glibc's build tree alone).
#
# Needs: bash, gcc, binutils (nm, ar), xz, coreutils timeout, and the Debian package
# glibc-source (installed with apt-get when missing and run as root).
set -uo pipefail

usage() {
    echo "usage: $0 BUILD_DIR [--all] [-j N] [tst-NAME ...]" >&2
    exit 2
}

# ---- the tests -------------------------------------------------------------------
# NAME | extra sources (malloc/) | why it waits for later (empty: default list)
# In this order on purpose: see "The order matters" below.
TESTS_TABLE='
tst-mallocfork2               | |
tst-malloc-thread-fail        | |
tst-malloc-tcache-leak        | |
tst-malloc-too-large          | |
tst-malloc_info               | |
tst-malloc-fork-deadlock      | |
tst-malloc-thread-exit        | |
tst-trim1                     | |
tst-free-errno                | |
tst-safe-linking              | |
tst-malloc                    | |
tst-calloc                    | |
tst-realloc                   | |
tst-reallocarray              | |
tst-memalign                  | |
tst-posix_memalign            | |
tst-valloc                    | |
tst-pvalloc                   | |
tst-pvalloc-fortify           | |
tst-mallocalign1              | |
tst-mallocfork                | |
tst-mallopt                   | |
tst-mxfast                    | |
tst-mallinfo2                 | |
tst-malloc-stats-cancellation | |
tst-malloc-backtrace          | |
tst-interpose-nothread        | tst-interpose-aux-nothread.c |
tst-interpose-thread          | tst-interpose-aux-thread.c   |
tst-mallocfork3               | |
tst-tcfree1                   | |
tst-tcfree2                   | |
tst-tcfree3                   | |
tst-malloc-check              | | MALLOC_CHECK_=3 (malloc-check, in libc_malloc_debug.so)
tst-malloc-usable             | | MALLOC_CHECK_=3: malloc_usable_size must return exactly the size asked for
tst-malloc-usable-tunables    | | glibc.malloc.check=3: the same as tst-malloc-usable, set by tunable
tst-mtrace                    | | mtrace (libc_malloc_debug.so traces only its own malloc, so preloaded after arenalloc it sees nothing)
'
# tst-mtrace is run by malloc/tst-mtrace.sh rather than by a Makefile ENV line;
# this is the environment that script gives it.  @RUNDIR@ is the run's directory.
EXTRA_ENV_tst_mtrace='MALLOC_TRACE=@RUNDIR@/tst-mtrace.leak LD_PRELOAD=@DEBUGLIB@'

# glibc's malloc functions: a test that calls one libarenalloc.so does not define
# would get glibc's.
MALLOC_API='malloc free cfree calloc realloc reallocarray memalign posix_memalign
    aligned_alloc valloc pvalloc malloc_usable_size mallopt mallinfo mallinfo2
    malloc_stats malloc_info malloc_trim mtrace muntrace mcheck mcheck_pedantic
    mcheck_check_all mprobe malloc_get_state malloc_set_state'

# ---- arguments ---------------------------------------------------------------------
[[ $# -ge 1 ]] || usage
BUILD_DIR=$1
shift
ALL=0
JOBS=$(nproc 2>/dev/null || echo 2)
ONLY=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --all) ALL=1 ;;
        -j) [[ $# -ge 2 ]] || usage; JOBS=$2; shift ;;
        -j*) JOBS=${1#-j} ;;
        tst-*) ONLY+=("$1") ;;
        *) usage ;;
    esac
    shift
done
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || usage

[[ -d $BUILD_DIR ]] || { echo "glibc-check.sh: no directory $BUILD_DIR (run make first)" >&2; exit 2; }
BUILD_ABS=$(cd "$BUILD_DIR" && pwd)
LIB=$BUILD_ABS/libarenalloc.so
[[ -f $LIB ]] || { echo "glibc-check.sh: $LIB not found (run make first)" >&2; exit 2; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SHIM=$HERE/support
CC=${CC:-cc}
# 3, and one more per process waiting for each core now (see the top).
load_factor() {
    local cores load
    cores=$(nproc 2>/dev/null || echo 1)
    read -r load _ </proc/loadavg 2>/dev/null || load=0
    awk -v l="$load" -v c="$cores" 'BEGIN { f = 3 + int(l / c); print (f > 10 ? 10 : f) }'
}
export TIMEOUTFACTOR=${TIMEOUTFACTOR:-$(load_factor)}
unset LD_PRELOAD   # each run sets its own

WORK=$BUILD_ABS/glibc-tests
SRC=$WORK/glibc-2.36
OBJ=$WORK/obj
BIN=$WORK/bin
RUNS=$WORK/runs
mkdir -p "$WORK" "$OBJ" "$BIN" "$RUNS"

# Runs "$@" in the background, at most $JOBS at a time.
spawn() {
    while (( $(jobs -rp | wc -l) >= JOBS )); do wait -n; done
    "$@" &
}

# ---- the sources -------------------------------------------------------------------
TARBALL=/usr/src/glibc/glibc-2.36.tar.xz
if [[ ! -f $TARBALL ]]; then
    echo "glibc-check.sh: $TARBALL missing: installing Debian's glibc-source"
    if [[ $(id -u) -eq 0 ]]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq glibc-source >/dev/null
    fi
    [[ -f $TARBALL ]] || { echo "glibc-check.sh: cannot get $TARBALL (apt-get install glibc-source, as root)" >&2; exit 2; }
fi
glibc_version=$(getconf GNU_LIBC_VERSION 2>/dev/null)
[[ $glibc_version == "glibc 2.36" ]] ||
    echo "warning: this system's C library is '$glibc_version', the tests are glibc 2.36's"

SUPPORT_SOURCES=$(sed 's/#.*//' "$SHIM/sources.list" | tr -s ' \t\n' '\n' | grep -v '^$')
# Extract once, again when the tarball or the list of support sources changes.
if [[ ! -f $WORK/.extracted || $TARBALL -nt $WORK/.extracted || $SHIM/sources.list -nt $WORK/.extracted ]]; then
    echo "extracting the tests and support/ from $TARBALL"
    rm -rf "$SRC"
    members=(
        'glibc-2.36/malloc/tst-*' glibc-2.36/malloc/Makefile
        glibc-2.36/test-skeleton.c 'glibc-2.36/support/*.h' glibc-2.36/support/test-driver.c
        glibc-2.36/include/libc-diag.h glibc-2.36/include/array_length.h
        glibc-2.36/include/scratch_buffer.h
        glibc-2.36/sysdeps/generic/malloc-size.h glibc-2.36/sysdeps/generic/malloc-alignment.h
    )
    for f in $SUPPORT_SOURCES; do members+=("glibc-2.36/support/$f"); done
    tar -xJf "$TARBALL" -C "$WORK" --wildcards "${members[@]}" || exit 2
    touch "$WORK/.extracted"
fi

# ---- the test list -------------------------------------------------------------------
declare -A EXTRA LATER_WHY ENV_OF TIMEOUT_OF
ORDER=()
while IFS='|' read -r name extra why; do
    name=${name//[[:space:]]/}
    [[ -n $name ]] || continue
    ORDER+=("$name")
    EXTRA[$name]=$(echo $extra)
    LATER_WHY[$name]=$(echo $why)
done <<< "$TESTS_TABLE"

# The environment malloc/Makefile gives each test (tst-NAME-ENV = ..., continued
# lines joined).  $(objpfx) is glibc's build directory: libc_malloc_debug.so there
# is the system's; anything else there (trace files) goes to the run's directory.
DEBUGLIB=$(realpath "$($CC -print-file-name=libc_malloc_debug.so.0)" 2>/dev/null)
[[ -f $DEBUGLIB ]] || DEBUGLIB=libc_malloc_debug.so.0
while IFS=$'\t' read -r name value; do
    value=${value//'$(objpfx)/libc_malloc_debug.so'/@DEBUGLIB@}
    value=${value//'$(objpfx)libc_malloc_debug.so'/@DEBUGLIB@}
    value=${value//'$(objpfx)'/@RUNDIR@/}
    ENV_OF[$name]=$value
done < <(sed -e ':a' -e '/\\$/{N;s/\\\n//;ba}' "$SRC/malloc/Makefile" |
         awk '/^tst-[A-Za-z0-9_-]+-ENV[ \t]*=/ {
                  name = $1; sub(/-ENV$/, "", name)
                  sub(/^[^=]*=[ \t]*/, ""); gsub(/[ \t]+/, " ")
                  print name "\t" $0 }')
ENV_OF[tst-mtrace]=$EXTRA_ENV_tst_mtrace

for t in "${ORDER[@]}"; do
    tm=$(sed -n 's/^#define TIMEOUT[[:space:]]\{1,\}\([0-9]\{1,\}\).*/\1/p' "$SRC/malloc/$t.c" | head -1)
    TIMEOUT_OF[$t]=${tm:-20}   # support/test-driver.h: DEFAULT_TIMEOUT
done

if [[ ${#ONLY[@]} -gt 0 ]]; then
    for t in "${ONLY[@]}"; do
        [[ -v "EXTRA[$t]" ]] || { echo "glibc-check.sh: $t is not in the table in $0" >&2; exit 2; }
    done
    SELECTED=("${ONLY[@]}")
else
    SELECTED=("${ORDER[@]}")
fi

# ---- building ------------------------------------------------------------------------
CFLAGS_COMMON=(-std=gnu11 -fgnu89-inline -g -O2 -D_GNU_SOURCE -Wall -include "$SHIM/shim-config.h"
               -I"$SRC" -I"$SRC/support" -I"$SRC/include" -I"$SRC/sysdeps/generic")
# support_paths.c: the paths glibc's support/Makefile defines, here pointing at the
# extracted source, this build, and the system's installation.
PATH_DEFS=(-DSRCDIR_PATH="\"$SRC\"" -DOBJDIR_PATH="\"$WORK\""
           -DOBJDIR_ELF_LDSO_PATH="\"$(realpath /lib64/ld-linux-x86-64.so.2 2>/dev/null)\""
           -DINSTDIR_PATH='"/usr"' -DLIBDIR_PATH='"/usr/lib"' -DBINDIR_PATH='"/usr/bin"'
           -DSBINDIR_PATH='"/usr/sbin"' -DSLIBDIR_PATH='"/lib"' -DROOTSBINDIR_PATH='"/sbin"'
           -DCOMPLOCALEDIR_PATH='"/usr/lib/locale"')

compile_support() {  # FILE.c
    local f=$1 o=$OBJ/${1%.c}.o defs=()
    [[ $f == support_paths.c ]] && defs=("${PATH_DEFS[@]}")
    "$CC" "${CFLAGS_COMMON[@]}" -w "${defs[@]}" -c "$SRC/support/$f" -o "$o" 2> "$o.log" ||
        { rm -f "$o"; touch "$o.failed"; }
}

LIBSUPPORT=$OBJ/libsupport.a
objs=()
rebuild_lib=0
rm -f "$OBJ"/*.failed
for f in $SUPPORT_SOURCES; do
    o=$OBJ/${f%.c}.o
    objs+=("$o")
    if [[ ! $o -nt $SRC/support/$f || $SHIM/shim-config.h -nt $o ]]; then
        spawn compile_support "$f"
        rebuild_lib=1
    fi
done
wait
for failed in "$OBJ"/*.failed; do
    [[ -e $failed ]] || continue
    echo "glibc-check.sh: support/$(basename "${failed%.o.failed}").c does not build:" >&2
    tail -20 "${failed%.failed}.log" >&2
    exit 2
done
if [[ $rebuild_lib == 1 || ! -f $LIBSUPPORT ]]; then
    echo "built support/ ($(wc -w <<< "$SUPPORT_SOURCES") files) into $LIBSUPPORT"
    rm -f "$LIBSUPPORT"
    ar rcs "$LIBSUPPORT" "${objs[@]}" || exit 2
fi

build_test() {  # NAME
    local t=$1 srcs=("$SRC/malloc/$1.c") x
    for x in ${EXTRA[$t]}; do srcs+=("$SRC/malloc/$x"); done
    "$CC" "${CFLAGS_COMMON[@]}" -DTEST_NO_MALLOPT -o "$BIN/$t" "${srcs[@]}" "$LIBSUPPORT" -pthread \
        > "$BIN/$t.log" 2>&1 || rm -f "$BIN/$t"
}
for t in "${SELECTED[@]}"; do
    if [[ ! $BIN/$t -nt $SRC/malloc/$t.c || $LIBSUPPORT -nt $BIN/$t || $SHIM/shim-config.h -nt $BIN/$t ]]; then
        spawn build_test "$t"
    fi
done
PROBE=$BIN/preload-probe
[[ $PROBE -nt $SHIM/preload-probe.c ]] || spawn "$CC" -O1 -o "$PROBE" "$SHIM/preload-probe.c" -ldl
wait
[[ -x $PROBE ]] || { echo "glibc-check.sh: support/preload-probe.c does not build" >&2; exit 2; }

# ---- what libarenalloc.so provides -----------------------------------------------------
declare -A FROM_ARENALLOC
lib_real=$(realpath "$LIB")
while read -r fn obj; do
    [[ $obj != - && $(realpath "$obj") == "$lib_real" ]] && FROM_ARENALLOC[$fn]=1
done < <(LD_PRELOAD=$LIB "$PROBE" $MALLOC_API 2>"$WORK/probe.err")
if [[ ! -v FROM_ARENALLOC[malloc] ]]; then
    echo "glibc-check.sh: LD_PRELOAD=$LIB does not replace malloc:" >&2
    cat "$WORK/probe.err" >&2
    exit 2
fi

# A test's reason to wait: its table entry, or a malloc function it calls that
# libarenalloc.so does not define.  Empty: it runs by default.
later_reason() {  # NAME
    local t=$1 fn missing=()
    if [[ -x $BIN/$t ]]; then
        for fn in $(nm -D --undefined-only "$BIN/$t" | awk '{ sub(/@.*/, "", $NF); print $NF }'); do
            [[ " $(echo $MALLOC_API) " == *" $fn "* && ! -v FROM_ARENALLOC[$fn] ]] && missing+=("$fn")
        done
    fi
    local why=${LATER_WHY[$t]}
    if [[ ${#missing[@]} -gt 0 ]]; then
        [[ -n $why ]] && why+="; "
        why+="calls ${missing[*]}, not in libarenalloc.so yet (glibc's would answer)"
    fi
    echo "$why"
}

# ---- running -------------------------------------------------------------------------
# The environment of one run: malloc/Makefile's for the test, and LD_PRELOAD.
# Sets RUN_ENV (array).
run_env() {  # NAME MODE RUNDIR FACTOR
    local t=$1 mode=$2 dir=$3 e preload=
    RUN_ENV=(LC_ALL=C TMPDIR="$dir/tmp" TIMEOUTFACTOR="$4")
    for e in ${ENV_OF[$t]:-}; do
        e=${e//@DEBUGLIB@/$DEBUGLIB}
        e=${e//@RUNDIR@/$dir}
        if [[ $e == LD_PRELOAD=* ]]; then preload=${e#LD_PRELOAD=}; else RUN_ENV+=("$e"); fi
    done
    [[ $mode == arenalloc ]] && preload="$LIB${preload:+ $preload}"
    [[ -n $preload ]] && RUN_ENV+=(LD_PRELOAD="$preload")
}

# One run of the test, MODE glibc or arenalloc.  Writes RUNDIR/MODE.out (what the
# test printed) and, last, RUNDIR/MODE.status: its exit status (128+N for a signal
# that killed the driver), its time in seconds, and what the driver said went wrong.
run_once() {  # NAME MODE RUNDIR [FACTOR]
    local t=$1 mode=$2 dir=$3 out=$3/$2.out start end limit rc secs why= msg factor=${4:-$TIMEOUTFACTOR}
    run_env "$t" "$mode" "$dir" "$factor"
    limit=$(( TIMEOUT_OF[$t] * factor + 60 ))
    start=${EPOCHREALTIME/./}
    ( cd "$dir" && exec timeout -k 10 "$limit" env -u LD_PRELOAD "${RUN_ENV[@]}" "$BIN/$t" ) \
        > "$out" 2>&1 < /dev/null &
    echo $! > "$dir/$mode.pid"   # for interrupted()
    wait $!
    rc=$?
    rm -f "$dir/$mode.pid"
    end=${EPOCHREALTIME/./}
    secs=$(( (end - start) / 100000 ))   # tenths
    secs="$(( secs / 10 )).$(( secs % 10 ))"
    if [[ $rc != 0 ]]; then
        case $rc in
            77) why="unsupported" ;;
            124|137) why="killed by glibc-check.sh after $limit s: the test driver itself hung" ;;
        esac
        if grep -q '^Timed out: killed the child process' "$out"; then
            why="timed out: the driver killed it after $(( TIMEOUT_OF[$t] * factor )) s"
        elif msg=$(grep -m1 -o "Didn't expect signal from child: got .*" "$out"); then
            why="child ${msg#Didn\'t expect signal from child: }"
        elif msg=$(grep -m1 -o "Expected signal '.*' from child, got .*" "$out"); then
            why=$msg
        elif msg=$(grep -m1 -o '^error: [0-9]* test failures*' "$out"); then
            why="${msg#error: } (TEST_VERIFY/TEST_COMPARE)"
        fi
    fi
    printf '%s\n%s\n%s\n' "$rc" "$secs" "$why" > "$dir/$mode.status.tmp"
    mv "$dir/$mode.status.tmp" "$dir/$mode.status"
}

status_text() {  # RC WHY
    local s
    if (( $1 > 128 && $1 != 137 )); then s="signal $(kill -l $(( $1 - 128 )) 2>/dev/null || echo $(( $1 - 128 )))"
    else s="exit $1"; fi
    echo "$s${2:+: $2}"
}

tail_of() {  # FILE
    tail -n 12 "$1" | cut -c1-200 | sed 's/^/    | /'
}

# The verdict on a test whose runs have both ended: prints what to show and
# counts it.  glibc must pass for arenalloc's run to mean anything.
passed=0 failed=0 skipped=0
FAILED_NAMES=()
verdict() {  # NAME
    local t=$1 dir=$RUNS/$1 g_rc g_secs g_why a_rc a_secs a_why
    if [[ ! -x $BIN/$t ]]; then
        echo "FAIL $t (does not build)"
        tail_of "$BIN/$t.log"
        failed=$((failed + 1)); FAILED_NAMES+=("$t")
        return
    fi
    { read -r g_rc; read -r g_secs; read -r g_why; } < "$dir/glibc.status"
    { read -r a_rc; read -r a_secs; read -r a_why; } < "$dir/arenalloc.status"
    if [[ $g_rc != 0 ]]; then
        echo "skip $t (unsupported here: glibc's own malloc fails it, $(status_text "$g_rc" "$g_why"))"
        tail_of "$dir/glibc.out"
        skipped=$((skipped + 1))
    elif [[ $a_rc == 0 ]]; then
        printf 'ok   %-30s glibc %5s s, arenalloc %5s s\n' "$t" "$g_secs" "$a_secs"
        passed=$((passed + 1))
    else
        echo "FAIL $t ($(status_text "$a_rc" "$a_why"); glibc passed in $g_secs s, arenalloc ran $a_secs s)"
        tail_of "$dir/arenalloc.out"
        run_env "$t" arenalloc "$dir"
        echo "    rerun: (cd $dir && env $(printf '%q ' "${RUN_ENV[@]}")$BIN/$t)"
        failed=$((failed + 1)); FAILED_NAMES+=("$t")
    fi
}

echo "glibc 2.36 malloc tests: glibc's malloc, then LD_PRELOAD=$LIB"
echo "(TIMEOUTFACTOR=$TIMEOUTFACTOR, $JOBS tests at a time; full output in $RUNS/TEST/)"
inherited=$(env | grep -E '^(GLIBC_TUNABLES|MALLOC_[A-Z_]*|ARENALLOC_[A-Z_]*)=' | tr '\n' ' ')
[[ -n $inherited ]] && echo "inherited by every run: $inherited"

TO_RUN=()
WAITING=()
for t in "${SELECTED[@]}"; do
    why=$(later_reason "$t")
    if [[ -n $why && $ALL == 0 && ${#ONLY[@]} == 0 ]]; then
        WAITING+=("$t|$why")
    else
        TO_RUN+=("$t")
    fi
done

# Both runs of a test, one after the other; arenalloc's only when glibc passed.
# arenalloc's timeout: the usual one, or three times glibc's time if that is more.
run_test() {  # NAME
    local t=$1 dir=$RUNS/$1 g_rc g_secs factor
    run_once "$t" glibc "$dir"
    { read -r g_rc; read -r g_secs; } < "$dir/glibc.status"
    if [[ $g_rc == 0 ]]; then
        factor=$(( (3 * ${g_secs%.*} + TIMEOUT_OF[$t]) / TIMEOUT_OF[$t] ))
        (( factor < TIMEOUTFACTOR )) && factor=$TIMEOUTFACTOR
        run_once "$t" arenalloc "$dir" "$factor"
    else
        printf 'not run\n0\n\n' > "$dir/arenalloc.status"
    fi
}

# $JOBS tests at a time, in the table's order, and verdicts printed as tests
# finish.  The order matters on 2 cores: tst-mallocfork2 and -3 keep seven
# processes busy each, and two of their runs at once take twice as long each, so
# the table puts one first and the other last, with everything else between.
declare -A REPORTED
report_finished() {
    local t
    for t in "${TO_RUN[@]}"; do
        [[ -v REPORTED[$t] ]] && continue
        [[ -x $BIN/$t && ! ( -f $RUNS/$t/glibc.status && -f $RUNS/$t/arenalloc.status ) ]] && continue
        REPORTED[$t]=1
        verdict "$t"
    done
}

# On ^C or kill: `timeout` runs each test in a process group of its own, which the
# terminal's SIGINT does not reach, so pass SIGINT on; the test driver then kills
# its test's whole process group.
interrupted() {
    trap - INT TERM
    echo "glibc-check.sh: interrupted, stopping the running tests" >&2
    local f
    for f in "$RUNS"/*/*.pid; do
        [[ -f $f ]] && kill -INT "$(cat "$f")" 2>/dev/null
    done
    wait
    exit 130
}
trap interrupted INT TERM

for t in "${TO_RUN[@]}"; do
    rm -rf "${RUNS:?}/$t"
    mkdir -p "$RUNS/$t/tmp"
done
for t in "${TO_RUN[@]}"; do
    [[ -x $BIN/$t ]] || continue
    while (( $(jobs -rp | wc -l) >= JOBS )); do
        wait -n
        report_finished
    done
    run_test "$t" &
done
while (( $(jobs -rp | wc -l) > 0 )); do
    wait -n
    report_finished
done
wait
report_finished

if [[ ${#WAITING[@]} -gt 0 ]]; then
    echo
    echo "later (${#WAITING[@]} not run; glibc-check.sh $BUILD_DIR --all runs them):"
    for w in "${WAITING[@]}"; do
        printf '  %-30s %s\n' "${w%%|*}" "${w#*|}"
    done
fi
echo
[[ $failed -gt 0 ]] && echo "failed: ${FAILED_NAMES[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]

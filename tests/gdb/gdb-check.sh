#!/usr/bin/env bash
# The gdb commands of tools/gdb/arenalloc.py against arenalloc_dump.
#
#   tests/gdb/gdb-check.sh BUILD_DIR        (make gdb-check runs it on build/)
#
# tests/gdb/heap_program.c builds a known heap, writes arenalloc_dump's text of it
# from inside the process, and stops in stop_here().  gdb, stopped there, prints
# the same heap with arena-arenas, arena-heap and arena-bins; the two must be
# identical.  Then the same from a core file (gcore), from a damaged heap (the
# "!!" marks, and no hang), from the DEBUG build (-O0 -g3, BUILD_DIR/debug, built
# or brought up to date here) and from the drop-in library under LD_PRELOAD
# (tests/gdb/dropin_program.c), there in both heap sizes (1 MiB, and glibc's
# 64 MiB by ARENALLOC_HEAP_MAX_SIZE=64M).  arena-chunk, arena-vis and
# arena-break are checked by the strings their output must hold; in the drop-in
# runs, gdb's static-symbol lookups (tests/gdb/lookups.py: what pwndbg and gef
# do) must find main_arena, mp_ ... in libarenalloc.so, not libc's copies.
#
# One line per check, then "N passed, M failed"; exit 1 on any failure.  The
# outputs stay in BUILD_DIR/tests/gdb/ for a look after a failure.
# GDB_CHECK_VERBOSE=1 prints the diff of a failed comparison.
set -u

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build=$1
case $build in /*) ;; *) build=$PWD/$build ;; esac
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
out=$build/tests/gdb
script=$root/tools/gdb/arenalloc.py
mkdir -p "$out"

passed=0
failed=0
pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

command -v gdb >/dev/null || { fail "gdb is not installed (apt-get install gdb)"; finish; }

# ---- building ---------------------------------------------------------------------

# build_program LIBRARY_DIR NAME: heap_program linked with LIBRARY_DIR's prefixed
# library, as $out/NAME.
build_program() {
    [ -f "$1/libarenalloc-prefixed.a" ] || return 1
    gcc -g -O1 -I. -Iinclude -o "$out/$2" tests/gdb/heap_program.c "$1/libarenalloc-prefixed.a" -pthread
}

if [ ! -f "$build/libarenalloc-prefixed.a" ] || [ ! -f "$build/libarenalloc.so" ]; then
    make --no-print-directory -s BUILD="$build" all >/dev/null || { fail "make BUILD=$build all"; finish; }
fi
build_program "$build" heap_program || { fail "build tests/gdb/heap_program.c"; finish; }
gcc -g -O1 -I. -Iinclude -o "$out/dropin_program" tests/gdb/dropin_program.c -pthread ||
    fail "build tests/gdb/dropin_program.c"

# ---- comparing ----------------------------------------------------------------------

# expected DUMP: the dump's lines in the order the three commands print them:
# the release line, the arena lines and the mmapped line, every "chunks of" part,
# every "bins of" part.
expected() {
    grep -E '^(release: |arena [0-9]+:|mmapped chunks:)' "$1"
    awk '/^chunks of arena/ {on = 1} /^bins of arena/ || /^arena [0-9]+:/ || /^mmapped/ {on = 0} on' "$1"
    awk '/^bins of arena/ {on = 1} /^chunks of arena/ || /^arena [0-9]+:/ || /^tcache of/ || /^mmapped/ {on = 0} on' "$1"
    awk '/^tcache of/ {on = 1} /^mmapped/ {on = 0} on' "$1"
}

# section FILE NAME: what gdb printed between "==NAME==" and the next "==...==".
section() {
    awk -v name="==$2==" '$0 == name {on = 1; next} /^==.*==$/ {on = 0} on' "$1"
}

# compare NAME EXPECTED ACTUAL
compare() {
    if [ ! -s "$2" ]; then
        fail "$1 (no expected output: the program did not write its dump)"
    elif diff -u "$2" "$3" >"$3.diff"; then
        pass "$1"
    else
        fail "$1 (diff -u $2 $3)"
        [ "${GDB_CHECK_VERBOSE:-0}" = 1 ] && head -40 "$3.diff"
    fi
}

# expect NAME FILE PATTERN...: every extended regular expression is in FILE
# ("-": standard input).
expect() {
    local name=$1 file=$2 missing=""
    shift 2
    if [ "$file" = - ]; then
        file=$out/expect-input.txt
        cat >"$file"
    fi
    for pattern in "$@"; do
        grep -Eq -- "$pattern" "$file" || missing="$missing '$pattern'"
    done
    if [ -z "$missing" ]; then pass "$name"; else fail "$name (missing:$missing in $file)"; fi
}

# no_python_errors NAME FILE
no_python_errors() {
    if grep -Eq 'Python Exception|Error occurred in Python|Traceback' "$2"; then
        fail "$1: Python error in $2"
    else
        pass "$1: no Python error"
    fi
}

# The commands, each after a marker line ("==heap=="), for section().
COMMANDS=(-ex 'echo ==arenas==\n' -ex arena-arenas -ex 'echo ==heap==\n' -ex arena-heap
          -ex 'echo ==bins==\n' -ex arena-bins -ex 'echo ==tcache==\n' -ex arena-tcache -ex 'echo ==end==\n')

# gdb_commands_matched NAME DUMP GDB_OUTPUT: the three commands against the dump.
gdb_commands_matched() {
    expected "$2" >"$3.expected"
    { section "$3" arenas; section "$3" heap; section "$3" bins; section "$3" tcache; } >"$3.actual"
    compare "$1" "$3.expected" "$3.actual"
}

GDB=(timeout 60 gdb -batch -nx -ex "source $script")

# The top chunk of the arena holding thread_ptr, found as free() finds an arena:
# heap_for_ptr with the process's heap size.
THREAD_TOP='((heap_info *)((unsigned long)thread_ptr & ~(heap_max_bytes - 1)))->ar_ptr->top'

# thread_chunks_named NAME FILE HEAP_HEX: arena-chunk on a thread arena's chunk
# in use, free chunk and top (sections thread, threadfree, threadtop of FILE)
# all name arena 1 through its heap_info at a multiple of HEAP_HEX, and none is
# marked as found in another arena.
thread_chunks_named() {
    local zeros
    case $3 in 0x100000) zeros='[0-9a-f]*00000' ;; 0x4000000) zeros='[0-9a-f]*[048c]000000' ;; esac
    section "$2" thread >"$2.thread"
    expect "$1: arena-chunk thread_ptr (in use) names arena 1 by its heap" "$2.thread" \
        'state +in use \(arena 1\)' \
        "arena +thread arena 0x[0-9a-f]+ \\(arena 1\\): NON_MAIN_ARENA set, heap_info 0x$zeros = chunk & ~\\(HEAP_MAX_SIZE $3 - 1\\)"
    section "$2" threadfree >"$2.threadfree"
    expect "$1: arena-chunk thread_free_ptr (unsorted) names arena 1, bit clear as in glibc" "$2.threadfree" \
        'size +0x111 = 0x110 \| PREV_INUSE$' 'state +unsortedbin\[all\], number [0-9]+ of [0-9]+ from the head \(arena 1\)' \
        "arena +thread arena 0x[0-9a-f]+ \\(arena 1\\): NON_MAIN_ARENA clear, as on every free chunk and top .*heap_info 0x$zeros "
    section "$2" threadtop >"$2.threadtop"
    expect "$1: arena-chunk on the thread arena's top names arena 1" "$2.threadtop" \
        'state +top \(arena 1\)' "arena +thread arena 0x[0-9a-f]+ \\(arena 1\\): NON_MAIN_ARENA clear.*heap_info 0x$zeros "
    if grep -q '!! the walk found it' "$2.thread" "$2.threadfree" "$2.threadtop"; then
        fail "$1: arena-chunk marks a thread arena's chunk as found in another arena"
    else
        pass "$1: no false '!! the walk found it in arena ...' on the thread arena's chunks"
    fi
}

# ---- 1. a live process, default build ---------------------------------------------------

live=$out/live.txt
rm -f "$out/dump.txt" "$out/core"
"${GDB[@]}" -ex 'break stop_here' -ex run -ex up "${COMMANDS[@]}" \
    -ex 'echo ==heap1==\n' -ex 'arena-heap 1' -ex 'echo ==bins1==\n' -ex 'arena-bins 1' \
    -ex 'echo ==fast==\n' -ex 'arena-chunk fast_ptr' \
    -ex 'echo ==fastchunk==\n' -ex 'arena-chunk (char *)fast_ptr - 16' \
    -ex 'echo ==large==\n' -ex 'arena-chunk large_ptr' \
    -ex 'echo ==thread==\n' -ex 'arena-chunk thread_ptr' \
    -ex 'echo ==threadfree==\n' -ex 'arena-chunk thread_free_ptr' \
    -ex 'echo ==threadtop==\n' -ex "arena-chunk --chunk $THREAD_TOP" \
    -ex 'echo ==mmap==\n' -ex 'arena-chunk mmap_ptr' \
    -ex 'echo ==vis==\n' -ex 'arena-vis 5' \
    -ex 'echo ==visfast==\n' -ex 'arena-vis 2 fast_ptr' \
    -ex 'echo ==help==\n' -ex 'help arena-heap' \
    -ex 'echo ==end==\n' \
    -ex "gcore $out/core" \
    --args "$out/heap_program" "$out/dump.txt" >"$live" 2>&1
gdb_commands_matched "live process: arena-arenas, arena-heap, arena-bins = arenalloc_dump" "$out/dump.txt" "$live"
{ section "$live" heap1; section "$live" bins1; } >"$live.arena1"
awk '/^(chunks|bins) of arena 1$/ {on = 1} /^(chunks|bins) of arena [02-9]/ || /^arena [0-9]+:/ || /^tcache of/ || /^mmapped/ {on = 0} on' \
    "$out/dump.txt" >"$live.arena1.expected"
compare "live process: arena-heap 1, arena-bins 1 = arena 1 of the dump" "$live.arena1.expected" "$live.arena1"
no_python_errors "live process" "$live"

section "$live" fast >"$out/chunk-fast.txt"
expect "arena-chunk fast_ptr: a fastbin chunk, from its user pointer" "$out/chunk-fast.txt" \
    '^chunk 0x[0-9a-f]+ \(from the user pointer 0x[0-9a-f]+' 'size +0x21 = 0x20 \| PREV_INUSE' \
    'state +fastbins\[0x20\], number 1 of 1 from the head \(arena 0\)' '^  fd +0x0 ' \
    'arena +main_arena 0x' 'usable +0x18 \(24\) bytes'
section "$live" fastchunk >"$out/chunk-fastchunk.txt"
expect "arena-chunk fast_ptr - 16: the same chunk, taken as a chunk address" "$out/chunk-fastchunk.txt" \
    'taken as a chunk address' 'state +fastbins\[0x20\]'
section "$live" large >"$out/chunk-large.txt"
expect "arena-chunk large_ptr: a large-bin chunk with its nextsize links" "$out/chunk-large.txt" \
    'state +largebins\[0x500-0x530\], number 2 of 4 from the head' '^  fd +0x' '^  bk +0x' \
    '^  fd_nextsize 0x' '^  bk_nextsize 0x' 'usable +0x508 \(1288\) bytes once allocated'
section "$live" thread >"$out/chunk-thread.txt"
expect "arena-chunk thread_ptr: a thread arena's chunk names its heap and arena" "$out/chunk-thread.txt" \
    'size +0x55 = 0x50 \| PREV_INUSE \| NON_MAIN_ARENA' 'state +in use \(arena 1\)' \
    'arena +thread arena 0x[0-9a-f]+ \(arena 1\): NON_MAIN_ARENA set, heap_info 0x[0-9a-f]*00000 ' \
    'its ar_ptr 0x' 'usable +0x48 \(72\)'
thread_chunks_named "live process" "$live" 0x100000
section "$live" mmap >"$out/chunk-mmap.txt"
expect "arena-chunk mmap_ptr: the mapped chunk" "$out/chunk-mmap.txt" \
    'from the user pointer' 'size +0x41002 = 0x41000 \| IS_MMAPPED' 'state +mmapped chunk' \
    'arena +none' 'usable +0x40ff0'
section "$live" vis >"$out/vis.txt"
expect "arena-vis 5: five chunks, two words a line, labelled" "$out/vis.txt" \
    '^up to 5 chunks from 0x[0-9a-f]+ \(arena 0.s first chunk\)' \
    '^0x[0-9a-f]{12}  0x[0-9a-f]{16}  0x[0-9a-f]{16}  \[0\] prev_size +size 0x291 P \(in use\)' \
    '\[1\] prev_size +size 0x21 P \(fastbins\[0x20\]\)' '\[1\] fd -> 0x0 +payload' \
    '\[3\] prev_size +size 0x31 P \(fastbins\[0x30\]\)' '\[4\] fd -> 0x[0-9a-f]+' 'more lines? the same'
if grep -q '\[5\]' "$out/vis.txt" || grep -q $'\033' "$out/vis.txt"; then
    fail "arena-vis 5: more than 5 chunks, or colours in batch output"
else
    pass "arena-vis 5: exactly 5 chunks, no colours in batch output"
fi
section "$live" visfast >"$out/vis-fast.txt"
expect "arena-vis 2 fast_ptr: from a user pointer" "$out/vis-fast.txt" \
    '^up to 2 chunks from 0x[0-9a-f]+ \(from the user pointer' '\[0\] prev_size +size 0x21 P \(fastbins\[0x20\]\)' \
    '\[1\] prev_size +size 0x21 P \(in use\)'
section "$live" help >"$out/help.txt"
expect "help arena-heap" "$out/help.txt" '^The chunks of every arena' 'Usage: arena-heap \[N\]'

# ---- 2. the core file of the same moment ---------------------------------------------------

coreout=$out/core.txt
if [ -s "$out/core" ]; then
    timeout 60 gdb -batch -nx -ex "source $script" "${COMMANDS[@]}" \
        -ex 'echo ==thread==\n' -ex 'arena-chunk thread_ptr' -ex 'echo ==end==\n' \
        "$out/heap_program" "$out/core" >"$coreout" 2>&1
    gdb_commands_matched "core file: arena-arenas, arena-heap, arena-bins = arenalloc_dump" "$out/dump.txt" "$coreout"
    section "$coreout" thread >"$out/core-thread.txt"
    expect "core file: arena-chunk thread_ptr" "$out/core-thread.txt" 'state +in use \(arena 1\)' 'heap_info 0x[0-9a-f]*00000'
    no_python_errors "core file" "$coreout"
else
    fail "core file: gcore wrote nothing (see $live)"
fi

# ---- 3. a damaged heap ------------------------------------------------------------------------

damaged=$out/damaged.txt
rm -f "$out/dump-damaged.txt"
start=$(date +%s)
"${GDB[@]}" -ex 'break stop_here' -ex run -ex continue -ex up "${COMMANDS[@]}" \
    -ex 'echo ==big==\n' -ex 'arena-chunk big_ptr' -ex 'echo ==vis==\n' -ex 'arena-vis 40' \
    -ex 'echo ==small==\n' -ex 'arena-chunk small_ptr' -ex 'echo ==end==\n' \
    --args "$out/heap_program" "$out/dump-first.txt" --corrupt "$out/dump-damaged.txt" >"$damaged" 2>&1
status=$?
if [ "$status" -eq 124 ]; then
    fail "damaged heap: gdb did not finish within 60 s"
else
    pass "damaged heap: gdb finished in $(($(date +%s) - start)) s"
fi
gdb_commands_matched "damaged heap: the commands = arenalloc_dump, marks and all" "$out/dump-damaged.txt" "$damaged"
expect "damaged heap: the three kinds of damage are marked" "$damaged" \
    '0x48 +in use +PREV_INUSE +!! size is not a chunk size' \
    '^  0x30: .* !! the list loops back to a chunk it already passed' \
    '^  0x1f0: .* -> 0xdeadbeef0  !! a link points outside the arena.s chunks'
section "$damaged" big >"$out/chunk-big.txt"
section "$damaged" vis >"$out/vis-damaged.txt"
expect "damaged heap: arena-chunk and arena-vis show the damage" - \
    '!! size is not a chunk size' 'the picture stops here' 'fd +0xdeadbeef0' \
    < <(cat "$out/chunk-big.txt" "$out/vis-damaged.txt"; section "$damaged" small)
no_python_errors "damaged heap" "$damaged"

# ---- 4. the DEBUG build (-O0 -g3) ----------------------------------------------------------------

debug=$build/debug
case $build in */debug) debug=$build ;; esac
# make brings it up to date (a DEBUG library left from an older tree may lack
# arenalloc_dump); nothing is rebuilt when it is current.
[ -f "$debug/libarenalloc-prefixed.a" ] || echo "building the DEBUG library in $debug (make DEBUG=1 BUILD=$debug all)"
make --no-print-directory -s DEBUG=1 BUILD="$debug" all >/dev/null 2>&1
if build_program "$debug" heap_program_debug; then
    dbg=$out/debug.txt
    rm -f "$out/dump-debug.txt"
    "${GDB[@]}" -ex 'break stop_here' -ex run -ex up "${COMMANDS[@]}" \
        -ex 'echo ==large==\n' -ex 'arena-chunk large_ptr' -ex 'echo ==end==\n' \
        --args "$out/heap_program_debug" "$out/dump-debug.txt" >"$dbg" 2>&1
    gdb_commands_matched "DEBUG build (-O0 -g3): the commands = arenalloc_dump" "$out/dump-debug.txt" "$dbg"
    section "$dbg" large >"$out/debug-large.txt"
    expect "DEBUG build: arena-chunk large_ptr" "$out/debug-large.txt" 'largebins\[0x500-0x530\]'
else
    fail "DEBUG build: could not build $debug/libarenalloc-prefixed.a or link against it"
fi

# ---- 5. the drop-in library under LD_PRELOAD, in both heap sizes ------------------------------------

# dropin_run NAME HEAP_SIZE_SETTING HEAP_HEX: the commands against the dump, the
# thread arena's chunks, the static lookups, arena-break and the skips.
dropin_run() {
    local name=$1 drop=$out/dropin-$2.txt dump=$out/dump-dropin-$2.txt
    rm -f "$dump"
    "${GDB[@]}" -ex 'set startup-with-shell off' -ex "set environment LD_PRELOAD=$build/libarenalloc.so" \
        -ex "set environment ARENALLOC_HEAP_MAX_SIZE=$2" \
        -ex 'break stop_here' -ex run -ex up "${COMMANDS[@]}" \
        -ex 'echo ==thread==\n' -ex 'arena-chunk thread_ptr' \
        -ex 'echo ==threadfree==\n' -ex 'arena-chunk thread_free_ptr' \
        -ex 'echo ==threadtop==\n' -ex "arena-chunk --chunk $THREAD_TOP" \
        -ex 'echo ==mmap==\n' -ex 'arena-chunk mmap_ptr' \
        -ex 'echo ==lookups==\n' -ex "source $root/tests/gdb/lookups.py" \
        -ex 'echo ==break==\n' -ex 'arena-break _int_malloc' -ex 'info breakpoints' \
        -ex 'echo ==end==\n' \
        --args "$out/dropin_program" "$dump" >"$drop" 2>&1
    gdb_commands_matched "$name: the commands = arenalloc_dump" "$dump" "$drop"
    thread_chunks_named "$name" "$drop" "$3"
    expect "$name: arena-chunk on the mapped chunk" - 'state +mmapped chunk' < <(section "$drop" mmap)
    section "$drop" lookups >"$drop.lookups"
    expect "$name: gdb's static lookups find main_arena, mp_, global_max_fast, thread_arena, tcache, narenas, __malloc_initialized in libarenalloc.so" \
        "$drop.lookups" '^lookup main_arena libarenalloc.so$' '^lookup mp_ libarenalloc.so$' \
        '^lookup global_max_fast libarenalloc.so$' '^lookup thread_arena libarenalloc.so$' \
        '^lookup tcache libarenalloc.so$' '^lookup narenas libarenalloc.so$' \
        '^lookup __malloc_initialized libarenalloc.so$'
    expect "$name: mp_'s tcache fields as glibc fills them, __malloc_initialized set, the heap size" "$drop.lookups" \
        '^value mp_.tcache_bins = 64$' '^value mp_.tcache_max_bytes = 1032$' '^value mp_.tcache_count = 7$' \
        '^value \(int\) __malloc_initialized = 1$' "^value heap_max_bytes = $(($3))\$"
    expect "$name: mp_ lies 0x920 bytes below main_arena, as in Debian 12's libc.so.6" "$drop.lookups" \
        '^distance mp_ main_arena = 0x920$'
    local skips=0 unknown=""
    while read -r _ fn; do
        skips=$((skips + 1))
        grep -Eq "static inline [^;]*\\b$fn\\(" bins/*.h || unknown="$unknown $fn"
    done < <(grep '^skip ' "$drop.lookups")
    if [ "$skips" -gt 0 ] && [ "$skips" -eq "$(grep -c '^skip function' tools/gdb/stepping.gdb)" ] && [ -z "$unknown" ]; then
        pass "$name: stepping.gdb loaded with the commands: $skips helpers of bins/*.h skipped"
    else
        fail "$name: stepping.gdb: $skips skips loaded; not a bins/*.h helper:${unknown:- none}"
    fi
    section "$drop" break >"$drop.break"
    expect "$name: arena-break _int_malloc breaks in libarenalloc.so's copy only" "$drop.break" \
        '^breakpoint [0-9]+: _int_malloc in bins/int_malloc.c of libarenalloc.so \(1 location\)' \
        '^[0-9]+ +breakpoint +keep y +0x[0-9a-f]+ in _int_malloc at'
    no_python_errors "$name" "$drop"
}

if nm -D "$build/libarenalloc.so" | grep -q ' T arenalloc_dump$'; then
    dropin_run "drop-in library (LD_PRELOAD), 1 MiB heaps" 1M 0x100000
    dropin_run "drop-in library (LD_PRELOAD), ARENALLOC_HEAP_MAX_SIZE=64M" 64M 0x4000000
else
    fail "drop-in library: $build/libarenalloc.so does not export arenalloc_dump"
fi

finish

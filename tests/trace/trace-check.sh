#!/usr/bin/env bash
# The trace tools' tests: recorder, reader, dump, replayer, synthetic workloads.
#
#   tests/trace/trace-check.sh [BUILD_DIR]      (make trace-check builds what it needs)
#
# Every check prints PASS or FAIL and a reason; the run ends with
# "N passed, M failed" and exits non-zero when anything failed.  The checks
# against jemalloc, mimalloc and tcmalloc run for those of them that are
# installed (Debian: libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4) and say
# which they covered; everything else needs only glibc and arenalloc.
set -u

build=${1:-build}
tools=$build/tools
progs=$build/tests/trace
record=bench/trace/arena-record
export ARENALLOC_RECORD_LIB=$tools/libarenalloc-record.so
libdir=/usr/lib/x86_64-linux-gnu

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

# The value of key=... in a replay summary line.
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p; s/^$1=\([^ ]*\).*/\1/p" <<<"$2" | head -1; }

# Every sample of a --data file has footprint >= live; prints the first that has not.
footprint_covers_live() {
    awk -F'\t' '!/^#/ && $3 < $2 { print "op " $1 ": footprint " $3 " < live " $2; exit 1 }' "$1"
}

# Flips the bits of the byte at offset $2 of file $1.
flip_byte() {
    python3 -c 'import sys
f = open(sys.argv[1], "r+b"); f.seek(int(sys.argv[2])); b = f.read(1)
f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0xff]))' "$1" "$2"
}

# ---- record -> dump -> replay ---------------------------------------------------

test_round_trip() {
    local t=$work/known.trace dump=$work/known.dump
    "$record" -o "$t" -- "$progs/known_calls" "$work/known.expected" ||
        { fail round-trip "known_calls exited $?"; return; }
    "$tools/arena-trace" dump "$t" >"$dump" || { fail round-trip "arena-trace dump failed"; return; }
    if ! diff -u "$work/known.expected" "$dump" >"$work/diff"; then
        fail round-trip "dump differs from the calls made:"; cat "$work/diff"; return
    fi
    for a in arenalloc system; do
        "$tools/arena-replay" --log --allocator "$a" "$t" >"$work/log.$a" ||
            { fail round-trip "arena-replay --allocator $a exited $?"; return; }
        if ! head -n -1 "$work/log.$a" | diff -u "$dump" - >"$work/diff"; then
            fail round-trip "arena-replay --log --allocator $a differs from the dump:"
            cat "$work/diff"; return
        fi
    done
    pass "round-trip ($(wc -l <"$dump") calls: dump = calls made = --log on arenalloc and glibc)"
}

test_info() {
    local info
    info=$("$tools/arena-trace" info "$work/known.trace") || { fail info "exit $?"; return; }
    for want in "version: 1" "program: known_calls" "ops: 25" "  realloc: 6" "  pvalloc: 1" \
                "failed: 5" "threads: 1" "ids: 12 (#1..#12), 1 live at the end (80 bytes)"; do
        grep -qxF "$want" <<<"$info" || { fail info "no line '$want' in:"; echo "$info"; return; }
    done
    pass "info (version, program, ops by kind, failures, threads, ids)"
}

# The summary line's format, key by key, as the demo driver reads it.
test_summary_format() {
    local line re
    line=$("$tools/arena-replay" --allocator arenalloc "$work/known.trace")
    re='^allocator=arenalloc trace=[^ ]+ ops=25 threads=1 peak_live=[0-9]+ peak_footprint=[0-9]+'
    re+=' peak_rss=-?[0-9]+ frag_peak=[0-9]+\.[0-9]{3} frag_avg=[0-9]+\.[0-9]{3}'
    re+=' time_s=[0-9]+\.[0-9]{4} ns_per_op=[0-9]+\.[0-9] footprint_source=(mallinfo2|rss)$'
    if [[ $line =~ $re ]]; then pass "summary line format"; else fail "summary line" "$line"; fi
}

# ---- the live-bytes curve ------------------------------------------------------------

# A real single-threaded program: python3 with its own allocator off.
record_python() {
    local py
    py=$(python3 -c 'import sys; print(sys.executable)') || return 1
    PYTHONMALLOC=malloc "$record" -o "$work/py.trace" -- "$py" -c '
import json, re
d = [{"a": i, "b": str(i) * 3, "c": [i] * (i % 7)} for i in range(20000)]
s = json.dumps(d)
print(len(json.loads(s)), len(re.findall(r"\d+", s)))' >/dev/null
}

test_live_curve() {
    record_python || { fail live-curve "recording python3 failed"; return; }
    local runs="glibc1:system glibc2:system arenalloc:arenalloc" run name alloc out
    for run in $runs; do
        name=${run%%:*} alloc=${run#*:}
        out=$("$tools/arena-replay" --allocator "$alloc" --data "$work/py.$name.tsv" \
              "$work/py.trace") || { fail live-curve "$name replay exited $?"; return; }
        cut -f1,2 "$work/py.$name.tsv" >"$work/py.$name.live"
        footprint_covers_live "$work/py.$name.tsv" >"$work/why" ||
            { fail live-curve "$name: $(cat "$work/why")"; return; }
    done
    cmp -s "$work/py.glibc1.live" "$work/py.glibc2.live" &&
        cmp -s "$work/py.glibc1.live" "$work/py.arenalloc.live" ||
        { fail live-curve "the live columns differ between runs"; return; }
    local samples peak
    samples=$(grep -vc '^#' "$work/py.glibc1.tsv")
    peak=$("$tools/arena-trace" info "$work/py.trace" | sed -n 's/^peak live bytes: \([0-9]*\).*/\1/p')
    [ "$samples" -ge 450 ] && [ "$samples" -le 501 ] || { fail live-curve "$samples samples"; return; }
    [ "$(field peak_live "$out")" = "$peak" ] ||
        { fail live-curve "peak_live $(field peak_live "$out") != info's $peak"; return; }
    pass "live-curve (python3, $(field ops "$out") ops, $samples samples: glibc twice and" \
         "arenalloc give the same live column; footprint >= live everywhere)"
}

# jemalloc, mimalloc, tcmalloc: whichever is installed.
test_other_allocators() {
    local covered="" lib out
    for lib in libjemalloc.so.2 libmimalloc.so.2 libtcmalloc_minimal.so.4; do
        [ -e "$libdir/$lib" ] || continue
        out=$(LD_PRELOAD=$libdir/$lib "$tools/arena-replay" --allocator system \
              --data "$work/other.tsv" "$work/py.trace" 2>/dev/null) ||
            { fail other-allocators "$lib: replay exited $?"; return; }
        [ "$(field allocator "$out")" = "$lib" ] || { fail other-allocators "$out"; return; }
        cut -f1,2 "$work/other.tsv" | cmp -s - "$work/py.glibc1.live" ||
            { fail other-allocators "$lib: live column differs from glibc's"; return; }
        footprint_covers_live "$work/other.tsv" >"$work/why" ||
            { fail other-allocators "$lib: $(cat "$work/why")"; return; }
        covered+=" $lib"
    done
    if [ -z "$covered" ]; then
        echo "NOTE other-allocators: none of jemalloc, mimalloc, tcmalloc installed" \
             "(apt-get install -y libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4)"
        return
    fi
    pass "other-allocators (covered:$covered; same live column, footprint >= live)"
}

# ---- threads and fork -----------------------------------------------------------------------

test_threads() {
    local t=$work/mt.trace info ops threads out a
    "$record" -o "$t" -- "$progs/threads" >/dev/null || { fail threads "threads exited $?"; return; }
    info=$("$tools/arena-trace" info "$t") || { fail threads "info failed"; return; }
    ops=$(sed -n 's/^ops: //p' <<<"$info")
    threads=$(sed -n 's/^threads: //p' <<<"$info")
    [ "$threads" -ge 4 ] || { fail threads "only $threads threads in the trace"; return; }
    for a in arenalloc system; do
        out=$("$tools/arena-replay" --allocator "$a" "$t" 2>"$work/err") ||
            { fail threads "replay on $a exited $?: $(cat "$work/err")"; return; }
        [ "$(field ops "$out")" = "$ops" ] && [ "$(field threads "$out")" = "$threads" ] ||
            { fail threads "$out"; return; }
    done
    pass "threads ($threads threads, $ops ops, objects freed by other threads: replayed on both)"
}

test_fork() {
    local t=$work/fork.trace dump
    "$record" -o "$t" -- "$progs/forker" || { fail fork "forker exited $?"; return; }
    dump=$("$tools/arena-trace" dump "$t" 2>"$work/err") || { fail fork "dump: $(cat "$work/err")"; return; }
    [ -s "$work/err" ] && { fail fork "warnings: $(cat "$work/err")"; return; }
    grep -q 'malloc(7777)' <<<"$dump" && { fail fork "the child's calls are in the trace"; return; }
    grep -q 'malloc(4242)' <<<"$dump" || { fail fork "the parent's calls after the fork are missing"; return; }
    [ "$(wc -l <<<"$dump")" = 4 ] || { fail fork "expected 4 records:"; echo "$dump"; return; }
    "$record" -o "$work/all.trace" --all -- "$progs/forker" 2>"$work/list" ||
        { fail fork "--all: exit $?"; return; }
    local n
    n=$(ls "$work"/all.*.trace | wc -l)
    grep -q ' forker  4 ops$' "$work/list" && grep -q ' true  [0-9]* ops$' "$work/list" && [ "$n" = 2 ] ||
        { fail fork "--all should list the parent and /bin/true only:"; cat "$work/list"; return; }
    pass "fork (no child records in the parent's trace; --all: parent and exec'd child only)"
}

# ---- damaged files -------------------------------------------------------------------------

test_flipped_byte() {
    local t=$work/flip.trace msg
    cp "$work/known.trace" "$t"
    flip_byte "$t" 110 # inside the first block's payload (the block starts at 84)
    msg=$("$tools/arena-replay" "$t" 2>&1 >/dev/null) && { fail flipped-byte "accepted"; return; }
    [[ $msg == "arena-replay: $t: block checksum mismatch"*"(at byte 84)" ]] ||
        { fail flipped-byte "message: $msg"; return; }
    pass "flipped-byte ($msg)"
}

test_version() {
    local t=$work/v2.trace msg want
    cp "$work/known.trace" "$t"
    printf '\002' | dd of="$t" bs=1 seek=8 conv=notrunc status=none
    want="arena-replay: $t: format version 2, this build reads version 1 (at byte 8)"
    msg=$("$tools/arena-replay" "$t" 2>&1 >/dev/null) && { fail version "accepted"; return; }
    [ "$msg" = "$want" ] || { fail version "message: $msg"; return; }
    pass "version (refused: $msg)"
}

# A handmade trace: malloc(10) = #1, free(#1), then $1 (hex bytes of one record).
bad_free_trace() {
    python3 -c 'import struct, sys, zlib
payload = bytes([1, 0, 10,  2, 0, 1]) + bytes.fromhex(sys.argv[2])
head = b"ARENATRC" + struct.pack("<III", 1, 84, 0) + b"handmade".ljust(64, b"\0")
block = struct.pack("<IIII", 0x4b4c4254, len(payload), 3, zlib.crc32(payload)) + payload
open(sys.argv[1], "wb").write(head + block)' "$2" "$1"
}

test_bad_ids() {
    local t=$work/bad.trace msg
    bad_free_trace 020001 "$t" # free with delta 1: #1 again
    msg=$("$tools/arena-trace" dump "$t" 2>&1 >/dev/null) && { fail bad-ids "double free accepted"; return; }
    [ "$msg" = "arena-trace: $t: free of id #1, which is not live (already freed) (at byte 106)" ] ||
        { fail bad-ids "message: $msg"; return; }
    bad_free_trace 020005 "$t" # delta 5: an id that never existed
    msg=$("$tools/arena-replay" "$t" 2>&1 >/dev/null) && { fail bad-ids "unknown id accepted"; return; }
    [ "$msg" = "arena-replay: $t: free of an id that was never allocated (at byte 106)" ] ||
        { fail bad-ids "message: $msg"; return; }
    bad_free_trace 0400 "$t" # realloc whose size runs past the payload
    msg=$("$tools/arena-replay" "$t" 2>&1 >/dev/null) && { fail bad-ids "short record accepted"; return; }
    [ "$msg" = "arena-replay: $t: a record runs past the end of its block (at byte 106)" ] ||
        { fail bad-ids "message: $msg"; return; }
    pass "bad-ids (double free, unknown id, short record: refused at the record's offset)"
}

test_truncated() {
    local t=$work/trunc.trace size out
    "$tools/arena-synth" ramp --ops 50000 -o "$work/ramp.trace"
    size=$(stat -c %s "$work/ramp.trace")
    head -c $((size - 100)) "$work/ramp.trace" >"$t"
    out=$("$tools/arena-replay" "$t" 2>"$work/err") || { fail truncated "exit $?"; return; }
    grep -Eq "^arena-replay: $t: warning: the file ends inside a block \(at byte [0-9]+\): only [0-9]+ of its [0-9]+ bytes are there, so its [0-9]+ records are lost; reading the [0-9]+ whole blocks before it$" "$work/err" &&
        [ "$(wc -l <"$work/err")" = 1 ] || { fail truncated "stderr: $(cat "$work/err")"; return; }
    local ops lost
    ops=$(field ops "$out")
    lost=$(sed -n 's/.*so its \([0-9]*\) records are lost.*/\1/p' "$work/err")
    [ "$ops" -gt 0 ] && [ "$ops" -lt 50000 ] || { fail truncated "ops=$ops"; return; }
    # synth writes 50000 records, give or take one: what was replayed and what was lost add up
    [ $((ops + lost)) -ge 49999 ] && [ $((ops + lost)) -le 50001 ] ||
        { fail truncated "$ops replayed + $lost lost is not the 50000 written"; return; }
    "$tools/arena-trace" info "$t" 2>/dev/null | grep -qx "partial block: [0-9]* bytes and $lost records lost (the recorder was stopped while writing)" ||
        { fail truncated "info does not say what was lost"; return; }
    pass "truncated (warning, exit 0, $ops of 50000 ops replayed, $lost said lost)"
}

test_killed() {
    local t=$work/killed.trace pid out
    "$record" -o "$t" -- "$progs/slow_alloc" 30 &
    pid=$!
    sleep 1.5
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null
    out=$("$tools/arena-replay" --allocator arenalloc "$t" 2>"$work/err") ||
        { fail killed "replay exit $?: $(cat "$work/err")"; return; }
    [ "$(field ops "$out")" -gt 0 ] || { fail killed "no ops: $out"; return; }
    pass "killed (SIGKILL while recording: $(field ops "$out") ops replayed)"
}

# A damaged length field is not a truncation: the file is refused, nothing is replayed.
# Byte 6 of a block header is bit 16-23 of its length: +65536 runs past the end of
# a small trace.  First in the first of several blocks (a whole block follows), then
# in the last block (its checksum matches the bytes up to the end of the file).
test_damaged_length() {
    local t=$work/len.trace msg last
    "$tools/arena-synth" ramp --ops 50000 -o "$work/len.orig"
    cp "$work/len.orig" "$t"
    flip_byte "$t" $((84 + 6))
    msg=$("$tools/arena-replay" "$t" 2>&1 >/dev/null) && { fail damaged-length "first block: accepted"; return; }
    [[ $msg =~ ^arena-replay:\ $t:\ block\ length\ [0-9]+\ is\ damaged:\ it\ runs\ past\ the\ end\ of\ the\ file,\ but\ a\ whole\ block\ starts\ at\ byte\ [0-9]+\ \(at\ byte\ 88\)$ ]] ||
        { fail damaged-length "first block: $msg"; return; }
    last=$(python3 -c 'import sys; print(open(sys.argv[1], "rb").read().rfind(b"TBLK"))' "$work/len.orig")
    cp "$work/len.orig" "$t"
    flip_byte "$t" $((last + 6))
    msg=$("$tools/arena-trace" info "$t" 2>&1 >/dev/null) && { fail damaged-length "last block: accepted"; return; }
    [[ $msg =~ ^arena-trace:\ $t:\ block\ length\ [0-9]+\ is\ damaged:\ the\ block.s\ checksum\ matches\ its\ [0-9]+\ bytes\ up\ to\ the\ end\ of\ the\ file\ \(at\ byte\ $((last + 4))\)$ ]] ||
        { fail damaged-length "last block: $msg"; return; }
    cp "$work/len.orig" "$t"
    printf '\377\377\377\177' | dd of="$t" bs=1 seek=88 conv=notrunc status=none
    msg=$("$tools/arena-replay" "$t" 2>&1 >/dev/null) && { fail damaged-length "absurd length: accepted"; return; }
    [ "$msg" = "arena-replay: $t: block length 2147483647 is more than 16777216: damaged (at byte 88)" ] ||
        { fail damaged-length "absurd length: $msg"; return; }
    pass "damaged-length (refused, exit 1, told apart from a truncated file: $msg)"
}

# Not a file: a FIFO (no writer: open must not wait), a directory, nothing at all.
# Each tool that reads a trace refuses each at once, naming it and what it is.
test_not_a_file() {
    local fifo=$work/fifo dir=$work/dir cmd msg status
    mkfifo "$fifo" && mkdir -p "$dir"
    for cmd in "arena-replay" "arena-trace info" "arena-trace dump"; do
        msg=$(timeout 20 $tools/$cmd "$fifo" 2>&1 >/dev/null); status=$?
        [ "$status" = 1 ] && [ "$msg" = "${cmd%% *}: $fifo: a FIFO (a pipe), not a trace file" ] ||
            { fail not-a-file "$cmd FIFO: exit $status, $msg"; return; }
        msg=$($tools/$cmd "$dir" 2>&1 >/dev/null); status=$?
        [ "$status" = 1 ] && [ "$msg" = "${cmd%% *}: $dir: a directory, not a trace file" ] ||
            { fail not-a-file "$cmd directory: exit $status, $msg"; return; }
        msg=$($tools/$cmd "$work/nothere" 2>&1 >/dev/null); status=$?
        [ "$status" = 1 ] && [ "$msg" = "${cmd%% *}: $work/nothere: No such file or directory" ] ||
            { fail not-a-file "$cmd missing file: exit $status, $msg"; return; }
    done
    msg=$(timeout 20 "$tools/arena-synth" ramp -o "$fifo" 2>&1); status=$?
    [ "$status" = 1 ] && [ "$msg" = "arena-synth: $fifo: a FIFO with no reader" ] ||
        { fail not-a-file "synth -o FIFO: exit $status, $msg"; return; }
    msg=$("$tools/arena-synth" ramp -o "$dir" 2>&1); status=$?
    [ "$status" = 1 ] && [ "$msg" = "arena-synth: $dir: a directory, not a file to write to" ] ||
        { fail not-a-file "synth -o directory: exit $status, $msg"; return; }
    msg=$(timeout 20 "$tools/arena-replay" --data "$fifo" "$work/known.trace" 2>&1 >/dev/null); status=$?
    [ "$status" = 1 ] && [ "$msg" = "arena-replay: $fifo: a FIFO with no reader" ] ||
        { fail not-a-file "replay --data FIFO: exit $status, $msg"; return; }
    pass "not-a-file (FIFO, directory, missing: refused at once by replay, info, dump, synth -o, --data)"
}

# Numbers on the command line: negative or absurd values are refused, never wrapped.
test_bad_numbers() {
    local arg msg status
    for arg in -5 0 1000000001 18446744073709551616 12x ""; do
        msg=$(timeout 20 "$tools/arena-synth" ramp --ops "$arg" -o "$work/never.trace" 2>&1); status=$?
        [ "$status" = 2 ] && [ "$msg" = "arena-synth: --ops $arg: expected a number from 1 to 1000000000" ] ||
            { fail bad-numbers "--ops '$arg': exit $status, $msg"; return; }
    done
    [ -e "$work/never.trace" ] && { fail bad-numbers "a trace was written"; return; }
    msg=$("$tools/arena-synth" ramp --seed -1 -o "$work/never.trace" 2>&1); status=$?
    [ "$status" = 2 ] && [[ $msg == "arena-synth: --seed -1: expected a number from 0 to "* ]] ||
        { fail bad-numbers "--seed -1: exit $status, $msg"; return; }
    for arg in -1 99999999999; do
        msg=$("$tools/arena-replay" --samples "$arg" "$work/known.trace" 2>&1 >/dev/null); status=$?
        [ "$status" = 2 ] && [[ $msg == "arena-replay: --samples $arg: expected 0 to 10000000"* ]] ||
            { fail bad-numbers "--samples $arg: exit $status, $msg"; return; }
    done
    pass "bad-numbers (--ops -5, 0, 10^9+1, 2^64, 12x, empty; --seed -1; --samples -1, 10^11: refused, exit 2)"
}

# Time with many threads: each thread's sampling is its own, so the replay's time
# is never more than the process lived, and every sample's ns is within the replay.
test_thread_time() {
    local t=$work/many-threads.trace out time_s wall
    python3 -c 'import struct, sys, zlib
n = int(sys.argv[2])
def varint(v):
    b = b""
    while v >= 0x80:
        b += bytes([v & 0x7f | 0x80]); v >>= 7
    return b + bytes([v])
# thread t: malloc(64 + t) = #t+1, then each frees its own block
payload = b"".join(bytes([1]) + varint(t) + varint(64 + t) for t in range(n))
payload += b"".join(bytes([2]) + varint(t) + varint(n - t) for t in range(n))
head = b"ARENATRC" + struct.pack("<III", 1, 84, 0) + b"threads".ljust(64, b"\0")
block = struct.pack("<IIII", 0x4b4c4254, len(payload), 2 * n, zlib.crc32(payload)) + payload
open(sys.argv[1], "wb").write(head + block)' "$t" 300
    local start=$EPOCHREALTIME
    out=$("$tools/arena-replay" --allocator arenalloc --samples 100000 --data "$work/mt.tsv" "$t" 2>"$work/err") ||
        { fail thread-time "exit $?: $(cat "$work/err")"; return; }
    wall=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')
    time_s=$(field time_s "$out")
    [ "$(field threads "$out")" = 300 ] && [ "$(field ops "$out")" = 600 ] || { fail thread-time "$out"; return; }
    awk -v t="$time_s" -v w="$wall" 'BEGIN { exit !(t >= 0 && t <= w) }' ||
        { fail thread-time "time_s=$time_s, but the replay process lived $wall s"; return; }
    awk -F'\t' -v t="$time_s" '!/^#/ && ($5 < 0 || $5 > t * 1e9 + 1e5) { print; bad = 1 } END { exit bad }' \
        "$work/mt.tsv" >"$work/why" || { fail thread-time "samples outside the replay: $(head -3 "$work/why")"; return; }
    pass "thread-time (300 threads, 600 samples: time_s=$time_s <= ${wall} s wall, every sample within it)"
}

# ---- the replayer's NULL handling, synthetic workloads ----------------------------------

test_null() {
    local t=$work/ramp200k.trace msg status
    "$tools/arena-synth" ramp --ops 200000 -o "$t" # about 45 MiB live at the top
    msg=$( (ulimit -v 40000; exec "$tools/arena-replay" --allocator system --data "$work/null.tsv" "$t") \
           2>&1 >/dev/null)
    status=$?
    [ "$status" = 3 ] || { fail null "exit $status: $msg"; return; }
    [[ $msg =~ ^arena-replay:\ system\ returned\ NULL\ for\ malloc\([0-9]+\)\ at\ op\ [0-9]+\ of\ $t\;\ stopping$ ]] ||
        { fail null "message: $msg"; return; }
    head -1 "$work/null.tsv" | grep -qx '# op live footprint rss ns' && [ "$(wc -l <"$work/null.tsv")" -gt 2 ] ||
        { fail null "the data file was not written"; return; }
    pass "null (ulimit -v: exit 3, $msg)"
}

test_synth() {
    local p ops out
    for p in ramp peak plateau sawtooth; do
        "$tools/arena-synth" "$p" --ops 30000 --seed 7 -o "$work/$p.a" &&
            "$tools/arena-synth" "$p" --ops 30000 --seed 7 -o "$work/$p.b" &&
            "$tools/arena-synth" "$p" --ops 30000 --seed 8 -o "$work/$p.c" || { fail synth "$p: exit $?"; return; }
        cmp -s "$work/$p.a" "$work/$p.b" || { fail synth "$p: same seed, different files"; return; }
        cmp -s "$work/$p.a" "$work/$p.c" && { fail synth "$p: the seed changes nothing"; return; }
        out=$("$tools/arena-replay" --allocator arenalloc "$work/$p.a") || { fail synth "$p: replay"; return; }
        ops=$(field ops "$out")
        [ "$ops" -ge 29999 ] && [ "$ops" -le 30001 ] || { fail synth "$p: $ops ops"; return; }
        [ "$(field peak_live "$out")" -gt 1000000 ] || { fail synth "$p: $out"; return; }
    done
    pass "synth (four patterns: deterministic per seed, N ops, replayable)"
}

for t in round_trip info summary_format live_curve other_allocators threads fork flipped_byte \
         version bad_ids truncated damaged_length not_a_file bad_numbers thread_time killed null synth; do
    "test_$t"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# Real programs on a malloc replacement.
#
#   tests/real_programs.sh LIB        (make check: build/libarenalloc.so)
#
# Each program does allocation-heavy work twice, once plainly and once with
# LD_PRELOAD=LIB, and must print the same thing and exit the same way. The
# inputs are generated once, plainly, so both runs see identical data; every
# output is reduced to something deterministic (checksums, sorted query
# results, commit ids), so any difference is the allocator's doing.
#
# Prints "ok   name" or "FAIL name" per program and ends with
# "N passed, M failed"; exits non-zero when anything failed. The work
# directory is removed when everything passed (unless REAL_PROGRAMS_KEEP=1),
# kept otherwise.
set -u

# The repository, for the shared input generators in bench/workloads.
repo_root=$(cd "$(dirname "$0")/.." && pwd)

# C locale everywhere: the same collation and messages in both runs.
export LC_ALL=C
export PYTHONHASHSEED=0
run_timeout=300   # seconds per run; a deadlocked allocator must not hang make

passed=0
failed=0

die() {
    echo "FAIL real programs: $*"
    echo "0 passed, 1 failed"
    exit 1
}

# ---- setup ----------------------------------------------------------------

# LD_PRELOAD needs an absolute path (the programs change directory).
resolve_lib() {
    [ $# -eq 1 ] || die "usage: $0 /path/to/libarenalloc.so"
    lib=$1
    case $lib in /*) ;; *) lib=$PWD/$lib ;; esac
    [ -f "$lib" ] || die "library $lib does not exist (build it with 'make')"
    # ld.so only warns when a preload cannot be loaded and then runs the
    # program on glibc, which would make every comparison pass.
    local err
    err=$(LD_PRELOAD=$lib /bin/true 2>&1)
    [ -z "$err" ] || die "LD_PRELOAD=$lib does not load: $err"
}

# Install the Debian packages of whichever commands are absent (fresh
# machine, as root). Anything still missing fails only its own program.
# Entries are "command:package", or "/file:package" for what has no command:
# gcc only recommends the C library headers, which --no-install-recommends
# would leave out.
install_missing() {
    local pkgs=() pair what
    for pair in python3:python3 gcc:gcc /usr/include/stdio.h:libc6-dev \
                objdump:binutils sqlite3:sqlite3 git:git xz:xz-utils \
                timeout:coreutils; do
        what=${pair%%:*}
        case $what in
        /*) [ -e "$what" ] ;;
        *) command -v "$what" >/dev/null 2>&1 ;;
        esac || pkgs+=("${pair#*:}")
    done
    [ ${#pkgs[@]} -eq 0 ] && return
    echo "installing missing packages: ${pkgs[*]}"
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "cannot install (not root, or no apt-get); their programs will fail"
        return
    fi
    apt-get update -qq >/dev/null 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${pkgs[@]}" >/dev/null 2>&1 || echo "apt-get install failed"
}

# The system interpreter, not a user-installed one linked against who knows
# which allocator; the scenarios call it through $PY.
pick_python() {
    if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
    export PY
}

# ---- inputs (generated once, plainly) --------------------------------------

# Lines of "word number payload" from a fixed linear congruential generator;
# awk function shared by the generators below.
LINES_AWK='
function lines(n, prefix, out,    s, i, j, w) {
    s = 12345
    for (i = 0; i < n; i++) {
        s = (s * 1103515245 + 12345) % 2147483648; w = ""
        for (j = 0; j < 3 + s % 9; j++) w = w substr("etaoinshrdlucmfw", int(s / (j + 1)) % 16 + 1, 1)
        printf "%s%s %d line-%d-%s\n", prefix, w, s % 100000, i, substr("abcdefghijklmnopqrstuvwxyz", 1, i % 26) > out
    }
    close(out)
}'

gen_lines() {
    awk -v n="$1" "$LINES_AWK"' BEGIN { lines(n, "", "/dev/stdout") }'
}

# 420 files in 20 directories with subdirectories, for the git repository
# (one awk process: a process per file would take seconds).
gen_tree() {
    local dir=$1 d
    for d in $(seq 0 19); do mkdir -p "$dir/dir$d/sub$((d % 4))"; done
    awk -v dir="$dir" "$LINES_AWK"' BEGIN {
        for (d = 0; d < 20; d++) {
            for (f = 0; f < 20; f++)
                lines(20 + d * 3 + f, d "." f " ", dir "/dir" d "/file" f ".txt")
            lines(40, "", dir "/dir" d "/sub" d % 4 "/nested.txt")
        }
    }'
}

make_inputs() {
    inputs=$work/inputs
    export inputs
    mkdir -p "$inputs/tree"
    "$repo_root/bench/workloads/gen_c_source.sh" 3000 >"$inputs/gen.c"
    gen_lines 300000 >"$inputs/lines.txt"
    # ~40 MB for xz: large enough for several blocks, so both threads work.
    for _ in 1 2 3; do cat "$inputs/lines.txt"; done >"$inputs/big.txt"
    seq 1 2000000 >>"$inputs/big.txt"
    gen_tree "$inputs/tree"
}

# ---- the programs (run as "bash -c name" in their own directory) ----------

prog_python() {
    cat >work.py <<'EOF'
import hashlib, json, random, re

rng = random.Random(20240101)
h = hashlib.sha256()

# Dicts of lists of dicts, built and partly torn down again.
d = {}
for i in range(150000):
    k = "key%06d_%s" % (i, "x" * (i % 17))
    d[k] = [i, str(i * 7), {"n": i % 97, "s": k[::-1]}]
for k in list(d)[::3]:
    del d[k]

# Strings, list growth and sorting.
words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz")
                 for _ in range(rng.randint(3, 12))) for _ in range(100000)]
words.sort()
h.update("\n".join(words).encode())
pairs = sorted(((w[::-1], len(w)) for w in words), key=lambda p: (p[1], p[0]))
h.update(repr(pairs[:1000]).encode())

# A few MB of JSON there and back.
blob = json.dumps(d, sort_keys=True)
back = json.loads(blob)
assert back == d
h.update(blob.encode())

# Regular expressions over the blob.
found = re.findall(r"key0*(\d+)_x{5,}", blob)
subbed = re.sub(r"\d{3}", lambda m: m.group(0)[::-1], blob[:500000])
h.update(",".join(found).encode())
h.update(subbed.encode())

print(len(d), len(blob), len(found), h.hexdigest())
EOF
    PYTHONMALLOC=malloc "$PY" work.py
}

# Threads building dicts and strings at once, handing work to each other
# through a queue (so one thread frees what another allocated), and compressing
# with zlib, which drops the GIL: real concurrent malloc from several threads.
# Each result depends only on its thread's index, not on scheduling. Run under
# both arena policies (the variable means nothing to glibc).
prog_python_threads() {
    set -e
    cat >threads.py <<'EOF'
import hashlib, json, queue, random, threading, zlib

def build(idx, out):
    rng = random.Random(1000 + idx)
    h = hashlib.sha256()
    d = {}
    for i in range(40000):
        k = "t%d-%06d-%s" % (idx, i, "y" * (i % 13))
        d[k] = (i * idx, str(i) * (i % 5), [k[::-1]] * (i % 3))
        if i % 7 == 0:
            d.pop("t%d-%06d-%s" % (idx, i // 2, "y" * ((i // 2) % 13)), None)
    blob = json.dumps(sorted(d.items()), separators=(",", ":")).encode()
    for r in range(12):
        piece = blob[r * 5000:r * 5000 + 150000] * 2
        z = zlib.compress(piece, 6)
        assert zlib.decompress(z) == piece
        h.update(z)
    words = sorted("".join(rng.choice("abcdefgh") for _ in range(rng.randint(2, 9)))
                   for _ in range(30000))
    h.update(" ".join(words).encode())
    out[idx] = "%d %d %s" % (len(d), len(blob), h.hexdigest())

# Producers make batches of strings and dicts; consumers digest and drop them.
def produce(idx, q, nconsumers):
    rng = random.Random(idx)
    for b in range(300):
        batch = [("p%d-b%d-%d-" % (idx, b, i)) * rng.randint(1, 40) for i in range(200)]
        q.put((idx, b, batch, {s[:12]: len(s) for s in batch}))
    for _ in range(nconsumers):
        q.put(None)

def consume(q, sums, lock):
    local = {}
    while True:
        item = q.get()
        if item is None:
            break
        idx, b, batch, sizes = item
        digest = hashlib.sha256(zlib.compress("".join(batch).encode(), 1)).hexdigest()
        local[(idx, b)] = (digest, sum(sizes.values()))
    with lock:
        sums.update(local)

out = [None] * 6
builders = [threading.Thread(target=build, args=(i, out)) for i in range(6)]
q, sums, lock = queue.Queue(maxsize=64), {}, threading.Lock()
producers = [threading.Thread(target=produce, args=(i, q, 2)) for i in range(2)]
consumers = [threading.Thread(target=consume, args=(q, sums, lock)) for i in range(4)]
for t in builders + producers + consumers:
    t.start()
for t in builders + producers + consumers:
    t.join()
for i, r in enumerate(out):
    print(i, r)
print(len(sums), hashlib.sha256(repr(sorted(sums.items())).encode()).hexdigest())
EOF
    PYTHONMALLOC=malloc "$PY" threads.py
    ARENALLOC_ARENA_POLICY=per-thread PYTHONMALLOC=malloc "$PY" threads.py
}

prog_gcc() {
    set -e
    cp "$inputs/gen.c" gen.c
    gcc -O2 -c gen.c -o gen.o
    sha256sum gen.o
    size gen.o
    nm gen.o | sha256sum
    objdump -d --no-show-raw-insn gen.o | sed 1,2d | sha256sum
    gcc -O2 -o gen gen.o
    ./gen
}

prog_sqlite() {
    sqlite3 test.db <<'EOF'
CREATE TABLE t(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, code TEXT, val REAL);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000)
INSERT INTO t SELECT x, x % 97, 'name' || x, printf('%08d', (x * 7919) % 100003), x * 1.5 FROM c;
CREATE INDEX t_code ON t(code);
CREATE INDEX t_grp_val ON t(grp, val);
CREATE TABLE g AS SELECT DISTINCT grp, 'group-' || grp AS label FROM t;
SELECT count(*), sum(val), count(DISTINCT code), min(name), max(name) FROM t;
SELECT grp, count(*), sum(val), avg(length(name)) FROM t GROUP BY grp ORDER BY grp;
SELECT g.label, count(*), max(t.code) FROM t JOIN g ON t.grp = g.grp
    WHERE t.code LIKE '000%' GROUP BY g.label ORDER BY g.label;
SELECT code, name FROM t ORDER BY code DESC LIMIT 20;
SELECT length(group_concat(name, ',')) FROM (SELECT name FROM t ORDER BY val DESC);
UPDATE t SET name = upper(name) || '-' || code WHERE id % 3 = 0;
DELETE FROM t WHERE grp < 10;
SELECT count(*), sum(length(name)) FROM t;
PRAGMA integrity_check;
EOF
}

prog_sort() {
    set -e -o pipefail
    sort "$inputs/lines.txt" | sha256sum
    sort -k2,2n -k1,1 "$inputs/lines.txt" | sha256sum
    sort --parallel=2 -S 50M "$inputs/lines.txt" | sha256sum
    sort --parallel=2 -S 50M -r -k3 "$inputs/lines.txt" | sha256sum
    sort -u -k1,1 "$inputs/lines.txt" | wc -l
}

# Fixed names, dates and configuration, so commit ids are reproducible.
prog_git() {
    set -e -o pipefail
    export HOME=$PWD GIT_CONFIG_NOSYSTEM=1
    export GIT_AUTHOR_NAME=Arena GIT_AUTHOR_EMAIL=arena@example.org
    export GIT_COMMITTER_NAME=Arena GIT_COMMITTER_EMAIL=arena@example.org
    export GIT_AUTHOR_DATE='1700000000 +0000' GIT_COMMITTER_DATE='1700000000 +0000'
    cp -r "$inputs/tree" repo
    cd repo
    git init -q -b main .
    git add -A
    git commit -q -m "initial tree"
    git rev-parse HEAD
    for f in dir*/file1*.txt; do sed -i 's/e/E/g' "$f"; done
    rm dir3/file*.txt
    cp dir5/file5.txt dir5/copy.txt
    git add -A
    git commit -q -m "second commit"
    git rev-parse HEAD
    git log --stat
    git diff --stat HEAD~1 HEAD
    git gc --quiet
    git fsck --full --no-progress
    git count-objects -v | grep -E '^(count|in-pack|packs):'
    git ls-tree -r HEAD | sha256sum
}

prog_bash() {
    cat >work.sh <<'EOF'
declare -A count first
words=() text=""
for ((i = 0; i < 20000; i++)); do
    w="w$(( (i * 7919) % 1500 ))"
    count[$w]=$(( ${count[$w]:-0} + 1 ))
    [ -n "${first[$w]:-}" ] || first[$w]=$i
    words+=("$w")
    text+="${w:1:2}-"
done
joined="${words[*]}"
swapped=${text//1/one}
swapped=${swapped//-/}
upper=${joined^^}
keys=$(printf '%s\n' "${!count[@]}" | sort | head -c 100000)
total=0
for k in "${!count[@]}"; do total=$(( total + count[$k] * ${first[$k]} % 977 )); done
echo "${#count[@]} ${#words[@]} ${#joined} ${#swapped} ${#upper} $total"
printf '%s|%s|%s\n' "$keys" "${swapped:0:5000}" "${upper:0:5000}" | cksum
EOF
    bash work.sh
}

prog_xz() {
    set -e -o pipefail
    xz -T2 -3 --block-size=4MiB -c "$inputs/big.txt" >big.xz
    sha256sum <big.xz
    xz -T2 -dc big.xz | sha256sum
    xz -T2 -t big.xz
    xz -l big.xz | sed 's/ *big\.xz$//'
}

programs=(python python_threads gcc sqlite sort git bash xz)

# Commands each program needs; a missing one fails that program only.
needs() {
    case $1 in
    python | python_threads) echo "$PY" ;;
    gcc) echo gcc objdump nm size ;;
    sqlite) echo sqlite3 ;;
    sort) echo sort sha256sum ;;
    git) echo git ;;
    bash) echo bash cksum ;;
    xz) echo xz sha256sum ;;
    esac
}

# ---- running and comparing ------------------------------------------------

# run_once NAME MODE: run prog_NAME in $work/NAME/MODE; stdout goes to
# "out" followed by the exit status, stderr to "err".
run_once() {
    local name=$1 mode=$2 dir=$work/$1/$2 status
    mkdir -p "$dir"
    if [ "$mode" = preload ]; then
        (cd "$dir" && LD_PRELOAD=$lib timeout "$run_timeout" bash -c "prog_$name") \
            >"$dir/out" 2>"$dir/err"
    else
        (cd "$dir" && env -u LD_PRELOAD timeout "$run_timeout" bash -c "prog_$name") \
            >"$dir/out" 2>"$dir/err"
    fi
    status=$?
    echo "exit status $status" >>"$dir/out"
    return "$status"
}

# Print a failure with a short diff and where everything was kept.
report_failure() {
    local name=$1 why=$2 dir=$work/$1
    echo "FAIL $name: $why"
    diff -u "$dir/plain/out" "$dir/preload/out" 2>/dev/null | sed -n '3,22s/^/     /p'
    if [ -s "$dir/preload/err" ]; then
        echo "     stderr with the library (tail):"
        tail -n 5 "$dir/preload/err" | sed 's/^/       /'
    fi
    echo "     outputs kept in $dir/{plain,preload}/{out,err}"
}

run_program() {
    local name=$1 cmd
    for cmd in $(needs "$name"); do
        if ! command -v "$cmd" >/dev/null 2>&1; then
            echo "FAIL $name: command $cmd is not available"
            return 1
        fi
    done
    # Both runs at once: the machine has two cores, and the runs share
    # nothing but the read-only inputs.
    local plain_pid plain_status
    run_once "$name" plain &
    plain_pid=$!
    run_once "$name" preload
    wait "$plain_pid"
    plain_status=$?
    if [ "$plain_status" -ne 0 ]; then
        report_failure "$name" "fails even without the library (test bug)"
        return 1
    fi
    if grep -q 'cannot be preloaded' "$work/$name/preload/err"; then
        report_failure "$name" "the library was not preloaded"
        return 1
    fi
    if ! cmp -s "$work/$name/plain/out" "$work/$name/preload/out"; then
        report_failure "$name" "output differs under LD_PRELOAD=$lib"
        return 1
    fi
    echo "ok   $name"
}

main() {
    resolve_lib "$@"
    install_missing
    pick_python
    work=$(mktemp -d "${TMPDIR:-/tmp}/arenalloc-real.XXXXXX")
    make_inputs
    export -f "${programs[@]/#/prog_}"
    local name
    for name in "${programs[@]}"; do
        if run_program "$name"; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
        fi
    done
    if [ "$failed" -eq 0 ] && [ "${REAL_PROGRAMS_KEEP:-0}" != 1 ]; then
        rm -rf "$work"
    else
        echo "outputs kept in $work"
    fi
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

main "$@"

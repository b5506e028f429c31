#!/usr/bin/env bash
# tests/heapviz/heapviz-check.sh BUILD - tests tools/heapviz and tools/dump.schema.json on real dumps.
#
# BUILD/tests/heapviz/make_dump (tests/heapviz/make_dump.c, built against the
# prefixed library by `make heapviz-check`) makes a heap with something in every
# kind of bin and dumps it.  Asserted:
#   - every dump (sound, stepwise, damaged, threaded, large) validates against
#     tools/dump.schema.json (python3-jsonschema);
#   - the picture of the known heap has exactly one node per chunk (SVG
#     <g id="chunk_0x..." class="node">), named by the chunk's address, and one
#     edge per fd link between chunks (<g id="link_..." class="edge">), one head
#     arrow per bin, one closing arrow per doubly-linked bin, the large bin's
#     nextsize ring;
#   - three steps give three pictures, step-001.svg to step-003.svg;
#   - a damaged heap is drawn with its cut lists and damaged chunk;
#   - a heap with chunks in the per-thread cache: tcachebins[0x30] a bin of its
#     own, its chunks in the tcache colour, each link with the entry decoded and
#     as stored (safe-linked, computed here from the addresses); a poisoned cache
#     cut in red where its forged link leads;
#   - a heap of thousands of chunks is collapsed below the limit, and not with
#     --max-chunks 0;
#   - a heap of 60,000 chunks with lists of 10,000 and 20,000 is drawn, every
#     chunk in a box or a run, the long lists cut at 64 links and said so,
#     tooltips short;
#   - bad input (not JSON, another version, no such arena, the malformed dumps
#     of tests below: strings for numbers, flags as an int, Infinity, deep
#     nesting, invalid UTF-8, a FIFO, a directory, an unwritable -o, malformed
#     tcache parts) is refused
#     with "heapviz: FILE: what is wrong", exit 1, no traceback and no picture.
# Ends with "N passed, M failed"; exits non-zero when anything failed.
set -u

BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HEAPVIZ=$ROOT/tools/heapviz
SCHEMA=$ROOT/tools/dump.schema.json
MAKE_DUMP=$BUILD/tests/heapviz/make_dump
WORK=$(mktemp -d "${TMPDIR:-/tmp}/heapviz-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; }
check() { # check DESCRIPTION COMMAND...: passes when the command succeeds
    local what=$1
    shift
    if "$@"; then ok "$what"; else fail "$what"; fi
}
equal() { # equal DESCRIPTION GOT EXPECTED
    if [[ $2 == "$3" ]]; then ok "$1 ($2)"; else fail "$1: got $2, expected $3"; fi
}
finish() {
    echo "$passed passed, $failed failed"
    ((failed == 0))
    exit
}

if [[ ! -x $MAKE_DUMP ]]; then
    fail "no $MAKE_DUMP: run 'make heapviz-check'"
    finish
fi
if ! command -v rsvg-convert >/dev/null 2>&1; then
    fail "rsvg-convert is not installed (tests/install-deps.sh installs librsvg2-bin)"
    finish
fi
PY=
for p in python3 /usr/bin/python3; do
    if "$p" -c 'import jsonschema' 2>/dev/null; then PY=$p; break; fi
done
if [[ -z $PY ]]; then
    fail "no python3 with jsonschema (tests/install-deps.sh installs python3-jsonschema)"
    finish
fi

# validates FILE...: each dump is valid under the schema
validates() {
    "$PY" - "$SCHEMA" "$@" <<'EOF'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
bad = 0
for path in sys.argv[2:]:
    for e in v.iter_errors(json.load(open(path))):
        print(f"  {path}: {'/'.join(map(str, e.absolute_path))}: {e.message[:200]}", file=sys.stderr)
        bad += 1
sys.exit(1 if bad else 0)
EOF
}

# jq-like questions about a dump, in Python: count DUMP EXPR (arena 0 is `a`)
count() {
    "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
a = [x for x in d["arenas"] if x["index"] == int(sys.argv[3])][0]
print(eval(sys.argv[2]))' "$1" "$2" "${3:-0}"
}

# svg_count SVG PATTERN: <g> elements whose id starts with PATTERN, of class node or edge
svg_count() { grep -Eo "<g id=\"$2[^\"]*\" class=\"(node|edge)\"" "$1" | wc -l; }

# ---- the known heap ----------------------------------------------------------------
"$MAKE_DUMP" "$WORK/heap.json" >"$WORK/names.txt" || { fail "make_dump failed"; finish; }
check "the dump of the known heap validates against dump.schema.json" validates "$WORK/heap.json"
check "heapviz draws it" "$HEAPVIZ" -o "$WORK/heap.svg" "$WORK/heap.json" >/dev/null
svg=$WORK/heap.svg

nchunks=$(count "$WORK/heap.json" 'len(a["chunks"])')
equal "one node per chunk" "$(svg_count "$svg" 'chunk_0x')" "$nchunks"
equal "the known heap has 23 chunks (tcache struct, 11 chunks of the scenario, 9 guards, the sorting request, top)" \
    "$nchunks" 23
missing=0
while read -r name address; do
    grep -q "<g id=\"chunk_$address\" class=\"node\"" "$svg" || { echo "  no node for $name $address"; missing=1; }
done <"$WORK/names.txt"
equal "each chunk of the scenario is a node named by its address" "$missing" 0
equal "no collapsed runs below the limit" "$(svg_count "$svg" 'run_')" 0

nlinks=$(count "$WORK/heap.json" 'sum(len(b["chunks"]) - 1 for b in a["bins"])')
equal "one edge per fd link between chunks" "$(svg_count "$svg" 'link_')" "$nlinks"
equal "the known heap has 6 such links (fastbins[0x30] 2, unsorted 1, small 1, large 2)" "$nlinks" 6
equal "fastbins[0x30]: f3 -> f2 -> f1 is 2 links" "$(svg_count "$svg" 'link_fast_1_')" 2
equal "largebins[0x500-0x530]: 2 links" "$(svg_count "$svg" 'link_large_68_')" 2
equal "one node per bin" "$(svg_count "$svg" 'bin_')" 5
equal "one head arrow per bin" "$(svg_count "$svg" 'head_')" 5
equal "one arrow back to the header per doubly-linked bin" "$(svg_count "$svg" 'end_')" 3
equal "the nextsize ring of two sizes: 2 arrows" "$(svg_count "$svg" 'nextsize_')" 2
equal "no cut links in a sound heap" "$(svg_count "$svg" 'cut_')" 0
f3=$(awk '$1 == "f3" { print substr($2, 3) }' "$WORK/names.txt")
f2=$(awk '$1 == "f2" { print substr($2, 3) }' "$WORK/names.txt")
check "the head arrow of fastbins[0x30] goes to f3" grep -q "<title>b_fast_1&#45;&gt;c_$f3</title>" "$svg"
edge_title() { # the <title> of edge ID in SVG, "tail->head" without ports
    grep -A1 "<g id=\"$2\" class=\"edge\">" "$1" | sed -n 's/^<title>\(.*\)<\/title>$/\1/p' | sed 's/:[nsew]//g'
}
equal "the first fastbins[0x30] link goes from f3 to f2" "$(edge_title "$svg" link_fast_1_0)" "c_$f3&#45;&gt;c_$f2"
check "heapviz -o .png writes a PNG (through rsvg-convert)" bash -c \
    "'$HEAPVIZ' -o '$WORK/heap.png' '$WORK/heap.json' >/dev/null && head -c 8 '$WORK/heap.png' | od -An -c | grep -q 'P   N   G'"
check "links are labelled with their bin" grep -q '>fastbins\[0x30\]</text>' "$svg"
check "the legend names the states" grep -q '>free, in no bin</text>' "$svg"

# ---- steps -------------------------------------------------------------------------------
mkdir -p "$WORK/steps"
"$MAKE_DUMP" -s "$WORK/steps" >/dev/null || fail "make_dump -s failed"
check "the three step dumps validate" validates "$WORK/steps/step1.json" "$WORK/steps/step2.json" "$WORK/steps/step3.json"
check "heapviz -d draws three steps" \
    "$HEAPVIZ" -d "$WORK/out" "$WORK/steps/step1.json" "$WORK/steps/step2.json" "$WORK/steps/step3.json" >/dev/null
equal "three dumps give three SVGs" "$(cd "$WORK/out" 2>/dev/null && ls | tr '\n' ' ')" "step-001.svg step-002.svg step-003.svg "
equal "step 1: everything in use, no bins" "$(svg_count "$WORK/out/step-001.svg" 'bin_')" 0
equal "step 2: five chunks in the unsorted bin, 4 links" "$(svg_count "$WORK/out/step-002.svg" 'link_unsorted_1_')" 4
equal "step 3: the known heap's links" "$(svg_count "$WORK/out/step-003.svg" 'link_')" 6
check "each step says which it is" grep -q 'step 2 of 3' "$WORK/out/step-002.svg"

# ---- damage ------------------------------------------------------------------------------
"$MAKE_DUMP" -x "$WORK/damaged.json" >/dev/null || fail "make_dump -x failed"
check "a damaged dump validates (the damage texts are the schema's)" validates "$WORK/damaged.json"
check "heapviz draws a damaged heap" "$HEAPVIZ" -o "$WORK/damaged.svg" "$WORK/damaged.json" >/dev/null
equal "the fastbin loop and the small bin's fd outside are cut links" "$(svg_count "$WORK/damaged.svg" 'cut_')" 2
equal "the address outside the heap is a node" "$(svg_count "$WORK/damaged.svg" 'outside_0xdeadbeef0')" 1
check "the damaged chunk says what is wrong" grep -q '!! size is not a chunk' "$WORK/damaged.svg"
equal "one node per chunk, damaged heap too" "$(svg_count "$WORK/damaged.svg" 'chunk_0x')" \
    "$(count "$WORK/damaged.json" 'len(a["chunks"])')"

# ---- a thread arena --------------------------------------------------------------------
"$MAKE_DUMP" -t "$WORK/thread.json" >/dev/null || fail "make_dump -t failed"
check "a dump with a thread arena validates" validates "$WORK/thread.json"
equal "the thread arena is arena 1, kind thread" "$(count "$WORK/thread.json" 'a["kind"]' 1)" thread
check "heapviz --arena 1 draws it" "$HEAPVIZ" --arena 1 -o "$WORK/thread.svg" "$WORK/thread.json" >/dev/null
equal "arena 1: one node per chunk" "$(svg_count "$WORK/thread.svg" 'chunk_0x')" \
    "$(count "$WORK/thread.json" 'len(a["chunks"])' 1)"

# ---- the per-thread cache -------------------------------------------------------------------
"$MAKE_DUMP" -c "$WORK/tcache.json" >"$WORK/tcache-names.txt" || fail "make_dump -c failed"
check "a dump with entries in the per-thread cache validates" validates "$WORK/tcache.json"
check "heapviz draws it" "$HEAPVIZ" -o "$WORK/tcache.svg" "$WORK/tcache.json" >/dev/null
c1=$(awk '$1 == "c1" { print substr($2, 3) }' "$WORK/tcache-names.txt")
c2=$(awk '$1 == "c2" { print substr($2, 3) }' "$WORK/tcache-names.txt")
c3=$(awk '$1 == "c3" { print substr($2, 3) }' "$WORK/tcache-names.txt")
equal "tcachebins[0x30] is a bin of its own" "$(svg_count "$WORK/tcache.svg" 'bin_tcache_1')" 1
equal "its head arrow goes to c3, the last freed" "$(edge_title "$WORK/tcache.svg" head_tcache_1)" "b_tcache_1&#45;&gt;c_$c3"
equal "c3 -> c2 -> c1: 2 links" "$(svg_count "$WORK/tcache.svg" 'link_tcache_1_')" 2
equal "the first link goes from c3 to c2" "$(edge_title "$WORK/tcache.svg" link_tcache_1_0)" "c_$c3&#45;&gt;c_$c2"
edge_says() { # edge_says SVG ID REGEX: the edge's elements, on one line, match REGEX
    grep -A6 "<g id=\"$2\" class=\"edge\">" "$1" | tr '\n' ' ' | grep -Eq "$3"
}
# The link from c3 to c2 is stored in c3's memory (c3 + 16) as (where >> 12) ^ (c2 + 16).
stored=$(printf '0x%x' $(( ((0x$c3 + 16) >> 12) ^ (0x$c2 + 16) )))
check "the link shows the entry decoded ($(printf '0x%x' $((0x$c2 + 16)))) and as stored ($stored)" \
    edge_says "$WORK/tcache.svg" link_tcache_1_0 ">next $(printf '0x%x' $((0x$c2 + 16)))</text>.*>stored $stored</text>"
equal "the cached chunks have the tcache state" "$(count "$WORK/tcache.json" 'sum(c["state"] == "tcache" for c in a["chunks"])' 0)" 3
equal "no arrow back to a header: the list ends in NULL" "$(svg_count "$WORK/tcache.svg" 'end_tcache')" 0
equal "the three cached chunks are drawn in the tcache colour" \
    "$(grep -A3 -E "<g id=\"chunk_0x($c1|$c2|$c3)\" class=\"node\">" "$WORK/tcache.svg" | grep -c 'fill="#99e0d5"')" 3
check "the legend names the tcache state" grep -q '>tcache</text>' "$WORK/tcache.svg"
check "the bin's box shows its stored count" grep -q '>3 chunks, count 3</text>' "$WORK/tcache.svg"
"$MAKE_DUMP" -p "$WORK/poisoned.json" >"$WORK/poisoned-names.txt" || fail "make_dump -p failed"
p3=$(awk '$1 == "c3" { print substr($2, 3) }' "$WORK/poisoned-names.txt")
check "a poisoned cache's dump validates" validates "$WORK/poisoned.json"
check "heapviz draws a poisoned cache" "$HEAPVIZ" -o "$WORK/poisoned.svg" "$WORK/poisoned.json" >/dev/null
equal "its list is cut at c3's forged next, drawn to the address outside" \
    "$(edge_title "$WORK/poisoned.svg" cut_tcache_1)" "c_$p3&#45;&gt;x_deadbeef0"
check "the cut says where it led" grep -q '>!! next 0xdeadbeef0</text>' "$WORK/poisoned.svg"
check "the bin's box says what is wrong" grep -q '>!! an entry that is not a chunk of<' "$WORK/poisoned.svg"

# ---- thousands of chunks -------------------------------------------------------------------
"$MAKE_DUMP" -m "$WORK/many.json" >/dev/null || fail "make_dump -m failed"
check "a dump of thousands of chunks validates" validates "$WORK/many.json"
check "heapviz draws it" "$HEAPVIZ" -o "$WORK/many.svg" "$WORK/many.json" >/dev/null
boxes=$(($(svg_count "$WORK/many.svg" 'chunk_0x') + $(svg_count "$WORK/many.svg" 'run_')))
check "runs in use are collapsed: $boxes boxes for $(count "$WORK/many.json" 'len(a["chunks"])') chunks" \
    test "$boxes" -le 200 -a "$(svg_count "$WORK/many.svg" 'run_')" -gt 0
check "and the title says so" grep -q 'collapsed into' "$WORK/many.svg"
"$HEAPVIZ" --max-chunks 0 -o "$WORK/many-all.svg" "$WORK/many.json" >/dev/null
equal "--max-chunks 0 keeps every chunk" "$(svg_count "$WORK/many-all.svg" 'chunk_0x')" \
    "$(count "$WORK/many.json" 'len(a["chunks"])')"

# ---- bad input -------------------------------------------------------------------------------
refuses() { # refuses DESCRIPTION MESSAGE-REGEX heapviz-args...: exit 1, one line, no picture
    local what=$1 msg=$2 status
    shift 2
    rm -f "$WORK/bad.svg"
    timeout 60 "$HEAPVIZ" -o "$WORK/bad.svg" "$@" 2>"$WORK/err" >/dev/null
    status=$?
    if ((status == 0)); then
        fail "$what: accepted"
    elif ((status != 1)) || [[ $(wc -l <"$WORK/err") != 1 ]]; then
        fail "$what: exit $status, stderr: $(head -c 300 "$WORK/err")"
    elif ! grep -Eq "$msg" "$WORK/err"; then
        fail "$what: the message was: $(cat "$WORK/err")"
    elif [[ -e $WORK/bad.svg ]]; then
        fail "$what: a picture was written all the same"
    else
        ok "$what: $(head -c 100 "$WORK/err")"
    fi
}
echo 'this is not JSON' >"$WORK/notjson.json"
sed 's/"version": 1/"version": 2/' "$WORK/heap.json" >"$WORK/v2.json"
refuses "not JSON" "^heapviz: .*/notjson.json: not JSON" "$WORK/notjson.json"
refuses "another version" "^heapviz: .*/v2.json: dump version 2" "$WORK/v2.json"
refuses "no such arena" "^heapviz: .*/heap.json: no arena 7" --arena 7 "$WORK/heap.json"
refuses "no such file" "^heapviz: .*/nothere.json: cannot read" "$WORK/nothere.json"
# mutate NAME PYTHON [FROM]: WORK/NAME.json is heap.json (or WORK/FROM.json) changed by
# PYTHON acting on d (the dump) and a (arena 0); the malformed dumps real tools and
# hands have produced.
mutate() {
    "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
a = d["arenas"][0]
exec(sys.argv[3])
open(sys.argv[2], "w").write(json.dumps(d) if not isinstance(d, str) else d)' "$WORK/${3:-heap}.json" "$WORK/$1.json" "$2"
}
mutate nosizemin 'b = [b for b in a["bins"] if b["kind"] == "small"][0]; del b["size_min"]'
refuses "a bin without size_min" '^heapviz: .*/nosizemin.json: arenas\[0\]\.bins\[[0-9]+\]: no "size_min"$' "$WORK/nosizemin.json"
mutate strsize 'a["chunks"][3]["size"] = str(a["chunks"][3]["size"])'
refuses "a size given as a string" '^heapviz: .*/strsize.json: arenas\[0\]\.chunks\[3\]\.size: "[0-9]+" is not a whole number$' "$WORK/strsize.json"
mutate strindex 'a["bins"][0]["index"] = "0"'
refuses "a bin index given as a string" 'arenas\[0\]\.bins\[0\]\.index: "0" is not a whole number$' "$WORK/strindex.json"
mutate intflags 'a["chunks"][0]["flags"] = 1'
refuses "flags as an int" '^heapviz: .*/intflags.json: arenas\[0\]\.chunks\[0\]\.flags: not an array$' "$WORK/intflags.json"
mutate infsize 'd = json.dumps(d).replace("\"size\": %d" % a["chunks"][1]["size"], "\"size\": Infinity", 1)'
refuses "size Infinity" '^heapviz: .*/infsize.json: not JSON \(Infinity is not a number a dump can hold\)$' "$WORK/infsize.json"
mutate nansize 'd = json.dumps(d).replace("\"top_size\": ", "\"top_size\": NaN, \"x\": ", 1)'
refuses "NaN" 'nansize.json: not JSON \(NaN is not a number a dump can hold\)$' "$WORK/nansize.json"
mutate hugesize 'a["chunks"][2]["size"] = 1 << 70'
refuses "a size past 2^64" 'hugesize.json: arenas\[0\]\.chunks\[2\]\.size: [0-9]+ is out of range$' "$WORK/hugesize.json"
mutate badaddr 'a["bins"][0]["chunks"][0] = "0xZZ"'
refuses "an address that is not hex" 'badaddr.json: arenas\[0\]\.bins\[0\]\.chunks\[0\]: "0xZZ" is not an address' "$WORK/badaddr.json"
mutate boolver 'd["version"] = True'
refuses "version true" 'boolver.json: dump version true, heapviz reads version 1$' "$WORK/boolver.json"
mutate chunksobj 'a["chunks"] = {"0": 1}'
refuses "chunks as an object" 'chunksobj.json: arenas\[0\]\.chunks: not an array$' "$WORK/chunksobj.json"
mutate notop 'del a["top"]'
refuses "an arena without top" 'notop.json: arenas\[0\]: no "top"$' "$WORK/notop.json"
mutate tcstr 'd["tcache"] = "0x10"' tcache
refuses "tcache as a string" '^heapviz: .*/tcstr.json: tcache: not an object$' "$WORK/tcstr.json"
mutate tcshort 'd["tcache"]["bins"][0]["stored"].pop()' tcache
refuses "a cache bin with fewer links stored than entries" \
    'tcshort.json: tcache\.bins\[0\]\.stored: 2 links for 3 entries$' "$WORK/tcshort.json"
mutate tcidx 'd["tcache"]["bins"][0]["index"] = 64' tcache
refuses "a cache bin index past 63" 'tcidx.json: tcache\.bins\[0\]\.index: 64 is not a bin of the cache' "$WORK/tcidx.json"
mutate tcentry 'd["tcache"]["bins"][0]["entries"][1] = "0x8"' tcache
refuses "an entry below 16" 'tcentry.json: tcache\.bins\[0\]\.entries\[1\]: 0x8 is not a chunk.s user memory$' \
    "$WORK/tcentry.json"
mutate tcnoend 'del d["tcache"]["bins"][0]["end"]' tcache
refuses "a cache bin without end" 'tcnoend.json: tcache\.bins\[0\]: no "end"$' "$WORK/tcnoend.json"
mutate tccount 'd["tcache"]["bins"][0]["count"] = "3"' tcache
refuses "a count given as a string" 'tccount.json: tcache\.bins\[0\]\.count: "3" is not a whole number$' "$WORK/tccount.json"
# A count the list disagrees with is damage the dump reports, not bad input: drawn, the
# whole list, no cut.
mutate tcmiscount 'b = d["tcache"]["bins"][0]; b["count"] = 5; b["damage"] = "the count differs from the list\x27s length"' tcache
check "a cache bin whose count differs from its list is drawn" \
    "$HEAPVIZ" -o "$WORK/tcmiscount.svg" "$WORK/tcmiscount.json" >/dev/null
equal "...with its whole list and no cut link" \
    "$(svg_count "$WORK/tcmiscount.svg" 'link_tcache_1_') $(svg_count "$WORK/tcmiscount.svg" 'cut_')" "2 0"
check "...its box saying so" grep -q '>3 chunks, count 5</text>' "$WORK/tcmiscount.svg"
"$PY" -c 'print("[" * 100000 + "]" * 100000)' >"$WORK/deep.json"
refuses "deep nesting" '^heapviz: .*/deep.json: not a heap dump \(JSON nested too deeply\)$' "$WORK/deep.json"
printf '{"version": 1, "arenas": ["\xff\xfe"]}' >"$WORK/utf8.json"
refuses "invalid UTF-8" '^heapviz: .*/utf8.json: not JSON \(invalid UTF-8\) \(at byte 27\)$' "$WORK/utf8.json"
printf '{"version": 1,\n "arenas": [}' >"$WORK/broken.json"
refuses "broken JSON says where" '^heapviz: .*/broken.json: not JSON \(Expecting value\); .* \(at byte 27\)$' "$WORK/broken.json"
: >"$WORK/empty.json"
refuses "an empty file" '^heapviz: .*/empty.json: not JSON .*\(at byte 0\)$' "$WORK/empty.json"
mkfifo "$WORK/fifo.json"
refuses "a FIFO (no writer: must not wait)" '^heapviz: .*/fifo.json: cannot read: not a regular file' "$WORK/fifo.json"
mkdir -p "$WORK/dir.json"
refuses "a directory" '^heapviz: .*/dir.json: cannot read: a directory, not a dump$' "$WORK/dir.json"
# An unwritable place even for root: sysfs takes no new files.
if "$HEAPVIZ" -o /sys/heapviz-test.svg "$WORK/heap.json" >/dev/null 2>"$WORK/err"; then
    fail "an unwritable -o path: accepted"
elif grep -Eq "^heapviz: /sys/heapviz-test.svg: cannot write: (Permission denied|Read-only file system)$" "$WORK/err"; then
    ok "an unwritable -o path: $(cat "$WORK/err")"
else
    fail "an unwritable -o path: $(cat "$WORK/err")"
fi
if "$HEAPVIZ" -o "$WORK/nodir/sub/heap.svg" "$WORK/heap.json" >/dev/null 2>"$WORK/err"; then
    fail "an -o path in no directory: accepted"
elif grep -Eq "^heapviz: .*/nodir/sub/heap.svg: cannot write: No such file or directory$" "$WORK/err"; then
    ok "an -o path that cannot be written: $(cat "$WORK/err")"
else
    fail "an -o path in no directory: $(cat "$WORK/err")"
fi
if "$HEAPVIZ" -o "$WORK/dir.json" "$WORK/heap.json" >/dev/null 2>"$WORK/err"; then
    fail "-o a directory: accepted"
elif grep -Eq "^heapviz: .*/dir.json: cannot write: Is a directory$" "$WORK/err"; then
    ok "-o a directory: $(cat "$WORK/err")"
else
    fail "-o a directory: $(cat "$WORK/err")"
fi

# ---- a heap of a real program's size: tens of thousands of chunks, long lists ----------------
"$MAKE_DUMP" -b "$WORK/big.json" >/dev/null || fail "make_dump -b failed"
big_chunks=$(count "$WORK/big.json" 'len(a["chunks"])')
start=$EPOCHREALTIME
check "heapviz draws $big_chunks chunks" "$HEAPVIZ" -o "$WORK/big.svg" "$WORK/big.json" >/dev/null
took=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
boxes=$(($(svg_count "$WORK/big.svg" 'chunk_0x') + $(svg_count "$WORK/big.svg" 'run_')))
check "...in $took s, as $boxes boxes: every chunk in one, at most 1000 boxes" \
    "$PY" -c '
import re, sys
svg = open(sys.argv[1]).read()
n = 0
for m in re.finditer(r"<g id=\"run_[^\"]*\" class=\"node\">\n<title>[^<]*</title>\n<a xlink:title=\"([0-9]+) chunks", svg):
    n += int(m.group(1))
n += len(re.findall(r"<g id=\"chunk_0x", svg))
sys.exit(not (n == int(sys.argv[2]) and int(sys.argv[3]) <= 1000))' "$WORK/big.svg" "$big_chunks" "$boxes"
equal "one node and one head arrow per bin" "$(svg_count "$WORK/big.svg" 'bin_') $(svg_count "$WORK/big.svg" 'head_')" \
    "$(count "$WORK/big.json" 'len(a["bins"])') $(count "$WORK/big.json" 'len(a["bins"])')"
equal "the first 64 links of each long list are drawn" "$(svg_count "$WORK/big.svg" 'link_')" \
    "$(count "$WORK/big.json" 'sum(min(64, len(b["chunks"]) - 1) for b in a["bins"])')"
check "the title says the lists are cut" grep -q 'long lists: the first 64 links of each bin are drawn' "$WORK/big.svg"
longest=$("$PY" -c 'import re, sys; print(max(len(t) for t in re.findall(r"xlink:title=\"([^\"]*)\"", open(sys.argv[1]).read())))' "$WORK/big.svg")
check "no tooltip over 2000 characters (the longest: $longest)" test "$longest" -le 2000
check "a bin's tooltip names its first addresses and how many more" \
    grep -Eq 'xlink:title="unsortedbin: [0-9]+ chunks, from the head: (0x[0-9a-f]+ -&gt; ){20}\.\.\. and [0-9]+ more"' "$WORK/big.svg"

rm -rf "$WORK/out2"
if "$HEAPVIZ" -d "$WORK/out2" "$WORK/heap.json" "$WORK/notjson.json" >/dev/null 2>&1 || [[ -e $WORK/out2/step-001.svg ]]; then
    fail "-d with a bad dump among good ones draws nothing"
else
    ok "-d with a bad dump among good ones draws nothing"
fi

finish

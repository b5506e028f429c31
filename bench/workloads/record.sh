#!/usr/bin/env bash
# record.sh - records the real-program workloads of `make demo` again:
#
#   bench/workloads/record.sh [BUILD]        (after `make tools`)
#
#   python3-json-regex  python3 (PYTHONMALLOC=malloc, so every object is a
#                       malloc) running python_json_regex.py
#   gcc-cc1             cc1, the compiler proper, compiling a generated C file of
#                       400 functions at -O2 (gen_c_source.sh)
#   sqlite3-table       sqlite3 building, indexing and querying a 100,000-row
#                       table in memory (sqlite.sql)
#
# Each trace is stored xz-compressed beside this script.  Recordings differ a
# little from machine to machine (library versions, environment), so the
# bundled ones are what `make demo` replays; rerun this to refresh them.
set -euo pipefail

build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
record=$root/bench/trace/arena-record
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export ARENALLOC_RECORD_LIB=$root/$build/tools/libarenalloc-record.so

store() { # store NAME TRACE
    xz -9 -c "$2" >"$here/$1.trace.xz"
    echo "$1: $(stat -c %s "$2") bytes, $(stat -c %s "$here/$1.trace.xz") compressed"
}

PYTHONMALLOC=malloc "$record" -o "$tmp/python.trace" -- python3 "$here/python_json_regex.py" >/dev/null
store python3-json-regex "$tmp/python.trace"

"$here/gen_c_source.sh" 400 >"$tmp/gen.c"
"$record" --all -o "$tmp/gcc.trace" -- gcc -O2 -c "$tmp/gen.c" -o "$tmp/gen.o"
# Every process of the compile wrote its own trace; cc1 is the largest.
store gcc-cc1 "$(ls -S "$tmp"/gcc*.trace | head -n 1)"

"$record" -o "$tmp/sqlite.trace" -- sqlite3 :memory: <"$here/sqlite.sql" >/dev/null
store sqlite3-table "$tmp/sqlite.trace"

#!/usr/bin/env bash
# tests/install/install-check.sh BUILD - `make install` and `make uninstall`, into scratch directories.
#
#   - make install PREFIX=<scratch> puts every file where the Makefile says;
#   - a program builds with `pkg-config --cflags --libs arenalloc` alone and runs
#     against the installed library (the .pc file's rpath: no LD_LIBRARY_PATH);
#   - the installed tools run from there: arena-synth, arena-trace, arena-replay,
#     arena-record (finding its recorder library where install put it), heapviz;
#     the installed gdbinit sources the installed arenalloc.py;
#   - DESTDIR stages the same tree under another root, with PREFIX's paths inside;
#   - make uninstall removes every file install made, and nothing else.
# Ends with "N passed, M failed".
set -u

build=${1:-build}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/arenalloc-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
check() { # check NAME COMMAND...
    if "${@:2}"; then echo "ok   - $1"; passed=$((passed + 1)); else echo "FAIL - $1"; failed=$((failed + 1)); fi
}
finish() { echo "$passed passed, $failed failed"; ((failed == 0)); exit; }

prefix=$work/usr
make -C "$root" --no-print-directory BUILD="$build" install PREFIX="$prefix" >"$work/install.log" 2>&1
check "make install PREFIX=$prefix" test $? -eq 0 || { tail -20 "$work/install.log"; finish; }
files=(bin/arena-trace bin/arena-replay bin/arena-synth bin/arena-record bin/heapviz
       lib/libarenalloc.so lib/libarenalloc-prefixed.a lib/libarenalloc-prefixed.so
       lib/arenalloc/libarenalloc-record.so include/arenalloc.h share/arenalloc/gdb/arenalloc.py
       share/arenalloc/gdb/stepping.gdb share/arenalloc/gdb/gdbinit share/arenalloc/dump.schema.json lib/pkgconfig/arenalloc.pc)
missing=()
for f in "${files[@]}"; do [[ -f $prefix/$f ]] || missing+=("$f"); done
check "every file installed (${#files[@]}; missing: ${missing[*]:-none})" test ${#missing[@]} -eq 0
check "and nothing else" test "$(find "$prefix" -type f | wc -l)" -eq ${#files[@]}

# A course program, built with pkg-config only, run from anywhere.
cat >"$work/prog.c" <<'C'
#include <arenalloc.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
    char *p = arenalloc_malloc(100);
    if (p == NULL)
        return 1;
    strcpy(p, "hello from arenalloc");
    puts(p);
    arenalloc_free(p);
    return 0;
}
C
flags=$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs arenalloc)
check "pkg-config --cflags --libs arenalloc ($flags)" test -n "$flags"
# shellcheck disable=SC2086 # the flags are words
cc -o "$work/prog" "$work/prog.c" $flags 2>"$work/cc.err"
check "a program builds with those flags alone" test $? -eq 0 || cat "$work/cc.err"
check "and runs against the installed library" \
    bash -c "cd / && env -u LD_LIBRARY_PATH '$work/prog' | grep -qx 'hello from arenalloc' && ldd '$work/prog' | grep -q '$prefix/lib/libarenalloc-prefixed.so'"
check "the drop-in library preloads" env LD_PRELOAD="$prefix/lib/libarenalloc.so" sh -c 'echo x | sort >/dev/null'

# The tools, from where they were installed.
cd "$work" || finish
check "arena-synth and arena-trace run" \
    bash -c "'$prefix/bin/arena-synth' ramp --ops 1000 -o r.trace && '$prefix/bin/arena-trace' info r.trace | grep -qx 'ops: 1000'"
check "arena-replay runs" bash -c "'$prefix/bin/arena-replay' r.trace | grep -q '^allocator=arenalloc .* ops=1000 '"
check "arena-record finds its library where install put it" \
    bash -c "'$prefix/bin/arena-record' -o rec.trace -- sort /dev/null 2>/dev/null && '$prefix/bin/arena-trace' info rec.trace | grep -q '^program: sort'"
check "heapviz runs" bash -c "'$prefix/bin/heapviz' --help | grep -q '^usage: heapviz'"
check "the gdbinit sources the installed script" \
    grep -qx "source $prefix/share/arenalloc/gdb/arenalloc.py" "$prefix/share/arenalloc/gdb/gdbinit"
cd "$root" || finish

make -C "$root" --no-print-directory BUILD="$build" uninstall PREFIX="$prefix" >"$work/uninstall.log" 2>&1
check "make uninstall" test $? -eq 0
check "leaves no file behind ($(find "$prefix" -type f | head -3 | tr '\n' ' '))" test "$(find "$prefix" -type f | wc -l)" -eq 0

# DESTDIR: a staged tree for a package, paths inside naming the final PREFIX.
stage=$work/stage
make -C "$root" --no-print-directory BUILD="$build" install DESTDIR="$stage" PREFIX=/opt/arenalloc >"$work/dest.log" 2>&1
check "make install DESTDIR=... PREFIX=/opt/arenalloc" test -f "$stage/opt/arenalloc/lib/pkgconfig/arenalloc.pc"
check "the staged .pc names the final prefix" grep -qx 'libdir=/opt/arenalloc/lib' "$stage/opt/arenalloc/lib/pkgconfig/arenalloc.pc"
check "nothing written outside DESTDIR" test ! -e /opt/arenalloc
make -C "$root" --no-print-directory BUILD="$build" uninstall DESTDIR="$stage" PREFIX=/opt/arenalloc >/dev/null 2>&1
check "make uninstall DESTDIR=... empties the stage" test "$(find "$stage" -type f | wc -l)" -eq 0
finish

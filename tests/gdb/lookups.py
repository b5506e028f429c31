# tests/gdb/lookups.py - sourced by tests/gdb/gdb-check.sh in a stopped process:
# prints, for each of glibc's malloc globals, the file gdb's static-symbol
# lookup (what pwndbg and gef use) finds it in, then the values those tools
# read from it.  One "lookup NAME FILE" line each, "-" when not found; then
# the functions `step` skips.
import os

import gdb

for name in ("main_arena", "mp_", "global_max_fast", "thread_arena", "tcache", "narenas",
             "__malloc_initialized"):
    sym = gdb.lookup_static_symbol(name)
    where = os.path.basename(sym.symtab.objfile.filename) if sym is not None and sym.symtab else "-"
    gdb.write("lookup %s %s\n" % (name, where))

for expr in ("mp_.tcache_bins", "mp_.tcache_max_bytes", "mp_.tcache_count", "(int) __malloc_initialized",
             "heap_max_bytes"):
    gdb.write("value %s = %d\n" % (expr, int(gdb.parse_and_eval(expr))))

# How far mp_ lies below main_arena: attacks that leak main_arena reach mp_ by it.
gdb.write("distance mp_ main_arena = %#x\n"
          % int(gdb.parse_and_eval("(char *) &main_arena - (char *) &mp_")))

# The functions stepping.gdb made gdb skip (gdb-check.sh finds each in bins/*.h).
for line in gdb.execute("info skip", to_string=True).splitlines()[1:]:
    gdb.write("skip %s\n" % line.split()[-1])

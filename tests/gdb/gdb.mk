# tests/gdb/gdb.mk - the gdb commands (tools/gdb/arenalloc.py), included by the Makefile.
#
#   make gdb-check    build the libraries, then tests/gdb/gdb-check.sh: the commands'
#                     output against arenalloc_dump's, on a live process, a core
#                     file, a damaged heap, the DEBUG build (built under
#                     $(BUILD)/debug, brought up to date) and the drop-in library
#                     in both heap sizes (1 MiB, ARENALLOC_HEAP_MAX_SIZE=64M): there
#                     also gdb's static lookups of main_arena, mp_ ... (they must
#                     land in libarenalloc.so, with libc6-dbg installed),
#                     arena-break and stepping.gdb
#
# Needs gdb.  Outputs stay in $(BUILD)/tests/gdb/.

.PHONY: gdb-check

gdb-check: all
	@tests/gdb/gdb-check.sh $(BUILD)

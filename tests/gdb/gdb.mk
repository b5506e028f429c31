# tests/gdb/gdb.mk - the gdb commands (tools/gdb/arenalloc.py), included by the Makefile.
#
#   make gdb-check    build the libraries, then tests/gdb/gdb-check.sh: the commands'
#                     output against arenalloc_dump's, on a live process, a core
#                     file, a damaged heap, the DEBUG build (built under
#                     $(BUILD)/debug, brought up to date) and the drop-in library
#
# Needs gdb.  Outputs stay in $(BUILD)/tests/gdb/.

.PHONY: gdb-check

gdb-check: all
	@tests/gdb/gdb-check.sh $(BUILD)

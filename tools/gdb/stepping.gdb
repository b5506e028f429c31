# tools/gdb/stepping.gdb - stepping through arenalloc without detours.
#
# Loaded by `source tools/gdb/arenalloc.py` (with the commands), or on its own:
#     (gdb) source tools/gdb/stepping.gdb
#
# `step` goes into every function a line calls, and most lines of _int_malloc
# call several of bins/*.h's one-line helpers (chunksize, set_head, bin_at,
# chunk_at_offset ...): that is most of the 161 `step`s one malloc takes in the
# DEBUG build.  They are skipped below, so `step` stays in the algorithm and
# goes only into functions that are steps of it (malloc_consolidate,
# unlink_chunk, tcache_put, sysmalloc ...).  `info skip` lists them; `skip
# disable N` (or `skip delete`) brings one back; to go into a skipped helper
# once, `break` on it.  The list is every bins/*.h function whose body is one
# statement; `make gdb-check` finds each in the library's debug information.
#
# Which build to step through: the DEBUG build (make DEBUG=1, -O0 -g3).  At
# -O2 the compiler moves lines (large-bin and binmap lines show before the
# unsorted scan that serves the request) and keeps nb, victim, p in registers
# only ("optimized out").  See README.md, "Stepping through malloc in gdb".
#
# arenalloc.py also sets the source path: when the library was built in another
# tree, gdb finds the files of this one (set substitute-path).

# bins/bin_index.h
skip function in_smallbin_range
skip function smallbin_index
skip function bin_index
skip function idx2block
skip function idx2bit
skip function fastbin_index

# bins/checks.h
skip function checks_since

# bins/chunk.h
skip function chunk2mem
skip function mem2chunk
skip function aligned_OK
skip function misaligned_chunk
skip function chunksize_nomask
skip function chunksize
skip function prev_size
skip function set_prev_size
skip function prev_inuse
skip function chunk_is_mmapped
skip function chunk_main_arena
skip function set_non_main_arena
skip function chunk_at_offset
skip function next_chunk
skip function prev_chunk
skip function inuse
skip function inuse_bit_at_offset
skip function set_inuse_bit_at_offset
skip function clear_inuse_bit_at_offset
skip function set_head_size
skip function set_head
skip function set_foot
skip function memsize

# bins/fastbins.h
skip function get_max_fast
skip function set_max_fast
skip function fastbin
skip function reveal_ptr

# bins/malloc_par.h
skip function heap_max_size

# bins/malloc_state.h
skip function next_bin
skip function first
skip function last
skip function unsorted_chunks
skip function initial_top
skip function mark_bin
skip function unmark_bin
skip function get_binmap
skip function contiguous
skip function set_noncontiguous
skip function arena_bit

# bins/perturb.h
skip function perturbing

# bins/tcache.h
skip function tidx2usize
skip function tidx2csize
skip function csize2tidx
skip function usize2tidx
skip function tcache_key_value
skip function tcache_protect
skip function tcache_reveal

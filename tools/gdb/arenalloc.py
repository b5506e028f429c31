# arenalloc.py - gdb commands that show arenalloc's heap: arenas, chunks, bins.
#
# Load it in gdb with
#
#     source tools/gdb/arenalloc.py
#
# (or see tools/gdb/gdbinit).  The commands:
#
#     arena-arenas          every arena, and the mmapped chunks
#     arena-heap [N]        the chunks of every arena, or of arena N, in address order
#     arena-bins [N]        the non-empty bins of every arena, or of arena N, as lists
#     arena-chunk ADDR      one chunk, by its address or by its user pointer
#     arena-vis [N] [ADDR]  the raw words of N chunks from ADDR, each word labelled
#     arena-break NAME      a breakpoint on arenalloc's function NAME, not libc's
#
# Loading this file also loads stepping.gdb beside it (skip the one-line helpers
# of bins/*.h) and points gdb at this tree's sources (set_source_path).
#
# arena-arenas, arena-heap and arena-bins print, byte for byte, the lines that
# arenalloc_dump(out, ..., ARENALLOC_DUMP_TEXT) prints from inside the process
# (inspect/dump_text.c): this file repeats the walk of inspect/heap_snapshot.c step by
# step, so the two can be compared line by line.  The difference is where they
# run: arenalloc_dump runs in the process and can be called only while it runs;
# these commands run in gdb and read the process's memory, so they also work on a
# stopped process that must not be disturbed, and on a core file.
#
# Rules this file keeps:
#   - memory is read only through gdb (symbols' addresses, types' layouts, and
#     gdb.Inferior.read_memory); no function of the program is ever called;
#   - nothing read is trusted: a size or a link is followed only where the C walk
#     follows it, every loop is bounded, and memory gdb cannot read
#     (gdb.MemoryError) is shown as damage ("!! ..."), never as a Python error.
#
# Only Python's standard library and gdb's own module are used.

import os
import struct

import gdb

# ---- the allocator's constants (bins/chunk.h, bins/bin_index.h, arena/arena.h) ----

SIZE_SZ = 8
CHUNK_HDR_SZ = 2 * SIZE_SZ                 # prev_size + size
MALLOC_ALIGNMENT = 16
MALLOC_ALIGN_MASK = MALLOC_ALIGNMENT - 1
MIN_CHUNK_SIZE = 32                        # offsetof(struct malloc_chunk, fd_nextsize)
MINSIZE = 32
LARGE_CHUNK_FIELDS = 48                    # sizeof(struct malloc_chunk): up to bk_nextsize

PREV_INUSE = 0x1
IS_MMAPPED = 0x2
NON_MAIN_ARENA = 0x4
SIZE_BITS = PREV_INUSE | IS_MMAPPED | NON_MAIN_ARENA

NFASTBINS = 10
NBINS = 128
NSMALLBINS = 64
MIN_LARGE_SIZE = NSMALLBINS * MALLOC_ALIGNMENT   # 1024

# A thread arena's heap size and alignment (HEAP_MAX_SIZE) is a setting of the
# process (1 MiB or 64 MiB): read from its heap_max_bytes, never assumed here.
MAX_ARENA_REGIONS = 1024                   # regions arena_regions() returns at most
MAX_MAIN_SEGMENTS = 64

UINTPTR_MAX = (1 << 64) - 1

# Limits of our own, so that no walk of a damaged heap runs for ever.  The C walk
# needs none of these (it cannot meet them without reading outside the heap).
MAX_ARENAS = 4096
MAX_CHUNKS_PER_ARENA = 4 * 1024 * 1024

# The states of a chunk (enum chunk_state, inspect/heap_snapshot.h), same order,
# and their names (chunk_state_name).
(CHUNK_IN_USE, CHUNK_FASTBIN, CHUNK_UNSORTED, CHUNK_SMALLBIN, CHUNK_LARGEBIN,
 CHUNK_FREE, CHUNK_TOP, CHUNK_FENCEPOST, CHUNK_TCACHE) = range(9)
CHUNK_STATE_NAMES = ["in use", "fastbins", "unsortedbin", "smallbins",
                     "largebins", "free", "top", "fencepost", "tcachebins"]

# The per-thread cache (bins/tcache.h): 64 bins of uint16_t counts (one byte in
# a build of a release before 2.30), then the entries' heads; bin i holds
# chunks of size 32 + 16 i.
TCACHE_MAX_BINS = 64


def tidx2csize(i):
    return i * MALLOC_ALIGNMENT + MINSIZE

# The kinds of bin (enum bin_kind) and their names (bin_kind_name).
BIN_FAST, BIN_UNSORTED, BIN_SMALL, BIN_LARGE = range(4)
BIN_KIND_NAMES = ["fastbins", "unsortedbin", "smallbins", "largebins"]
# The state a chunk takes in a list of each kind (state_of).
STATE_OF_KIND = [CHUNK_FASTBIN, CHUNK_UNSORTED, CHUNK_SMALLBIN, CHUNK_LARGEBIN]

SNAP_NBINS = NFASTBINS + NBINS - 1         # fastbins, then bins 1..127

# Damage found only by gdb: memory that the process could read but gdb cannot
# (the C walk never meets it; a core file may lack pages, a broken pointer may
# lead anywhere).
DAMAGE_UNREADABLE = "gdb cannot read memory here"


# ---- size arithmetic (bins/chunk.h, bins/bin_index.h) ------------------------------

def chunksize(size_field):
    """The size of a chunk, without the A|M|P bits."""
    return size_field & ~SIZE_BITS & UINTPTR_MAX


def aligned_ok(value):
    return value & MALLOC_ALIGN_MASK == 0


def misaligned_chunk(addr):
    """True when the chunk's user pointer (addr + 16) is not 16-aligned."""
    return not aligned_ok(addr + CHUNK_HDR_SZ)


def fastbin_index(size):
    """(unsigned)(sz >> 4) - 2, with C's unsigned wrap-around."""
    return (((size >> 4) & 0xFFFFFFFF) - 2) & 0xFFFFFFFF


def largebin_index(size):
    if (size >> 6) <= 48:
        return 48 + (size >> 6)
    if (size >> 9) <= 20:
        return 91 + (size >> 9)
    if (size >> 12) <= 10:
        return 110 + (size >> 12)
    if (size >> 15) <= 4:
        return 119 + (size >> 15)
    if (size >> 18) <= 2:
        return 124 + (size >> 18)
    return 126


def bin_index(size):
    """The regular bin (2..126) a chunk of this size belongs to."""
    if size < MIN_LARGE_SIZE:
        return (size >> 4) & 0xFFFFFFFF
    return largebin_index(size)


def bin_lowest_size(i):
    """The smallest chunk size of bin i or a later one: bin_index.h's bisection."""
    lo, hi = MINSIZE, 1 << 40
    while lo < hi:
        mid = (lo + (hi - lo) // 2) & ~MALLOC_ALIGN_MASK
        if bin_index(mid) >= i:
            hi = mid
        else:
            lo = mid + MALLOC_ALIGNMENT
    return lo


def bin_label(kind, index):
    """pwndbg's labels, as dump_text.c's bin_label: "0x20", "0x400-0x430", "all"."""
    if kind == BIN_FAST:
        return "0x%x" % ((index + 2) * MALLOC_ALIGNMENT)
    if kind == BIN_UNSORTED:
        return "all"
    if kind == BIN_SMALL:
        return "0x%x" % (index * MALLOC_ALIGNMENT)
    if index + 1 < NBINS:
        return "0x%x-0x%x" % (bin_lowest_size(index), bin_lowest_size(index + 1) - MALLOC_ALIGNMENT)
    return "0x%x+" % bin_lowest_size(index)


def kind_of(state):
    """The kind of bin a chunk in this state is in (dump_text.c's kind_of)."""
    return {CHUNK_FASTBIN: BIN_FAST, CHUNK_UNSORTED: BIN_UNSORTED,
            CHUNK_SMALLBIN: BIN_SMALL}.get(state, BIN_LARGE)


def chunk_flag_names(size_field):
    """"PREV_INUSE | NON_MAIN_ARENA" for a size word (dump.c's chunk_flag_names)."""
    names = [name for bit, name in ((PREV_INUSE, "PREV_INUSE"), (IS_MMAPPED, "IS_MMAPPED"),
                                    (NON_MAIN_ARENA, "NON_MAIN_ARENA")) if size_field & bit]
    return " | ".join(names)


def flag_letters(size_field):
    """The flags as pwndbg writes them: "A M P" letters that are set, e.g. "P"."""
    return " ".join(letter for bit, letter in ((NON_MAIN_ARENA, "A"), (IS_MMAPPED, "M"),
                                               (PREV_INUSE, "P")) if size_field & bit)


# ---- reading the inferior's memory --------------------------------------------------

class Memory:
    """The inferior's memory, read through gdb a page at a time and kept for the
    duration of one command (the process is stopped: nothing changes meanwhile).
    Unreadable memory raises gdb.MemoryError, as gdb itself does."""

    PAGE = 4096

    def __init__(self):
        self.inferior = gdb.selected_inferior()
        self.pages = {}

    def _page(self, number):
        if number not in self.pages:
            try:
                data = bytes(self.inferior.read_memory(number * self.PAGE, self.PAGE))
            except gdb.MemoryError:
                data = None
            self.pages[number] = data
        return self.pages[number]

    def read(self, addr, length):
        """length bytes at addr, as bytes."""
        if addr < 0 or addr + length - 1 > UINTPTR_MAX:
            raise gdb.MemoryError("Cannot access memory at address 0x%x" % (addr & UINTPTR_MAX))
        out = bytearray()
        while length > 0:
            number, offset = divmod(addr, self.PAGE)
            take = min(length, self.PAGE - offset)
            page = self._page(number)
            if page is None:
                # Not readable as a whole page (a core file may hold part of
                # one): ask gdb for exactly these bytes.
                out += bytes(self.inferior.read_memory(addr, take))
            else:
                out += page[offset:offset + take]
            addr += take
            length -= take
        return bytes(out)

    def u64(self, addr):
        return struct.unpack("<Q", self.read(addr, 8))[0]

    def s32(self, addr):
        return struct.unpack("<i", self.read(addr, 4))[0]


# ---- finding the allocator in the program -------------------------------------------

def _field_offsets(gdb_type):
    """{field name: byte offset} of a struct type."""
    return {f.name: f.bitpos // 8 for f in gdb_type.strip_typedefs().fields() if f.name}


class Allocator:
    """Where arenalloc's globals are in this program, and the layouts of its
    structures, read from the debug information.

    The drop-in library and the prefixed one both name their globals main_arena
    and mp_, like glibc; glibc's own libc.so.6 has a main_arena too (visible when
    its debug symbols are installed).  So the globals are looked up in the one
    file (the program, or libarenalloc.so) that also defines main_segments,
    which only arenalloc has."""

    def __init__(self):
        self.objfile = self._find_objfile()
        self.main_arena = self._address("main_arena")
        self.mp = self._address("mp_")
        self.main_segments = self._address("main_segments")
        self.main_nsegments = self._address("main_nsegments")
        self.glibc_release = self._address("glibc_release")
        self.global_max_fast = self._address("global_max_fast")
        self.heap_max_bytes = self._address("heap_max_bytes")

        # struct malloc_state: glibc 2.36's layout (malloc_state.h); offsets
        # from the debug information, glibc's values if it is missing.
        state = self._symbol("main_arena").type
        self.ms = {"have_fastchunks": 8, "fastbinsY": 16, "top": 96, "last_remainder": 104,
                   "bins": 112, "next": 2160, "attached_threads": 2176, "system_mem": 2184,
                   "max_system_mem": 2192, "flags": 4}
        self.ms.update(_field_offsets(state))
        # Before 2.27's layout (make RELEASE=2.26) there is no have_fastchunks:
        # flags' bit 0 set says every fastbin is empty.
        self.has_have_fastchunks = any(f.name == "have_fastchunks" for f in state.strip_typedefs().fields())
        self.sizeof_malloc_state = state.strip_typedefs().sizeof or 2200

        # The cache's counts: uint16_t, or one byte before 2.30's layout (make RELEASE=2.29).
        self.tcache_count_size = 2
        try:
            tc = gdb.lookup_type("tcache_perthread_struct").strip_typedefs()
            self.tcache_count_size = tc["counts"].type.target().sizeof
        except (gdb.error, KeyError):
            pass

        par = self._symbol("mp_").type
        self.mp_fields = {"n_mmaps": 72, "mmapped_mem": 88}
        self.mp_fields.update(_field_offsets(par))

        # heap_info (arena/heap.h): ar_ptr, prev, size, mprotect_size, pagesize, pad.
        self.hi = {"ar_ptr": 0, "prev": 8, "size": 16, "mprotect_size": 24, "pagesize": 32}
        self.sizeof_heap_info = 48
        try:
            heap_info = gdb.lookup_type("heap_info")
            self.hi.update(_field_offsets(heap_info))
            self.sizeof_heap_info = heap_info.strip_typedefs().sizeof
        except gdb.error:
            pass

    @staticmethod
    def _find_objfile():
        for objfile in gdb.objfiles():
            try:
                if (objfile.lookup_global_symbol("main_segments") is not None or
                        objfile.lookup_static_symbol("main_segments") is not None):
                    return objfile
            except (gdb.error, ValueError):
                continue
        raise gdb.GdbError("arenalloc's globals (main_arena, main_segments) not found: is the program "
                           "linked with arenalloc, or run with LD_PRELOAD=libarenalloc.so, and built with -g? "
                           "(For LD_PRELOAD, run the program first: the library is loaded at start-up.)")

    def _symbol(self, name):
        sym = self.objfile.lookup_global_symbol(name) or self.objfile.lookup_static_symbol(name)
        if sym is None:
            raise gdb.GdbError("arenalloc: no symbol %s in %s" % (name, self.objfile.filename))
        return sym

    def _address(self, name):
        return int(self._symbol(name).value().address)

    # -- the fields used below --

    def heap_max_size(self, mem):
        """The process's heap size (bins/malloc_par.h's heap_max_size)."""
        size = mem.u64(self.heap_max_bytes)
        if size == 0 or size & (size - 1):
            raise gdb.GdbError("arenalloc: heap_max_bytes is 0x%x, not a heap size" % size)
        return size

    def heap_for_ptr(self, mem, ptr):
        """The heap_info of a thread arena's chunk: arena/heap.h's mask."""
        return ptr & ~(self.heap_max_size(mem) - 1)

    def bin_at(self, av, i):
        """The fake chunk of bin i (malloc_state.h's bin_at): 16 bytes before its pair."""
        return (av + self.ms["bins"] + (i - 1) * 2 * SIZE_SZ - 2 * SIZE_SZ) & UINTPTR_MAX

    def release(self, mem):
        """The glibc 2.x release arenalloc behaves as (bins/checks.h's glibc_release)."""
        return mem.s32(self.glibc_release)

    def safe_linking(self, mem):
        """True when fastbin fd pointers are stored protected (release_since(32))."""
        return self.release(mem) >= 32

    def reveal(self, mem, pos):
        """The fastbin link stored at pos, as bins/fastbins.h's reveal_ptr reads it."""
        stored = mem.u64(pos)
        if not self.safe_linking(mem):
            return stored
        return (pos >> 12) ^ stored

    def tcache(self):
        """The selected thread's tcache pointer (thread-local), 0 when it has
        none.  Only the selected thread's can be read, as only the calling
        thread's can be in the process."""
        try:
            return int(gdb.parse_and_eval("(unsigned long) tcache")) & UINTPTR_MAX
        except gdb.error:
            return 0

    def heap_first_chunk(self, mem, heap):
        """The first chunk of a thread arena's heap (arena/heap.h)."""
        ptr = heap + self.sizeof_heap_info
        if mem.u64(heap + self.hi["prev"]) == 0:
            ptr += self.sizeof_malloc_state
        misalign = (ptr + CHUNK_HDR_SZ) & MALLOC_ALIGN_MASK
        if misalign > 0:
            ptr += MALLOC_ALIGNMENT - misalign
        return ptr


# ---- the snapshot of one arena (inspect/heap_snapshot.c) --------------------------------

class Chunk:
    """One chunk of the walk (struct snap_chunk)."""
    __slots__ = ("addr", "size_field", "state", "bin", "fd", "bk", "fd_nextsize",
                 "bk_nextsize", "room", "damage", "next_stored")

    def __init__(self, addr, size_field, state, room, damage):
        self.addr = addr
        self.size_field = size_field
        self.state = state
        self.bin = -1
        self.fd = self.bk = self.fd_nextsize = self.bk_nextsize = 0
        self.next_stored = 0
        self.room = room
        self.damage = damage


class Bin:
    """One list (struct snap_bin): members links[first:first+count], then a large
    bin's nextsize chain, links[first+count:first+count+nnextsize]."""
    __slots__ = ("kind", "index", "first", "count", "nnextsize", "end", "damage")

    def __init__(self, kind, index, first):
        self.kind = kind
        self.index = index
        self.first = first
        self.count = 0
        self.nnextsize = 0
        self.end = 0
        self.damage = None


def mark(c, damage):
    """Marks chunk c as damaged; the first thing found wrong with it is kept."""
    if c.damage is None:
        c.damage = damage


class Snapshot:
    """An arena's chunks in walk order and its bins as lists (struct heap_snapshot)."""

    def __init__(self):
        self.chunks = []
        self.bins = [None] * SNAP_NBINS
        self.links = []

    def find_chunk(self, addr):
        """The chunk of the walk at addr, or None: heap_snapshot.c's binary search,
        step for step (so a damaged, unsorted walk answers as the C one does)."""
        lo, hi = 0, len(self.chunks)
        while lo < hi:
            mid = lo + (hi - lo) // 2
            c = self.chunks[mid]
            if c.addr == addr:
                return c
            if c.addr < addr:
                lo = mid + 1
            else:
                hi = mid
        return None


def region_limit(top, top_end, sorted_regions, i):
    """heap_region.c's region_limit: no chunk of region i reaches past the result."""
    n = len(sorted_regions)
    limit = sorted_regions[i + 1][0] if i + 1 < n else UINTPTR_MAX
    end = sorted_regions[i][1]
    if end is not None and end < limit:
        limit = end
    if sorted_regions[i][0] <= top and top_end < limit:
        limit = top_end
    return limit


class Walker:
    """Takes the snapshot of one arena, as take_snapshot does."""

    def __init__(self, alloc, mem, av, top):
        self.alloc = alloc
        self.mem = mem
        self.av = av
        self.top = top
        self.is_main = av == alloc.main_arena
        self.snap = Snapshot()

    # -- the chunks, region by region --

    def add_chunk(self, p, room, state, damage):
        size_field = 0
        if room >= CHUNK_HDR_SZ:
            try:
                size_field = self.mem.u64(p + SIZE_SZ)
            except gdb.MemoryError:
                damage = damage or DAMAGE_UNREADABLE
        self.snap.chunks.append(Chunk(p, size_field, state, room, damage))

    def plain_state(self, p, size_field):
        """The state of heap chunk p and what is visibly wrong with it."""
        nxt = p + chunksize(size_field)
        damage = None
        if size_field & IS_MMAPPED:
            damage = "IS_MMAPPED set on a heap chunk"
        if self.mem.u64(nxt + SIZE_SZ) & PREV_INUSE:
            # Only a chunk in use needs its arena's bit.
            if (not (size_field & NON_MAIN_ARENA)) != self.is_main:
                damage = "NON_MAIN_ARENA bit is wrong for this arena"
            return CHUNK_IN_USE, damage
        if self.mem.u64(nxt) != chunksize(size_field):
            damage = "free, but its foot differs from its size"
        return CHUNK_FREE, damage

    def walk_region(self, p, limit):
        while True:
            if len(self.snap.chunks) >= MAX_CHUNKS_PER_ARENA:
                self.add_chunk(p, 0, CHUNK_IN_USE, "gdb gave up: too many chunks")
                return
            room = limit - p if p < limit else 0
            if room < CHUNK_HDR_SZ or misaligned_chunk(p):
                self.add_chunk(p, room, CHUNK_IN_USE, "the walk left its region here")
                return
            if p == self.top:
                self.add_chunk(p, room, CHUNK_TOP, None)
                return
            try:
                size_field = self.mem.u64(p + SIZE_SZ)
                size = chunksize(size_field)
                # Fenceposts close a region top has left: a 16-byte chunk, or a
                # chunk followed by a size-0 header (see sysmalloc).
                if size == CHUNK_HDR_SZ:
                    self.add_chunk(p, room, CHUNK_FENCEPOST, None)
                    return
                if size < MINSIZE or not aligned_ok(size):
                    self.add_chunk(p, room, CHUNK_IN_USE, "size is not a chunk size")
                    return
                if size > room - CHUNK_HDR_SZ:
                    self.add_chunk(p, room, CHUNK_IN_USE, "size runs past the end of its region")
                    return
                if self.mem.u64(p + size + SIZE_SZ) == PREV_INUSE:
                    self.add_chunk(p, room, CHUNK_FENCEPOST, None)
                    return
                state, damage = self.plain_state(p, size_field)
            except gdb.MemoryError:
                self.add_chunk(p, room, CHUNK_IN_USE, DAMAGE_UNREADABLE)
                return
            self.add_chunk(p, room, state, damage)
            p += size

    def walk_chunks(self, sorted_regions, top_end):
        for i, (first, _end) in enumerate(sorted_regions):
            self.walk_region(first, region_limit(self.top, top_end, sorted_regions, i))

    # -- the bins --

    def take_link(self, b, a):
        """Takes chunk address a into list b; None (b.damage set) when the list
        must be cut before a."""
        s = self.snap
        c = s.find_chunk(a)
        if c is None or c.state in (CHUNK_TOP, CHUNK_FENCEPOST):
            b.damage = "a link points outside the arena's chunks"
            return None
        # The list's fields of a chunk: fd and bk, and the nextsize pair too in
        # a large bin.  A chunk cut short by its region's end is not followed.
        if c.room < (LARGE_CHUNK_FIELDS if b.kind == BIN_LARGE else MIN_CHUNK_SIZE):
            b.damage = "a link points to a chunk at the broken end of a region"
            return None
        if c.state == STATE_OF_KIND[b.kind] and c.bin == b.index:
            b.damage = "the list loops back to a chunk it already passed"
            return None
        if c.state not in (CHUNK_IN_USE, CHUNK_FREE):
            b.damage = "a link points to a chunk of another bin"
            return None
        if (b.kind == BIN_FAST) != (c.state == CHUNK_IN_USE):
            mark(c, "in a fastbin but not marked in use" if b.kind == BIN_FAST
                 else "in a bin but marked in use")
        c.state = STATE_OF_KIND[b.kind]
        c.bin = b.index
        s.links.append(a)
        b.count += 1
        return c

    def walk_fastbin(self, i):
        s = self.snap
        b = s.bins[i] = Bin(BIN_FAST, i, len(s.links))
        p = self.mem.u64(self.av + self.alloc.ms["fastbinsY"] + i * SIZE_SZ)
        while p != 0:
            c = self.take_link(b, p)
            if c is None:
                break
            try:
                if fastbin_index(chunksize(self.mem.u64(p + SIZE_SZ))) != i:
                    mark(c, "its size does not belong to this fastbin")
                p = self.alloc.reveal(self.mem, p + 2 * SIZE_SZ)
            except gdb.MemoryError:
                b.damage = DAMAGE_UNREADABLE
                break
            c.fd = p
        b.end = p

    def walk_nextsize(self, b):
        """A large bin's nextsize chain: from its first chunk round to it again,
        over chunks of this bin only."""
        s = self.snap
        if b.count == 0 or b.damage is not None:
            return
        head = s.links[b.first]
        p = head
        while True:
            c = s.find_chunk(p)
            if (c is None or c.state != CHUNK_LARGEBIN or c.bin != b.index
                    or b.nnextsize == b.count):
                b.damage = "the nextsize chain leaves the bin, or loops"
                return
            s.links.append(p)
            b.nnextsize += 1
            try:
                p = self.mem.u64(p + 4 * SIZE_SZ)          # fd_nextsize
            except gdb.MemoryError:
                b.damage = DAMAGE_UNREADABLE
                return
            if p == head:
                return

    def walk_bin(self, i):
        s = self.snap
        kind = BIN_UNSORTED if i == 1 else BIN_SMALL if i < NSMALLBINS else BIN_LARGE
        b = s.bins[NFASTBINS + i - 1] = Bin(kind, i, len(s.links))
        header = self.alloc.bin_at(self.av, i)
        prev = header
        p = self.mem.u64(header + 2 * SIZE_SZ)
        while p != header:
            c = self.take_link(b, p)
            if c is None:
                break
            try:
                c.fd = self.mem.u64(p + 2 * SIZE_SZ)
                c.bk = self.mem.u64(p + 3 * SIZE_SZ)
                if c.bk != prev:
                    mark(c, "its bk does not point to the chunk before it")
                elif i > 1 and bin_index(chunksize(self.mem.u64(p + SIZE_SZ))) != i:
                    mark(c, "its size does not belong to this bin")
                if kind == BIN_LARGE:
                    c.fd_nextsize = self.mem.u64(p + 4 * SIZE_SZ)
                    c.bk_nextsize = self.mem.u64(p + 5 * SIZE_SZ)
            except gdb.MemoryError:
                b.damage = DAMAGE_UNREADABLE
                break
            prev = p
            p = c.fd
        b.end = p
        if kind == BIN_LARGE:
            self.walk_nextsize(b)

    def take(self, sorted_regions, top_end):
        self.walk_chunks(sorted_regions, top_end)
        for i in range(NFASTBINS):
            self.walk_fastbin(i)
        for i in range(1, NBINS):
            self.walk_bin(i)
        return self.snap


# ---- the arenas (inspect/dump.c's read_heap, arena/heap.c's arena_regions) ------------

class Arena:
    """One arena as it was read (struct arena_dump)."""

    def __init__(self, index, address, is_main):
        self.index = index
        self.address = address
        self.is_main = is_main
        self.top = 0
        self.top_size = 0
        self.system_mem = self.max_system_mem = self.attached_threads = 0
        self.last_remainder = 0
        self.have_fastchunks = False
        self.contiguous = True
        self.regions = []        # [(first chunk, end or None)], sorted by address
        self.heaps = []          # thread arenas: the heap_info addresses, newest first
        self.snap = None
        self.damage = None       # gdb only: why this arena could not be read


def arena_regions(alloc, mem, av, arena):
    """The regions of arena av's memory, as arena/heap.c's arena_regions gives them
    (unsorted): main_arena's segments, or a thread arena's heaps from the one
    holding top back to the first."""
    regions = []
    if av == alloc.main_arena:
        n = mem.s32(alloc.main_nsegments)
        for k in range(min(n, MAX_ARENA_REGIONS, MAX_MAIN_SEGMENTS)):
            regions.append((mem.u64(alloc.main_segments + k * SIZE_SZ), None))
        return regions
    heap = alloc.heap_for_ptr(mem, arena.top)
    seen = set()
    while heap != 0 and len(regions) < MAX_ARENA_REGIONS:
        if heap in seen:        # a chain of heaps cannot come back: damage
            arena.damage = "the chain of heaps (heap_info.prev) loops"
            break
        seen.add(heap)
        try:
            size = mem.u64(heap + alloc.hi["size"])
            regions.append((alloc.heap_first_chunk(mem, heap), (heap + size) & UINTPTR_MAX))
            arena.heaps.append(heap)
            heap = mem.u64(heap + alloc.hi["prev"])
        except gdb.MemoryError:
            arena.damage = "cannot read heap_info at 0x%x" % heap
            break
    return regions


def read_arena(alloc, mem, av, index, with_chunks):
    """Arena av's fields, and its snapshot when with_chunks."""
    a = Arena(index, av, av == alloc.main_arena)
    ms = alloc.ms
    try:
        a.top = mem.u64(av + ms["top"])
        a.system_mem = mem.u64(av + ms["system_mem"])
        a.max_system_mem = mem.u64(av + ms["max_system_mem"])
        a.attached_threads = mem.u64(av + ms["attached_threads"])
        a.last_remainder = mem.u64(av + ms["last_remainder"])
        if alloc.has_have_fastchunks:
            a.have_fastchunks = mem.s32(av + ms["have_fastchunks"]) != 0
        else:
            a.have_fastchunks = not (mem.s32(av + ms["flags"]) & 1)
        a.contiguous = not (mem.s32(av + ms["flags"]) & 2)
    except gdb.MemoryError:
        a.damage = "cannot read the arena at 0x%x" % av
        return a
    try:
        a.top_size = chunksize(mem.u64(a.top + SIZE_SZ))
    except gdb.MemoryError:
        a.damage = "cannot read top's size at 0x%x" % ((a.top + SIZE_SZ) & UINTPTR_MAX)
    try:
        regions = arena_regions(alloc, mem, av, a)
    except gdb.MemoryError:
        regions = []
        a.damage = "cannot read main_segments"
    a.regions = sorted(regions, key=lambda r: r[0])      # stable, as sort_regions
    if with_chunks:
        top_end = (a.top + a.top_size) & UINTPTR_MAX
        try:
            a.snap = Walker(alloc, mem, av, a.top).take(a.regions, top_end)
        except gdb.MemoryError:
            # The arena's own fields (its bins) could not be read.
            a.damage = a.damage or "cannot read the arena's bins"
            a.snap = None
    return a


class TcacheBin:
    """One bin of the cache (struct tcache_bin_dump)."""
    __slots__ = ("count", "first", "n", "end", "damage")

    def __init__(self, count, first):
        self.count = count
        self.first = first
        self.n = 0
        self.end = 0
        self.damage = None


class TcacheDump:
    """The selected thread's cache (struct tcache_dump)."""

    def __init__(self):
        self.address = 0
        self.tcache_count = self.tcache_max_bytes = 0
        self.tcache_bins = 0       # gdb only: for arena-chunk's "free() would put it"
        self.bins = []
        self.entries = []
        self.stored = []


def find_entry(heap, entry):
    """dump.c's find_entry: the chunk whose memory is entry, in any arena's snapshot."""
    for a in heap.arenas:
        if a.snap is not None:
            c = a.snap.find_chunk((entry - CHUNK_HDR_SZ) & UINTPTR_MAX)
            if c is not None:
                return c
    return None


def read_tcache_bin(heap, i, count, head):
    """dump.c's read_tcache_bin."""
    t, alloc, mem = heap.tcache, heap.alloc, heap.mem
    b = TcacheBin(count, len(t.entries))
    e, stored = head, head
    while e != 0:
        c = find_entry(heap, e)
        if c is None or c.room < MINSIZE:
            b.damage = "an entry that is not a chunk of any arena"
            break
        if c.state == CHUNK_TCACHE:
            b.damage = "the list loops back to a chunk it already passed"
            break
        if c.state != CHUNK_IN_USE:
            mark(c, "in the tcache but not in use")
        t.entries.append(e)
        t.stored.append(stored)
        b.n += 1
        try:
            stored = mem.u64(e)
        except gdb.MemoryError:
            b.damage = DAMAGE_UNREADABLE
            break
        e = alloc.reveal(mem, e)
        c.state = CHUNK_TCACHE
        c.bin = i
        c.fd = e
        c.next_stored = stored
    b.end = e
    return b


def read_tcache(heap):
    """dump.c's read_tcache: the selected thread's cache, after every arena."""
    t, alloc, mem = heap.tcache, heap.alloc, heap.mem
    try:
        t.tcache_count = mem.u64(alloc.mp + alloc.mp_fields["tcache_count"])
        t.tcache_max_bytes = mem.u64(alloc.mp + alloc.mp_fields["tcache_max_bytes"])
        t.tcache_bins = mem.u64(alloc.mp + alloc.mp_fields["tcache_bins"])
    except (KeyError, gdb.MemoryError):
        pass
    address = alloc.tcache()
    if address == 0:
        return
    t.address = address
    for i in range(TCACHE_MAX_BINS):
        try:
            width = alloc.tcache_count_size
            count = mem.read(address + width * i, width)
            head = mem.u64(address + width * TCACHE_MAX_BINS + i * SIZE_SZ)
        except gdb.MemoryError:
            t.bins.append(TcacheBin(0, len(t.entries)))
            t.bins[-1].damage = DAMAGE_UNREADABLE
            continue
        t.bins.append(read_tcache_bin(heap, i, struct.unpack("<H" if width == 2 else "<b", count)[0], head))


class Heap:
    """Every arena of the process, as arenalloc_dump reads them."""

    def __init__(self, with_chunks=True):
        self.alloc = Allocator()
        self.mem = Memory()
        self.arenas = []
        self.ring_damage = None
        self.n_mmaps = 0
        self.mmapped_mem = 0
        alloc, mem = self.alloc, self.mem
        self._check_initialised()

        # The ring of arenas from main_arena, in ring order (count_arenas).
        av = alloc.main_arena
        seen = set()
        while True:
            seen.add(av)
            self.arenas.append(read_arena(alloc, mem, av, len(self.arenas), with_chunks))
            try:
                av = mem.u64(av + alloc.ms["next"])
            except gdb.MemoryError:
                self.ring_damage = "cannot read the next arena of 0x%x" % av
                break
            if av == alloc.main_arena:
                break
            if av in seen or len(self.arenas) >= MAX_ARENAS:
                self.ring_damage = "the ring of arenas does not come back to main_arena"
                break
        self.tcache = TcacheDump()
        if with_chunks:
            read_tcache(self)
        try:
            self.n_mmaps = mem.s32(alloc.mp + alloc.mp_fields["n_mmaps"])
            self.mmapped_mem = mem.u64(alloc.mp + alloc.mp_fields["mmapped_mem"])
        except gdb.MemoryError:
            self.ring_damage = self.ring_damage or "cannot read mp_"

    def _check_initialised(self):
        try:
            top = self.mem.u64(self.alloc.main_arena + self.alloc.ms["top"])
        except gdb.MemoryError:
            raise gdb.GdbError("cannot read main_arena: start the program first (or load a core file)")
        if top == 0:
            raise gdb.GdbError("arenalloc is not initialised yet: main_arena.top is 0 "
                               "(the first malloc call sets it up)")

    def arena(self, index):
        for a in self.arenas:
            if a.index == index:
                return a
        raise gdb.GdbError("no arena %d: this process has arenas 0 to %d" % (index, len(self.arenas) - 1))

    def selected(self, arg):
        """The arenas an optional "N" argument selects: all, or arena N."""
        arg = arg.strip()
        if not arg:
            return self.arenas
        return [self.arena(int(gdb.parse_and_eval(arg)))]


# ---- printing, as inspect/dump_text.c ---------------------------------------------------

def format_arena(heap, a):
    """print_arena's line, with gdb's own damage (if any) at its end."""
    kind = "main_arena" if a.is_main else "thread arena"
    line = "arena %d: %s 0x%x, %s" % (a.index, kind, a.address, "regions" if a.is_main else "heaps")
    for first, _end in a.regions:
        start = first if a.is_main else heap.alloc.heap_for_ptr(heap.mem, first)
        line += " 0x%x" % start
    if not a.regions:
        line += " none"
    line += (", top 0x%x (size 0x%x), system_mem 0x%x (max 0x%x), threads %d"
             % (a.top, a.top_size, a.system_mem, a.max_system_mem, a.attached_threads))
    if a.damage:
        line += "  !! " + a.damage
    return line + "\n"


def format_chunk(c):
    """print_chunk's line: address, size, state, flags, links, damage."""
    size = chunksize(c.size_field)
    if c.state == CHUNK_TCACHE:
        state = "%s[0x%x]" % (CHUNK_STATE_NAMES[c.state], tidx2csize(c.bin))
    elif c.bin >= 0:
        state = "%s[%s]" % (CHUNK_STATE_NAMES[c.state], bin_label(kind_of(c.state), c.bin))
    else:
        state = CHUNK_STATE_NAMES[c.state]
    if c.state == CHUNK_FASTBIN:
        links = "fd 0x%x" % c.fd
    elif c.state == CHUNK_TCACHE:
        links = "next 0x%x (stored 0x%x)" % (c.fd, c.next_stored)
    elif c.state in (CHUNK_UNSORTED, CHUNK_SMALLBIN):
        links = "fd 0x%x bk 0x%x" % (c.fd, c.bk)
    elif c.state == CHUNK_LARGEBIN:
        links = "fd 0x%x bk 0x%x fd_nextsize 0x%x bk_nextsize 0x%x" % (
            c.fd, c.bk, c.fd_nextsize, c.bk_nextsize)
    else:
        links = ""
    # C: "  0x%-14" PRIxPTR " 0x%-6zx %-26s %-28s %s", then "  !! damage",
    # then the trailing blanks removed.
    line = "  0x%-14x 0x%-6x %-26s %-28s %s" % (c.addr, size, state, chunk_flag_names(c.size_field), links)
    if c.damage is not None:
        line += "  !! " + c.damage
    return line.rstrip(" ") + "\n"


def format_chunks(a):
    out = ["chunks of arena %d\n" % a.index]
    if a.snap is not None:
        out += [format_chunk(c) for c in a.snap.chunks]
    elif a.damage:
        out.append("  !! %s\n" % a.damage)
    return "".join(out)


def format_list(alloc, a, b):
    """print_list: one bin from its head, then a large bin's nextsize chain."""
    s = a.snap
    header = 0 if b.kind == BIN_FAST else alloc.bin_at(a.address, b.index)
    line = "  %s:" % bin_label(b.kind, b.index)
    for k in range(b.count):
        line += " 0x%x ->" % s.links[b.first + k]
    if b.end == header and b.kind != BIN_FAST:
        line += " 0x%x (bin)" % b.end
    else:
        line += " 0x%x" % b.end
    if b.damage is not None:
        line += "  !! " + b.damage
    line += "\n"
    if b.nnextsize > 0:
        line += "    nextsize:" + "".join(" 0x%x" % s.links[b.first + b.count + k]
                                       for k in range(b.nnextsize)) + "\n"
    return line


def format_bins(alloc, a):
    out = ["bins of arena %d\n" % a.index]
    if a.snap is None:
        if a.damage:
            out.append("  !! %s\n" % a.damage)
        return "".join(out)
    for kind in (BIN_FAST, BIN_UNSORTED, BIN_SMALL, BIN_LARGE):
        out.append(BIN_KIND_NAMES[kind] + "\n")
        shown = [b for b in a.snap.bins if b.kind == kind and (b.count > 0 or b.damage is not None)]
        for b in shown:
            out.append(format_list(alloc, a, b))
        if not shown:
            out.append("  empty\n")
    return "".join(out)


def format_tcache(heap):
    """dump_text.c's print_tcache."""
    t = heap.tcache
    if t.address == 0:
        return "tcache of this thread: none\n"
    out = ["tcache of this thread: 0x%x (tcache_count %d, tcache_max %d)\n"
           % (t.address, t.tcache_count, t.tcache_max_bytes)]
    for i, b in enumerate(t.bins):
        if b.count == 0 and b.n == 0 and b.damage is None:
            continue
        line = "  0x%x [%d]:" % (tidx2csize(i), b.count)
        for k in range(b.n):
            line += " 0x%x (stored 0x%x) ->" % (t.entries[b.first + k], t.stored[b.first + k])
        line += " 0x%x" % b.end
        if b.damage is not None:
            line += "  !! " + b.damage
        elif b.n != b.count:
            line += "  !! the count differs from the list's length"
        out.append(line + "\n")
    if len(out) == 1:
        out.append("  empty\n")
    return "".join(out)


def format_release(heap):
    """The first line of the ARENAS part: the glibc release in force."""
    return "release: glibc 2.%d\n" % heap.alloc.release(heap.mem)


def format_mmapped(heap):
    line = "mmapped chunks: %d, 0x%x bytes\n" % (heap.n_mmaps, heap.mmapped_mem)
    if heap.ring_damage:
        line = "!! %s\n" % heap.ring_damage + line
    return line


def parse_int(expr):
    """The value of a gdb expression (a number, a variable, p + 0x10 ...)."""
    try:
        value = gdb.parse_and_eval(expr)
        if value.type.strip_typedefs().code == gdb.TYPE_CODE_PTR:
            value = value.cast(gdb.lookup_type("unsigned long"))
        return int(value) & UINTPTR_MAX
    except gdb.error as e:          # a message for the user, not a Python trace
        raise gdb.GdbError(str(e))


# ---- locating one chunk (arena-chunk, arena-vis) ----------------------------------------

def find_in_heap(heap, addr):
    """(arena, chunk) of the walk whose chunk is at addr, or (None, None)."""
    for a in heap.arenas:
        if a.snap is not None:
            c = a.snap.find_chunk(addr)
            if c is not None:
                return a, c
    return None, None


def find_containing(heap, addr):
    """(arena, chunk) of the walk whose chunk's bytes hold addr, or (None, None)."""
    for a in heap.arenas:
        if a.snap is None:
            continue
        for c in a.snap.chunks:
            size = chunksize(c.size_field)
            if c.state == CHUNK_TOP:
                size = a.top_size
            if c.addr <= addr < c.addr + max(size, CHUNK_HDR_SZ):
                return a, c
    return None, None


def is_mmapped_header(mem, chunk):
    """True when a plausible mapped chunk starts at chunk: IS_MMAPPED set, and a
    size that is a multiple of the page size as mmap_chunk.c makes it."""
    try:
        size_field = mem.u64(chunk + SIZE_SZ)
        mem.read(chunk, 2 * SIZE_SZ)
    except gdb.MemoryError:
        return False
    size = chunksize(size_field)
    return bool(size_field & IS_MMAPPED) and size >= MINSIZE and size % 4096 == 0


def resolve_chunk(heap, addr, how):
    """The chunk the user meant by addr: how is "chunk", "mem" or "auto".
    Returns (chunk address, arena or None, walked chunk or None, note)."""
    if how == "chunk":
        a, c = find_in_heap(heap, addr)
        return addr, a, c, "taken as a chunk address (--chunk)"
    mem_chunk = (addr - CHUNK_HDR_SZ) & UINTPTR_MAX
    if how == "mem":
        a, c = find_in_heap(heap, mem_chunk)
        return mem_chunk, a, c, "from the user pointer 0x%x (--mem): chunk = mem - 0x10" % addr
    # Heap chunks first: an address the walk found is a chunk; 16 bytes after
    # one is its user pointer (chunks are at least 32 bytes, so these never clash
    # except at a 16-byte fencepost, where the chunk reading wins).
    a, c = find_in_heap(heap, addr)
    if c is not None:
        return addr, a, c, "taken as a chunk address (the walk has a chunk there)"
    a, c = find_in_heap(heap, mem_chunk)
    if c is not None:
        return mem_chunk, a, c, "from the user pointer 0x%x: chunk = mem - 0x10" % addr
    # Mapped chunks belong to no arena: recognise them by their header.
    if is_mmapped_header(heap.mem, mem_chunk):
        return mem_chunk, None, None, "from the user pointer 0x%x: chunk = mem - 0x10" % addr
    if is_mmapped_header(heap.mem, addr):
        return addr, None, None, "taken as a chunk address (a mapped chunk's header is there)"
    a, c = find_containing(heap, addr)
    if c is not None:
        return (c.addr, a, c, "0x%x is inside chunk 0x%x (at +0x%x): showing that chunk"
                % (addr, c.addr, addr - c.addr))
    return (mem_chunk, None, None,
            "0x%x is in no arena's chunks and no mapped chunk; read as a user pointer" % addr)


def position_in_bin(a, c):
    """"1st of 3 from the head" for a chunk in a list."""
    if c.bin < 0:
        return ""
    slot = c.bin if c.state == CHUNK_FASTBIN else NFASTBINS + c.bin - 1
    b = a.snap.bins[slot]
    members = a.snap.links[b.first:b.first + b.count]
    if c.addr not in members:
        return ""
    return ", number %d of %d from the head" % (members.index(c.addr) + 1, b.count)


# The states whose size word carries no NON_MAIN_ARENA bit in any arena: glibc
# (and arenalloc) set the bit only on chunks handed out of a thread arena, and
# write a free chunk's or top's header anew as size | PREV_INUSE.  Fastbin and
# tcache chunks keep the header they had in use, bit included.
BIT_CLEAR_STATES = (CHUNK_UNSORTED, CHUNK_SMALLBIN, CHUNK_LARGEBIN, CHUNK_FREE, CHUNK_TOP, CHUNK_FENCEPOST)


def arena_of_chunk(heap, chunk, size_field, a=None, c=None):
    """Which arena the chunk belongs to: for a chunk free() can be given, the
    one free() would find (main_arena when NON_MAIN_ARENA is clear, else
    heap_for_ptr(chunk)->ar_ptr); for a free chunk or top of a thread arena
    (walked chunk c of arena a), whose bit is clear, its heap's.  A text, and
    the arena's address (or None)."""
    alloc, mem = heap.alloc, heap.mem
    if size_field & IS_MMAPPED:
        return "none: a mapped chunk belongs to no arena (munmap'ed by free)", None
    bit_says_nothing = (a is not None and not a.is_main and c is not None and
                        c.state in BIT_CLEAR_STATES and not size_field & NON_MAIN_ARENA)
    if not size_field & NON_MAIN_ARENA and not bit_says_nothing:
        return "main_arena 0x%x (NON_MAIN_ARENA clear)" % alloc.main_arena, alloc.main_arena
    max_size = alloc.heap_max_size(mem)
    hi = alloc.heap_for_ptr(mem, chunk)
    if bit_says_nothing:
        how = ("NON_MAIN_ARENA clear, as on every free chunk and top (only chunks in use carry it); "
               "found in the walk of arena %d's heaps" % a.index)
    else:
        how = "NON_MAIN_ARENA set"
    try:
        ar_ptr = mem.u64(hi + alloc.hi["ar_ptr"])
        hsize = mem.u64(hi + alloc.hi["size"])
        prev = mem.u64(hi + alloc.hi["prev"])
    except gdb.MemoryError:
        return ("%s: heap_info would be at 0x%x = chunk & ~(0x%x - 1), "
                "but it cannot be read  !! %s" % (how, hi, max_size, DAMAGE_UNREADABLE)), None
    index = next((x.index for x in heap.arenas if x.address == ar_ptr), None)
    name = "arena %d" % index if index is not None else "!! not an arena of the ring"
    return ("thread arena 0x%x (%s): %s, heap_info 0x%x = chunk & ~(HEAP_MAX_SIZE 0x%x - 1), "
            "its ar_ptr 0x%x (heap size 0x%x, prev 0x%x)"
            % (ar_ptr, name, how, hi, max_size, ar_ptr, hsize, prev)), ar_ptr


# ---- colours (arena-vis) -------------------------------------------------------------------

def styling():
    """True when gdb styles its own output: 'set style enabled on' and a terminal."""
    try:
        enabled = gdb.parameter("style enabled")
    except (gdb.error, RuntimeError):
        enabled = False
    return bool(enabled) and os.isatty(1) and os.environ.get("TERM", "dumb") != "dumb"


# arena-vis shows at most this much of one chunk.
VIS_MAX_BYTES = 64 * 1024

CHUNK_COLOURS = ["\033[32m", "\033[34m", "\033[33m", "\033[35m", "\033[36m"]
RESET = "\033[0m"


# ---- the commands ---------------------------------------------------------------------------

class ArenaArenas(gdb.Command):
    """Every arenalloc arena, then the mmapped chunks: arenalloc_dump's ARENAS lines.
Usage: arena-arenas

First the glibc release arenalloc behaves as (ARENALLOC_RELEASE), then one line
per arena, in the ring's order from main_arena (arena 0):
  release: glibc 2.36
  arena 0: main_arena ADDR, regions R..., top T (size S), system_mem M (max X), threads N
  arena 1: thread arena ADDR, heaps H..., top T (size S), ...
main_arena's regions are named by their first chunk, a thread arena's heaps by
their heap_info (1 MiB-aligned).  The last line counts the mapped chunks, which
belong to no arena:  mmapped chunks: N, 0xBYTES bytes.
Works on a running (stopped) process and on a core file; reads memory only."""

    def __init__(self):
        super().__init__("arena-arenas", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        heap = Heap(with_chunks=False)
        gdb.write(format_release(heap) + "".join(format_arena(heap, a) for a in heap.arenas) + format_mmapped(heap))


class ArenaHeap(gdb.Command):
    """The chunks of every arena (or of arena N) in address order: arenalloc_dump's CHUNKS part.
Usage: arena-heap [N]

  chunks of arena N
    ADDRESS   SIZE   STATE   FLAGS   LINKS   [!! DAMAGE]
STATE is "in use", "fastbins[0x20]", "unsortedbin[all]", "smallbins[0x1f0]",
"largebins[0x500-0x530]", "top", "fencepost", or "free" (free yet in no bin:
damage).  LINKS are a free chunk's fd and bk (fastbins: fd only, revealed from
safe-linking), and fd_nextsize/bk_nextsize in a large bin.
A damaged heap prints as far as it can be read, with "!! what is wrong" at the
end of the line; the walk of a region stops at a size that cannot be right."""

    def __init__(self):
        super().__init__("arena-heap", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        heap = Heap()
        gdb.write("".join(format_chunks(a) for a in heap.selected(arg)))


class ArenaBins(gdb.Command):
    """The non-empty bins of every arena (or of arena N) as lists: arenalloc_dump's BINS part.
Usage: arena-bins [N]

  bins of arena N
  fastbins
    0x30: 0xC3 -> 0xC2 -> 0xC1 -> 0x0
  unsortedbin
    all: 0xC5 -> 0xC4 -> 0xBIN (bin)
  smallbins ...   largebins ...
    0x500-0x530: 0xC7 -> 0xC8 -> 0xBIN (bin)
      nextsize: 0xC7 0xC8
Each list runs from the bin's head along fd; "(bin)" is the bin's header, where
a sound list ends.  A list is cut, and marked "!! ...", where a link leaves the
arena's chunks, comes back to a chunk already passed, or enters another bin."""

    def __init__(self):
        super().__init__("arena-bins", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        heap = Heap()
        gdb.write("".join(format_bins(heap.alloc, a) for a in heap.selected(arg)))


class ArenaTcache(gdb.Command):
    """The selected thread's per-thread cache: arenalloc_dump's tcache part.
Usage: arena-tcache

  tcache of this thread: ADDR (tcache_count 7, tcache_max 1032)
    0x30 [2]: 0xE2 (stored 0xE2) -> 0xE1 (stored 0xS1) -> 0x0
Per non-empty bin: its chunk size, its count, then its entries from the head
(each the chunk's user memory, as malloc returns it) with the link as stored
in memory (safe-linked from glibc 2.32: (address >> 12) ^ next; the head is
stored plainly).  "!!" marks a count that differs from the list's length, a
list that loops, or an entry that is no chunk of any arena.  Only the selected
thread's cache can be read (thread N selects another)."""

    def __init__(self):
        super().__init__("arena-tcache", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        gdb.write(format_tcache(Heap()))


class ArenaChunk(gdb.Command):
    """One chunk, given its address or the user pointer malloc returned.
Usage: arena-chunk [--chunk | --mem] ADDR

ADDR is any gdb expression (0x4052a0, p, &buf[0], ...).  Without an option it is
taken as a chunk address when the walk of an arena found a chunk there, else as
a user pointer (chunk = mem - 0x10) -- the output says which.  Shows prev_size,
size and flags, the state (in use, which bin and where in its list, top, or a
mapped chunk when IS_MMAPPED is set), fd/bk (fd_nextsize/bk_nextsize in a large
bin), the fastbin free() would put an in-use chunk of a fast size in, the arena
free() would find for it (main_arena, or a thread arena through heap_info =
chunk & ~(HEAP_MAX_SIZE - 1), HEAP_MAX_SIZE read from the process, and its
ar_ptr; for a free chunk or top of a thread arena, whose NON_MAIN_ARENA bit is
clear as in glibc, the arena whose heap holds it), and the usable size."""

    def __init__(self):
        super().__init__("arena-chunk", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
        how = "auto"
        arg = arg.strip()
        for option, value in (("--chunk", "chunk"), ("--mem", "mem")):
            if arg.startswith(option + " "):
                how, arg = value, arg[len(option):].strip()
        if not arg:
            raise gdb.GdbError("usage: arena-chunk [--chunk | --mem] ADDR")
        addr = parse_int(arg)
        heap = Heap()
        chunk, a, c, note = resolve_chunk(heap, addr, how)
        gdb.write(self.describe(heap, chunk, a, c, note))

    @staticmethod
    def describe(heap, chunk, a, c, note):
        mem = heap.mem
        out = ["chunk 0x%x (%s)\n" % (chunk, note)]
        try:
            prev_size = mem.u64(chunk)
            size_field = mem.u64(chunk + SIZE_SZ)
        except gdb.MemoryError:
            out.append("  !! %s: 0x%x\n" % (DAMAGE_UNREADABLE, chunk))
            return "".join(out)
        size = chunksize(size_field)
        # prev_size means something only when the chunk before is free (P clear).
        prev_note = "" if size_field & (PREV_INUSE | IS_MMAPPED) else "  (P clear: the free chunk before has this size)"
        out.append("  prev_size   0x%x%s\n" % (prev_size, prev_note))
        if size_field & SIZE_BITS:
            out.append("  size        0x%x = 0x%x | %s\n" % (size_field, size, chunk_flag_names(size_field)))
        else:
            out.append("  size        0x%x (no flags)\n" % size_field)

        # The state, from the walk of its arena's chunks and bins.
        if c is not None:
            if c.bin >= 0:
                state = "%s[%s]%s" % (CHUNK_STATE_NAMES[c.state], bin_label(kind_of(c.state), c.bin),
                                      position_in_bin(a, c))
            else:
                state = CHUNK_STATE_NAMES[c.state]
            state += " (arena %d)" % a.index
            if c.state == CHUNK_TOP:
                size = a.top_size
        elif size_field & IS_MMAPPED:
            state = "mmapped chunk (a mapping of its own, in no arena; prev_size is its offset in the mapping)"
        else:
            state = "unknown: no arena's walk has a chunk here"
        out.append("  state       %s\n" % state)
        if c is not None and c.damage is not None:
            out.append("  !! %s\n" % c.damage)

        # Links of a free chunk.
        if c is not None and c.state == CHUNK_FASTBIN:
            stored = mem.u64(chunk + 2 * SIZE_SZ)
            if heap.alloc.safe_linking(mem):
                out.append("  fd          0x%x  (stored 0x%x = fd ^ (0x%x >> 12): safe-linking)\n"
                           % (c.fd, stored, chunk + 2 * SIZE_SZ))
            else:
                out.append("  fd          0x%x  (stored as it is: checks of a release before 2.32)\n" % c.fd)
        elif c is not None and c.state in (CHUNK_UNSORTED, CHUNK_SMALLBIN, CHUNK_LARGEBIN):
            out.append("  fd          0x%x\n  bk          0x%x\n" % (c.fd, c.bk))
            if c.state == CHUNK_LARGEBIN:
                out.append("  fd_nextsize 0x%x\n  bk_nextsize 0x%x\n" % (c.fd_nextsize, c.bk_nextsize))

        # Where free() would put it: the selected thread's cache while its bin
        # has room, else a fastbin for a fast size (M_MXFAST).
        if c is not None and c.state == CHUNK_TCACHE:
            out.append("  next        0x%x  (stored 0x%x; an entry is a chunk's user memory)\n"
                       % (c.fd, c.next_stored))
        t = heap.tcache
        tidx = (size - MINSIZE + MALLOC_ALIGNMENT - 1) // MALLOC_ALIGNMENT if size >= MINSIZE else -1
        cached_free = (c is not None and c.state == CHUNK_IN_USE and not size_field & IS_MMAPPED and
                       t.address != 0 and 0 <= tidx < min(len(t.bins), t.tcache_bins) and
                       t.bins[tidx].count < t.tcache_count)
        if cached_free:
            out.append("  free()      would put it in tcachebins[0x%x] (%d of %d entries)\n"
                       % (size, t.bins[tidx].count, t.tcache_count))
        elif c is not None and c.state == CHUNK_IN_USE and not size_field & IS_MMAPPED:
            max_fast = mem.u64(heap.alloc.global_max_fast)
            if MINSIZE <= size <= max_fast:
                out.append("  free()      would put it in fastbins[0x%x] (size <= global_max_fast 0x%x)\n"
                           % (size, max_fast))

        # Its arena, as free() finds it.
        text, ar_ptr = arena_of_chunk(heap, chunk, size_field, a, c)
        out.append("  arena       %s\n" % text)
        if a is not None and ar_ptr is not None and ar_ptr != a.address:
            out.append("  !! the walk found it in arena %d (0x%x), not there\n" % (a.index, a.address))

        # What the caller may use: memsize() of bins/chunk.h.
        usable = size - CHUNK_HDR_SZ + (0 if size_field & IS_MMAPPED else SIZE_SZ)
        if size < MINSIZE:
            out.append("  usable      none (not a chunk size)\n")
        elif c is not None and c.state == CHUNK_TOP:
            out.append("  usable      none (top is never handed out whole; 0x%x bytes left)\n" % size)
        elif c is None or c.state in (CHUNK_IN_USE, CHUNK_FASTBIN) or size_field & IS_MMAPPED:
            out.append("  usable      0x%x (%d) bytes from 0x%x (malloc_usable_size)\n"
                       % (usable, usable, chunk + CHUNK_HDR_SZ))
        else:
            out.append("  usable      0x%x (%d) bytes once allocated (free now)\n" % (usable, usable))
        return "".join(out)


class ArenaVis(gdb.Command):
    """The raw words of N chunks (default 10) from ADDR, each word labelled: pwndbg's vis_heap_chunks.
Usage: arena-vis [N] [ADDR]

ADDR (a chunk or a user pointer; default: arena 0's first chunk) and N are gdb
expressions.  Two 8-byte words per line, with the address of the first and a
label column "[k] FIELD  FIELD" naming chunk k and each word: prev_size, size
(with its A M P flags and the chunk's state), fd, bk, fd_nextsize, bk_nextsize,
payload (in use) or free.  A run of identical payload lines is folded into one
"..." line; top shows only its header.  Chunks are followed as the walk of
arena-heap follows them (a chunk arena-heap marks as damaged ends the picture).
Colours, one per chunk, when gdb's styling is on and the output is a terminal."""

    def __init__(self):
        super().__init__("arena-vis", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        if len(argv) > 2:
            raise gdb.GdbError("usage: arena-vis [N] [ADDR]")
        count = parse_int(argv[0]) if argv else 10
        heap = Heap()
        if len(argv) == 2:
            addr = parse_int(argv[1])
            start, a, c, note = resolve_chunk(heap, addr, "auto")
        else:
            a = heap.arenas[0]
            start = a.regions[0][0] if a.regions else 0
            c = a.snap.find_chunk(start) if a.snap is not None else None
            note = "arena 0's first chunk"
        gdb.write(self.picture(heap, start, a, c, count, note))

    @staticmethod
    def chunk_sequence(heap, start, a, c, count):
        """[(chunk address, walked chunk or None)], up to count of them: the walk's
        chunks from start when it is one, else chunks followed by size."""
        if c is not None:
            k = next(i for i, x in enumerate(a.snap.chunks) if x is c)
            return [(x.addr, x) for x in a.snap.chunks[k:k + count]]
        # Not a chunk of any arena (a mapped chunk, say): follow sizes while
        # they are plausible and the memory readable.  A mapped chunk is alone
        # in its mapping: nothing follows it.
        seq, p = [], start
        for _ in range(count):
            seq.append((p, None))
            try:
                size_field = heap.mem.u64(p + SIZE_SZ)
            except gdb.MemoryError:
                break
            size = chunksize(size_field)
            if size < MINSIZE or not aligned_ok(size) or size_field & IS_MMAPPED:
                break
            p += size
        return seq

    @staticmethod
    def labels(walked, size_field, nwords):
        """The label of each word of a chunk of nwords words: "prev_size",
        "size 0x21 P (fastbins[0x20])", then the links of a free chunk, then
        "payload" (in use) or "free"."""
        size_label = " ".join(filter(None, ["size 0x%x" % size_field, flag_letters(size_field)]))
        state = None
        if walked is not None:
            state = walked.state
            name = CHUNK_STATE_NAMES[state]
            if walked.bin >= 0:
                name += "[%s]" % bin_label(kind_of(state), walked.bin)
            size_label += " (%s)" % name
        elif size_field & IS_MMAPPED:
            size_label += " (mmapped)"
        labels = ["prev_size", size_label]
        if state == CHUNK_FASTBIN:
            body = ["fd -> 0x%x" % walked.fd]
        elif state in (CHUNK_UNSORTED, CHUNK_SMALLBIN):
            body = ["fd", "bk"]
        elif state == CHUNK_LARGEBIN:
            body = ["fd", "bk", "fd_nextsize", "bk_nextsize"]
        else:
            body = []
        rest = "free" if state in (CHUNK_UNSORTED, CHUNK_SMALLBIN, CHUNK_LARGEBIN, CHUNK_FREE) else "payload"
        labels += body
        labels += [rest] * max(0, nwords - len(labels))
        return labels[:nwords]

    @classmethod
    def picture(cls, heap, start, a, c, count, note):
        mem = heap.mem
        colour = styling()
        out = ["up to %d chunk%s from 0x%x (%s)\n" % (count, "s" * (count != 1), start, note)]
        for k, (addr, walked) in enumerate(cls.chunk_sequence(heap, start, a, c, count)):
            try:
                size_field = mem.u64(addr + SIZE_SZ)
            except gdb.MemoryError:
                out.append("0x%012x  [%d] !! %s\n" % (addr, k, DAMAGE_UNREADABLE))
                break
            size = chunksize(size_field)
            damaged = walked is not None and walked.damage is not None
            if (walked is not None and walked.state == CHUNK_TOP) or damaged or size < MINSIZE:
                nbytes = CHUNK_HDR_SZ                  # the header only
            elif walked is not None:
                nbytes = min(size, walked.room)
            else:
                nbytes = size
            hidden = max(0, nbytes - VIS_MAX_BYTES)    # a huge chunk: its start only
            nbytes -= hidden
            labels = cls.labels(walked, size_field, nbytes // SIZE_SZ)
            on, off = (CHUNK_COLOURS[k % len(CHUNK_COLOURS)], RESET) if colour else ("", "")
            previous, folded = None, 0
            for offset in range(0, nbytes, 2 * SIZE_SZ):
                try:
                    w0, w1 = mem.u64(addr + offset), mem.u64(addr + offset + SIZE_SZ)
                except gdb.MemoryError:
                    out.append("0x%012x  [%d] !! %s\n" % (addr + offset, k, DAMAGE_UNREADABLE))
                    break
                l0, l1 = labels[offset // SIZE_SZ], labels[offset // SIZE_SZ + 1]
                # Fold a run of identical payload lines, as hexdump's "*".
                if (l0, l1) in (("payload", "payload"), ("free", "free")) and (w0, w1) == previous:
                    folded += 1
                    continue
                if folded:
                    out.append("%s  ... %d more line%s the same%s\n" % (on, folded, "s" * (folded > 1), off))
                    folded = 0
                previous = (w0, w1)
                label = "[%d] %-14s %s" % (k, l0, l1) if (l0, l1) != ("payload", "payload") else "[%d] payload" % k
                out.append("%s0x%012x  0x%016x  0x%016x%s  %s\n" % (on, addr + offset, w0, w1, off, label.rstrip()))
            if folded:
                out.append("%s  ... %d more line%s the same%s\n" % (on, folded, "s" * (folded > 1), off))
            if hidden:
                out.append("%s  ... [%d] 0x%x more bytes not shown%s\n" % (on, k, hidden, off))
            if walked is not None and walked.state == CHUNK_TOP:
                out.append("%s  ... [%d] top: 0x%x bytes to the end of the arena%s\n" % (on, k, a.top_size, off))
            if damaged:
                out.append("  [%d] !! %s (the picture stops here)\n" % (k, walked.damage))
                break
        return "".join(out)


class ArenaBreak(gdb.Command):
    """A breakpoint on arenalloc's function NAME only.
Usage: arena-break NAME

With libc's debug symbols installed, `break _int_malloc` resolves to two
places, libc's _int_malloc and arenalloc's (the drop-in library keeps glibc's
names), and stops in libc's too, which the process never calls for its heap.
arena-break looks NAME up in the file that holds arenalloc (the program, or
libarenalloc.so under LD_PRELOAD: run or `start` first, as it is loaded at
start-up) and breaks on that function's source file only."""

    def __init__(self):
        super().__init__("arena-break", gdb.COMMAND_BREAKPOINTS, gdb.COMPLETE_SYMBOL)

    def invoke(self, arg, from_tty):
        name = arg.strip()
        if not name:
            raise gdb.GdbError("usage: arena-break NAME")
        objfile = Allocator._find_objfile()
        sym = objfile.lookup_global_symbol(name) or objfile.lookup_static_symbol(name)
        if sym is None or not sym.is_function or sym.symtab is None:
            raise gdb.GdbError("arena-break: %s has no function %s" % (objfile.filename, name))
        bp = gdb.Breakpoint(source=sym.symtab.filename, function=name)
        locations = getattr(bp, "locations", None)   # gdb 13 and later
        where = "" if locations is None else " (%d location%s)" % (len(locations), "s" * (len(locations) != 1))
        gdb.write("breakpoint %d: %s in %s of %s%s\n" % (bp.number, name, sym.symtab.filename,
                                                         os.path.basename(objfile.filename), where))


# ---- stepping (tools/gdb/stepping.gdb) and the source path -----------------------------------

HERE = os.path.dirname(os.path.abspath(__file__))
TREE = os.path.dirname(os.path.dirname(HERE))      # tools/gdb/ -> the source tree


def set_source_path(objfile):
    """When objfile is arenalloc built in another tree (CI's clone, a copy, an
    installed library), gdb looks for its sources where they were compiled:
    point it at this tree instead, if this tree has them."""
    try:
        sym = objfile.lookup_static_symbol("main_arena") or objfile.lookup_global_symbol("main_arena")
        if sym is None or sym.symtab is None or os.path.isabs(sym.symtab.filename):
            return
        filename = os.path.normpath(sym.symtab.filename)
        fullname = os.path.normpath(sym.symtab.fullname())
    except (gdb.error, ValueError, RuntimeError):
        return
    if not fullname.endswith("/" + filename):
        return
    compiled_in = fullname[:-len(filename) - 1]
    if compiled_in and compiled_in != TREE and os.path.isfile(os.path.join(TREE, filename)):
        gdb.execute("set substitute-path %s %s" % (compiled_in, TREE), to_string=True)


def on_new_objfile(event):
    set_source_path(event.new_objfile)


STEPPING = os.path.join(HERE, "stepping.gdb")
if os.path.isfile(STEPPING):
    gdb.execute("source " + STEPPING, to_string=True)
gdb.events.new_objfile.connect(on_new_objfile)
for _objfile in gdb.objfiles():
    set_source_path(_objfile)

ArenaArenas()
ArenaHeap()
ArenaBins()
ArenaTcache()
ArenaChunk()
ArenaVis()
ArenaBreak()

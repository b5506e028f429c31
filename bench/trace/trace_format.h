/*
 * trace_format.h - the arenalloc trace format, version 1.
 *
 * A trace is the list of every malloc-family call one process made, in the
 * order the calls happened, compact enough to record a compiler run and exact
 * enough to replay it against another allocator.  Everything below is enough
 * to write a decoder from scratch; trace_io.c is the one in this tree.
 *
 * All fixed-size integers are little-endian.
 *
 * ---- File header (TRACE_HEADER_SIZE = 84 bytes) -----------------------------
 *
 *   offset  size  field
 *        0     8  magic: the bytes "ARENATRC"
 *        8     4  format version: 1
 *       12     4  header length in bytes (84 in version 1); readers skip to
 *                 this offset, so a later version may append fields
 *       16     4  pid of the recorded process (0 for a synthetic trace)
 *       20    64  program name (basename of argv[0]), NUL-padded; a name of
 *                 64 bytes or more is cut to 63 so one NUL always remains
 *
 * ---- Blocks -------------------------------------------------------------------
 *
 * After the header come blocks until the end of the file.  A block is a
 * 16-byte block header followed by its payload:
 *
 *   offset  size  field
 *        0     4  block magic: the bytes "TBLK"
 *        4     4  payload length in bytes (at most TRACE_MAX_PAYLOAD)
 *        8     4  number of records in the payload
 *       12     4  CRC-32 of the payload (the zlib/PNG/Ethernet CRC: reflected
 *                 polynomial 0xEDB88320, initial value and final xor ~0)
 *       16     n  payload: the records, back to back
 *
 * A record never spans two blocks.  The recorder writes each block with one
 * write(), so a process killed while recording leaves whole blocks and at
 * worst one partial block at the end: a reader stops before a block the file
 * ends inside, with a warning, and keeps everything before it.  A block whose
 * length runs past the end of the file while its CRC matches the bytes up to
 * the end, or while a whole block follows it, has a damaged length, not a
 * missing end: readers refuse that file.
 *
 * ---- Records ------------------------------------------------------------------
 *
 * Numbers inside records are unsigned LEB128 varints: 7 bits per byte, low
 * group first, the top bit set on every byte but the last (300 = 0xAC 0x02).
 * A varint is at most 10 bytes.
 *
 * A record is:
 *
 *   op byte     bits 0-6: which function was called (enum trace_op below);
 *               bit 7 (TRACE_FAILED): the call returned NULL (posix_memalign:
 *               returned an error), so it allocated nothing
 *   thread      varint: the calling thread; threads are numbered 0, 1, 2 ...
 *               in the order of their first call, so a record's thread is at
 *               most the number of threads seen before it
 *   arguments   varints, per op:
 *
 *     op              code  arguments
 *     malloc            1   size
 *     free              2   old
 *     calloc            3   nmemb, size
 *     realloc           4   old, size
 *     memalign          5   alignment, size
 *     posix_memalign    6   alignment, size
 *     aligned_alloc     7   alignment, size
 *     valloc            8   size
 *     pvalloc           9   size
 *
 * Ids.  Every successful allocation (any op but free without TRACE_FAILED)
 * gets the next id, 1, 2, 3 ... in record order, across all threads and
 * blocks; a record never stores its own id.  `old` names the block that free
 * or realloc gives back as a distance back from the id the next allocation
 * would get: old = next_id - id, so an object freed soon after it was made
 * has a small delta and costs one byte.  old = 0 is the NULL pointer
 * (free(NULL), realloc(NULL, n)).
 *
 * What a record does to the set of live ids:
 *   - a successful allocation makes its new id live;
 *   - free(old) ends old;
 *   - a successful realloc(old, size) ends old and makes a new id live, even
 *     when the block stayed in place;
 *   - a failed realloc keeps old live, except realloc(old, 0) with a NULL
 *     result, which glibc 2.36 treats as free(old): that ends old;
 *   - a failed allocation creates no id.
 * A free or realloc of an id that is not live makes the trace invalid.
 * reallocarray is recorded as realloc with nmemb * size; when that overflows,
 * as a failed realloc of size 2^64 - 1.
 *
 * Sizes are the caller's requested bytes, so "live bytes" (the sum of the
 * requested sizes of the live ids; calloc counts nmemb * size) is a property
 * of the program, the same under every allocator.
 *
 * ---- Text form ----------------------------------------------------------------
 *
 * `arena-trace dump` and `arena-replay --log` print one line per record:
 *
 *   <op index> t<thread> <call> [= #<new id> | = NULL]
 *
 * where the op index is the record's position in the trace, from 0, and the
 * call is written as in C with ids for pointers:
 *
 *   0 t0 malloc(24) = #1
 *   1 t0 calloc(4, 10) = #2
 *   2 t0 realloc(#1, 100) = #3
 *   3 t0 posix_memalign(64, 100) = #4
 *   4 t0 free(#3)
 *   5 t0 free(NULL)
 *   6 t0 realloc(#2, 0) = NULL
 *   7 t0 malloc(4611686018427387904) = NULL
 */
#ifndef ARENALLOC_TRACE_FORMAT_H
#define ARENALLOC_TRACE_FORMAT_H

#define TRACE_MAGIC "ARENATRC"
#define TRACE_MAGIC_SIZE 8
#define TRACE_VERSION 1u
#define TRACE_PROGRAM_SIZE 64
#define TRACE_HEADER_SIZE (TRACE_MAGIC_SIZE + 3 * 4 + TRACE_PROGRAM_SIZE)
#define TRACE_MAX_HEADER 4096 /* readers refuse longer headers as damage */

#define TRACE_BLOCK_MAGIC 0x4b4c4254u /* "TBLK" read as a little-endian u32 */
#define TRACE_BLOCK_HEADER_SIZE 16
#define TRACE_MAX_PAYLOAD (16u << 20) /* readers refuse longer payloads as damage */
#define TRACE_MAX_RECORD 31           /* op byte + thread + two arguments, 10 bytes each */

enum trace_op {
    TRACE_MALLOC = 1,
    TRACE_FREE = 2,
    TRACE_CALLOC = 3,
    TRACE_REALLOC = 4,
    TRACE_MEMALIGN = 5,
    TRACE_POSIX_MEMALIGN = 6,
    TRACE_ALIGNED_ALLOC = 7,
    TRACE_VALLOC = 8,
    TRACE_PVALLOC = 9,
    TRACE_OP_COUNT = 10 /* one past the last code; 0 is not an op */
};

#define TRACE_OP_MASK 0x7fu
#define TRACE_FAILED 0x80u

#endif /* ARENALLOC_TRACE_FORMAT_H */

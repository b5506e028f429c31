/*
 * pool.h - a fixed-size pool allocator on 1 MiB-aligned regions: the pool lab's
 * allocator, beside arenalloc rather than inside it.
 *
 * Every block of a pool has the same size.  Blocks live in regions of
 * POOL_REGION_SIZE bytes reserved at addresses that are multiples of that size,
 * so the region of any block is found by masking its address, and the region's
 * tag, at the region's start, says which pool the block belongs to: pool_free
 * needs nothing but the pointer.  That is the idea of thread arenas' heaps
 * (heap_for_ptr) and of mimalloc's segments, on the smallest scale.
 *
 *   region (1 MiB, aligned)
 *   +------------+---------+---------+-----+---------+
 *   | region_tag | block 0 | block 1 | ... | block n |
 *   +------------+---------+---------+-----+---------+
 *
 * A region's free blocks form a list of block indices, not pointers: a free
 * block's first 4 bytes hold the index of the next free one (POOL_NO_BLOCK ends
 * the list), as the fixed-size allocator of the course notes keeps 16-bit
 * indices.  Blocks are filled with the notes' clear values: 0xA1 when handed
 * out (memory ALlocated), 0xDE when freed (DEallocated) - after the index.
 */
#ifndef ARENALLOC_LABS_POOL_H
#define ARENALLOC_LABS_POOL_H

#include <stddef.h>
#include <stdint.h>

#define POOL_REGION_SIZE ((size_t)1 << 20)
#define POOL_NO_BLOCK    UINT32_MAX
#define POOL_MAGIC       0x504f4f4cu /* "POOL" */
#define POOL_CLEAR_ALLOC 0xA1
#define POOL_CLEAR_FREE  0xDE

struct pool;

struct region_tag {
    uint32_t magic;          /* POOL_MAGIC: a check that a masked pointer found a tag */
    uint32_t nblocks;        /* blocks in this region */
    uint32_t nfree;          /* of which free */
    uint32_t free_head;      /* index of the first free block, or POOL_NO_BLOCK */
    struct pool *pool;       /* the pool the region belongs to */
    struct region_tag *next; /* the pool's next region */
    char *blocks;            /* block 0 (16-byte aligned, after this tag) */
};

struct pool {
    size_t block_size;          /* at least 4 (the index), a multiple of 16 when larger */
    struct region_tag *regions; /* most recently made first */
    size_t nregions;
};

/* Sets up an empty pool of blocks of `block_size` bytes (4 to 64 KiB, rounded
   up to 16).  Returns 0, or -1 when the size is out of range. */
int pool_init(struct pool *pool, size_t block_size);

/* A block of the pool's size filled with 0xA1, or NULL when no region can be had. */
void *pool_alloc(struct pool *pool);

/* Gives back a block from any pool (NULL: nothing).  Fills it with 0xDE after
   its first 4 bytes, which hold the next free index. */
void pool_free(void *block);

/* The region (its tag) holding `block`: the address masked to POOL_REGION_SIZE. */
struct region_tag *region_of(const void *block);

/* POOL_REGION_SIZE bytes at a multiple of POOL_REGION_SIZE, readable and
   writable, by mmap-and-trim; NULL when the OS has none. */
void *region_reserve(void);

/* Unmaps every region of the pool. */
void pool_destroy(struct pool *pool);

#endif /* ARENALLOC_LABS_POOL_H */

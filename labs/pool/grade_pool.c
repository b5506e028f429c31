/*
 * grade_pool.c - the pool lab's grader: region_reserve (mmap-and-trim),
 * region_of (masking), pool_alloc and pool_free (a free list of block indices,
 * the 0xA1 / 0xDE clear values).
 */
#include "grade.h"
#include "pool.h"
#include "tests/test_helpers.h"

START_TEST(reserve_aligned)
{
    size_t before = lab_mapped_bytes();
    char *r = region_reserve();
    ck_assert_msg(r != NULL && ((uintptr_t)r & (POOL_REGION_SIZE - 1)) == 0, "region_reserve should return a "
                  "multiple of 1 MiB, got %p", (void *)r);
    ck_assert_msg(lab_mapped_bytes() - before == POOL_REGION_SIZE, "region_reserve should keep exactly 1 MiB mapped (map "
                  "2 MiB, unmap the head and the tail): the process holds %zu KiB more",
                  (lab_mapped_bytes() - before) / 1024);
    memset(r, 1, POOL_REGION_SIZE);
}
END_TEST

START_TEST(mask)
{
    char *r = region_reserve();
    ck_assert_ptr_nonnull(r);
    const char *inside[] = {r, r + 1, r + 4096, r + POOL_REGION_SIZE - 1};
    for (int i = 0; i < 4; i++)
        ck_assert_msg((char *)region_of(inside[i]) == r, "region_of(%p) should mask down to the region %p, got %p",
                      (const void *)inside[i], (void *)r, (void *)region_of(inside[i]));
}
END_TEST

START_TEST(alloc_fills)
{
    struct pool pool;
    ck_assert_int_eq(pool_init(&pool, 48), 0);
    unsigned char *p = pool_alloc(&pool);
    ck_assert_msg(p != NULL, "pool_alloc returned NULL");
    struct region_tag *tag = region_of(p);
    ck_assert_msg(tag->magic == POOL_MAGIC && tag->pool == &pool, "the block's region tag should name its pool");
    ck_assert_msg(p == (unsigned char *)tag->blocks, "the first block of a new region is block 0, at tag->blocks");
    ck_assert_bytes(p, 0, 48, POOL_CLEAR_ALLOC);
}
END_TEST

START_TEST(indices_lifo)
{
    struct pool pool;
    ck_assert_int_eq(pool_init(&pool, 64), 0);
    char *b[4];
    for (int i = 0; i < 4; i++)
        b[i] = pool_alloc(&pool);
    ck_assert_msg(b[1] == b[0] + 64 && b[2] == b[0] + 128, "a new region hands out blocks 0, 1, 2 in order");
    pool_free(b[1]);
    pool_free(b[3]);
    struct region_tag *tag = region_of(b[0]);
    ck_assert_msg(tag->free_head == 3, "after freeing blocks 1 then 3, the free list should start at index 3, "
                                       "it starts at %u", tag->free_head);
    uint32_t next;
    memcpy(&next, b[3], sizeof next);
    ck_assert_msg(next == 1, "block 3's first 4 bytes should hold the next free index, 1; they hold %u", next);
    ck_assert_msg(pool_alloc(&pool) == b[3] && pool_alloc(&pool) == b[1], "pool_alloc should pop blocks 3 then 1 "
                                                                          "(LIFO)");
}
END_TEST

START_TEST(free_fills)
{
    struct pool pool;
    ck_assert_int_eq(pool_init(&pool, 32), 0);
    unsigned char *a = pool_alloc(&pool), *b = pool_alloc(&pool);
    pool_free(a);
    pool_free(b);
    ck_assert_bytes(b, 4, 32, POOL_CLEAR_FREE);
    ck_assert_msg(region_of(a)->nfree == region_of(a)->nblocks, "every block is free again: nfree should be %u, "
                  "it is %u", region_of(a)->nblocks, region_of(a)->nfree);
}
END_TEST

START_TEST(many_regions)
{
    struct pool pool;
    ck_assert_int_eq(pool_init(&pool, 4096), 0);
    enum { N = 600 }; /* about 255 blocks of 4 KiB a region: three regions */
    static char *b[N];
    for (int i = 0; i < N; i++) {
        b[i] = pool_alloc(&pool);
        ck_assert_msg(b[i] != NULL, "pool_alloc %d returned NULL", i);
        ck_assert_msg(region_of(b[i])->pool == &pool, "block %d's region should name the pool", i);
    }
    ck_assert_msg(pool.nregions == 3, "600 blocks of 4 KiB need 3 regions of 1 MiB, the pool has %zu", pool.nregions);
    for (int i = 0; i < N; i += 2)
        pool_free(b[i]);
    for (int i = 0; i < N; i += 2)
        ck_assert_msg(pool_alloc(&pool) != NULL, "blocks freed in every region should be found again");
    ck_assert_msg(pool.nregions == 3, "reusing freed blocks should need no new region, the pool has %zu",
                  pool.nregions);
    pool_destroy(&pool);
}
END_TEST

START_TEST(two_pools)
{
    struct pool small, big;
    ck_assert_int_eq(pool_init(&small, 16), 0);
    ck_assert_int_eq(pool_init(&big, 256), 0);
    char *s = pool_alloc(&small), *g = pool_alloc(&big);
    pool_free(g); /* pool_free finds each block's pool by its region tag alone */
    pool_free(s);
    ck_assert_msg(pool_alloc(&big) == g && pool_alloc(&small) == s, "pool_free should return each block to its own "
                                                                    "pool, found from the pointer alone");
}
END_TEST

START_TEST(untouched_malloc)
{
    void *p = xmalloc(100);
    arenalloc_free(p);
}
END_TEST

void lab_register(void)
{
    lab_scored("region_reserve: 1 MiB at a 1 MiB boundary, nothing more kept", reserve_aligned);
    lab_scored("region_of masks any address inside down to the region", mask);
    lab_scored("pool_alloc hands out block 0 of a new region, filled with 0xA1", alloc_fills);
    lab_scored("the free list is of block indices, LIFO", indices_lifo);
    lab_scored("pool_free fills with 0xDE after the index", free_fills);
    lab_scored("a pool grows by whole regions and reuses freed blocks", many_regions);
    lab_scored("pool_free finds the pool from the pointer alone", two_pools);
    lab_untouched("arenalloc itself is not part of this lab", untouched_malloc);
}

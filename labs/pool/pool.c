/*
 * pool.c - the pool lab's allocator (pool.h has the picture).
 */
#include "pool.h"

#include <string.h>
#include <sys/mman.h>

int pool_init(struct pool *pool, size_t block_size)
{
    if (block_size < 4 || block_size > 64 * 1024)
        return -1;
    pool->block_size = block_size <= 4 ? 4 : (block_size + 15) & ~(size_t)15;
    pool->regions = NULL;
    pool->nregions = 0;
    return 0;
}

void *region_reserve(void)
{
    /* LAB(pool) BEGIN */
    /* mmap only promises page alignment; twice the size always holds an
       aligned run, and what lies before and after it goes back at once. */
    size_t total = 2 * POOL_REGION_SIZE;
    char *base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        return NULL;
    char *aligned = (char *)(((uintptr_t)base + POOL_REGION_SIZE - 1) & ~(uintptr_t)(POOL_REGION_SIZE - 1));
    if (aligned > base)
        munmap(base, (size_t)(aligned - base));
    char *end = base + total;
    if (end > aligned + POOL_REGION_SIZE)
        munmap(aligned + POOL_REGION_SIZE, (size_t)(end - (aligned + POOL_REGION_SIZE)));
    return aligned;
    /* LAB(pool) END */
}

struct region_tag *region_of(const void *block)
{
    /* LAB(pool) BEGIN */
    return (struct region_tag *)((uintptr_t)block & ~(uintptr_t)(POOL_REGION_SIZE - 1));
    /* LAB(pool) END */
}

/* A new region for the pool, every block free and chained 0 -> 1 -> ... -> n-1. */
static struct region_tag *region_new(struct pool *pool)
{
    char *r = region_reserve();
    if (r == NULL)
        return NULL;
    struct region_tag *tag = (struct region_tag *)r;
    size_t header = (sizeof *tag + 15) & ~(size_t)15;
    tag->magic = POOL_MAGIC;
    tag->pool = pool;
    tag->blocks = r + header;
    tag->nblocks = (uint32_t)((POOL_REGION_SIZE - header) / pool->block_size);
    tag->nfree = tag->nblocks;
    for (uint32_t i = 0; i < tag->nblocks; i++) {
        uint32_t next = i + 1 < tag->nblocks ? i + 1 : POOL_NO_BLOCK;
        memcpy(tag->blocks + (size_t)i * pool->block_size, &next, sizeof next);
    }
    tag->free_head = 0;
    tag->next = pool->regions;
    pool->regions = tag;
    pool->nregions++;
    return tag;
}

void *pool_alloc(struct pool *pool)
{
    /* LAB(pool) BEGIN */
    struct region_tag *tag = pool->regions;
    while (tag != NULL && tag->free_head == POOL_NO_BLOCK)
        tag = tag->next;
    if (tag == NULL && (tag = region_new(pool)) == NULL)
        return NULL;

    char *block = tag->blocks + (size_t)tag->free_head * pool->block_size;
    memcpy(&tag->free_head, block, sizeof tag->free_head);
    tag->nfree--;
    memset(block, POOL_CLEAR_ALLOC, pool->block_size);
    return block;
    /* LAB(pool) END */
}

void pool_free(void *block)
{
    /* LAB(pool) BEGIN */
    if (block == NULL)
        return;
    struct region_tag *tag = region_of(block);
    size_t size = tag->pool->block_size;
    uint32_t index = (uint32_t)(((char *)block - tag->blocks) / size);

    memset(block, POOL_CLEAR_FREE, size);
    memcpy(block, &tag->free_head, sizeof tag->free_head);
    tag->free_head = index;
    tag->nfree++;
    /* LAB(pool) END */
}

void pool_destroy(struct pool *pool)
{
    struct region_tag *tag = pool->regions;
    while (tag != NULL) {
        struct region_tag *next = tag->next;
        munmap(tag, POOL_REGION_SIZE);
        tag = next;
    }
    pool->regions = NULL;
    pool->nregions = 0;
}

/*
 * test_dump.c - arenalloc_dump: its JSON, read back with cJSON (Debian's
 * libcjson-dev), and its text, against a heap whose every chunk and bin is known
 * (white-box: reads main_arena and the bin headers of the prefixed build).
 *
 * The heap (glibc 2.36's rules with the tcache off, as tests/test_reuse.c
 * explains them; x86-64 chunk sizes), every free chunk followed by an in-use
 * guard so nothing merges:
 *
 *   f0 (0x20)                     freed last        -> fastbins[0x20]: f0
 *   f1 f2 f3 (0x30 each)          freed in order    -> fastbins[0x30]: f3 f2 f1 (LIFO)
 *   s1 s2 (0x1f0)                 freed, then sorted-> smallbins[0x1f0]: s2 s1
 *   l1 (0x510) l2 (0x530) l3 (0x510)  freed, sorted -> largebins[0x500-0x530]: l2 l1 l3,
 *                                                      nextsize chain l2 l1
 *   u1 (0xa0) u2 (0x120)          freed after the sort -> unsorted: u2 u1 (newest first)
 *   big (0x2010)                  the request that sorted the unsorted bin (served by top)
 *   top
 *
 * The sort: s1, s2, l1, l2, l3 are freed to the unsorted bin; malloc(0x2008) scans
 * it from the tail (oldest first), finds no fit, and puts each chunk at the head
 * of its small bin (so s2 ends up before s1) or in its large bin in size order (l3,
 * the same size as l1, goes in second place of that size: after l1).  The fast
 * chunks are freed only after that request, which, being large, would first have
 * consolidated them.
 *
 * Each test runs in a process of its own (Check's fork mode), so each starts from
 * a fresh allocator; the damage tests write over the heap and then never call
 * malloc or free again.  Threads never call ck_assert.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena/heap.h"
#include "bins/malloc_par.h"
#include "include/arenalloc.h"
#include "tests/suites.h"
#define TEST_HELPERS_ARENA
#include "tests/test_helpers.h"

/* ---- the known heap ---------------------------------------------------------------- */

struct known {
    char *f0, *f1, *f2, *f3, *s1, *s2, *l1, *l2, *l3, *u1, *u2, *big, *mapped;
    char *guard[10];
};

/* The chunk of block p, as the dump names it. */
static uintptr_t ch(const void *p) { return (uintptr_t)p - 2 * sizeof(size_t); }

static void make_known_heap(struct known *k)
{
    k->f0 = xmalloc(0x18), k->guard[0] = xmalloc(0x18);
    k->f1 = xmalloc(0x28), k->f2 = xmalloc(0x28), k->f3 = xmalloc(0x28), k->guard[1] = xmalloc(0x18);
    k->s1 = xmalloc(0x1e8), k->guard[2] = xmalloc(0x18);
    k->s2 = xmalloc(0x1e8), k->guard[3] = xmalloc(0x18);
    k->l1 = xmalloc(0x508), k->guard[4] = xmalloc(0x18);
    k->l2 = xmalloc(0x528), k->guard[5] = xmalloc(0x18);
    k->l3 = xmalloc(0x508), k->guard[6] = xmalloc(0x18);
    k->u1 = xmalloc(0x98), k->guard[7] = xmalloc(0x18);
    k->u2 = xmalloc(0x118), k->guard[8] = xmalloc(0x18);
    k->mapped = xmalloc(0x40000); /* above the mmap threshold: a chunk of its own */

    arenalloc_free(k->s1);
    arenalloc_free(k->s2);
    arenalloc_free(k->l1);
    arenalloc_free(k->l2);
    arenalloc_free(k->l3);
    k->big = xmalloc(0x2008); /* sorts s1, s2, l1, l2, l3 into their bins */
    arenalloc_free(k->f1);
    arenalloc_free(k->f2);
    arenalloc_free(k->f3);
    arenalloc_free(k->f0);
    arenalloc_free(k->u1);
    arenalloc_free(k->u2);

    /* The scenario's premises: neighbours where the description says so, and the
       mapped block outside the arena. */
    ck_assert_uint_eq(ch(k->f2), ch(k->f1) + 0x30);
    ck_assert_uint_eq(ch(k->f3), ch(k->f2) + 0x30);
    ck_assert(is_mmapped(k->mapped));
    ck_assert_uint_eq(ch(k->big) + 0x2010, (uintptr_t)main_arena.top);
}

/* The header of bin i of main_arena: where a sound list of that bin ends. */
static uintptr_t header(unsigned i) { return (uintptr_t)bin_at(&main_arena, i); }

/* ---- reading the dump ------------------------------------------------------------------ */

/* The dump as a string (from glibc's malloc, as open_memstream allocates). */
static char *dump_string(unsigned what, int format)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(arenalloc_dump(f, what, format), 0);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_uint_eq(strlen(buf), len);
    return buf;
}

static cJSON *dump_json(unsigned what)
{
    char *text = dump_string(what, ARENALLOC_DUMP_JSON);
    cJSON *root = cJSON_Parse(text);
    ck_assert_msg(root != NULL, "the dump is not JSON near: %.80s", cJSON_GetErrorPtr());
    free(text);
    ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(root, "version")->valueint, 1);
    return root;
}

static cJSON *item(const cJSON *obj, const char *key)
{
    cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    ck_assert_msg(it != NULL, "no \"%s\"", key);
    return it;
}

static int has(const cJSON *obj, const char *key) { return cJSON_HasObjectItem(obj, key); }

static const char *str(const cJSON *obj, const char *key)
{
    cJSON *it = item(obj, key);
    ck_assert_msg(cJSON_IsString(it), "\"%s\" is not a string", key);
    return it->valuestring;
}

/* An address field: "0x" and lower-case hex, as the schema says. */
static uintptr_t addr_of(const cJSON *it)
{
    ck_assert(cJSON_IsString(it));
    const char *s = it->valuestring;
    ck_assert_msg(strncmp(s, "0x", 2) == 0 && s[2] != '\0' && strspn(s + 2, "0123456789abcdef") == strlen(s + 2),
                  "\"%s\" is not an address", s);
    return (uintptr_t)strtoull(s + 2, NULL, 16);
}

static uintptr_t addr_field(const cJSON *obj, const char *key) { return addr_of(item(obj, key)); }

static double num(const cJSON *obj, const char *key)
{
    cJSON *it = item(obj, key);
    ck_assert_msg(cJSON_IsNumber(it), "\"%s\" is not a number", key);
    return it->valuedouble;
}

static cJSON *arena_at(const cJSON *root, int index)
{
    cJSON *arenas = item(root, "arenas");
    ck_assert_int_gt(cJSON_GetArraySize(arenas), index);
    cJSON *a = cJSON_GetArrayItem(arenas, index);
    ck_assert_int_eq((int)num(a, "index"), index);
    return a;
}

static cJSON *chunk_at(const cJSON *arena, uintptr_t a)
{
    cJSON *c;
    cJSON_ArrayForEach(c, item(arena, "chunks"))
        if (addr_field(c, "address") == a)
            return c;
    ck_abort_msg("no chunk at %#lx in the dump", (unsigned long)a);
    return NULL;
}

static cJSON *bin_of(const cJSON *arena, const char *kind, int index)
{
    cJSON *b;
    cJSON_ArrayForEach(b, item(arena, "bins"))
        if (strcmp(str(b, "kind"), kind) == 0 && (int)num(b, "index") == index)
            return b;
    ck_abort_msg("no %s bin %d in the dump", kind, index);
    return NULL;
}

/* The flags of a chunk as one word of bits. */
static unsigned flag_bits(const cJSON *c)
{
    unsigned bits = 0;
    cJSON *f;
    cJSON_ArrayForEach(f, item(c, "flags")) {
        ck_assert(cJSON_IsString(f));
        bits |= strcmp(f->valuestring, "PREV_INUSE") == 0       ? PREV_INUSE
                : strcmp(f->valuestring, "IS_MMAPPED") == 0     ? IS_MMAPPED
                : strcmp(f->valuestring, "NON_MAIN_ARENA") == 0 ? NON_MAIN_ARENA
                                                                : 0x100;
    }
    ck_assert_uint_ne(bits & 0x100, 0x100);
    return bits;
}

/* Chunk a: its size, flags, state and bin (-1: none). */
static void assert_chunk(const cJSON *arena, uintptr_t a, size_t size, unsigned flags, const char *state, int bin)
{
    cJSON *c = chunk_at(arena, a);
    ck_assert_msg((size_t)num(c, "size") == size, "chunk %#lx: size %zu, expected %zu", (unsigned long)a,
                  (size_t)num(c, "size"), size);
    ck_assert_msg(flag_bits(c) == flags, "chunk %#lx: flags %#x, expected %#x", (unsigned long)a, flag_bits(c), flags);
    ck_assert_msg(strcmp(str(c, "state"), state) == 0, "chunk %#lx: state %s, expected %s", (unsigned long)a,
                  str(c, "state"), state);
    if (bin < 0)
        ck_assert_msg(!has(c, "bin"), "chunk %#lx has a bin", (unsigned long)a);
    else
        ck_assert_int_eq((int)num(c, "bin"), bin);
    ck_assert_msg(!has(c, "damage"), "chunk %#lx: damage %s", (unsigned long)a,
                  has(c, "damage") ? str(c, "damage") : "");
}

/* Array key of obj holds exactly the n addresses of want, in order. */
static void assert_addrs(const cJSON *obj, const char *key, const uintptr_t *want, int n)
{
    cJSON *arr = item(obj, key);
    ck_assert_int_eq(cJSON_GetArraySize(arr), n);
    for (int i = 0; i < n; i++)
        ck_assert_msg(addr_of(cJSON_GetArrayItem(arr, i)) == want[i], "%s[%d] is %s, expected %#lx", key, i,
                      cJSON_GetArrayItem(arr, i)->valuestring, (unsigned long)want[i]);
}

#define ADDRS(...) ((const uintptr_t[]){__VA_ARGS__}), (int)(sizeof((const uintptr_t[]){__VA_ARGS__}) / sizeof(uintptr_t))

/* ---- the JSON of a sound heap ------------------------------------------------------------ */

/* Every chunk of the known heap has the expected size, flags, state, bin and links, in address order without gaps. */
START_TEST(test_json_chunks)
{
    struct known k;
    make_known_heap(&k);
    cJSON *root = dump_json(ARENALLOC_DUMP_ALL);
    cJSON *a = arena_at(root, 0);

    assert_chunk(a, ch(k.f0), 0x20, PREV_INUSE, "fastbin", 0);
    assert_chunk(a, ch(k.guard[0]), 0x20, PREV_INUSE, "in_use", -1); /* a fast chunk before it still counts in use */
    assert_chunk(a, ch(k.f1), 0x30, PREV_INUSE, "fastbin", 1);
    assert_chunk(a, ch(k.f2), 0x30, PREV_INUSE, "fastbin", 1);
    assert_chunk(a, ch(k.f3), 0x30, PREV_INUSE, "fastbin", 1);
    assert_chunk(a, ch(k.s1), 0x1f0, PREV_INUSE, "smallbin", 31);
    assert_chunk(a, ch(k.guard[2]), 0x20, 0, "in_use", -1); /* after a free chunk: PREV_INUSE clear */
    assert_chunk(a, ch(k.s2), 0x1f0, PREV_INUSE, "smallbin", 31);
    assert_chunk(a, ch(k.l1), 0x510, PREV_INUSE, "largebin", 68);
    assert_chunk(a, ch(k.l2), 0x530, PREV_INUSE, "largebin", 68);
    assert_chunk(a, ch(k.l3), 0x510, PREV_INUSE, "largebin", 68);
    assert_chunk(a, ch(k.u1), 0xa0, PREV_INUSE, "unsorted", 1);
    assert_chunk(a, ch(k.u2), 0x120, PREV_INUSE, "unsorted", 1);
    assert_chunk(a, ch(k.guard[8]), 0x20, 0, "in_use", -1);
    assert_chunk(a, ch(k.big), 0x2010, PREV_INUSE, "in_use", -1);
    assert_chunk(a, (uintptr_t)main_arena.top, chunksize(main_arena.top), PREV_INUSE, "top", -1);

    /* Links: fastbin fd revealed (safe-linking undone), NULL at the end; the
       doubly-linked bins' fd and bk, the bin header at both ends. */
    ck_assert_uint_eq(addr_field(chunk_at(a, ch(k.f3)), "fd"), ch(k.f2));
    ck_assert_uint_eq(addr_field(chunk_at(a, ch(k.f2)), "fd"), ch(k.f1));
    ck_assert_uint_eq(addr_field(chunk_at(a, ch(k.f1)), "fd"), 0);
    ck_assert(!has(chunk_at(a, ch(k.f1)), "bk"));
    ck_assert_uint_eq(addr_field(chunk_at(a, ch(k.u2)), "fd"), ch(k.u1));
    ck_assert_uint_eq(addr_field(chunk_at(a, ch(k.u2)), "bk"), header(1));
    ck_assert_uint_eq(addr_field(chunk_at(a, ch(k.u1)), "fd"), header(1));
    ck_assert_uint_eq(addr_field(chunk_at(a, ch(k.u1)), "bk"), ch(k.u2));
    ck_assert_uint_eq(addr_field(chunk_at(a, ch(k.s2)), "fd"), ch(k.s1));
    ck_assert_uint_eq(addr_field(chunk_at(a, ch(k.s1)), "fd"), header(31));
    ck_assert(!has(chunk_at(a, ch(k.s1)), "fd_nextsize"));
    ck_assert_uint_eq(addr_field(chunk_at(a, ch(k.l2)), "fd_nextsize"), ch(k.l1));
    ck_assert_uint_eq(addr_field(chunk_at(a, ch(k.l2)), "bk_nextsize"), ch(k.l1));
    ck_assert_uint_eq(addr_field(chunk_at(a, ch(k.l1)), "fd_nextsize"), ch(k.l2));
    ck_assert_uint_eq(addr_field(chunk_at(a, ch(k.l3)), "fd"), header(68));
    ck_assert(!has(chunk_at(a, ch(k.guard[1])), "fd"));

    /* Address order, each chunk starting where the one before ends, top last. */
    cJSON *chunks = item(a, "chunks"), *c;
    uintptr_t expect = addr_field(cJSON_GetArrayItem(item(a, "regions"), 0), "first_chunk");
    int n = 0;
    cJSON_ArrayForEach(c, chunks) {
        ck_assert_uint_eq(addr_field(c, "address"), expect);
        expect += (uintptr_t)num(c, "size");
        n++;
    }
    ck_assert_str_eq(str(cJSON_GetArrayItem(chunks, n - 1), "state"), "top");
    ck_assert_uint_eq(expect, (uintptr_t)main_arena.top + chunksize(main_arena.top));
    cJSON_Delete(root);
}
END_TEST

/* The bins are exactly the five non-empty ones, each listing exactly its chunks in list order: fastbins LIFO, unsorted newest first, small bin newest first, large bin by size with its nextsize chain. */
START_TEST(test_json_bins)
{
    struct known k;
    make_known_heap(&k);
    cJSON *root = dump_json(ARENALLOC_DUMP_ALL);
    cJSON *a = arena_at(root, 0), *b;

    ck_assert_int_eq(cJSON_GetArraySize(item(a, "bins")), 5);
    b = cJSON_GetArrayItem(item(a, "bins"), 0); /* fastbins first, by index */
    ck_assert_str_eq(str(b, "kind"), "fast");
    ck_assert_int_eq((int)num(b, "index"), 0);
    assert_addrs(b, "chunks", ADDRS(ch(k.f0)));
    ck_assert_uint_eq(addr_field(b, "end"), 0);
    ck_assert_int_eq((int)num(b, "size_min"), 0x20);
    ck_assert_int_eq((int)num(b, "size_max"), 0x20);

    b = bin_of(a, "fast", 1);
    assert_addrs(b, "chunks", ADDRS(ch(k.f3), ch(k.f2), ch(k.f1)));
    ck_assert_uint_eq(addr_field(b, "end"), 0);
    ck_assert(!has(b, "nextsize") && !has(b, "damage"));

    b = cJSON_GetArrayItem(item(a, "bins"), 2);
    ck_assert_str_eq(str(b, "kind"), "unsorted");
    ck_assert_int_eq((int)num(b, "index"), 1);
    assert_addrs(b, "chunks", ADDRS(ch(k.u2), ch(k.u1)));
    ck_assert_uint_eq(addr_field(b, "end"), header(1));
    ck_assert(cJSON_IsNull(item(b, "size_max")));

    b = bin_of(a, "small", 31);
    assert_addrs(b, "chunks", ADDRS(ch(k.s2), ch(k.s1)));
    ck_assert_uint_eq(addr_field(b, "end"), header(31));
    ck_assert_int_eq((int)num(b, "size_min"), 0x1f0);
    ck_assert_int_eq((int)num(b, "size_max"), 0x1f0);

    b = cJSON_GetArrayItem(item(a, "bins"), 4);
    ck_assert_str_eq(str(b, "kind"), "large");
    ck_assert_int_eq((int)num(b, "index"), 68);
    assert_addrs(b, "chunks", ADDRS(ch(k.l2), ch(k.l1), ch(k.l3)));
    assert_addrs(b, "nextsize", ADDRS(ch(k.l2), ch(k.l1)));
    ck_assert_uint_eq(addr_field(b, "end"), header(68));
    ck_assert_int_eq((int)num(b, "size_min"), 0x500);
    ck_assert_int_eq((int)num(b, "size_max"), 0x530);
    ck_assert(!has(b, "damage"));
    cJSON_Delete(root);
}
END_TEST

/* The arena's own fields equal main_arena's; the mapped chunk is counted outside the arenas; a part not asked for is left out. */
START_TEST(test_json_arena_fields)
{
    struct known k;
    make_known_heap(&k);
    struct mallinfo2 m = arenalloc_mallinfo2();
    cJSON *root = dump_json(ARENALLOC_DUMP_ALL);
    ck_assert_int_eq(cJSON_GetArraySize(item(root, "arenas")), 1);
    cJSON *a = arena_at(root, 0);

    ck_assert_uint_eq(addr_field(a, "address"), (uintptr_t)&main_arena);
    ck_assert_str_eq(str(a, "kind"), "main");
    ck_assert_uint_eq(addr_field(a, "top"), (uintptr_t)main_arena.top);
    ck_assert_uint_eq((size_t)num(a, "top_size"), chunksize(main_arena.top));
    ck_assert_uint_eq((size_t)num(a, "system_mem"), main_arena.system_mem);
    ck_assert_uint_eq((size_t)num(a, "system_mem"), m.arena);
    ck_assert_uint_eq((size_t)num(a, "max_system_mem"), main_arena.max_system_mem);
    ck_assert_uint_eq((size_t)num(a, "attached_threads"), 1);
    ck_assert(cJSON_IsTrue(item(a, "have_fastchunks")));
    ck_assert(cJSON_IsTrue(item(a, "contiguous")));
    ck_assert_int_eq(cJSON_GetArraySize(item(a, "regions")), 1);
    ck_assert(!has(cJSON_GetArrayItem(item(a, "regions"), 0), "heap")); /* thread arenas only */
    cJSON *mm = item(root, "mmapped");
    ck_assert_uint_eq((size_t)num(mm, "chunks"), 1);
    ck_assert_uint_eq((size_t)num(mm, "bytes"), m.hblkhd);
    ck_assert_uint_ge((size_t)num(mm, "bytes"), 0x40000);
    cJSON_Delete(root);

    root = dump_json(ARENALLOC_DUMP_ARENAS);
    ck_assert(!has(arena_at(root, 0), "chunks") && !has(arena_at(root, 0), "bins"));
    ck_assert(has(arena_at(root, 0), "top") && has(root, "mmapped"));
    cJSON_Delete(root);
    root = dump_json(ARENALLOC_DUMP_CHUNKS);
    ck_assert(has(arena_at(root, 0), "chunks") && !has(arena_at(root, 0), "bins"));
    cJSON_Delete(root);
    root = dump_json(ARENALLOC_DUMP_BINS);
    ck_assert(!has(arena_at(root, 0), "chunks") && has(arena_at(root, 0), "bins"));
    cJSON_Delete(root);
}
END_TEST

/* The text dump of the same heap: the arena line, chunk lines in the documented columns, the bins as lists ending on "(bin)" or 0x0. */
START_TEST(test_text_lines)
{
    struct known k;
    char want[400];
    make_known_heap(&k);
    cJSON *root = dump_json(ARENALLOC_DUMP_ARENAS);
    uintptr_t first = addr_field(cJSON_GetArrayItem(item(arena_at(root, 0), "regions"), 0), "first_chunk");
    cJSON_Delete(root);
    char *t = dump_string(ARENALLOC_DUMP_ALL, ARENALLOC_DUMP_TEXT);

#define HAS(...)                                                                                       \
    do {                                                                                               \
        snprintf(want, sizeof want, __VA_ARGS__);                                                      \
        ck_assert_msg(strstr(t, want) != NULL, "the text dump lacks \"%s\":\n%s", want, t);              \
    } while (0)
    HAS("arena 0: main_arena %#lx, regions %#lx, top %#lx (size %#zx), system_mem %#zx", (unsigned long)&main_arena,
        (unsigned long)first, (unsigned long)main_arena.top, (size_t)chunksize(main_arena.top), (size_t)main_arena.system_mem);
    HAS("chunks of arena 0\n");
    HAS("\n  0x%-14lx 0x%-6x %-26s %s", (unsigned long)ch(k.f3), 0x30, "fastbins[0x30]", "PREV_INUSE");
    HAS("\n  0x%-14lx 0x%-6x %-26s %-28s fd 0x%lx bk 0x%lx\n", (unsigned long)ch(k.s2), 0x1f0, "smallbins[0x1f0]",
        "PREV_INUSE", (unsigned long)ch(k.s1), (unsigned long)header(31));
    HAS("\n  0x%-14lx 0x%-6x in use\n", (unsigned long)ch(k.guard[2]), 0x20); /* no flags: trailing blanks cut */
    HAS("\n  0x%-14lx 0x%-6x top ", (unsigned long)main_arena.top, (unsigned)chunksize(main_arena.top));
    HAS("bins of arena 0\nfastbins\n  0x20: %#lx -> 0x0\n  0x30: %#lx -> %#lx -> %#lx -> 0x0\n",
        (unsigned long)ch(k.f0), (unsigned long)ch(k.f3), (unsigned long)ch(k.f2), (unsigned long)ch(k.f1));
    HAS("unsortedbin\n  all: %#lx -> %#lx -> %#lx (bin)\n", (unsigned long)ch(k.u2), (unsigned long)ch(k.u1),
        (unsigned long)header(1));
    HAS("smallbins\n  0x1f0: %#lx -> %#lx -> %#lx (bin)\n", (unsigned long)ch(k.s2), (unsigned long)ch(k.s1),
        (unsigned long)header(31));
    HAS("largebins\n  0x500-0x530: %#lx -> %#lx -> %#lx -> %#lx (bin)\n    nextsize: %#lx %#lx\n",
        (unsigned long)ch(k.l2), (unsigned long)ch(k.l1), (unsigned long)ch(k.l3), (unsigned long)header(68),
        (unsigned long)ch(k.l2), (unsigned long)ch(k.l1));
    HAS("mmapped chunks: 1, %#zx bytes\n", (size_t)arenalloc_mallinfo2().hblkhd);
    ck_assert(strstr(t, "!!") == NULL);
#undef HAS
    free(t);
}
END_TEST

/* Dumping only reads: the heap checker still passes, mallinfo2 is unchanged, and the next mallocs take the chunks the bins held, in the order they held them. */
START_TEST(test_dump_changes_nothing)
{
    struct known k;
    make_known_heap(&k);
    ck_assert_ptr_null(arenalloc_check_heap());
    struct mallinfo2 before = arenalloc_mallinfo2();
    for (int i = 0; i < 3; i++) {
        free(dump_string(ARENALLOC_DUMP_ALL, ARENALLOC_DUMP_JSON));
        free(dump_string(ARENALLOC_DUMP_ALL, ARENALLOC_DUMP_TEXT));
        free(dump_string(ARENALLOC_DUMP_ARENAS, ARENALLOC_DUMP_TEXT));
    }
    struct mallinfo2 after = arenalloc_mallinfo2();
    ck_assert_ptr_null(arenalloc_check_heap());
    ck_assert(memcmp(&before, &after, sizeof before) == 0);
    ck_assert_ptr_eq(xmalloc(0x28), k.f3);  /* fastbins[0x30], LIFO */
    ck_assert_ptr_eq(xmalloc(0x1e8), k.s1); /* the small bin's tail: the oldest */
}
END_TEST

/* Bad arguments: no stream, an unknown format, an unknown part: -1 with EINVAL, nothing written. */
START_TEST(test_bad_arguments)
{
    errno = 0;
    ck_assert_int_eq(arenalloc_dump(NULL, ARENALLOC_DUMP_ALL, ARENALLOC_DUMP_JSON), -1);
    ck_assert_int_eq(errno, EINVAL);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    errno = 0;
    ck_assert_int_eq(arenalloc_dump(f, ARENALLOC_DUMP_ALL, 2), -1);
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_int_eq(arenalloc_dump(f, ARENALLOC_DUMP_ALL, -1), -1);
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_int_eq(arenalloc_dump(f, 8, ARENALLOC_DUMP_TEXT), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_uint_eq(len, 0);
    free(buf);
}
END_TEST

/* ---- a thread arena ----------------------------------------------------------------------- */

struct worker {
    pthread_barrier_t ready, done;
    char *kept, *freed;
};

/* Allocates in its own arena, frees one block to a fastbin, and waits while the test dumps. */
static void *worker_main(void *arg)
{
    struct worker *w = arg;
    w->kept = arenalloc_malloc(0x100);
    w->freed = arenalloc_malloc(0x28);
    arenalloc_malloc(0x18); /* a guard */
    arenalloc_free(w->freed);
    pthread_barrier_wait(&w->ready);
    pthread_barrier_wait(&w->done);
    return NULL;
}

/* Under the per-thread policy a second thread has an arena of its own: two arenas, main then thread, the thread arena's heap 1 MiB-aligned and its chunks marked NON_MAIN_ARENA. */
START_TEST(test_json_thread_arena)
{
    struct worker w = {0};
    pthread_t t;
    ck_assert_int_eq(arenalloc_set_arena_policy(ARENALLOC_POLICY_PER_THREAD), 0);
    arenalloc_free(xmalloc(0x18)); /* main_arena first */
    ck_assert_int_eq(pthread_barrier_init(&w.ready, NULL, 2), 0);
    ck_assert_int_eq(pthread_barrier_init(&w.done, NULL, 2), 0);
    ck_assert_int_eq(pthread_create(&t, NULL, worker_main, &w), 0);
    pthread_barrier_wait(&w.ready);

    cJSON *root = dump_json(ARENALLOC_DUMP_ALL);
    pthread_barrier_wait(&w.done);
    ck_assert_int_eq(pthread_join(t, NULL), 0);

    ck_assert_int_eq(cJSON_GetArraySize(item(root, "arenas")), 2);
    ck_assert_str_eq(str(arena_at(root, 0), "kind"), "main");
    cJSON *a = arena_at(root, 1);
    ck_assert_str_eq(str(a, "kind"), "thread");
    ck_assert_ptr_nonnull(w.kept);
    mstate av = arena_for_chunk(mem2chunk(w.kept));
    ck_assert_ptr_ne(av, &main_arena);
    ck_assert_uint_eq(addr_field(a, "address"), (uintptr_t)av);
    ck_assert_uint_eq((size_t)num(a, "attached_threads"), 1);
    ck_assert(cJSON_IsFalse(item(a, "contiguous")));
    cJSON *r = cJSON_GetArrayItem(item(a, "regions"), 0);
    uintptr_t heap = addr_field(r, "heap");
    ck_assert_uint_eq(heap & (heap_max_size() - 1), 0);
    ck_assert_uint_eq(heap, addr_field(r, "first_chunk") & ~(uintptr_t)(heap_max_size() - 1));
    ck_assert_uint_eq(heap, (uintptr_t)heap_for_ptr(w.kept));
    assert_chunk(a, ch(w.kept), 0x110, PREV_INUSE | NON_MAIN_ARENA, "in_use", -1);
    assert_chunk(a, ch(w.freed), 0x30, PREV_INUSE | NON_MAIN_ARENA, "fastbin", 1);
    assert_addrs(bin_of(a, "fast", 1), "chunks", ADDRS(ch(w.freed)));
    ck_assert_uint_eq(addr_field(a, "top"), (uintptr_t)av->top);
    ck_assert_uint_eq((size_t)num(a, "top_size"), chunksize(av->top));
    /* The thread's chunks are in its arena, not in main_arena's list. */
    cJSON *c;
    cJSON_ArrayForEach(c, item(arena_at(root, 0), "chunks"))
        ck_assert_uint_ne(addr_field(c, "address"), ch(w.kept));
    cJSON_Delete(root);
    pthread_barrier_destroy(&w.ready);
    pthread_barrier_destroy(&w.done);
}
END_TEST

/* ---- damage --------------------------------------------------------------------------------- */

/* The JSON and the text dump of a damaged heap: both finish and return 0; the
   text marks the damage with "!!"; returns the parsed JSON. */
static cJSON *dump_damaged(const char *damage)
{
    char *t = dump_string(ARENALLOC_DUMP_ALL, ARENALLOC_DUMP_TEXT);
    ck_assert_msg(strstr(t, "!! ") != NULL && strstr(t, damage) != NULL, "the text dump does not say \"%s\":\n%s",
                  damage, t);
    free(t);
    return dump_json(ARENALLOC_DUMP_ALL);
}

/* A size word overwritten with a size no chunk has: that chunk is marked and the walk of the region stops at it; the lists that lead past it are cut. */
START_TEST(test_damage_size)
{
    struct known k;
    make_known_heap(&k);
    size_t *size = (size_t *)k.guard[4] - 1; /* the guard after l1: never freed */
    *size = 0x48;                            /* not a multiple of 16; PREV_INUSE clear as it was: l1 is free */

    cJSON *root = dump_damaged("size is not a chunk size");
    cJSON *a = arena_at(root, 0);
    cJSON *c = chunk_at(a, ch(k.guard[4]));
    ck_assert_str_eq(str(c, "damage"), "size is not a chunk size");
    ck_assert_str_eq(str(c, "state"), "in_use");
    ck_assert_uint_eq((size_t)num(c, "size"), 0x48);
    cJSON *chunks = item(a, "chunks");
    ck_assert_ptr_eq(cJSON_GetArrayItem(chunks, cJSON_GetArraySize(chunks) - 1), c); /* the last one read */
    assert_chunk(a, ch(k.l1), 0x510, PREV_INUSE, "free", -1); /* its list could not reach it */
    /* The large bin's first chunk (l2) lies past the damage: the list is cut at once. */
    cJSON *b = bin_of(a, "large", 68);
    ck_assert_str_eq(str(b, "damage"), "a link points outside the arena's chunks");
    ck_assert_int_eq(cJSON_GetArraySize(item(b, "chunks")), 0);
    ck_assert_uint_eq(addr_field(b, "end"), ch(k.l2));
    ck_assert_str_eq(str(bin_of(a, "unsorted", 1), "damage"), "a link points outside the arena's chunks");
    assert_addrs(bin_of(a, "fast", 1), "chunks", ADDRS(ch(k.f3), ch(k.f2), ch(k.f1))); /* before it: sound */
    ck_assert(!has(bin_of(a, "fast", 1), "damage"));
    cJSON_Delete(root);
}
END_TEST

/* A fastbin whose last fd is written back to its first chunk (a cycle, as a double free past glibc's check would make): the list is cut where it closes. */
START_TEST(test_damage_fastbin_cycle)
{
    struct known k;
    make_known_heap(&k);
    /* f1 ends fastbins[0x30] (f3 -> f2 -> f1 -> NULL).  Its fd is stored
       safe-linked (bins/fastbins.h): the pointer XOR the page number of where
       it is stored. */
    uintptr_t *fd = (uintptr_t *)k.f1;
    *fd = ((uintptr_t)fd >> 12) ^ ch(k.f3);

    cJSON *root = dump_damaged("the list loops back to a chunk it already passed");
    cJSON *a = arena_at(root, 0);
    cJSON *b = bin_of(a, "fast", 1);
    ck_assert_str_eq(str(b, "damage"), "the list loops back to a chunk it already passed");
    assert_addrs(b, "chunks", ADDRS(ch(k.f3), ch(k.f2), ch(k.f1)));
    ck_assert_uint_eq(addr_field(b, "end"), ch(k.f3));
    ck_assert_uint_eq(addr_field(chunk_at(a, ch(k.f1)), "fd"), ch(k.f3)); /* shown revealed */
    ck_assert(!has(bin_of(a, "fast", 0), "damage"));
    ck_assert(!has(bin_of(a, "small", 31), "damage"));
    cJSON_Delete(root);
}
END_TEST

/* A small bin chunk whose fd points outside the heap: the list is cut there, the chunk it no longer reaches is free in no bin. */
START_TEST(test_damage_smallbin_outside)
{
    struct known k;
    make_known_heap(&k);
    uintptr_t outside = 0xdeadbeef0;
    ((uintptr_t *)k.s2)[0] = outside; /* s2 heads smallbins[0x1f0]: s2 -> s1 */

    cJSON *root = dump_damaged("a link points outside the arena's chunks");
    cJSON *a = arena_at(root, 0);
    cJSON *b = bin_of(a, "small", 31);
    ck_assert_str_eq(str(b, "damage"), "a link points outside the arena's chunks");
    assert_addrs(b, "chunks", ADDRS(ch(k.s2)));
    ck_assert_uint_eq(addr_field(b, "end"), outside);
    ck_assert_uint_eq(addr_field(chunk_at(a, ch(k.s2)), "fd"), outside);
    ck_assert_str_eq(str(chunk_at(a, ch(k.s1)), "state"), "free");
    ck_assert(!has(chunk_at(a, ch(k.s1)), "bin"));
    ck_assert(!has(bin_of(a, "large", 68), "damage"));
    cJSON_Delete(root);
}
END_TEST

/* A broken bk in the unsorted bin marks the chunk whose bk it is; the list itself is still followed by fd to its end. */
START_TEST(test_damage_unsorted_bk)
{
    struct known k;
    make_known_heap(&k);
    ((uintptr_t *)k.u1)[1] = ch(k.s1); /* u1's bk should be u2 */

    cJSON *root = dump_damaged("its bk does not point to the chunk before it");
    cJSON *a = arena_at(root, 0);
    ck_assert_str_eq(str(chunk_at(a, ch(k.u1)), "damage"), "its bk does not point to the chunk before it");
    ck_assert(!has(chunk_at(a, ch(k.u2)), "damage"));
    cJSON *b = bin_of(a, "unsorted", 1);
    assert_addrs(b, "chunks", ADDRS(ch(k.u2), ch(k.u1)));
    ck_assert(!has(b, "damage"));
    ck_assert_uint_eq(addr_field(b, "end"), header(1));
    cJSON_Delete(root);
}
END_TEST

Suite *dump_suite(void)
{
    Suite *s = suite_create("dump");

    TCase *tc = tcase_create("json");

    tcase_add_checked_fixture(tc, tcache_off, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_json_chunks);
    tcase_add_test(tc, test_json_bins);
    tcase_add_test(tc, test_json_arena_fields);
    tcase_add_test(tc, test_json_thread_arena);
    suite_add_tcase(s, tc);

    tc = tcase_create("text_and_api");

    tcase_add_checked_fixture(tc, tcache_off, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_text_lines);
    tcase_add_test(tc, test_dump_changes_nothing);
    tcase_add_test(tc, test_bad_arguments);
    suite_add_tcase(s, tc);

    /* A damaged heap must not make the dump loop or read outside the heap: a
       timeout or a crash fails these. */
    tc = tcase_create("damage");
    tcase_add_checked_fixture(tc, tcache_off, NULL);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_damage_size);
    tcase_add_test(tc, test_damage_fastbin_cycle);
    tcase_add_test(tc, test_damage_smallbin_outside);
    tcase_add_test(tc, test_damage_unsorted_bk);
    suite_add_tcase(s, tc);

    return s;
}

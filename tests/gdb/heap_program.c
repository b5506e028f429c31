/*
 * heap_program.c - a known heap, for tests/gdb/gdb-check.sh: the gdb commands of
 * tools/gdb/arenalloc.py must print what arenalloc_dump prints from inside.
 *
 *   heap_program DUMP [--corrupt DUMP2]
 *
 * Builds the heap below, writes arenalloc_dump's text of it (ARENALLOC_DUMP_ALL)
 * to DUMP and calls stop_here(), where gdb stops and runs its commands.  With
 * --corrupt it then damages the heap as an exploit would, writes the dump again
 * to DUMP2 and calls stop_here() once more.
 *
 * main_arena (glibc 2.36's rules; x86-64 sizes):
 *   fastbins[0x20]  f0                       fastbins[0x30]  f3 -> f2 -> f1
 *   unsortedbin     u1
 *   smallbins[0x100] t1                      smallbins[0x1f0] s2 -> s1
 *   largebins[0x500-0x530]  l2 (0x530) -> l1, l3 (0x510) -> l4 (0x500)
 *                   nextsize: l2 -> l1 -> l4 (one entry per size)
 *   largebins[0xc00-0xc30]  m1 (0xc10)
 *   the 0x2010 chunk `big` (whose size --corrupt overwrites), then top
 * A mapped chunk of 256 KiB (above the mmap threshold), and a thread arena
 * (arena 1, arenalloc_set_arena_policy(ARENALLOC_POLICY_PER_THREAD)) whose
 * thread fills more than one heap (so the arena has two: top in the new one,
 * the first closed by fenceposts; one heap under ARENALLOC_HEAP_MAX_SIZE=64M),
 * then makes one fast chunk, one unsorted
 * chunk and chunks in use (from the free end of the first heap), and waits,
 * alive, until main is done.
 *
 * --corrupt: big's size becomes 0x49 (not a chunk size: the walk stops there),
 * f1's fd points back to f3 (a cycle in fastbins[0x30]), s1's fd points outside
 * the heap.
 *
 * Built against build/libarenalloc-prefixed.a (arenalloc_malloc ...), or, as
 * tests/gdb/dropin_program.c, with plain malloc/free for LD_PRELOAD=libarenalloc.so
 * (arenalloc_dump and arenalloc_set_arena_policy then come from dlsym).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arenalloc.h"

#ifdef HEAP_PROGRAM_DROPIN
#include <dlfcn.h>
#define xalloc_raw malloc
#define xfree      free
static int (*dump_fn)(FILE *, unsigned, int);
static int (*policy_fn)(int);
static int (*tcache_count_fn)(size_t);
static void find_functions(void)
{
    dump_fn = (int (*)(FILE *, unsigned, int))dlsym(RTLD_DEFAULT, "arenalloc_dump");
    policy_fn = (int (*)(int))dlsym(RTLD_DEFAULT, "arenalloc_set_arena_policy");
    tcache_count_fn = (int (*)(size_t))dlsym(RTLD_DEFAULT, "arenalloc_set_tcache_count");
    if (dump_fn == NULL || policy_fn == NULL || tcache_count_fn == NULL) {
        fprintf(stderr, "dropin_program: run me with LD_PRELOAD=build/libarenalloc.so\n");
        exit(2);
    }
}
#else
#define xalloc_raw arenalloc_malloc
#define xfree      arenalloc_free
#define dump_fn    arenalloc_dump
#define policy_fn  arenalloc_set_arena_policy
#define tcache_count_fn arenalloc_set_tcache_count
static void find_functions(void) {}
#endif

/* The chunks gdb is asked about (tests/gdb/gdb-check.sh: arena-chunk fast_ptr ...):
   user pointers, as malloc returned them. */
void *fast_ptr, *small_ptr, *large_ptr, *unsorted_ptr, *mmap_ptr, *big_ptr;
void *thread_ptr, *thread_fast_ptr, *thread_free_ptr;
static void *cache1_ptr, *cache2_ptr;
static void *f1_ptr, *f3_ptr;

/* gdb stops here (break stop_here).  noinline and an empty asm keep the call. */
__attribute__((noinline)) void stop_here(void)
{
    __asm__ volatile("" ::: "memory");
}

static void *xmalloc(size_t n)
{
    void *p = xalloc_raw(n);
    if (p == NULL) {
        fprintf(stderr, "heap_program: malloc(%zu) failed\n", n);
        exit(1);
    }
    return p;
}

/* The dump goes through a buffer of our own, and the file stays open until the
   end: in the drop-in build stdio's malloc/free would otherwise change the
   heap between the dump and the breakpoint. */
static char dump_buffer[1 << 16];
static FILE *dump_file;

static void dump_to(const char *path)
{
    if (dump_file != NULL)
        fclose(dump_file);
    dump_file = fopen(path, "w");
    if (dump_file == NULL || setvbuf(dump_file, dump_buffer, _IOFBF, sizeof dump_buffer) != 0 ||
        dump_fn(dump_file, ARENALLOC_DUMP_ALL, ARENALLOC_DUMP_TEXT) != 0 || fflush(dump_file) != 0) {
        perror(path);
        exit(1);
    }
}

static void build_main_heap(void)
{
    /* First: a request this large would empty the fastbins (malloc_consolidate). */
    mmap_ptr = xmalloc(256 * 1024);
    memset(mmap_ptr, 0x5a, 64);

    void *f0 = xmalloc(0x18), *g0 = xmalloc(0x18);
    void *f1 = xmalloc(0x28), *f2 = xmalloc(0x28), *f3 = xmalloc(0x28), *g1 = xmalloc(0x18);
    void *s1 = xmalloc(0x1e8), *g2 = xmalloc(0x18);
    void *s2 = xmalloc(0x1e8), *g3 = xmalloc(0x18);
    void *t1 = xmalloc(0xf8), *g4 = xmalloc(0x18);
    void *l1 = xmalloc(0x508), *g5 = xmalloc(0x18);
    void *l2 = xmalloc(0x528), *g6 = xmalloc(0x18);
    void *l3 = xmalloc(0x508), *g7 = xmalloc(0x18);
    void *l4 = xmalloc(0x4f8), *g8 = xmalloc(0x18);
    void *m1 = xmalloc(0xc08), *g9 = xmalloc(0x18);
    void *u1 = xmalloc(0x98), *g10 = xmalloc(0x18);
    void *c1 = xmalloc(0x38), *g11 = xmalloc(0x18), *c2 = xmalloc(0x38), *g12 = xmalloc(0x18);
    (void)g0, (void)g1, (void)g2, (void)g3, (void)g4, (void)g5, (void)g6, (void)g7, (void)g8;
    (void)g9, (void)g10, (void)g11, (void)g12;
    cache1_ptr = c1, cache2_ptr = c2;
    /* Kept before they are freed: the addresses gdb is asked about. */
    fast_ptr = f0, small_ptr = s1, large_ptr = l1, unsorted_ptr = u1;
    f1_ptr = f1, f3_ptr = f3;

    /* Freed first, then sorted into their bins by the unsorted scan of the
       next request no free chunk can serve (big, from top). */
    xfree(s1), xfree(s2), xfree(t1);
    xfree(l1), xfree(l2), xfree(l3), xfree(l4), xfree(m1);
    big_ptr = xmalloc(0x2008);
    /* Now the fast chunks (a large request would have consolidated them) and
       the chunk that stays in the unsorted bin. */
    xfree(f1), xfree(f2), xfree(f3), xfree(f0);
    xfree(u1);
}

/* ---- the thread of arena 1 ------------------------------------------------------ */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int thread_ready, main_done;

static void *thread_main(void *arg)
{
    (void)arg;
    /* 1.1 MiB in use: more than one 1 MiB heap holds, so the arena chains a
       second heap, and fences off the end of the first (two fenceposts). */
    for (int i = 0; i < 11; i++)
        xmalloc(100 * 1024);
    void *a = xmalloc(0x18), *b = xmalloc(0x48), *c = xmalloc(0x108), *d = xmalloc(0x18);
    strcpy(b, "hello from the thread arena");
    thread_ptr = b, thread_fast_ptr = a, thread_free_ptr = c;
    xfree(a);          /* fastbins[0x20] */
    xfree(c);          /* unsortedbin */
    (void)d;

    pthread_mutex_lock(&lock);
    thread_ready = 1;
    pthread_cond_broadcast(&cond);
    while (!main_done)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    return NULL;
}

/* ---- damage ----------------------------------------------------------------------- */

static void damage_heap(void)
{
    uintptr_t *f1 = f1_ptr, *s1 = small_ptr;
    uintptr_t f3_chunk = (uintptr_t)f3_ptr - 16;
    f1[0] = ((uintptr_t)&f1[0] >> 12) ^ f3_chunk; /* fd, safe-linked: a cycle f3 -> f2 -> f1 -> f3 */
    s1[0] = 0xdeadbeef0;                          /* fd: outside the heap */
    ((size_t *)big_ptr)[-1] = 0x49;               /* size 0x48: not a multiple of 16 */
}

int main(int argc, char **argv)
{
    pthread_t t;

    if (argc != 2 && !(argc == 4 && strcmp(argv[2], "--corrupt") == 0)) {
        fprintf(stderr, "usage: %s DUMP [--corrupt DUMP2]\n", argv[0]);
        return 2;
    }
    find_functions();
    policy_fn(ARENALLOC_POLICY_PER_THREAD);
    /* The bins first, with the per-thread cache off so every free reaches them;
       then two chunks in the main thread's cache. */
    tcache_count_fn(0);
    build_main_heap();

    if (pthread_create(&t, NULL, thread_main, NULL) != 0)
        return 1;
    pthread_mutex_lock(&lock);
    while (!thread_ready)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    tcache_count_fn(7);
    xfree(cache1_ptr), xfree(cache2_ptr); /* tcachebins[0x40]: cache2 -> cache1 */

    dump_to(argv[1]);
    stop_here();

    if (argc == 4) {
        damage_heap();
        dump_to(argv[3]);
        stop_here();
    }

    pthread_mutex_lock(&lock);
    main_done = 1;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    pthread_join(t, NULL);
    fclose(dump_file);
    return 0;
}

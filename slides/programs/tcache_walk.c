/*
 * tcache_walk.c - the per-thread cache, one free at a time (deck 50-tcache).
 *
 * Frees chunks of one size until the cache's bin is full and the next goes to the
 * fastbin, takes them back (LIFO), reads one entry's `next` as stored and as
 * meant (safe-linking), lets malloc stash a fastbin's and a small bin's other
 * chunks into the cache, and last frees a chunk twice (and overwrites an entry's
 * link) in child processes, under the checks of the releases before and after
 * the ones that stopped each, to record what happens.  The heap is dumped at
 * every step that has a picture.
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena/tcache_thread.h"
#include "bins/malloc_par.h"
#include "bins/malloc_state.h"
#include "experiment.h"

enum { REQ = 40, EXTRA = 3 }; /* 40 bytes: a 0x30 chunk, a fastbin size */

static void yes_no(const char *key, bool b) { value(key, "%s", b ? "yes" : "no"); }

static mchunkptr fastbin_head(size_t csize) { return main_arena.fastbinsY[fastbin_index(csize)]; }

/* Frees 7 chunks, then an eighth: the cache's bin fills, the eighth goes on. */
static void fill(void *a[], size_t tc_idx)
{
    for (int i = 0; i < TCACHE_FILL_COUNT; i++)
        arenalloc_free(a[i]);
    value("count_after_7", "%u", tcache->counts[tc_idx]);
    dump_heap("full");
    arenalloc_free(a[TCACHE_FILL_COUNT]);
    value("count_after_8", "%u", tcache->counts[tc_idx]);
    yes_no("eighth_in_fastbin", fastbin_head(REQ + 8) == mem2chunk(a[TCACHE_FILL_COUNT]));
    dump_heap("eighth");
}

/* The bin's first entry, its next as stored and as meant. */
static void entry(void *a[], size_t tc_idx)
{
    tcache_entry *e = tcache->entries[tc_idx];
    uintptr_t stored = (uintptr_t)e->next, meant = (uintptr_t)tcache_reveal(&e->next);
    value("entry", "%#lx", (unsigned long)(uintptr_t)e);
    value("entry_is_last_freed", "%s", (void *)e == a[TCACHE_FILL_COUNT - 1] ? "yes" : "no");
    value("next_stored", "%#lx", (unsigned long)stored);
    value("next_meant", "%#lx", (unsigned long)meant);
    yes_no("next_is_previous", (void *)meant == a[TCACHE_FILL_COUNT - 2]);
    value("pos_shifted", "%#lx", (unsigned long)((uintptr_t)&e->next >> 12));
    yes_no("stored_is_xor", stored == (((uintptr_t)&e->next >> 12) ^ meant));
    yes_no("key_is_tcache_key", e->key == tcache_key);
}

/* Takes the 7 cached chunks back (last freed first), then one from the fastbin:
   malloc moves the fastbin's other chunks into the cache on the way out. */
static void stash_fast(void *a[], size_t tc_idx)
{
    for (int i = TCACHE_FILL_COUNT + 1; i < TCACHE_FILL_COUNT + EXTRA; i++)
        arenalloc_free(a[i]);
    bool lifo = true;
    for (int i = TCACHE_FILL_COUNT - 1; i >= 0; i--)
        lifo = lifo && xmalloc(REQ) == a[i];
    yes_no("lifo", lifo);
    int in_fast = 0;
    for (mchunkptr c = fastbin_head(REQ + 8); c != NULL; c = reveal_ptr(&c->fd))
        in_fast++;
    value("fast_before_stash", "%d", in_fast);
    void *p = xmalloc(REQ);
    yes_no("stash_got_fasttop", p == a[TCACHE_FILL_COUNT + EXTRA - 1]);
    value("count_after_stash", "%u", tcache->counts[tc_idx]);
    yes_no("fastbin_empty_after_stash", fastbin_head(REQ + 8) == NULL);
    dump_heap("stash");
}

/* The same with a small bin: 0x110 chunks, kept apart by guards so they do not
   merge; the ones past the cache go to the unsorted bin, a large request sorts
   them into their small bin, and the next request of their size stashes. */
static void stash_small(void)
{
    enum { SMALL = 0x100, N = TCACHE_FILL_COUNT + EXTRA };
    void *s[N];
    for (int i = 0; i < N; i++) {
        s[i] = xmalloc(SMALL);
        xmalloc(16);
    }
    for (int i = 0; i < N; i++)
        arenalloc_free(s[i]);
    for (int i = 0; i < TCACHE_FILL_COUNT; i++)
        xmalloc(SMALL);
    xmalloc(2000); /* sorts the unsorted bin: 3 chunks to small bin 0x110 */
    size_t tc_idx = usize2tidx(SMALL);
    value("small_size", "%#zx", request2size(SMALL));
    value("small_count_before", "%u", tcache->counts[tc_idx]);
    void *p = xmalloc(SMALL);
    yes_no("small_got_oldest", p == s[TCACHE_FILL_COUNT]);
    value("small_count_after", "%u", tcache->counts[tc_idx]);
}

/* ---- the checks, in children that may abort ---------------------------------------- */

static char target[64] __attribute__((aligned(16))); /* where a poisoned link points */

/* Frees a chunk twice, then asks for two chunks: the same one twice is what a
   double free gives an attacker.  Prints what it got on stdout. */
static void double_free(void)
{
    void *p = xmalloc(REQ);
    arenalloc_free(p);
    arenalloc_free(p);
    void *x = xmalloc(REQ), *y = xmalloc(REQ);
    printf("%s", x == p && y == p ? "malloc returned the same chunk twice" : "no abort");
}

/* tcache poisoning: overwrites a cached entry's next with an address, plainly as
   before safe-linking; the second malloc returns that address if nothing stops it.
   poison() aims at a 16-byte aligned address, poison_off() 8 bytes past one. */
static void poison_at(char *where)
{
    void *p = xmalloc(REQ), *q = xmalloc(REQ);
    arenalloc_free(q);
    arenalloc_free(p);
    *(void **)p = where; /* a use after free */
    xmalloc(REQ);
    void *r = xmalloc(REQ);
    printf("%s", r == (void *)where ? "malloc returned the chosen address" : "no abort");
}
static void poison(void) { poison_at(target); }
static void poison_off(void) { poison_at(target + 8); }

/* Runs `what` in a child under the checks of glibc 2.`release`; the result is
   what it printed, or its abort message. */
static void in_child(const char *key, int release, void (*what)(void))
{
    int out[2];
    if (pipe(out) != 0)
        die("pipe");
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(out[1], 2);
        close(out[0]);
        setvbuf(stdout, NULL, _IONBF, 0);
        arenalloc_set_checks(release);
        what();
        _exit(0);
    }
    close(out[1]);
    char buf[256];
    ssize_t n, len = 0;
    while ((n = read(out[0], buf + len, sizeof buf - 1 - (size_t)len)) > 0)
        len += n;
    close(out[0]);
    buf[len] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT)
        value(key, "abort: %s", buf);
    else if (WIFSIGNALED(status))
        value(key, "killed by %s", strsignal(WTERMSIG(status)));
    else
        value(key, "%s", buf);
}

int main(int argc, char **argv)
{
    experiment_start(argc, argv);
    value("bins", "%d", TCACHE_MAX_BINS);
    value("count", "%zu", (size_t)mp_.tcache_count);
    value("max_bytes", "%zu", (size_t)mp_.tcache_max_bytes);
    value("largest_chunk", "%#zx", tidx2csize(TCACHE_MAX_BINS - 1));
    void *a[TCACHE_FILL_COUNT + EXTRA];
    for (int i = 0; i < TCACHE_FILL_COUNT + EXTRA; i++)
        a[i] = xmalloc(REQ);
    xmalloc(16); /* keeps the last one off top */
    size_t tc_idx = usize2tidx(REQ);
    value("chunk_size", "%#zx", request2size(REQ));
    value("tc_idx", "%zu", tc_idx);
    value("struct_size", "%#zx", size_field(tcache) & ~(size_t)7);
    fill(a, tc_idx);
    entry(a, tc_idx);
    stash_fast(a, tc_idx);
    stash_small();
    in_child("double_free_228", 28, double_free);
    in_child("double_free_229", 29, double_free);
    in_child("poison_231", 31, poison);
    in_child("poison_232", 32, poison);
    in_child("poison_off_231", 31, poison_off);
    in_child("poison_off_232", 32, poison_off);
    return 0;
}

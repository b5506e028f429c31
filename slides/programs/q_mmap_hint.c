/*
 * q_mmap_hint.c - why not ask mmap for a 1 MiB-aligned address directly?
 * (deck 90-questions)
 *
 * mmap's first argument is only a hint.  For each trial: find a free 1 MiB-aligned
 * address, then (a) ask for 1 MiB there while it is free, (b) put a page at it
 * (as another thread or library might) and ask again, (c) ask with
 * MAP_FIXED_NOREPLACE, which refuses instead of moving; and count how often each
 * got the aligned address.  Then the same number of heaps by mmap-and-trim
 * (os_reserve_aligned, as new_heap gets them), and plain mmap(NULL) for
 * comparison.
 */
#include <sys/mman.h>

#include "experiment.h"
#include "syscall/os.h"

#define MIB ((uintptr_t)1 << 20)

static void *map(void *hint, size_t size, int extra)
{
    return mmap(hint, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | extra, -1, 0);
}

/* A free, aligned address: the aligned middle of a fresh 2 MiB mapping, given back. */
static uintptr_t free_aligned_address(void)
{
    char *p = map(NULL, 2 * MIB, 0);
    if (p == MAP_FAILED)
        die("mmap");
    uintptr_t a = ((uintptr_t)p + MIB - 1) & ~(MIB - 1);
    munmap(p, 2 * MIB);
    return a;
}

int main(int argc, char **argv)
{
    experiment_start(argc, argv);
    int trials = short_mode ? 50 : 500;
    int hint_free = 0, hint_taken = 0, noreplace_taken = 0, trimmed = 0, plain = 0;
    int noreplace_errno = 0;
    for (int i = 0; i < trials; i++) {
        uintptr_t a = free_aligned_address();
        char *r = map((void *)a, MIB, 0);
        hint_free += (uintptr_t)r == a;
        munmap(r, MIB);

        char *blocker = map((void *)a, 4096, MAP_FIXED_NOREPLACE);
        if (blocker == MAP_FAILED)
            continue; /* someone took it meanwhile: the next trial */
        r = map((void *)a, MIB, 0);
        hint_taken += ((uintptr_t)r & (MIB - 1)) == 0;
        munmap(r, MIB);
        r = map((void *)a, MIB, MAP_FIXED_NOREPLACE);
        if (r == MAP_FAILED)
            noreplace_errno = errno;
        else
            noreplace_taken++, munmap(r, MIB);
        munmap(blocker, 4096);
    }
    for (int i = 0; i < trials; i++) {
        void *h = os_reserve_aligned(MIB, MIB);
        trimmed += h != NULL && ((uintptr_t)h & (MIB - 1)) == 0;
        if (h != NULL)
            os_release(h, MIB);
        char *r = map(NULL, MIB, 0);
        plain += ((uintptr_t)r & (MIB - 1)) == 0;
        munmap(r, MIB);
    }
    value("trials", "%d", trials);
    value("hint_free", "%d", hint_free);
    value("hint_taken", "%d", hint_taken);
    value("noreplace_taken", "%d", noreplace_taken);
    value("noreplace_error", "%s", noreplace_errno ? strerror(noreplace_errno) : "none");
    value("trimmed", "%d", trimmed);
    value("plain", "%d", plain);
    return 0;
}

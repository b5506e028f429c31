/*
 * known_calls.c - a fixed sequence of malloc-family calls whose trace is known.
 *
 *   known_calls EXPECTED_FILE
 *
 * Makes every call the recorder records (realloc growing, shrinking, from NULL
 * and to 0, calloc, reallocarray, the aligned family, failures) and writes to
 * EXPECTED_FILE the lines `arena-trace dump` must print for its trace: op
 * indices, ids and NULL results follow from what each call returned.  It uses
 * no stdio (whose buffers would be allocations of their own).
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int expected_fd;
static unsigned long long next_index; /* op index of the next call */
static unsigned long long next_id = 1; /* id of the next successful allocation */

/* Appends "INDEX t0 CALL" and, for an allocation, " = #ID" or " = NULL". */
__attribute__((format(printf, 2, 3))) static unsigned long long expect(const void *result,
                                                                       const char *fmt, ...)
{
    char line[256];
    unsigned long long id = 0;
    int n = snprintf(line, sizeof line, "%llu t0 ", next_index++);
    va_list ap;

    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    if (result == NULL)
        n += snprintf(line + n, sizeof line - (size_t)n, " = NULL");
    else if (result != (const void *)-1)
        n += snprintf(line + n, sizeof line - (size_t)n, " = #%llu", id = next_id++);
    line[n++] = '\n';
    if (write(expected_fd, line, (size_t)n) != n)
        _exit(1);
    return id;
}

#define NO_RESULT ((const void *)-1) /* free has none */

/* The blocks still allocated after make_calls, and their ids. */
struct kept {
    void *block[8];
    unsigned long long id[8];
    int n;
};

static void keep(struct kept *k, void *block, unsigned long long id)
{
    k->block[k->n] = block;
    k->id[k->n++] = id;
}

static void make_calls(struct kept *k)
{
    volatile size_t huge = (size_t)1 << 62, half = SIZE_MAX / 2;
    void *q = NULL, *g = NULL;

    char *a = malloc(24);
    unsigned long long ia = expect(a, "malloc(24)");
    char *b = calloc(4, 10);
    unsigned long long ib = expect(b, "calloc(4, 10)");
    char *c = realloc(a, 100); /* grows */
    unsigned long long ic = expect(c, "realloc(#%llu, 100)", ia);
    char *d = realloc(c, 50); /* shrinks */
    keep(k, d, expect(d, "realloc(#%llu, 50)", ic));
    char *e = realloc(NULL, 10);
    unsigned long long ie = expect(e, "realloc(NULL, 10)");
    char *gone = realloc(e, 0); /* glibc 2.36: frees e, returns NULL */
    expect(gone, "realloc(#%llu, 0)", ie);
    void *f = memalign(64, 100);
    keep(k, f, expect(f, "memalign(64, 100)"));
    int rc = posix_memalign(&g, 256, 1000);
    keep(k, g, expect(rc == 0 ? g : NULL, "posix_memalign(256, 1000)"));
    rc = posix_memalign(&q, 3, 10); /* EINVAL: 3 is no power of two */
    expect(rc == 0 ? q : NULL, "posix_memalign(3, 10)");
    void *h = aligned_alloc(4096, 8192);
    keep(k, h, expect(h, "aligned_alloc(4096, 8192)"));
    void *v = valloc(100);
    keep(k, v, expect(v, "valloc(100)"));
    void *pv = pvalloc(100);
    keep(k, pv, expect(pv, "pvalloc(100)"));
    void *too_big = malloc(huge);
    expect(too_big, "malloc(%zu)", (size_t)huge);
    char *b2 = reallocarray(b, 8, 10); /* stays allocated: a trace may end with live ids */
    unsigned long long ib2 = expect(b2, "realloc(#%llu, 80)", ib);
    void *overflow = reallocarray(b2, half, 4); /* nmemb * size overflows: ENOMEM */
    expect(overflow, "realloc(#%llu, %zu)", ib2, SIZE_MAX);
    void *bad_calloc = calloc(half, 4);
    expect(bad_calloc, "calloc(%zu, 4)", (size_t)half);
    void *big = malloc(300000); /* above the mmap threshold */
    keep(k, big, expect(big, "malloc(300000)"));
    memset(big, 1, 300000);
}

int main(int argc, char **argv)
{
    struct kept k = {.n = 0};

    if (argc != 2 || (expected_fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
        return 2;
    make_calls(&k);
    free(NULL);
    expect(NO_RESULT, "free(NULL)");
    for (int i = 0; i < k.n; i++) {
        free(k.block[i]);
        expect(NO_RESULT, "free(#%llu)", k.id[i]);
    }
    return close(expected_fd) == 0 ? 0 : 1;
}

/*
 * on_glibc.c - the arenalloc_* calls the technique programs make, answered by
 * the system's own glibc malloc.  Linked instead of the library (make
 * techniques builds $(BUILD)/techniques/glibc/NAME so), it runs each program
 * on the real glibc, at the system's release, and the table's column for
 * that release must match: the test that the table, and the programs, are
 * glibc's and not only arenalloc's.
 */
#include <stdio.h>
#include <stdlib.h>

#include <gnu/libc-version.h>

#include "arenalloc.h"

void *arenalloc_malloc(size_t size) { return malloc(size); }
void arenalloc_free(void *ptr) { free(ptr); }
void *arenalloc_calloc(size_t nmemb, size_t size) { return calloc(nmemb, size); }

/* The release the programs adapt to: the system's own. */
int arenalloc_get_release(void)
{
    int minor = 0;
    sscanf(gnu_get_libc_version(), "2.%d", &minor);
    return minor;
}

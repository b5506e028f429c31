/*
 * experiment.h - what every program of slides/programs/ shares: its command line,
 * printing a measured value for the decks, and dumping the heap for a picture.
 *
 *   PROGRAM OUTDIR [--short]
 *
 * A value is one `key value` line on stdout; slides/build.py puts it in the
 * decks as {{program.key}}.  A dump is OUTDIR/<name>.json (arenalloc_dump's
 * JSON), which build.py draws with tools/heapviz as OUTDIR/<name>.svg; a name
 * ending in ".arenaN" draws arena N.
 */
#ifndef SLIDES_EXPERIMENT_H
#define SLIDES_EXPERIMENT_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/arenalloc.h"

static const char *outdir;
static bool short_mode; /* fewer repetitions: the slide check runs this */

static inline void experiment_start(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--short") != 0)) {
        fprintf(stderr, "usage: %s OUTDIR [--short]\n", argv[0]);
        exit(2);
    }
    outdir = argv[1];
    short_mode = argc == 3;
    setvbuf(stdout, NULL, _IOLBF, 0);
}

__attribute__((format(printf, 2, 3))) static inline void value(const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s ", key);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

static inline void die(const char *what)
{
    fprintf(stderr, "%s: %s\n", what, strerror(errno));
    exit(1);
}

/* The whole heap, as JSON, to OUTDIR/<name>.json. */
static inline void dump_heap(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.json", outdir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL || arenalloc_dump(f, ARENALLOC_DUMP_ALL, ARENALLOC_DUMP_JSON) != 0 || fclose(f) != 0)
        die(path);
}

/* A file in OUTDIR for data (plots), opened for writing. */
static inline FILE *data_file(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", outdir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        die(path);
    return f;
}

static inline void *xmalloc(size_t n)
{
    void *p = arenalloc_malloc(n);
    if (p == NULL)
        die("malloc");
    return p;
}

/* glibc's chunk header, read from memory: the size field is the word before the
   user pointer, prev_size the one before that. */
static inline size_t size_field(void *mem) { return ((size_t *)mem)[-1]; }
static inline size_t prev_size_field(void *mem) { return ((size_t *)mem)[-2]; }
static inline uintptr_t chunk_addr(void *mem) { return (uintptr_t)mem - 2 * sizeof(size_t); }

#endif

/*
 * trace_io.h - writing and reading arenalloc traces (format: trace_format.h).
 *
 * Shared by every trace tool: the recorder and arena-synth write with
 * trace_writer; arena-trace and arena-replay read with trace_reader, so they
 * all accept, refuse and warn about the same files with the same messages.
 *
 * Nothing here calls malloc: the recorder runs inside the allocator it
 * traces, and the replayer must not mix its own data into the heap it
 * measures.  Memory comes from mmap, output goes through write().
 */
#ifndef ARENALLOC_TRACE_IO_H
#define ARENALLOC_TRACE_IO_H

#include <stddef.h>
#include <stdint.h>

#include "trace_format.h"

/* The tool's name, first word of every message ("arena-replay"). */
extern const char *trace_progname;

/* One record, decoded: what the call was and which ids it touched. */
struct trace_record {
    uint64_t index;     /* position in the trace, from 0 */
    uint64_t offset;    /* byte offset of the record in the file (reader only) */
    unsigned op;        /* enum trace_op */
    int failed;         /* the call returned NULL / an error */
    uint32_t thread;    /* 0, 1, 2 ... in order of the threads' first calls */
    uint64_t nmemb;     /* calloc's first argument */
    uint64_t alignment; /* memalign, posix_memalign, aligned_alloc */
    uint64_t size;      /* requested size (calloc: its second argument) */
    uint64_t old_id;    /* free, realloc: the id given back; 0 = NULL */
    uint64_t new_id;    /* the id this call created; 0 = none */
};

/* What a record means for the live ids (see "Ids" in trace_format.h). */
int trace_op_allocates(unsigned op);
int trace_record_ends_old(const struct trace_record *r);
uint64_t trace_record_bytes(const struct trace_record *r); /* bytes of new_id */
const char *trace_op_name(unsigned op);

/* The text form: "malloc(24)" and the full dump line "5 t0 malloc(24) = #3\n".
   Both return the length written (cut to fit n, always NUL-terminated). */
size_t trace_format_call(char *buf, size_t n, const struct trace_record *r);
size_t trace_format_record(char *buf, size_t n, const struct trace_record *r);

uint32_t trace_crc32(const void *data, size_t len);

/* ---- memory: anonymous mappings, never the heap --------------------------- */

/* Maps `bytes` zeroed bytes; on failure prints a message and exits 1. */
void *trace_map(size_t bytes);
void trace_unmap(void *p, size_t bytes);

/* A growable array of fixed-size elements in its own mapping. */
struct trace_array {
    unsigned char *data;
    size_t elem; /* bytes per element */
    size_t len;  /* elements in use */
    size_t cap;  /* elements mapped */
};
void trace_array_init(struct trace_array *a, size_t elem);
void *trace_array_at(struct trace_array *a, size_t i); /* grows (zeroed) to reach i */
void *trace_array_push(struct trace_array *a);
void trace_array_free(struct trace_array *a);

/* ---- writing --------------------------------------------------------------- */

struct trace_writer {
    int fd;
    unsigned char *block; /* block header + payload, mapped */
    size_t capacity;      /* payload bytes a block may hold */
    size_t len;           /* payload bytes so far */
    uint32_t count;       /* records in the block so far */
    uint64_t next_id;     /* the id the next successful allocation gets */
    uint64_t records;     /* records put so far */
    int error;            /* errno of the first failed write, else 0 */
};

/* Opens path for writing, truncated; -1 after a message.  A directory, or a
   FIFO that nobody reads, is refused at once instead of blocking. */
int trace_create(const char *path);
int trace_write_header(int fd, uint32_t pid, const char *program);
int trace_writer_init(struct trace_writer *w, int fd, size_t capacity);
/* Encodes r (its index and new_id are ignored), writing the block first when
   it is full.  Returns the id the record created, or 0. */
uint64_t trace_put(struct trace_writer *w, const struct trace_record *r);
/* Writes the buffered records as one block with one write(); 0 or -1. */
int trace_flush(struct trace_writer *w);
/* Forgets the buffered records (a forked child's copy) and unmaps. */
void trace_writer_drop(struct trace_writer *w);

/* ---- reading --------------------------------------------------------------- */

struct trace_reader {
    const char *path;
    const unsigned char *map; /* the whole file, mapped read-only */
    size_t size;
    uint32_t version;
    uint32_t pid;
    char program[TRACE_PROGRAM_SIZE + 1];
    size_t next_block;        /* offset of the next block header */
    size_t pos, end;          /* the records still to read in this block */
    uint32_t left;            /* records still to read in this block */
    uint64_t blocks;          /* whole blocks entered so far */
    uint64_t next_index;
    uint64_t next_id;
    uint32_t threads;         /* threads seen so far */
    struct trace_array live;  /* one bit per id: live or not */
    int partial;              /* the file ended inside a block (warned) */
    size_t lost_bytes;        /* then: the bytes of that block the file has */
    uint32_t lost_records;    /* and the records its header announced (0: unknown) */
};

/* 0, or -1 after printing "TOOL: PATH: what is wrong (at byte N)"; a path that
   is not a regular file (a FIFO, a directory) is refused without waiting. */
int trace_open(struct trace_reader *r, const char *path);
/* 1 and the next record, 0 at the end, -1 after printing why the file is
   refused.  A file that really ends inside a block (a recorder killed while
   writing) ends the records there, with a one-line warning saying how much is
   lost, and that is not an error; a block whose length field is damaged is. */
int trace_next(struct trace_reader *r, struct trace_record *rec);
void trace_close(struct trace_reader *r);

/* ---- text output: a buffer over a file descriptor ----------------------------- */

struct trace_out {
    int fd;
    char *buf;
    size_t len, cap;
    int error; /* errno of the first failed write, else 0 */
};
void trace_out_open(struct trace_out *o, int fd);
void trace_out_printf(struct trace_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void trace_out_write(struct trace_out *o, const char *s, size_t n);
int trace_out_flush(struct trace_out *o);
void trace_out_close(struct trace_out *o);

/* Writes all of buf, retrying short writes and EINTR; 0 or -1. */
int trace_write_all(int fd, const void *buf, size_t n);

#endif /* ARENALLOC_TRACE_IO_H */

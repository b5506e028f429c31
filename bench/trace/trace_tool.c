/*
 * trace_tool.c - arena-trace: look inside a trace.
 *
 *   arena-trace dump FILE   one line per record, in the text form of
 *                           trace_format.h ("12 t0 realloc(#5, 100) = #9")
 *   arena-trace info FILE   what the trace holds: version, program, pid, ops
 *                           by kind, threads, ids, peak live bytes
 *
 * Exit status: 0, 1 for a file that is refused (the message names the file and
 * the offset), 2 for a bad command line.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "trace_io.h"

static int usage(void)
{
    fprintf(stderr, "usage: arena-trace dump FILE\n"
                    "       arena-trace info FILE\n");
    return 2;
}

static int dump(const char *path)
{
    struct trace_reader r;
    struct trace_record rec;
    struct trace_out out;
    char line[256];
    int status;

    if (trace_open(&r, path) < 0)
        return 1;
    trace_out_open(&out, STDOUT_FILENO);
    while ((status = trace_next(&r, &rec)) > 0)
        trace_out_write(&out, line, trace_format_record(line, sizeof line, &rec));
    trace_out_close(&out);
    trace_close(&r);
    return status < 0 || out.error ? 1 : 0;
}

/* What info counts while it reads. */
struct summary {
    uint64_t ops, by_op[TRACE_OP_COUNT], failed;
    uint64_t live_ids, live_bytes, peak_bytes, peak_index;
    struct trace_array id_bytes; /* requested bytes of each id */
};

static void count(struct summary *s, const struct trace_record *rec)
{
    s->ops++;
    s->by_op[rec->op]++;
    s->failed += rec->failed ? 1 : 0;
    if (trace_record_ends_old(rec)) {
        s->live_bytes -= *(uint64_t *)trace_array_at(&s->id_bytes, rec->old_id);
        s->live_ids--;
    }
    if (rec->new_id) {
        uint64_t bytes = trace_record_bytes(rec);
        *(uint64_t *)trace_array_at(&s->id_bytes, rec->new_id) = bytes;
        s->live_bytes += bytes;
        s->live_ids++;
    }
    if (s->live_bytes > s->peak_bytes) {
        s->peak_bytes = s->live_bytes;
        s->peak_index = rec->index;
    }
}

static void print_summary(const struct trace_reader *r, const struct summary *s)
{
    uint64_t ids = r->next_id - 1;

    printf("file: %s (%zu bytes, %" PRIu64 " blocks, %.2f bytes per op)\n", r->path, r->size,
           r->blocks, s->ops ? (double)r->size / (double)s->ops : 0.0);
    printf("version: %" PRIu32 "\n", r->version);
    printf("program: %s\n", r->program);
    printf("pid: %" PRIu32 "\n", r->pid);
    printf("ops: %" PRIu64 "\n", s->ops);
    for (unsigned op = 1; op < TRACE_OP_COUNT; op++)
        printf("  %s: %" PRIu64 "\n", trace_op_name(op), s->by_op[op]);
    printf("failed: %" PRIu64 "\n", s->failed);
    printf("threads: %" PRIu32 "\n", r->threads);
    printf("ids: %" PRIu64 " (#1..#%" PRIu64 "), %" PRIu64 " live at the end (%" PRIu64
           " bytes)\n", ids, ids, s->live_ids, s->live_bytes);
    printf("peak live bytes: %" PRIu64 " (after op %" PRIu64 ")\n", s->peak_bytes, s->peak_index);
    if (r->partial && r->lost_records)
        printf("partial block: %zu bytes and %" PRIu32 " records lost (the recorder was stopped "
               "while writing)\n", r->lost_bytes, r->lost_records);
    else if (r->partial)
        printf("partial block: %zu bytes lost, a block header cut short (the recorder was "
               "stopped while writing)\n", r->lost_bytes);
}

static int info(const char *path)
{
    struct trace_reader r;
    struct trace_record rec;
    struct summary s;
    int status;

    if (trace_open(&r, path) < 0)
        return 1;
    memset(&s, 0, sizeof s);
    trace_array_init(&s.id_bytes, sizeof(uint64_t));
    while ((status = trace_next(&r, &rec)) > 0)
        count(&s, &rec);
    if (status == 0)
        print_summary(&r, &s);
    trace_array_free(&s.id_bytes);
    trace_close(&r);
    return status < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    trace_progname = "arena-trace";
    if (argc != 3)
        return usage();
    if (strcmp(argv[1], "dump") == 0)
        return dump(argv[2]);
    if (strcmp(argv[1], "info") == 0)
        return info(argv[2]);
    return usage();
}

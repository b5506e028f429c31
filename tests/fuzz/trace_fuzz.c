/*
 * trace_fuzz.c - libFuzzer target for the trace reader (bench/trace/trace_io.c).
 *
 * Each input is a whole trace file.  The reader must take it or refuse it,
 * never read outside the file, loop or crash: every record is read, as
 * arena-trace dump and arena-replay read them.  Built with clang's
 * -fsanitize=fuzzer,address,undefined by `make fuzz` (tests/fuzz/fuzz.mk).
 *
 * The reader opens a path and maps it, so the input goes into a memfd and the
 * reader gets its /proc/self/fd path.  Refusals print one line each on stderr:
 * that is the reader working, not a finding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "trace_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    char path[64];
    struct trace_reader r;
    struct trace_record rec;

    if (fd < 0) {
        trace_progname = "trace_fuzz";
        fd = memfd_create("trace", 0);
        if (fd < 0)
            abort();
    }
    if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    if (trace_open(&r, path) == 0) {
        while (trace_next(&r, &rec) > 0) {
            char line[256];
            trace_format_record(line, sizeof line, &rec); /* the text form of every record too */
        }
    }
    trace_close(&r);
    return 0;
}

/*
 * trace_io.c - writer and reader of the trace format (trace_format.h).
 *
 * Read top to bottom: what records mean, their text form, CRC-32 and varints,
 * mapped memory, the writer, the reader, buffered text output.
 */
#include "trace_io.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

const char *trace_progname = "arena-trace";

/* ---- what records mean ------------------------------------------------------ */

static const char *const op_names[TRACE_OP_COUNT] = {
    [TRACE_MALLOC] = "malloc",
    [TRACE_FREE] = "free",
    [TRACE_CALLOC] = "calloc",
    [TRACE_REALLOC] = "realloc",
    [TRACE_MEMALIGN] = "memalign",
    [TRACE_POSIX_MEMALIGN] = "posix_memalign",
    [TRACE_ALIGNED_ALLOC] = "aligned_alloc",
    [TRACE_VALLOC] = "valloc",
    [TRACE_PVALLOC] = "pvalloc",
};

const char *trace_op_name(unsigned op)
{
    return op > 0 && op < TRACE_OP_COUNT ? op_names[op] : "?";
}

int trace_op_allocates(unsigned op)
{
    return op != TRACE_FREE;
}

static int op_has_old(unsigned op)
{
    return op == TRACE_FREE || op == TRACE_REALLOC;
}

static int op_has_alignment(unsigned op)
{
    return op == TRACE_MEMALIGN || op == TRACE_POSIX_MEMALIGN || op == TRACE_ALIGNED_ALLOC;
}

/* free ends its id; so does a realloc that succeeded, and realloc(p, 0)
   returning NULL, which glibc 2.36 implements as free(p). */
int trace_record_ends_old(const struct trace_record *r)
{
    if (r->old_id == 0)
        return 0;
    if (r->op == TRACE_FREE)
        return 1;
    return r->op == TRACE_REALLOC && (!r->failed || r->size == 0);
}

uint64_t trace_record_bytes(const struct trace_record *r)
{
    if (r->op == TRACE_CALLOC)
        return r->nmemb * r->size; /* an overflowing calloc failed: no id */
    return r->op == TRACE_FREE ? 0 : r->size;
}

/* ---- the text form ------------------------------------------------------------ */

static const char *id_text(char *buf, size_t n, uint64_t id)
{
    if (id == 0)
        return "NULL";
    snprintf(buf, n, "#%" PRIu64, id);
    return buf;
}

size_t trace_format_call(char *buf, size_t n, const struct trace_record *r)
{
    char old[32];
    const char *name = trace_op_name(r->op);
    int len;

    if (r->op == TRACE_FREE)
        len = snprintf(buf, n, "free(%s)", id_text(old, sizeof old, r->old_id));
    else if (r->op == TRACE_REALLOC)
        len = snprintf(buf, n, "realloc(%s, %" PRIu64 ")", id_text(old, sizeof old, r->old_id),
                       r->size);
    else if (r->op == TRACE_CALLOC)
        len = snprintf(buf, n, "calloc(%" PRIu64 ", %" PRIu64 ")", r->nmemb, r->size);
    else if (op_has_alignment(r->op))
        len = snprintf(buf, n, "%s(%" PRIu64 ", %" PRIu64 ")", name, r->alignment, r->size);
    else
        len = snprintf(buf, n, "%s(%" PRIu64 ")", name, r->size);
    return len < 0 ? 0 : (size_t)len < n ? (size_t)len : n - 1;
}

size_t trace_format_record(char *buf, size_t n, const struct trace_record *r)
{
    char call[96], result[32];
    int len;

    trace_format_call(call, sizeof call, r);
    if (r->op == TRACE_FREE)
        result[0] = '\0';
    else if (r->failed)
        snprintf(result, sizeof result, " = NULL");
    else
        snprintf(result, sizeof result, " = #%" PRIu64, r->new_id);
    len = snprintf(buf, n, "%" PRIu64 " t%" PRIu32 " %s%s\n", r->index, r->thread, call, result);
    return len < 0 ? 0 : (size_t)len < n ? (size_t)len : n - 1;
}

/* ---- CRC-32 and varints ------------------------------------------------------ */

/* CRC-32 four bits at a time: a 16-entry table is short enough to read, and
   fast enough for blocks of a few hundred KiB. */
uint32_t trace_crc32(const void *data, size_t len)
{
    static const uint32_t table[16] = {
        0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
        0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
        0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
    };
    const unsigned char *p = data;
    uint32_t crc = ~0u;

    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        crc = (crc >> 4) ^ table[crc & 15];
        crc = (crc >> 4) ^ table[crc & 15];
    }
    return ~crc;
}

static unsigned char *put_varint(unsigned char *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

/* 0, or -1 when the varint runs past end or is longer than 10 bytes. */
static int get_varint(const unsigned char **pp, const unsigned char *end, uint64_t *v)
{
    const unsigned char *p = *pp;
    uint64_t value = 0;

    for (unsigned shift = 0; shift < 70; shift += 7) {
        if (p >= end)
            return -1;
        unsigned char byte = *p++;
        value |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *pp = p;
            *v = value;
            return 0;
        }
    }
    return -1;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- memory -------------------------------------------------------------------- */

void *trace_map(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "%s: out of memory (mapping %zu bytes: %s)\n", trace_progname, bytes,
                strerror(errno));
        _exit(1);
    }
    return p;
}

void trace_unmap(void *p, size_t bytes)
{
    if (p)
        munmap(p, bytes);
}

void trace_array_init(struct trace_array *a, size_t elem)
{
    memset(a, 0, sizeof *a);
    a->elem = elem;
}

/* Doubling with mremap: the kernel moves the pages, nothing is copied. */
static void array_reserve(struct trace_array *a, size_t need)
{
    size_t cap = a->cap ? a->cap : (64u << 10) / a->elem + 1;
    while (cap < need)
        cap *= 2;
    if (!a->data) {
        a->data = trace_map(cap * a->elem);
    } else {
        void *p = mremap(a->data, a->cap * a->elem, cap * a->elem, MREMAP_MAYMOVE);
        if (p == MAP_FAILED) {
            fprintf(stderr, "%s: out of memory (growing an array to %zu bytes)\n",
                    trace_progname, cap * a->elem);
            _exit(1);
        }
        a->data = p;
    }
    a->cap = cap;
}

void *trace_array_at(struct trace_array *a, size_t i)
{
    if (i >= a->cap)
        array_reserve(a, i + 1);
    if (i >= a->len)
        a->len = i + 1;
    return a->data + i * a->elem;
}

void *trace_array_push(struct trace_array *a)
{
    return trace_array_at(a, a->len);
}

void trace_array_free(struct trace_array *a)
{
    trace_unmap(a->data, a->cap * a->elem);
    trace_array_init(a, a->elem);
}

/* ---- writing ---------------------------------------------------------------------- */

/* What a path is when it is not a regular file: a trace is mapped whole, so a
   FIFO, a terminal or a directory cannot be one. */
static const char *file_kind(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO (a pipe)";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a regular file";
}

int trace_write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t done = write(fd, p, n);
        if (done < 0 && errno == EINTR)
            continue;
        if (done <= 0)
            return -1;
        p += done;
        n -= (size_t)done;
    }
    return 0;
}

int trace_create(const char *path)
{
    struct stat st;

    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "%s: %s: a directory, not a file to write to\n", trace_progname, path);
        return -1;
    }
    /* O_NONBLOCK: a FIFO nobody reads fails now (ENXIO) instead of blocking. */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NONBLOCK, 0644);
    if (fd < 0) {
        fprintf(stderr, "%s: %s: %s\n", trace_progname, path,
                errno == ENXIO ? "a FIFO with no reader" : strerror(errno));
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

int trace_write_header(int fd, uint32_t pid, const char *program)
{
    unsigned char h[TRACE_HEADER_SIZE] = {0};
    size_t name_len = strlen(program);

    memcpy(h, TRACE_MAGIC, TRACE_MAGIC_SIZE);
    put_u32(h + 8, TRACE_VERSION);
    put_u32(h + 12, TRACE_HEADER_SIZE);
    put_u32(h + 16, pid);
    if (name_len > TRACE_PROGRAM_SIZE - 1)
        name_len = TRACE_PROGRAM_SIZE - 1;
    memcpy(h + 20, program, name_len);
    return trace_write_all(fd, h, sizeof h);
}

int trace_writer_init(struct trace_writer *w, int fd, size_t capacity)
{
    memset(w, 0, sizeof *w);
    w->block = mmap(NULL, TRACE_BLOCK_HEADER_SIZE + capacity, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (w->block == MAP_FAILED) {
        w->block = NULL;
        return -1;
    }
    w->fd = fd;
    w->capacity = capacity;
    w->next_id = 1;
    return 0;
}

uint64_t trace_put(struct trace_writer *w, const struct trace_record *r)
{
    unsigned char *start, *p;
    uint64_t new_id = 0;

    if (w->len + TRACE_MAX_RECORD > w->capacity)
        trace_flush(w);
    start = p = w->block + TRACE_BLOCK_HEADER_SIZE + w->len;
    *p++ = (unsigned char)(r->op | (r->failed ? TRACE_FAILED : 0));
    p = put_varint(p, r->thread);
    if (op_has_old(r->op))
        p = put_varint(p, r->old_id ? w->next_id - r->old_id : 0);
    if (r->op == TRACE_CALLOC)
        p = put_varint(p, r->nmemb);
    if (op_has_alignment(r->op))
        p = put_varint(p, r->alignment);
    if (r->op != TRACE_FREE)
        p = put_varint(p, r->size);
    if (trace_op_allocates(r->op) && !r->failed)
        new_id = w->next_id++;
    w->len += (size_t)(p - start);
    w->count++;
    w->records++;
    return new_id;
}

int trace_flush(struct trace_writer *w)
{
    unsigned char *h = w->block;

    if (w->count == 0 || !h)
        return 0;
    put_u32(h, TRACE_BLOCK_MAGIC);
    put_u32(h + 4, (uint32_t)w->len);
    put_u32(h + 8, w->count);
    put_u32(h + 12, trace_crc32(h + TRACE_BLOCK_HEADER_SIZE, w->len));
    if (trace_write_all(w->fd, h, TRACE_BLOCK_HEADER_SIZE + w->len) < 0 && !w->error)
        w->error = errno ? errno : EIO;
    w->len = 0;
    w->count = 0;
    return w->error ? -1 : 0;
}

void trace_writer_drop(struct trace_writer *w)
{
    if (w->block)
        munmap(w->block, TRACE_BLOCK_HEADER_SIZE + w->capacity);
    w->block = NULL;
    w->len = 0;
    w->count = 0;
}

/* ---- reading ------------------------------------------------------------------------ */

/* Every refusal reads "TOOL: FILE: what is wrong (at byte N)", the same in every tool. */
__attribute__((format(printf, 3, 4))) static int refuse(const struct trace_reader *r,
                                                        uint64_t offset, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: %s: ", trace_progname, r->path);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (at byte %" PRIu64 ")\n", offset);
    return -1;
}

/* O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever,
   before fstat could say it is not a file. */
static int map_file(struct trace_reader *r)
{
    struct stat st;
    int fd = open(r->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

    if (fd < 0 || fstat(fd, &st) < 0) {
        fprintf(stderr, "%s: %s: %s\n", trace_progname, r->path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        fprintf(stderr, "%s: %s: %s, not a trace file\n", trace_progname, r->path,
                file_kind(st.st_mode));
        close(fd);
        return -1;
    }
    r->size = (size_t)st.st_size;
    if (r->size > 0) {
        r->map = mmap(NULL, r->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (r->map == MAP_FAILED) {
            r->map = NULL;
            fprintf(stderr, "%s: %s: %s\n", trace_progname, r->path, strerror(errno));
            close(fd);
            return -1;
        }
    }
    close(fd);
    return 0;
}

int trace_open(struct trace_reader *r, const char *path)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    trace_array_init(&r->live, 1);
    r->next_id = 1;
    if (map_file(r) < 0)
        return -1;
    if (r->size < 16 || memcmp(r->map, TRACE_MAGIC, TRACE_MAGIC_SIZE) != 0)
        return refuse(r, 0, "not an arenalloc trace (no \"%s\" magic)", TRACE_MAGIC);
    r->version = get_u32(r->map + 8);
    if (r->version != TRACE_VERSION)
        return refuse(r, 8, "format version %" PRIu32 ", this build reads version %u",
                      r->version, TRACE_VERSION);
    uint32_t header_len = get_u32(r->map + 12);
    if (header_len < TRACE_HEADER_SIZE || header_len > TRACE_MAX_HEADER)
        return refuse(r, 12, "header length %" PRIu32 ", expected %d to %d", header_len,
                      TRACE_HEADER_SIZE, TRACE_MAX_HEADER);
    if (r->size < header_len)
        return refuse(r, r->size, "the file ends inside the %" PRIu32 "-byte header",
                      header_len);
    r->pid = get_u32(r->map + 16);
    memcpy(r->program, r->map + 20, TRACE_PROGRAM_SIZE);
    r->program[TRACE_PROGRAM_SIZE] = '\0';
    r->next_block = header_len;
    return 0;
}

/* A whole block at `at`: magic, a length that fits the file, a matching CRC. */
static int whole_block_at(const struct trace_reader *r, size_t at)
{
    if (r->size - at < TRACE_BLOCK_HEADER_SIZE || get_u32(r->map + at) != TRACE_BLOCK_MAGIC)
        return 0;
    uint32_t len = get_u32(r->map + at + 4);
    if (len > TRACE_MAX_PAYLOAD || r->size - at - TRACE_BLOCK_HEADER_SIZE < len)
        return 0;
    return get_u32(r->map + at + 12) == trace_crc32(r->map + at + TRACE_BLOCK_HEADER_SIZE, len);
}

/* The block at `at` claims more bytes than the file has left.  Either the
   file really ends early (a recorder killed in the middle of its write()) or
   the length field is damaged.  A damaged length gives itself away: the
   checksum then matches the bytes up to the end of the file, or a whole,
   checksummed block starts further on.  Nothing of a real truncation can
   look like that, so only a real truncation is read as one. */
static int damaged_length(const struct trace_reader *r, size_t at, uint32_t len)
{
    size_t rest = r->size - at;

    if (rest < TRACE_BLOCK_HEADER_SIZE)
        return 0;
    if (get_u32(r->map + at + 12) ==
        trace_crc32(r->map + at + TRACE_BLOCK_HEADER_SIZE, rest - TRACE_BLOCK_HEADER_SIZE))
        return refuse(r, at + 4, "block length %" PRIu32 " is damaged: the block's checksum "
                      "matches its %zu bytes up to the end of the file", len,
                      rest - TRACE_BLOCK_HEADER_SIZE);
    static const unsigned char magic[4] = {0x54, 0x42, 0x4c, 0x4b}; /* "TBLK" */
    const unsigned char *from = r->map + at + TRACE_BLOCK_HEADER_SIZE, *end = r->map + r->size;
    const unsigned char *hit;
    while (from < end && (hit = memmem(from, (size_t)(end - from), magic, sizeof magic))) {
        if (whole_block_at(r, (size_t)(hit - r->map)))
            return refuse(r, at + 4, "block length %" PRIu32 " is damaged: it runs past the end "
                          "of the file, but a whole block starts at byte %zu", len,
                          (size_t)(hit - r->map));
        from = hit + 1;
    }
    return 0;
}

/* A real truncation: warns how much is lost, and the records end here. */
static void truncated(struct trace_reader *r, size_t at, uint32_t len)
{
    size_t rest = r->size - at;
    char records[64] = "";

    if (rest >= 12)
        snprintf(records, sizeof records, ", so its %" PRIu32 " records are lost",
                 get_u32(r->map + at + 8));
    fprintf(stderr, "%s: %s: warning: the file ends inside a block (at byte %zu): only %zu of "
            "its %zu bytes are there%s; reading the %" PRIu64 " whole blocks before it\n",
            trace_progname, r->path, at, rest,
            rest >= 8 ? (size_t)TRACE_BLOCK_HEADER_SIZE + len : (size_t)TRACE_BLOCK_HEADER_SIZE,
            records, r->blocks);
    r->partial = 1;
    r->lost_bytes = rest;
    r->lost_records = rest >= 12 ? get_u32(r->map + at + 8) : 0;
    r->next_block = r->size;
}

/* Steps into the block at r->next_block: 1 when there is one, 0 at the end
   of the file (or before a partial block, with a warning), -1 if damaged. */
static int enter_block(struct trace_reader *r)
{
    size_t at = r->next_block;
    size_t rest = r->size - at;
    static const unsigned char magic[4] = {0x54, 0x42, 0x4c, 0x4b};

    if (rest == 0)
        return 0;
    if (memcmp(r->map + at, magic, rest < 4 ? rest : 4) != 0)
        return refuse(r, at, "bad block magic (expected \"TBLK\")");
    uint32_t len = rest >= 8 ? get_u32(r->map + at + 4) : 0;
    if (len > TRACE_MAX_PAYLOAD)
        return refuse(r, at + 4, "block length %" PRIu32 " is more than %u: damaged", len,
                      TRACE_MAX_PAYLOAD);
    if (rest < TRACE_BLOCK_HEADER_SIZE || rest - TRACE_BLOCK_HEADER_SIZE < len) {
        if (damaged_length(r, at, len) < 0)
            return -1;
        truncated(r, at, len);
        return 0;
    }
    const unsigned char *payload = r->map + at + TRACE_BLOCK_HEADER_SIZE;
    uint32_t stored = get_u32(r->map + at + 12), computed = trace_crc32(payload, len);
    if (stored != computed)
        return refuse(r, at, "block checksum mismatch (stored 0x%08" PRIx32 ", computed 0x%08"
                      PRIx32 "): its records or its length are damaged", stored, computed);
    r->pos = at + TRACE_BLOCK_HEADER_SIZE;
    r->end = r->pos + len;
    r->left = get_u32(r->map + at + 8);
    r->next_block = r->end;
    r->blocks++;
    return 1;
}

static int id_is_live(struct trace_reader *r, uint64_t id)
{
    unsigned char *byte = trace_array_at(&r->live, id / 8);
    return (*byte >> (id % 8)) & 1;
}

static void set_live(struct trace_reader *r, uint64_t id, int live)
{
    unsigned char *byte = trace_array_at(&r->live, id / 8);
    if (live)
        *byte |= (unsigned char)(1u << (id % 8));
    else
        *byte &= (unsigned char)~(1u << (id % 8));
}

/* Reads the fields after the op byte; 0, or -1 when they run past `end`. */
static int decode_fields(struct trace_reader *r, const unsigned char **p, const unsigned char *end,
                         struct trace_record *rec)
{
    uint64_t thread, delta = 0;

    if (get_varint(p, end, &thread) < 0)
        return -1;
    if (op_has_old(rec->op) && get_varint(p, end, &delta) < 0)
        return -1;
    if (rec->op == TRACE_CALLOC && get_varint(p, end, &rec->nmemb) < 0)
        return -1;
    if (op_has_alignment(rec->op) && get_varint(p, end, &rec->alignment) < 0)
        return -1;
    if (rec->op != TRACE_FREE && get_varint(p, end, &rec->size) < 0)
        return -1;
    rec->thread = thread > UINT32_MAX ? UINT32_MAX : (uint32_t)thread;
    /* an impossible delta becomes id 0 - delta, which check_ids refuses */
    rec->old_id = delta == 0 ? 0 : delta < r->next_id ? r->next_id - delta : UINT64_MAX;
    return 0;
}

/* The checks that make a record trustworthy for a replay. */
static int check_record(struct trace_reader *r, struct trace_record *rec)
{
    if (rec->thread > r->threads)
        return refuse(r, rec->offset, "thread t%" PRIu32 " before thread t%" PRIu32,
                      rec->thread, r->threads);
    if (rec->thread == r->threads)
        r->threads++;
    if (rec->op == TRACE_FREE && rec->failed)
        return refuse(r, rec->offset, "a free marked as failed");
    if (rec->old_id == UINT64_MAX)
        return refuse(r, rec->offset, "%s of an id that was never allocated",
                      trace_op_name(rec->op));
    if (rec->old_id != 0 && !id_is_live(r, rec->old_id))
        return refuse(r, rec->offset, "%s of id #%" PRIu64 ", which is not live (already freed)",
                      trace_op_name(rec->op), rec->old_id);
    return 0;
}

int trace_next(struct trace_reader *r, struct trace_record *rec)
{
    while (r->left == 0) {
        if (r->pos != r->end)
            return refuse(r, r->pos, "%zu bytes after the block's last record",
                          r->end - r->pos);
        int entered = enter_block(r);
        if (entered <= 0)
            return entered;
    }
    const unsigned char *p = r->map + r->pos, *end = r->map + r->end;
    memset(rec, 0, sizeof *rec);
    rec->offset = r->pos;
    if (p >= end)
        return refuse(r, rec->offset, "the block's records end before its record count");
    rec->op = *p & TRACE_OP_MASK;
    rec->failed = (*p & TRACE_FAILED) != 0;
    p++;
    if (rec->op == 0 || rec->op >= TRACE_OP_COUNT)
        return refuse(r, rec->offset, "unknown operation code %u", rec->op);
    if (decode_fields(r, &p, end, rec) < 0)
        return refuse(r, rec->offset, "a record runs past the end of its block");
    if (check_record(r, rec) < 0)
        return -1;
    if (trace_record_ends_old(rec))
        set_live(r, rec->old_id, 0);
    if (trace_op_allocates(rec->op) && !rec->failed) {
        rec->new_id = r->next_id++;
        set_live(r, rec->new_id, 1);
    }
    rec->index = r->next_index++;
    r->pos = (size_t)(p - r->map);
    r->left--;
    return 1;
}

void trace_close(struct trace_reader *r)
{
    if (r->map)
        munmap((void *)r->map, r->size);
    r->map = NULL;
    trace_array_free(&r->live);
}

/* ---- buffered text output ------------------------------------------------------------ */

#define OUT_CAPACITY (256u << 10)

void trace_out_open(struct trace_out *o, int fd)
{
    o->fd = fd;
    o->buf = trace_map(OUT_CAPACITY);
    o->len = 0;
    o->cap = OUT_CAPACITY;
    o->error = 0;
}

int trace_out_flush(struct trace_out *o)
{
    if (o->len > 0 && trace_write_all(o->fd, o->buf, o->len) < 0 && !o->error)
        o->error = errno;
    o->len = 0;
    return o->error ? -1 : 0;
}

void trace_out_write(struct trace_out *o, const char *s, size_t n)
{
    if (o->len + n > o->cap)
        trace_out_flush(o);
    if (n > o->cap) {
        if (trace_write_all(o->fd, s, n) < 0 && !o->error)
            o->error = errno;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

void trace_out_printf(struct trace_out *o, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > 0)
        trace_out_write(o, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

void trace_out_close(struct trace_out *o)
{
    trace_out_flush(o);
    trace_unmap(o->buf, o->cap);
    o->buf = NULL;
}

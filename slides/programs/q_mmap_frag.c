/*
 * q_mmap_frag.c - why do large requests going to mmap fight fragmentation?
 * (deck 90-questions)
 *
 * A pattern the lecture warns about: each round makes a large temporary buffer,
 * a little larger each time (200 KiB, then 1 KiB more per round, as a growing
 * array would), then a small block that lives on, then frees the buffer.  From
 * the heap, every small survivor pins the top above the freed buffer, so the
 * hole can neither be trimmed nor reused by the next, larger buffer.  Run three ways,
 * each in a child process: the mmap threshold left dynamic (the default), fixed
 * at 128 KiB (every buffer mapped), and set very high (every buffer from the
 * heap).  Prints peak footprint (mallinfo2: arena + hblkhd), peak live bytes,
 * and the footprint at the end, after malloc_trim(0), when only the small
 * survivors are live.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "experiment.h"

static int rounds;

static size_t footprint(void)
{
    struct mallinfo2 m = arenalloc_mallinfo2();
    return m.arena + m.hblkhd;
}

static void pattern(size_t result[3])
{
    size_t live = 0, peak_live = 0, peak_fp = 0;
    for (int i = 0; i < rounds; i++) {
        size_t big = (200 + (size_t)i) * 1024;
        char *b = xmalloc(big);
        memset(b, 1, big);
        xmalloc(64); /* lives to the end */
        live += big + 64;
        peak_live = live > peak_live ? live : peak_live;
        size_t fp = footprint();
        peak_fp = fp > peak_fp ? fp : peak_fp;
        arenalloc_free(b);
        live -= big;
    }
    arenalloc_malloc_trim(0);
    result[0] = peak_fp;
    result[1] = peak_live;
    result[2] = footprint(); /* only the small survivors are live now */
}

static void run(const char *name, int threshold)
{
    int fds[2];
    size_t r[3] = {0, 0, 0};
    if (pipe(fds) != 0)
        die("pipe");
    pid_t pid = fork();
    if (pid == 0) {
        if (threshold > 0)
            arenalloc_mallopt(M_MMAP_THRESHOLD, threshold);
        pattern(r);
        _exit(write(fds[1], r, sizeof r) == sizeof r ? 0 : 1);
    }
    if (read(fds[0], r, sizeof r) != sizeof r)
        die("child");
    waitpid(pid, NULL, 0);
    close(fds[0]);
    close(fds[1]);
    char key[64];
    snprintf(key, sizeof key, "%s_footprint_mib", name);
    value(key, "%.1f", r[0] / 1048576.0);
    snprintf(key, sizeof key, "%s_live_mib", name);
    value(key, "%.1f", r[1] / 1048576.0);
    snprintf(key, sizeof key, "%s_ratio", name);
    value(key, "%.1f", (double)r[0] / (double)r[1]);
    snprintf(key, sizeof key, "%s_end_kib", name);
    value(key, "%zu", r[2] / 1024);
}

int main(int argc, char **argv)
{
    experiment_start(argc, argv);
    rounds = short_mode ? 30 : 100;
    value("rounds", "%d", rounds);
    value("survivors_kib", "%d", rounds * 64 / 1024);
    run("dynamic", 0);
    run("mapped", 128 * 1024);
    run("heap", 1 << 30);
    return 0;
}

/*
 * mmap_threshold.c - the mmap threshold and its dynamic rise (deck 40-mmap).
 *
 * Allocates and frees blocks of growing sizes, one at a time, and records for
 * each whether it was mapped (the M bit) and the threshold after its free:
 * mmap_threshold.tsv, plotted by slides/plots/mmap_threshold.gp.
 */
#include "bins/malloc_par.h"
#include "experiment.h"

int main(int argc, char **argv)
{
    experiment_start(argc, argv);
    FILE *tsv = data_file("mmap_threshold.tsv");
    fprintf(tsv, "# step size_kib mapped threshold_kib_after_free\n");
    value("initial", "%zu", (size_t)mp_.mmap_threshold);
    const size_t kib[] = {64, 100, 140, 120, 200, 160, 300, 260, 400, 600, 500, 800, 700};
    int n = (int)(sizeof kib / sizeof kib[0]);
    int mapped_count = 0;
    for (int i = 0; i < n; i++) {
        void *p = xmalloc(kib[i] * 1024);
        int mapped = (size_field(p) & 2) != 0;
        mapped_count += mapped;
        arenalloc_free(p);
        fprintf(tsv, "%d %zu %d %zu\n", i + 1, kib[i], mapped, (size_t)mp_.mmap_threshold / 1024);
        if (i == 2)
            value("after_140", "%zu", (size_t)mp_.mmap_threshold);
    }
    fclose(tsv);
    value("final", "%zu", (size_t)mp_.mmap_threshold);
    value("steps", "%d", n);
    value("mapped", "%d", mapped_count);

    /* Past the cap: a freed block larger than DEFAULT_MMAP_THRESHOLD_MAX leaves
       the threshold where it was (not plotted: it would flatten the rest). */
    size_t huge = DEFAULT_MMAP_THRESHOLD_MAX + (8u << 20);
    arenalloc_free(xmalloc(huge));
    value("max", "%zu", (size_t)DEFAULT_MMAP_THRESHOLD_MAX);
    value("huge_kib", "%zu", huge / 1024);
    value("after_huge", "%zu", (size_t)mp_.mmap_threshold);
    return 0;
}

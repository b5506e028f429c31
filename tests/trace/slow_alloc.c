/*
 * slow_alloc.c - allocates in a loop for a long time, sleeping now and then,
 * so that a test can kill it (SIGKILL) halfway through recording.
 *
 *   slow_alloc SECONDS
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
    static void *ring[512];
    long rounds = (argc > 1 ? atol(argv[1]) : 10) * 100;
    unsigned seed = 1;

    for (long r = 0; r < rounds; r++) {
        for (int i = 0; i < 5000; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned slot = (seed >> 16) % 512;
            free(ring[slot]);
            ring[slot] = malloc(16 + (seed >> 8) % 1000);
            if (ring[slot])
                memset(ring[slot], 0, 16);
        }
        nanosleep(&(struct timespec){0, 10000000}, NULL); /* 10 ms */
    }
    return 0;
}

/*
 * q_lock_walk.c - what does a thread do when it fails the lock on its own arena?
 * (deck 90-questions)
 *
 * The main thread holds chosen arenas' locks (as busy threads would) while a
 * worker thread makes one malloc; each step prints which arenas were locked,
 * which arena the worker had, and which it got.  The lock is the arena's own
 * (mutex); the arena a chunk belongs to is read back from the chunk
 * (arena_for_chunk), as free does.  Arenas are named by the order they appear:
 * 0 is main_arena.
 */
#include <pthread.h>
#include <semaphore.h>

#include "arena/arena.h"
#include "arena/heap.h"
#include "experiment.h"

static mstate known[8];
static int nknown;
static sem_t go, done;
static mstate got;

static int arena_number(mstate a)
{
    for (int i = 0; i < nknown; i++)
        if (known[i] == a)
            return i;
    known[nknown] = a;
    return nknown++;
}

static void *worker(void *arg)
{
    (void)arg;
    for (;;) {
        sem_wait(&go);
        void *p = xmalloc(64);
        got = arena_for_chunk(mem2chunk(p));
        sem_post(&done);
    }
    return NULL;
}

/* One step: lock the arenas numbered in `locked` (-1 ends), let the worker
   allocate once, unlock. */
static void step(int n, const int *locked)
{
    char key[32], list[64] = "";
    int had = got != NULL ? arena_number(got) : -1;
    for (int i = 0; locked[i] >= 0; i++) {
        os_lock(&known[locked[i]]->mutex);
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%d", i ? ", " : "", locked[i]);
    }
    sem_post(&go);
    sem_wait(&done);
    for (int i = 0; locked[i] >= 0; i++)
        os_unlock(&known[locked[i]]->mutex);
    snprintf(key, sizeof key, "step%d_locked", n);
    value(key, "%s", list[0] ? list : "none");
    snprintf(key, sizeof key, "step%d_had", n);
    if (had < 0)
        value(key, "none yet");
    else
        value(key, "%d", had);
    snprintf(key, sizeof key, "step%d_got", n);
    value(key, "%d", arena_number(got));
}

int main(int argc, char **argv)
{
    experiment_start(argc, argv);
    /* The lecture's allocator, before glibc 2.26's per-thread cache (deck 50-tcache):
       with the cache on, these frees and mallocs would not reach the arena at all. */
    arenalloc_set_tcache_count(0);
    arenalloc_set_arena_policy(ARENALLOC_POLICY_TRYLOCK);
    arena_number(&main_arena);
    sem_init(&go, 0, 0);
    sem_init(&done, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);

    step(1, (int[]){-1});
    step(2, (int[]){0, -1});
    step(3, (int[]){-1});
    step(4, (int[]){1, -1});
    step(5, (int[]){0, 1, -1});
    step(6, (int[]){2, 0, -1});
    value("arenas", "%d", nknown);
    return 0;
}

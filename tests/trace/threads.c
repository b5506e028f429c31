/*
 * threads.c - four threads that hand objects to each other.
 *
 * Each thread allocates objects and passes them to the next thread in a ring,
 * which grows some with realloc and frees them all: nearly every free and
 * realloc is of a block another thread allocated, which the replayer must
 * wait for.  The queues are static arrays, so they add no allocations.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 4
#define PER_THREAD 20000
#define QUEUE_SIZE 256

struct queue {
    pthread_mutex_t lock;
    void *items[QUEUE_SIZE];
    size_t head, count;
};

static struct queue queues[THREADS];
static atomic_long consumed;

static int push(struct queue *q, void *p)
{
    int ok = 0;
    pthread_mutex_lock(&q->lock);
    if (q->count < QUEUE_SIZE) {
        q->items[(q->head + q->count++) % QUEUE_SIZE] = p;
        ok = 1;
    }
    pthread_mutex_unlock(&q->lock);
    return ok;
}

static void *pop(struct queue *q)
{
    void *p = NULL;
    pthread_mutex_lock(&q->lock);
    if (q->count > 0) {
        p = q->items[q->head];
        q->head = (q->head + 1) % QUEUE_SIZE;
        q->count--;
    }
    pthread_mutex_unlock(&q->lock);
    return p;
}

/* Takes what others sent: every third object grows first. */
static int consume_one(struct queue *q, unsigned *n)
{
    char *p = pop(q);
    if (!p)
        return 0;
    if (++*n % 3 == 0) {
        char *bigger = realloc(p, 3000);
        if (bigger)
            p = bigger;
    }
    free(p);
    atomic_fetch_add(&consumed, 1);
    return 1;
}

static void *worker(void *arg)
{
    int k = (int)(long)arg;
    unsigned n = 0;
    for (unsigned i = 0; i < PER_THREAD; i++) {
        size_t size = 16 + (i * 37u + (unsigned)k * 101u) % 2000;
        char *p = (i % 5 == 0) ? calloc(1, size) : malloc(size);
        if (!p)
            abort();
        memset(p, k, size);
        while (!push(&queues[(k + 1) % THREADS], p))
            if (!consume_one(&queues[k], &n))
                sched_yield();
        consume_one(&queues[k], &n);
    }
    while (atomic_load(&consumed) < (long)THREADS * PER_THREAD)
        if (!consume_one(&queues[k], &n))
            sched_yield();
    return NULL;
}

int main(void)
{
    pthread_t t[THREADS];
    for (int k = 0; k < THREADS; k++)
        pthread_mutex_init(&queues[k].lock, NULL);
    for (int k = 0; k < THREADS; k++)
        if (pthread_create(&t[k], NULL, worker, (void *)(long)k) != 0)
            return 1;
    for (int k = 0; k < THREADS; k++)
        pthread_join(t[k], NULL);
    printf("%ld objects passed\n", (long)atomic_load(&consumed));
    return 0;
}

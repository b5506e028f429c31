/*
 * debug.c - the debug allocators of the other notes (deck 70-debug): fill values
 * (0xA1 on malloc, 0xDE on free) and the stomp allocator's guard pages.
 *
 * Each out-of-bounds write runs in a child process, which the guard page kills;
 * the parent reports the signal.
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "experiment.h"

static void hex(const char *key, const unsigned char *p, int n)
{
    char buf[256];
    int len = 0;
    for (int i = 0; i < n; i++)
        len += snprintf(buf + len, sizeof buf - (size_t)len, "%02x%s", p[i], i + 1 < n ? " " : "");
    value(key, "%s", buf);
}

/* Runs a write at offset `at` of a fresh stomp block of `size` bytes in a child;
   returns the signal that ended it, or 0. */
static int stomp_write(int mode, size_t size, long at)
{
    pid_t pid = fork();
    if (pid == 0) {
        arenalloc_set_stomp(mode);
        volatile char *p = xmalloc(size);
        p[at] = 1;
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

int main(int argc, char **argv)
{
    experiment_start(argc, argv);
    arenalloc_set_fill(1);
    unsigned char *p = xmalloc(40);
    hex("fill_malloc", p, 16);
    xmalloc(24); /* keeps p from merging into top */
    arenalloc_free(p);
    hex("fill_free", p, 32);
    arenalloc_set_fill(0);

    arenalloc_set_stomp(ARENALLOC_STOMP_OVERFLOW);
    char *s = xmalloc(100);
    value("stomp_ptr", "%p", (void *)s);
    value("stomp_offset", "%lu", (unsigned long)((uintptr_t)s % 4096));
    value("stomp_end_offset", "%lu", (unsigned long)(((uintptr_t)s + 100) % 4096));
    arenalloc_free(s);
    arenalloc_set_stomp(ARENALLOC_STOMP_OFF);

    int sig = stomp_write(ARENALLOC_STOMP_OVERFLOW, 100, 99);
    value("overflow_last_byte", "%s", sig ? strsignal(sig) : "no fault");
    sig = stomp_write(ARENALLOC_STOMP_OVERFLOW, 100, 112);
    value("overflow_past_end", "%s", sig ? strsignal(sig) : "no fault");
    sig = stomp_write(ARENALLOC_STOMP_UNDERFLOW, 100, -1);
    value("underflow_before_start", "%s", sig ? strsignal(sig) : "no fault");
    sig = stomp_write(ARENALLOC_STOMP_OFF, 100, 112);
    value("plain_past_end", "%s", sig ? strsignal(sig) : "no fault");
    return 0;
}

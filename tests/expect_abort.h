/*
 * expect_abort.h - run a piece of code in a child process and report how it died
 * and what it printed on stderr: for tests of detected heap corruption, which
 * must abort with glibc's message.
 */
#ifndef ARENALLOC_TESTS_EXPECT_ABORT_H
#define ARENALLOC_TESTS_EXPECT_ABORT_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct death {
    int signal;        /* the signal that ended the child, 0 if it exited */
    int status;        /* its exit status, -1 if a signal ended it */
    char stderr[2048]; /* what it wrote to stderr */
};

/* Runs fn(arg) in a child process: the child exits 0 when fn returns, or with
   whatever status fn passes to _exit itself. */
static inline struct death run_in_child_with(void (*fn)(void *), void *arg)
{
    struct death d = {0};
    int fds[2];
    if (pipe(fds) != 0) {
        perror("expect_abort: pipe");
        abort(); /* the test errs: no child ran, so there is nothing to compare */
    }
    fflush(NULL); /* or the child would print the parent's buffered output again */
    pid_t pid = fork();
    if (pid < 0) {
        perror("expect_abort: fork");
        abort();
    }
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        fn(arg);
        _exit(0);
    }
    close(fds[1]);
    size_t used = 0;
    ssize_t n;
    while (used < sizeof d.stderr - 1 && (n = read(fds[0], d.stderr + used, sizeof d.stderr - 1 - used)) > 0)
        used += (size_t)n;
    close(fds[0]);

    int status;
    waitpid(pid, &status, 0);
    d.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    d.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return d;
}

struct plain_call {
    void (*fn)(void);
};
static inline void call_plain(void *call) { ((struct plain_call *)call)->fn(); }

/* Runs fn() in a child process. */
static inline struct death run_in_child(void (*fn)(void))
{
    struct plain_call call = {fn};
    return run_in_child_with(call_plain, &call);
}

/* Asserts that fn dies of SIGABRT after printing `message` on a line. */
#define ck_assert_aborts_with(fn, message)                                           \
    do {                                                                             \
        struct death d_ = run_in_child(fn);                                          \
        ck_assert_int_eq(d_.signal, SIGABRT);                                        \
        ck_assert_msg(strstr(d_.stderr, message "\n") != NULL,                       \
                      "expected \"%s\" on stderr, got \"%s\"", message, d_.stderr);  \
    } while (0)

#endif /* ARENALLOC_TESTS_EXPECT_ABORT_H */

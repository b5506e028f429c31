/*
 * forker.c - allocates around two forks.
 *
 * One child allocates (malloc(7777), many times) and exits without exec; the
 * other execs /bin/true.  The parent allocates before and after (malloc(4242)
 * after both children are done).  Its trace must hold no malloc(7777), and a
 * child must never write the parent's buffered records.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    char *before = malloc(1000);
    memset(before, 1, 1000);

    pid_t child = fork();
    if (child == 0) {
        for (int i = 0; i < 50000; i++)
            free(malloc(7777));
        free(before); /* the parent's block, freed in the child: not recorded */
        exit(0);      /* runs the destructors, as a real child would */
    }
    waitpid(child, NULL, 0);

    pid_t execer = fork();
    if (execer == 0) {
        execl("/bin/true", "true", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    waitpid(execer, &status, 0);

    char *after = malloc(4242);
    memset(after, 2, 4242);
    free(after);
    free(before);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

/*
 * brk_posix.c - os_morecore for the drop-in build: the process's real brk.
 *
 * The main arena grows its one contiguous heap through os_morecore (sysmalloc
 * when top is too small, systrim when top has grown too large).  In the drop-in
 * build arenalloc *is* the process's malloc, so it owns the program break, as
 * glibc's main_arena does: the heap starts right after the program's data, where
 * gdb, pwndbg's `heap` and every heap tutorial expect main_arena's chunks to be,
 * and addresses can be compared with glibc's one to one.
 *
 * The prefixed build links brk_emulated.c instead (glibc's malloc is in the same
 * process there and already owns this break).
 */
#include "syscall/os.h"

#include <errno.h>
#include <unistd.h>

void *os_morecore(intptr_t increment)
{
    /* sbrk reports failure as (void *)-1, os.h as NULL; a shrink keeps errno. */
    int saved_errno = errno;
    void *old_end = sbrk(increment);
    if (increment < 0)
        errno = saved_errno;
    return old_end == (void *)-1 ? NULL : old_end;
}

/*
 * reserve_aligned.c - os_reserve_aligned: the checks every OS shares.
 *
 * A thread arena's heap must start at a multiple of HEAP_MAX_SIZE so that
 * heap_for_ptr can find it by masking.  How to get such a range differs by OS
 * (os_posix.c, os_windows.c: os_reserve_aligned_checked); what a valid request
 * is does not, so it is decided here, once.
 */
#include "syscall/os.h"

#include <errno.h>

static bool is_valid_alignment(size_t alignment)
{
    bool power_of_two = alignment != 0 && (alignment & (alignment - 1)) == 0;
    return power_of_two && alignment >= os_page_size() && alignment <= OS_MAX_ALIGNMENT;
}

void *os_reserve_aligned(size_t size, size_t alignment)
{
    /* No address space has room for half of SIZE_MAX; refusing such sizes here
       keeps the rounding, and the OS files' size + alignment, from overflowing. */
    if (!is_valid_alignment(alignment) || size == 0 || size > SIZE_MAX / 2)
        return NULL;
    size = align_up(size, os_page_size());

    /* A range longer than its alignment has an end that masks to somewhere
       else; refuse it loudly rather than hand out a layout whose last blocks
       cannot be found back. */
    if (size > alignment) {
        os_write_error("arenalloc: os_reserve_aligned: a range longer than its alignment cannot be found "
                       "back from a pointer into its end by masking; refused\n");
        errno = EINVAL;
        return NULL;
    }
    return os_reserve_aligned_checked(size, alignment);
}

/*
 * malloc_printerr.c - report detected heap corruption and abort (see the header).
 */
#include "bins/malloc_printerr.h"

#include "syscall/os.h"

_Noreturn void malloc_printerr(const char *str)
{
    /* Two writes, no formatting: the heap cannot be trusted to hold a buffer. */
    os_write_error(str);
    os_write_error("\n");
    os_abort();
}

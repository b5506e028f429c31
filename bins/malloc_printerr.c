/*
 * malloc_printerr.c - report detected heap corruption and abort (see the header).
 */
#include "bins/malloc_printerr.h"

#include "bins/checks.h"
#include "syscall/os.h"

_Noreturn void malloc_printerr(const char *str)
{
    /* Two writes, no formatting: the heap cannot be trusted to hold a buffer. */
    os_write_error(str);
    os_write_error("\n");
    os_abort();
}

_Noreturn void malloc_assert(const char *function, unsigned line, const char *assertion)
{
    if (release_since(36)) {
        os_write_error("Fatal glibc error: malloc assertion failure in ");
        os_write_error(function);
        os_write_error(": ");
        os_write_error(assertion);
        os_write_error("\n");
        os_abort();
    }
    char digits[12], *d = digits + sizeof digits;
    *--d = '\0';
    do
        *--d = (char)('0' + line % 10);
    while ((line /= 10) != 0);
    const char *progname = os_program_name();
    os_write_error(progname);
    os_write_error(progname[0] != '\0' ? ": malloc.c:" : "malloc.c:");
    os_write_error(d);
    os_write_error(": ");
    os_write_error(function);
    os_write_error(": Assertion `");
    os_write_error(assertion);
    os_write_error("' failed.\n");
    os_abort();
}

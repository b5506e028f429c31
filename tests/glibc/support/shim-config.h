/*
 * shim-config.h - what glibc's own build would supply, for compiling glibc 2.36's
 * support/ files and malloc/tst-*.c outside glibc's tree.
 *
 * glibc-check.sh passes it with -include to every compile of the harness.  Inside glibc,
 * every file is compiled with config.h and libc-symbols.h force-included and with
 * glibc's internal include/ directory first on the path; outside, the system headers
 * serve, and these three lines are all the support/ files and the tests still miss.
 */

/* From config.h: the factor glibc's configure bakes into support_test_main.c.  The
   test driver also reads TIMEOUTFACTOR from the environment at run time, and that
   is the one glibc-check.sh sets. */
#define TIMEOUTFACTOR 1

/* glibc's internal headers pull <limits.h> in everywhere; support/temp_file.c needs
   NAME_MAX from it. */
#include <limits.h>

/* include/scratch_buffer.h (used by support/support_capture_subprocess.c) declares
   libc's scratch-buffer functions hidden inside libc.  Outside libc they are
   libc.so.6's GLIBC_PRIVATE exports, which a normal link finds. */
#define libc_hidden_proto(name)

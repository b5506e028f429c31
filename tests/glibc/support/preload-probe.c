/*
 * preload-probe.c - which shared object provides each function named on the
 * command line, as the dynamic linker resolves it in this process.
 *
 *   LD_PRELOAD=build/libarenalloc.so preload-probe malloc mallinfo2
 *   malloc /abs/path/build/libarenalloc.so
 *   mallinfo2 /lib/x86_64-linux-gnu/libc.so.6
 *
 * glibc-check.sh uses it to check that the preload takes effect at all (ld.so only warns
 * when it cannot preload a library, and the test would then silently run on
 * glibc's malloc), and to find which of glibc's malloc functions a test calls that
 * arenalloc does not define: the test would get glibc's for those, so it waits in
 * the "later" list until arenalloc has them.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        void *fn = dlsym(RTLD_DEFAULT, argv[i]);
        Dl_info info;
        if (fn != NULL && dladdr(fn, &info) != 0 && info.dli_fname != NULL)
            printf("%s %s\n", argv[i], info.dli_fname);
        else
            printf("%s -\n", argv[i]);
    }
    return 0;
}

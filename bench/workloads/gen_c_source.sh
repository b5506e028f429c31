#!/usr/bin/env bash
# gen_c_source.sh N - prints a C program of N functions, each with its own
# struct, a switch and string literals, and a main that calls them all through a
# table and prints a checksum: a compile that allocates like a real one.  Used by
# the gcc workload of `make demo` and by tests/real_programs.sh.
set -eu
    awk -v n="${1:?usage: gen_c_source.sh N}" 'BEGIN {
        print "#include <stdio.h>\n#include <string.h>\n"
        for (i = 0; i < n; i++) {
            printf "struct s%d { int a; long b; char name[16]; double d; };\n", i
            printf "static const char *const msg%d[] = { \"alpha%d\", \"beta %d\", \"gamma-%d\", \"delta/%d\" };\n", i, i, i, i, i
            printf "long f%d(long x);\nlong f%d(long x)\n{\n", i, i
            printf "    struct s%d v = { (int)(x * %d), x ^ %d, \"n%d\", x * 0.5 };\n", i, i % 97 + 3, i * 7919, i
            print  "    long r = 0;"
            printf "    switch ((x + %d) %% 7) {\n", i
            printf "    case 0: r = v.a + (long)strlen(msg%d[x %% 4]); break;\n", i
            printf "    case 1: r = v.b * 3 - %d; break;\n", i
            print  "    case 2: for (int k = 0; k < (int)(x % 13); k++) r += k * v.a; break;"
            print  "    case 3: r = (long)v.d + v.name[1]; break;"
            printf "    case 4: r = msg%d[(x / 3) %% 4][0] * %d; break;\n", i, i + 1
            if (i > 0) printf "    case 5: r = f%d(x / 2) + 1; break;\n", i - 1
            print  "    default: r = -x; break;\n    }\n    return r + v.name[0];\n}\n"
        }
        print "static long (*const table[])(long) = {"
        for (i = 0; i < n; i++) printf "    f%d,\n", i
        print "};\n\nint main(void)\n{\n    unsigned long total = 0;"
        print "    for (long x = 0; x < 100; x++)"
        print "        for (unsigned i = 0; i < sizeof table / sizeof table[0]; i++)"
        print "            total = total * 31 + (unsigned long)table[i](x);"
        print "    printf(\"%lu\\n\", total);\n    return 0;\n}"
    }'

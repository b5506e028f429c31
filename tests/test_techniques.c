/*
 * test_techniques.c - every heap-technique program of tests/techniques/, run
 * at every release 2.23 ... 2.36, against the table tests/techniques/
 * techniques.tsv, which says from glibc's history what each release does to
 * each technique:
 *   before works_from          the program says the release lacks what it
 *                              abuses, and exits with status 2;
 *   works_from .. stopped_from the technique wins: exit status 0;
 *   from stopped_from on       a check stops it: SIGABRT, after glibc's
 *                              message of that release on stderr.
 *
 * Each program runs in a child process of its own, with ARENALLOC_RELEASE and
 * ARENALLOC_CHECKS naming the release, the way a student runs it.  The
 * programs and a copy of the table are built by `make techniques` into
 * $(BUILD)/techniques/, found beside this runner's own $(BUILD)/tests/.
 * A structure's layout is fixed when the library is built (`make
 * RELEASE=2.yy`, into $(BUILD)/release-2.yy/): the releases before 2.27 run
 * the programs of $(BUILD)/release-2.26/techniques/ (made by `make
 * techniques-layouts`), those from 2.27 to 2.29 of release-2.29 if made, each
 * when that build exists; otherwise the default build's, whose layout is
 * 2.36's.
 *
 * One test case per technique, one test per release.  And one more case,
 * "glibc": every program built on the system's own malloc instead
 * (on_glibc.c), run at the system's release and held to the same table, so
 * the table and the programs are checked against glibc itself, not only
 * against arenalloc (Debian 12, which CI runs, has glibc 2.36).
 *
 * The default build only: in `make DEBUG=1` the heap checker runs after every
 * call and stops each technique at its first corrupting step, with its own
 * message instead of glibc's, which is what that build is for.
 */
#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gnu/libc-version.h>

#include "tests/suites.h"

#define OLDEST_RELEASE 23
#define NEWEST_RELEASE 36
#define RELEASES (NEWEST_RELEASE - OLDEST_RELEASE + 1)
#define MAX_TECHNIQUES 64

/* One line of the table; releases are glibc 2.x minors, 0 for "-". */
struct technique {
    char name[64];
    int works_from;
    int stopped_from;
    char message[160];
};

static struct technique table[MAX_TECHNIQUES];
static int techniques;
static char programs_dir[PATH_MAX];
static char table_error[2 * PATH_MAX];

/* $(BUILD)/techniques/, from this runner's path $(BUILD)/tests/check_main. */
static int find_programs_dir(void)
{
    ssize_t n = readlink("/proc/self/exe", programs_dir, sizeof programs_dir - 32);
    if (n <= 0)
        return -1;
    programs_dir[n] = '\0';
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(programs_dir, '/');
        if (slash == NULL)
            return -1;
        *slash = '\0';
    }
    strcat(programs_dir, "/techniques/");
    return 0;
}

/* "2.29" -> 29, "-" -> 0, anything else -> -1. */
static int parse_release(const char *field)
{
    if (strcmp(field, "-") == 0)
        return 0;
    int minor;
    if (sscanf(field, "2.%d", &minor) != 1 || minor < OLDEST_RELEASE || minor > NEWEST_RELEASE)
        return -1;
    return minor;
}

static int parse_line(char *line, struct technique *t)
{
    char *fields[5];
    char *rest = line;
    for (int i = 0; i < 5; i++) {
        fields[i] = strsep(&rest, "\t\n");
        if (fields[i] == NULL)
            return -1;
    }
    snprintf(t->name, sizeof t->name, "%s", fields[0]);
    snprintf(t->message, sizeof t->message, "%s", fields[3]);
    t->works_from = parse_release(fields[1]);
    t->stopped_from = parse_release(fields[2]);
    if (t->works_from <= 0 || t->stopped_from < 0 || (t->stopped_from != 0) != (strcmp(t->message, "-") != 0))
        return -1;
    return 0;
}

/* Reads the table; on failure leaves it empty and says why in table_error. */
static void load_table(void)
{
    if (find_programs_dir() != 0) {
        snprintf(table_error, sizeof table_error, "cannot find this runner's own path");
        return;
    }
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%stechniques.tsv", programs_dir);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(table_error, sizeof table_error, "%s: cannot open (run make techniques)", path);
        return;
    }
    char line[512];
    bool header = true;
    while (fgets(line, sizeof line, f) != NULL && techniques < MAX_TECHNIQUES) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (header) { /* the column names */
            header = false;
            continue;
        }
        if (parse_line(line, &table[techniques]) != 0) {
            snprintf(table_error, sizeof table_error, "%s: a malformed line", path);
            techniques = 0;
            break;
        }
        techniques++;
    }
    fclose(f);
}

/* How one run ended. */
struct outcome {
    int exit_status; /* -1 when a signal ended it */
    int signal;
    char stderr_text[1024];
};

/* The releases that share a layout fixed at build time, by the last of each
   group: malloc_state gains have_fastchunks in 2.27, the cache's counts
   widen in 2.30. */
static const int layout_last[] = {26, 29, 36};

/* The folder under programs_dir whose programs run at `release`: the build of
   its layout group's last release if made, else the default build's. */
static const char *folder_for_release(int release, char *folder, size_t size)
{
    size_t g = 0;
    while (layout_last[g] < release)
        g++;
    snprintf(folder, size, "../release-2.%d/techniques/", layout_last[g]);
    char path[sizeof programs_dir + 32];
    snprintf(path, sizeof path, "%s%s", programs_dir, folder);
    if (access(path, X_OK) != 0)
        folder[0] = '\0';
    return folder;
}

/* Runs the program `t` of programs_dir/`folder` as on glibc 2.`release`. */
static struct outcome run_at_release(const struct technique *t, const char *folder, int release)
{
    struct outcome o = {.exit_status = -1};
    char program[sizeof programs_dir + 16 + sizeof t->name], setting[8];
    snprintf(program, sizeof program, "%s%s%s", programs_dir, folder, t->name);
    snprintf(setting, sizeof setting, "2.%d", release);

    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setenv("ARENALLOC_RELEASE", setting, 1);
        setenv("ARENALLOC_CHECKS", setting, 1);
        if (freopen("/dev/null", "w", stdout) == NULL)
            _exit(126);
        dup2(fds[1], 2);
        close(fds[0]);
        execl(program, t->name, (char *)NULL);
        fprintf(stderr, "cannot run %s\n", program);
        _exit(127);
    }
    close(fds[1]);
    size_t used = 0;
    ssize_t n;
    while (used < sizeof o.stderr_text - 1 &&
           (n = read(fds[0], o.stderr_text + used, sizeof o.stderr_text - 1 - used)) > 0)
        used += (size_t)n;
    close(fds[0]);

    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        o.signal = WTERMSIG(status);
    else
        o.exit_status = WEXITSTATUS(status);
    return o;
}

START_TEST(test_table_read)
{
    ck_assert_msg(techniques > 0, "no techniques: %s", table_error);
    for (int i = 0; i < techniques; i++) {
        char program[sizeof programs_dir + sizeof table[i].name];
        snprintf(program, sizeof program, "%s%.63s", programs_dir, table[i].name);
        ck_assert_msg(access(program, X_OK) == 0, "%s: not built (make techniques)", program);
    }
}
END_TEST

/* Asserts that `o`, the run of t at `release`, is what the table says. */
static void assert_as_table_says(const struct technique *t, int release, const char *where, struct outcome o)
{
    if (release < t->works_from) {
        ck_assert_msg(o.exit_status == 2, "%s at 2.%d%s: expected \"not at this release\" (exit 2), got exit %d "
                      "signal %d, stderr \"%s\"", t->name, release, where, o.exit_status, o.signal, o.stderr_text);
    } else if (t->stopped_from == 0 || release < t->stopped_from) {
        ck_assert_msg(o.exit_status == 0, "%s at 2.%d%s: expected a win (exit 0), got exit %d signal %d, "
                      "stderr \"%s\"", t->name, release, where, o.exit_status, o.signal, o.stderr_text);
    } else {
        char line[sizeof t->message + 1];
        snprintf(line, sizeof line, "%s\n", t->message);
        ck_assert_msg(o.signal == SIGABRT && strstr(o.stderr_text, line) != NULL,
                      "%s at 2.%d%s: expected an abort with \"%s\", got exit %d signal %d, stderr \"%s\"", t->name,
                      release, where, t->message, o.exit_status, o.signal, o.stderr_text);
    }
}

/* _i = technique * RELEASES + (release - OLDEST_RELEASE). */
START_TEST(test_technique_at_release)
{
    const struct technique *t = &table[_i / RELEASES];
    int release = OLDEST_RELEASE + _i % RELEASES;
    char folder[32], where[64];
    folder_for_release(release, folder, sizeof folder);
    snprintf(where, sizeof where, " (%s build)", folder[0] != '\0' ? folder + 3 : "default");
    assert_as_table_says(t, release, where, run_at_release(t, folder, release));
}
END_TEST

/* _i = technique: its program on the system's glibc. */
START_TEST(test_technique_on_glibc)
{
    const struct technique *t = &table[_i];
    int release = -1;
    sscanf(gnu_get_libc_version(), "2.%d", &release);
    ck_assert_msg(release >= OLDEST_RELEASE && release <= NEWEST_RELEASE,
                  "the system's glibc is %s; the table covers 2.%d to 2.%d", gnu_get_libc_version(), OLDEST_RELEASE,
                  NEWEST_RELEASE);
    assert_as_table_says(t, release, " on the system's glibc", run_at_release(t, "glibc/", release));
}
END_TEST

Suite *techniques_suite(void)
{
    Suite *s = suite_create("techniques");
    load_table();

    TCase *tc = tcase_create("table");
    tcase_add_test(tc, test_table_read);
    suite_add_tcase(s, tc);

    for (int i = 0; i < techniques; i++) {
        tc = tcase_create(table[i].name);
        tcase_add_loop_test(tc, test_technique_at_release, i * RELEASES, (i + 1) * RELEASES);
        suite_add_tcase(s, tc);
    }

    tc = tcase_create("glibc");
    tcase_add_loop_test(tc, test_technique_on_glibc, 0, techniques);
    suite_add_tcase(s, tc);
    return s;
}

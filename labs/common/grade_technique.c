/*
 * grade_technique.c - the grader of every security lab (labs/tech-NAME/): the
 * student writes the exploit step of one program of tests/techniques/, and this
 * runs that program the way tests/test_techniques.c does, at the releases its
 * line of tests/techniques/techniques.tsv names.
 *
 * lab/grade.sh builds the program ($LAB_TECHNIQUES/NAME) and a copy of the table
 * beside it, and says which program and which release the lab is about
 * (LAB_TECHNIQUE, LAB_RELEASE: the lab's NAME.conf).  The program runs in a
 * child of its own with ARENALLOC_RELEASE and ARENALLOC_CHECKS set to one
 * release, as a student runs it by hand, and its exit status says what happened
 * (tests/techniques/technique.h): 0 won, 1 lost, SIGABRT when a check stopped it.
 *
 * Address randomisation: every run is a fresh process, so the heap, the stack
 * and the library land somewhere new each time.  The win is checked over
 * several runs: an exploit step that hard-codes an address it saw once in gdb
 * fails; one that computes it from the pointers the program holds (as a real
 * exploit computes it from a leak) passes.
 */
#include "grade.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { ASLR_RUNS = 3, NEWEST_RELEASE = 36 };

/* The lab's line of techniques.tsv, and the lab's release (glibc 2.x minors). */
static char name[64], message[160];
static int works_from, stopped_from, lab_release;

/* What one run of the program did. */
struct run {
    int exit_status; /* -1 when a signal ended it */
    int signal;
    char out[4096];  /* its stdout */
    char err[1024];  /* its stderr */
};

static void read_all(FILE *f, char *buf, size_t size)
{
    rewind(f);
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
}

/* The program's path, from the directory lab/grade.sh built it in. */
static const char *program(void)
{
    static char path[PATH_MAX];
    const char *dir = getenv("LAB_TECHNIQUES");
    snprintf(path, sizeof path, "%s/%s", dir != NULL ? dir : "build/grade-nodebug/techniques", name);
    return path;
}

static struct run run_at(int release)
{
    struct run r = {0};
    FILE *out = tmpfile(), *err = tmpfile();
    ck_assert_msg(out != NULL && err != NULL, "cannot make temporary files");
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "cannot fork");
    if (pid == 0) {
        char setting[16];
        snprintf(setting, sizeof setting, "2.%d", release);
        setenv("ARENALLOC_RELEASE", setting, 1);
        setenv("ARENALLOC_CHECKS", setting, 1);
        dup2(fileno(out), STDOUT_FILENO);
        dup2(fileno(err), STDERR_FILENO);
        execl(program(), name, (char *)NULL);
        fprintf(stderr, "cannot run %s (did it build? make grade builds it)\n", program());
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    r.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    read_all(out, r.out, sizeof r.out);
    read_all(err, r.err, sizeof r.err);
    fclose(out);
    fclose(err);
    return r;
}

/* The last line of a run's stderr, or of its stdout: what a failure shows. */
static const char *last_words(const struct run *r)
{
    static char line[256];
    const char *text = r->err[0] != '\0' ? r->err : r->out;
    const char *end = text + strlen(text);
    while (end > text && end[-1] == '\n')
        end--;
    const char *start = end;
    while (start > text && start[-1] != '\n')
        start--;
    snprintf(line, sizeof line, "%.*s", (int)(end - start), start);
    return line;
}

static void expect_win(int release, const char *why)
{
    struct run r = run_at(release);
    ck_assert_msg(r.exit_status == 0 && strstr(r.out, "WON") != NULL,
                  "at glibc 2.%d %s the program should win (exit 0, \"WON\"); it %s %d, and its last line was "
                  "\"%s\"", release, why, r.exit_status >= 0 ? "exited with" : "was killed by signal",
                  r.exit_status >= 0 ? r.exit_status : r.signal, last_words(&r));
}

/* ---- the tests ---------------------------------------------------------------------- */

START_TEST(narration)
{
    struct run r = run_at(lab_release);
    char first[96];
    snprintf(first, sizeof first, "== %s, as on glibc 2.%d ==", name, lab_release);
    ck_assert_msg(strstr(r.out, first) != NULL, "the program should build and start its narration with \"%s\"; "
                  "its output began \"%.80s\", stderr \"%s\"", first, r.out, r.err);
}
END_TEST

START_TEST(wins_at_lab_release)
{
    for (int i = 0; i < ASLR_RUNS; i++)
        expect_win(lab_release, "(the lab's release), in every one of three runs with fresh addresses,");
}
END_TEST

START_TEST(wins_at_every_release)
{
    int last = stopped_from != 0 ? stopped_from - 1 : NEWEST_RELEASE;
    for (int release = works_from; release <= last; release++)
        expect_win(release, "(techniques.tsv: it works there; mind the tcache and safe-linking)");
}
END_TEST

START_TEST(stopped_by_glibc)
{
    struct run r = run_at(stopped_from);
    ck_assert_msg(r.signal == SIGABRT && strstr(r.err, message) != NULL,
                  "at glibc 2.%d the program should be stopped by glibc's check: an abort after \"%s\" on stderr; "
                  "it %s %d, and its last line was \"%s\"", stopped_from, message,
                  r.exit_status >= 0 ? "exited with" : "was killed by signal",
                  r.exit_status >= 0 ? r.exit_status : r.signal, last_words(&r));
}
END_TEST

/* ---- the lab's line of the table ------------------------------------------------------ */

static int minor_of(const char *field) { return strcmp(field, "-") == 0 ? 0 : atoi(field + 2); }

static void load_line(void)
{
    const char *dir = getenv("LAB_TECHNIQUES"), *technique = getenv("LAB_TECHNIQUE"),
               *release = getenv("LAB_RELEASE");
    if (technique == NULL || release == NULL || strncmp(release, "2.", 2) != 0) {
        fprintf(stderr, "grade: LAB_TECHNIQUE and LAB_RELEASE are unset (run make grade)\n");
        exit(2);
    }
    snprintf(name, sizeof name, "%s", technique);
    lab_release = atoi(release + 2);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/techniques.tsv", dir != NULL ? dir : ".");
    FILE *f = fopen(path, "r");
    char line[512];
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        char *rest = line, *fields[4];
        for (int i = 0; i < 4; i++)
            fields[i] = strsep(&rest, "\t\n");
        if (line[0] == '#' || fields[3] == NULL || strcmp(fields[0], name) != 0)
            continue;
        works_from = minor_of(fields[1]);
        stopped_from = minor_of(fields[2]);
        snprintf(message, sizeof message, "%s", fields[3]);
        fclose(f);
        return;
    }
    fprintf(stderr, "grade: no line for %s in %s\n", name, path);
    exit(2);
}

void lab_register(void)
{
    static char win_lab[128], win_all[160], stopped[256];
    load_line();
    snprintf(win_lab, sizeof win_lab, "at glibc 2.%d, the lab's release, the technique wins, whatever the addresses",
             lab_release);
    lab_scored(win_lab, wins_at_lab_release);
    snprintf(win_all, sizeof win_all, "it wins at every release from 2.%d to 2.%d", works_from,
             stopped_from != 0 ? stopped_from - 1 : NEWEST_RELEASE);
    lab_scored(win_all, wins_at_every_release);
    if (stopped_from != 0) {
        snprintf(stopped, sizeof stopped, "at glibc 2.%d the same step is stopped: \"%s\"", stopped_from, message);
        lab_scored(stopped, stopped_by_glibc);
    }
    lab_untouched("the program builds and its narration runs up to your step", narration);
}

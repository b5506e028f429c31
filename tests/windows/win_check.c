/*
 * win_check.c - the Windows test program: the runner (win_runner.h) and main.
 *
 *   win_check.exe                  runs every group, ends with "N passed, M failed"
 *   win_check.exe GROUP...         only those groups: os random arenas stomp
 *   win_check.exe --child NAME     one child body (started by win_run_child)
 *
 * Built by tests/windows/windows.mk against the Windows build of
 * libarenalloc-prefixed.a and run under Wine by `make wincheck`.
 */
#include "tests/windows/win_runner.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

/* ---- the runner ------------------------------------------------------------ */

static int passed, failed;
static bool current_failed;

bool win_failed(void) { return current_failed; }

static void report_failure(const char *file, int line, const char *what)
{
    if (!current_failed) /* the first failure says most; later ones follow from it */
        printf("    %s:%d: %s\n", file, line, what);
    current_failed = true;
    fflush(stdout);
}

void win_check_failed(const char *file, int line, const char *what)
{
    report_failure(file, line, what);
}

void win_check_failed_fmt(const char *file, int line, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    report_failure(file, line, message);
}

void win_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("    ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
}

void win_run(const char *name, void (*test)(void))
{
    printf("%s ...\n", name);
    fflush(stdout);
    current_failed = false;
    DWORD start = GetTickCount();
    test();
    DWORD ms = GetTickCount() - start;
    printf("%s ... %s (%lu ms)\n", name, current_failed ? "FAIL" : "ok", (unsigned long)ms);
    fflush(stdout);
    if (current_failed)
        failed++;
    else
        passed++;
}

/* ---- children ---------------------------------------------------------------- */

long win_run_child(const char *name, const char *env)
{
    char exe[MAX_PATH];
    DWORD n = GetModuleFileNameA(NULL, exe, sizeof exe);
    if (n == 0 || n >= sizeof exe)
        return -1;
    char command[MAX_PATH + 128];
    snprintf(command, sizeof command, "\"%s\" --child %s", exe, name);

    /* The child inherits our environment: add the variable for it, then put
       ours back as it was. */
    char variable[128] = "", old_value[256];
    bool had_old = false;
    if (env != NULL) {
        const char *eq = strchr(env, '=');
        if (eq == NULL || (size_t)(eq - env) >= sizeof variable)
            return -1;
        memcpy(variable, env, (size_t)(eq - env));
        variable[eq - env] = '\0';
        DWORD len = GetEnvironmentVariableA(variable, old_value, sizeof old_value);
        had_old = len > 0 && len < sizeof old_value;
        SetEnvironmentVariableA(variable, eq + 1);
    }

    STARTUPINFOA startup = {.cb = sizeof startup};
    PROCESS_INFORMATION child;
    fflush(stdout);
    fflush(stderr);
    BOOL started = CreateProcessA(exe, command, NULL, NULL, TRUE, 0, NULL, NULL, &startup, &child);
    if (env != NULL)
        SetEnvironmentVariableA(variable, had_old ? old_value : NULL);
    if (!started)
        return -1;
    WaitForSingleObject(child.hProcess, INFINITE);
    DWORD code = 0;
    GetExitCodeProcess(child.hProcess, &code);
    CloseHandle(child.hProcess);
    CloseHandle(child.hThread);
    return (long)code;
}

/* In a child, an access violation is the expected end: report it and exit with
   its code at once, before Windows (or Wine) would start a debugger. */
static LONG CALLBACK exit_on_access_violation(EXCEPTION_POINTERS *info)
{
    EXCEPTION_RECORD *record = info->ExceptionRecord;
    if (record->ExceptionCode != EXCEPTION_ACCESS_VIOLATION)
        return EXCEPTION_CONTINUE_SEARCH;
    char line[128];
    snprintf(line, sizeof line, "    child: access violation (%s) at %p\n",
             record->ExceptionInformation[0] == 1 ? "write" : "read", (void *)record->ExceptionInformation[1]);
    DWORD written;
    WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), line, (DWORD)strlen(line), &written, NULL);
    TerminateProcess(GetCurrentProcess(), EXCEPTION_ACCESS_VIOLATION);
    return EXCEPTION_CONTINUE_SEARCH;
}

static int run_child(const char *name)
{
    SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
    AddVectoredExceptionHandler(1, exit_on_access_violation);
    const struct win_child *lists[] = {os_windows_children, stomp_windows_children};
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++)
        for (const struct win_child *c = lists[l]; c->name != NULL; c++)
            if (strcmp(c->name, name) == 0)
                return c->body();
    fprintf(stderr, "win_check: no child named %s\n", name);
    return 125;
}

/* ---- main ------------------------------------------------------------------- */

static const struct {
    const char *name;
    void (*run)(void);
} groups[] = {
    {"os", os_windows_tests},
    {"random", random_windows_tests},
    {"arenas", arenas_windows_tests},
    {"stomp", stomp_windows_tests},
};

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--child") == 0)
        return run_child(argv[2]);

    DWORD start = GetTickCount();
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        bool wanted = argc == 1;
        for (int i = 1; i < argc; i++)
            wanted |= strcmp(argv[i], groups[g].name) == 0;
        if (wanted)
            groups[g].run();
    }
    printf("win_check: %d passed, %d failed (%.1f s)\n", passed, failed, (GetTickCount() - start) / 1000.0);
    return failed == 0 ? 0 : 1;
}

# ---- Windows: the prefixed library cross-built with mingw-w64, tested under Wine ----
# Included by the Makefile.  `make wincheck` installs the cross compiler and Wine
# when they are missing (Debian packages, as root: tests/install-deps.sh windows),
# builds $(BUILD)/win/libarenalloc-prefixed.a - the library's core with
# syscall/os_windows.c in place of os_posix.c, and the emulated brk, the only one
# Windows has - and the test program tests/windows/*.c, and runs it under Wine
# (tests/windows/wine-run.sh).  Everything goes under $(BUILD)/win/.

WIN_CC          ?= x86_64-w64-mingw32-gcc
WIN_AR          ?= x86_64-w64-mingw32-ar
WIN_BUILD       := $(BUILD)/win
# The Linux flags without what PE targets do not have (-fPIC, visibility,
# -fno-plt, the initial-exec TLS model) and without _GNU_SOURCE.
WIN_CFLAGS      := -std=c11 $(WARN) -fno-builtin-malloc $(OPT) -I. $(EXTRA_CFLAGS)
WIN_SRC         := $(filter-out syscall/os_posix.c,$(CORE_SRC)) syscall/os_windows.c syscall/brk_emulated.c
WIN_OBJ         := $(WIN_SRC:%.c=$(WIN_BUILD)/obj/%.o)
WIN_LIB         := $(WIN_BUILD)/libarenalloc-prefixed.a
WIN_TEST_SRC    := $(wildcard tests/windows/*.c)
WIN_TESTS       := $(WIN_BUILD)/tests/win_check.exe
WIN_FLAGS_STAMP := $(WIN_BUILD)/flags.$(shell echo '$(WIN_CC) $(WIN_CFLAGS)' | cksum | cut -d' ' -f1)

.PHONY: wincheck win-deps

$(WIN_FLAGS_STAMP):
	@mkdir -p $(WIN_BUILD)
	@rm -f $(WIN_BUILD)/flags.*
	@touch $@

$(WIN_BUILD)/obj/%.o: %.c $(HEADERS) $(WIN_FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(WIN_CC) $(WIN_CFLAGS) -c $< -o $@

$(WIN_LIB): $(WIN_OBJ)
	@rm -f $@
	$(WIN_AR) rcs $@ $^

# -static: the program needs no DLL beyond Windows's own (libgcc's emulated TLS
# is linked in), so Wine runs it from any directory.
$(WIN_TESTS): $(WIN_TEST_SRC) tests/windows/win_runner.h $(HEADERS) $(WIN_LIB)
	@mkdir -p $(dir $@)
	$(WIN_CC) -std=c11 $(WARN) -O1 -g -I. -Iinclude -static -o $@ $(WIN_TEST_SRC) $(WIN_LIB)

win-deps:
	@tests/install-deps.sh windows

wincheck: win-deps
	@$(MAKE) --no-print-directory $(WIN_TESTS)
	@tests/windows/wine-run.sh $(WIN_TESTS)

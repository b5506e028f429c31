# arenalloc - build, test and demo.
#
#   make             build/libarenalloc.so (drop-in) and build/libarenalloc-prefixed.{a,so}, -O2 -g
#   make DEBUG=1     the same at -O0 -g3, with the full heap checker after every public call
#   make check       install what the tests need (Debian), build, run every test suite
#   make demo        the main job (see README.md)
#   make slides      the lecture as Marp decks, every figure measured (slides/slides.mk)
#   make bench       speed and peak RSS against glibc, jemalloc, mimalloc, tcmalloc (bench/bench.mk)
#   make stepper     the heap call by call in the browser: a page per tour lesson and demo trace,
#                    or TRACE=file [FROM=n COUNT=m] (tools/stepper/stepper.mk)
#
# BUILD=dir puts every output under another directory (make check builds the DEBUG
# variant under build/debug that way).

CC      ?= cc
DEBUG   ?= 0

# make RELEASE=2.yy: the two libraries of glibc 2.yy's profile, in build/release-2.yy/
# beside the default ones, from the same source.  Most of a release is chosen at
# run time (ARENALLOC_RELEASE); only what is a structure's layout needs its own
# build: malloc_state without have_fastchunks (before 2.27), the cache's one-byte
# counts (before 2.30).  Such a library starts as 2.yy.
ifneq ($(RELEASE),)
RELEASE_MINOR := $(patsubst 2.%,%,$(RELEASE))
ifeq ($(filter $(RELEASE_MINOR),23 24 25 26 27 28 29 30 31 32 33 34 35 36),)
$(error RELEASE=$(RELEASE): give a glibc release from 2.23 to 2.36)
endif
BUILD   ?= build/release-$(RELEASE)
RELEASE_CFLAGS := -DARENALLOC_RELEASE_BUILD=$(RELEASE_MINOR)
endif
BUILD   ?= build

# GCC's loop-invariant motion lifts, out of _int_malloc's retry loop (steps 3
# to 6, run again after malloc_consolidate), the arithmetic of steps most calls
# never reach: the binmap's first block and bit, the bins' addresses, the cache
# bin.  Each call then paid some 20 instructions up front for a loop that
# almost never runs twice.  Without it, callgrind counted 5.153G -> 5.117G
# instructions for the python3 trace's replay (glibc: 5.087G), and fewer or the
# same on every arena-bench workload.  clang has no such option.
NO_LOOP_IM := $(shell $(CC) -fno-tree-loop-im -E -x c /dev/null >/dev/null 2>&1 && echo -fno-tree-loop-im)

# Every function starts on a 64-byte line, so that where the hot ones fall, and
# how their loops and branch targets line up, no longer shifts whenever code
# before them in the library changes.  It did: a change that took instructions
# out of _int_malloc made the malloc(32)/free pair 5 to 10% slower by moving
# the code after it.  Minimum of ten runs pinned to one core, arena-bench
# pair32 with both caches off: 0.242 s with 16-byte alignment, 0.215 s with
# 64-byte (glibc 0.209 s); the library's code grows by 4.6 KB.
ifeq ($(DEBUG),1)
OPT := -O0 -g3 -DARENALLOC_DEBUG=1
else
OPT := -O2 -g -falign-functions=64 $(NO_LOOP_IM)
endif

# No -flto.  Tried on the drop-in library: on malloc(32)/free pairs it gained
# nothing measurable once a single-threaded process takes no lock (arena.h's
# single_thread_p), and it folds functions of one file into the frames of
# another, which a student stepping through malloc in gdb would have to see
# through.  The few helpers the fast path needs from other files are static
# inline in their headers instead (os_single_threaded in syscall/os.h,
# arena_get in arena/arena.h, chunk helpers in bins/chunk.h, unsorted_push in
# bins/bins.h, stomp_free's test in stomp/stomp.h), and the variables they
# read are declared hidden (OS_HIDDEN), so that no read goes through the GOT.
# -O3 was measured too (callgrind): about what those gave, with far more
# inlining; not taken.
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  := -std=c11 -D_GNU_SOURCE $(WARN) -fPIC -fvisibility=hidden -fno-builtin-malloc \
           -fno-plt -ftls-model=initial-exec $(OPT) -I. $(RELEASE_CFLAGS) $(EXTRA_CFLAGS)
LDLIBS  := -pthread
# The shared libraries bind their own functions to themselves: a call from
# the library to one of its exported arenalloc_* functions is then a direct
# jump instead of one through the GOT, which made every malloc and free an
# indirect branch more than glibc's.
# glibc binds its internal calls the same way, with hidden aliases.
SO_LDFLAGS := -Wl,-Bsymbolic-functions

# The library: syscall/ (OS layer), bins/ (one arena's free chunks), arena/ (arenas and the API),
# inspect/ (reading the heap: checker, dump) and stomp/ (the guard-page allocator).
CORE_SRC     := syscall/os_posix.c syscall/reserve_aligned.c $(wildcard bins/*.c) $(wildcard arena/*.c) \
                $(wildcard inspect/*.c stomp/*.c)
DROPIN_SRC   := $(CORE_SRC) syscall/brk_posix.c
PREFIXED_SRC := $(CORE_SRC) syscall/brk_emulated.c

DROPIN_OBJ   := $(DROPIN_SRC:%.c=$(BUILD)/obj/dropin/%.o)
PREFIXED_OBJ := $(PREFIXED_SRC:%.c=$(BUILD)/obj/prefixed/%.o)
HEADERS      := $(wildcard include/*.h syscall/*.h bins/*.h arena/*.h inspect/*.h stomp/*.h)

# Objects are rebuilt when the flags change (make, then make DEBUG=1).
FLAGS_STAMP  := $(BUILD)/flags.$(shell echo '$(CC) $(CFLAGS) $(SO_LDFLAGS)' | cksum | cut -d' ' -f1)

LIBS := $(BUILD)/libarenalloc.so $(BUILD)/libarenalloc-prefixed.a $(BUILD)/libarenalloc-prefixed.so

.PHONY: all check demo demo-check record compare clean deps test-programs
all: $(LIBS)

$(FLAGS_STAMP):
	@mkdir -p $(BUILD)
	@rm -f $(BUILD)/flags.*
	@touch $@

$(BUILD)/obj/dropin/%.o: %.c $(HEADERS) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DARENALLOC_DROPIN=1 -c $< -o $@

$(BUILD)/obj/prefixed/%.o: %.c $(HEADERS) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# arena/dropin.ld gives the drop-in library the standard names (malloc, free, ...)
# and glibc's distance between mp_ and main_arena; -T adds it to the default script.
$(BUILD)/libarenalloc.so: $(DROPIN_OBJ) arena/dropin.ld
	$(CC) -shared $(SO_LDFLAGS) -Wl,-T,arena/dropin.ld -o $@ $(DROPIN_OBJ) $(LDLIBS)

$(BUILD)/libarenalloc-prefixed.so: $(PREFIXED_OBJ)
	$(CC) -shared $(SO_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libarenalloc-prefixed.a: $(PREFIXED_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The one rule for a program linked against the prefixed library (tests, tools,
# the replayer): its .c prerequisites and the library, with the target's own
# PROGRAM_CFLAGS and PROGRAM_LDLIBS.  List the library among the prerequisites.
PROGRAM_CFLAGS ?= -std=c11 -D_GNU_SOURCE $(WARN) -O1 -g -I. -Iinclude $(EXTRA_CFLAGS)
define LINK_PREFIXED
@mkdir -p $(dir $@)
$(CC) $(PROGRAM_CFLAGS) -o $@ $(filter %.c,$^) $(BUILD)/libarenalloc-prefixed.a $(PROGRAM_LDLIBS) -pthread
endef

# ---- tests -----------------------------------------------------------------
# Every tests/test_*.c defines one Check suite; tests/check_main.c runs them all
# in one runner so the run ends with one Check summary line.

TEST_SRC      := $(wildcard tests/test_*.c)
TEST_CFLAGS   := -std=c11 -D_GNU_SOURCE -Wall -Wextra -O1 -g -I. -Iinclude \
                 $(shell pkg-config --cflags check 2>/dev/null) $(shell pkg-config --cflags libcjson 2>/dev/null) \
                 $(EXTRA_CFLAGS)
TEST_LDLIBS   := $(shell pkg-config --libs check 2>/dev/null) $(shell pkg-config --libs libcjson 2>/dev/null) -pthread
TEST_PROGRAMS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/fidelity/*.c tests/programs/*.c))

$(BUILD)/tests/check_main: PROGRAM_CFLAGS = $(TEST_CFLAGS)
$(BUILD)/tests/check_main: PROGRAM_LDLIBS = $(TEST_LDLIBS)
$(BUILD)/tests/check_main: tests/check_main.c $(TEST_SRC) tests/*.h $(BUILD)/libarenalloc-prefixed.a
	$(LINK_PREFIXED)

$(BUILD)/tests/%: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -O1 -g -I. -Iinclude $(EXTRA_CFLAGS) -o $@ $< -pthread

test-programs: $(TEST_PROGRAMS)

deps:
	@tests/install-deps.sh

# Real programs under LD_PRELOAD, address fidelity against glibc, glibc's own
# malloc tests under LD_PRELOAD, then the random and threaded stress tests in the
# DEBUG build (heap checker after every call), every Check suite in the default
# build, the trace tools, the demo's driver, make bench's programs in their smoke
# mode, the diagrams, the tour, the heap stepper's pages (against the dump, and in
# Chromium), the gdb
# commands, the decks (short mode, every slide rendered), the fuzzers briefly,
# install into a scratch prefix, the
# Windows build under Wine, and last the labs (each cut, built and graded on
# its stubs and on the reference: labs/labcheck.sh).
#
# Every stage runs, whichever failed before it (tests/stage.sh): each line below
# is one stage, "$(STAGE) NAME -- COMMAND".  The compiler's command lines are kept
# out of the terminal (V=1 shows them; every stage's whole output is in
# $(BUILD)/check/NAME.log), and the run ends with one table of every stage's counts
# and the line "check: N passed, M failed"; the exit status is non-zero when any
# stage failed.
STAGE := V=$(V) CC="$(CC)" tests/stage.sh run $(BUILD)/check

check: deps
	@rm -rf $(BUILD)/check
	@$(STAGE) build -- $(MAKE) --no-print-directory all test-programs
	@$(STAGE) real-programs -- tests/real_programs.sh $(BUILD)/libarenalloc.so
	@$(STAGE) fidelity -- tests/fidelity/fidelity.sh $(BUILD)
	@$(STAGE) glibc -- tests/glibc/glibc-check.sh $(BUILD)
	@$(STAGE) build-debug -- $(MAKE) --no-print-directory DEBUG=1 BUILD=$(BUILD)/debug $(BUILD)/debug/tests/check_main
	@$(STAGE) random-debug -- env CK_RUN_SUITE=random $(BUILD)/debug/tests/check_main
	@$(STAGE) stress-debug -- env ARENALLOC_STRESS_OPS=10000 CK_RUN_SUITE=stress $(BUILD)/debug/tests/check_main
	@$(STAGE) build-suites -- $(MAKE) --no-print-directory $(BUILD)/tests/check_main techniques-layouts
	@$(STAGE) suites -- $(BUILD)/tests/check_main
	@$(STAGE) trace -- $(MAKE) --no-print-directory trace-check
	@$(STAGE) demo -- $(MAKE) --no-print-directory demo-check
	@$(STAGE) bench -- $(MAKE) --no-print-directory bench-check
	@$(STAGE) heapviz -- $(MAKE) --no-print-directory heapviz-check
	@$(STAGE) tour -- $(MAKE) --no-print-directory tour-check
	@$(STAGE) stepper -- $(MAKE) --no-print-directory stepper-check
	@$(STAGE) gdb -- $(MAKE) --no-print-directory gdb-check
	@$(STAGE) slides -- $(MAKE) --no-print-directory slides-check
	@$(STAGE) fuzz -- $(MAKE) --no-print-directory fuzz FUZZ_SECONDS=20
	@$(STAGE) install -- $(MAKE) --no-print-directory install-check
	@$(STAGE) windows -- $(MAKE) --no-print-directory wincheck
	@$(STAGE) labs -- $(MAKE) --no-print-directory labcheck
	@tests/stage.sh summary $(BUILD)/check

# ---- the demo: memory use of the same programs under each allocator -----------
# Bundled traces of real programs (bench/workloads, recorded by its record.sh) and the
# synthetic patterns of the fragmentation literature, replayed against arenalloc,
# glibc, jemalloc, mimalloc and tcmalloc: a table on the terminal, plots in
# build/demo/.  `make record CMD="..."` traces a program of your own and
# `make compare TRACE=...` runs the same comparison on it.
WORKLOADS := $(wildcard bench/workloads/*.trace.xz)
PATTERNS  := ramp peak plateau sawtooth
DEMO      := $(BUILD)/demo

demo:
	@tests/install-deps.sh demo
	@$(MAKE) --no-print-directory all tools
	@mkdir -p $(DEMO)/traces
	@for p in $(PATTERNS); do $(BUILD)/tools/arena-synth $$p -o $(DEMO)/traces/$$p.trace || exit 1; done
	@bench/demo/compare.sh -b $(BUILD) -o $(DEMO) $(WORKLOADS) $(PATTERNS:%=$(DEMO)/traces/%.trace)

# The driver on a small synthetic trace: table rows, ratios, one plotted line each.
demo-check: all tools
	@tests/demo/demo-check.sh $(BUILD)

record:
	@test -n "$(CMD)" || { echo 'usage: make record CMD="program args" [TRACE=out.trace]' >&2; exit 2; }
	@$(MAKE) --no-print-directory tools
	@mkdir -p $(BUILD)/traces
	bench/trace/arena-record -o $(or $(TRACE),$(BUILD)/traces/recorded.trace) -- $(CMD)
	@echo "now compare: make compare TRACE=$(or $(TRACE),$(BUILD)/traces/recorded.trace)"

compare:
	@test -n "$(TRACE)" || { echo 'usage: make compare TRACE=file.trace[.xz] [ALLOCATORS=glibc,arenalloc,...]' >&2; exit 2; }
	@tests/install-deps.sh demo
	@$(MAKE) --no-print-directory all tools
	@bench/demo/compare.sh -b $(BUILD) -o $(BUILD)/compare $(if $(ALLOCATORS),-a $(ALLOCATORS)) $(TRACE)

include bench/trace/trace.mk
include bench/bench.mk
include tests/heapviz/heapviz.mk
include tests/fuzz/fuzz.mk
include tests/techniques/techniques.mk

include tools/tour/tour.mk
include tools/stepper/stepper.mk

# ---- install: a course machine's copy ------------------------------------------------
#   make install [PREFIX=/usr/local] [DESTDIR=]   libraries, header, tools, gdb script, arenalloc.pc
#   make uninstall                                removes exactly what install put there
# A program then builds with `cc prog.c $$(pkg-config --cflags --libs arenalloc)` against
# the prefixed build (arenalloc_malloc ...); libarenalloc.so is the LD_PRELOAD drop-in.
# The .pc file sets an rpath, so a PREFIX outside the loader's path works without
# LD_LIBRARY_PATH.  Installed files that name other installed files (arena-record, the
# gdbinit) are rewritten to name them where they now are.
PREFIX  ?= /usr/local
BINDIR  := $(PREFIX)/bin
LIBDIR  := $(PREFIX)/lib
INCDIR  := $(PREFIX)/include
DATADIR := $(PREFIX)/share/arenalloc
PCDIR   := $(LIBDIR)/pkgconfig
INSTALLED := $(BINDIR)/arena-trace $(BINDIR)/arena-replay $(BINDIR)/arena-synth $(BINDIR)/arena-record \
             $(BINDIR)/heapviz $(LIBDIR)/libarenalloc.so $(LIBDIR)/libarenalloc-prefixed.a \
             $(LIBDIR)/libarenalloc-prefixed.so $(LIBDIR)/arenalloc/libarenalloc-record.so \
             $(INCDIR)/arenalloc.h $(DATADIR)/gdb/arenalloc.py $(DATADIR)/gdb/stepping.gdb $(DATADIR)/gdb/gdbinit \
             $(DATADIR)/dump.schema.json $(PCDIR)/arenalloc.pc

.PHONY: install uninstall install-check
install: all tools
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/arenalloc $(DESTDIR)$(INCDIR) $(DESTDIR)$(DATADIR)/gdb \
	    $(DESTDIR)$(PCDIR)
	install -m 755 $(BUILD)/tools/arena-trace $(BUILD)/tools/arena-replay $(BUILD)/tools/arena-synth \
	    tools/heapviz $(DESTDIR)$(BINDIR)/
	sed -e 's|^lib=.*|lib=$${ARENALLOC_RECORD_LIB:-$(LIBDIR)/arenalloc/libarenalloc-record.so}|' \
	    -e 's|^trace_tool=.*|trace_tool=$${ARENALLOC_TRACE_TOOL:-$(BINDIR)/arena-trace}|' \
	    bench/trace/arena-record >$(DESTDIR)$(BINDIR)/arena-record
	chmod 755 $(DESTDIR)$(BINDIR)/arena-record
	install -m 755 $(BUILD)/libarenalloc.so $(BUILD)/libarenalloc-prefixed.so $(DESTDIR)$(LIBDIR)/
	install -m 644 $(BUILD)/libarenalloc-prefixed.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(BUILD)/tools/libarenalloc-record.so $(DESTDIR)$(LIBDIR)/arenalloc/
	install -m 644 include/arenalloc.h $(DESTDIR)$(INCDIR)/
	install -m 644 tools/gdb/arenalloc.py tools/gdb/stepping.gdb tools/dump.schema.json $(DESTDIR)$(DATADIR)/gdb/
	mv $(DESTDIR)$(DATADIR)/gdb/dump.schema.json $(DESTDIR)$(DATADIR)/
	sed 's|^source tools/gdb/arenalloc.py|source $(DATADIR)/gdb/arenalloc.py|' tools/gdb/gdbinit \
	    >$(DESTDIR)$(DATADIR)/gdb/gdbinit
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCDIR)' '' \
	    'Name: arenalloc' 'Description: glibc 2.36 malloc (ptmalloc2) reimplemented: arenalloc_malloc and friends' \
	    'Version: 1' 'Cflags: -I$${includedir}' \
	    'Libs: -L$${libdir} -Wl,-rpath,$${libdir} -larenalloc-prefixed -pthread' >$(DESTDIR)$(PCDIR)/arenalloc.pc
	@echo "installed under $(DESTDIR)$(PREFIX): cc prog.c \$$(pkg-config --cflags --libs arenalloc)"

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(LIBDIR)/arenalloc $(DESTDIR)$(DATADIR)/gdb $(DESTDIR)$(DATADIR) 2>/dev/null

# Installs into a scratch PREFIX (and a DESTDIR), builds and runs a program with
# pkg-config, uninstalls, and checks that nothing is left (tests/install/install-check.sh).
install-check: all tools
	@tests/install/install-check.sh $(BUILD)

include tests/gdb/gdb.mk
include slides/slides.mk
include tests/windows/windows.mk
include labs/labs.mk

clean:
	rm -rf $(BUILD)

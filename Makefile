# arenalloc - build, test and demo.
#
#   make             build/libarenalloc.so (drop-in) and build/libarenalloc-prefixed.{a,so}, -O2 -g
#   make DEBUG=1     the same at -O0 -g3, with the full heap checker after every public call
#   make check       install what the tests need (Debian), build, run every test suite
#   make demo        the main job (see README.md)
#   make bench       speed and peak RSS against glibc, jemalloc, mimalloc, tcmalloc (bench/bench.mk)
#
# BUILD=dir puts every output under another directory (make check builds the DEBUG
# variant under build/debug that way).

CC      ?= cc
BUILD   ?= build
DEBUG   ?= 0

ifeq ($(DEBUG),1)
OPT := -O0 -g3 -DARENALLOC_DEBUG=1
else
OPT := -O2 -g
endif

# No -flto.  Tried on the drop-in library: on malloc(32)/free pairs it gained
# nothing measurable once a single-threaded process takes no lock (arena.h's
# single_thread_p), and it folds functions of one file into the frames of
# another, which a student stepping through malloc in gdb would have to see
# through.  The few helpers the fast path needs from other files are static
# inline in their headers instead (os_single_threaded in syscall/os.h,
# arena_get in arena/arena.h, chunk helpers in bins/chunk.h).
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  := -std=c11 -D_GNU_SOURCE $(WARN) -fPIC -fvisibility=hidden -fno-builtin-malloc \
           -fno-plt -ftls-model=initial-exec $(OPT) -I. $(EXTRA_CFLAGS)
LDLIBS  := -pthread

# The library: syscall/ (OS layer), bins/ (one arena's free chunks), arena/ (arenas and the API),
# inspect/ (reading the heap: checker, dump) and stomp/ (the guard-page allocator).
CORE_SRC     := syscall/os_posix.c $(wildcard bins/*.c) $(filter-out arena/dropin.c,$(wildcard arena/*.c)) \
                $(wildcard inspect/*.c stomp/*.c)
DROPIN_SRC   := $(CORE_SRC) syscall/brk_posix.c arena/dropin.c
PREFIXED_SRC := $(CORE_SRC) syscall/brk_emulated.c

DROPIN_OBJ   := $(DROPIN_SRC:%.c=$(BUILD)/obj/dropin/%.o)
PREFIXED_OBJ := $(PREFIXED_SRC:%.c=$(BUILD)/obj/prefixed/%.o)
HEADERS      := $(wildcard include/*.h syscall/*.h bins/*.h arena/*.h inspect/*.h stomp/*.h)

# Objects are rebuilt when the flags change (make, then make DEBUG=1).
FLAGS_STAMP  := $(BUILD)/flags.$(shell echo '$(CC) $(CFLAGS)' | cksum | cut -d' ' -f1)

LIBS := $(BUILD)/libarenalloc.so $(BUILD)/libarenalloc-prefixed.a $(BUILD)/libarenalloc-prefixed.so

.PHONY: all check demo demo-check record compare tour tour-check clean deps test-programs
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

$(BUILD)/libarenalloc.so: $(DROPIN_OBJ)
	$(CC) -shared -o $@ $^ $(LDLIBS)

$(BUILD)/libarenalloc-prefixed.so: $(PREFIXED_OBJ)
	$(CC) -shared -o $@ $^ $(LDLIBS)

$(BUILD)/libarenalloc-prefixed.a: $(PREFIXED_OBJ)
	@rm -f $@
	ar rcs $@ $^

# ---- tests -----------------------------------------------------------------
# Every tests/test_*.c defines one Check suite; tests/check_main.c runs them all
# in one runner so the run ends with one Check summary line.

TEST_SRC      := $(wildcard tests/test_*.c)
TEST_CFLAGS   := -std=c11 -D_GNU_SOURCE -Wall -Wextra -O1 -g -I. -Iinclude \
                 $(shell pkg-config --cflags check 2>/dev/null) $(shell pkg-config --cflags libcjson 2>/dev/null)
TEST_LDLIBS   := $(shell pkg-config --libs check 2>/dev/null) $(shell pkg-config --libs libcjson 2>/dev/null) -pthread
TEST_PROGRAMS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/fidelity/*.c tests/programs/*.c))

$(BUILD)/tests/check_main: tests/check_main.c $(TEST_SRC) tests/*.h $(BUILD)/libarenalloc-prefixed.a
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ tests/check_main.c $(TEST_SRC) $(BUILD)/libarenalloc-prefixed.a $(TEST_LDLIBS)

$(BUILD)/tests/%: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -O1 -g -I. -Iinclude -o $@ $< -pthread

test-programs: $(TEST_PROGRAMS)

deps:
	@tests/install-deps.sh

# Real programs under LD_PRELOAD, address fidelity against glibc, glibc's own
# malloc tests under LD_PRELOAD, then the random and threaded stress tests in the
# DEBUG build (heap checker after every call), every Check suite in the default
# build, the trace tools, the demo's driver, make bench's programs in their smoke
# mode, the diagrams, the tour, the gdb commands, and last the Windows build under
# Wine.
check: deps
	@$(MAKE) --no-print-directory all test-programs
	@tests/real_programs.sh $(BUILD)/libarenalloc.so
	@tests/fidelity/fidelity.sh $(BUILD)
	@tests/glibc/run.sh $(BUILD)
	@$(MAKE) --no-print-directory DEBUG=1 BUILD=$(BUILD)/debug $(BUILD)/debug/tests/check_main
	CK_RUN_SUITE=random $(BUILD)/debug/tests/check_main
	ARENALLOC_STRESS_OPS=10000 CK_RUN_SUITE=stress $(BUILD)/debug/tests/check_main
	@$(MAKE) --no-print-directory $(BUILD)/tests/check_main
	$(BUILD)/tests/check_main
	@$(MAKE) --no-print-directory trace-check demo-check bench-check heapviz-check tour-check gdb-check
	@$(MAKE) --no-print-directory wincheck

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
	@tests/demo/run.sh $(BUILD)

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

# ---- the tour: the classic lessons of glibc's malloc, step by step ----------------
# Each step's heap is printed and written as JSON; tools/heapviz draws them.
$(BUILD)/tools/arena-tour: tools/tour/tour.c $(BUILD)/libarenalloc-prefixed.a
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O1 -g -I. -Iinclude -o $@ $< $(BUILD)/libarenalloc-prefixed.a -pthread

tour: deps
	@$(MAKE) --no-print-directory $(BUILD)/tools/arena-tour
	@rm -rf $(BUILD)/tour && mkdir -p $(BUILD)/tour
	$(BUILD)/tools/arena-tour $(BUILD)/tour
	@tools/heapviz -d $(BUILD)/tour $(BUILD)/tour/step-*.json
	@for f in $(BUILD)/tour/step-*.json; do \
	    if grep -q '"kind": "thread"' $$f; then tools/heapviz --arena 1 -o $${f%.json}-arena1.svg $$f || exit 1; fi; \
	done
	@echo "pictures of every step: $(BUILD)/tour/step-NNN.svg (main_arena), step-NNN-arena1.svg (the thread arena)"

tour-check: $(BUILD)/tools/arena-tour
	@tests/tour/run.sh $(BUILD)

include tests/gdb/gdb.mk
include tests/windows/windows.mk

clean:
	rm -rf $(BUILD)

# bench/trace/trace.mk - the trace tools, included by the Makefile.
#
#   make tools         build/tools/libarenalloc-record.so   the recorder (LD_PRELOAD shim)
#                      build/tools/arena-trace              dump / info
#                      build/tools/arena-replay             replay against an allocator
#                      build/tools/arena-synth              synthetic workloads
#                      build/tools/arena-step               a trace's heap call by call, for the
#                                                           browser stepper (tools/stepper)
#   make trace-check   build them and tests/trace/*.c, run tests/trace/trace-check.sh
#
# Uses the Makefile's CC, BUILD and WARN.  The tools are never linked into the
# library; arena-replay links the prefixed build (arenalloc_* names) statically.
# They are always built -O2 -g: their timings are part of what they report.

TRACE_DIR     := bench/trace
TRACE_OUT     := $(BUILD)/tools
TRACE_CFLAGS  := -std=c11 -D_GNU_SOURCE $(WARN) -O2 -g -fno-builtin -I$(TRACE_DIR) -Iinclude $(EXTRA_CFLAGS)
TRACE_COMMON  := $(TRACE_DIR)/trace_io.c $(TRACE_DIR)/trace_io.h $(TRACE_DIR)/trace_format.h
TRACE_TOOLS   := $(TRACE_OUT)/libarenalloc-record.so $(TRACE_OUT)/arena-trace \
                 $(TRACE_OUT)/arena-replay $(TRACE_OUT)/arena-synth $(TRACE_OUT)/arena-step
TRACE_TESTS   := $(patsubst tests/trace/%.c,$(BUILD)/tests/trace/%,$(wildcard tests/trace/*.c))

.PHONY: tools trace-check

tools: $(TRACE_TOOLS)

# The recorder exports only the malloc family; initial-exec TLS so that finding
# a thread's index never allocates.
$(TRACE_OUT)/libarenalloc-record.so: $(TRACE_DIR)/recorder.c $(TRACE_COMMON)
	@mkdir -p $(dir $@)
	$(CC) $(TRACE_CFLAGS) -fPIC -shared -fvisibility=hidden -ftls-model=initial-exec \
	    -o $@ $(TRACE_DIR)/recorder.c $(TRACE_DIR)/trace_io.c -ldl -pthread

$(TRACE_OUT)/arena-trace: $(TRACE_DIR)/trace_tool.c $(TRACE_COMMON)
	@mkdir -p $(dir $@)
	$(CC) $(TRACE_CFLAGS) -o $@ $(TRACE_DIR)/trace_tool.c $(TRACE_DIR)/trace_io.c

$(TRACE_OUT)/arena-synth: $(TRACE_DIR)/synth.c $(TRACE_COMMON)
	@mkdir -p $(dir $@)
	$(CC) $(TRACE_CFLAGS) -o $@ $(TRACE_DIR)/synth.c $(TRACE_DIR)/trace_io.c

$(TRACE_OUT)/arena-replay: PROGRAM_CFLAGS = $(TRACE_CFLAGS)
$(TRACE_OUT)/arena-replay: PROGRAM_LDLIBS = -ldl
$(TRACE_OUT)/arena-replay: $(TRACE_DIR)/replay.c $(TRACE_COMMON) include/arenalloc.h \
                           $(BUILD)/libarenalloc-prefixed.a
	$(LINK_PREFIXED)

# arena-step reads the heap as arenalloc_dump does (inspect/dump.h), hence -I.
$(TRACE_OUT)/arena-step: PROGRAM_CFLAGS = $(TRACE_CFLAGS) -I.
$(TRACE_OUT)/arena-step: $(TRACE_DIR)/stepper.c $(TRACE_COMMON) include/arenalloc.h $(BUILD)/libarenalloc-prefixed.a
	$(LINK_PREFIXED)

# The test programs: -fno-builtin so that the compiler keeps every call the
# tests expect to see in a trace (it may drop a malloc whose block is unused).
$(TRACE_TESTS): $(BUILD)/tests/trace/%: tests/trace/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O1 -g -fno-builtin $(EXTRA_CFLAGS) -o $@ $< -pthread

trace-check: $(TRACE_TOOLS) $(TRACE_TESTS)
	@tests/trace/trace-check.sh $(BUILD)

# tests/fuzz/fuzz.mk - `make fuzz`: the trace reader under libFuzzer, heapviz's
# loader under a mutation loop (tests/fuzz/fuzz-check.sh), FUZZ_SECONDS each (default
# 300; `make check` gives them 20).  Needs clang and libclang-rt-14-dev
# (tests/install-deps.sh installs them).  The seed inputs are in
# tests/fuzz/*-corpus; what the fuzzers find goes to $(BUILD)/fuzz.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 300
FUZZ_OUT     := $(BUILD)/fuzz

.PHONY: fuzz

$(FUZZ_OUT)/trace_fuzz: tests/fuzz/trace_fuzz.c $(TRACE_COMMON)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -I$(TRACE_DIR) $(EXTRA_CFLAGS) \
	    -o $@ tests/fuzz/trace_fuzz.c $(TRACE_DIR)/trace_io.c

fuzz: deps
	@$(MAKE) --no-print-directory $(FUZZ_OUT)/trace_fuzz
	@tests/fuzz/fuzz-check.sh $(BUILD) $(FUZZ_SECONDS)

# ---- heap-technique programs (tests/techniques/) ------------------------------
#   make techniques    builds every program into $(BUILD)/techniques/, with the
#                      table the test suite reads beside them
#   ARENALLOC_RELEASE=2.23 $(BUILD)/techniques/house_of_force   runs one at a release
# At -O0: they are read and stepped through in gdb, and they read freed memory,
# which an optimiser is free to assume they never do.
TECHNIQUE_SRC := $(filter-out tests/techniques/on_glibc.c,$(wildcard tests/techniques/*.c))
TECHNIQUES    := $(patsubst tests/techniques/%.c,$(BUILD)/techniques/%,$(TECHNIQUE_SRC))
# The same programs on the system's glibc malloc (on_glibc.c), aimed at glibc's
# 64-bit HEAP_MAX_SIZE: the suite holds them to the table's column for the
# system's release.
TECHNIQUES_ON_GLIBC := $(patsubst tests/techniques/%.c,$(BUILD)/techniques/glibc/%,$(TECHNIQUE_SRC))

.PHONY: techniques
techniques: $(TECHNIQUES) $(TECHNIQUES_ON_GLIBC) $(BUILD)/techniques/techniques.tsv

$(TECHNIQUES): PROGRAM_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) -O0 -g -I. -Iinclude $(EXTRA_CFLAGS)
$(TECHNIQUES): $(BUILD)/techniques/%: tests/techniques/%.c tests/techniques/technique.h $(BUILD)/libarenalloc-prefixed.a
	$(LINK_PREFIXED)

$(TECHNIQUES_ON_GLIBC): $(BUILD)/techniques/glibc/%: tests/techniques/%.c tests/techniques/on_glibc.c \
                                                   tests/techniques/technique.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O0 -g -I. -Iinclude -DHEAP_MAX_SIZE=0x4000000 $(EXTRA_CFLAGS) \
	    -o $@ $(filter %.c,$^)

$(BUILD)/techniques/techniques.tsv: tests/techniques/techniques.tsv
	@mkdir -p $(dir $@)
	cp $< $@

# The techniques suite (tests/test_techniques.c) runs these programs: the
# runner is built after them.
$(BUILD)/tests/check_main: | techniques

# The same programs against the libraries of a layout fixed at build time
# (make RELEASE=2.yy): the suite runs the releases before 2.27 with
# malloc_state as it was then, without have_fastchunks (house_of_mind_fastbin
# writes into a fake one).  make check builds it in its build-suites stage.
.PHONY: techniques-layouts
techniques-layouts:
	@$(MAKE) --no-print-directory RELEASE=2.26 BUILD=$(BUILD)/release-2.26 techniques

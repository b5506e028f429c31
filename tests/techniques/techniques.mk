# ---- heap-technique programs (tests/techniques/) ------------------------------
#   make techniques    builds every program into $(BUILD)/techniques/, with the
#                      table the test suite reads beside them
#   ARENALLOC_RELEASE=2.23 $(BUILD)/techniques/house_of_force   runs one at a release
# At -O0: they are read and stepped through in gdb, and they read freed memory,
# which an optimiser is free to assume they never do.
TECHNIQUE_SRC := $(wildcard tests/techniques/*.c)
TECHNIQUES    := $(patsubst tests/techniques/%.c,$(BUILD)/techniques/%,$(TECHNIQUE_SRC))

.PHONY: techniques
techniques: $(TECHNIQUES) $(BUILD)/techniques/techniques.tsv

$(TECHNIQUES): PROGRAM_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) -O0 -g -I. -Iinclude $(EXTRA_CFLAGS)
$(TECHNIQUES): $(BUILD)/techniques/%: tests/techniques/%.c tests/techniques/technique.h $(BUILD)/libarenalloc-prefixed.a
	$(LINK_PREFIXED)

$(BUILD)/techniques/techniques.tsv: tests/techniques/techniques.tsv
	@mkdir -p $(dir $@)
	cp $< $@

# The techniques suite (tests/test_techniques.c) runs these programs: the
# runner is built after them.
$(BUILD)/tests/check_main: | techniques

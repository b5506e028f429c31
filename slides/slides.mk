# slides/slides.mk - `make slides` and `make slides-check`, included by the Makefile.
#
#   make slides        build/slides/<deck>.html and .pdf (slides/build.py says how)
#   make slides-check  the same in short mode under build/slides-check, then every
#                      slide rendered by Chromium and checked (tests/slides/slides-check.sh)
#
# The programs of slides/programs/ link the prefixed build (LINK_PREFIXED), as the tour does.
# Marp CLI is installed from slides/package-lock.json on first use.

SLIDES_PROGRAMS := $(patsubst slides/programs/%.c,$(BUILD)/slides/bin/%,$(wildcard slides/programs/*.c))
SLIDES_MARP     := slides/node_modules/.package-lock.json

.PHONY: slides slides-check slides-deps

$(BUILD)/slides/bin/%: slides/programs/%.c slides/programs/experiment.h $(BUILD)/libarenalloc-prefixed.a
	$(LINK_PREFIXED)

# The large-bin question replays traces: it reads them with bench/trace's reader.
$(BUILD)/slides/bin/q_largebin: PROGRAM_LDLIBS = -lm
$(BUILD)/slides/bin/q_largebin: slides/programs/q_largebin.c bench/trace/trace_io.c slides/programs/experiment.h \
                                bench/trace/trace_io.h bench/trace/trace_format.h $(BUILD)/libarenalloc-prefixed.a
	$(LINK_PREFIXED)

$(SLIDES_MARP): slides/package.json slides/package-lock.json
	cd slides && npm ci --no-audit --no-fund --loglevel=error

slides-deps:
	@tests/install-deps.sh slides
	@$(MAKE) --no-print-directory all tools $(SLIDES_PROGRAMS) $(SLIDES_MARP)

slides: slides-deps
	slides/build.py $(BUILD) $(BUILD)/slides

slides-check: slides-deps
	@tests/slides/slides-check.sh $(BUILD)

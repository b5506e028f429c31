# tools/tour/tour.mk - the tour: the classic lessons of glibc's malloc, step by
# step, included by the Makefile.
#
#   make tour         run build/tools/arena-tour: each step's heap is printed and
#                     written as JSON, and tools/heapviz draws it (build/tour/)
#   make tour-check   tests/tour/tour-check.sh
#
# Uses the Makefile's BUILD and LINK_PREFIXED.

.PHONY: tour tour-check

# It records its calls with the trace writer, for the stepper's lesson pages.
$(BUILD)/tools/arena-tour: tools/tour/tour.c bench/trace/trace_io.c bench/trace/trace_io.h $(BUILD)/libarenalloc-prefixed.a
	$(LINK_PREFIXED)

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
	@tests/tour/tour-check.sh $(BUILD)

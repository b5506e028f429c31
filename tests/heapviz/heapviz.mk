# tests/heapviz/heapviz.mk - `make heapviz-check`: tools/heapviz and
# tools/dump.schema.json tested on real dumps (tests/heapviz/run.sh).  Needs
# python3-jsonschema, and librsvg2-bin for PNG and PDF (tests/install-deps.sh
# installs both).

.PHONY: heapviz-check

# A rule of its own: the pattern rule for $(BUILD)/tests/% links no library.
$(BUILD)/tests/heapviz/make_dump: tests/heapviz/make_dump.c $(BUILD)/libarenalloc-prefixed.a
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -O1 -g -I. -Iinclude $(EXTRA_CFLAGS) -o $@ $< $(BUILD)/libarenalloc-prefixed.a -pthread

heapviz-check: $(BUILD)/tests/heapviz/make_dump
	@tests/heapviz/run.sh $(BUILD)

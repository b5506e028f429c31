# tests/heapviz/heapviz.mk - `make heapviz-check`: tools/heapviz and
# tools/dump.schema.json tested on real dumps (tests/heapviz/heapviz-check.sh).  Needs
# python3-jsonschema, and librsvg2-bin for PNG and PDF (tests/install-deps.sh
# installs both).

.PHONY: heapviz-check

# Not the pattern rule for $(BUILD)/tests/%, which links no library.
$(BUILD)/tests/heapviz/make_dump: tests/heapviz/make_dump.c $(BUILD)/libarenalloc-prefixed.a
	$(LINK_PREFIXED)

heapviz-check: $(BUILD)/tests/heapviz/make_dump
	@tests/heapviz/heapviz-check.sh $(BUILD)

# bench/bench.mk - make bench, included by the Makefile.
#
#   make bench         every workload of bench/bench.c and the demo's three traces, against
#                      arenalloc (cache on and off), glibc (on and off), jemalloc, mimalloc and
#                      tcmalloc, in turns, median of 5: a table on the terminal, and
#                      build/bench/{table.txt,bench.csv,time.svg,rss.svg}  (bench/run.sh)
#   make bench-check   the same with tiny counts and a short synthetic trace, one round:
#                      every program checks its own results (a make check stage)
#
# Uses the Makefile's CC, BUILD and WARN.  arena-bench is built -O2 whatever DEBUG says,
# and never linked with arenalloc: the allocator under test is preloaded.

BENCH_OUT := $(BUILD)/bench

.PHONY: bench bench-check

$(BUILD)/tools/arena-bench: bench/bench.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -g -fno-builtin-malloc -fno-builtin-free -o $@ $< -pthread

bench:
	@tests/install-deps.sh bench
	@$(MAKE) --no-print-directory all tools $(BUILD)/tools/arena-bench
	@bench/run.sh -b $(BUILD) -o $(BENCH_OUT)

bench-check: all tools $(BUILD)/tools/arena-bench
	@rm -rf $(BUILD)/bench-smoke
	@bench/run.sh --smoke -b $(BUILD) -o $(BUILD)/bench-smoke >$(BUILD)/bench-smoke.log 2>&1 \
	    || { cat $(BUILD)/bench-smoke.log; echo "bench-check: bench/run.sh --smoke failed"; exit 1; }
	@for f in table.txt bench.csv time.svg rss.svg; do \
	    test -s $(BUILD)/bench-smoke/$$f || { echo "bench-check: $$f was not written"; exit 1; }; done
	@rows=$$(grep -c ' s (' $(BUILD)/bench-smoke/table.txt); \
	    want=$$(( $$(sed 1d $(BUILD)/bench-smoke/bench.csv | wc -l) )); \
	    test "$$rows" -eq "$$want" -a "$$rows" -ge 18 || { echo "bench-check: $$rows table rows, $$want CSV rows"; exit 1; }
	@n=$$(cut -d, -f2 $(BUILD)/bench-smoke/bench.csv | sed 1d | sort -u | wc -l); \
	    for f in time rss; do bars=$$(grep -c '<g id="gnuplot_plot_[0-9]*" ><title>' $(BUILD)/bench-smoke/$$f.svg); \
	    test "$$bars" -eq "$$n" || { echo "bench-check: $$f.svg has $$bars allocators of $$n"; exit 1; }; done
	@# Peak RSS is sampled while a program runs: realloc's 2000 buffers, each grown to 4 KiB,
	@# are all live just before it frees them, and every allocator's figure must hold them.
	@awk -F, '$$1 == "realloc" && $$5 < 8000 { print "bench-check: " $$2 ": peak RSS " $$5 " KiB on realloc," \
	    " under the 8000 KiB its buffers hold at once"; bad = 1 } END { exit bad }' $(BUILD)/bench-smoke/bench.csv
	@echo "bench-check: $$(sed 1d $(BUILD)/bench-smoke/bench.csv | wc -l) workload x allocator runs, results checked"

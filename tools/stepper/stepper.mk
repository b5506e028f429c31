# tools/stepper/stepper.mk - the browser heap stepper, included by the Makefile.
#
#   make stepper TRACE=file [FROM=n] [COUNT=m]   build/stepper/<name>.html: calls n .. n+m-1 of the
#                                                trace (.trace or .trace.xz), one page, no server needed
#   make stepper                                 a page per lesson of the tour (build/stepper/tour-NN.html),
#                                                one per demo trace (its first $(STEPPER_DEMO_COUNT) calls),
#                                                and build/stepper/index.html linking them
#   make stepper-check                           tests/stepper/stepper-check.sh
#
# bench/trace's arena-step replays the calls; tools/stepper/build.mjs makes the page
# (esbuild and the list library from tools/stepper/package-lock.json, installed on first use).

STEPPER_NPM        := tools/stepper/node_modules/.package-lock.json
STEPPER_DEMO_COUNT := 20000

.PHONY: stepper stepper-deps stepper-check

$(STEPPER_NPM): tools/stepper/package.json tools/stepper/package-lock.json
	cd tools/stepper && npm ci --no-audit --no-fund --loglevel=error

stepper-deps:
	@tests/install-deps.sh stepper
	@$(MAKE) --no-print-directory $(BUILD)/tools/arena-step $(BUILD)/tools/arena-tour \
	    $(STEPPER_NPM)

stepper: stepper-deps
ifneq ($(TRACE),)
	@tools/stepper/pages.sh -b $(BUILD) -o $(BUILD)/stepper $(if $(FROM),-f $(FROM)) $(if $(COUNT),-n $(COUNT)) $(TRACE)
else
	@tools/stepper/pages.sh -b $(BUILD) -o $(BUILD)/stepper --tour -n $(STEPPER_DEMO_COUNT) $(WORKLOADS)
endif

stepper-check: stepper-deps
	@tests/stepper/stepper-check.sh $(BUILD)

# ---- labs: student trees cut from the reference, and their graders (labs/README.md) ----
# Included by the Makefile.
#   make lab LAB=fastbins DEST=/tmp/fastbins   a student tree: the lab's regions replaced by
#                                              stubs, its handout and grader, `make grade`
#   make labcheck                              every lab: the student tree builds, its grader
#                                              fails on the stubs and passes on the reference
.PHONY: lab labcheck
lab:
	@test -n "$(LAB)" -a -n "$(DEST)" || { echo 'usage: make lab LAB=name DEST=dir   (labs: $(basename $(notdir $(wildcard labs/*/*.conf))))' >&2; exit 2; }
	@labs/cut.sh $(LAB) $(DEST)
	@echo "now: cd $(DEST) && make grade   (the handout: $(DEST)/lab/README.md)"

labcheck:
	@labs/labcheck.sh $(BUILD) $(LABS)

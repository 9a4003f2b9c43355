# fuzz/: libFuzzer targets, one per parser or request path.
#
# A target NAME lives in fuzz/NAME.c (defining LLVMFuzzerTestOneInput) with a
# committed corpus in fuzz/corpus/NAME/. It is built two ways:
#   - fuzz/NAME_replay: the target plus replay_main.c, run by `make check` over
#     the corpus (under ASan/UBSan when configured with --enable-sanitizers);
#   - fuzz/NAME_fuzzer: the real libFuzzer binary, built by `make fuzz` in a
#     separate clang tree (build-fuzz/), which then runs every target for
#     FUZZ_SECONDS (default 60) each.
# Each area's fragment (fuzz/live.mk, fuzz/services.mk, ...) appends NAME to
# FUZZ_TARGETS and defines fuzz_NAME_replay_{SOURCES,LDADD} (replay_main.c
# included in SOURCES) and, inside `if FUZZING`, fuzz_NAME_fuzzer_* likewise
# without replay_main.c.
FUZZ_TARGETS =
FUZZ_LIBFUZZER = -fsanitize=fuzzer
EXTRA_DIST += fuzz/corpus fuzz/run.sh fuzz/README.md
dist_noinst_DATA += fuzz/replay_main.c

include $(srcdir)/fuzz/live.mk
include $(srcdir)/fuzz/services.mk
include $(srcdir)/fuzz/sim.mk
include $(srcdir)/fuzz/tools.mk

FUZZ_SECONDS ?= 60
# Builds the libFuzzer binaries with clang in build-fuzz/ and runs each for
# FUZZ_SECONDS, merging new inputs into a scratch corpus (not the committed one).
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(SHELL) $(srcdir)/fuzz/run.sh $(srcdir) $(FUZZ_TARGETS)
.PHONY: fuzz

# fuzz/tools.mk: targets for the meshsim command's own parsers (see
# fuzz/local.mk for the pattern):
#   sched_timehist  a scheduler's record (`perf sched timehist --state`
#                   text) read by `meshsim calibrate --wakeups`
#                   (tools/schedwake.c), and the jitter summarised from it
#                   (tools/linkprobe.c, lp_summarise)
# Seeds: excerpts of real records taken on this machine while the live shop
# ran, broken variants, and the regression inputs of bugs found.
FUZZ_TARGETS += sched_timehist
EXTRA_DIST += fuzz/sched_timehist.dict
FUZZ_TOOLS_SOURCES = tools/schedwake.c tools/schedwake.h tools/linkprobe.c \
	tools/linkprobe.h
FUZZ_TOOLS_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tools
check_PROGRAMS += fuzz/sched_timehist_replay
TESTS += fuzz/sched_timehist_replay
fuzz_sched_timehist_replay_SOURCES = fuzz/sched_timehist.c fuzz/replay_main.c \
	$(FUZZ_TOOLS_SOURCES)
fuzz_sched_timehist_replay_CFLAGS = $(FUZZ_TOOLS_CFLAGS)
fuzz_sched_timehist_replay_LDADD = -lm

if FUZZING
noinst_PROGRAMS += fuzz/sched_timehist_fuzzer
fuzz_sched_timehist_fuzzer_SOURCES = fuzz/sched_timehist.c $(FUZZ_TOOLS_SOURCES)
fuzz_sched_timehist_fuzzer_CFLAGS = $(FUZZ_TOOLS_CFLAGS)
fuzz_sched_timehist_fuzzer_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LIBFUZZER)
fuzz_sched_timehist_fuzzer_LDADD = -lm
endif

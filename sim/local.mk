# sim/: the simulator. sim/des is the discrete-event engine (event queue,
# virtual clock, seeded random streams); it knows nothing of Kubernetes.
noinst_LIBRARIES += libdes.a
libdes_a_SOURCES = \
	sim/des/des.c sim/des/des.h \
	sim/des/rng.c sim/des/rng.h
DES_LIBS = libdes.a -lm
EXTRA_DIST += sim/des/README.md

# Unit tests (Check, fork mode), one per source file.
SIM_CHECK_TESTS = tests/sim/des_test tests/sim/rng_test
check_PROGRAMS += $(SIM_CHECK_TESTS)
TESTS += $(SIM_CHECK_TESTS)
tests_sim_des_test_SOURCES = tests/sim/des_test.c
tests_sim_des_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/sim/des
tests_sim_des_test_LDADD = $(DES_LIBS) $(CHECK_LIBS)
tests_sim_rng_test_SOURCES = tests/sim/rng_test.c
tests_sim_rng_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/sim/des
tests_sim_rng_test_LDADD = $(DES_LIBS) $(CHECK_LIBS)

# bench-des: the PHOLD microbenchmark of the engine against a bare binary
# heap in the same run (and SimGrid's engine when libsimgrid-dev is
# installed), one core. Never part of `make check`. Tunables, in the
# environment or on the make command line: PHOLD_EVENTS (events per run,
# default 20000000), PHOLD_REPS (runs per configuration, the median is
# reported; default 3), PHOLD_MAX_SECONDS (a run stops early past this;
# default 20), PHOLD_ENFORCE=1 (exit 1 below 5 M events/s at 1k pending),
# BENCH_DES_CPU (the core; default 0).
noinst_PROGRAMS += bench/phold
bench_phold_SOURCES = bench/phold.c
bench_phold_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/sim/des
bench_phold_LDADD = $(DES_LIBS)
EXTRA_DIST += bench/phold_simgrid.c

# SimGrid is optional and not a configure dependency: probed here with
# pkg-config, built by hand into the build tree only when present.
bench/phold_simgrid$(EXEEXT): $(srcdir)/bench/phold_simgrid.c $(srcdir)/sim/des/rng.c
	$(AM_V_CC)$(CC) $(CFLAGS) -O2 -w -I$(srcdir)/sim/des -o $@ \
	  $(srcdir)/bench/phold_simgrid.c $(srcdir)/sim/des/rng.c \
	  `$(PKG_CONFIG) --cflags --libs simgrid` -lm
CLEANFILES += bench/phold_simgrid$(EXEEXT)

.PHONY: bench-des
bench-des: bench/phold$(EXEEXT)
	@sg=; if $(PKG_CONFIG) --exists simgrid 2>/dev/null; then \
	  $(MAKE) $(AM_MAKEFLAGS) bench/phold_simgrid$(EXEEXT) && sg=bench/phold_simgrid$(EXEEXT); \
	else echo "bench-des: libsimgrid-dev not installed; no same-run SimGrid figure"; fi; \
	cpu='$(BENCH_DES_CPU)'; cpu=$${cpu:-0}; \
	pin=; if command -v taskset >/dev/null 2>&1; then pin="taskset -c $$cpu"; \
	else echo "bench-des: taskset not found; running unpinned"; fi; \
	$$pin bench/phold$(EXEEXT) $${sg:+--simgrid $$sg}

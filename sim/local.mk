# sim/: the simulator. sim/des is the discrete-event engine (event queue,
# virtual clock, seeded random streams); it knows nothing of Kubernetes.
noinst_LIBRARIES += libdes.a
libdes_a_SOURCES = \
	sim/des/des.c sim/des/des.h \
	sim/des/rng.c sim/des/rng.h
DES_LIBS = libdes.a -lm
EXTRA_DIST += sim/des/README.md

# sim/vrt: the virtual runtime, services/rt.h over the engine: every
# service's real code in one process, in virtual time (see its README.md).
noinst_LIBRARIES += libvrt.a
libvrt_a_SOURCES = \
	sim/vrt/vrt.h sim/vrt/vrt_int.h \
	sim/vrt/world.c sim/vrt/pod.c sim/vrt/rpc.c sim/vrt/http.c \
	sim/vrt/cpu.c sim/vrt/profile.c sim/vrt/link.c
VRT_CFLAGS = -I$(top_srcdir)/sim/des -I$(top_srcdir)/sim/vrt \
	$(PROTOBUFC_CFLAGS) $(JANSSON_CFLAGS)
libvrt_a_CFLAGS = $(AM_CFLAGS) $(VRT_CFLAGS)
# What a program running services on the virtual runtime links, before
# the services' own libraries (LEAVES_LIBS brings librt.a, protobuf-c,
# jansson).
VRT_LIBS = libvrt.a $(DES_LIBS)
EXTRA_DIST += sim/vrt/README.md data/cost-profile.json

# sim/cluster: the Kubernetes model (nodes, Deployments, pods, probes,
# Services, rolling updates, HPA) built from the chart values under
# k8s/charts/ (see its README.md). It runs whatever rt_service_t the caller
# registers, so it links no service itself.
noinst_LIBRARIES += libcluster.a
libcluster_a_SOURCES = \
	sim/cluster/values.c sim/cluster/values.h \
	sim/cluster/cluster.c sim/cluster/cluster.h \
	sim/cluster/memvol.c sim/cluster/memvol.h
CLUSTER_CFLAGS = -I$(top_srcdir)/sim/cluster $(VRT_CFLAGS) $(YAML_CFLAGS) \
	$(SQLITE_CFLAGS)
libcluster_a_CFLAGS = $(AM_CFLAGS) $(CLUSTER_CFLAGS)
# What a program using the cluster links, before the services' libraries.
CLUSTER_LIBS = libcluster.a $(VRT_LIBS) $(YAML_LIBS) $(SQLITE_LIBS)
EXTRA_DIST += sim/cluster/README.md

# sim/load: open-loop arrivals at the frontend (rate profiles, Poisson or
# evenly spaced, the Locust request mix); the closed loop is the load
# generator's own service run as a pod (see sim/load/README.md).
noinst_LIBRARIES += libload.a
libload_a_SOURCES = sim/load/arrivals.c sim/load/arrivals.h
LOAD_CFLAGS = -I$(top_srcdir)/sim/load $(VRT_CFLAGS)
libload_a_CFLAGS = $(AM_CFLAGS) $(LOAD_CFLAGS)
EXTRA_DIST += sim/load/README.md

# sim/report: observations into per-route, per-service and per-pod figures
# (the load generator's histograms), as a table and as JSON.
noinst_LIBRARIES += libreport.a
libreport_a_SOURCES = sim/report/report.c sim/report/report.h
REPORT_CFLAGS = -I$(top_srcdir)/sim/report $(LOAD_CFLAGS)
libreport_a_CFLAGS = $(AM_CFLAGS) $(REPORT_CFLAGS)

# sim/report/slo: service-level objectives ("p99<300ms,errors<1%", or a
# scenario's slo: entries) and their check against measured figures, and
# sim/report/canary: Flagger's canary analysis over such figures; no
# simulator in it, so any command can link it (SLO_LIBS).
noinst_LIBRARIES += libslo.a
libslo_a_SOURCES = sim/report/slo.c sim/report/slo.h \
	sim/report/canary.c sim/report/canary.h
SLO_CFLAGS = -I$(top_srcdir)/sim/report
SLO_LIBS = libslo.a -lm
# sim/metrics: Istio's standard metrics from the observations (names,
# labels and buckets of MESH.md), their Prometheus exposition, snapshots in
# SQLite, and a scrape endpoint on loopback (see sim/metrics/README.md).
noinst_LIBRARIES += libmetrics.a
libmetrics_a_SOURCES = \
	sim/metrics/metrics.c sim/metrics/metrics.h sim/metrics/obs.c \
	sim/metrics/store.c sim/metrics/store.h \
	sim/metrics/serve.c sim/metrics/serve.h
METRICS_CFLAGS = -I$(top_srcdir)/sim/metrics $(VRT_CFLAGS) $(SQLITE_CFLAGS)
libmetrics_a_CFLAGS = $(AM_CFLAGS) $(METRICS_CFLAGS)
METRICS_LIBS = libmetrics.a $(SQLITE_LIBS) $(JANSSON_LIBS) -lpthread -lm
EXTRA_DIST += sim/metrics/README.md
# metrics_test: the registry, the exposition, observation labels, the
# store and the scrape endpoint. metrics_run_test.sh: `meshsim run` with metrics
# through promtool and sqlite; metrics_prometheus_test.sh: Debian's real
# Prometheus scraping a running simulation.
check_PROGRAMS += tests/sim/metrics_test
TESTS += tests/sim/metrics_test tests/sim/metrics_run_test.sh \
	tests/sim/metrics_prometheus_test.sh
EXTRA_DIST += tests/sim/metrics_run_test.sh tests/sim/metrics_prometheus_test.sh
tests_sim_metrics_test_SOURCES = tests/sim/metrics_test.c
tests_sim_metrics_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(METRICS_CFLAGS)
tests_sim_metrics_test_LDADD = $(METRICS_LIBS) $(CHECK_LIBS)

# sim/scenario: scenario files (YAML) for `meshsim run`.
noinst_LIBRARIES += libscenario.a
libscenario_a_SOURCES = sim/scenario/scenario.c sim/scenario/scenario.h
SCENARIO_CFLAGS = -I$(top_srcdir)/sim/scenario $(SLO_CFLAGS) $(LOAD_CFLAGS) \
	$(YAML_CFLAGS)
libscenario_a_CFLAGS = $(AM_CFLAGS) $(SCENARIO_CFLAGS)
EXTRA_DIST += scenarios/README.md scenarios/default.yaml \
	scenarios/cart-pod-dies.yaml scenarios/spike.yaml scenarios/ramp.yaml \
	scenarios/canary-frontend.yaml scenarios/canary-business.yaml \
	scenarios/autoscale.yaml

# What `meshsim run` compiles with and links: the modules above, the
# cluster on the virtual runtime, and every service of the shop.
SIMRUN_CFLAGS = $(SCENARIO_CFLAGS) $(REPORT_CFLAGS) $(CLUSTER_CFLAGS) \
	$(METRICS_CFLAGS)
SIMRUN_LIBS = libscenario.a libreport.a libslo.a libload.a libmetrics.a \
	$(CLUSTER_LIBS) \
	libfrontend.a libweb.a libbusiness.a libshop.a libloadgen.a \
	$(LEAVES_LIBS) -lpthread

# Unit tests (Check, fork mode), one per source file.
SIM_CHECK_TESTS = tests/sim/des_test tests/sim/rng_test tests/sim/vrt_test \
	tests/sim/values_test tests/sim/cluster_test tests/sim/memvol_test
check_PROGRAMS += $(SIM_CHECK_TESTS)
TESTS += $(SIM_CHECK_TESTS)
tests_sim_des_test_SOURCES = tests/sim/des_test.c
tests_sim_des_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/sim/des
tests_sim_des_test_LDADD = $(DES_LIBS) $(CHECK_LIBS)
tests_sim_rng_test_SOURCES = tests/sim/rng_test.c
tests_sim_rng_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/sim/des
tests_sim_rng_test_LDADD = $(DES_LIBS) $(CHECK_LIBS)
# vrt_test runs the real leaf services; it finds data/cost-profile.json and
# tests/sim/golden/ through MESHSIM_SRCDIR (set for every test).
tests_sim_vrt_test_SOURCES = tests/sim/vrt_test.c tests/sim/vrt_test_util.h
tests_sim_vrt_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(VRT_CFLAGS) \
	-I$(top_srcdir)/services
tests_sim_vrt_test_LDADD = $(VRT_LIBS) $(LEAVES_LIBS) $(CHECK_LIBS)
EXTRA_DIST += tests/sim/golden/vrt_tiny.txt
# vrt_mesh_test: the mesh hook (vrt_world_set_mesh) with a scripted hook.
check_PROGRAMS += tests/sim/vrt_mesh_test
TESTS += tests/sim/vrt_mesh_test
tests_sim_vrt_mesh_test_SOURCES = tests/sim/vrt_mesh_test.c tests/sim/vrt_test_util.h
tests_sim_vrt_mesh_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(VRT_CFLAGS) \
	-I$(top_srcdir)/services
tests_sim_vrt_mesh_test_LDADD = $(VRT_LIBS) $(LEAVES_LIBS) $(CHECK_LIBS)
# vrt_http_test runs the real frontend with the whole shop behind it, and
# the load generator's users, over the virtual runtime's HTTP.
check_PROGRAMS += tests/sim/vrt_http_test
TESTS += tests/sim/vrt_http_test
tests_sim_vrt_http_test_SOURCES = tests/sim/vrt_http_test.c \
	tests/sim/vrt_test_util.h
tests_sim_vrt_http_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(VRT_CFLAGS) \
	-I$(top_srcdir)/services
tests_sim_vrt_http_test_LDADD = $(VRT_LIBS) libfrontend.a libweb.a \
	libloadgen.a libshop.a $(LEAVES_LIBS) $(CHECK_LIBS)
# values_test and cluster_test read the charts under k8s/charts through
# MESHSIM_SRCDIR; cluster_test runs the real leaf services on the cluster.
tests_sim_values_test_SOURCES = tests/sim/values_test.c
tests_sim_values_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(CLUSTER_CFLAGS)
tests_sim_values_test_LDADD = libcluster.a $(YAML_LIBS) $(CHECK_LIBS)
tests_sim_memvol_test_SOURCES = tests/sim/memvol_test.c
tests_sim_memvol_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(CLUSTER_CFLAGS)
tests_sim_memvol_test_LDADD = libcluster.a $(SQLITE_LIBS) $(CHECK_LIBS)
tests_sim_cluster_test_SOURCES = tests/sim/cluster_test.c
tests_sim_cluster_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(CLUSTER_CFLAGS) \
	-I$(top_srcdir)/services
tests_sim_cluster_test_LDADD = $(CLUSTER_LIBS) $(LEAVES_LIBS) $(CHECK_LIBS)
# It includes the generated protobuf headers: make them first, even when
# this test alone is built.
$(tests_sim_cluster_test_OBJECTS): $(PROTO_GEN)

# The modules of `meshsim run`: arrivals (and the driver against a stand-in
# frontend), the report (with the real currency service for CPU figures),
# scenario files (the committed ones through MESHSIM_SRCDIR).
SIMRUN_CHECK_TESTS = tests/sim/arrivals_test tests/sim/report_test \
	tests/sim/scenario_test tests/sim/slo_test tests/sim/canary_test
check_PROGRAMS += $(SIMRUN_CHECK_TESTS)
TESTS += $(SIMRUN_CHECK_TESTS)
tests_sim_arrivals_test_SOURCES = tests/sim/arrivals_test.c
tests_sim_arrivals_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LOAD_CFLAGS)
tests_sim_arrivals_test_LDADD = libload.a $(VRT_LIBS) $(LOADGEN_LIBS) \
	$(LEAVES_LIBS) $(CHECK_LIBS)
tests_sim_report_test_SOURCES = tests/sim/report_test.c
tests_sim_report_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(REPORT_CFLAGS)
tests_sim_report_test_LDADD = libreport.a libslo.a libload.a $(VRT_LIBS) \
	$(LOADGEN_LIBS) $(LEAVES_LIBS) $(CHECK_LIBS)
$(tests_sim_report_test_OBJECTS): $(PROTO_GEN)
tests_sim_scenario_test_SOURCES = tests/sim/scenario_test.c
tests_sim_scenario_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SCENARIO_CFLAGS)
tests_sim_scenario_test_LDADD = libscenario.a libslo.a libload.a $(VRT_LIBS) \
	$(LOADGEN_LIBS) $(LEAVES_LIBS) $(YAML_LIBS) $(CHECK_LIBS)
tests_sim_slo_test_SOURCES = tests/sim/slo_test.c
tests_sim_slo_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SLO_CFLAGS)
tests_sim_slo_test_LDADD = $(SLO_LIBS) $(CHECK_LIBS)
tests_sim_canary_test_SOURCES = tests/sim/canary_test.c
tests_sim_canary_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SLO_CFLAGS)
tests_sim_canary_test_LDADD = $(SLO_LIBS) $(CHECK_LIBS)

# `meshsim run` as a whole (shell tests; they run the meshsim binary):
# same seed, same report and event log; another seed, other bytes.
# And a tiny scenario's report and event log against a committed file
# (RUN_GOLDEN_UPDATE=1 rewrites it).
TESTS += tests/sim/run_determinism_test.sh tests/sim/run_golden_test.sh
EXTRA_DIST += tests/sim/run_determinism_test.sh tests/sim/run_golden_test.sh \
	tests/sim/golden/run_tiny.yaml tests/sim/golden/run_tiny.txt \
	tests/sim/golden/run_tiny_profile.json
# Service-level objectives decide the exit status: the canary gate
# scenarios pass, a starved canary (tests/sim/canary_gate_fail.yaml) fails.
TESTS += tests/sim/run_slo_test.sh
EXTRA_DIST += tests/sim/run_slo_test.sh tests/sim/canary_gate_fail.yaml \
	tests/sim/run_lib.sh
# run_canary_test.sh: progressive delivery (canary:) promotes the gate
# scenarios' canaries and rolls back a broken one (canary_rollback.yaml,
# with k8s/istio plus a fault on the canary's calls: canary_rollback_istio/,
# links to k8s/istio and one file of its own).
TESTS += tests/sim/run_canary_test.sh
EXTRA_DIST += tests/sim/run_canary_test.sh tests/sim/canary_rollback.yaml \
	tests/sim/canary_rollback_istio/authorization.yaml \
	tests/sim/canary_rollback_istio/canary-business.yaml \
	tests/sim/canary_rollback_istio/canary-frontend.yaml \
	tests/sim/canary_rollback_istio/gateway.yaml \
	tests/sim/canary_rollback_istio/mesh.yaml \
	tests/sim/canary_rollback_istio/namespaces.yaml \
	tests/sim/canary_rollback_istio/zz-canary-fault.yaml

# The simulator follows the chart values files: an HPA switched on and its
# maxReplicas edited in a copy of k8s/charts are what the run does.
TESTS += tests/sim/run_charts_test.sh
EXTRA_DIST += tests/sim/run_charts_test.sh

# `meshsim capacity` as a whole: a short search on a shop with a starved
# product catalog, its answer checked with `meshsim run`, the same seed
# giving the same result, bad and unreachable SLOs (exit 2 and 1).
TESTS += tests/sim/capacity_test.sh
EXTRA_DIST += tests/sim/capacity_test.sh

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

# bench-vrt: simulated calls per wall-clock second through the virtual
# runtime (Convert on one currencyservice pod, closed loop from outside).
# Never part of `make check`. VRT_BENCH_CALLS (default 1000000),
# VRT_BENCH_CONCURRENCY (default 64), BENCH_DES_CPU (the core; default 0).
noinst_PROGRAMS += bench/vrt_bench
bench_vrt_bench_SOURCES = bench/vrt_bench.c
bench_vrt_bench_CFLAGS = $(AM_CFLAGS) $(VRT_CFLAGS) -I$(top_srcdir)/services
bench_vrt_bench_LDADD = $(VRT_LIBS) $(LEAVES_LIBS)

.PHONY: bench-vrt
bench-vrt: bench/vrt_bench$(EXEEXT)
	@cpu='$(BENCH_DES_CPU)'; cpu=$${cpu:-0}; \
	pin=; if command -v taskset >/dev/null 2>&1; then pin="taskset -c $$cpu"; fi; \
	$$pin bench/vrt_bench$(EXEEXT) $(srcdir)/data/cost-profile.json

# bench-sim: the whole shop at 1000 requests/s (open loop, the Locust
# request mix) for one virtual hour: wall time, speed-up over real time,
# CPU time, peak RSS (bench/sim_bench.sh, /usr/bin/time -v). Never part of
# `make check`. SIM_BENCH_RATE (default 1000), SIM_BENCH_DURATION (default
# 1h), BENCH_DES_CPU (the core; default 0).
EXTRA_DIST += bench/sim_bench.sh
.PHONY: bench-sim
bench-sim: meshsim$(EXEEXT)
	@$(SHELL) $(srcdir)/bench/sim_bench.sh ./meshsim$(EXEEXT) \
	  $${SIM_BENCH_RATE:-$(SIM_BENCH_RATE)} $${SIM_BENCH_DURATION:-$(SIM_BENCH_DURATION)}
SIM_BENCH_RATE = 1000
SIM_BENCH_DURATION = 1h

# bench-metrics: the cost of one Istio metrics record (ms_obs_record) in the
# steady state, with a check that it allocates nothing, and the
# exposition's size and time. Never part of `make check`. METRICS_BENCH_RECORDS
# (default 5000000).
noinst_PROGRAMS += bench/metrics_bench
bench_metrics_bench_SOURCES = bench/metrics_bench.c
bench_metrics_bench_CFLAGS = $(AM_CFLAGS) $(METRICS_CFLAGS) -I$(top_srcdir)/services
bench_metrics_bench_LDADD = $(METRICS_LIBS)

.PHONY: bench-metrics
bench-metrics: bench/metrics_bench$(EXEEXT)
	@bench/metrics_bench$(EXEEXT) $${METRICS_BENCH_RECORDS:-5000000}

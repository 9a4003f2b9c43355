# sim/dataplane: the virtual data plane's mTLS, and the mesh identity it
# uses. libdataplane.a holds sim/mesh/identity.c (the mesh CA, workload
# certificates; see sim/mesh/identity.h) and sim/dataplane/mtls.c (real
# TLS 1.3 handshakes over memory BIOs at a virtual time, their measured
# cost, the connection pool model; see sim/dataplane/mtls.h).
noinst_LIBRARIES += libdataplane.a
libdataplane_a_SOURCES = \
	sim/mesh/identity.c sim/mesh/identity.h \
	sim/dataplane/mtls.c sim/dataplane/mtls.h
DATAPLANE_CFLAGS = -I$(top_srcdir)/sim/des -I$(top_srcdir)/sim/mesh \
	-I$(top_srcdir)/sim/dataplane $(OPENSSL_CFLAGS)
libdataplane_a_CFLAGS = $(AM_CFLAGS) $(DATAPLANE_CFLAGS)
# What a program using identities or mTLS links.
DATAPLANE_LIBS = libdataplane.a $(DES_LIBS) $(OPENSSL_LIBS)
EXTRA_DIST += sim/dataplane/README.md

# Unit tests (Check, fork mode), one per source file.
DATAPLANE_CHECK_TESTS = tests/dataplane/identity_test tests/dataplane/mtls_test
check_PROGRAMS += $(DATAPLANE_CHECK_TESTS)
TESTS += $(DATAPLANE_CHECK_TESTS)
tests_dataplane_identity_test_SOURCES = tests/dataplane/identity_test.c
tests_dataplane_identity_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(DATAPLANE_CFLAGS)
tests_dataplane_identity_test_LDADD = $(DATAPLANE_LIBS) $(CHECK_LIBS)
tests_dataplane_mtls_test_SOURCES = tests/dataplane/mtls_test.c
tests_dataplane_mtls_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(DATAPLANE_CFLAGS)
tests_dataplane_mtls_test_LDADD = $(DATAPLANE_LIBS) $(CHECK_LIBS)

# bench-mtls: full mTLS handshakes per second on one core (EC P-256 and
# RSA 2048, with and without an intermediate), per-side CPU, bytes and
# flights per handshake, and the ratio to a plain TLS 1.3 handshake without
# client authentication measured in the same run. Never part of `make
# check`. MTLS_BENCH_SECONDS (per configuration, default 3),
# BENCH_DES_CPU (the core; default 0).
noinst_PROGRAMS += bench/mtls_bench
bench_mtls_bench_SOURCES = bench/mtls_bench.c
bench_mtls_bench_CFLAGS = $(AM_CFLAGS) $(DATAPLANE_CFLAGS)
bench_mtls_bench_LDADD = $(DATAPLANE_LIBS)

.PHONY: bench-mtls
bench-mtls: bench/mtls_bench$(EXEEXT)
	@cpu='$(BENCH_DES_CPU)'; cpu=$${cpu:-0}; \
	secs='$(MTLS_BENCH_SECONDS)'; secs=$${secs:-3}; \
	pin=; if command -v taskset >/dev/null 2>&1; then pin="taskset -c $$cpu"; \
	else echo "bench-mtls: taskset not found; running unpinned"; fi; \
	$$pin bench/mtls_bench$(EXEEXT) $$secs

# The virtual data plane: every pod's sidecar and the ingress gateway on a
# vrt world's mesh hook (routing, PeerAuthentication, AuthorizationPolicy,
# pooled mTLS connections with real handshakes, faults, retries). Its own
# library so libdataplane.a stays free of vrt and the cluster.
noinst_LIBRARIES += libsidecar.a
libsidecar_a_SOURCES = sim/dataplane/sidecar.c sim/dataplane/sidecar.h
SIDECAR_CFLAGS = $(DATAPLANE_CFLAGS) $(CLUSTER_CFLAGS) $(MESHPOLICY_CFLAGS)
libsidecar_a_CFLAGS = $(AM_CFLAGS) $(SIDECAR_CFLAGS)
# What a program using the sidecars links (with the services' libraries
# after it, as CLUSTER_LIBS says).
SIDECAR_LIBS = libsidecar.a libcluster.a libvrt.a libmeshpolicy.a \
	libdataplane.a $(DES_LIBS) $(YAML_LIBS) $(OPENSSL_LIBS)

# sidecar_test: the data plane on a vrt world with the real currency service
# and the live tests' HTTP service, policies from inline YAML.
check_PROGRAMS += tests/dataplane/sidecar_test
TESTS += tests/dataplane/sidecar_test
tests_dataplane_sidecar_test_SOURCES = tests/dataplane/sidecar_test.c \
	tests/live/httpsvc.c tests/live/httpsvc.h
tests_dataplane_sidecar_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) \
	$(SIDECAR_CFLAGS) -I$(top_srcdir)/services -I$(top_srcdir)/tests/live
tests_dataplane_sidecar_test_LDADD = $(SIDECAR_LIBS) $(LEAVES_LIBS) $(CHECK_LIBS)
$(tests_dataplane_sidecar_test_OBJECTS): $(PROTO_GEN)

# bench-sidecar: handshakes per wall second through the data plane (every
# handshake real, then with the cache) and calls per wall second with and
# without sidecars, same run (bench/sidecar_bench.c). Never part of `make
# check`. SIDECAR_BENCH_PODS, SIDECAR_BENCH_CALLS, BENCH_DES_CPU.
noinst_PROGRAMS += bench/sidecar_bench
bench_sidecar_bench_SOURCES = bench/sidecar_bench.c
bench_sidecar_bench_CFLAGS = $(AM_CFLAGS) $(SIDECAR_CFLAGS) -I$(top_srcdir)/services
bench_sidecar_bench_LDADD = $(SIDECAR_LIBS) $(LEAVES_LIBS)
$(bench_sidecar_bench_OBJECTS): $(PROTO_GEN)

.PHONY: bench-sidecar
bench-sidecar: bench/sidecar_bench$(EXEEXT)
	@cpu='$(BENCH_DES_CPU)'; cpu=$${cpu:-0}; \
	pin=; if command -v taskset >/dev/null 2>&1; then pin="taskset -c $$cpu"; fi; \
	$$pin bench/sidecar_bench$(EXEEXT) $(srcdir)/data/cost-profile.json

# bench-mesh-sim: meshsim run at 1000 requests/s for a virtual minute with
# the mesh on and with --no-mesh, same run: wall times and the ratio
# (bench/mesh_sim_bench.sh). SIM_BENCH_RATE, MESH_BENCH_DURATION (60s).
EXTRA_DIST += bench/mesh_sim_bench.sh
.PHONY: bench-mesh-sim
bench-mesh-sim: meshsim$(EXEEXT)
	@$(SHELL) $(srcdir)/bench/mesh_sim_bench.sh ./meshsim$(EXEEXT) \
	  $${SIM_BENCH_RATE:-1000} $${MESH_BENCH_DURATION:-60s}

# meshsim run with the data plane, end to end (needs meshsim).
TESTS += tests/dataplane/run_mesh_test.sh
EXTRA_DIST += tests/dataplane/run_mesh_test.sh

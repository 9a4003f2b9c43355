# sim/mesh: Istio's policy as a pure library (no I/O beyond reading the YAML
# it is handed, no clock of its own): the objects read strictly from real
# manifests (yaml_doc, istio), the decisions (decide), and the manifest
# checks behind `meshsim analyze` (analyze). The identity/CA part lives in
# sim/mesh/identity* with its own rules.
noinst_LIBRARIES += libmeshpolicy.a
libmeshpolicy_a_SOURCES = \
	sim/mesh/yaml_doc.c sim/mesh/yaml_doc.h \
	sim/mesh/diag.c sim/mesh/diag.h \
	sim/mesh/istio.c sim/mesh/istio.h \
	sim/mesh/decide.c sim/mesh/decide.h \
	sim/mesh/analyze.c sim/mesh/analyze.h
MESHPOLICY_CFLAGS = -I$(top_srcdir)/sim/mesh $(YAML_CFLAGS)
libmeshpolicy_a_CFLAGS = $(AM_CFLAGS) $(MESHPOLICY_CFLAGS)
# What a program using the policy library links.
MESHPOLICY_LIBS = libmeshpolicy.a $(YAML_LIBS)

# Table-driven tests (Check, fork mode), one per source file; rows come
# from shared/MESH.md. They find their fixtures through MESHSIM_SRCDIR.
MESH_CHECK_TESTS = tests/mesh/istio_test tests/mesh/decide_test
check_PROGRAMS += $(MESH_CHECK_TESTS)
TESTS += $(MESH_CHECK_TESTS)
tests_mesh_istio_test_SOURCES = tests/mesh/istio_test.c
tests_mesh_istio_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(MESHPOLICY_CFLAGS)
tests_mesh_istio_test_LDADD = $(MESHPOLICY_LIBS) $(CHECK_LIBS)
tests_mesh_decide_test_SOURCES = tests/mesh/decide_test.c
tests_mesh_decide_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(MESHPOLICY_CFLAGS)
tests_mesh_decide_test_LDADD = $(MESHPOLICY_LIBS) $(CHECK_LIBS)

# `meshsim analyze` on the seed's canary faults, on one of each other
# mistake, and on our real manifests (k8s/istio with --charts k8s/charts).
TESTS += tests/mesh/analyze.sh
EXTRA_DIST += tests/mesh/analyze.sh \
	tests/mesh/fixtures/seed-faults/cluster.yaml \
	tests/mesh/fixtures/seed-faults/gateway.yaml \
	tests/mesh/fixtures/seed-faults/canary-frontend.yaml \
	tests/mesh/fixtures/more-faults/shop.yaml \
	tests/mesh/fixtures/more-faults/calls.txt
tests/mesh/analyze.log: meshsim$(EXEEXT)

# services/loadgen.mk: the load generator. Its virtual users live in
# libloadgen.a, written only against rt.h, so the simulator runs the same
# users in virtual time; the `loadgenerator` program (tools/loadgenerator.c)
# drives them on the live runtime with a Locust-like stats table.

noinst_LIBRARIES += libloadgen.a
libloadgen_a_SOURCES = \
	services/loadgenerator/loadgen.c services/loadgenerator/loadgen.h \
	services/loadgenerator/loadgen_stats.c services/loadgenerator/loadgen_stats.h \
	services/loadgenerator/loadgen_fake.c services/loadgenerator/loadgen_fake.h
libloadgen_a_CFLAGS = $(AM_CFLAGS) $(PROTOBUFC_CFLAGS)

# What a program running the load generator links, after its own objects
# (svc_duration comes from libsvccommon).
LOADGEN_LIBS = libloadgen.a libsvccommon.a

bin_PROGRAMS += loadgenerator
loadgenerator_SOURCES = tools/loadgenerator.c
loadgenerator_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS) $(NGHTTP2_CFLAGS) \
	$(PROTOBUFC_CFLAGS) $(JANSSON_CFLAGS)
loadgenerator_LDADD = $(LOADGEN_LIBS) $(LIVE_LIBS) $(JANSSON_LIBS) -lm

# Unit tests on the in-memory runtime with an HTTP stub as the frontend.
check_PROGRAMS += tests/services/check_loadgen
TESTS += tests/services/check_loadgen
tests_services_check_loadgen_SOURCES = tests/services/check_loadgen.c
tests_services_check_loadgen_CFLAGS = $(SVC_TEST_CFLAGS)
tests_services_check_loadgen_LDADD = tests/librttest.a $(LOADGEN_LIBS) \
	libproto.a librt.a $(PROTOBUFC_LIBS) $(CHECK_LIBS) -lm

# End to end: the program against a small python stand-in for the frontend,
# and our locustfile against the same stand-in (skipped without Locust).
# tests/locust/run_locust.sh against the real shop is run separately.
TESTS += tests/loadgen/test_loadgenerator.sh tests/loadgen/test_locustfile.sh
EXTRA_DIST += services/loadgenerator/README.md \
	tests/loadgen/test_loadgenerator.sh tests/loadgen/test_locustfile.sh \
	tests/loadgen/fake_frontend.py \
	tests/locust/locustfile.py tests/locust/run_locust.sh

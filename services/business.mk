# services/business.mk: the business service (the seed's "Sell your
# product" service, made real), its unit tests, fuzz targets and interop
# test.
#
# As for the other services, the handlers live in a library, libbusiness.a,
# so unit tests, fuzz targets and the simulator link exactly the code the
# executable runs. The multipart parser it uses is in libsvccommon.a
# (services/common/multipart.c).

noinst_LIBRARIES += libbusiness.a
libbusiness_a_SOURCES = \
	services/business/business.c services/business/business.h \
	services/business/listing.c services/business/listing.h \
	services/business/pages.c services/business/pages.h \
	services/business/store.c services/business/store.h
libbusiness_a_CFLAGS = $(AM_CFLAGS) $(PROTOBUFC_CFLAGS) $(JANSSON_CFLAGS) $(SQLITE_CFLAGS)
$(libbusiness_a_OBJECTS): $(PROTO_GEN)

# Everything a program running the business service links, after its own
# objects.
BUSINESS_LIBS = libbusiness.a libsvccommon.a libproto.a librt.a \
	$(SQLITE_LIBS) $(JANSSON_LIBS) $(PROTOBUFC_LIBS) -lm

bin_PROGRAMS += business
business_SOURCES = services/business/main.c
business_LDADD = libbusiness.a libsvccommon.a $(LIVE_LIBS) $(SQLITE_LIBS) \
	$(JANSSON_LIBS) -lm

# Unit tests on the test runtime, with stubs for email, catalog, currency.
BUSINESS_TEST_CFLAGS = $(AM_CFLAGS) $(PROTOBUFC_CFLAGS) $(JANSSON_CFLAGS) \
	$(SQLITE_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/tests \
	-I$(top_srcdir)/tests/services
BUSINESS_TEST_LIBS = tests/librttest.a $(BUSINESS_LIBS)
BUSINESS_CHECKS = tests/services/check_business tests/services/check_multipart
check_PROGRAMS += $(BUSINESS_CHECKS)
TESTS += $(BUSINESS_CHECKS)
tests_services_check_business_SOURCES = tests/services/check_business.c
tests_services_check_business_CFLAGS = $(BUSINESS_TEST_CFLAGS)
tests_services_check_business_LDADD = $(BUSINESS_TEST_LIBS) $(CHECK_LIBS)
tests_services_check_multipart_SOURCES = tests/services/check_multipart.c
tests_services_check_multipart_CFLAGS = $(BUSINESS_TEST_CFLAGS)
tests_services_check_multipart_LDADD = $(BUSINESS_TEST_LIBS) $(CHECK_LIBS)

# Interop: the real business, email, catalog and currency binaries on
# loopback; a multipart form with a PNG in, the product out through gRPC.
TESTS += tests/interop/test_business.py
EXTRA_DIST += tests/interop/test_business.py

# Fuzz targets (see fuzz/local.mk): multipart, the parser alone;
# business_request, bytes -> one HTTP request -> the handler on the test
# runtime with stubbed backends. Seed corpora: fuzz/business_corpus.py.
FUZZ_TARGETS += multipart business_request
check_PROGRAMS += fuzz/multipart_replay fuzz/business_request_replay
TESTS += fuzz/multipart_replay fuzz/business_request_replay
EXTRA_DIST += fuzz/business_corpus.py
fuzz_multipart_replay_SOURCES = fuzz/multipart.c fuzz/replay_main.c
fuzz_multipart_replay_CFLAGS = $(AM_CFLAGS)
fuzz_multipart_replay_LDADD = libsvccommon.a
fuzz_business_request_replay_SOURCES = fuzz/business_request.c fuzz/replay_main.c
fuzz_business_request_replay_CFLAGS = $(BUSINESS_TEST_CFLAGS)
fuzz_business_request_replay_LDADD = $(BUSINESS_TEST_LIBS)
if FUZZING
noinst_PROGRAMS += fuzz/multipart_fuzzer fuzz/business_request_fuzzer
fuzz_multipart_fuzzer_SOURCES = fuzz/multipart.c
fuzz_multipart_fuzzer_CFLAGS = $(AM_CFLAGS)
fuzz_multipart_fuzzer_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LIBFUZZER)
fuzz_multipart_fuzzer_LDADD = libsvccommon.a
fuzz_business_request_fuzzer_SOURCES = fuzz/business_request.c
fuzz_business_request_fuzzer_CFLAGS = $(BUSINESS_TEST_CFLAGS)
fuzz_business_request_fuzzer_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LIBFUZZER)
fuzz_business_request_fuzzer_LDADD = $(BUSINESS_TEST_LIBS)
endif

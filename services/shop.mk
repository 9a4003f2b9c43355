# services/shop.mk: cartservice and checkoutservice (the "shop" services
# with state: carts and the order journal, both in SQLite), their unit
# tests, interop test and fuzz target.
#
# As for the leaves (services/leaves.mk), the handlers live in a library,
# libshop.a, so unit tests, the fuzz target and the simulator link exactly
# the code the executables run.

noinst_LIBRARIES += libshop.a
libshop_a_SOURCES = \
	services/cart/cart.c services/cart/cart.h \
	services/cart/cart_store.c services/cart/cart_store.h \
	services/checkout/checkout.c services/checkout/checkout.h \
	services/checkout/journal.c services/checkout/journal.h
libshop_a_CFLAGS = $(AM_CFLAGS) $(PROTOBUFC_CFLAGS) $(SQLITE_CFLAGS)
$(libshop_a_OBJECTS): $(PROTO_GEN)

# Everything a program running the shop services links, after its own
# objects (libsvccommon.a: money and UUIDs).
SHOP_LIBS = libshop.a libsvccommon.a libproto.a librt.a \
	$(SQLITE_LIBS) $(JANSSON_LIBS) $(PROTOBUFC_LIBS) -lm

# The executables, named as upstream's, each its main.c on the live runtime.
SHOP_PROGRAM_LIBS = libshop.a libsvccommon.a $(LIVE_LIBS) $(SQLITE_LIBS) \
	$(JANSSON_LIBS) -lm
bin_PROGRAMS += cartservice checkoutservice
cartservice_SOURCES = services/cart/main.c
cartservice_LDADD = $(SHOP_PROGRAM_LIBS)
checkoutservice_SOURCES = services/checkout/main.c
checkoutservice_LDADD = $(SHOP_PROGRAM_LIBS)

# Unit tests on the test runtime (tests/rt_test.c), with stubs for every
# service checkout calls. They use SQLite directly too (to look at files).
SHOP_TEST_CFLAGS = $(AM_CFLAGS) $(PROTOBUFC_CFLAGS) $(SQLITE_CFLAGS) \
	$(CHECK_CFLAGS) -I$(top_srcdir)/tests -I$(top_srcdir)/tests/services
SHOP_TEST_LIBS = tests/librttest.a $(SHOP_LIBS)
SHOP_CHECKS = tests/services/check_cart tests/services/check_checkout
check_PROGRAMS += $(SHOP_CHECKS)
TESTS += $(SHOP_CHECKS)
tests_services_check_cart_SOURCES = tests/services/check_cart.c
tests_services_check_cart_CFLAGS = $(SHOP_TEST_CFLAGS)
tests_services_check_cart_LDADD = $(SHOP_TEST_LIBS) $(CHECK_LIBS)
tests_services_check_checkout_SOURCES = tests/services/check_checkout.c
tests_services_check_checkout_CFLAGS = $(SHOP_TEST_CFLAGS)
tests_services_check_checkout_LDADD = $(SHOP_TEST_LIBS) $(CHECK_LIBS)

# Interop: the real binaries over real gRPC (python3-grpcio), checkout
# end-to-end against the real leaf services and a real cartservice.
TESTS += tests/interop/test_cart_checkout.py
EXTRA_DIST += tests/interop/test_cart_checkout.py

# Fuzz target svc_shop (see fuzz/local.mk for the pattern): one request to
# cartservice or checkoutservice on the test runtime. Seed corpus from
# fuzz/svc_shop_corpus.py (protoc --python_out).
FUZZ_TARGETS += svc_shop
check_PROGRAMS += fuzz/svc_shop_replay
TESTS += fuzz/svc_shop_replay
EXTRA_DIST += fuzz/svc_shop_corpus.py
fuzz_svc_shop_replay_SOURCES = fuzz/svc_shop.c fuzz/replay_main.c
fuzz_svc_shop_replay_CFLAGS = $(AM_CFLAGS) $(PROTOBUFC_CFLAGS) -I$(top_srcdir)/tests
fuzz_svc_shop_replay_LDADD = $(SHOP_TEST_LIBS)
if FUZZING
noinst_PROGRAMS += fuzz/svc_shop_fuzzer
fuzz_svc_shop_fuzzer_SOURCES = fuzz/svc_shop.c
fuzz_svc_shop_fuzzer_CFLAGS = $(AM_CFLAGS) $(PROTOBUFC_CFLAGS) -I$(top_srcdir)/tests
fuzz_svc_shop_fuzzer_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LIBFUZZER)
fuzz_svc_shop_fuzzer_LDADD = $(SHOP_TEST_LIBS)
endif

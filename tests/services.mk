# tests/services.mk: unit tests of the leaf services and services/common/,
# run on the in-memory test runtime (tests/rt_test.c), plus the layering
# check that keeps service code off sockets, threads, clocks and getenv.

noinst_LIBRARIES += tests/librttest.a
tests_librttest_a_SOURCES = tests/rt_test.c tests/rt_test.h
tests_librttest_a_CFLAGS = $(AM_CFLAGS) $(PROTOBUFC_CFLAGS)

# What a test (or fuzz target) of the services links.
SVC_TEST_LIBS = tests/librttest.a $(LEAVES_LIBS)
SVC_TEST_CFLAGS = $(AM_CFLAGS) $(PROTOBUFC_CFLAGS) $(JANSSON_CFLAGS) $(CHECK_CFLAGS) \
	-I$(top_srcdir)/tests

SVC_CHECKS = \
	tests/services/check_rt_test \
	tests/services/check_common \
	tests/services/check_productcatalog \
	tests/services/check_currency \
	tests/services/check_shipping \
	tests/services/check_payment \
	tests/services/check_email \
	tests/services/check_ad \
	tests/services/check_recommendation
check_PROGRAMS += $(SVC_CHECKS)
TESTS += $(SVC_CHECKS) tests/check_layering.sh
dist_noinst_SCRIPTS += tests/check_layering.sh
EXTRA_DIST += tests/services/check_util.h

tests_services_check_rt_test_SOURCES = tests/services/check_rt_test.c
tests_services_check_rt_test_CFLAGS = $(SVC_TEST_CFLAGS)
tests_services_check_rt_test_LDADD = $(SVC_TEST_LIBS) $(CHECK_LIBS)
tests_services_check_common_SOURCES = tests/services/check_common.c
tests_services_check_common_CFLAGS = $(SVC_TEST_CFLAGS)
tests_services_check_common_LDADD = $(SVC_TEST_LIBS) $(CHECK_LIBS)
tests_services_check_productcatalog_SOURCES = tests/services/check_productcatalog.c
tests_services_check_productcatalog_CFLAGS = $(SVC_TEST_CFLAGS)
tests_services_check_productcatalog_LDADD = $(SVC_TEST_LIBS) $(CHECK_LIBS)
tests_services_check_currency_SOURCES = tests/services/check_currency.c
tests_services_check_currency_CFLAGS = $(SVC_TEST_CFLAGS)
tests_services_check_currency_LDADD = $(SVC_TEST_LIBS) $(CHECK_LIBS)
tests_services_check_shipping_SOURCES = tests/services/check_shipping.c
tests_services_check_shipping_CFLAGS = $(SVC_TEST_CFLAGS)
tests_services_check_shipping_LDADD = $(SVC_TEST_LIBS) $(CHECK_LIBS)
tests_services_check_payment_SOURCES = tests/services/check_payment.c
tests_services_check_payment_CFLAGS = $(SVC_TEST_CFLAGS)
tests_services_check_payment_LDADD = $(SVC_TEST_LIBS) $(CHECK_LIBS)
tests_services_check_email_SOURCES = tests/services/check_email.c
tests_services_check_email_CFLAGS = $(SVC_TEST_CFLAGS)
tests_services_check_email_LDADD = $(SVC_TEST_LIBS) $(CHECK_LIBS)
tests_services_check_ad_SOURCES = tests/services/check_ad.c
tests_services_check_ad_CFLAGS = $(SVC_TEST_CFLAGS)
tests_services_check_ad_LDADD = $(SVC_TEST_LIBS) $(CHECK_LIBS)
tests_services_check_recommendation_SOURCES = tests/services/check_recommendation.c
tests_services_check_recommendation_CFLAGS = $(SVC_TEST_CFLAGS)
tests_services_check_recommendation_LDADD = $(SVC_TEST_LIBS) $(CHECK_LIBS)

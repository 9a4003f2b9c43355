# tests/live: tests of the live runtime (owned by the live runtime).
LIVE_TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBUV_CFLAGS) $(NGHTTP2_CFLAGS) $(PROTOBUFC_CFLAGS)
LIVE_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/services/live -I$(top_srcdir)/tests/live

check_PROGRAMS += tests/live/check_grpc tests/live/check_live tests/live/live_testsvc \
	tests/live/check_http tests/live/live_httpsvc
TESTS += tests/live/check_grpc tests/live/check_live tests/live/test_main.sh tests/live/interop.py \
	tests/live/check_http tests/live/http_server.py tests/live/http_client.py
EXTRA_DIST += tests/live/test_main.sh tests/live/interop.py \
	tests/live/http_server.py tests/live/http_client.py tests/live/httplib.py

tests_live_check_grpc_SOURCES = tests/live/check_grpc.c
tests_live_check_grpc_CPPFLAGS = $(LIVE_TEST_CPPFLAGS)
tests_live_check_grpc_CFLAGS = $(LIVE_TEST_CFLAGS)
tests_live_check_grpc_LDADD = $(LIVE_LIBS) $(CHECK_LIBS)

tests_live_check_live_SOURCES = tests/live/check_live.c tests/live/testsvc.c tests/live/testsvc.h
tests_live_check_live_CPPFLAGS = $(LIVE_TEST_CPPFLAGS)
tests_live_check_live_CFLAGS = $(LIVE_TEST_CFLAGS)
tests_live_check_live_LDADD = $(LIVE_LIBS) $(CHECK_LIBS)

tests_live_live_testsvc_SOURCES = tests/live/testsvc_main.c tests/live/testsvc.c tests/live/testsvc.h
tests_live_live_testsvc_CPPFLAGS = $(LIVE_TEST_CPPFLAGS)
tests_live_live_testsvc_CFLAGS = $(LIVE_TEST_CFLAGS)
tests_live_live_testsvc_LDADD = $(LIVE_LIBS)

# HTTP/1.1: the in-process client/server test, and the test service as a
# process for the python tests (real clients: http.client, curl, raw sockets).
tests_live_check_http_SOURCES = tests/live/check_http.c tests/live/httpsvc.c tests/live/httpsvc.h
tests_live_check_http_CPPFLAGS = $(LIVE_TEST_CPPFLAGS)
tests_live_check_http_CFLAGS = $(LIVE_TEST_CFLAGS)
tests_live_check_http_LDADD = $(LIVE_LIBS) $(CHECK_LIBS)

tests_live_live_httpsvc_SOURCES = tests/live/httpsvc_main.c tests/live/httpsvc.c tests/live/httpsvc.h
tests_live_live_httpsvc_CPPFLAGS = $(LIVE_TEST_CPPFLAGS)
tests_live_live_httpsvc_CFLAGS = $(LIVE_TEST_CFLAGS)
tests_live_live_httpsvc_LDADD = $(LIVE_LIBS)

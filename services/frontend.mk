# services/frontend.mk: the web frontend (executable `frontend`, port 8080),
# the web helpers it shares with other HTTP services (libweb.a: form, cookie
# and HTML builders from services/common/), its unit tests and fuzz targets.
#
# The handlers live in libfrontend.a so the tests, the fuzz targets and the
# simulator link exactly the code the executable runs. Static files under
# services/frontend/static/ are compiled in by embed_static.sh.

# Web helpers: pure code, no runtime calls.
noinst_LIBRARIES += libweb.a
libweb_a_SOURCES = \
	services/common/form.c services/common/form.h \
	services/common/cookie.c services/common/cookie.h \
	services/common/html.c services/common/html.h \
	services/common/decimal.h

# Static files, served at /static/<path below static/>.
FRONTEND_STATIC = \
	styles.css favicon.svg robots.txt img/placeholder.svg \
	img/products/sunglasses.svg img/products/tank-top.svg \
	img/products/watch.svg img/products/loafers.svg \
	img/products/hairdryer.svg img/products/candle-holder.svg \
	img/products/salt-and-pepper-shakers.svg \
	img/products/bamboo-glass-jar.svg img/products/mug.svg
FRONTEND_STATIC_SRC = $(FRONTEND_STATIC:%=$(srcdir)/services/frontend/static/%)
EXTRA_DIST += $(FRONTEND_STATIC:%=services/frontend/static/%) \
	services/frontend/embed_static.sh
CLEANFILES += services/frontend/fe_static_data.c
services/frontend/fe_static_data.c: $(FRONTEND_STATIC_SRC) $(srcdir)/services/frontend/embed_static.sh
	$(AM_V_GEN)$(MKDIR_P) services/frontend && \
	$(SHELL) $(srcdir)/services/frontend/embed_static.sh \
	  $(srcdir)/services/frontend/static $(FRONTEND_STATIC) > $@-t && mv $@-t $@

noinst_LIBRARIES += libfrontend.a
libfrontend_a_SOURCES = \
	services/frontend/frontend.c services/frontend/frontend.h \
	services/frontend/fe.h services/frontend/fe_backend.c \
	services/frontend/fe_shop.c services/frontend/fe_pages.c
nodist_libfrontend_a_SOURCES = services/frontend/fe_static_data.c
libfrontend_a_CFLAGS = $(AM_CFLAGS) $(PROTOBUFC_CFLAGS)
$(libfrontend_a_OBJECTS): $(PROTO_GEN)

# What a program running the frontend links, after its own objects.
FRONTEND_LIBS = libfrontend.a libweb.a libsvccommon.a

bin_PROGRAMS += frontend
frontend_SOURCES = services/frontend/main.c
frontend_LDADD = $(FRONTEND_LIBS) $(LIVE_LIBS) $(JANSSON_LIBS) -lm

# Unit tests: the web helpers, and the frontend on the test runtime with
# every backend stubbed.
FRONTEND_TEST_LIBS = $(FRONTEND_LIBS) $(SVC_TEST_LIBS)
FRONTEND_CHECKS = tests/services/check_web tests/services/check_frontend
check_PROGRAMS += $(FRONTEND_CHECKS)
TESTS += $(FRONTEND_CHECKS)
EXTRA_DIST += tests/services/frontend_stubs.h
tests_services_check_web_SOURCES = tests/services/check_web.c
tests_services_check_web_CFLAGS = $(SVC_TEST_CFLAGS)
tests_services_check_web_LDADD = $(FRONTEND_TEST_LIBS) $(CHECK_LIBS)
tests_services_check_frontend_SOURCES = tests/services/check_frontend.c
tests_services_check_frontend_CFLAGS = $(SVC_TEST_CFLAGS) -I$(top_srcdir)/tests/services
tests_services_check_frontend_LDADD = $(FRONTEND_TEST_LIBS) $(CHECK_LIBS)

# Fuzz targets (see fuzz/local.mk for the pattern):
#   web_form          bytes -> form, cookie and HTML helpers;
#   frontend_request  bytes -> one HTTP request -> the frontend's handler on
#                     the test runtime, every backend stubbed.
FUZZ_TARGETS += web_form frontend_request
check_PROGRAMS += fuzz/web_form_replay fuzz/frontend_request_replay
TESTS += fuzz/web_form_replay fuzz/frontend_request_replay
FUZZ_FRONTEND_CFLAGS = $(AM_CFLAGS) $(PROTOBUFC_CFLAGS) -I$(top_srcdir)/tests -I$(top_srcdir)/tests/services
fuzz_web_form_replay_SOURCES = fuzz/web_form.c fuzz/replay_main.c
fuzz_web_form_replay_CFLAGS = $(FUZZ_FRONTEND_CFLAGS)
fuzz_web_form_replay_LDADD = libweb.a
fuzz_frontend_request_replay_SOURCES = fuzz/frontend_request.c fuzz/replay_main.c
fuzz_frontend_request_replay_CFLAGS = $(FUZZ_FRONTEND_CFLAGS)
fuzz_frontend_request_replay_LDADD = $(FRONTEND_TEST_LIBS)
if FUZZING
noinst_PROGRAMS += fuzz/web_form_fuzzer fuzz/frontend_request_fuzzer
fuzz_web_form_fuzzer_SOURCES = fuzz/web_form.c
fuzz_web_form_fuzzer_CFLAGS = $(FUZZ_FRONTEND_CFLAGS)
fuzz_web_form_fuzzer_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LIBFUZZER)
fuzz_web_form_fuzzer_LDADD = libweb.a
fuzz_frontend_request_fuzzer_SOURCES = fuzz/frontend_request.c
fuzz_frontend_request_fuzzer_CFLAGS = $(FUZZ_FRONTEND_CFLAGS)
fuzz_frontend_request_fuzzer_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LIBFUZZER)
fuzz_frontend_request_fuzzer_LDADD = $(FRONTEND_TEST_LIBS)
endif

# fuzz/services.mk: decode-and-handle targets for the leaf services.
# svc_request: one protobuf request to one method of one leaf service, run
# on the test runtime (see fuzz/svc_request.c). Seed corpus: valid requests
# for every method, from fuzz/svc_request_corpus.py (protoc --python_out).
FUZZ_TARGETS += svc_request
check_PROGRAMS += fuzz/svc_request_replay
TESTS += fuzz/svc_request_replay
EXTRA_DIST += fuzz/svc_request_corpus.py
fuzz_svc_request_replay_SOURCES = fuzz/svc_request.c fuzz/replay_main.c
fuzz_svc_request_replay_CFLAGS = $(AM_CFLAGS) $(PROTOBUFC_CFLAGS) -I$(top_srcdir)/tests
fuzz_svc_request_replay_LDADD = $(SVC_TEST_LIBS)
if FUZZING
noinst_PROGRAMS += fuzz/svc_request_fuzzer
fuzz_svc_request_fuzzer_SOURCES = fuzz/svc_request.c
fuzz_svc_request_fuzzer_CFLAGS = $(AM_CFLAGS) $(PROTOBUFC_CFLAGS) -I$(top_srcdir)/tests
fuzz_svc_request_fuzzer_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LIBFUZZER)
fuzz_svc_request_fuzzer_LDADD = $(SVC_TEST_LIBS)
endif

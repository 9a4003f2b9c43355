# fuzz/live.mk: targets for the live runtime (owned by the live runtime)
#   grpc_server  bytes from a client into an in-memory server connection
#   grpc_frame   the pure gRPC decoders (framing, grpc-timeout, grpc-message)
#   http1_server bytes from a client into an in-memory HTTP/1.1 connection
#   http1_client bytes from a server into the HTTP/1.1 response parser
# fuzz/grpc_seedgen regenerates the seed corpora:
#   make fuzz/grpc_seedgen && fuzz/grpc_seedgen $(srcdir)/fuzz/corpus
# and fuzz/http1_corpus.py the HTTP/1.1 ones (requests captured from curl and
# python's http.client, responses from python's http.server):
#   python3 fuzz/http1_corpus.py $(srcdir)/fuzz/corpus
FUZZ_TARGETS += grpc_server grpc_frame http1_server http1_client
EXTRA_DIST += fuzz/http1_corpus.py
GRPC_FUZZ_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/services/live
GRPC_FUZZ_CFLAGS = $(AM_CFLAGS) $(NGHTTP2_CFLAGS) $(PROTOBUFC_CFLAGS)

check_PROGRAMS += fuzz/grpc_server_replay fuzz/grpc_frame_replay fuzz/grpc_seedgen \
	fuzz/http1_server_replay fuzz/http1_client_replay
TESTS += fuzz/grpc_server_replay fuzz/grpc_frame_replay \
	fuzz/http1_server_replay fuzz/http1_client_replay

fuzz_http1_server_replay_SOURCES = fuzz/http1_server.c fuzz/replay_main.c
fuzz_http1_server_replay_CPPFLAGS = $(GRPC_FUZZ_CPPFLAGS)
fuzz_http1_server_replay_CFLAGS = $(GRPC_FUZZ_CFLAGS)
fuzz_http1_server_replay_LDADD = $(LIVE_LIBS)

fuzz_http1_client_replay_SOURCES = fuzz/http1_client.c fuzz/replay_main.c
fuzz_http1_client_replay_CPPFLAGS = $(GRPC_FUZZ_CPPFLAGS)
fuzz_http1_client_replay_CFLAGS = $(GRPC_FUZZ_CFLAGS)
fuzz_http1_client_replay_LDADD = $(LIVE_LIBS)

fuzz_grpc_server_replay_SOURCES = fuzz/grpc_server.c fuzz/replay_main.c
fuzz_grpc_server_replay_CPPFLAGS = $(GRPC_FUZZ_CPPFLAGS)
fuzz_grpc_server_replay_CFLAGS = $(GRPC_FUZZ_CFLAGS)
fuzz_grpc_server_replay_LDADD = $(LIVE_LIBS)

fuzz_grpc_frame_replay_SOURCES = fuzz/grpc_frame.c fuzz/replay_main.c
fuzz_grpc_frame_replay_CPPFLAGS = $(GRPC_FUZZ_CPPFLAGS)
fuzz_grpc_frame_replay_CFLAGS = $(GRPC_FUZZ_CFLAGS)
fuzz_grpc_frame_replay_LDADD = $(LIVE_LIBS)

fuzz_grpc_seedgen_SOURCES = fuzz/grpc_seedgen.c
fuzz_grpc_seedgen_CPPFLAGS = $(GRPC_FUZZ_CPPFLAGS)
fuzz_grpc_seedgen_CFLAGS = $(GRPC_FUZZ_CFLAGS)
fuzz_grpc_seedgen_LDADD = $(LIVE_LIBS)

if FUZZING
noinst_PROGRAMS += fuzz/grpc_server_fuzzer fuzz/grpc_frame_fuzzer \
	fuzz/http1_server_fuzzer fuzz/http1_client_fuzzer
fuzz_http1_server_fuzzer_SOURCES = fuzz/http1_server.c
fuzz_http1_server_fuzzer_CPPFLAGS = $(GRPC_FUZZ_CPPFLAGS)
fuzz_http1_server_fuzzer_CFLAGS = $(GRPC_FUZZ_CFLAGS)
fuzz_http1_server_fuzzer_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LIBFUZZER)
fuzz_http1_server_fuzzer_LDADD = $(LIVE_LIBS)

fuzz_http1_client_fuzzer_SOURCES = fuzz/http1_client.c
fuzz_http1_client_fuzzer_CPPFLAGS = $(GRPC_FUZZ_CPPFLAGS)
fuzz_http1_client_fuzzer_CFLAGS = $(GRPC_FUZZ_CFLAGS)
fuzz_http1_client_fuzzer_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LIBFUZZER)
fuzz_http1_client_fuzzer_LDADD = $(LIVE_LIBS)

fuzz_grpc_server_fuzzer_SOURCES = fuzz/grpc_server.c
fuzz_grpc_server_fuzzer_CPPFLAGS = $(GRPC_FUZZ_CPPFLAGS)
fuzz_grpc_server_fuzzer_CFLAGS = $(GRPC_FUZZ_CFLAGS)
fuzz_grpc_server_fuzzer_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LIBFUZZER)
fuzz_grpc_server_fuzzer_LDADD = $(LIVE_LIBS)

fuzz_grpc_frame_fuzzer_SOURCES = fuzz/grpc_frame.c
fuzz_grpc_frame_fuzzer_CPPFLAGS = $(GRPC_FUZZ_CPPFLAGS)
fuzz_grpc_frame_fuzzer_CFLAGS = $(GRPC_FUZZ_CFLAGS)
fuzz_grpc_frame_fuzzer_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LIBFUZZER)
fuzz_grpc_frame_fuzzer_LDADD = $(LIVE_LIBS)
endif

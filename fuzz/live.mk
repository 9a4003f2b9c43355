# fuzz/live.mk: targets for the live runtime (owned by the live runtime)
#   grpc_server  bytes from a client into an in-memory server connection
#   grpc_frame   the pure gRPC decoders (framing, grpc-timeout, grpc-message)
# fuzz/grpc_seedgen regenerates the seed corpora:
#   make fuzz/grpc_seedgen && fuzz/grpc_seedgen $(srcdir)/fuzz/corpus
FUZZ_TARGETS += grpc_server grpc_frame
GRPC_FUZZ_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/services/live
GRPC_FUZZ_CFLAGS = $(AM_CFLAGS) $(NGHTTP2_CFLAGS) $(PROTOBUFC_CFLAGS)

check_PROGRAMS += fuzz/grpc_server_replay fuzz/grpc_frame_replay fuzz/grpc_seedgen
TESTS += fuzz/grpc_server_replay fuzz/grpc_frame_replay

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
noinst_PROGRAMS += fuzz/grpc_server_fuzzer fuzz/grpc_frame_fuzzer
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

# services/live: the live runtime (libuv + nghttp2, gRPC over h2c; HTTP/1.1
# on nodejs/http-parser).
# Service programs link with $(LIVE_LIBS) and include live_main.h.
noinst_LIBRARIES += liblive.a
liblive_a_SOURCES = \
	services/live/grpc.c services/live/grpc.h \
	services/live/h2conn.c services/live/h2conn.h \
	services/live/h2cli.c services/live/h2cli.h services/live/h2mem.h \
	services/live/http1.c services/live/http1.h \
	services/live/jsonlog.c services/live/jsonlog.h \
	services/live/live.c services/live/live.h \
	services/live/live_main.c services/live/live_main.h
liblive_a_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS) $(NGHTTP2_CFLAGS) $(PROTOBUFC_CFLAGS)
# generated protobuf headers must exist before liblive compiles
$(liblive_a_OBJECTS): $(PROTO_GEN)
LIVE_LIBS = liblive.a librt.a libproto.a $(LIBUV_LIBS) $(NGHTTP2_LIBS) $(HTTP_PARSER_LIBS) $(PROTOBUFC_LIBS)

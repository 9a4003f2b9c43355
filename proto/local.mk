# proto/: protobuf-c code generated at build time from the .proto files.
PROTO_FILES = proto/demo.proto proto/health.proto proto/catalog_admin.proto
EXTRA_DIST += $(PROTO_FILES)

PROTO_GEN = proto/demo.pb-c.c proto/demo.pb-c.h proto/health.pb-c.c proto/health.pb-c.h \
	proto/catalog_admin.pb-c.c proto/catalog_admin.pb-c.h
BUILT_SOURCES += $(PROTO_GEN)
CLEANFILES += $(PROTO_GEN) proto/.stamp

# One stamp for all outputs: protoc-c writes them together, and make must not
# run it once per output in a parallel build.
$(PROTO_GEN): proto/.stamp
proto/.stamp: $(PROTO_FILES:%=$(srcdir)/%)
	$(AM_V_GEN)$(MKDIR_P) proto && \
	$(PROTOC_C) --c_out=proto -I$(srcdir)/proto $(PROTO_FILES:proto/%=$(srcdir)/proto/%) && \
	touch $@

noinst_LIBRARIES += libproto.a
nodist_libproto_a_SOURCES = $(PROTO_GEN)
libproto_a_CFLAGS = -std=c11 $(PROTOBUFC_CFLAGS) $(SAN_CFLAGS)

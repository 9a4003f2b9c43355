# services/: the runtime API dispatch (rt.c) and code shared by services.
noinst_LIBRARIES += librt.a
librt_a_SOURCES = services/rt.c services/rt.h
librt_a_CFLAGS = $(AM_CFLAGS) $(PROTOBUFC_CFLAGS)

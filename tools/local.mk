# tools/: the meshsim command (a table of subcommands) and its modules.
bin_PROGRAMS += meshsim
meshsim_SOURCES = tools/meshsim.c tools/meshsim.h tools/cmd_up.c tools/cmd_down.c \
	tools/statedir.c tools/statedir.h \
	tools/supervisor.c tools/supervisor.h
meshsim_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS) $(NGHTTP2_CFLAGS) $(PROTOBUFC_CFLAGS)
meshsim_LDADD = $(LIVE_LIBS)

TESTS += tests/test_up.sh
EXTRA_DIST += tests/test_up.sh

# tools/: the meshsim command (a table of subcommands) and its modules.
bin_PROGRAMS += meshsim
meshsim_SOURCES = tools/meshsim.c tools/meshsim.h tools/cmd_up.c tools/cmd_down.c \
	tools/cmd_run.c tools/simrun.h tools/cmd_analyze.c tools/cmd_calibrate.c \
	tools/linkprobe.c tools/linkprobe.h tools/schedwake.c tools/schedwake.h \
	tools/run_metrics.c tools/run_metrics.h tools/cmd_metrics.c \
	tools/run_sidecars.c tools/run_sidecars.h \
	tools/cmd_capacity.c \
	tools/statedir.c tools/statedir.h \
	tools/supervisor.c tools/supervisor.h
# cmd_run finds k8s/charts and data/cost-profile.json next to the binary, in
# its parent, or in the source tree it was built from.
meshsim_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS) $(NGHTTP2_CFLAGS) $(PROTOBUFC_CFLAGS) \
	$(SIMRUN_CFLAGS) $(MESHPOLICY_CFLAGS) $(SIDECAR_CFLAGS) -DMESHSIM_SRCDIR='"$(abs_top_srcdir)"'
# `meshsim run` runs every service of the shop in virtual time (SIMRUN_LIBS,
# sim/local.mk); `up` and `down` the live runtime.
# `analyze` is sim/mesh's checks (MESHPOLICY_LIBS, sim/mesh/local.mk).
meshsim_LDADD = libsidecar.a $(MESHPOLICY_LIBS) $(SIMRUN_LIBS) \
	$(SIDECAR_LIBS) $(LIVE_LIBS) $(SQLITE_LIBS) $(JANSSON_LIBS) -lm
$(meshsim_OBJECTS): $(PROTO_GEN)

TESTS += tests/test_up.sh tests/test_run.sh tests/test_calibrate.sh tests/test_schedwake.sh
EXTRA_DIST += tests/test_up.sh tests/test_run.sh tests/test_calibrate.sh tests/test_schedwake.sh

# `meshsim capacity`: its design notes.
EXTRA_DIST += tools/capacity.md
